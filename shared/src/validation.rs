//! Validation rules, written once: the API refuses with these messages and the
//! SPA checks the same rules before it submits. Each newtype can only hold a
//! value that passed its rule ("parse, don't validate").

use crate::problem::FieldError;

/// A rule a value broke: a stable code and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn at(self, field: &str) -> FieldError {
        FieldError::new(field, self.code, self.message)
    }
}

/// Collects every field error of one request, so a 422 lists them all.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error (if any) and returns the parsed value (if any).
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e.at(field));
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 256;
pub const NAME_MAX_CHARS: usize = 100;
const EMAIL_MAX_LEN: usize = 254;

/// An email address, trimmed and lowercased (accounts are matched on it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = crate::text::lowercase(input.trim());
        if s.is_empty() {
            return Err(Invalid::new("required", "Enter an email address."));
        }
        let invalid = || Invalid::new("invalid_email", "Enter an email address like name@company.com.");
        if s.len() > EMAIL_MAX_LEN {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        // One canonical form for the domain (IDNA ASCII, as domain claims are
        // stored), so `anna@bücher.de` and `anna@xn--bcher-kva.de` are one
        // address, routed and matched alike everywhere.
        let domain = crate::domains::canonical_email_domain(domain).ok_or_else(invalid)?;
        let s = format!("{local}@{domain}");
        if s.len() > EMAIL_MAX_LEN {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| crate::text::is_alphanumeric(c) || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| crate::text::is_alphanumeric(c) || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.chars().all(crate::text::is_alphabetic) || tld.starts_with("xn--"));
        if local_ok && domain_ok { Ok(Self(s)) } else { Err(invalid()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A password that meets the policy. Deliberately not `Debug`-printable.
pub struct Password(String);

impl Password {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let n = input.chars().count();
        if n == 0 {
            return Err(Invalid::new("required", "Enter a password."));
        }
        if n < PASSWORD_MIN_CHARS {
            return Err(Invalid::new(
                "too_short",
                format!("Use at least {PASSWORD_MIN_CHARS} characters for the password."),
            ));
        }
        if n > PASSWORD_MAX_CHARS {
            return Err(Invalid::new(
                "too_long",
                format!("Use at most {PASSWORD_MAX_CHARS} characters for the password."),
            ));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

fn parse_name(input: &str, what: &str) -> Result<String, Invalid> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Invalid::new("required", format!("Enter {what}.")));
    }
    if s.chars().count() > NAME_MAX_CHARS {
        return Err(Invalid::new("too_long", format!("Use at most {NAME_MAX_CHARS} characters for {what}.")));
    }
    if s.chars().any(char::is_control) {
        return Err(Invalid::new("invalid_characters", format!("Remove control characters from {what}.")));
    }
    Ok(s.to_owned())
}

/// An organization's display name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        parse_name(input, "the organization's name").map(Self)
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A person's display name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        parse_name(input, "your name").map(Self)
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// International domains have one form: the IDNA ASCII one domain
    /// claims are stored in (with the IDNA tables, i.e. on the server).
    #[cfg(feature = "lists")]
    #[test]
    fn international_email_domains_are_stored_in_one_form() {
        let canonical = Email::parse("Anna@Bücher.DE").map(Email::into_string);
        assert_eq!(canonical, Ok("anna@xn--bcher-kva.de".into()));
        assert_eq!(Email::parse("anna@xn--bcher-kva.de").map(Email::into_string), canonical);
        assert_eq!(Email::parse("jörg@bücher.de").map(|e| e.domain().to_owned()), Ok("xn--bcher-kva.de".into()));
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").map(Email::into_string), Ok("ada@example.com".into()));
        assert_eq!(Email::parse("ada@example.com").map(|e| e.domain().to_owned()), Ok("example.com".into()));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a..b@example.com",
            "ada@-x.com",
            "ada@ex ample.com",
            "ada@example.c0m",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Email::parse("").unwrap_err().code, "required");
    }

    #[test]
    fn password_policy_counts_characters_not_bytes() {
        assert_eq!(Password::parse("short").unwrap_err().code, "too_short");
        assert!(Password::parse("0123456789").is_ok());
        assert!(Password::parse("ééééééééé").is_err());
        assert_eq!(Password::parse(&"x".repeat(257)).unwrap_err().code, "too_long");
        assert_eq!(format!("{:?}", Password::parse("0123456789").unwrap()), "Password(…)");
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(OrganizationName::parse("  Acme ").map(OrganizationName::into_string), Ok("Acme".into()));
        assert_eq!(OrganizationName::parse("   ").unwrap_err().code, "required");
        assert_eq!(OrganizationName::parse(&"a".repeat(101)).unwrap_err().code, "too_long");
        assert_eq!(PersonName::parse("a\u{7}b").unwrap_err().code, "invalid_characters");
    }

    #[test]
    fn field_errors_collect_every_failure() {
        let mut errors = FieldErrors::new();
        assert!(errors.check("email", Email::parse("nope")).is_none());
        assert!(errors.check("password", Password::parse("short")).is_none());
        assert!(errors.check("name", PersonName::parse("Ada")).is_some());
        let v = errors.into_vec();
        assert_eq!(v.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["email", "password"]);
    }
}
