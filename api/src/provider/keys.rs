//! The OpenID Provider's signing keys: ID tokens and logout tokens are
//! signed with an asymmetric key the applications verify from the JWKS
//! (`/oauth2/jwks`). RS256 (RSA 2048) by default, ES256 (P-256) on request.
//!
//! In production the operator configures the key (`oidc_signing_key`, PEM
//! PKCS#8); for development one is generated into
//! `{data_dir}/oidc-signing-key.pem` (mode 0600) on first use. Rotation:
//! move the current key to `oidc_previous_signing_keys` and configure a new
//! one — the JWKS keeps publishing the previous public keys, so tokens signed
//! before the rotation still verify until they expire. Each key's `kid` is
//! its RFC 7638 thumbprint, so it names the key, not a setting.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// The file a development key is generated into.
pub const KEY_FILE: &str = "oidc-signing-key.pem";

/// Which algorithm signs ID tokens (`oidc_signing_algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SigningAlgorithm {
    #[default]
    RS256,
    ES256,
}

impl SigningAlgorithm {
    pub fn jwt(self) -> Algorithm {
        match self {
            SigningAlgorithm::RS256 => Algorithm::RS256,
            SigningAlgorithm::ES256 => Algorithm::ES256,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::ES256 => "ES256",
        }
    }
}

/// One private key and what is published of it.
struct Key {
    algorithm: SigningAlgorithm,
    encoding: EncodingKey,
    public: Jwk,
}

/// The current key signs; every key's public part is in the JWKS.
pub struct ProviderKeys {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for ProviderKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderKeys").field("kid", &self.kid()).finish_non_exhaustive()
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// A new private key, PEM (PKCS#8).
pub fn generate(algorithm: SigningAlgorithm) -> anyhow::Result<String> {
    use aws_lc_rs::encoding::AsDer;
    let der = match algorithm {
        SigningAlgorithm::RS256 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|_| anyhow::anyhow!("generating an RSA key failed"))?;
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> =
                pair.as_der().map_err(|_| anyhow::anyhow!("encoding the RSA key failed"))?;
            der.as_ref().to_vec()
        }
        SigningAlgorithm::ES256 => {
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let doc = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
                &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &rng,
            )
            .map_err(|_| anyhow::anyhow!("generating an EC key failed"))?;
            doc.as_ref().to_vec()
        }
    };
    Ok(pem("PRIVATE KEY", &der))
}

fn key(pem: &str) -> anyhow::Result<Key> {
    // The PEM says which kind of key it is; try RSA first, then P-256.
    let (algorithm, encoding) = match EncodingKey::from_rsa_pem(pem.as_bytes()) {
        Ok(k) => (SigningAlgorithm::RS256, k),
        Err(_) => (
            SigningAlgorithm::ES256,
            EncodingKey::from_ec_pem(pem.as_bytes())
                .context("not a PEM RSA or P-256 private key (PKCS#8 or PKCS#1)")?,
        ),
    };
    let mut public = Jwk::from_encoding_key(&encoding, algorithm.jwt()).context("reading the public key")?;
    if let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = &public.algorithm {
        let bits = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&rsa.n).map(|n| n.len() * 8).unwrap_or(0);
        if bits < 2048 {
            bail!("an RSA signing key must have at least 2048 bits");
        }
    }
    public.common.public_key_use = Some(PublicKeyUse::Signature);
    public.common.key_id = Some(public.thumbprint(ThumbprintHash::SHA256));
    Ok(Key { algorithm, encoding, public })
}

impl ProviderKeys {
    /// `current` signs; `previous` are only published.
    pub fn new(current: &str, previous: &[String]) -> anyhow::Result<Self> {
        let current = key(current).context("oidc_signing_key")?;
        let previous = previous
            .iter()
            .map(|p| key(p).context("an oidc_previous_signing_keys entry"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { current, previous })
    }

    /// From settings, or else the development key file in the data folder,
    /// generated on first use (mode 0600) with `algorithm`.
    pub fn load(
        configured: Option<&str>,
        previous: &[String],
        algorithm: SigningAlgorithm,
        data_dir: &Path,
    ) -> anyhow::Result<Self> {
        let current = match configured {
            Some(pem) => pem.to_owned(),
            None => load_or_create(&data_dir.join(KEY_FILE), algorithm)?,
        };
        Self::new(&current, previous)
    }

    /// The signing key's id (its JWK thumbprint).
    pub fn kid(&self) -> &str {
        self.current.public.common.key_id.as_deref().unwrap_or_default()
    }

    pub fn algorithm(&self) -> SigningAlgorithm {
        self.current.algorithm
    }

    /// Every algorithm a published key uses (for the discovery document).
    pub fn algorithms(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for k in std::iter::once(&self.current).chain(&self.previous) {
            if !names.contains(&k.algorithm.name()) {
                names.push(k.algorithm.name());
            }
        }
        names
    }

    /// The public keys: the current one first.
    pub fn jwks(&self) -> JwkSet {
        JwkSet { keys: std::iter::once(&self.current).chain(&self.previous).map(|k| k.public.clone()).collect() }
    }

    /// Signs `claims` as a JWT of type `typ` (`JWT`, `logout+jwt`).
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> anyhow::Result<String> {
        let mut header = Header::new(self.current.algorithm.jwt());
        header.kid = Some(self.kid().to_owned());
        header.typ = Some(typ.to_owned());
        Ok(jsonwebtoken::encode(&header, claims, &self.current.encoding)?)
    }
}

impl ProviderKeys {
    /// The claims of a JWT one of these keys signed (current or previous),
    /// of type `typ`, issued by `issuer` for `audience`, unexpired at `now`
    /// (seconds). `None` for anything else.
    pub fn verify<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        typ: &str,
        issuer: &str,
        audience: &str,
        now: i64,
    ) -> Option<T> {
        self.verify_with(token, typ, issuer, Some(audience), Some(now))
    }

    /// An ID token this provider issued, for any audience, expired or not
    /// (an `id_token_hint`): its claims.
    pub fn verify_hint(&self, token: &str, issuer: &str) -> Option<serde_json::Value> {
        self.verify_with(token, "JWT", issuer, None, None)
    }

    fn verify_with<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        typ: &str,
        issuer: &str,
        audience: Option<&str>,
        now: Option<i64>,
    ) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.typ.as_deref() != Some(typ) {
            return None;
        }
        let kid = header.kid?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.public.common.key_id.as_deref() == Some(kid.as_str()))?;
        if header.alg != key.algorithm.jwt() {
            return None;
        }
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&key.public).ok()?;
        let mut validation = jsonwebtoken::Validation::new(key.algorithm.jwt());
        validation.set_issuer(&[issuer]);
        match audience {
            Some(a) => validation.set_audience(&[a]),
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry against the injectable clock, below.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &decoding, &validation).ok()?;
        if let Some(now) = now
            && data.claims.get("exp").and_then(serde_json::Value::as_i64)? <= now
        {
            return None;
        }
        serde_json::from_value(data.claims).ok()
    }
}

fn load_or_create(path: &Path, algorithm: SigningAlgorithm) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let pem = generate(algorithm)?;
    match crate::auth::keys::create_private(path, pem.as_bytes()) {
        Ok(()) => {
            tracing::info!(path = %path.display(), algorithm = algorithm.name(), "generated a development OpenID signing key");
            Ok(pem)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(std::fs::read_to_string(path)?),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Claims {
        sub: String,
        exp: i64,
    }

    fn round_trip(keys: &ProviderKeys, published: usize) {
        let claims = Claims { sub: "usr_1".into(), exp: 4_000_000_000 };
        let token = keys.sign("JWT", &claims).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(keys.kid()));
        let jwks = keys.jwks();
        assert_eq!(jwks.keys.len(), published);
        let jwk = jwks.find(keys.kid()).unwrap();
        let mut validation = Validation::new(keys.algorithm().jwt());
        validation.required_spec_claims.clear();
        let decoded =
            jsonwebtoken::decode::<Claims>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap();
        assert_eq!(decoded.claims, claims);
    }

    #[test]
    fn generated_keys_sign_and_verify_from_the_published_jwk() {
        for algorithm in [SigningAlgorithm::RS256, SigningAlgorithm::ES256] {
            let keys = ProviderKeys::new(&generate(algorithm).unwrap(), &[]).unwrap();
            assert_eq!(keys.algorithm(), algorithm);
            round_trip(&keys, 1);
        }
    }

    #[test]
    fn after_a_rotation_the_previous_public_key_is_still_published() {
        let old = generate(SigningAlgorithm::RS256).unwrap();
        let before = ProviderKeys::new(&old, &[]).unwrap();
        let after = ProviderKeys::new(&generate(SigningAlgorithm::ES256).unwrap(), &[old]).unwrap();
        assert_ne!(before.kid(), after.kid());
        round_trip(&after, 2);
        assert!(after.jwks().find(before.kid()).is_some());
        assert_eq!(after.algorithms(), ["ES256", "RS256"]);
    }

    #[test]
    fn private_parts_never_reach_the_jwks() {
        let keys = ProviderKeys::new(&generate(SigningAlgorithm::RS256).unwrap(), &[]).unwrap();
        let json = serde_json::to_value(keys.jwks()).unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(json["keys"][0].get(private).is_none(), "{json}");
        }
        assert_eq!(json["keys"][0]["use"], "sig");
        assert_eq!(json["keys"][0]["alg"], "RS256");
    }

    #[test]
    fn a_development_key_is_generated_once_into_the_data_folder_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let first = ProviderKeys::load(None, &[], SigningAlgorithm::ES256, dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // The next start (or another process) uses the same key.
        let again = ProviderKeys::load(None, &[], SigningAlgorithm::RS256, dir.path()).unwrap();
        assert_eq!(again.kid(), first.kid());
        assert_eq!(again.algorithm(), SigningAlgorithm::ES256);
        // A configured key wins over the file.
        let configured = generate(SigningAlgorithm::RS256).unwrap();
        let set = ProviderKeys::load(Some(&configured), &[], SigningAlgorithm::ES256, dir.path()).unwrap();
        assert_ne!(set.kid(), first.kid());
        assert_eq!(set.algorithm(), SigningAlgorithm::RS256);
    }

    #[test]
    fn garbage_is_refused_with_the_setting_named() {
        let err = ProviderKeys::new("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &[]).unwrap_err();
        assert!(format!("{err:#}").contains("oidc_signing_key"), "{err:#}");
    }
}
