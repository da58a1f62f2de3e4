//! The server's few HTML pages (sign-up confirmation, the SAML bridge, the
//! OpenID Provider's pages) escape what they insert with this, in text and
//! in double- or single-quoted attributes alike.

/// `s` with `& < > " '` as character references.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
