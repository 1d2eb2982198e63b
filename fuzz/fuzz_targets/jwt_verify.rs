#![no_main]
//! `cargo fuzz run jwt_verify`: the body is `auth_tests::fuzz::jwt_verify`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_tests::fuzz::jwt_verify(data));
