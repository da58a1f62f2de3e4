//! Organization-scoped finders: every table whose rows belong to one
//! organization answers `find_in(org)`, `update_in(org)` and
//! `delete_in(org)`, so a query cannot forget the organization it serves
//! (the cross-organization tests then only have to check the entry points).

use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany};

/// A table whose rows each belong to one organization.
pub trait OrganizationScoped: EntityTrait {
    /// The column that names the organization.
    fn organization_column() -> Self::Column;

    /// The organization's rows.
    fn find_in(org_id: &str) -> Select<Self> {
        Self::find().filter(Self::organization_column().eq(org_id))
    }

    /// An update of the organization's rows (narrow it further with `filter`).
    fn update_in(org_id: &str) -> UpdateMany<Self> {
        Self::update_many().filter(Self::organization_column().eq(org_id))
    }

    /// A delete of the organization's rows (narrow it further with `filter`).
    fn delete_in(org_id: &str) -> DeleteMany<Self> {
        Self::delete_many().filter(Self::organization_column().eq(org_id))
    }
}

macro_rules! scoped {
    ($($table:ident),* $(,)?) => {
        $(
            impl OrganizationScoped for $table::Entity {
                fn organization_column() -> $table::Column {
                    $table::Column::OrganizationId
                }
            }
        )*
    };
}

use crate::accounts::entity::{invite, membership};
use crate::audit::entity as audit_event;
use crate::billing::entity::{charge, checkout, feature, idempotency, purchase};
use crate::domains::entity as domain;
use crate::events::entity::event;
use crate::provider::entity::grant as oauth_grant;
use crate::scim::entity::{group as directory_group, replaced_token, token as directory_token, user as directory_user};
use crate::setup::entity as setup_link;
use crate::sso::entity::{break_glass, connection as sso_connection, request as sso_request};

scoped!(
    invite,
    membership,
    audit_event,
    charge,
    checkout,
    feature,
    idempotency,
    purchase,
    domain,
    directory_group,
    replaced_token,
    directory_token,
    directory_user,
    setup_link,
    sso_connection,
    sso_request,
    break_glass,
    oauth_grant,
    event,
);
