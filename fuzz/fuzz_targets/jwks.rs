#![no_main]
//! `cargo fuzz run jwks`: the body is `auth_tests::fuzz::jwks`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_tests::fuzz::jwks(data));
