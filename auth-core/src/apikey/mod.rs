//! API keys: a format recognisable offline, hashed storage, scoped, expiring, revocable.
//!
//! - [`ApiKeySecret`]: `<prefix>_<body><checksum>`, generated from the OS RNG, parsed with its
//!   checksum before anything else.
//! - [`KeyHasher`], [`KeyHash`]: what is stored (SHA-256, or HMAC-SHA256 with a pepper).
//! - [`ApiKeyRecord`]: id, name, prefix, hash, scopes, created, expires, revoked.
//! - [`ApiKeyStore`]: lookups by hash; [`MemoryStore`] and [`FileStore`] (the JSON file
//!   the `auth-keys` tool writes, reloaded on change).
//! - [`ApiKeyValidator`], [`ApiKeyGuard`]: what the adapters' extractors and guards call.

mod builder;
mod file;
mod guard;
mod hash;
mod key;
mod mint;
mod record;
mod store;
mod validator;

pub use builder::ApiKeyValidatorBuilder;
pub use file::{FileStore, KeyFile};
pub use guard::ApiKeyGuard;
pub use hash::{KeyHash, KeyHasher};
pub use key::{ApiKeySecret, BODY_LEN, CHECKSUM_LEN, KeyFormatError, MAX_PREFIX_LEN};
pub use mint::{MintError, mint};
pub use record::ApiKeyRecord;
pub use store::{ApiKeyStore, MemoryStore, StoreError, StoredKey};
pub use validator::{ApiKeyValidator, VerifiedKey};
