#![no_main]
//! `cargo fuzz run credentials`: the body is `auth_tests::fuzz::credentials`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_tests::fuzz::credentials(data));
