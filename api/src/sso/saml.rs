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
use crate::guard::outbound::{Outbound, read_limited};

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
    // A sign-in or admin page pasted (or fetched) where metadata belongs.
    let start = upper.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with("<!DOCTYPE HTML") || start.starts_with("<HTML") || upper.contains("<BODY") {
        return Err(err(
            "this is a web page, not SAML metadata: use the identity provider's metadata URL or file, an XML document \
             starting with <EntityDescriptor>",
        ));
    }
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
pub async fn fetch_metadata(http: &Outbound, url: &str) -> Result<String, SamlError> {
    check_url(url, "metadata URL")?;
    let what = "metadata URL";
    let res = http.send(http.get(url, what).map_err(|e| err(e.0))?, what).await.map_err(|e| err(e.0))?;
    if !res.status().is_success() {
        return Err(err(format!("the metadata URL answered HTTP {}", res.status().as_u16())));
    }
    let body = read_limited(res, "metadata", MAX_XML_BYTES).await.map_err(|e| err(e.0))?;
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
    // Before any parser that acts on the document sees it.
    let xml = screen(&bytes)?;
    // Read before the signature: the provider's own refusal (only reported),
    // and the Destination, which must be ours when present even if the
    // Response itself is unsigned (samael sees only the signed parts).
    if let Ok(response) = xml.parse::<Response>() {
        if let Some(status) = &response.status
            && let Some(code) = status.status_code.value.as_deref()
            && code != SUCCESS
        {
            // The status code's last part, when it looks like one, and the
            // provider's message (what IT admins need, e.g. "User is not
            // assigned to this application"), capped and printable only: the
            // document is not verified, but only reaches the browser that
            // started this sign-in.
            let code =
                code.rsplit(':').next().filter(|c| c.len() <= 64 && c.chars().all(|c| c.is_ascii_alphanumeric()));
            let message: String = status
                .status_message
                .as_ref()
                .and_then(|m| m.value.as_deref())
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            return Err(err(format!(
                "the identity provider refused the sign-in ({}) {message}",
                code.unwrap_or("an error")
            )
            .trim()
            .to_owned()));
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
    let assertion = {
        let _one_at_a_time = LIBXML2.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        sp.parse_xml_response(xml, Some(&[e.request_id])).map_err(explain)?
    };
    read_assertion(&assertion, e)
}

/// Digest, signature and canonicalization algorithms a Signature may name.
const SIGNATURE_METHODS: [&str; 6] = [
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
const DIGEST_METHODS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
const CANONICALIZATIONS: [&str; 4] = [
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
];
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// Bounds on what libxml2 builds from one Response (it is at most
/// [`MAX_XML_BYTES`] long): nesting, elements, attributes on one element,
/// signatures (the Response's and the Assertion's).
const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 20_000;
const MAX_ATTRIBUTES: usize = 32;
const MAX_SIGNATURES: usize = 2;
/// Elements no identity provider puts in a sign-in Response and that make
/// xmlsec fetch, decrypt or run something: key retrieval by URI, manifests
/// and objects (more references), encrypted keys and data, key agreement.
const FORBIDDEN_ELEMENTS: [&str; 9] = [
    "RetrievalMethod",
    "Manifest",
    "Object",
    "EncryptedKey",
    "EncryptedData",
    "AgreementMethod",
    "KeyInfoReference",
    "SPKIData",
    "PGPData",
];

/// Attributes xmlsec reads (by local name, in any namespace).
const XMLSEC_ATTRIBUTES: [&str; 6] = ["URI", "Algorithm", "PrefixList", "Type", "Id", "ID"];

/// The Signature being read: what it has named so far.
#[derive(Default)]
struct SignatureSeen {
    depth: usize,
    signed_info: usize,
    references: usize,
    transforms: usize,
}

/// Reads the Response as text before any XML-signature processing and
/// refuses what libxml2 and xmlsec would otherwise act on: a document that
/// is not plainly UTF-8 (an `encoding=` other than UTF-8, UTF-16/32 text or
/// byte-order marks — one document must read the same to every parser), a
/// DTD or processing instruction, references outside the document (`URI`
/// other than empty or `#id`: no network, no files), transforms other than
/// enveloped-signature and canonicalization (no XPath, XSLT or
/// decompression), more or fewer than one Reference per Signature,
/// algorithms outside the allow-lists, and documents deeper or larger than
/// any sign-in needs; then requires exactly one Response with at most one
/// Assertion (none when the provider refused): extra or nested copies are
/// how signature-wrapping attacks smuggle an unsigned assertion in.
///
/// Names are matched by local name whatever their namespace (a prefix or
/// namespace trick cannot hide an element from these checks), and
/// attribute values as libxml2 reads them (entity and character references
/// resolved).
pub fn screen(bytes: &[u8]) -> Result<&str, SamlError> {
    if bytes.len() > MAX_XML_BYTES {
        return Err(err(format!("the SAMLResponse is larger than {MAX_XML_BYTES} bytes")));
    }
    // UTF-16/32 (with or without a byte-order mark) has NUL bytes or bytes
    // that are never UTF-8; a UTF-8 byte-order mark is dropped.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let xml = std::str::from_utf8(bytes).map_err(|_| err("the SAMLResponse is not UTF-8 XML"))?;
    if xml.contains(|c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(err("the SAMLResponse contains control characters (only UTF-8 XML is accepted)"));
    }
    refuse_dtd(xml)?;
    if xml.starts_with("<?xml") && !xml[5..].starts_with(|c: char| c.is_ascii_whitespace()) {
        return Err(err("the SAMLResponse contains a processing instruction, which is not accepted"));
    }
    if xml.starts_with("<?xml") {
        let decl = xml.split("?>").next().unwrap_or_default().to_ascii_lowercase();
        let encodings = decl.matches("encoding").count();
        let utf8 = ["encoding=\"utf-8\"", "encoding='utf-8'"].iter().any(|e| decl.replace(' ', "").contains(e));
        if encodings > 1 || (encodings == 1 && !utf8) {
            return Err(err("the SAMLResponse declares an encoding other than UTF-8, which is not accepted"));
        }
        let compact = decl.replace(' ', "");
        if !(compact.contains("version=\"1.0\"") || compact.contains("version='1.0'")) {
            return Err(err("the SAMLResponse declares an XML version other than 1.0, which is not accepted"));
        }
    }
    strictly_well_formed(xml)?;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut responses, mut assertions, mut encrypted, mut elements, mut depth) = (0, 0, 0, 0usize, 0usize);
    let mut signatures: Vec<SignatureSeen> = Vec::new();
    let mut open: Vec<SignatureSeen> = Vec::new();
    // The local name of each open element, to know a Transform's children.
    let mut path: Vec<String> = Vec::new();
    let mut first = true;
    loop {
        let event = reader.read_event().map_err(|_| err("the SAMLResponse is not well-formed XML"))?;
        let at_start = std::mem::take(&mut first);
        let (start, empty) = match event {
            quick_xml::events::Event::Start(e) => (e, false),
            quick_xml::events::Event::Empty(e) => (e, true),
            quick_xml::events::Event::End(_) => {
                depth = depth.saturating_sub(1);
                path.pop();
                if open.last().is_some_and(|s| s.depth == depth + 1) {
                    signatures.extend(open.pop());
                }
                continue;
            }
            quick_xml::events::Event::Decl(_) if at_start => continue,
            quick_xml::events::Event::Decl(_) | quick_xml::events::Event::PI(_) => {
                return Err(err("the SAMLResponse contains a processing instruction, which is not accepted"));
            }
            quick_xml::events::Event::DocType(_) => {
                return Err(err("the XML contains a document type declaration (DTD), which is not accepted"));
            }
            quick_xml::events::Event::Eof => break,
            _ => continue,
        };
        elements += 1;
        depth += 1;
        if depth > MAX_DEPTH || elements > MAX_ELEMENTS {
            return Err(err("the SAMLResponse is nested deeper or has more elements than any sign-in needs"));
        }
        if start.name().as_ref().iter().filter(|b| **b == b':').count() > 1 {
            return Err(err("the SAMLResponse is not well-formed XML (a name with two prefixes)"));
        }
        let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let mut attributes: Vec<(String, String)> = Vec::new();
        let mut declarations = 0;
        for a in start.attributes() {
            let a = a.map_err(|_| err("the SAMLResponse is not well-formed XML"))?;
            // Namespace declarations (`xmlns`, `xmlns:p`) are not attributes
            // to libxml2, so none of xmlsec's lookups can find them.
            if a.key.as_namespace_binding().is_some() {
                declarations += 1;
                continue;
            }
            if a.key.as_ref().iter().filter(|b| **b == b':').count() > 1 {
                return Err(err("the SAMLResponse is not well-formed XML (a name with two prefixes)"));
            }
            let name = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            // xmlsec reads these by local name whatever their namespace
            // (`xmlGetProp`): a prefixed one would be read where a checker
            // looking for the plain one sees another value, or nothing.
            if a.key.prefix().is_some() && XMLSEC_ATTRIBUTES.contains(&name.as_str()) {
                return Err(err(format!(
                    "the SAMLResponse carries a prefixed {name} attribute, which is not accepted"
                )));
            }
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|_| err("the SAMLResponse is not well-formed XML"))?
                .into_owned();
            // `ds:Algorithm` and `Algorithm` are one attribute to libxml2's lookups.
            if attributes.iter().any(|(n, _)| *n == name) {
                return Err(err(format!("the SAMLResponse repeats the attribute {name} on {local}")));
            }
            attributes.push((name, value));
        }
        if attributes.len() > MAX_ATTRIBUTES || declarations > MAX_ATTRIBUTES {
            return Err(err("the SAMLResponse has an element with more attributes than any sign-in needs"));
        }
        if local == "InclusiveNamespaces" && attributes.iter().any(|(n, _)| n != "PrefixList") {
            return Err(err("the canonicalization's InclusiveNamespaces carries more than a PrefixList"));
        }
        let attr = |n: &str| attributes.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        // Only references to elements of this document: no network, no files.
        if let Some(uri) = attr("URI")
            && !(uri.is_empty() || uri.strip_prefix('#').is_some_and(is_ncname))
        {
            return Err(err(
                "the signature references something outside the document (only URI=\"\" or \"#id\" is accepted)",
            ));
        }
        let parent = path.last().map(String::as_str);
        if parent == Some("Transform") && local != "InclusiveNamespaces" {
            return Err(err(format!(
                "the signature's transform carries {local}; only the enveloped-signature and canonicalization transforms are accepted"
            )));
        }
        if FORBIDDEN_ELEMENTS.contains(&local.as_str()) {
            return Err(err(format!("the signature carries {local}, which is not accepted")));
        }
        let algorithm = attr("Algorithm").unwrap_or_default();
        if local == "Signature" {
            if !open.is_empty() {
                return Err(err("the SAMLResponse nests one signature in another"));
            }
            open.push(SignatureSeen { depth, ..SignatureSeen::default() });
        }
        match (local.as_str(), open.last_mut()) {
            ("Response", _) => responses += 1,
            ("Assertion", _) => assertions += 1,
            ("EncryptedAssertion", _) => encrypted += 1,
            ("SignedInfo", Some(s)) => s.signed_info += 1,
            ("Reference", Some(s)) => {
                s.references += 1;
                if attr("URI").is_none() {
                    return Err(err("the signature's Reference has no URI"));
                }
            }
            ("Reference", None) => return Err(err("the SAMLResponse has a Reference outside a signature")),
            ("Transform", Some(s)) => {
                s.transforms += 1;
                if algorithm != ENVELOPED && !CANONICALIZATIONS.contains(&algorithm) {
                    return Err(err(
                        "the signature uses a transform other than enveloped-signature and canonicalization, which is not accepted",
                    ));
                }
            }
            ("CanonicalizationMethod", _) if !CANONICALIZATIONS.contains(&algorithm) => {
                return Err(err("the signature's canonicalization method is not one we accept"));
            }
            ("SignatureMethod", _) if !SIGNATURE_METHODS.contains(&algorithm) => {
                return Err(err("the signature is not made with RSA or ECDSA over SHA-256, SHA-384 or SHA-512"));
            }
            ("DigestMethod", _) if !DIGEST_METHODS.contains(&algorithm) => {
                return Err(err("the signature's digest is not SHA-256, SHA-384 or SHA-512"));
            }
            ("Transform" | "SignedInfo", None) => {
                return Err(err(format!("the SAMLResponse has a {local} outside a signature")));
            }
            _ => {}
        }
        if empty {
            depth -= 1;
            if open.last().is_some_and(|s| s.depth == depth + 1) {
                signatures.extend(open.pop());
            }
        } else {
            path.push(local);
        }
    }
    if depth != 0 || !open.is_empty() {
        return Err(err("the SAMLResponse is not well-formed XML"));
    }
    if signatures.len() > MAX_SIGNATURES {
        return Err(err(format!(
            "the SAMLResponse carries {} signatures; at most {MAX_SIGNATURES} are accepted",
            signatures.len()
        )));
    }
    if signatures.iter().any(|s| s.signed_info != 1 || s.references != 1 || s.transforms > 2) {
        return Err(err(
            "each signature must sign exactly one element (one SignedInfo with one Reference and at most two transforms)",
        ));
    }
    if encrypted > 0 {
        return Err(err("the assertion is encrypted; turn assertion encryption off in the identity provider"));
    }
    if responses != 1 || assertions > 1 {
        return Err(err(format!(
            "the response carries {responses} Response and {assertions} Assertion elements; exactly one of each is accepted"
        )));
    }
    Ok(xml)
}

/// libxml2 and xmlsec keep process-wide state (error reporting, parser
/// globals): two documents read at once on two threads were seen to fail a
/// well-formed one under load. Every use here takes this lock; a SAML
/// sign-in is not a hot path (the `signatures` pool bounds them anyway).
static LIBXML2: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// samael parses with libxml2 in recovery mode, which turns a document that
/// is not well-formed (a raw `<` in an attribute value, attributes run
/// together, mismatched end tags) into some tree — not necessarily the one
/// any other reader sees. So libxml2 itself must first read the document as
/// well-formed XML, without recovery, network, DTD loading or entity
/// substitution, as UTF-8 whatever it declares; on a well-formed document
/// recovery changes nothing, and the text screen and libxml2 read one tree.
fn strictly_well_formed(xml: &str) -> Result<(), SamlError> {
    let _one_at_a_time = LIBXML2.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let options = libxml::parser::ParserOptions {
        recover: false,
        no_net: true,
        no_def_dtd: true,
        no_error: true,
        no_warning: true,
        encoding: Some("UTF-8"),
        ..libxml::parser::ParserOptions::default()
    };
    libxml::parser::Parser::default()
        .parse_string_with_options(xml, options)
        .map(drop)
        .map_err(|_| err("the SAMLResponse is not well-formed XML"))
}

/// An XML `NCName` as identity providers write IDs (ASCII): a letter or `_`,
/// then letters, digits, `_`, `-`, `.`.
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && s.len() <= 256
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

    #[test]
    fn a_web_page_given_as_metadata_is_named_for_what_it_is() {
        for page in ["<!DOCTYPE html><html><body>Sign in</body></html>", "  <html><head></head><body></body></html>"] {
            let e = refuse_dtd(page).unwrap_err().0;
            assert!(e.contains("a web page, not SAML metadata"), "{e}");
        }
        assert!(refuse_dtd("<!DOCTYPE x [<!ENTITY a 'b'>]><x/>").unwrap_err().0.contains("DTD"));
    }

    use super::*;

    /// A Response shaped like an identity provider's, with `signature` as
    /// the Assertion's ds:Signature.
    fn response_with(signature: &str) -> String {
        format!(
            r##"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://idp.example.com</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://idp.example.com</saml:Issuer>{signature}<saml:Subject><saml:NameID>ada@acme.com</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>"##
        )
    }

    fn signature(uri: &str, transforms: &str) -> String {
        format!(
            r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="{uri}"><ds:Transforms>{transforms}</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"##
        )
    }

    const STANDARD_TRANSFORMS: &str = r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs"/></ds:Transform>"#;

    fn refused(xml: &str) -> String {
        screen(xml.as_bytes()).err().map(|e| e.0).unwrap_or_else(|| "accepted".to_owned())
    }

    #[test]
    fn an_identity_providers_signature_passes_the_screen() {
        let xml = response_with(&signature("#_a1", STANDARD_TRANSFORMS));
        assert_eq!(screen(xml.as_bytes()).err(), None);
        let declared = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}");
        assert_eq!(screen(declared.as_bytes()).err(), None);
        let bom = [b"\xEF\xBB\xBF".as_slice(), xml.as_bytes()].concat();
        assert_eq!(screen(&bom).err(), None);
        assert_eq!(screen(response_with(&signature("", STANDARD_TRANSFORMS)).as_bytes()).err(), None);
    }

    #[test]
    fn references_outside_the_document_are_refused() {
        for uri in [
            "http://127.0.0.1:9/canary",
            "file:///etc/passwd",
            "https://idp.example.com/x",
            "#xpointer(/)",
            "#xpointer(id('_a1'))",
            "other.xml#_a1",
            "&#x68;ttp://127.0.0.1/",
            "//127.0.0.1/x",
        ] {
            let e = refused(&response_with(&signature(uri, STANDARD_TRANSFORMS)));
            assert!(e.contains("outside the document") || e.contains("well-formed"), "{uri}: {e}");
        }
        // A retrieval method (a key fetched by URI) is refused whatever its URI.
        let retrieval = signature("#_a1", STANDARD_TRANSFORMS).replace(
            "<ds:SignatureValue>",
            r##"<ds:KeyInfo><ds:RetrievalMethod URI="#_a1"/></ds:KeyInfo><ds:SignatureValue>"##,
        );
        assert!(refused(&response_with(&retrieval)).contains("RetrievalMethod"));
    }

    #[test]
    fn transforms_beyond_enveloped_and_canonicalization_are_refused() {
        let xpath = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>count(//. | //@* | //namespace::*)</ds:XPath></ds:Transform>"#;
        let xslt = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/"><xsl:copy-of select="."/></xsl:template></xsl:stylesheet></ds:Transform>"#;
        let filter2 = r#"<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="intersect">//.</dsig-xpath:XPath></ds:Transform>"#;
        let base64 = r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#base64"/>"#;
        // The transform named with a prefixed attribute (libxml2's lookup reads it as Algorithm).
        let prefixed = r#"<ds:Transform ds:Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/>"#;
        let three = format!(
            "{STANDARD_TRANSFORMS}{}",
            r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#
        );
        for t in [xpath, xslt, filter2, base64, prefixed, three.as_str()] {
            let e = refused(&response_with(&signature("#_a1", t)));
            assert!(e.contains("transform") || e.contains("exactly one element") || e.contains("prefixed"), "{t}: {e}");
        }
    }

    #[test]
    fn xml_that_only_recovery_could_read_is_refused() {
        // A raw `<` in an attribute value: quick-xml reads one harmless
        // attribute, libxml2's recovery an extra (external) Reference.
        let smuggled = signature("#_a1", STANDARD_TRANSFORMS).replace(
            r#"<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>"#,
            r#"<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" z="<ds:Reference URI='file:///dev/zero'><ds:DigestMethod Algorithm='http://www.w3.org/2001/04/xmlenc#sha256'/><ds:DigestValue>AA==</ds:DigestValue></ds:Reference>"/>"#,
        );
        assert!(refused(&response_with(&smuggled)).contains("well-formed"));
        let run_together = response_with(&signature("#_a1", STANDARD_TRANSFORMS))
            .replace(r#"ID="_a1" Version="2.0""#, r#"ID="_a1"Version="2.0""#);
        assert!(refused(&run_together).contains("well-formed"));
        let mismatched =
            response_with(&signature("#_a1", STANDARD_TRANSFORMS)).replace("</saml:Subject>", "</saml:Subjects>");
        assert!(refused(&mismatched).contains("well-formed"));
    }

    #[test]
    fn namespace_tricks_cannot_hide_an_attribute_from_the_screen() {
        // quick-xml lists `xmlns:URI` as an attribute named URI; libxml2
        // does not, and xmlsec reads `xmlnsX:URI` (prefix xmlnsX) as URI.
        let hidden_uri = signature("#_a1", STANDARD_TRANSFORMS).replace(
            r##"<ds:Reference URI="#_a1">"##,
            r##"<ds:Reference xmlns:URI="#_r1" xmlnsX:URI="file:///dev/zero" xmlns:xmlnsX="urn:x">"##,
        );
        let e = refused(&response_with(&hidden_uri));
        assert!(e.contains("prefixed URI") || e.contains("no URI"), "{e}");
        let prefixed = signature("#_a1", STANDARD_TRANSFORMS)
            .replace(r##"<ds:Reference URI="#_a1">"##, r##"<ds:Reference ds:URI="http://127.0.0.1/x">"##);
        assert!(refused(&response_with(&prefixed)).contains("prefixed URI"));
        let hidden_algorithm = signature(
            "#_a1",
            r#"<ds:Transform xmlns:Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature" xmlnsX:Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116" xmlns:xmlnsX="urn:x"/>"#,
        );
        assert!(refused(&response_with(&hidden_algorithm)).contains("prefixed Algorithm"));
        let xslt_in_c14n = signature(
            "#_a1",
            r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xsl:version="1.0" PrefixList="xs"/></ds:Transform>"#,
        );
        assert!(refused(&response_with(&xslt_in_c14n)).contains("InclusiveNamespaces"));
        let two_prefixes = response_with(&signature("#_a1", STANDARD_TRANSFORMS))
            .replace("<saml:Subject>", "<a:b:Subject>")
            .replace("</saml:Subject>", "</a:b:Subject>");
        let e = refused(&two_prefixes);
        assert!(e.contains("two prefixes") || e.contains("well-formed"), "{e}");
    }

    #[test]
    fn one_reference_per_signature_and_allowed_algorithms_only() {
        let two = signature("#_a1", STANDARD_TRANSFORMS).replace(
            "</ds:SignedInfo>",
            r##"<ds:Reference URI="#_r1"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>"##,
        );
        assert!(refused(&response_with(&two)).contains("exactly one element"));
        let sha1 = signature("#_a1", STANDARD_TRANSFORMS)
            .replace("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
        assert!(refused(&response_with(&sha1)).contains("SHA-256"));
        let hmac = signature("#_a1", STANDARD_TRANSFORMS).replace(
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        );
        assert!(refused(&response_with(&hmac)).contains("RSA or ECDSA"));
        let md5 = signature("#_a1", STANDARD_TRANSFORMS)
            .replace("http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmldsig-more#md5");
        assert!(refused(&response_with(&md5)).contains("digest"));
        let object = signature("#_a1", STANDARD_TRANSFORMS)
            .replace("</ds:Signature>", "<ds:Object><ds:Manifest/></ds:Object></ds:Signature>");
        assert!(refused(&response_with(&object)).contains("Object"));
        let three = response_with(&format!("{0}{0}{0}", signature("#_a1", STANDARD_TRANSFORMS)));
        assert!(refused(&three).contains("signatures"));
    }

    #[test]
    fn only_plain_utf8_is_read() {
        let xml = response_with(&signature("#_a1", STANDARD_TRANSFORMS));
        for declaration in [
            r#"<?xml version="1.0" encoding="UTF-7"?>"#,
            r#"<?xml version="1.0" encoding='utf-16'?>"#,
            r#"<?xml version="1.0" encoding = "ISO-8859-1"?>"#,
            r#"<?xml version="1.0" encoding="UTF-8" encoding="UTF-7"?>"#,
        ] {
            let e = refused(&format!("{declaration}{xml}"));
            assert!(e.contains("encoding"), "{declaration}: {e}");
        }
        // UTF-16 with and without a byte-order mark, UTF-32.
        let utf16: Vec<u8> = xml.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(refused_bytes(&[b"\xFF\xFE".as_slice(), &utf16].concat()).contains("UTF-8"));
        assert!(refused_bytes(&utf16).contains("control characters"));
        let utf32: Vec<u8> = xml.chars().flat_map(|c| u32::from(c).to_be_bytes()).collect();
        assert!(refused_bytes(&[b"\x00\x00\xFE\xFF".as_slice(), &utf32].concat()).contains("UTF-8"));
        // A UTF-7 document with a DTD that only a UTF-7 reader sees.
        let utf7 = format!(r#"<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x+AD4-{xml}"#);
        assert!(refused(&utf7).contains("encoding"));
        let pi = format!("<?xml-stylesheet href=\"http://127.0.0.1/x.xsl\"?>{xml}");
        assert!(refused(&pi).contains("processing instruction"));
    }

    fn refused_bytes(bytes: &[u8]) -> String {
        screen(bytes).err().map(|e| e.0).unwrap_or_else(|| "accepted".to_owned())
    }

    #[test]
    fn oversized_and_deep_documents_are_refused() {
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        assert!(refused(&response_with(&deep)).contains("nested deeper"));
        let wide = "<a/>".repeat(MAX_ELEMENTS);
        assert!(refused(&response_with(&wide)).contains("more elements"));
        let big = "x".repeat(MAX_XML_BYTES + 1);
        assert!(refused(&big).contains("larger"));
    }

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
