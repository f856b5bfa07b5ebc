//! Envelope encryption of the stored private keys (issue 16, finding 5): with `[keys] kek`
//! every private key is stored sealed under it; a node given the wrong key, or none, refuses
//! to start; turning the KEK on and rotating it re-seal what is stored. Driven through the
//! `writ` binary, as an operator would, on a real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::Connection;
use std::path::Path;
use std::process::{Command, Output};

const KEK_A: &str = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
const KEK_B: &str = "ERERERERERERERERERERERERERERERERERERERERERE=";

/// `writ keys <args>` on the data directory `dir`, with `env` set.
fn writ(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_writ"));
    cmd.arg("keys").args(args).arg("--data-dir").arg(dir);
    cmd.env_remove("WRIT_KEYS__KEK")
        .env_remove("WRIT_KEYS__PREVIOUS_KEK");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "accepted: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `(kid, private part)` of every stored key, read from the SQLite file itself.
async fn stored(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let url = format!("sqlite://{}?mode=ro", dir.join("writ.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query_as("SELECT kid, private_pkcs8 FROM server_keys ORDER BY kid")
        .fetch_all(&mut db)
        .await
        .unwrap()
}

fn sealed(row: &[u8]) -> bool {
    row.starts_with(b"WRITKEK1")
}

#[tokio::test]
async fn with_a_kek_no_private_key_is_stored_in_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    ok(&writ(dir.path(), &["list"], &[("WRIT_KEYS__KEK", KEK_A)]));
    ok(&writ(
        dir.path(),
        &["rotate", "--use", "sig"],
        &[("WRIT_KEYS__KEK", KEK_A)],
    ));
    ok(&writ(
        dir.path(),
        &["rotate", "--use", "enc"],
        &[("WRIT_KEYS__KEK", KEK_A)],
    ));
    let rows = stored(dir.path()).await;
    assert!(rows.len() >= 14, "{}", rows.len());
    for (kid, private) in &rows {
        assert!(sealed(private), "key {kid} is stored in plaintext");
    }
    // The same KEK from a file works too, and reads the same keys.
    let file = dir.path().join("kek");
    std::fs::write(&file, format!("{KEK_A}\n")).unwrap();
    let toml = dir.path().join("writ.toml");
    std::fs::write(
        &toml,
        format!("[keys]\nkek_file = {:?}\n", file.display().to_string()),
    )
    .unwrap();
    let listed = ok(&writ(
        dir.path(),
        &["list", "--config", toml.to_str().unwrap()],
        &[],
    ));
    assert_eq!(listed.lines().count(), rows.len() + 1, "{listed}");
}

#[tokio::test]
async fn a_wrong_kek_or_none_refuses_to_start_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    ok(&writ(dir.path(), &["list"], &[("WRIT_KEYS__KEK", KEK_A)]));
    let before = stored(dir.path()).await;

    let wrong = refused(&writ(dir.path(), &["rotate"], &[("WRIT_KEYS__KEK", KEK_B)]));
    assert!(wrong.contains("wrong key"), "{wrong}");
    assert!(!wrong.contains(KEK_A) && !wrong.contains(KEK_B), "{wrong}");
    let none = refused(&writ(dir.path(), &["rotate"], &[]));
    assert!(
        none.contains("no key-encryption key is configured"),
        "{none}"
    );
    assert_eq!(
        stored(dir.path()).await,
        before,
        "a refused command wrote keys"
    );

    // `writ serve` refuses too, before it listens.
    let serve = Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("WRIT_KEYS__KEK")
        .env("WRIT_KEYS__KEK", KEK_B)
        .output()
        .unwrap();
    let stderr = refused(&serve);
    assert!(stderr.contains("wrong key"), "{stderr}");
}

#[tokio::test]
async fn turning_the_kek_on_seals_the_keys_already_stored() {
    let dir = tempfile::tempdir().unwrap();
    let plain_list = ok(&writ(dir.path(), &["list"], &[]));
    let before = stored(dir.path()).await;
    assert!(before.iter().all(|(_, p)| !sealed(p)));
    let sealed_list = ok(&writ(dir.path(), &["list"], &[("WRIT_KEYS__KEK", KEK_A)]));
    assert_eq!(plain_list, sealed_list, "the same keys, now sealed");
    let after = stored(dir.path()).await;
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|(_, p)| sealed(p)));
}

#[tokio::test]
async fn a_kek_rotation_reseals_under_the_new_key_with_the_old_as_previous() {
    let dir = tempfile::tempdir().unwrap();
    ok(&writ(dir.path(), &["list"], &[("WRIT_KEYS__KEK", KEK_A)]));
    let under_a = stored(dir.path()).await;
    // Without the previous key the new one alone cannot read them.
    refused(&writ(dir.path(), &["list"], &[("WRIT_KEYS__KEK", KEK_B)]));
    ok(&writ(
        dir.path(),
        &["list"],
        &[
            ("WRIT_KEYS__KEK", KEK_B),
            ("WRIT_KEYS__PREVIOUS_KEK", KEK_A),
        ],
    ));
    let under_b = stored(dir.path()).await;
    assert_eq!(under_a.len(), under_b.len());
    for ((kid_a, a), (kid_b, b)) in under_a.iter().zip(&under_b) {
        assert_eq!(kid_a, kid_b);
        assert_ne!(a, b, "key {kid_a} was not re-sealed");
    }
    // The rotation is complete: the new key alone reads them, the old one no longer does.
    ok(&writ(dir.path(), &["list"], &[("WRIT_KEYS__KEK", KEK_B)]));
    let old = refused(&writ(dir.path(), &["list"], &[("WRIT_KEYS__KEK", KEK_A)]));
    assert!(old.contains("wrong key"), "{old}");
}

#[tokio::test]
async fn a_malformed_kek_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let short = refused(&writ(
        dir.path(),
        &["list"],
        &[("WRIT_KEYS__KEK", "c2hvcnQ=")],
    ));
    assert!(
        short.contains("keys.kek") && short.contains("32 bytes"),
        "{short}"
    );
    let toml = dir.path().join("writ.toml");
    std::fs::write(&toml, "[keys]\nkek_file = \"/nonexistent/kek\"\n").unwrap();
    let missing = refused(&writ(
        dir.path(),
        &["list", "--config", toml.to_str().unwrap()],
        &[],
    ));
    assert!(
        missing.contains("keys.kek_file: cannot read /nonexistent/kek"),
        "{missing}"
    );
    let config = |text: String| {
        std::fs::write(&toml, text).unwrap();
        refused(&writ(
            dir.path(),
            &["list", "--config", toml.to_str().unwrap()],
            &[],
        ))
    };
    // A device or a large file named by mistake is refused after 1 KiB, not read to its end.
    let endless = config("[keys]\nkek_file = \"/dev/zero\"\n".into());
    assert!(
        endless.contains("keys.kek_file: /dev/zero is over 1024 bytes"),
        "{endless}"
    );
    let garbled = dir.path().join("garbled");
    std::fs::write(&garbled, "not a key\n").unwrap();
    let bad = config(format!(
        "[keys]\nkek_file = {:?}\n",
        garbled.display().to_string()
    ));
    assert!(bad.contains("keys.kek_file: not base64"), "{bad}");
    assert!(!dir.path().join("writ.db").exists() || stored(dir.path()).await.is_empty());
}
