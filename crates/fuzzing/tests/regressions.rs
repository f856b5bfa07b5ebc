//! Every seed and every kept crasher of `fuzz/` replayed through its target on stable, so a
//! fixed crash stays fixed without nightly or libFuzzer (issue 16, deliverable 8).

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted, or none when the folder does not exist.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()).unwrap_or_else(|e| panic!("{e}")))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str) -> usize {
    let (_, body) = writ_fuzzing::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no target {target}"));
    let mut count = 0;
    for kind in ["seeds", "regressions"] {
        for file in inputs(kind, target) {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            body(&data);
            count += 1;
        }
    }
    count
}

#[test]
fn every_target_has_seeds() {
    for (name, _) in writ_fuzzing::TARGETS {
        assert!(
            !inputs("seeds", name).is_empty(),
            "fuzz/seeds/{name}/ is empty: a target needs at least one valid input to start from"
        );
    }
}

#[test]
fn every_target_has_a_cargo_fuzz_binary() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("fuzz/Cargo.toml: {e}"));
    for (name, _) in writ_fuzzing::TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] for {name}"
        );
        assert!(
            fuzz_dir().join(format!("fuzz_targets/{name}.rs")).is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
    }
}

/// One test per target, named after it: every seed and kept crasher holds its properties.
macro_rules! replays {
    ($($test:ident => $target:literal),* $(,)?) => {$(
        #[test]
        fn $test() {
            assert!(replay($target) > 0, "fuzz/seeds/{} is empty", $target);
        }
    )*};
}

replays! {
    jws_compact_seeds_and_regressions_hold => "jws_compact",
    jwe_compact_seeds_and_regressions_hold => "jwe_compact",
    jwk_set_seeds_and_regressions_hold => "jwk_set",
    authorize_query_seeds_and_regressions_hold => "authorize_query",
    request_object_claims_seeds_and_regressions_hold => "request_object_claims",
    dpop_proof_seeds_and_regressions_hold => "dpop_proof",
    config_seeds_and_regressions_hold => "config",
}

fn seed(target: &str, name: &str) -> Vec<u8> {
    let path = fuzz_dir().join("seeds").join(target).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fuzzer that never gets past the first refusal explores nothing: these seeds must be
/// accepted, so mutations start at the end of the pipeline.
#[test]
fn the_valid_seeds_are_accepted() {
    for name in ["plain-code-pkce", "loopback-plus-form"] {
        assert!(
            writ_fuzzing::authorize::query_accepted(&seed("authorize_query", name)),
            "authorize_query/{name} is refused"
        );
    }
    for name in ["full", "claims-and-array-aud", "minimal"] {
        assert!(
            writ_fuzzing::authorize::request_object_accepted(&seed("request_object_claims", name)),
            "request_object_claims/{name} is refused"
        );
    }
    // A fresh jti, so that the replay test of the same seeds cannot have used it first.
    for name in ["es256", "nonce", "ath", "eddsa-nonce-ath"] {
        let data = String::from_utf8_lossy(&seed("dpop_proof", name))
            .replace("\"jti\": \"j", "\"jti\": \"accepted-j");
        assert!(
            writ_fuzzing::dpop::proof_accepted(data.as_bytes()),
            "dpop_proof/{name} is refused"
        );
    }
    for name in ["full.toml", "minimal.toml", "fapi2.toml"] {
        let text = String::from_utf8(seed("config", name)).unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = writ_server::config::from_toml(&text) {
            panic!("config/{name} is refused: {e}");
        }
    }
}
