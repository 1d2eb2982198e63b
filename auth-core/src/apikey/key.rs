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

fn is_prefix(prefix: &[u8]) -> bool {
    (1..=MAX_PREFIX_LEN).contains(&prefix.len())
        && prefix.first() != Some(&b'_')
        && prefix.last() != Some(&b'_')
        && prefix
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The value of each base62 character, and `NOT_BASE62` for every other byte (non-ASCII
/// bytes included): one lookup per character both checks the alphabet and decodes.
const BASE62_VALUE: [u8; 256] = {
    let mut table = [NOT_BASE62; 256];
    let mut i = 0;
    while i < BASE62.len() {
        table[BASE62[i] as usize] = i as u8;
        i += 1;
    }
    table
};
const NOT_BASE62: u8 = 0xFF;

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
        if !is_prefix(prefix.as_bytes()) {
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
        let prefix_len = check_format(text.as_bytes())?;
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
/// A key that passes is ASCII (so any byte offset in it is a `str` boundary).
///
/// This runs on every API-key request before the hash: one pass over the body with a table
/// lookup per character (no UTF-8 decoding: the alphabet check refuses every non-ASCII byte).
pub(crate) fn check_format(text: &[u8]) -> Result<usize, KeyFormatError> {
    let prefix_len = text
        .len()
        .checked_sub(1 + BODY_LEN + CHECKSUM_LEN)
        .ok_or(KeyFormatError::Shape)?;
    let (prefix, rest) = text.split_at(prefix_len);
    let (body, sum) = rest
        .get(1..)
        .ok_or(KeyFormatError::Shape)?
        .split_at(BODY_LEN);
    // Every valid value is below 64: or-ing them all shows any `NOT_BASE62` at the end,
    // without a branch per character.
    let body_ok = body
        .iter()
        .fold(0, |acc, &b| acc | BASE62_VALUE[usize::from(b)])
        < 64;
    if rest.first() != Some(&b'_') || !is_prefix(prefix) || !body_ok {
        return Err(KeyFormatError::Shape);
    }
    let mut checksum = 0u64;
    for &c in sum {
        let digit = BASE62_VALUE[usize::from(c)];
        if digit == NOT_BASE62 {
            return Err(KeyFormatError::Shape);
        }
        // Six digits: at most 62^6 < 2^36, no overflow.
        checksum = checksum * 62 + u64::from(digit);
    }
    // The checksum is no secret (anyone can compute a CRC): a plain comparison, of the
    // decoded number rather than the encoded text (six divisions).
    let signed = &text[..text.len() - CHECKSUM_LEN];
    if checksum != u64::from(crc32fast::hash(signed)) {
        return Err(KeyFormatError::Checksum);
    }
    Ok(prefix_len)
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
            let decoded = checksum(text).iter().fold(0u64, |n, &c| {
                n * 62 + u64::from(BASE62_VALUE[usize::from(c)])
            });
            assert_eq!(decoded, u64::from(crc32fast::hash(text.as_bytes())));
        }
        for b in 0..=255u8 {
            let value = BASE62_VALUE[usize::from(b)];
            match BASE62.iter().position(|&c| c == b) {
                Some(i) => assert_eq!(usize::from(value), i),
                None => assert_eq!(value, NOT_BASE62, "byte {b}"),
            }
        }
    }

    #[test]
    fn non_ascii_and_misplaced_separators_are_shape_errors() {
        let key = ApiKeySecret::generate("demo").map(|k| k.expose_secret().to_owned());
        let key = key.unwrap_or_default();
        assert_eq!(check_format(key.as_bytes()), Ok(4));
        let mut bytes = key.clone().into_bytes();
        bytes[12] = 0xC3; // a UTF-8 lead byte inside the body
        assert_eq!(check_format(&bytes), Err(KeyFormatError::Shape));
        let mut bytes = key.clone().into_bytes();
        bytes[4] = b'x'; // no separator
        assert_eq!(check_format(&bytes), Err(KeyFormatError::Shape));
        let mut bytes = key.into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = b'-'; // the checksum's alphabet
        assert_eq!(check_format(&bytes), Err(KeyFormatError::Shape));
        assert_eq!(check_format(b"_"), Err(KeyFormatError::Shape));
        assert_eq!(check_format(b""), Err(KeyFormatError::Shape));
    }

    #[test]
    fn ids_look_right() {
        let id = random_id("k");
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("k_"));
    }
}
