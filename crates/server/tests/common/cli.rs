//! The `writ` binary as an operator runs it: admin commands on a data directory.

use std::io::Write;
use std::process::{Command, Stdio};

/// `writ ARGS --data-dir DIR` with a clean logging environment.
pub fn writ(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_writ"));
    c.args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("WRIT_LOG")
        .env_remove("WRIT_LOG_FORMAT");
    c
}

/// Run [`writ`] with `stdin` as its standard input: (success, stdout, stderr).
pub fn run(dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = writ(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
