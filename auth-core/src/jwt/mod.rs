//! JSON Web Tokens: validation ([`JwtValidator`]), keys ([`VerifyingKey`]), claims
//! ([`Claims`]) and issuing ([`JwtIssuer`]).

mod algorithm;
mod b64;
mod builder;
mod cache;
mod claims;
mod describe;
mod dpop;
mod dpop_later;
mod guard;
mod header;
mod introspection;
mod issue;
mod json;
mod key;
mod keyset;
mod pipeline;
mod registered;
mod roles;
mod sign_outs;
mod signing;
mod validator;
mod verified;

pub use algorithm::Algorithm;
pub use builder::JwtValidatorBuilder;
pub use claims::{Claims, NoClaims};
pub use dpop::{Dpop, DpopReplayStore, jwk_thumbprint};
pub use guard::{Authorized, JwtGuard};
pub use introspection::{Introspect, Introspected};
pub use issue::JwtIssuer;
pub use key::{MAX_JWKS_KEYS, VerifyingKey, keys_from_jwks, keys_from_jwks_file};
pub use keyset::{KeySet, Refetch};
pub use registered::RegisteredClaims;
pub use roles::ClaimPath;
#[cfg(feature = "reqwest")]
pub(crate) use roles::roles_of;
pub use sign_outs::SignOuts;
pub use signing::{IssueError, SigningKey, sign_compact};
pub use validator::{ClaimName, JwtValidator};
pub use verified::VerifiedJwt;
