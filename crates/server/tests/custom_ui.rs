//! The custom-UI contract of `docs/interaction-ui.md` (issue 17, deliverable 5), exercised
//! with the example under `examples/custom-ui/`: a Node.js server nobody ships with Writ reads
//! the pending interaction as JSON with the browser's cookie and shows its own sign-in and
//! consent forms, which post straight to Writ; Writ sends the browser back to the UI after
//! sign-in and to the client after consent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;

/// The example UI on `port`, reading from Writ at `writ`; killed when dropped.
struct Ui(std::process::Child);

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_ui(port: u16, writ: &str) -> Ui {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/custom-ui/server.mjs"
    );
    let child = std::process::Command::new("node")
        .arg(script)
        .args(["--port", &port.to_string(), "--writ", writ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("Node.js runs the example UI (apt-get install nodejs)");
    let ui = Ui(child);
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return ui;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the example UI did not start");
}

/// The value of `attr` of the first element that has it after `marker` in `html`, unescaped as
/// a browser would.
fn attr_after(html: &str, marker: &str, attr: &str) -> String {
    let from = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let pat = format!("{attr}=\"");
    let start = from + html[from..].find(&pat).unwrap() + pat.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn the_example_custom_ui_signs_a_person_in_and_asks_consent_through_the_json_contract() {
    let ui_port = free_port();
    let s = start(
        &format!("[interaction]\nurl = \"http://127.0.0.1:{ui_port}/ui\""),
        "",
    )
    .await;
    let _ui = start_ui(ui_port, &s.base).await;

    let ro = sign(&claims(&s.base, "rp"));
    let r = authorize(&s, &format!("client_id=rp&request={ro}")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ui_url = location(&r);
    assert!(
        ui_url.starts_with(&format!("http://127.0.0.1:{ui_port}/ui/")),
        "{ui_url}"
    );

    // The UI's sign-in form, posting to Writ with Writ's CSRF token.
    let r = s.http.get(&ui_url).send().await.unwrap();
    // The UI is never framed by another site (a click on Allow is not to be borrowed).
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let page = r.text().await.unwrap();
    assert!(
        page.contains("EXAMPLE BANK") && page.contains("Sign in to continue"),
        "{page}"
    );
    let action = attr_after(&page, "<form", "action");
    assert!(
        action.starts_with(&format!("{}/interaction/", s.base)),
        "{action}"
    );
    let csrf = attr_after(&page, "name=\"csrf_token\"", "value");
    let r = s
        .http
        .post(&action)
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), ui_url, "after sign-in, back to the custom UI");

    // The UI's consent form: who signed, what is asked, posting to Writ.
    let page = s
        .http
        .get(&ui_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Signed in as <strong>alice</strong>"),
        "{page}"
    );
    assert!(page.contains("registered key"), "{page}");
    assert!(page.contains("<li>profile (signed)</li>"), "{page}");
    let action = attr_after(&page, "<form", "action");
    let csrf = attr_after(&page, "name=\"csrf_token\"", "value");
    let r = s
        .http
        .post(&action)
        .form(&[("decision", "allow"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let q = query(&location(&r));
    let tokens = redeem(&s, &q["code"]).await;
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
async fn the_example_custom_ui_refuses_an_interaction_without_the_browsers_session() {
    let ui_port = free_port();
    let s = start(
        &format!("[interaction]\nurl = \"http://127.0.0.1:{ui_port}/ui\""),
        "",
    )
    .await;
    let _ui = start_ui(ui_port, &s.base).await;
    let ro = sign(&claims(&s.base, "rp"));
    let ui_url = location(&authorize(&s, &format!("client_id=rp&request={ro}")).await);
    // Another browser (no cookie): Writ refuses, and the UI says so.
    let r = browser().get(&ui_url).send().await.unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert!(r.text().await.unwrap().contains("cannot continue"));
}
