//! The integrator's first signed request (issue 17, deliverable 1; SPEC §1): `writ serve
//! --dev` seeds a client that must sign its requests, writes its key beside the store and
//! prints the commands to use it. This test is the newcomer: it runs the banner's `writ
//! request sign ... --url` line as printed, opens the URL, signs in as alice and allows, then
//! redeems the code with the banner's `writ client assertion` line, and gets tokens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const WRIT: &str = env!("CARGO_BIN_EXE_writ");

/// The `writ serve --dev` process, killed on drop.
struct Dev(Child);

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `writ serve --dev` in `dir` on `port`; its banner, once printed.
fn serve_dev(dir: &std::path::Path, port: u16) -> (Dev, String) {
    let mut child = Command::new(WRIT)
        .arg("serve")
        .arg("--dev")
        .arg("--data-dir")
        .arg(dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("WRIT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut banner = String::new();
        let mut rules = 0;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if line.starts_with("=====") {
                rules += 1;
            }
            banner.push_str(&line);
            banner.push('\n');
            if rules == 2 {
                let _ = tx.send(banner);
                return;
            }
        }
    });
    let banner = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("writ serve --dev printed its banner");
    (Dev(child), banner)
}

/// The banner's command that starts with `writ {what}`, as arguments after `writ`.
fn command_line(banner: &str, what: &str) -> Vec<String> {
    let start = banner
        .find(&format!("writ {what}"))
        .unwrap_or_else(|| panic!("no `writ {what}` in the banner:\n{banner}"));
    let line = banner[start..].lines().next().unwrap();
    // The assertion line is inside `$(...)`.
    let line = line.split(')').next().unwrap();
    line.split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

fn run(args: &[String]) -> (String, String) {
    let out = Command::new(WRIT).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "writ {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap().trim().to_string(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_banners_signed_request_lines_lead_to_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let (_dev, banner) = serve_dev(dir.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    let http = common::browser();
    for _ in 0..200 {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The key was written beside the store, readable by its owner only.
    let key = dir.path().join("demo-jar.private.jwk");
    assert!(
        banner.contains(&key.canonicalize().unwrap().display().to_string()),
        "{banner}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // 1. The sign line, as printed.
    let (url, stderr) = run(&command_line(&banner, "request sign"));
    assert!(
        url.starts_with(&format!("{base}/authorize?client_id=demo-jar&request=")),
        "{url}"
    );
    let verifier = stderr
        .lines()
        .find_map(|l| l.strip_prefix("code_verifier: "))
        .expect("the PKCE verifier on stderr")
        .to_string();

    // The same line with --encrypt: a nested JWT to the server's use=enc key, accepted too.
    let mut encrypted = command_line(&banner, "request sign");
    encrypted.push("--encrypt".into());
    let (sealed_url, _) = run(&encrypted);
    let object = sealed_url.split("request=").nth(1).unwrap();
    assert_eq!(object.split('.').count(), 5, "a JWE: {sealed_url}");
    let r = http.get(&sealed_url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(common::location(&r).starts_with(&format!("{base}/interaction/")));

    // 2. The browser: the signed request reaches the interaction; alice signs in and allows.
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = common::location(&r);
    assert!(loc.starts_with(&format!("{base}/interaction/")), "{loc}");
    let view = |http: reqwest::Client, loc: String| async move {
        http.get(loc)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let v = view(http.clone(), loc.clone()).await;
    assert_eq!(
        v["request_object_header"]["typ"], "oauth-authz-req+jwt",
        "{v}"
    );
    assert!(v["request_object"]["signer"].is_object(), "signed: {v}");
    http.post(v["endpoints"]["login"].as_str().unwrap())
        .form(&[
            ("username", "alice"),
            ("password", "alice"),
            ("csrf_token", v["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let v = view(http.clone(), loc.clone()).await;
    let r = http
        .post(v["endpoints"]["consent"].as_str().unwrap())
        .form(&[
            ("decision", "allow"),
            ("csrf_token", v["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let back = common::location(&r);
    let code = common::query(&back).remove("code").expect("a code");

    // 3. The assertion line, as printed, and the token request.
    let (assertion, _) = run(&command_line(&banner, "client assertion"));
    let r = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", writ_server::admin::DEV_REDIRECT_URI),
            ("code_verifier", &verifier),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let t: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{t}");
    assert!(
        t["id_token"].is_string() && t["access_token"].is_string(),
        "{t}"
    );
}

#[test]
fn keygen_writes_a_private_jwk_once_and_prints_the_public_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("k.jwk");
    let args = |alg: &str| {
        vec![
            "client".to_string(),
            "keygen".into(),
            "--alg".into(),
            alg.into(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let (public, _) = run(&args("PS256"));
    let set: Value = serde_json::from_str(&public).unwrap();
    let jwk = &set["keys"][0];
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "PS256");
    assert!(jwk.get("d").is_none(), "no private member on stdout: {jwk}");
    let private: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(private["d"].is_string() && private["qi"].is_string());
    assert_eq!(private["kid"], jwk["kid"]);
    // Never overwritten.
    let again = Command::new(WRIT).args(args("ES256")).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    // HS256 is a shared secret, not a key pair.
    let out2 = dir.path().join("h.jwk");
    let hs = Command::new(WRIT)
        .args(["client", "keygen", "--alg", "HS256", "--out"])
        .arg(&out2)
        .output()
        .unwrap();
    assert!(!hs.status.success());
    assert!(!out2.exists());
}
