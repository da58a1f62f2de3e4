//! Each audit action in words, naming its target as a person would ("Turned
//! off Single Sign-On", "Bought Directory Sync for $1,200.00 with Visa ••••
//! 4242") instead of codes and ids. The codes stay in the event (`action`,
//! `target`, `details`) for integrations and CSV.

use serde_json::Value;
use shared::billing::{FeatureChoice, format_money};

fn feature_name(code: &str) -> &str {
    match code {
        "sso" => "Single Sign-On",
        "directory_sync" | "directory-sync" => "Directory Sync",
        "scim" => "Directory Sync",
        other => other,
    }
}

fn text<'a>(details: &'a Value, key: &str) -> Option<&'a str> {
    details.get(key).and_then(Value::as_str)
}

fn card(details: &Value) -> String {
    let brand = details.pointer("/card/brand").and_then(Value::as_str).unwrap_or("card");
    let last4 = details.pointer("/card/last4").and_then(Value::as_str).unwrap_or("????");
    let brand = match brand {
        "visa" => "Visa",
        "mastercard" => "Mastercard",
        "amex" => "American Express",
        "discover" => "Discover",
        other => other,
    };
    format!("{brand} •••• {last4}")
}

fn amount(details: &Value) -> String {
    let minor = details.get("amount").and_then(Value::as_i64).unwrap_or(0);
    format_money(minor, text(details, "currency").unwrap_or("usd"))
}

fn bought(details: &Value) -> &'static str {
    text(details, "features").and_then(FeatureChoice::parse).map_or("features", FeatureChoice::label)
}

/// One sentence for the event; `plan` names a plan id as the catalog does.
pub fn summary(action: &str, target: &str, details: &Value, plan: &dyn Fn(&str) -> String) -> String {
    let who = target;
    match action {
        "organization.created" => format!("Created the organization {target}"),
        "login.succeeded" => format!("{who} signed in{}", via(details)),
        "login.failed" if text(details, "refused") == Some("sso_required") => {
            format!("Refused {who}'s password sign-in: Require SSO is on")
        }
        "login.failed" => format!("Failed sign-in for {who}{}", via(details)),
        "domain.added" => format!("Added the domain {target}"),
        "domain.removed" => format!("Removed the domain {target}"),
        "domain.verified" => format!("Verified the domain {target} with its DNS record"),
        "domain.unverified" => {
            format!("The domain {target} is no longer verified (its DNS record has been gone for 72 hours)")
        }
        "domain.transferred" => {
            format!("Lost the claim on {target}: another organization proved it owns the domain with its DNS record")
        }
        "domain.verification_failed" => format!("Verification of {target} failed: no DNS record within 30 days"),
        "default_plan.changed" => format!("Set the Provision Default Plan to {}", plan(target)),
        "invite_settings.changed" => {
            if details.get("disable_passwords_on_invites").and_then(Value::as_bool).unwrap_or(false) {
                "Turned on Disable Passwords on Invites".to_owned()
            } else {
                "Turned off Disable Passwords on Invites".to_owned()
            }
        }
        "checkout.confirmed" => format!("Bought {} for {} with {}", bought(details), amount(details), card(details)),
        "checkout.declined" => format!(
            "Payment of {} for {} declined ({}, {})",
            amount(details),
            bought(details),
            card(details),
            text(details, "decline_code").unwrap_or("declined").replace('_', " ")
        ),
        "integration.enabled" => format!("Turned on {}", feature_name(target)),
        "integration.disabled" => format!("Turned off {}", feature_name(target)),
        "setup_link.generated" => format!("Generated a {} setup link", feature_name(target)),
        "setup_link.revoked" => "Revoked a setup link".to_owned(),
        "invite.sent" => format!("Invited {target}"),
        "invite.resent" => format!("Sent {target} a new invite link"),
        "invite.revoked" => format!("Revoked the invite for {target}"),
        "member.updated" => format!("Changed {target}'s {}", changed(details, plan)),
        "member.suspended" => format!("Suspended {target}"),
        "member.reactivated" => format!("Reactivated {target}"),
        "member.removed" => format!("Removed {target} from the organization"),
        "sso.connection_saved" => "Saved the Single Sign-On connection".to_owned(),
        "sso.test_succeeded" => "Passed a test sign-in: Single Sign-On is active".to_owned(),
        "sso.activated" => "Single Sign-On works again".to_owned(),
        "sso.error" => "Single Sign-On stopped working".to_owned(),
        "sso.member_created" => format!("Single Sign-On created the member {target}"),
        "sso.identity_linked" => format!("Linked {target} to the identity provider"),
        "sso_enforcement.enabled" => match details.get("password_sessions_ended").and_then(Value::as_u64) {
            Some(n) if n > 0 => format!("Turned on Require SSO; {n} password session{} ended", plural(n)),
            _ => "Turned on Require SSO".to_owned(),
        },
        "sso_enforcement.disabled" if text(details, "reason") == Some("sso_turned_off") => {
            "Turned off Require SSO with Single Sign-On".to_owned()
        }
        "sso_enforcement.disabled" => "Turned off Require SSO".to_owned(),
        "sso_enforcement.break_glass_changed" => "Changed the break-glass Administrators".to_owned(),
        "sso_enforcement.break_glass_used" => {
            format!("{who} signed in with a password as a break-glass Administrator")
        }
        "directory_sync.token_generated" => "Generated the directory's SCIM token".to_owned(),
        "directory_sync.activated" => "The directory connected: Directory Sync is active".to_owned(),
        "directory_sync.error" => "The directory sent a replaced token".to_owned(),
        "directory.user.created" => format!("The directory added {target}"),
        "directory.user.updated" => format!("The directory updated {target}"),
        "directory.user.suspended" => format!("The directory suspended {target}"),
        "directory.user.reactivated" => format!("The directory reactivated {target}"),
        "directory.user.deleted" => format!("The directory removed {target}"),
        "directory.user.detached" => format!("The directory let go of {target} (still a member)"),
        "directory.group.created" => format!("The directory added the group {target}"),
        "directory.group.updated" => format!("The directory updated the group {target}"),
        "directory.group.deleted" => format!("The directory removed the group {target}"),
        other => format!("{other}: {target}"),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn via(details: &Value) -> &'static str {
    match text(details, "method") {
        Some("sso") => " with Single Sign-On",
        Some("invite") => " (accepting an invite)",
        Some("password") => " with a password",
        _ => "",
    }
}

fn changed(details: &Value, plan: &dyn Fn(&str) -> String) -> String {
    let mut parts = Vec::new();
    if let Some(to) = details.pointer("/role/to").and_then(Value::as_str) {
        parts.push(format!("role to {}", if to == "admin" { "Administrator" } else { "Member" }));
    }
    if let Some(to) = details.pointer("/plan_id/to").and_then(Value::as_str) {
        parts.push(format!("plan to {}", plan(to)));
    }
    if parts.is_empty() { "membership".to_owned() } else { parts.join(" and ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(action: &str, target: &str, details: &Value) -> String {
        super::summary(action, target, details, &|id| if id == "plan_core" { "Core".to_owned() } else { id.to_owned() })
    }

    #[test]
    fn actions_read_as_sentences() {
        let paid = json!({"features": "both", "amount": 200000, "currency": "usd", "card": {"brand": "visa", "last4": "4242"}});
        assert_eq!(
            summary("checkout.confirmed", "pur_x", &paid),
            "Bought Single Sign-On + Directory Sync for $2,000.00 with Visa •••• 4242"
        );
        assert_eq!(summary("integration.disabled", "sso", &json!({})), "Turned off Single Sign-On");
        let declined = json!({"features": "sso", "amount": 120000, "currency": "usd", "card": {"brand": "mastercard", "last4": "4444"}, "decline_code": "insufficient_funds"});
        assert_eq!(
            summary("checkout.declined", "chk_x", &declined),
            "Payment of $1,200.00 for Single Sign-On declined (Mastercard •••• 4444, insufficient funds)"
        );
        assert_eq!(
            summary("member.updated", "bob@acme.com", &json!({"role": {"from": "member", "to": "admin"}})),
            "Changed bob@acme.com's role to Administrator"
        );
        assert_eq!(summary("something.new", "x", &Value::Null), "something.new: x");
        assert_eq!(
            summary("login.failed", "bob@acme.com", &json!({"method": "password", "refused": "sso_required"})),
            "Refused bob@acme.com's password sign-in: Require SSO is on"
        );
        assert_eq!(
            summary("sso_enforcement.enabled", "org_x", &json!({"password_sessions_ended": 1})),
            "Turned on Require SSO; 1 password session ended"
        );
        assert_eq!(summary("default_plan.changed", "plan_core", &json!({})), "Set the Provision Default Plan to Core");
    }
}
