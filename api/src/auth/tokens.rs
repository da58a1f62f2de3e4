//! Access tokens: HS256 JWTs with `iss`, `aud`, `exp`, `sub` (the user) and
//! `sid` (the session). The algorithm is pinned, the `kid` must name a known
//! key, and expiry is checked against the injectable clock.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::SigningKeys;

pub const ALGORITHM: Algorithm = Algorithm::HS256;
/// The audience of access tokens; other token kinds use other audiences, so
/// one can never stand in for another.
pub const ACCESS_AUDIENCE: &str = "gatehouse-api";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("invalid token")]
    Invalid,
    #[error("expired token")]
    Expired,
}

/// 256 random bits, base64url: OAuth `state`/`nonce`, PKCE verifiers,
/// invite and sign-up confirmation tokens.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a random secret (a token, a code, a client secret), hex:
/// what is stored and looked up instead of the secret itself.
pub fn digest(secret: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

pub fn sign<T: Serialize>(keys: &SigningKeys, typ: &str, claims: &T) -> anyhow::Result<String> {
    let mut header = Header::new(ALGORITHM);
    header.kid = Some(keys.current_kid().to_owned());
    header.typ = Some(typ.to_owned());
    Ok(jsonwebtoken::encode(&header, claims, keys.encoding())?)
}

/// Verifies signature, algorithm, `kid`, `typ`, `iss` and `aud`; returns the
/// claims and leaves `exp` to the caller's clock (see [`verify_access`]).
pub fn verify<T: for<'de> Deserialize<'de>>(
    keys: &SigningKeys,
    token: &str,
    typ: &str,
    issuer: &str,
    audience: &str,
) -> Result<T, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
    if header.alg != ALGORITHM || header.typ.as_deref() != Some(typ) {
        return Err(TokenError::Invalid);
    }
    let kid = header.kid.ok_or(TokenError::UnknownKey)?;
    let key = keys.decoding(&kid).ok_or(TokenError::UnknownKey)?;
    let mut validation = Validation::new(ALGORITHM);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // Expiry is checked by the caller against the injectable clock.
    validation.validate_exp = false;
    jsonwebtoken::decode::<T>(token, key, &validation).map(|d| d.claims).map_err(|_| TokenError::Invalid)
}

pub const ACCESS_TYP: &str = "at+jwt";

pub fn verify_access(
    keys: &SigningKeys,
    token: &str,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<AccessClaims, TokenError> {
    let claims: AccessClaims = verify(keys, token, ACCESS_TYP, issuer, ACCESS_AUDIENCE)?;
    if claims.exp <= now.timestamp() {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;

    fn keys() -> SigningKeys {
        SigningKeys::new(&[7u8; 32], &[]).unwrap()
    }

    fn claims(exp: i64) -> AccessClaims {
        AccessClaims {
            iss: "http://gh".into(),
            aud: ACCESS_AUDIENCE.into(),
            sub: "usr_1".into(),
            sid: "ses_1".into(),
            iat: 0,
            exp,
        }
    }

    #[test]
    fn round_trip_and_expiry_on_the_given_clock() {
        let k = keys();
        let t = sign(&k, ACCESS_TYP, &claims(1_000)).unwrap();
        let at = |s| DateTime::from_timestamp(s, 0).unwrap();
        assert_eq!(verify_access(&k, &t, "http://gh", at(999)).unwrap().sub, "usr_1");
        assert_eq!(verify_access(&k, &t, "http://gh", at(1_000)), Err(TokenError::Expired));
        assert_eq!(verify_access(&k, &t, "http://other", at(0)), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_tampering_and_unknown_keys_are_refused() {
        let k = keys();
        let now = DateTime::from_timestamp(0, 0).unwrap();
        let t = sign(&k, ACCESS_TYP, &claims(1_000)).unwrap();
        let parts: Vec<&str> = t.split('.').collect();

        let none_header =
            B64URL.encode(format!(r#"{{"alg":"none","typ":"{ACCESS_TYP}","kid":"{}"}}"#, k.current_kid()));
        let unsigned = format!("{none_header}.{}.", parts[1]);
        assert!(verify_access(&k, &unsigned, "http://gh", now).is_err());

        let mut evil = claims(1_000);
        evil.sub = "usr_2".into();
        let forged_payload = B64URL.encode(serde_json::to_vec(&evil).unwrap());
        let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(verify_access(&k, &tampered, "http://gh", now), Err(TokenError::Invalid));

        let other = SigningKeys::new(&[9u8; 32], &[]).unwrap();
        assert_eq!(verify_access(&other, &t, "http://gh", now), Err(TokenError::UnknownKey));
    }

    #[test]
    fn rotated_keys_still_verify() {
        let old = keys();
        let t = sign(&old, ACCESS_TYP, &claims(1_000)).unwrap();
        let rotated = SigningKeys::new(&[8u8; 32], &[vec![7u8; 32]]).unwrap();
        let now = DateTime::from_timestamp(0, 0).unwrap();
        assert!(verify_access(&rotated, &t, "http://gh", now).is_ok());
    }
}
