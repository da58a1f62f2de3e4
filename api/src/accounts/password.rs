//! Password hashing with argon2id (the crate's defaults follow OWASP's
//! recommendation: 19 MiB, 2 passes). Hashing runs on the blocking pool, a
//! few at a time (`guard::heavy`): each takes 19 MiB, and anyone can ask
//! for one.

use std::sync::OnceLock;

use anyhow::anyhow;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use crate::error::AppResult;
use crate::guard::heavy::HeavyWork;

pub async fn hash(heavy: &HeavyWork, password: String) -> AppResult<String> {
    let hashed = heavy
        .run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow!("hashing password: {e}"))
        })
        .await?;
    Ok(hashed?)
}

/// Checks `password` against `stored`; with no stored hash (unknown account,
/// SSO-only account) it still spends the same time on a dummy hash, so the
/// answer's timing does not reveal whether the account exists.
pub async fn verify(heavy: &HeavyWork, password: String, stored: Option<String>) -> AppResult<bool> {
    let checked = heavy.run(move || -> anyhow::Result<bool> {
        let real = stored.is_some();
        let phc = match stored {
            Some(s) => s,
            None => dummy_hash()?.to_owned(),
        };
        let parsed = PasswordHash::new(&phc).map_err(|e| anyhow!("stored hash unreadable: {e}"))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(real && ok)
    });
    Ok(checked.await??)
}

fn dummy_hash() -> anyhow::Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let salt = SaltString::generate(&mut OsRng);
    let h = Argon2::default()
        .hash_password(b"not a real password", &salt)
        .map_err(|e| anyhow!("hashing dummy password: {e}"))?
        .to_string();
    Ok(DUMMY.get_or_init(|| h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn hashes_verify_and_are_argon2id() {
        let heavy = HeavyWork::default();
        let h = hash(&heavy, "correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(&heavy, "correct horse battery".into(), Some(h.clone())).await.unwrap());
        assert!(!verify(&heavy, "wrong password!".into(), Some(h)).await.unwrap());
        assert!(!verify(&heavy, "anything at all".into(), None).await.unwrap());
    }
}
