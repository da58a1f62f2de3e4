//! Enums that travel and are stored by their wire name (`admin`, `sso`,
//! `awaiting`, …): one spelling on the wire, in the database and in the
//! audit log. With the `db` feature they are sea-orm column types, read back
//! through the same `parse` (an unknown stored name is an error, never a
//! silent default).

use std::fmt;

/// A name that is not one of the enum's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    pub kind: &'static str,
    pub name: String,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a known {}", self.name, self.kind)
    }
}

impl std::error::Error for UnknownName {}

/// `Display` and `FromStr` from the enum's `as_str` and `parse`.
macro_rules! by_name {
    ($ty:ty, $kind:literal) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::names::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
                    .ok_or_else(|| $crate::names::UnknownName { kind: $kind, name: s.chars().take(40).collect() })
            }
        }
    };
}

pub(crate) use by_name;

#[cfg(test)]
mod tests {
    use crate::accounts::Role;
    use crate::provisioning::{Feature, IntegrationStatus};

    #[test]
    fn every_stored_name_reads_back_and_nothing_else_does() {
        for role in [Role::Admin, Role::Member] {
            assert_eq!(role.to_string().parse::<Role>(), Ok(role));
        }
        for feature in Feature::ALL {
            assert_eq!(feature.to_string().parse::<Feature>(), Ok(feature));
        }
        use IntegrationStatus::*;
        for status in [NotPurchased, Awaiting, Active, Inactive, Error] {
            assert_eq!(status.to_string().parse::<IntegrationStatus>(), Ok(status));
        }
        let unknown = "Admin".parse::<Role>().unwrap_err();
        assert_eq!(unknown.to_string(), "`Admin` is not a known role");
        assert!("both".parse::<Feature>().is_err(), "a checkout choice is not a feature");
        assert!("".parse::<IntegrationStatus>().is_err());
    }
}
