//! Require SSO: while it is on, members whose email is in one of the
//! organization's verified domains sign in through its identity provider
//! only; its break-glass Administrators keep password sign-in for when the
//! provider is down. Turning it on needs every [`Condition`] met; the API
//! and the SPA word them the same way from here.

use serde::{Deserialize, Serialize};

use crate::UserId;
use crate::problem::FieldError;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// At most this many break-glass Administrators.
pub const MAX_BREAK_GLASS: usize = 3;
/// A test sign-in counts for this many days.
pub const TEST_VALID_DAYS: i64 = 30;

/// What must hold before Require SSO can be turned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    SsoActive,
    VerifiedDomain,
    RecentTest,
    BreakGlassAdmin,
}

impl Condition {
    pub const ALL: [Condition; 4] =
        [Condition::SsoActive, Condition::VerifiedDomain, Condition::RecentTest, Condition::BreakGlassAdmin];

    pub fn code(self) -> &'static str {
        match self {
            Condition::SsoActive => "sso_active",
            Condition::VerifiedDomain => "verified_domain",
            Condition::RecentTest => "recent_test",
            Condition::BreakGlassAdmin => "break_glass_admin",
        }
    }

    /// The condition, as a checklist line.
    pub fn label(self) -> &'static str {
        match self {
            Condition::SsoActive => "Single Sign-On is active",
            Condition::VerifiedDomain => "At least one domain is verified",
            Condition::RecentTest => "A test sign-in passed in the last 30 days",
            Condition::BreakGlassAdmin => "At least one break-glass Administrator is named",
        }
    }

    /// What to do when it does not hold.
    pub fn unmet(self) -> &'static str {
        match self {
            Condition::SsoActive => {
                "Single Sign-On is not active: finish its setup and pass the test sign-in, or turn it back on."
            }
            Condition::VerifiedDomain => {
                "No domain is verified: publish its TXT record and choose Check now on the domain."
            }
            Condition::RecentTest => {
                "No test sign-in passed in the last 30 days: choose Test sign-in and sign in at your identity provider."
            }
            Condition::BreakGlassAdmin => {
                "Name at least one break-glass Administrator: they keep password sign-in if your identity provider is down."
            }
        }
    }

    /// The request field an unmet condition is reported on.
    pub fn field(self) -> &'static str {
        match self {
            Condition::BreakGlassAdmin => "break_glass_user_ids",
            _ => "required",
        }
    }

    /// The 409's entry for an unmet condition.
    pub fn error(self) -> FieldError {
        FieldError::new(self.field(), self.code(), self.unmet())
    }
}

/// `PUT /api/v1/organizations/{org_id}/sso-enforcement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"required": true, "break_glass_user_ids": ["usr_01938f3e8a0c7d1e9f2a3b4c5d6e7f80"]})))]
pub struct SsoEnforcementRequest {
    pub required: bool,
    /// The organization's active Administrators who keep password sign-in
    /// (at most 3); the list replaces the previous one.
    #[serde(default)]
    pub break_glass_user_ids: Vec<UserId>,
}

impl SsoEnforcementRequest {
    /// At most [`MAX_BREAK_GLASS`], each named once.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.break_glass_user_ids.len() > MAX_BREAK_GLASS {
            errors.push(FieldError::new(
                "break_glass_user_ids",
                "too_many",
                format!("Name at most {MAX_BREAK_GLASS} break-glass Administrators."),
            ));
        }
        for (i, id) in self.break_glass_user_ids.iter().enumerate() {
            if self.break_glass_user_ids[..i].contains(id) {
                errors.push(FieldError::new(
                    format!("break_glass_user_ids[{i}]"),
                    "duplicate",
                    "This Administrator is already named.",
                ));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// A break-glass Administrator and their last use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BreakGlassAdmin {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    /// Still an active Administrator (a suspended or demoted one cannot use it).
    pub active: bool,
    /// Their last password sign-in while SSO was required.
    #[serde(default, with = "crate::time::utc_option")]
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An active Administrator who can be named break-glass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Administrator {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConditionState {
    /// `sso_active`, `verified_domain`, `recent_test` or `break_glass_admin`.
    pub code: String,
    pub met: bool,
    /// The condition, or what to do when it is not met.
    pub message: String,
}

impl ConditionState {
    pub fn of(condition: Condition, met: bool) -> Self {
        let message = if met { condition.label() } else { condition.unmet() };
        Self { code: condition.code().to_owned(), met, message: message.to_owned() }
    }
}

/// `GET|PUT /api/v1/organizations/{org_id}/sso-enforcement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SsoEnforcement {
    pub required: bool,
    pub break_glass: Vec<BreakGlassAdmin>,
    /// What turning it on needs, with the stored break-glass list.
    pub checklist: Vec<ConditionState>,
    /// Why Require SSO, though on, applies to nobody now (SSO not active,
    /// no verified domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<String>,
    /// The organization's active Administrators, who can be named (by email; at most 100).
    pub administrators: Vec<Administrator>,
    /// When a test sign-in last passed.
    #[serde(default, with = "crate::time::utc_option")]
    pub tested_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl SsoEnforcement {
    /// The most recent break-glass sign-in: when, and by whom.
    pub fn last_break_glass_use(&self) -> Option<(chrono::DateTime<chrono::Utc>, &str)> {
        self.break_glass.iter().filter_map(|b| b.last_used_at.map(|t| (t, b.email.as_str()))).max_by_key(|(t, _)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_three_break_glass_administrators_each_once() {
        let a = UserId::generate();
        let ok = SsoEnforcementRequest { required: true, break_glass_user_ids: vec![a.clone()] };
        assert!(ok.validate().is_ok());
        let ids = (0..4).map(|_| UserId::generate()).collect();
        let many = SsoEnforcementRequest { required: true, break_glass_user_ids: ids };
        assert_eq!(many.validate().unwrap_err()[0].code, "too_many");
        let twice = SsoEnforcementRequest { required: false, break_glass_user_ids: vec![a.clone(), a] };
        assert_eq!(twice.validate().unwrap_err()[0].field, "break_glass_user_ids[1]");
    }

    #[test]
    fn every_unmet_condition_says_what_to_do() {
        for c in Condition::ALL {
            let e = c.error();
            assert_eq!(e.code, c.code());
            assert!(e.message.contains(':'), "{}", e.message);
            assert_eq!(ConditionState::of(c, true).message, c.label());
        }
    }
}
