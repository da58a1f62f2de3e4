//! SAML 2.0 service provider: the identity provider's metadata (pasted,
//! fetched once, or entered by hand), our SP metadata, the AuthnRequest
//! (HTTP-Redirect) and the checks on the Response posted to the ACS.
//!
//! Signatures are verified by samael with libxmlsec1, only against the
//! certificates configured for the connection (never one carried in the
//! message); samael then keeps only the signed elements, so the claims are
//! read from what was signed. Checked besides: `Destination`, the bearer
//! `Recipient`, `Audience` (required), `Issuer`, `NotBefore`/`NotOnOrAfter`
//! with [`SKEW_SECS`], `InResponseTo` against the pending request, and an
//! allow-list of signature algorithms. Documents with a DTD are refused
//! before any parser sees them. Each assertion ID is accepted once (the
//! caller records it).

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use flate2::Compression;
use flate2::write::DeflateEncoder;
use samael::crypto::AllowedSignatureAlgorithm;
use samael::key_info::{KeyInfo, X509Data};
use samael::metadata::{EntityDescriptor, IdpSsoDescriptor, KeyDescriptor};
use samael::schema::{Assertion, AuthnRequest, Issuer, NameIdPolicy, Response};
use samael::service_provider::{Error as SpError, ServiceProvider};
use samael::traits::ToXml;

use super::Identity;

/// Clock skew tolerated on `NotBefore`/`NotOnOrAfter` and `IssueInstant`.
pub const SKEW_SECS: i64 = 120;
/// Largest metadata document or decoded Response read.
pub const MAX_XML_BYTES: usize = 512 * 1024;
pub const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const EMAIL_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// Attribute names identity providers use for the email (Okta, OneLogin,
/// JumpCloud: `email`; Entra ID: the claims URI; LDAP-style: `mail`, the OID).
const EMAIL_ATTRS: [&str; 5] = [
    "email",
    "mail",
    "emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
];
const NAME_ATTRS: [&str; 3] = ["displayname", "name", "http://schemas.microsoft.com/identity/claims/displayname"];
const GIVEN_ATTRS: [&str; 4] =
    ["firstname", "givenname", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "urn:oid:2.5.4.42"];
const FAMILY_ATTRS: [&str; 5] =
    ["lastname", "surname", "sn", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "urn:oid:2.5.4.4"];

/// What went wrong, in words an IT admin can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SamlError(pub String);

fn err(s: impl Into<String>) -> SamlError {
    SamlError(s.into())
}

/// The identity provider's side of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpConfig {
    pub entity_id: String,
    /// Where AuthnRequests go (HTTP-Redirect binding).
    pub sso_url: String,
    /// Signing certificates, DER.
    pub certificates: Vec<Vec<u8>>,
}

impl IdpConfig {
    /// The earliest `notAfter` of the signing certificates.
    pub fn certificate_expires_at(&self) -> Option<DateTime<Utc>> {
        self.certificates.iter().filter_map(|c| certificate_not_after(c)).min()
    }

    /// Certificates as stored: base64 DER, one per line.
    pub fn certificates_text(&self) -> String {
        self.certificates.iter().map(|c| STANDARD.encode(c)).collect::<Vec<_>>().join("\n")
    }

    pub fn from_stored(entity_id: &str, sso_url: &str, certificates: &str) -> Result<Self, SamlError> {
        let certificates = certificates
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| STANDARD.decode(l.trim()).map_err(|_| err("a stored certificate is damaged")))
            .collect::<Result<Vec<_>, _>>()?;
        if certificates.is_empty() {
            return Err(err("no signing certificate is configured"));
        }
        Ok(Self { entity_id: entity_id.to_owned(), sso_url: sso_url.to_owned(), certificates })
    }
}

/// Refuses documents with a DTD: no entity expansion, no external entities.
pub fn refuse_dtd(xml: &str) -> Result<(), SamlError> {
    let upper = xml.to_ascii_uppercase();
    if upper.contains("<!DOCTYPE") || upper.contains("<!ENTITY") {
        return Err(err("the XML contains a document type declaration (DTD), which is not accepted"));
    }
    Ok(())
}

/// A certificate given as PEM (`-----BEGIN CERTIFICATE-----`) or bare base64, as DER.
pub fn parse_certificate(text: &str) -> Result<Vec<u8>, SamlError> {
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if text.matches("BEGIN CERTIFICATE").count() > 1 {
        return Err(err("paste one certificate (the signing certificate), not a chain"));
    }
    let der = STANDARD.decode(body).map_err(|_| err("the certificate is not PEM or base64"))?;
    openssl::x509::X509::from_der(&der).map_err(|_| err("the certificate is not an X.509 certificate"))?;
    Ok(der)
}

/// When a certificate stops being valid.
pub fn certificate_not_after(der: &[u8]) -> Option<DateTime<Utc>> {
    let cert = openssl::x509::X509::from_der(der).ok()?;
    let epoch = openssl::asn1::Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(cert.not_after()).ok()?;
    DateTime::from_timestamp(i64::from(diff.days) * 86_400 + i64::from(diff.secs), 0)
}

/// An `https://` URL (or `http://` on a loopback host, for tests).
pub fn check_url(url: &str, what: &str) -> Result<(), SamlError> {
    shared::sso::parse_https_url(url, what)
        .map(|_| ())
        .map_err(|_| err(format!("the {what} ({url}) must be an https:// URL")))
}

/// Reads identity provider metadata: its entity ID, the HTTP-Redirect
/// single sign-on URL and the signing certificates.
pub fn parse_metadata(xml: &str) -> Result<IdpConfig, SamlError> {
    refuse_dtd(xml)?;
    if xml.len() > MAX_XML_BYTES {
        return Err(err(format!("the metadata is larger than {MAX_XML_BYTES} bytes")));
    }
    let trimmed = xml.trim_start_matches('\u{feff}').trim();
    let entity: EntityDescriptor = trimmed.parse().map_err(|_| {
        err("the metadata is not a SAML EntityDescriptor (download the identity provider's metadata XML again)")
    })?;
    let entity_id =
        entity.entity_id.clone().filter(|e| !e.trim().is_empty()).ok_or_else(|| err("the metadata has no entityID"))?;
    let descriptors = entity.idp_sso_descriptors.unwrap_or_default();
    let descriptor = descriptors
        .iter()
        .find(|d| d.protocol_support_enumeration.as_deref().is_some_and(|p| p.contains(PROTOCOL)))
        .or(descriptors.first())
        .ok_or_else(|| {
            err("the metadata describes no identity provider (IDPSSODescriptor); is it the service provider's?")
        })?;
    let sso_url = descriptor
        .single_sign_on_services
        .iter()
        .find(|s| s.binding == HTTP_REDIRECT)
        .map(|s| s.location.trim().to_owned())
        .ok_or_else(|| err("the metadata has no SingleSignOnService with the HTTP-Redirect binding"))?;
    check_url(&sso_url, "single sign-on URL")?;
    let signing = |k: &&KeyDescriptor| k.key_use.as_deref().is_none_or(|u| u.is_empty() || u == "signing");
    let mut certificates = Vec::new();
    for key in descriptor.key_descriptors.iter().filter(signing) {
        for cert in key.key_info.x509_data.iter().flat_map(|x| x.certificates.iter()) {
            let der = parse_certificate(cert)?;
            if !certificates.contains(&der) {
                certificates.push(der);
            }
        }
    }
    if certificates.is_empty() {
        return Err(err("the metadata has no signing certificate"));
    }
    Ok(IdpConfig { entity_id: entity_id.trim().to_owned(), sso_url, certificates })
}

/// Our metadata for the identity provider: entity ID, the ACS (HTTP-POST),
/// signed assertions wanted.
pub fn sp_metadata(entity_id: &str, acs_url: &str) -> String {
    let (e, a) = (xml_escape(entity_id), xml_escape(acs_url));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{e}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="{PROTOCOL}">
    <md:NameIDFormat>{EMAIL_FORMAT}</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="{HTTP_POST}" Location="{a}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// A fresh AuthnRequest ID (an XML ID: starts with a letter or `_`).
pub fn request_id() -> String {
    let mut bytes = [0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    format!("_{}", hex::encode(bytes))
}

pub struct AuthnParams<'a> {
    pub idp_sso_url: &'a str,
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    pub request_id: &'a str,
    pub relay_state: &'a str,
    pub now: DateTime<Utc>,
}

/// The identity provider's URL carrying the AuthnRequest (HTTP-Redirect binding: deflated, base64, in the query).
pub fn authn_request_url(p: &AuthnParams) -> Result<String, SamlError> {
    let request = AuthnRequest {
        id: p.request_id.to_owned(),
        version: "2.0".to_owned(),
        issue_instant: p.now,
        destination: Some(p.idp_sso_url.to_owned()),
        assertion_consumer_service_url: Some(p.acs_url.to_owned()),
        protocol_binding: Some(HTTP_POST.to_owned()),
        issuer: Some(Issuer { value: Some(p.sp_entity_id.to_owned()), ..Issuer::default() }),
        name_id_policy: Some(NameIdPolicy { allow_create: Some(true), ..NameIdPolicy::default() }),
        ..AuthnRequest::default()
    };
    let xml = request.to_string().map_err(|e| err(format!("could not write the AuthnRequest: {e}")))?;
    let mut deflater = DeflateEncoder::new(Vec::new(), Compression::default());
    deflater.write_all(xml.as_bytes()).map_err(|e| err(format!("could not compress the AuthnRequest: {e}")))?;
    let deflated = deflater.finish().map_err(|e| err(format!("could not compress the AuthnRequest: {e}")))?;
    let mut url = reqwest::Url::parse(p.idp_sso_url).map_err(|_| err("the single sign-on URL is not a URL"))?;
    url.query_pairs_mut()
        .append_pair("SAMLRequest", &STANDARD.encode(deflated))
        .append_pair("RelayState", p.relay_state);
    Ok(url.into())
}

/// Fetches metadata from the identity provider's URL once: short timeout,
/// size limit, no redirects.
pub async fn fetch_metadata(url: &str) -> Result<String, SamlError> {
    check_url(url, "metadata URL")?;
    let http = super::oidc::client().map_err(|e| err(e.0))?;
    let res = http.get(url).send().await.map_err(|e| err(format!("could not reach {url}: {e}")))?;
    if res.status().is_redirection() {
        return Err(err(format!("{url} redirects elsewhere; enter the final metadata URL")));
    }
    if !res.status().is_success() {
        return Err(err(format!("{url} answered {}", res.status())));
    }
    let body = super::oidc::read_limited(res, "metadata", MAX_XML_BYTES).await.map_err(|e| err(e.0))?;
    String::from_utf8(body).map_err(|_| err("the metadata is not UTF-8 text"))
}

/// What the Response must match.
pub struct Expected<'a> {
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    pub idp: &'a IdpConfig,
    /// The ID of the AuthnRequest this sign-in sent.
    pub request_id: &'a str,
}

/// A verified sign-in.
#[derive(Debug, Clone)]
pub struct Verified {
    pub identity: Identity,
    pub assertion_id: String,
    /// Until when the assertion could be replayed (its ID is remembered until then).
    pub valid_until: DateTime<Utc>,
}

/// Checks the base64 `SAMLResponse` posted to the ACS. CPU-bound (XML
/// signature): call it from a blocking thread.
pub fn verify_response(saml_response: &str, e: &Expected) -> Result<Verified, SamlError> {
    let compact: String = saml_response.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = STANDARD.decode(compact).map_err(|_| err("the SAMLResponse is not base64"))?;
    if bytes.len() > MAX_XML_BYTES {
        return Err(err(format!("the SAMLResponse is larger than {MAX_XML_BYTES} bytes")));
    }
    let xml = String::from_utf8(bytes).map_err(|_| err("the SAMLResponse is not UTF-8 XML"))?;
    refuse_dtd(&xml)?;
    one_response_one_assertion(&xml)?;
    // Read before the signature: the provider's own refusal (only reported),
    // and the Destination, which must be ours when present even if the
    // Response itself is unsigned (samael sees only the signed parts).
    if let Ok(response) = xml.parse::<Response>() {
        if let Some(status) = &response.status
            && let Some(code) = status.status_code.value.as_deref()
            && code != SUCCESS
        {
            let message = status.status_message.as_ref().and_then(|m| m.value.clone()).unwrap_or_default();
            let code = code.rsplit(':').next().unwrap_or(code);
            return Err(err(format!("the identity provider refused the sign-in ({code}) {message}").trim().to_owned()));
        }
        if let Some(destination) = response.destination.as_deref()
            && destination != e.acs_url
        {
            return Err(explain(SpError::DestinationValidationError {
                response_destination: Some(destination.to_owned()),
                sp_acs_url: Some(e.acs_url.to_owned()),
            }));
        }
    }
    let sp = service_provider(e)?;
    let assertion = sp.parse_xml_response(&xml, Some(&[e.request_id])).map_err(explain)?;
    read_assertion(&assertion, e)
}

/// Refuses documents that are not exactly one Response carrying at most one
/// Assertion (none when the provider refused): extra or nested copies are
/// how signature-wrapping attacks smuggle an unsigned assertion in, and no
/// identity provider sends them for a browser sign-in.
fn one_response_one_assertion(xml: &str) -> Result<(), SamlError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut responses, mut assertions, mut encrypted) = (0, 0, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                match e.local_name().as_ref() {
                    b"Response" => responses += 1,
                    b"Assertion" => assertions += 1,
                    b"EncryptedAssertion" => encrypted += 1,
                    _ => {}
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(_) => return Err(err("the SAMLResponse is not well-formed XML")),
        }
    }
    if encrypted > 0 {
        return Err(err("the assertion is encrypted; turn assertion encryption off in the identity provider"));
    }
    if responses != 1 || assertions > 1 {
        return Err(err(format!(
            "the response carries {responses} Response and {assertions} Assertion elements; exactly one of each is accepted"
        )));
    }
    Ok(())
}

fn service_provider(e: &Expected) -> Result<ServiceProvider, SamlError> {
    let key_descriptors = e
        .idp
        .certificates
        .iter()
        .map(|der| KeyDescriptor {
            key_use: Some("signing".to_owned()),
            key_info: KeyInfo { id: None, x509_data: Some(X509Data { certificates: vec![STANDARD.encode(der)] }) },
            encryption_methods: None,
        })
        .collect::<Vec<_>>();
    if key_descriptors.is_empty() {
        // Without a certificate samael would not verify anything.
        return Err(err("no signing certificate is configured"));
    }
    let descriptor = IdpSsoDescriptor {
        id: None,
        valid_until: None,
        cache_duration: None,
        protocol_support_enumeration: Some(PROTOCOL.to_owned()),
        error_url: None,
        signature: None,
        key_descriptors,
        organization: None,
        contact_people: Vec::new(),
        artifact_resolution_service: Vec::new(),
        single_logout_services: Vec::new(),
        manage_name_id_services: Vec::new(),
        name_id_formats: Vec::new(),
        want_authn_requests_signed: None,
        single_sign_on_services: Vec::new(),
        name_id_mapping_services: Vec::new(),
        assertion_id_request_services: Vec::new(),
        attribute_profiles: Vec::new(),
        attributes: Vec::new(),
    };
    Ok(ServiceProvider {
        entity_id: Some(e.sp_entity_id.to_owned()),
        acs_url: Some(e.acs_url.to_owned()),
        metadata_url: None,
        slo_url: None,
        idp_metadata: EntityDescriptor {
            entity_id: Some(e.idp.entity_id.clone()),
            idp_sso_descriptors: Some(vec![descriptor]),
            ..EntityDescriptor::default()
        },
        allow_idp_initiated: false,
        max_clock_skew: Duration::seconds(SKEW_SECS),
        // Sent a moment ago, plus the skew.
        max_issue_delay: Duration::seconds(60 + SKEW_SECS),
        allowed_signature_algorithms: Some(vec![
            AllowedSignatureAlgorithm::RsaSha256,
            AllowedSignatureAlgorithm::RsaSha384,
            AllowedSignatureAlgorithm::RsaSha512,
            AllowedSignatureAlgorithm::EcdsaSha256,
            AllowedSignatureAlgorithm::EcdsaSha384,
            AllowedSignatureAlgorithm::EcdsaSha512,
        ]),
        ..ServiceProvider::default()
    })
}

/// samael's errors in words an IT admin can act on.
fn explain(e: SpError) -> SamlError {
    let detail = match e {
        SpError::FailedToValidateSignature => "the response is not signed with the identity provider's certificate configured here (unsigned, signed by another key, changed after signing, or signed with SHA-1); check the certificate and that assertions are signed with SHA-256".to_owned(),
        SpError::DestinationValidationError { response_destination, sp_acs_url } => format!(
            "the response was sent to {} instead of our ACS URL {}",
            response_destination.unwrap_or_default(),
            sp_acs_url.unwrap_or_default()
        ),
        SpError::AssertionRecipientMismatch { assertion_recipient, sp_acs_url } => format!(
            "the assertion is for the recipient {} instead of our ACS URL {}",
            assertion_recipient.unwrap_or_default(),
            sp_acs_url.unwrap_or_default()
        ),
        SpError::AssertionConditionAudienceRestrictionFailed { requirement } => {
            format!("the assertion's audience is not our SP Entity ID {requirement}; set the Audience URI in the identity provider")
        }
        SpError::AssertionIssuerMismatch { issuer, entity_id } | SpError::ResponseIssuerMismatch { issuer, entity_id } => {
            format!(
                "the response comes from the issuer {} but the identity provider's entity ID configured here is {}",
                issuer.unwrap_or_default(),
                entity_id.unwrap_or_default()
            )
        }
        SpError::AssertionExpired { time }
        | SpError::ResponseExpired { time }
        | SpError::AssertionConditionExpired { time }
        | SpError::AssertionSubjectConfirmationExpired { time } => {
            format!("the response expired at {time}; check the identity provider's clock and sign in again")
        }
        SpError::AssertionConditionExpiredBefore { time } | SpError::AssertionSubjectConfirmationExpiredBefore { time } => {
            format!("the response is not valid before {time}; check the identity provider's clock")
        }
        SpError::AssertionInResponseToInvalid { .. } | SpError::ResponseInResponseToInvalid { .. } => {
            "the response does not answer the sign-in this browser started (InResponseTo); IdP-initiated sign-in is off, start from the login page".to_owned()
        }
        SpError::AssertionBearerSubjectConfirmationMissing | SpError::AssertionSubjectConfirmationMissing => {
            "the assertion has no bearer subject confirmation".to_owned()
        }
        SpError::EncryptedAssertionsNotYetSupported
        | SpError::MissingPrivateKeySP
        | SpError::EncryptedAssertionInvalid
        | SpError::FailedToDecryptAssertion => {
            "the assertion is encrypted; turn assertion encryption off in the identity provider".to_owned()
        }
        SpError::FailedToParseSamlResponse(_) | SpError::FailedToParseSamlAssertion(_) | SpError::DeserializeResponseError => {
            "the response is not a SAML 2.0 Response we can read".to_owned()
        }
        SpError::ResponseBadStatusCode { code } => format!("the identity provider refused the sign-in ({code})"),
        other => format!("the response could not be checked: {other}"),
    };
    err(detail)
}

fn attribute(assertion: &Assertion, names: &[&str]) -> Option<String> {
    assertion
        .attribute_statements
        .iter()
        .flatten()
        .flat_map(|s| s.attributes.iter())
        .filter(|a| {
            [a.name.as_deref(), a.friendly_name.as_deref()]
                .into_iter()
                .flatten()
                .any(|n| names.iter().any(|w| w.eq_ignore_ascii_case(n)))
        })
        .flat_map(|a| a.values.iter())
        .filter_map(|v| v.value.as_deref().map(str::trim))
        .find(|v| !v.is_empty())
        .map(str::to_owned)
}

fn read_assertion(assertion: &Assertion, e: &Expected) -> Result<Verified, SamlError> {
    // samael checks the audience only when a restriction is present; require one.
    let audiences: Vec<&str> = assertion
        .conditions
        .iter()
        .flat_map(|c| c.audience_restrictions.iter().flatten())
        .flat_map(|r| r.audience.iter().map(String::as_str))
        .collect();
    if !audiences.contains(&e.sp_entity_id) {
        return Err(err(format!(
            "the assertion names no audience, or not our SP Entity ID {}; set the Audience URI in the identity provider",
            e.sp_entity_id
        )));
    }
    if assertion.id.trim().is_empty() {
        return Err(err("the assertion has no ID"));
    }
    let name_id = assertion
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .filter(|n| !n.value.trim().is_empty())
        .ok_or_else(|| err("the assertion has no NameID (subject)"))?;
    let subject = name_id.value.trim().to_owned();
    let email = attribute(assertion, &EMAIL_ATTRS).or_else(|| {
        let is_email = name_id.format.as_deref() == Some(EMAIL_FORMAT) || subject.contains('@');
        is_email.then(|| subject.clone())
    });
    let name = attribute(assertion, &NAME_ATTRS).or_else(|| {
        let parts: Vec<String> =
            [attribute(assertion, &GIVEN_ATTRS), attribute(assertion, &FAMILY_ATTRS)].into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    let limits = [
        assertion.conditions.as_ref().and_then(|c| c.not_on_or_after),
        assertion
            .subject
            .as_ref()
            .and_then(|s| s.subject_confirmations.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|c| c.subject_confirmation_data.as_ref().and_then(|d| d.not_on_or_after))
            .max(),
    ];
    let valid_until = limits.into_iter().flatten().max().unwrap_or_else(Utc::now) + Duration::seconds(SKEW_SECS);
    Ok(Verified {
        identity: Identity { subject, email, email_verified: true, name },
        assertion_id: assertion.id.clone(),
        valid_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtds_are_refused() {
        assert!(refuse_dtd("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x/>").is_err());
        assert!(refuse_dtd("<!doctype x><x/>").is_err());
        assert!(refuse_dtd("<x>ok</x>").is_ok());
    }

    #[test]
    fn metadata_without_a_certificate_or_redirect_binding_is_refused() {
        let no_cert = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor></md:EntityDescriptor>"#;
        assert_eq!(
            parse_metadata(no_cert).err().map(|e| e.0).as_deref(),
            Some("the metadata has no signing certificate")
        );
        let post_only = no_cert.replace("HTTP-Redirect", "HTTP-POST");
        assert!(parse_metadata(&post_only).is_err_and(|e| e.0.contains("HTTP-Redirect")));
        assert!(parse_metadata("<x/>").is_err());
        let sp = sp_metadata("https://sp.example.com/sso/saml/con_1/metadata", "https://sp.example.com/acs");
        assert!(parse_metadata(&sp).is_err_and(|e| e.0.contains("IDPSSODescriptor")));
    }

    #[test]
    fn authn_request_is_deflated_into_the_query() {
        let url = authn_request_url(&AuthnParams {
            idp_sso_url: "https://idp.example.com/sso?tenant=1",
            sp_entity_id: "https://sp.example.com/m",
            acs_url: "https://sp.example.com/acs",
            request_id: "_abc",
            relay_state: "st",
            now: Utc::now(),
        })
        .unwrap_or_default();
        let parsed = reqwest::Url::parse(&url).ok();
        let pairs: Vec<(String, String)> =
            parsed.iter().flat_map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned()))).collect();
        assert_eq!(pairs.first().map(|p| p.0.as_str()), Some("tenant"));
        assert!(pairs.iter().any(|(k, v)| k == "RelayState" && v == "st"));
        let request = pairs.iter().find(|(k, _)| k == "SAMLRequest").map(|p| p.1.clone()).unwrap_or_default();
        let deflated = STANDARD.decode(request).unwrap_or_default();
        let mut xml = String::new();
        let read = std::io::Read::read_to_string(&mut flate2::read::DeflateDecoder::new(&deflated[..]), &mut xml);
        assert!(read.is_ok());
        assert!(xml.contains(r#"ID="_abc""#) && xml.contains("https://sp.example.com/acs"), "{xml}");
        assert!(request_id().starts_with('_') && request_id().len() == 41);
    }
}
