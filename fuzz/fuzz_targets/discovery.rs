#![no_main]
//! `cargo fuzz run discovery`: the body is `auth_tests::fuzz::discovery`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_tests::fuzz::discovery(data));
