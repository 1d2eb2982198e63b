//! A DPoP client for tests (RFC 9449): a key pair, and proofs made with it, well-formed or
//! deliberately broken.

use auth_core::{
    jwt::{Algorithm, SigningKey, jwk_thumbprint, sign_compact},
    test_util::b64url,
};
use serde_json::{Map, Value, json};

/// A client's DPoP key.
#[derive(Debug)]
pub struct DpopKey {
    /// The private key.
    pub key: SigningKey,
    /// Its public JWK.
    pub jwk: Map<String, Value>,
}

impl DpopKey {
    /// A fresh key for `alg`.
    pub fn new(alg: Algorithm) -> DpopKey {
        let key = SigningKey::generate(alg).expect("key");
        let Some(Value::Object(mut jwk)) = key.public_jwk() else {
            panic!("no public JWK");
        };
        // Only the key members: `use` and `kid` are not needed in a proof.
        jwk.remove("use");
        jwk.remove("kid");
        DpopKey { key, jwk }
    }

    /// The RFC 7638 thumbprint: what a bound token's `cnf.jkt` holds.
    pub fn thumbprint(&self) -> String {
        jwk_thumbprint(&self.jwk).expect("thumbprint")
    }

    /// A proof for `method` `url`, for `access_token` when given (`ath`), issued now.
    pub fn proof(&self, method: &str, url: &str, access_token: Option<&str>) -> String {
        let mut claims = json!({
            "jti": b64url(rand_bytes()),
            "htm": method,
            "htu": url,
            "iat": auth_core::test_util::now(),
        });
        if let Some(token) = access_token {
            claims["ath"] = json!(ath(token));
        }
        self.sign(&self.header(), &claims)
    }

    /// The proof header: `typ`, `alg`, and the public `jwk`.
    pub fn header(&self) -> Value {
        json!({ "typ": "dpop+jwt", "alg": self.key.algorithm().as_str(), "jwk": self.jwk })
    }

    /// Sign `header` and `claims` as they are (for broken proofs).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        sign_compact(
            header.to_string().as_bytes(),
            claims.to_string().as_bytes(),
            &self.key,
        )
        .expect("sign")
    }
}

/// base64url(SHA-256(token)): a proof's `ath`.
pub fn ath(token: &str) -> String {
    b64url(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()).as_ref())
}

fn rand_bytes() -> [u8; 16] {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).expect("randomness");
    b
}
