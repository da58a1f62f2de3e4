//! ID tokens a certified provider would never send: a small scripted
//! provider (discovery, JWKS, token endpoint) hands our callback exactly the
//! token each case needs. Every refusal leaves SSO `awaiting`; the control
//! case proves the same path succeeds with a correct token.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, buy, link, spawn_app, token_of};

struct Key {
    pkcs8: Vec<u8>,
    jwk: Value,
}

fn key(kid: &str) -> Key {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new()).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let public = pair.public_key().as_ref().to_vec(); // 0x04 ‖ X ‖ Y
    let jwk = json!({ "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
        "x": B64.encode(&public[1..33]), "y": B64.encode(&public[33..65]) });
    Key { pkcs8: pkcs8.as_ref().to_vec(), jwk }
}

fn sign(k: &Key, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&k.pkcs8)).unwrap()
}

/// The scripted provider: whatever is in `next` is the token endpoint's ID token.
struct Scripted {
    issuer: String,
    next: Arc<Mutex<String>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Scripted {
    fn drop(&mut self) {
        let h = self.handle.clone();
        actix_web::rt::spawn(async move { h.stop(false).await });
    }
}

async fn scripted(jwks: Value) -> Scripted {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let next = Arc::new(Mutex::new(String::new()));
    let (iss, nx, keys) = (issuer.clone(), next.clone(), jwks.clone());
    let server = HttpServer::new(move || {
        let (iss, nx, keys) = (iss.clone(), nx.clone(), keys.clone());
        App::new()
            .route(
                "/.well-known/openid-configuration",
                web::get().to({
                    let iss = iss.clone();
                    move || {
                        let iss = iss.clone();
                        async move {
                            HttpResponse::Ok()
                                .json(json!({ "issuer": iss, "authorization_endpoint": format!("{iss}/authorize"),
                                "token_endpoint": format!("{iss}/token"), "jwks_uri": format!("{iss}/jwks") }))
                        }
                    }
                }),
            )
            .route(
                "/jwks",
                web::get().to(move || {
                    let k = keys.clone();
                    async move { HttpResponse::Ok().json(k) }
                }),
            )
            .route(
                "/token",
                web::post().to(move || {
                    let t = nx.lock().unwrap().clone();
                    async move {
                        HttpResponse::Ok().json(json!({ "access_token": "x", "token_type": "Bearer", "id_token": t }))
                    }
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Scripted { issuer, next, handle }
}

struct Case<'a> {
    app: &'a TestApp,
    setup: String,
    org_id: String,
    admin_token: String,
}

impl Case<'_> {
    async fn status(&self) -> String {
        let (_, p) =
            self.app.get(&format!("/api/v1/organizations/{}/provisioning", self.org_id), Some(&self.admin_token)).await;
        p["sso"]["status"].as_str().unwrap().to_owned()
    }

    /// Starts a test sign-in; returns the browser, the callback base, `state` and `nonce`.
    async fn start(&self) -> (reqwest::Client, String, String) {
        let b =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let res = b.post(self.app.url(&format!("/api/v1/setup/{}/sso-test", self.setup))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let start: Value = res.json().await.unwrap();
        let url = reqwest::Url::parse(start["redirect_url"].as_str().unwrap()).unwrap();
        let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned()).unwrap();
        (b, get("state"), get("nonce"))
    }
}

async fn outcome(b: &reqwest::Client, url: &str) -> (String, String) {
    let res = b.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let loc = reqwest::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let get = |k: &str| loc.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned()).unwrap_or_default();
    (get("outcome"), get("detail"))
}

#[actix_web::test]
async fn forged_and_mismatched_id_tokens_are_refused() {
    let app = spawn_app().await;
    let good = key("k1");
    let other = key("k1"); // same kid, different key
    let idp = scripted(json!({ "keys": [good.jwk.clone()] })).await;

    let admin = app.ready_org("Acme", "acme.com").await;
    buy(&app, &admin, "sso").await;
    let (_, l) = link(&app, &admin, "sso").await;
    let setup = token_of(&l);
    let body = json!({ "protocol": "oidc", "issuer": idp.issuer, "client_id": "client-1", "client_secret": "secret-1-long-enough" });
    let res =
        app.client.put(app.url(&format!("/api/v1/setup/{setup}/sso-connection"))).json(&body).send().await.unwrap();
    let (status, conn) = crate::helpers::read(res).await;
    assert_eq!(status, StatusCode::OK, "{conn}");
    let callback = conn["redirect_uri"].as_str().unwrap().to_owned();
    let case = Case { app: &app, setup, org_id: admin.org_id.clone(), admin_token: admin.token.clone() };

    let now = chrono::Utc::now().timestamp();
    let claims = |nonce: &str| {
        json!({ "iss": idp.issuer, "sub": "user-1", "aud": "client-1", "exp": now + 300, "iat": now,
                "nonce": nonce, "email": "ada@acme.com", "email_verified": true })
    };
    let with = |mut c: Value, k: &str, v: Value| {
        c[k] = v;
        c
    };
    type Forge<'a> = Box<dyn Fn(&str) -> String + 'a>;
    let cases: Vec<(&str, Forge<'_>, &str)> = vec![
        ("wrong nonce", Box::new(|_n: &str| sign(&good, "k1", &claims("another-nonce"))), "nonce"),
        (
            "wrong issuer",
            Box::new(|n: &str| sign(&good, "k1", &with(claims(n), "iss", json!("https://evil.example")))),
            "issued by",
        ),
        (
            "wrong audience",
            Box::new(|n: &str| sign(&good, "k1", &with(claims(n), "aud", json!("someone-else")))),
            "another client",
        ),
        (
            "authorized party another client (single audience)",
            Box::new(|n: &str| sign(&good, "k1", &with(claims(n), "azp", json!("someone-else")))),
            "another client",
        ),
        ("expired", Box::new(|n: &str| sign(&good, "k1", &with(claims(n), "exp", json!(now - 3600)))), "expired"),
        ("another key", Box::new(|n: &str| sign(&other, "k1", &claims(n))), "signature"),
        (
            "alg none",
            Box::new(|n: &str| {
                format!("{}.{}.", B64.encode(br#"{"alg":"none","kid":"k1"}"#), B64.encode(claims(n).to_string()))
            }),
            "accepted",
        ),
        (
            "HS256 with the client secret",
            Box::new(|n: &str| {
                let mut h = Header::new(Algorithm::HS256);
                h.kid = Some("k1".into());
                jsonwebtoken::encode(&h, &claims(n), &EncodingKey::from_secret(b"secret-1-long-enough")).unwrap()
            }),
            "accepted",
        ),
        (
            "claims changed after signing",
            Box::new(|n: &str| {
                let t = sign(&good, "k1", &claims(n));
                let parts: Vec<&str> = t.split('.').collect();
                let forged = with(claims(n), "sub", json!("admin"));
                format!("{}.{}.{}", parts[0], B64.encode(forged.to_string()), parts[2])
            }),
            "signature",
        ),
    ];
    for (name, forge, expect) in &cases {
        let (b, state, nonce) = case.start().await;
        *idp.next.lock().unwrap() = forge(&nonce);
        let (result, detail) = outcome(&b, &format!("{callback}?code=c&state={state}")).await;
        assert_eq!(result, "error", "{name} was accepted");
        assert!(detail.to_lowercase().contains(expect), "{name}: {detail}");
        assert_eq!(case.status().await, "awaiting", "{name}");
    }

    // Another organization's connection in the callback path.
    let other_admin = app.ready_org("Globex", "globex.com").await;
    buy(&app, &other_admin, "sso").await;
    let (_, l2) = link(&app, &other_admin, "sso").await;
    let (_, conn2) = app.get(&format!("/api/v1/setup/{}/sso-connection", token_of(&l2)), None).await;
    let (b, state, nonce) = case.start().await;
    *idp.next.lock().unwrap() = sign(&good, "k1", &claims(&nonce));
    let (result, detail) =
        outcome(&b, &format!("{}?code=c&state={state}", conn2["redirect_uri"].as_str().unwrap())).await;
    assert_eq!(result, "error");
    assert!(detail.contains("another connection"), "{detail}");

    // Control: the same path with a correct token succeeds.
    let (b, state, nonce) = case.start().await;
    *idp.next.lock().unwrap() = sign(&good, "k1", &claims(&nonce));
    let (result, detail) = outcome(&b, &format!("{callback}?code=c&state={state}")).await;
    assert_eq!(result, "ok", "{detail}");
    assert_eq!(case.status().await, "active");
}
