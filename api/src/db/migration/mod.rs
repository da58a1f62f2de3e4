//! Schema migrations, applied in order at start-up. Never edit one that has
//! shipped: add a new one.

use sea_orm_migration::prelude::*;

mod m0001_accounts;
mod m0002_domains;
mod m0003_billing;
mod m0004_feature_previous_status;
mod m0005_setup_links;
mod m0006_directory;
mod m0007_sso;
mod m0008_saml;
mod m0009_integration_errors;
mod m0010_member_indexes;
mod m0011_session_scope;
mod m0012_checkout_charges;
mod m0013_sso_request_owner;
mod m0014_signup_requests;
mod m0015_account_provisioner;
mod m0016_canonical_email_domains;
mod m0017_backfill_provisioners;
mod m0018_invite_revocation;
mod m0019_setup_link_tokens;
mod m0020_domain_verification;
mod m0021_domain_rechecks;
mod m0022_domain_owners;
mod m0023_sso_enforcement;
mod m0024_oauth_clients;
mod m0025_oauth_grants;
mod m0026_sso_request_return;
mod m0027_backchannel_logout;
mod m0028_service_keys;
mod m0029_events_webhooks;
mod m0030_lean_events;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_accounts::Migration),
            Box::new(m0002_domains::Migration),
            Box::new(m0003_billing::Migration),
            Box::new(m0004_feature_previous_status::Migration),
            Box::new(m0005_setup_links::Migration),
            Box::new(m0006_directory::Migration),
            Box::new(m0007_sso::Migration),
            Box::new(m0008_saml::Migration),
            Box::new(m0009_integration_errors::Migration),
            Box::new(m0010_member_indexes::Migration),
            Box::new(m0011_session_scope::Migration),
            Box::new(m0012_checkout_charges::Migration),
            Box::new(m0013_sso_request_owner::Migration),
            Box::new(m0014_signup_requests::Migration),
            Box::new(m0015_account_provisioner::Migration),
            Box::new(m0016_canonical_email_domains::Migration),
            Box::new(m0017_backfill_provisioners::Migration),
            Box::new(m0018_invite_revocation::Migration),
            Box::new(m0019_setup_link_tokens::Migration),
            Box::new(m0020_domain_verification::Migration),
            Box::new(m0021_domain_rechecks::Migration),
            Box::new(m0022_domain_owners::Migration),
            Box::new(m0023_sso_enforcement::Migration),
            Box::new(m0024_oauth_clients::Migration),
            Box::new(m0025_oauth_grants::Migration),
            Box::new(m0026_sso_request_return::Migration),
            Box::new(m0027_backchannel_logout::Migration),
            Box::new(m0028_service_keys::Migration),
            Box::new(m0029_events_webhooks::Migration),
            Box::new(m0030_lean_events::Migration),
        ]
    }
}

/// A foreign key whose rows go when the row they point to goes.
fn cascade(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Cascade).to_owned()
}
