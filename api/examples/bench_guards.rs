//! What the anonymous-request guards cost per request (`just bench guards`):
//! the SAML ACS's text screen of a Response shaped like an identity
//! provider's (two signatures, `BENCH_ATTRIBUTES` attribute values, default
//! 200 — a large group list), the per-address rate limit, and the per-email
//! attempt reservation. Prints microseconds per call (median of 5 runs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::Utc;

fn signature(id: &str) -> String {
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs"/></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>{}</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>{}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"##,
        "A".repeat(44),
        "B".repeat(344),
        "C".repeat(1200)
    )
}

fn response(attributes: usize) -> String {
    let values: String = (0..attributes)
        .map(|i| format!(r#"<saml:AttributeValue xsi:type="xs:string">group-{i}-engineering</saml:AttributeValue>"#))
        .collect();
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="_r1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="https://sp.example.com/acs"><saml:Issuer>https://idp.example.com</saml:Issuer>{}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://idp.example.com</saml:Issuer>{}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">ada@acme.com</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="2026-01-01T00:05:00Z" Recipient="https://sp.example.com/acs" InResponseTo="_abc"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="2026-01-01T00:00:00Z" NotOnOrAfter="2026-01-01T00:05:00Z"><saml:AudienceRestriction><saml:Audience>https://sp.example.com/metadata</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>ada@acme.com</saml:AttributeValue></saml:Attribute><saml:Attribute Name="groups">{values}</saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"##,
        signature("_r1"),
        signature("_a1")
    )
}

/// Median over 5 runs of `f` called `n` times, in microseconds per call.
fn per_call(n: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for i in 0..n {
                f(i);
            }
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[2]
}

fn main() {
    let attributes: usize = std::env::var("BENCH_ATTRIBUTES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let xml = response(attributes);
    assert!(api::sso::saml::screen(xml.as_bytes()).is_ok());
    let screen = per_call(2_000, |_| {
        std::hint::black_box(api::sso::saml::screen(std::hint::black_box(xml.as_bytes())).is_ok());
    });
    println!(
        "RESULT saml screen: {:.1} KB Response ({attributes} attribute values): {screen:.1} µs",
        xml.len() as f64 / 1000.0
    );
    let limiter = api::guard::rate::RateLimiter::per_minute(60);
    let now = Utc::now();
    let keys: Vec<String> = (0..10_000).map(|i| format!("203.0.{}.{}", i / 256, i % 256)).collect();
    let rate = per_call(100_000, |i| {
        std::hint::black_box(limiter.check(&keys[i % keys.len()], now).is_ok());
    });
    println!("RESULT per-address limit (10,000 addresses): {rate:.2} µs");
    let attempts = api::accounts::limiter::FailureLimiter::new(10, chrono::Duration::minutes(1));
    let emails: Vec<String> = (0..10_000).map(|i| format!("user{i}@acme.com")).collect();
    let reserve = per_call(100_000, |i| {
        let key = &emails[i % emails.len()];
        if attempts.attempt(key, now).is_err() {
            attempts.clear(key);
        }
    });
    println!("RESULT per-email attempt reservation (10,000 emails): {reserve:.2} µs");
}
