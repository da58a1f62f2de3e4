//! Email domains an organization claims: how pasted input is normalized and
//! which domains are refused. `normalize` (syntax, IPs, single labels) runs in
//! the SPA and the API alike; `check_claimable` adds the rules that need large
//! lists (public suffixes, disposable providers) and runs in the API (feature
//! `lists`).

use serde::{Deserialize, Serialize};

use crate::ids::DomainId;
use crate::problem::FieldError;
use crate::validation::Invalid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Most domains one organization may hold.
pub const MAX_DOMAINS_PER_ORGANIZATION: usize = 100;
const MAX_INPUT_CHARS: usize = 2048;

const FREEMAIL: &str = include_str!("freemail.txt");

fn invalid(code: &'static str, message: impl Into<String>) -> Invalid {
    Invalid::new(code, message)
}

/// Turns what people paste (`https://www.Acme.com:443/about`, `ada@acme.com`,
/// `bücher.de`) into the bare, lowercase, punycode domain, or says why not.
pub fn normalize(input: &str) -> Result<String, Invalid> {
    let mut s = crate::text::lowercase(input.trim());
    if s.is_empty() {
        return Err(invalid("required", "Enter a domain, like acme.com."));
    }
    if s.chars().count() > MAX_INPUT_CHARS {
        return Err(invalid("invalid_domain", "This is too long to be a domain."));
    }
    if let Some((_, rest)) = s.split_once("://") {
        s = rest.to_owned();
    }
    if let Some(end) = s.find(['/', '?', '#']) {
        s.truncate(end);
    }
    if let Some((_, host)) = s.rsplit_once('@') {
        s = host.to_owned();
    }
    if s.starts_with('[') || s.parse::<std::net::Ipv6Addr>().is_ok() {
        return Err(invalid(
            "ip_address",
            format!("“{}” is an IP address; enter your email domain instead.", input.trim()),
        ));
    }
    if let Some((host, port)) = s.split_once(':')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
    {
        s = host.to_owned();
    }
    let s = s.trim_end_matches('.');
    let s = s.strip_prefix("www.").unwrap_or(s);
    let bad_syntax = || {
        invalid(
            "invalid_domain",
            format!("“{}” is not a valid domain: use letters, digits and hyphens, like acme.com.", input.trim()),
        )
    };
    let ascii = match to_ascii(s) {
        Ok(a) => a,
        Err(ToAscii::Invalid) => return Err(bad_syntax()),
        // Without the IDNA tables (the SPA) an international name is left to the server.
        Err(ToAscii::Unchecked) => return Ok(s.to_owned()),
    };
    if ascii.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(invalid(
            "ip_address",
            format!("“{}” is an IP address; enter your email domain instead.", input.trim()),
        ));
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if ascii.len() > 253
        || labels.iter().any(|l| {
            l.is_empty()
                || l.len() > 63
                || l.starts_with('-')
                || l.ends_with('-')
                || !l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
    {
        return Err(bad_syntax());
    }
    if labels.len() < 2 {
        return Err(invalid("single_label", format!("“{}” needs a dot and an ending, like acme.com.", input.trim())));
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad_syntax());
    }
    Ok(ascii)
}

enum ToAscii {
    #[cfg_attr(not(feature = "lists"), allow(dead_code))]
    Invalid,
    #[cfg_attr(feature = "lists", allow(dead_code))]
    Unchecked,
}

#[cfg(feature = "lists")]
fn to_ascii(s: &str) -> Result<String, ToAscii> {
    idna::domain_to_ascii(s).map_err(|_| ToAscii::Invalid)
}

#[cfg(not(feature = "lists"))]
fn to_ascii(s: &str) -> Result<String, ToAscii> {
    if s.is_ascii() { Ok(s.to_owned()) } else { Err(ToAscii::Unchecked) }
}

/// An email's domain in its one canonical form: IDNA (UTS #46) to ASCII,
/// punycode for non-ASCII labels (`bücher.de` → `xn--bcher-kva.de`), as
/// domain claims are stored; `None` when it cannot be one. Without the IDNA
/// tables (the SPA's build) a non-ASCII domain is left as typed and the
/// server, which has them, has the last word.
pub fn canonical_email_domain(domain: &str) -> Option<String> {
    if domain.is_ascii() {
        return Some(domain.to_owned());
    }
    match to_ascii(domain) {
        Ok(ascii) => Some(ascii),
        Err(ToAscii::Unchecked) => Some(domain.to_owned()),
        Err(ToAscii::Invalid) => None,
    }
}

/// Whether `domain` (normalized) is a consumer email provider.
pub fn is_free_email_provider(domain: &str) -> bool {
    FREEMAIL.lines().any(|l| !l.starts_with('#') && l.trim() == domain)
}

/// The rules that need the public-suffix and disposable-provider lists.
#[cfg(feature = "lists")]
pub fn check_claimable(domain: &str) -> Result<(), Invalid> {
    if psl::domain_str(domain).is_none() {
        return Err(invalid(
            "public_suffix",
            format!(
                "{domain} is a public suffix shared by many owners; enter your organization's own domain, like acme.{domain}."
            ),
        ));
    }
    if is_free_email_provider(domain) {
        return Err(invalid(
            "free_email_provider",
            format!("{domain} is a free email provider; enter the domain your company's email addresses use."),
        ));
    }
    if !mailchecker::is_valid(&format!("someone@{domain}")) {
        return Err(invalid(
            "disposable_email_provider",
            format!("{domain} is a disposable email provider; enter your company's own domain."),
        ));
    }
    Ok(())
}

/// `{"domains": "acme.com, acme.io"}` or `{"domains": ["acme.com"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(untagged)]
pub enum DomainsInput {
    /// Comma-separated.
    Text(String),
    List(Vec<String>),
}

impl DomainsInput {
    /// One entry per domain the person meant; blanks from stray commas dropped.
    pub fn entries(&self) -> Vec<String> {
        let raw: Vec<String> = match self {
            DomainsInput::Text(s) => s.split([',', ';', '\n']).map(str::to_owned).collect(),
            DomainsInput::List(v) => v.clone(),
        };
        raw.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"domains": ["initech.com", "initech.co.uk"]})))]
pub struct AddDomainsRequest {
    pub domains: DomainsInput,
}

/// One input and what it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NormalizedDomain {
    pub input: String,
    pub domain: String,
}

/// Normalizes every entry; one `domains[i]` error per refused entry. Repeats
/// within the request collapse into one.
pub fn normalize_all(
    entries: &[String],
    extra_check: impl Fn(&str) -> Result<(), Invalid>,
) -> Result<Vec<NormalizedDomain>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out: Vec<NormalizedDomain> = Vec::new();
    if entries.is_empty() {
        return Err(vec![FieldError::new("domains", "required", "Enter at least one domain, like acme.com.")]);
    }
    for (i, input) in entries.iter().enumerate() {
        match normalize(input).and_then(|d| extra_check(&d).map(|()| d)) {
            Ok(domain) => out.push(NormalizedDomain { input: input.clone(), domain }),
            Err(e) => errors.push(e.at(&format!("domains[{i}]"))),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Where a domain's proof of ownership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerificationState {
    /// Claimed; the TXT record has not been found yet.
    #[default]
    Pending,
    /// The record was found: the organization owns the domain.
    Verified,
    /// Not found within the verification period: add the record and check again.
    Failed,
    /// Was verified; the record has been missing longer than the grace period.
    Unverified,
}

impl VerificationState {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationState::Pending => "pending",
            VerificationState::Verified => "verified",
            VerificationState::Failed => "failed",
            VerificationState::Unverified => "unverified",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Verified, Self::Failed, Self::Unverified].into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            VerificationState::Pending => "Pending verification",
            VerificationState::Verified => "Verified",
            VerificationState::Failed => "Verification failed",
            VerificationState::Unverified => "No longer verified",
        }
    }
}

/// The DNS record that proves a domain is the organization's, and what the
/// last check found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DomainVerification {
    pub state: VerificationState,
    /// Where the TXT record goes: `_gatehouse-challenge.{domain}`.
    pub record_name: String,
    /// The TXT record's value: `gatehouse-domain-verification={token}`.
    pub record_value: String,
    /// What the last check found, in words (when it did not find the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, with = "crate::time::utc_option")]
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The name of a domain's verification record.
pub fn verification_record_name(domain: &str) -> String {
    format!("_gatehouse-challenge.{domain}")
}

/// The value of a domain's verification record.
pub fn verification_record_value(token: &str) -> String {
    format!("gatehouse-domain-verification={token}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Domain {
    pub id: DomainId,
    pub domain: String,
    #[serde(default)]
    pub verification: DomainVerification,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AddDomainsResponse {
    /// All of the organization's domains after the change.
    pub domains: Vec<Domain>,
    /// Each input and the domain it was normalized to.
    pub normalized: Vec<NormalizedDomain>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Result<String, &'static str> {
        normalize(s).map_err(|e| e.code)
    }

    #[test]
    fn pasted_urls_emails_and_unicode_are_normalized() {
        assert_eq!(n("  Acme.com "), Ok("acme.com".into()));
        assert_eq!(n("https://www.acme.io/ "), Ok("acme.io".into()));
        assert_eq!(n("http://WWW.Acme.co.uk:8443/path?q=1#x"), Ok("acme.co.uk".into()));
        assert_eq!(n("ada@acme.com"), Ok("acme.com".into()));
        assert_eq!(n("acme.com."), Ok("acme.com".into()));
        #[cfg(feature = "lists")]
        assert_eq!(n("Bücher.de"), Ok("xn--bcher-kva.de".into()));
        assert_eq!(n("mail.acme.com"), Ok("mail.acme.com".into()));
    }

    #[test]
    fn each_refusal_has_its_own_code() {
        assert_eq!(n(""), Err("required"));
        assert_eq!(n("acme"), Err("single_label"));
        assert_eq!(n("localhost"), Err("single_label"));
        assert_eq!(n("10.0.0.1"), Err("ip_address"));
        assert_eq!(n("[::1]:80"), Err("ip_address"));
        assert_eq!(n("ac me.com"), Err("invalid_domain"));
        assert_eq!(n("-acme.com"), Err("invalid_domain"));
        assert_eq!(n("acme..com"), Err("invalid_domain"));
        assert_eq!(n("acme_corp.com"), Err("invalid_domain"));
        assert_eq!(n(&format!("{}.com", "a".repeat(64))), Err("invalid_domain"));
    }

    #[test]
    fn comma_separated_or_list_input() {
        let text = DomainsInput::Text("acme.com, acme.io,, ".into());
        assert_eq!(text.entries(), ["acme.com", "acme.io"]);
        let list: DomainsInput = serde_json::from_str(r#"["a.com", " b.com "]"#).unwrap();
        assert_eq!(list.entries(), ["a.com", "b.com"]);
    }

    #[test]
    fn normalize_all_reports_by_index() {
        let entries = vec!["acme.com".to_owned(), "nope".to_owned(), "1.2.3.4".to_owned()];
        let errors = normalize_all(&entries, |_| Ok(())).unwrap_err();
        let got: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(got, [("domains[1]", "single_label"), ("domains[2]", "ip_address")]);
    }

    #[cfg(feature = "lists")]
    #[test]
    fn suffixes_free_mail_and_disposable_are_not_claimable() {
        let code = |d: &str| check_claimable(d).map_err(|e| e.code);
        assert_eq!(code("co.uk"), Err("public_suffix"));
        assert_eq!(code("com"), Err("public_suffix"));
        assert_eq!(code("github.io"), Err("public_suffix"));
        assert_eq!(code("gmail.com"), Err("free_email_provider"));
        assert_eq!(code("outlook.com"), Err("free_email_provider"));
        assert_eq!(code("mailinator.com"), Err("disposable_email_provider"));
        assert_eq!(code("acme.co.uk"), Ok(()));
        assert_eq!(code("acme.com"), Ok(()));
    }
}
