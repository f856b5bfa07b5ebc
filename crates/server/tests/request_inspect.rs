//! `writ request inspect FILE|- --client ID` (SPEC §1): the real binary on a config file,
//! every check printed with pass/fail and the reason, non-zero exit on failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Map, Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use writ_jose::{EcCurve, JwsAlg, SigningKey, sign_compact};

const ISSUER: &str = "https://as.example";

struct Setup {
    dir: tempfile::TempDir,
    key: SigningKey,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate_ec(EcCurve::P256).unwrap();
    let jwks = json!({ "keys": [key.public_jwk("k1").unwrap()] }).to_string();
    std::fs::write(
        dir.path().join("writ.toml"),
        format!(
            r#"
            issuer = "{ISSUER}"
            [[clients]]
            client_id = "rp"
            redirect_uris = ["https://rp.example/cb"]
            token_endpoint_auth_method = "none"
            secrets = [{{ type = "jwks", value = '{jwks}' }}]
            "#
        ),
    )
    .unwrap();
    Setup { dir, key }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn ro(s: &Setup, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut c = json!({
        "iss": "rp", "aud": ISSUER, "iat": now(), "exp": now() + 300, "client_id": "rp",
        "response_type": "code", "scope": "openid", "redirect_uri": "https://rp.example/cb",
        "state": "s", "nonce": "n",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256"
    })
    .as_object()
    .unwrap()
    .clone();
    edit(&mut c);
    let mut h = Map::new();
    h.insert("kid".into(), json!("k1"));
    h.insert("typ".into(), json!("oauth-authz-req+jwt"));
    sign_compact(&h, &serde_json::to_vec(&c).unwrap(), JwsAlg::ES256, &s.key).unwrap()
}

/// Run `writ request inspect - --client rp` with `token` on standard input.
fn inspect(s: &Setup, token: &str) -> (String, i32) {
    inspect_with(s, token, &[])
}

/// [`inspect`] with `extra` arguments.
fn inspect_with(s: &Setup, token: &str, extra: &[&str]) -> (String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(["request", "inspect", "-", "--client", "rp"])
        .args(extra)
        .arg("--config")
        .arg(s.dir.path().join("writ.toml"))
        .arg("--data-dir")
        .arg(s.dir.path())
        .env("WRIT_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(token.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let text = if text.is_empty() { stderr } else { text };
    assert!(
        out.status.code().is_some(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (text, out.status.code().unwrap())
}

#[test]
fn inspect_passes_a_valid_request_object_and_shows_every_check() {
    let s = setup();
    let (out, code) = inspect(&s, &ro(&s, |_| {}));
    assert_eq!(code, 0, "{out}");
    for check in [
        "size",
        "format",
        "signing_alg",
        "typ",
        "signature",
        "iss",
        "aud",
        "exp",
        "lifetime",
        "client_id",
        "parameters",
    ] {
        assert!(
            out.lines().any(|l| l.contains("PASS") && l.contains(check)),
            "{check} passes:\n{out}"
        );
    }
    assert!(out.contains("Result: ACCEPTED"), "{out}");
    assert!(out.contains("kid k1"), "names the key: {out}");
    assert!(out.contains("[signed]"), "marks signed parameters: {out}");
}

/// Issue 17: the numbers behind every time check, and the key chosen and why, on PASS lines.
#[test]
fn pass_lines_show_the_time_numbers_and_why_the_key_was_chosen() {
    let s = setup();
    let (out, code) = inspect(
        &s,
        &ro(&s, |c| {
            c.insert("nbf".into(), json!(now() - 5));
        }),
    );
    assert_eq!(code, 0, "{out}");
    let line = |check: &str| {
        out.lines()
            .find(|l| l.contains("PASS") && l.split_whitespace().nth(1) == Some(check))
            .unwrap_or_else(|| panic!("no PASS {check}:\n{out}"))
            .to_string()
    };
    for check in ["exp", "nbf", "iat"] {
        let l = line(check);
        assert!(l.contains(" now ") && l.contains("clock_skew"), "{l}");
    }
    assert!(
        line("lifetime").contains("max_lifetime"),
        "{}",
        line("lifetime")
    );
    let key = line("key");
    assert!(
        key.contains("kid k1") && key.contains("header names kid"),
        "{key}"
    );
}

/// A failed time check says exp, now and the skew.
#[test]
fn a_failed_time_check_shows_its_numbers() {
    let s = setup();
    let (out, _) = inspect(
        &s,
        &ro(&s, |c| {
            c.insert("exp".into(), json!(now() - 3600));
        }),
    );
    let l = out
        .lines()
        .find(|l| l.contains("FAIL") && l.contains("expired"))
        .unwrap();
    assert!(l.contains("now ") && l.contains("skew"), "{l}");
}

#[test]
fn inspect_names_the_failing_check_and_exits_non_zero() {
    let s = setup();
    let (out, code) = inspect(
        &s,
        &ro(&s, |c| {
            c.insert("exp".into(), json!(now() - 3600));
            c.insert("aud".into(), json!("https://elsewhere.example"));
        }),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("FAIL") && l.contains("exp") && l.contains("expired")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.contains("FAIL") && l.contains("aud")),
        "every failing claim is listed: {out}"
    );
    assert!(out.contains("Result: REFUSED"), "{out}");
}

#[test]
fn inspect_reports_claims_of_an_unverifiable_object_as_unverified() {
    let s = setup();
    // Change one character in the middle of the signature (the last one carries padding bits).
    let token = ro(&s, |_| {});
    let at = token.rfind('.').unwrap() + 10;
    let mut bytes = token.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let token = String::from_utf8(bytes).unwrap();
    let (out, code) = inspect(&s, &token);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("FAIL") && l.contains("signature")),
        "{out}"
    );
    assert!(
        out.contains("(unverified)") && out.contains("UNVERIFIED"),
        "{out}"
    );
}

#[test]
fn inspect_refuses_garbage_with_a_format_reason() {
    let s = setup();
    let (out, code) = inspect(&s, "definitely not a jwt");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("FAIL") && l.contains("format")),
        "{out}"
    );
}

/// Issue 17: a server started with another issuer than its file says (`--issuer`, or
/// `--listen` without one) is matched by `inspect --issuer`, so `aud` is checked against the
/// issuer the server really has.
#[test]
fn inspect_checks_aud_against_the_issuer_it_is_given() {
    let s = setup();
    let other = "https://login.example.org";
    let token = ro(&s, |c| {
        c.insert("aud".into(), json!(other));
    });
    let (text, code) = inspect(&s, &token);
    assert_eq!(
        code, 1,
        "the file's issuer is not the object's aud:\n{text}"
    );
    let (text, code) = inspect_with(&s, &token, &["--issuer", other]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("at issuer {other}")), "{text}");
}
