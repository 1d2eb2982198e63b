#![no_main]
//! `cargo fuzz run flow_cookie`: the body is `auth_tests::fuzz::flow_cookie`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_tests::fuzz::flow_cookie(data));
