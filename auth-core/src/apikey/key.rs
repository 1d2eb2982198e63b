//! The API key itself: `<prefix>_<body><checksum>`, recognisable offline.
//!
//! - `prefix`: lowercase ASCII letters, digits and `_` (such as `demo` or `acme_live`), 1 to
//!   32 characters, chosen by the deployment; scanners and guards recognise keys by it.
//! - `body`: 30 base62 characters from the OS random number generator (178 bits).
//! - `checksum`: 6 base62 characters of the CRC32 of `<prefix>_<body>`, the shape GitHub's
//!   tokens use, so a typo or garbage is refused before any store is consulted.

use std::fmt;

use aws_lc_rs::rand;

/// Characters of the random body: 30 base62 characters carry 178 bits.
pub const BODY_LEN: usize = 30;
/// Characters of the checksum: base62 of a CRC32 (62^6 > 2^32).
pub const CHECKSUM_LEN: usize = 6;
/// The longest accepted prefix.
pub const MAX_PREFIX_LEN: usize = 32;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a string is not a well-formed API key. The caller gets one answer for all of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFormatError {
    /// No `_` separating prefix and body, or a part of the wrong length or alphabet.
    #[error("the key does not have the shape <prefix>_<body><checksum>")]
    Shape,
    /// The checksum does not match: a typo or garbage.
    #[error("the key checksum does not match")]
    Checksum,
}

/// A plaintext API key: a secret.
///
/// # Security
///
/// `Debug` and `Display` show only the prefix and the first four characters of the body;
/// there is no `PartialEq` (compare hashes, in constant time). The full key is available
/// only through [`expose_secret`](ApiKeySecret::expose_secret), for showing it once at creation.
///
/// ```
/// use auth_core::apikey::ApiKeySecret;
/// let key = ApiKeySecret::generate("demo")?;
/// let text = key.expose_secret().to_owned();
/// assert!(text.starts_with("demo_"));
/// assert!(ApiKeySecret::parse(&text).is_ok());
/// assert!(!format!("{key:?}").contains(&text[9..]));
/// # Ok::<(), auth_core::apikey::KeyFormatError>(())
/// ```
pub struct ApiKeySecret {
    text: String,
    prefix_len: usize,
}

fn is_prefix(prefix: &str) -> bool {
    (1..=MAX_PREFIX_LEN).contains(&prefix.len())
        && !prefix.starts_with('_')
        && !prefix.ends_with('_')
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Base62 of a CRC32, fixed width.
fn checksum(prefix_and_body: &str) -> [u8; CHECKSUM_LEN] {
    let mut n = crc32fast::hash(prefix_and_body.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

impl ApiKeySecret {
    /// A fresh key with `prefix`, its body from the OS random number generator.
    ///
    /// # Errors
    ///
    /// [`KeyFormatError`] when `prefix` is not 1 to 32 lowercase letters, digits and `_`.
    pub fn generate(prefix: &str) -> Result<ApiKeySecret, KeyFormatError> {
        if !is_prefix(prefix) {
            return Err(KeyFormatError::Shape);
        }
        let mut body = String::with_capacity(BODY_LEN);
        while body.len() < BODY_LEN {
            let mut bytes = [0u8; 64];
            rand::fill(&mut bytes).map_err(|_| KeyFormatError::Shape)?;
            // Rejection sampling keeps every character uniform: 248 = 4 × 62.
            for b in bytes.into_iter().filter(|&b| b < 248) {
                if body.len() == BODY_LEN {
                    break;
                }
                body.push(BASE62[(b % 62) as usize] as char);
            }
        }
        let mut text = format!("{prefix}_{body}");
        let sum = checksum(&text);
        text.extend(sum.iter().map(|&b| b as char));
        Ok(ApiKeySecret {
            text,
            prefix_len: prefix.len(),
        })
    }

    /// Check the shape and checksum of `text`: cheap, no store involved.
    ///
    /// # Errors
    ///
    /// [`KeyFormatError`] for a prefix, body, length or checksum that is not a key's.
    pub fn parse(text: &str) -> Result<ApiKeySecret, KeyFormatError> {
        let prefix_len = check_format(text)?;
        Ok(ApiKeySecret {
            text: text.to_owned(),
            prefix_len,
        })
    }

    /// The prefix (not secret).
    pub fn prefix(&self) -> &str {
        &self.text[..self.prefix_len]
    }

    /// The whole key. Show it once, at creation; never log it.
    pub fn expose_secret(&self) -> &str {
        &self.text
    }

    /// The non-secret start of the key (`prefix_` and four characters), for lists and logs.
    pub fn start(&self) -> &str {
        &self.text[..self.prefix_len + 5]
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.start())
    }
}

impl fmt::Display for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}…", self.start())
    }
}

/// Check the shape and checksum of `text` without copying it; the prefix length on success.
pub(crate) fn check_format(text: &str) -> Result<usize, KeyFormatError> {
    // Keys are ASCII; checking first also makes every byte offset below a char boundary.
    if text.len() < BODY_LEN + CHECKSUM_LEN + 2 || !text.is_ascii() {
        return Err(KeyFormatError::Shape);
    }
    let (head, rest) = text.split_at(text.len() - BODY_LEN - CHECKSUM_LEN);
    let prefix = head.strip_suffix('_').ok_or(KeyFormatError::Shape)?;
    if !is_prefix(prefix) || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(KeyFormatError::Shape);
    }
    let (signed, sum) = text.split_at(text.len() - CHECKSUM_LEN);
    // The checksum is no secret (anyone can compute a CRC): a plain comparison, of the
    // decoded number (six multiply-adds) rather than the encoded text (six divisions).
    if decode_base62(sum.as_bytes()) != Some(u64::from(crc32fast::hash(signed.as_bytes()))) {
        return Err(KeyFormatError::Checksum);
    }
    Ok(prefix.len())
}

/// The value of a base62 numeral (the alphabet of [`BASE62`]).
fn decode_base62(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            b'a'..=b'z' => c - b'a' + 36,
            _ => return None,
        };
        acc.checked_mul(62)?.checked_add(u64::from(d))
    })
}

/// A random public identifier (`k_` and 16 base62 characters), for key ids.
pub(crate) fn random_id(tag: &str) -> String {
    let mut id = String::with_capacity(tag.len() + 17);
    id.push_str(tag);
    id.push('_');
    let mut filled = 0;
    while filled < 16 {
        let mut bytes = [0u8; 32];
        if rand::fill(&mut bytes).is_err() {
            continue;
        }
        for b in bytes.into_iter().filter(|&b| b < 248).take(16 - filled) {
            id.push(BASE62[(b % 62) as usize] as char);
            filled += 1;
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let a = ApiKeySecret::generate("acme_live").map_err(|e| e.to_string());
        let b = ApiKeySecret::generate("acme_live").map_err(|e| e.to_string());
        let (a, b) = (
            a.unwrap_or_else(|e| panic!("{e}")),
            b.unwrap_or_else(|e| panic!("{e}")),
        );
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(a.prefix(), "acme_live");
        assert_eq!(
            a.expose_secret().len(),
            "acme_live_".len() + BODY_LEN + CHECKSUM_LEN
        );
        assert!(ApiKeySecret::parse(a.expose_secret()).is_ok());
    }

    #[test]
    fn one_changed_character_fails_the_checksum() {
        let key = ApiKeySecret::generate("demo").map(|k| k.expose_secret().to_owned());
        let key = key.unwrap_or_default();
        let mut typo = key.clone().into_bytes();
        let i = 10;
        typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(typo).unwrap_or_default();
        assert_eq!(
            ApiKeySecret::parse(&typo).err(),
            Some(KeyFormatError::Checksum)
        );
    }

    #[test]
    fn shapes_are_checked() {
        for bad in [
            "",
            "nounderscore",
            "demo_short",
            "Demo_0123456789012345678901234567890123456",
            "_demo_012345678901234567890123456789012345",
            "demo_01234567890123456789012345678901234!",
            "demo_0123456789012345678901234567890123456",
            "é}=_é=Z{==\t😀\\=\t}😀}\\-=+0\\%a}",
            "demo_éééééééééééééééééééééééééééééééééé",
        ] {
            assert_eq!(
                ApiKeySecret::parse(bad).err(),
                Some(KeyFormatError::Shape),
                "{bad}"
            );
        }
        assert!(ApiKeySecret::generate("Bad Prefix").is_err());
        assert!(ApiKeySecret::generate("").is_err());
    }

    #[test]
    fn debug_and_display_hide_the_body() {
        let key = ApiKeySecret::generate("demo").map_err(|e| e.to_string());
        let key = key.unwrap_or_else(|e| panic!("{e}"));
        let secret_part = &key.expose_secret()[10..];
        assert!(!format!("{key:?}").contains(secret_part));
        assert!(!format!("{key}").contains(secret_part));
        assert!(format!("{key}").starts_with("demo_"));
    }

    #[test]
    fn base62_checksum_round_trips() {
        for text in ["", "demo_x", "acme_live_0123456789"] {
            let sum = checksum(text);
            assert_eq!(
                decode_base62(&sum),
                Some(u64::from(crc32fast::hash(text.as_bytes())))
            );
        }
        assert_eq!(decode_base62(b"-"), None);
    }

    #[test]
    fn ids_look_right() {
        let id = random_id("k");
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("k_"));
    }
}
