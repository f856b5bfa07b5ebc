//! The `jwe_compact` target of `writ_fuzzing` (crates/fuzzing) under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| writ_fuzzing::jose::jwe_compact(data));
