//! Decoding a token's segments: canonical unpadded base64url, onto the stack when the
//! segment is small. Hand-written around the `base64` crate's slice decoder because the hot
//! path must not allocate for the usual token.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::TokenError;

/// Segments are decoded into stack buffers of these sizes when they fit (the usual case:
/// a typical header, an RSA-4096 signature, a payload of a few dozen claims), and onto the
/// heap when they do not.
pub(super) const HEADER_BUF: usize = 256;
pub(super) const SIGNATURE_BUF: usize = 512;
pub(super) const PAYLOAD_BUF: usize = 1024;

/// Decode canonical unpadded base64url and hand the bytes to `f`: from a stack buffer of
/// `N` bytes when they fit, from the heap when they do not.
pub(super) fn with_decoded<const N: usize, T>(
    b64: &str,
    f: impl FnOnce(&[u8]) -> Result<T, TokenError>,
) -> Result<T, TokenError> {
    if base64::decoded_len_estimate(b64.len()) <= N {
        let mut buf = [0u8; N];
        let len = URL_SAFE_NO_PAD
            .decode_slice(b64, &mut buf)
            .map_err(|_| TokenError::Base64)?;
        f(&buf[..len])
    } else {
        let bytes = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| TokenError::Base64)?;
        f(&bytes)
    }
}
