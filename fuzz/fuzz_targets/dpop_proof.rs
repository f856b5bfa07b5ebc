//! The `dpop_proof` target of `writ_fuzzing` (crates/fuzzing) under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| writ_fuzzing::dpop::proof(data));
