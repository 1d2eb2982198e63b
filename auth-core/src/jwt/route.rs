//! Issuer routes: a validator made of validators, one per issuer, the token's `iss`
//! choosing ([`JwtValidatorBuilder::route_issuer`](super::JwtValidatorBuilder::route_issuer)).

use super::{
    b64::{PAYLOAD_BUF, with_decoded},
    validator::JwtValidator,
};
use crate::error::TokenError;

impl JwtValidator {
    /// The validator for the token's issuer (itself when it has no routes). The `iss` is
    /// read before the signature is checked, only to choose among configured issuers; the
    /// chosen validator then checks everything, `iss` included.
    pub(super) fn route(&self, token: &str) -> Result<&JwtValidator, TokenError> {
        #[derive(serde::Deserialize)]
        struct Peek<'a> {
            #[serde(borrow)]
            iss: Option<std::borrow::Cow<'a, str>>,
        }
        let inner = &*self.inner;
        if inner.routes.is_empty() {
            return Ok(self);
        }
        if token.len() > inner.max_len {
            return Err(TokenError::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(_), Some(payload_b64), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        with_decoded::<PAYLOAD_BUF, _>(payload_b64, |payload| {
            let peek: Peek<'_> = serde_json::from_slice(payload).map_err(|_| TokenError::Claims)?;
            let iss = peek.iss.ok_or(TokenError::MissingClaim)?;
            inner
                .routes
                .iter()
                .find(|(i, _)| *i == iss)
                .map(|(_, v)| v)
                .ok_or(TokenError::Issuer)
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use crate::{
        error::{ConfigError, TokenError},
        jwt::{
            Algorithm, JwtValidator, NoClaims, VerifyingKey,
            validator::tests::{H, SECRET, hs256, validator},
        },
    };

    fn hs256_with(secret: &[u8], claims: &str) -> String {
        use aws_lc_rs::hmac;
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(H),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    #[test]
    fn issuer_routes_pick_the_issuers_own_policy() -> Result<(), ConfigError> {
        const OTHER: &[u8] = b"another-secret-of-enough-length!";
        let b = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, OTHER)?)
            .issuer("b")
            .audience("aud-b")
            .build()?;
        let v = JwtValidator::builder()
            .route_issuer(validator()?)
            .route_issuer(b)
            .build()?;
        let exp = crate::clock::now() + 600;
        let claims =
            |iss: &str, aud: &str| format!(r#"{{"iss":"{iss}","aud":"{aud}","exp":{exp}}}"#);
        assert!(v.verify_now(&hs256(H, &claims("iss", "aud"))).is_ok());
        assert!(
            v.verify_now(&hs256_with(OTHER, &claims("b", "aud-b")))
                .is_ok()
        );
        // Each issuer's keys and audiences only.
        assert_eq!(
            v.verify_now(&hs256_with(OTHER, &claims("iss", "aud")))
                .err(),
            Some(TokenError::Signature)
        );
        assert_eq!(
            v.verify_now(&hs256_with(OTHER, &claims("b", "aud"))).err(),
            Some(TokenError::Audience)
        );
        assert_eq!(
            v.verify_now(&hs256(H, &claims("c", "aud"))).err(),
            Some(TokenError::Issuer)
        );
        assert_eq!(
            v.verify_now(&hs256(H, &format!(r#"{{"aud":"aud","exp":{exp}}}"#)))
                .err(),
            Some(TokenError::MissingClaim)
        );
        assert_eq!(
            v.verify_now(&hs256(H, r#"{"iss":"iss","iss":"b"}"#)).err(),
            Some(TokenError::Claims)
        );
        assert_eq!(v.verify_now("a.b").err(), Some(TokenError::Malformed));
        assert!(
            v.verify_claims_now::<NoClaims>(&hs256(H, &claims("iss", "aud")))
                .is_ok()
        );
        assert!(v.verify_jws_now(&hs256(H, &claims("iss", "aud"))).is_ok());

        // Configuration errors.
        let routed =
            |extra: fn(super::super::JwtValidatorBuilder) -> super::super::JwtValidatorBuilder| {
                extra(JwtValidator::builder().route_issuer(validator().ok()?))
                    .build()
                    .err()
            };
        assert!(matches!(
            routed(|b| b.issuer("x")),
            Some(ConfigError::Routes(_))
        ));
        assert!(matches!(
            routed(|b| b.route_issuer(validator().ok().unwrap_or_else(|| unreachable!()))),
            Some(ConfigError::Routes(_))
        ));
        let no_issuer = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .build()?;
        assert!(matches!(
            JwtValidator::builder().route_issuer(no_issuer).build(),
            Err(ConfigError::Routes(_))
        ));
        Ok(())
    }

    /// Review item 7: a routing validator refuses a token policy of its own at build,
    /// rather than build and ignore it.
    #[test]
    fn review_07_a_routing_validator_refuses_a_policy_of_its_own() -> Result<(), ConfigError> {
        use std::time::Duration;

        use crate::jwt::{ClaimName, JwtValidatorBuilder};
        let settings: [fn(JwtValidatorBuilder) -> JwtValidatorBuilder; 8] = [
            |b| b.require_typ("at+jwt"),
            |b| b.leeway(Duration::ZERO),
            |b| b.algorithms([Algorithm::HS256]),
            |b| b.allow_missing_exp(),
            |b| b.require_claim(ClaimName::Jti),
            |b| b.access_token_profile(),
            |b| b.allow_nonce(),
            |b| b.cache_verified(10),
        ];
        for (i, setting) in settings.into_iter().enumerate() {
            let built = setting(JwtValidator::builder().route_issuer(validator()?)).build();
            assert!(
                matches!(&built, Err(ConfigError::Routes(r)) if r.contains("token policy")),
                "setting {i}: {built:?}"
            );
        }
        // What a router does keep is accepted.
        assert!(
            JwtValidator::builder()
                .route_issuer(validator()?)
                .realm("r")
                .max_token_len(4096)
                .cookie_origin("https://app.example")
                .build()
                .is_ok()
        );
        // The policy goes on the routed validator, where it applies.
        let strict = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .issuer("iss")
            .audience("aud")
            .require_typ("at+jwt")
            .build()?;
        let v = JwtValidator::builder().route_issuer(strict).build()?;
        let exp = crate::clock::now() + 600;
        let token = hs256(H, &format!(r#"{{"iss":"iss","aud":"aud","exp":{exp}}}"#));
        assert_eq!(v.verify_now(&token).err(), Some(TokenError::Type));
        Ok(())
    }
}
