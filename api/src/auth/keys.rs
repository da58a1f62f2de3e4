//! HMAC signing keys for the tokens the server issues. The current key signs;
//! every configured key verifies, selected by the token's `kid` header, so a
//! key can be rotated without signing everybody out at once.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

const MIN_KEY_BYTES: usize = 32;
const KEY_FILE: &str = "signing.key";

pub struct SigningKeys {
    current_kid: String,
    /// Keys the fingerprints of request bodies (idempotency) so a stored
    /// hash of a card number cannot be reversed by trying every number.
    fingerprint_key: Vec<u8>,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    /// AES-256-GCM keys for secrets at rest (IdP client secrets), by kid.
    box_keys: HashMap<String, [u8; 32]>,
    /// HMAC-SHA256 keys for stored credentials (service keys), by kid: a
    /// stolen database alone cannot test guesses against them.
    hash_keys: HashMap<String, [u8; 32]>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys").field("current_kid", &self.current_kid).finish_non_exhaustive()
    }
}

/// A key's id: a short fingerprint, so it names the key without revealing it.
fn kid_of(secret: &[u8]) -> String {
    hex::encode(&Sha256::digest(secret)[..8])
}

impl SigningKeys {
    /// `current` signs; `previous` keys still verify (rotation).
    pub fn new(current: &[u8], previous: &[Vec<u8>]) -> anyhow::Result<Self> {
        for k in std::iter::once(current).chain(previous.iter().map(Vec::as_slice)) {
            if k.len() < MIN_KEY_BYTES {
                bail!("a signing key must be at least {MIN_KEY_BYTES} bytes");
            }
        }
        let current_kid = kid_of(current);
        let mut decoding = HashMap::new();
        decoding.insert(current_kid.clone(), DecodingKey::from_secret(current));
        for k in previous {
            decoding.insert(kid_of(k), DecodingKey::from_secret(k));
        }
        let fingerprint_key =
            Sha256::new().chain_update(b"gatehouse fingerprint key\0").chain_update(current).finalize().to_vec();
        let box_key = |k: &[u8]| -> [u8; 32] {
            Sha256::new().chain_update(b"gatehouse secret box\0").chain_update(k).finalize().into()
        };
        let hash_key = |k: &[u8]| -> [u8; 32] {
            Sha256::new().chain_update(b"gatehouse keyed hash\0").chain_update(k).finalize().into()
        };
        let mut box_keys = HashMap::new();
        let mut hash_keys = HashMap::new();
        for k in std::iter::once(current).chain(previous.iter().map(Vec::as_slice)) {
            box_keys.insert(kid_of(k), box_key(k));
            hash_keys.insert(kid_of(k), hash_key(k));
        }
        Ok(Self {
            current_kid,
            fingerprint_key,
            encoding: EncodingKey::from_secret(current),
            decoding,
            box_keys,
            hash_keys,
        })
    }

    /// From settings (base64), or else the dev key file in the data folder,
    /// generated on first use with mode 0600.
    pub fn load(configured: Option<&str>, previous: &[String], data_dir: &Path) -> anyhow::Result<Self> {
        let secret = match configured {
            Some(b64) => B64.decode(b64.trim()).context("signing_key is not valid base64")?,
            None => load_or_create_key_file(&data_dir.join(KEY_FILE))?,
        };
        let previous = previous
            .iter()
            .map(|k| B64.decode(k.trim()).context("a previous_signing_keys entry is not valid base64"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Self::new(&secret, &previous)
    }

    /// A keyed SHA-256 of `data`, hex.
    pub fn fingerprint(&self, data: &[u8]) -> String {
        hex::encode(Sha256::new().chain_update(&self.fingerprint_key).chain_update(data).finalize())
    }

    /// A credential's keyed hash for storage: `v1.{kid}.{hex(HMAC-SHA256)}`
    /// with a key derived from the current signing key (named, so a rotation
    /// keeps stored credentials working while the old key is configured).
    pub fn keyed_hash(&self, secret: &[u8]) -> String {
        let raw = self.hash_keys.get(&self.current_kid).copied().unwrap_or_default();
        let tag = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &raw), secret);
        format!("v1.{}.{}", self.current_kid, hex::encode(tag.as_ref()))
    }

    /// Whether `secret` is what `stored` (a [`keyed_hash`](Self::keyed_hash))
    /// was made from, compared in constant time; `false` when its key is no
    /// longer configured.
    pub fn keyed_hash_matches(&self, stored: &str, secret: &[u8]) -> bool {
        let mut parts = stored.splitn(3, '.');
        let (Some("v1"), Some(kid), Some(tag)) = (parts.next(), parts.next(), parts.next()) else { return false };
        let (Some(raw), Ok(tag)) = (self.hash_keys.get(kid), hex::decode(tag)) else { return false };
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, raw);
        aws_lc_rs::hmac::verify(&key, secret, &tag).is_ok()
    }

    /// Encrypts a secret for storage: `v1.{kid}.{base64url(nonce ‖ ciphertext ‖ tag)}`
    /// (AES-256-GCM with a key derived from the signing key named by `kid`,
    /// so previous keys still open what they sealed).
    pub fn seal(&self, plaintext: &[u8]) -> anyhow::Result<String> {
        use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
        let raw = self.box_keys.get(&self.current_kid).context("no current secret-box key")?;
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, raw).map_err(|_| anyhow::anyhow!("bad AEAD key"))?);
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut data = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(self.current_kid.as_bytes()),
            &mut data,
        )
        .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend(data);
        Ok(format!("v1.{}.{}", self.current_kid, URL_SAFE_NO_PAD.encode(out)))
    }

    /// The plaintext of a `seal`ed value, if a known key opens it.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(kid), Some(b64)) = (parts.next(), parts.next(), parts.next()) else { return None };
        let raw = self.box_keys.get(kid)?;
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, raw).ok()?);
        let bytes = URL_SAFE_NO_PAD.decode(b64).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ct) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = ct.to_vec();
        let plain = key.open_in_place(nonce, Aad::from(kid.as_bytes()), &mut data).ok()?;
        Some(plain.to_vec())
    }

    pub fn current_kid(&self) -> &str {
        &self.current_kid
    }

    pub fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }

    pub fn decoding(&self, kid: &str) -> Option<&DecodingKey> {
        self.decoding.get(kid)
    }
}

/// Writes a new file only its owner can read (0600 on Unix); fails with
/// `AlreadyExists` when another process created it first.
pub(crate) fn create_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}

fn load_or_create_key_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return B64.decode(text.trim()).with_context(|| format!("{} is not valid base64", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut secret = vec![0u8; MIN_KEY_BYTES];
    rand::rng().fill_bytes(&mut secret);
    match create_private(path, B64.encode(&secret).as_bytes()) {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a development signing key");
            Ok(secret)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)?;
            Ok(B64.decode(text.trim())?)
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_the_same_or_a_previous_key_only() -> anyhow::Result<()> {
        let (old, new) = ([1u8; 32], [2u8; 32]);
        let before = SigningKeys::new(&old, &[])?;
        let sealed = before.seal(b"client secret")?;
        assert!(sealed.starts_with(&format!("v1.{}.", before.current_kid())));
        assert!(!sealed.contains("client secret"));
        assert_ne!(sealed, before.seal(b"client secret")?, "a fresh nonce each time");
        assert_eq!(before.open(&sealed).as_deref(), Some(&b"client secret"[..]));
        let rotated = SigningKeys::new(&new, &[old.to_vec()])?;
        assert_eq!(rotated.open(&sealed).as_deref(), Some(&b"client secret"[..]), "previous keys still open");
        assert!(SigningKeys::new(&new, &[])?.open(&sealed).is_none(), "an unrelated key does not");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(before.open(&tampered).is_none());
        assert!(before.open("v1.nokid.AAAA").is_none() && before.open("garbage").is_none());
        Ok(())
    }

    #[test]
    fn dev_key_is_generated_once_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let a = SigningKeys::load(None, &[], dir.path()).unwrap();
        let b = SigningKeys::load(None, &[], dir.path()).unwrap();
        assert_eq!(a.current_kid(), b.current_kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(SigningKeys::new(b"short", &[]).is_err());
    }
}
