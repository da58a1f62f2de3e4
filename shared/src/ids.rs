//! Opaque, prefixed identifiers (`org_…`, `usr_…`): the prefix tells a reader
//! what an ID names, and the type system keeps one kind from being passed
//! where another is expected. The body is a UUIDv7 in lowercase hex, so IDs
//! sort by creation time (useful for keyset pagination).

use std::fmt;

/// Why a string is not an ID of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    pub expected_prefix: &'static str,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected an identifier starting with `{}`", self.expected_prefix)
    }
}

impl std::error::Error for IdError {}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new, time-ordered ID.
            #[cfg(not(target_arch = "wasm32"))]
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Accepts only `prefix` + 32 lowercase hex digits.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let ok = s
                    .strip_prefix($prefix)
                    .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
                if ok {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError { expected_prefix: $prefix })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        /// A column of this ID: stored as its text, and read back through
        /// [`Self::parse`] (a malformed stored ID is an error).
        #[cfg(feature = "db")]
        impl std::convert::From<$name> for sea_orm::Value {
            fn from(id: $name) -> Self {
                id.0.into()
            }
        }

        #[cfg(feature = "db")]
        impl std::convert::From<&$name> for sea_orm::Value {
            fn from(id: &$name) -> Self {
                id.0.as_str().into()
            }
        }

        #[cfg(feature = "db")]
        impl sea_orm::TryGetable for $name {
            fn try_get_by<I: sea_orm::ColIdx>(res: &sea_orm::QueryResult, idx: I) -> Result<Self, sea_orm::TryGetError> {
                let s = String::try_get_by(res, idx)?;
                Self::parse(&s).map_err(|e| {
                    sea_orm::TryGetError::DbErr(sea_orm::DbErr::TryIntoErr {
                        from: "String",
                        into: stringify!($name),
                        source: std::sync::Arc::new(e),
                    })
                })
            }
        }

        #[cfg(feature = "db")]
        impl sea_orm::sea_query::ValueType for $name {
            fn try_from(v: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
                let s = <String as sea_orm::sea_query::ValueType>::try_from(v)?;
                Self::parse(&s).map_err(|_| sea_orm::sea_query::ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($name).to_owned()
            }

            fn array_type() -> sea_orm::sea_query::ArrayType {
                sea_orm::sea_query::ArrayType::String
            }

            fn column_type() -> sea_orm::sea_query::ColumnType {
                sea_orm::sea_query::ColumnType::String(sea_orm::sea_query::StringLen::None)
            }
        }

        #[cfg(feature = "db")]
        impl sea_orm::sea_query::Nullable for $name {
            fn null() -> sea_orm::Value {
                sea_orm::Value::String(None)
            }
        }

        #[cfg(feature = "db")]
        impl sea_orm::IntoActiveValue<$name> for $name {
            fn into_active_value(self) -> sea_orm::ActiveValue<$name> {
                sea_orm::ActiveValue::Set(self)
            }
        }

        /// IDs are never numbers (no auto-increment key).
        #[cfg(feature = "db")]
        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "[0-9a-f]{32}$")))
                    .examples([serde_json::json!(concat!($prefix, "0193b3a2c5d07c3e9a8b1c2d3e4f5a6b"))])
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

typed_id!(
    /// An organization (a customer of the SaaS).
    OrganizationId, "org_"
);
typed_id!(
    /// A person with an account.
    UserId, "usr_"
);
typed_id!(
    /// An invitation to join an organization.
    InviteId, "inv_"
);
typed_id!(
    /// An email domain claimed by an organization.
    DomainId, "dom_"
);
typed_id!(
    /// A checkout quote.
    CheckoutId, "chk_"
);
typed_id!(
    /// A paid checkout.
    PurchaseId, "pur_"
);
typed_id!(
    /// An audit log event.
    EventId, "evt_"
);
typed_id!(
    /// A setup link (its `jti`).
    SetupLinkId, "lnk_"
);
typed_id!(
    /// A signed-in session; access tokens name the session they belong to.
    SessionId, "ses_"
);
typed_id!(
    /// A user provisioned by an organization's directory (its SCIM `id`).
    DirectoryUserId, "dus_"
);
typed_id!(
    /// A group provisioned by an organization's directory (its SCIM `id`).
    GroupId, "grp_"
);
typed_id!(
    /// An organization's SSO connection to its identity provider.
    ConnectionId, "con_"
);
typed_id!(
    /// A webhook endpoint.
    WebhookEndpointId, "whe_"
);
typed_id!(
    /// One event's delivery to one webhook endpoint.
    WebhookDeliveryId, "whd_"
);
typed_id!(
    /// One try at a webhook delivery.
    WebhookAttemptId, "wha_"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_sort_by_time() {
        let a = OrganizationId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = OrganizationId::generate();
        assert!(a.as_str().starts_with("org_"));
        assert_eq!(OrganizationId::parse(a.as_str()), Ok(a.clone()));
        assert!(a < b);
    }

    #[test]
    fn wrong_prefix_or_body_is_refused() {
        let user = UserId::generate();
        assert!(OrganizationId::parse(user.as_str()).is_err());
        assert!(OrganizationId::parse("org_").is_err());
        assert!(OrganizationId::parse("org_0193B3A2C5D07C3E9A8B1C2D3E4F5A6B").is_err());
        assert!(serde_json::from_str::<UserId>("\"usr_x\"").is_err());
    }
}
