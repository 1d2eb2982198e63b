#![no_main]
//! `cargo fuzz run small_parsers`: the body is `auth_tests::fuzz::small_parsers`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_tests::fuzz::small_parsers(data));
