//! OpenID Connect relying party: discovery, the authorization request
//! (code flow with PKCE S256, `state`, `nonce`), the code exchange, and the
//! ID token checks (signature with a key from the provider's JWKS and an
//! algorithm allow-list, `iss`, `aud`/`azp`, `exp`/`iat` with bounded skew,
//! `nonce`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Identity;
use crate::guard::outbound::{FetchError, Outbound, read_limited};

/// Largest discovery document, JWKS or token response read.
const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// Clock skew tolerated on `exp` and `iat`.
pub const SKEW_SECS: i64 = 120;
/// Asymmetric algorithms only: `none` and HMAC (keyed with the client
/// secret, which the provider's key set cannot vouch for) are refused.
pub const ALLOWED_ALGS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// What went wrong, in words an IT admin can act on, and whose side it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OidcError(pub String, pub Cause);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Other,
    /// The provider's token endpoint refused our client (`invalid_client`,
    /// `unauthorized_client`): the connection needs its current client
    /// secret or settings — every member's sign-in will fail the same way.
    ClientRefused,
}

fn err(s: impl Into<String>) -> OidcError {
    OidcError(s.into(), Cause::Other)
}

impl From<FetchError> for OidcError {
    fn from(e: FetchError) -> Self {
        err(e.0)
    }
}

async fn get_json(http: &Outbound, url: &str, what: &str) -> Result<Value, OidcError> {
    let res = http.send(http.get(url, what)?, what).await?;
    if !res.status().is_success() {
        return Err(err(format!("the {what} answered HTTP {}", res.status().as_u16())));
    }
    let body = read_limited(res, what, MAX_RESPONSE_BYTES).await?;
    serde_json::from_slice(&body).map_err(|_| err(format!("the {what} is not JSON")))
}

/// An endpoint named by the discovery document: a URL our client would
/// fetch (the authorization endpoint is only shown to browsers, but is held
/// to the same rule). Its text is not repeated in the message.
fn endpoint(http: &Outbound, doc: &Value, name: &str) -> Result<String, OidcError> {
    let url =
        doc.get(name).and_then(Value::as_str).ok_or_else(|| err(format!("the discovery document has no {name}")))?;
    shared::sso::parse_issuer(url)
        .map_err(|_| err(format!("the discovery document's {name} is not an https:// URL")))?;
    http.check(url, &format!("discovery document's {name}"))?;
    Ok(url.to_owned())
}

#[derive(Debug, Clone)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub userinfo_endpoint: Option<String>,
}

/// Reads `{issuer}/.well-known/openid-configuration` and checks it names the same issuer.
pub async fn discover(http: &Outbound, issuer: &str) -> Result<Discovery, OidcError> {
    let url = format!("{issuer}/.well-known/openid-configuration");
    let doc = get_json(http, &url, "discovery document").await?;
    let named = doc.get("issuer").and_then(Value::as_str).unwrap_or_default();
    if named.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(err(format!(
            "the discovery document names another issuer than {issuer}; enter the issuer exactly as the provider \
             publishes it"
        )));
    }
    Ok(Discovery {
        issuer: named.to_owned(),
        authorization_endpoint: endpoint(http, &doc, "authorization_endpoint")?,
        token_endpoint: endpoint(http, &doc, "token_endpoint")?,
        jwks_uri: endpoint(http, &doc, "jwks_uri")?,
        userinfo_endpoint: match doc.get("userinfo_endpoint") {
            Some(_) => Some(endpoint(http, &doc, "userinfo_endpoint")?),
            None => None,
        },
    })
}

pub use crate::auth::tokens::random_token;

/// A PKCE pair: the verifier (kept) and its S256 challenge (sent).
pub fn pkce() -> (String, String) {
    let verifier = random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub struct AuthorizeParams<'a> {
    pub authorization_endpoint: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub nonce: &'a str,
    pub code_challenge: &'a str,
    pub login_hint: Option<&'a str>,
}

pub fn authorize_url(p: &AuthorizeParams<'_>) -> Result<String, OidcError> {
    let mut url =
        reqwest::Url::parse(p.authorization_endpoint).map_err(|_| err("the authorization endpoint is not a URL"))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", p.client_id)
            .append_pair("redirect_uri", p.redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", p.state)
            .append_pair("nonce", p.nonce)
            .append_pair("code_challenge", p.code_challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(hint) = p.login_hint {
            q.append_pair("login_hint", hint);
        }
    }
    Ok(url.into())
}

pub struct Exchange<'a> {
    pub token_endpoint: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub code: &'a str,
    pub code_verifier: &'a str,
    pub redirect_uri: &'a str,
}

/// The token endpoint's error codes (RFC 6749 §5.2, OIDC Core).
const OAUTH_ERRORS: [&str; 8] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
];

/// What the token endpoint answers.
pub struct Tokens {
    pub id_token: String,
    pub access_token: Option<String>,
}

/// Trades the code for tokens.
pub async fn exchange(http: &Outbound, x: &Exchange<'_>) -> Result<Tokens, OidcError> {
    // client_secret_basic: both parts form-encoded first (RFC 6749 §2.3.1).
    let enc = |s: &str| {
        reqwest::Url::parse_with_params("x:", [("v", s)])
            .map(|u| u.query().unwrap_or("").trim_start_matches("v=").to_owned())
    };
    let (id, secret) = (enc(x.client_id).unwrap_or_default(), enc(x.client_secret).unwrap_or_default());
    let request = http.post(x.token_endpoint, "token endpoint")?.basic_auth(id, Some(secret)).form(&[
        ("grant_type", "authorization_code"),
        ("code", x.code),
        ("redirect_uri", x.redirect_uri),
        ("code_verifier", x.code_verifier),
    ]);
    let res = http.send(request, "token endpoint").await?;
    let status = res.status();
    let body: Value =
        serde_json::from_slice(&read_limited(res, "token response", MAX_RESPONSE_BYTES).await?).unwrap_or(Value::Null);
    if !status.is_success() {
        // Only a code from RFC 6749's list is repeated: the provider's own
        // words (`error_description`) never are.
        let code = body.get("error").and_then(Value::as_str).filter(|c| OAUTH_ERRORS.contains(c)).unwrap_or("an error");
        let message = format!(
            "the identity provider refused the code exchange with {code} (HTTP {}); its logs say why",
            status.as_u16()
        );
        let cause =
            if matches!(code, "invalid_client" | "unauthorized_client") { Cause::ClientRefused } else { Cause::Other };
        return Err(OidcError(message, cause));
    }
    let id_token = body
        .get("id_token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| err("the token response has no id_token (is the openid scope allowed for this client?)"))?;
    let access_token = body.get("access_token").and_then(Value::as_str).map(str::to_owned);
    Ok(Tokens { id_token, access_token })
}

/// Fills the email (and name) from the UserInfo endpoint when the ID token
/// lacks them; the answer must be about the same subject (OIDC Core §5.3.2).
pub async fn complete_from_userinfo(
    http: &Outbound,
    identity: &mut Identity,
    endpoint: &str,
    access_token: &str,
) -> Result<(), OidcError> {
    let res =
        http.send(http.get(endpoint, "userinfo endpoint")?.bearer_auth(access_token), "userinfo endpoint").await?;
    if !res.status().is_success() {
        return Err(err(format!("the userinfo endpoint answered HTTP {}", res.status().as_u16())));
    }
    let info: Value = serde_json::from_slice(&read_limited(res, "userinfo response", MAX_RESPONSE_BYTES).await?)
        .map_err(|_| err("the userinfo response is not JSON"))?;
    if info.get("sub").and_then(Value::as_str) != Some(identity.subject.as_str()) {
        return Err(err("the userinfo response is about another subject"));
    }
    if identity.email.is_none() {
        identity.email = info.get("email").and_then(Value::as_str).map(|m| m.trim().to_lowercase());
        identity.email_verified = info.get("email_verified").and_then(Value::as_bool).unwrap_or(false);
    }
    if identity.name.is_none() {
        identity.name = info.get("name").and_then(Value::as_str).map(str::to_owned);
    }
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
struct RawClaims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    iat: i64,
    nonce: Option<String>,
    azp: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
}

pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub jwks_uri: &'a str,
    pub now: DateTime<Utc>,
}

/// Checks the ID token against the provider's published keys and what we sent.
pub async fn verify(http: &Outbound, id_token: &str, e: &Expected<'_>) -> Result<Identity, OidcError> {
    let header = jsonwebtoken::decode_header(id_token)
        .map_err(|_| err("the ID token is not a JWT signed with an accepted algorithm"))?;
    if !ALLOWED_ALGS.contains(&header.alg) {
        return Err(err(format!("the ID token is signed with {:?}, which is not accepted", header.alg)));
    }
    let jwks: JwkSet = serde_json::from_value(get_json(http, e.jwks_uri, "key set (JWKS)").await?)
        .map_err(|_| err("the provider's key set (JWKS) could not be read"))?;
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or_else(|| err("the ID token is signed with a key the provider does not publish"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| err("the provider's signing key could not be used"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[e.issuer]);
    validation.set_audience(&[e.client_id]);
    // Expiry is checked below against the server's clock.
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
    let data = jsonwebtoken::decode::<RawClaims>(id_token, &key, &validation).map_err(|x| {
        use jsonwebtoken::errors::ErrorKind as K;
        err(match x.kind() {
            K::InvalidSignature => "the ID token's signature does not verify with the provider's key".to_owned(),
            K::InvalidIssuer => format!("the ID token was issued by someone other than {}", e.issuer),
            K::InvalidAudience => "the ID token was issued for another client ID".to_owned(),
            other => format!("the ID token was refused ({other:?})"),
        })
    })?;
    let c = data.claims;
    if c.iss != e.issuer {
        return Err(err(format!("the ID token was issued by someone other than {}", e.issuer)));
    }
    let audiences = match &c.aud {
        Audience::One(a) => vec![a.clone()],
        Audience::Many(v) => v.clone(),
    };
    // With several audiences `azp` must name us; whenever it is present it
    // must be us (OIDC Core §2, §3.1.3.7), single audience or not.
    let azp_ok = match c.azp.as_deref() {
        Some(azp) => azp == e.client_id,
        None => audiences.len() == 1,
    };
    if !audiences.iter().any(|a| a == e.client_id) || !azp_ok {
        return Err(err("the ID token was issued for another client ID"));
    }
    let now = e.now.timestamp();
    if c.exp + SKEW_SECS < now {
        return Err(err("the ID token has expired (check the clocks of both servers)"));
    }
    if c.iat - SKEW_SECS > now {
        return Err(err("the ID token was issued in the future (check the clocks of both servers)"));
    }
    if c.nonce.as_deref() != Some(e.nonce) {
        return Err(err("the ID token's nonce does not match this sign-in"));
    }
    if c.sub.is_empty() {
        return Err(err("the ID token has no subject"));
    }
    Ok(Identity {
        subject: c.sub,
        email: c.email.map(|m| m.trim().to_lowercase()),
        email_verified: c.email_verified.unwrap_or(false),
        name: c.name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        let (v, c) = pkce();
        assert_eq!(v.len(), 43);
        assert_eq!(c, URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())));
        assert_ne!(pkce().0, v);
    }

    #[test]
    fn authorize_url_carries_everything() {
        let url = authorize_url(&AuthorizeParams {
            authorization_endpoint: "https://idp.example.com/auth?x=1",
            client_id: "c id",
            redirect_uri: "https://app.example.com/sso/oidc/con_1/callback",
            state: "s",
            nonce: "n",
            code_challenge: "ch",
            login_hint: None,
        })
        .unwrap_or_default();
        for part in [
            "x=1",
            "response_type=code",
            "client_id=c+id",
            "code_challenge_method=S256",
            "nonce=n",
            "state=s",
            "scope=openid+email+profile",
        ] {
            assert!(url.contains(part), "{url} lacks {part}");
        }
    }

    #[tokio::test]
    async fn none_and_hmac_tokens_are_refused_before_any_network() {
        let e = Expected {
            issuer: "https://i",
            client_id: "c",
            nonce: "n",
            jwks_uri: "http://127.0.0.1:9/jwks",
            now: Utc::now(),
        };
        // {"alg":"none"} . {"sub":"x"} .
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#)
        );
        let Ok(http) = Outbound::new(false) else { return };
        assert!(verify(&http, &none, &e).await.is_err());
        let hs = format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#)
        );
        let err = verify(&http, &hs, &e).await.err().map(|e| e.0).unwrap_or_default();
        assert!(err.contains("not accepted"), "{err}");
    }
}
