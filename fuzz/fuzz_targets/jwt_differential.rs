#![no_main]
//! `cargo fuzz run jwt_differential`: the body is `auth_tests::fuzz::jwt_differential`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_tests::fuzz::jwt_differential(data));
