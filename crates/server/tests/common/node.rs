//! The npm side of the interop and browser tests: `interop/node`, its locked dependencies
//! installed once per test run. Without Node.js and npm these tests FAIL; they never skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// `interop/node`.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/node")
}

/// `npm ci --prefix interop/node` once per test run, when `node_modules/{package}` is missing.
pub fn ensure_installed(package: &str) {
    static READY: Mutex<bool> = Mutex::new(false);
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    if *ready {
        return;
    }
    let dir = dir();
    if !dir
        .join("node_modules")
        .join(package)
        .join("package.json")
        .exists()
    {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "interop/node/node_modules lacks {package} and `npm` could not be run ({e}): \
                     install Node.js and npm, then `npm ci --prefix interop/node`"
                )
            });
        assert!(
            out.status.success(),
            "`npm ci --prefix interop/node` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    *ready = true;
}
