//! The SCIM schemas we serve (RFC 7643 §4 and §8.7): one table of attribute
//! definitions drives `/Schemas`, attribute-name lookup (case-insensitive),
//! type checks, mutability and `returned` rules, and filter comparisons.

use serde_json::{Value, json};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Boolean,
    Integer,
    DateTime,
    Reference,
    Complex,
}

impl Type {
    fn as_str(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Boolean => "boolean",
            Type::Integer => "integer",
            Type::DateTime => "dateTime",
            Type::Reference => "reference",
            Type::Complex => "complex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
}

#[derive(Debug)]
pub struct Attr {
    pub name: &'static str,
    pub ty: Type,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical: &'static [&'static str],
    pub refs: &'static [&'static str],
    pub sub: &'static [Attr],
    pub description: &'static str,
}

const fn attr(name: &'static str, ty: Type, description: &'static str) -> Attr {
    Attr {
        name,
        ty,
        multi: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        canonical: &[],
        refs: &[],
        sub: &[],
        description,
    }
}

const fn s(name: &'static str, description: &'static str) -> Attr {
    attr(name, Type::String, description)
}

const fn complex(name: &'static str, sub: &'static [Attr], description: &'static str) -> Attr {
    Attr { sub, ..attr(name, Type::Complex, description) }
}

impl Attr {
    const fn multi(self) -> Self {
        Attr { multi: true, ..self }
    }
    const fn required(self) -> Self {
        Attr { required: true, ..self }
    }
    const fn exact(self) -> Self {
        Attr { case_exact: true, ..self }
    }
    const fn read_only(self) -> Self {
        Attr { mutability: Mutability::ReadOnly, ..self }
    }
    const fn immutable(self) -> Self {
        Attr { mutability: Mutability::Immutable, ..self }
    }
    const fn canonical(self, canonical: &'static [&'static str]) -> Self {
        Attr { canonical, ..self }
    }
    const fn refs(self, refs: &'static [&'static str]) -> Self {
        Attr { refs, ..Attr { ty: Type::Reference, ..self } }
    }

    /// A sub-attribute by name, case-insensitively.
    pub fn sub_attr(&self, name: &str) -> Option<&'static Attr> {
        self.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    fn to_json(&self) -> Value {
        let mut o = json!({
            "name": self.name,
            "type": self.ty.as_str(),
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": match self.mutability {
                Mutability::ReadOnly => "readOnly",
                Mutability::ReadWrite => "readWrite",
                Mutability::Immutable => "immutable",
                Mutability::WriteOnly => "writeOnly",
            },
            "returned": match self.returned {
                Returned::Always => "always",
                Returned::Never => "never",
                Returned::Default => "default",
            },
            "uniqueness": match self.uniqueness {
                Uniqueness::None => "none",
                Uniqueness::Server => "server",
            },
        });
        if !self.canonical.is_empty() {
            o["canonicalValues"] = json!(self.canonical);
        }
        if !self.refs.is_empty() {
            o["referenceTypes"] = json!(self.refs);
        }
        if !self.sub.is_empty() {
            o["subAttributes"] = Value::Array(self.sub.iter().map(Attr::to_json).collect());
        }
        o
    }
}

const TYPE_WORK_HOME_OTHER: &[&str] = &["work", "home", "other"];

/// `value`, `display`, `type`, `primary`: the shape of most multi-valued attributes.
macro_rules! multi_valued {
    ($name:literal, $what:literal, $types:expr) => {
        complex(
            $name,
            &[
                s("value", concat!("The ", $what, ".")),
                s("display", "A human-readable name, primarily used for display purposes."),
                s("type", "A label indicating the attribute's function.").canonical($types),
                attr("primary", Type::Boolean, "Whether this is the primary value (at most one is)."),
            ],
            concat!($what, " of the User."),
        )
        .multi()
    };
}

pub static USER_ATTRS: &[Attr] = &[
    Attr {
        uniqueness: Uniqueness::Server,
        ..s("userName", "Unique identifier for the User, typically their work email.")
    }
    .required(),
    complex(
        "name",
        &[
            s("formatted", "The full name, formatted for display."),
            s("familyName", "The family name."),
            s("givenName", "The given name."),
            s("middleName", "The middle name(s)."),
            s("honorificPrefix", "The honorific prefix(es)."),
            s("honorificSuffix", "The honorific suffix(es)."),
        ],
        "The components of the user's name.",
    ),
    s("displayName", "The name of the User, suitable for display."),
    s("nickName", "The casual way to address the user."),
    s("profileUrl", "A URI to the User's online profile.").refs(&["external"]),
    s("title", "The user's title, such as \"Vice President\"."),
    s("userType", "The relationship between the organization and the user."),
    s("preferredLanguage", "The User's preferred written or spoken language."),
    s("locale", "The User's default location for localizing."),
    s("timezone", "The User's time zone in IANA format."),
    attr("active", Type::Boolean, "false suspends the member and ends their sessions."),
    Attr { mutability: Mutability::WriteOnly, returned: Returned::Never, ..s("password", "Never stored or returned.") },
    multi_valued!("emails", "Email addresses", TYPE_WORK_HOME_OTHER),
    multi_valued!("phoneNumbers", "Phone numbers", &["work", "home", "mobile", "fax", "pager", "other"]),
    complex(
        "addresses",
        &[
            s("formatted", "The full mailing address."),
            s("streetAddress", "The street address."),
            s("locality", "The city or locality."),
            s("region", "The state or region."),
            s("postalCode", "The zip code or postal code."),
            s("country", "The country name component."),
            s("type", "A label indicating the attribute's function.").canonical(TYPE_WORK_HOME_OTHER),
            attr("primary", Type::Boolean, "Whether this is the primary address."),
        ],
        "Physical mailing addresses for this User.",
    )
    .multi(),
    complex(
        "groups",
        &[
            s("value", "The id of the Group.").read_only(),
            s("$ref", "The URI of the Group.").refs(&["Group"]).read_only(),
            s("display", "The displayName of the Group.").read_only(),
            s("type", "direct membership.").canonical(&["direct"]).read_only(),
        ],
        "The groups the user belongs to (managed through Groups).",
    )
    .multi()
    .read_only(),
    multi_valued!("entitlements", "Entitlements", &[]),
    multi_valued!("roles", "Roles (a role `admin` makes the member an Administrator)", &[]),
];

pub static ENTERPRISE_ATTRS: &[Attr] = &[
    s("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
    s("costCenter", "Identifies the name of a cost center."),
    s("organization", "Identifies the name of an organization."),
    s("division", "Identifies the name of a division."),
    s("department", "Identifies the name of a department."),
    complex(
        "manager",
        &[
            s("value", "The id of the SCIM resource representing the User's manager."),
            s("$ref", "The URI of the manager.").refs(&["User"]),
            s("displayName", "The displayName of the manager.").read_only(),
        ],
        "The User's manager.",
    ),
];

pub static GROUP_ATTRS: &[Attr] = &[
    s("displayName", "A human-readable name for the Group.").required(),
    complex(
        "members",
        &[
            s("value", "The id of a member User.").immutable(),
            s("$ref", "The URI of the member.").refs(&["User"]).immutable(),
            s("type", "The type of the member.").canonical(&["User"]).immutable(),
        ],
        "The members of the Group (Users).",
    )
    .multi(),
];

/// Attributes of every resource (RFC 7643 §3.1), not listed in `/Schemas`.
pub static COMMON_ATTRS: &[Attr] = &[
    Attr { returned: Returned::Always, uniqueness: Uniqueness::Server, ..s("id", "Server-assigned identifier.") }
        .exact()
        .read_only(),
    s("externalId", "The identifier the directory uses.").exact(),
    complex(
        "meta",
        &[
            s("resourceType", "").read_only(),
            attr("created", Type::DateTime, "").read_only(),
            attr("lastModified", Type::DateTime, "").read_only(),
            s("location", "").refs(&["uri"]).read_only(),
            s("version", "").exact().read_only(),
        ],
        "Resource metadata.",
    )
    .read_only(),
];

pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attrs: &'static [Attr],
}

pub static USER: Schema = Schema { id: USER_SCHEMA, name: "User", description: "User Account", attrs: USER_ATTRS };
pub static ENTERPRISE: Schema =
    Schema { id: ENTERPRISE_SCHEMA, name: "EnterpriseUser", description: "Enterprise User", attrs: ENTERPRISE_ATTRS };
pub static GROUP: Schema = Schema { id: GROUP_SCHEMA, name: "Group", description: "Group", attrs: GROUP_ATTRS };

/// A resource type: its core schema and extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }

    pub fn core(self) -> &'static Schema {
        match self {
            Kind::User => &USER,
            Kind::Group => &GROUP,
        }
    }

    pub fn extensions(self) -> &'static [&'static Schema] {
        static USER_EXTENSIONS: [&Schema; 1] = [&ENTERPRISE];
        match self {
            Kind::User => &USER_EXTENSIONS,
            Kind::Group => &[],
        }
    }

    /// The extension whose URN is `urn` (case-insensitively).
    pub fn extension(self, urn: &str) -> Option<&'static Schema> {
        self.extensions().iter().copied().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// A top-level attribute of the core schema (or a common one), case-insensitively.
    pub fn core_attr(self, name: &str) -> Option<&'static Attr> {
        self.core().attrs.iter().chain(COMMON_ATTRS).find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

pub fn schema_json(schema: &Schema, base_url: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attrs.iter().map(Attr::to_json).collect::<Vec<_>>(),
        "meta": { "resourceType": "Schema", "location": format!("{base_url}/Schemas/{}", schema.id) },
    })
}

pub fn all_schemas() -> [&'static Schema; 3] {
    [&USER, &ENTERPRISE, &GROUP]
}

pub fn resource_type_json(kind: Kind, base_url: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": kind.name(),
        "name": kind.name(),
        "endpoint": format!("/{}", kind.endpoint()),
        "description": match kind { Kind::User => "Members of the organization", Kind::Group => "Groups of members" },
        "schema": kind.core().id,
        "schemaExtensions": kind.extensions().iter().map(|s| json!({ "schema": s.id, "required": false })).collect::<Vec<_>>(),
        "meta": { "resourceType": "ResourceType", "location": format!("{base_url}/ResourceTypes/{}", kind.name()) },
    })
}

pub fn service_provider_config(base_url: &str, max_results: usize, max_payload: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": format!("{base_url}/ServiceProviderConfig"),
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": max_payload },
        "filter": { "supported": true, "maxResults": max_results },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "The token from the organization's Directory Sync setup link, as `Authorization: Bearer …`.",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base_url}/ServiceProviderConfig") },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_case() {
        assert_eq!(Kind::User.core_attr("USERNAME").map(|a| a.name), Some("userName"));
        assert_eq!(Kind::User.core_attr("externalid").map(|a| a.name), Some("externalId"));
        let emails = Kind::User.core_attr("Emails");
        assert_eq!(emails.and_then(|a| a.sub_attr("VALUE")).map(|a| a.name), Some("value"));
        assert!(Kind::User.extension(&ENTERPRISE_SCHEMA.to_uppercase()).is_some());
        assert!(Kind::Group.core_attr("userName").is_none());
    }

    #[test]
    fn schemas_serialize_the_rfc_shape() {
        let v = schema_json(&USER, "http://x/scim/v2");
        let user_name = &v["attributes"][0];
        assert_eq!(user_name["name"], "userName");
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["required"], true);
        let password = v["attributes"].as_array().and_then(|a| a.iter().find(|x| x["name"] == "password"));
        assert_eq!(password.map(|p| p["returned"].clone()), Some(json!("never")));
    }
}
