//! Resource documents: what a directory sends, checked against the schema
//! and stored with canonical attribute names; and what we answer, projected
//! by `attributes` / `excludedAttributes`.
//!
//! Tolerances for real directories: attribute names in any case, extension
//! attributes given as `urn:…:User:department` keys, `"True"`/`"False"`
//! strings for booleans, a single object where a list is expected, numbers
//! where strings are expected. Unknown attributes are ignored (directories
//! send custom ones); read-only ones are ignored as RFC 7644 §3.5.1 allows.

use serde_json::{Map, Value};

use super::error::{ScimError, ScimResult};
use super::filter::{AttrPath, Resolved, resolve};
use super::schema::{Attr, Kind, Mutability, Returned, Type};

fn type_error(path: &str, expected: &str) -> ScimError {
    ScimError::invalid_value(format!("'{path}' must be {expected}."))
}

/// Checks and normalizes one value of `attr`; `None` means "unassigned".
pub fn coerce(attr: &Attr, value: &Value, path: &str) -> ScimResult<Option<Value>> {
    if value.is_null() {
        return Ok(None);
    }
    if attr.multi {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = coerce_single(attr, item, path)? {
                out.push(v);
            }
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    match value {
        Value::Array(items) if items.len() == 1 => coerce_single(attr, &items[0], path),
        Value::Array(_) => Err(type_error(path, "a single value, not a list")),
        other => coerce_single(attr, other, path),
    }
}

fn coerce_single(attr: &Attr, value: &Value, path: &str) -> ScimResult<Option<Value>> {
    Ok(Some(match (attr.ty, value) {
        (_, Value::Null) => return Ok(None),
        (Type::Complex, Value::Object(map)) => {
            let mut out = Map::new();
            for (k, v) in map {
                let Some(sub) = attr.sub_attr(k) else { continue };
                if sub.mutability == Mutability::ReadOnly {
                    continue;
                }
                if let Some(v) = coerce(sub, v, &format!("{path}.{}", sub.name))? {
                    out.insert(sub.name.to_owned(), v);
                }
            }
            if out.is_empty() {
                return Ok(None);
            }
            Value::Object(out)
        }
        // Entra ID sends `manager` as the manager's id alone.
        (Type::Complex, Value::String(v)) if attr.sub_attr("value").is_some() => {
            let mut out = Map::new();
            out.insert("value".to_owned(), Value::String(v.clone()));
            Value::Object(out)
        }
        (Type::Complex, _) => return Err(type_error(path, "an object")),
        (Type::Boolean, Value::Bool(b)) => Value::Bool(*b),
        (Type::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
        (Type::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
        (Type::Boolean, _) => return Err(type_error(path, "true or false")),
        (Type::Integer, Value::Number(n)) if n.is_i64() => Value::Number(n.clone()),
        (Type::Integer, Value::String(s)) => {
            Value::from(s.trim().parse::<i64>().map_err(|_| type_error(path, "an integer"))?)
        }
        (Type::Integer, _) => return Err(type_error(path, "an integer")),
        (Type::DateTime, Value::String(s)) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => value.clone(),
        (Type::DateTime, _) => return Err(type_error(path, "a date-time such as 2026-01-31T12:00:00Z")),
        (Type::String | Type::Reference, Value::String(s)) => Value::String(s.clone()),
        (Type::String | Type::Reference, Value::Number(n)) => Value::String(n.to_string()),
        (Type::String | Type::Reference, Value::Bool(b)) => Value::String(b.to_string()),
        (Type::String | Type::Reference, _) => return Err(type_error(path, "a string")),
    }))
}

/// Where a top-level key of a request body points.
pub enum Target {
    Core(&'static Attr),
    Ext(&'static str, &'static Attr),
    /// A whole extension object.
    Extension(&'static str),
    Ignored,
}

pub fn target(kind: Kind, key: &str) -> Target {
    if let Some(ext) = kind.extension(key) {
        return Target::Extension(ext.id);
    }
    if key.len() > 4 && key[..4].eq_ignore_ascii_case("urn:") {
        let Ok(path) = super::filter::parse_path(key) else { return Target::Ignored };
        if path.filter.is_some() || path.attr.sub.is_some() {
            return Target::Ignored;
        }
        return match resolve(kind, &path.attr) {
            Some(Resolved { ext: Some(urn), attr, .. }) => Target::Ext(urn, attr),
            Some(Resolved { ext: None, attr, .. }) => Target::Core(attr),
            None => Target::Ignored,
        };
    }
    kind.core_attr(key).map_or(Target::Ignored, Target::Core)
}

/// A request body (POST/PUT) as a document to store: canonical names, no
/// read-only attributes, no password, no `schemas`/`id`/`meta`.
pub fn canonicalize(kind: Kind, input: &Map<String, Value>) -> ScimResult<Map<String, Value>> {
    let mut doc = Map::new();
    for (key, value) in input {
        match target(kind, key) {
            Target::Core(attr) => put(&mut doc, None, attr, value)?,
            Target::Ext(urn, attr) => put(&mut doc, Some(urn), attr, value)?,
            Target::Extension(urn) => {
                let Value::Object(map) = value else {
                    if value.is_null() {
                        continue;
                    }
                    return Err(type_error(urn, "an object"));
                };
                let schema = kind.extension(urn).ok_or_else(ScimError::internal)?;
                for (k, v) in map {
                    if let Some(attr) = schema.attrs.iter().find(|a| a.name.eq_ignore_ascii_case(k)) {
                        put(&mut doc, Some(schema.id), attr, v)?;
                    }
                }
            }
            Target::Ignored => {}
        }
    }
    Ok(doc)
}

fn put(doc: &mut Map<String, Value>, ext: Option<&'static str>, attr: &'static Attr, value: &Value) -> ScimResult<()> {
    if attr.mutability == Mutability::ReadOnly || attr.returned == Returned::Never {
        return Ok(());
    }
    let Some(v) = coerce(attr, value, attr.name)? else { return Ok(()) };
    holder_mut(doc, ext).insert(attr.name.to_owned(), v);
    Ok(())
}

/// The object holding attributes of `ext` (the document itself for the core schema).
pub fn holder_mut<'a>(doc: &'a mut Map<String, Value>, ext: Option<&'static str>) -> &'a mut Map<String, Value> {
    match ext {
        None => doc,
        Some(urn) => {
            let entry = doc.entry(urn.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            match entry {
                Value::Object(m) => m,
                _ => unreachable_object(),
            }
        }
    }
}

#[allow(clippy::panic)]
fn unreachable_object() -> ! {
    // `entry` was just made an object above.
    panic!("extension holder is an object")
}

pub fn holder<'a>(doc: &'a Map<String, Value>, ext: Option<&'static str>) -> Option<&'a Map<String, Value>> {
    match ext {
        None => Some(doc),
        Some(urn) => doc.get(urn).and_then(Value::as_object),
    }
}

/// Drops empty extension objects and sets `schemas` to the core schema plus
/// each extension in use.
pub fn finish(kind: Kind, doc: &mut Map<String, Value>) {
    let mut schemas = vec![Value::String(kind.core().id.to_owned())];
    for ext in kind.extensions() {
        match doc.get(ext.id) {
            Some(Value::Object(m)) if !m.is_empty() => schemas.push(Value::String(ext.id.to_owned())),
            Some(_) => {
                doc.remove(ext.id);
            }
            None => {}
        }
    }
    doc.insert("schemas".to_owned(), Value::Array(schemas));
}

/// `attributes=` / `excludedAttributes=`: comma-separated attribute paths.
pub fn parse_attribute_list(raw: Option<&str>) -> ScimResult<Vec<AttrPath>> {
    let Some(raw) = raw.filter(|s| !s.trim().is_empty()) else { return Ok(Vec::new()) };
    raw.split(',')
        .map(|p| {
            let parsed = super::filter::parse_path(p.trim())
                .map_err(|e| ScimError::invalid_value(format!("attributes: {}", e.0)))?;
            if parsed.filter.is_some() {
                return Err(ScimError::invalid_value("attributes: filters are not allowed here."));
            }
            Ok(parsed.attr)
        })
        .collect()
}

/// Applies `attributes` (keep only these, plus `id` and `schemas`) or
/// `excludedAttributes` (drop these, never `id`) to a rendered resource.
pub fn project(kind: Kind, resource: &mut Map<String, Value>, attributes: &[AttrPath], excluded: &[AttrPath]) {
    if !attributes.is_empty() {
        let original = std::mem::take(resource);
        for key in ["schemas", "id"] {
            if let Some(v) = original.get(key) {
                resource.insert(key.to_owned(), v.clone());
            }
        }
        for path in attributes {
            let Some(r) = resolve(kind, path) else { continue };
            let Some(src) = holder(&original, r.ext).and_then(|h| h.get(r.attr.name)) else { continue };
            let value = match r.sub {
                None => Some(src.clone()),
                Some(sub) => keep_sub(src, sub.name),
            };
            if let Some(value) = value {
                let dst = holder_mut(resource, r.ext);
                match (dst.get_mut(r.attr.name), value) {
                    (Some(Value::Object(existing)), Value::Object(add)) => existing.extend(add),
                    (_, value) => {
                        dst.insert(r.attr.name.to_owned(), value);
                    }
                }
            }
        }
        if let Some(Value::Array(schemas)) = original.get("schemas") {
            let kept: Vec<Value> = schemas
                .iter()
                .filter(|s| s.as_str().is_some_and(|s| s == kind.core().id || resource.contains_key(s)))
                .cloned()
                .collect();
            resource.insert("schemas".to_owned(), Value::Array(kept));
        }
        return;
    }
    for path in excluded {
        let Some(r) = resolve(kind, path) else { continue };
        if r.attr.returned == Returned::Always {
            continue;
        }
        let Some(h) = (match r.ext {
            None => Some(&mut *resource),
            Some(urn) => resource.get_mut(urn).and_then(Value::as_object_mut),
        }) else {
            continue;
        };
        match r.sub {
            None => {
                h.remove(r.attr.name);
            }
            Some(sub) => match h.get_mut(r.attr.name) {
                Some(Value::Object(o)) => {
                    o.remove(sub.name);
                }
                Some(Value::Array(items)) => items.iter_mut().filter_map(Value::as_object_mut).for_each(|o| {
                    o.remove(sub.name);
                }),
                _ => {}
            },
        }
    }
}

fn keep_sub(src: &Value, sub: &str) -> Option<Value> {
    match src {
        Value::Object(o) => o.get(sub).map(|v| {
            let mut m = Map::new();
            m.insert(sub.to_owned(), v.clone());
            Value::Object(m)
        }),
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter_map(|i| i.get(sub))
                .map(|v| {
                    let mut m = Map::new();
                    m.insert(sub.to_owned(), v.clone());
                    Value::Object(m)
                })
                .collect(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::schema::ENTERPRISE_SCHEMA;
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn canonicalizes_what_directories_send() {
        let input = obj(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "client-chosen",
            "USERNAME": "a@acme.com",
            "Active": "False",
            "emails": { "Value": "a@acme.com", "primary": "True", "type": "work" },
            "password": "hunter2hunter2",
            "groups": [{ "value": "g" }],
            "x-custom": 1,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "employeeNumber": 42 },
            "meta": { "created": "2020-01-01T00:00:00Z" }
        }));
        let doc = canonicalize(Kind::User, &input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Value::Object(doc),
            json!({
                "userName": "a@acme.com",
                "active": false,
                "emails": [{ "value": "a@acme.com", "primary": true, "type": "work" }],
                ENTERPRISE_SCHEMA: { "department": "Sales", "employeeNumber": "42" }
            })
        );
    }

    #[test]
    fn wrong_types_are_named() {
        let e = canonicalize(Kind::User, &obj(json!({ "userName": "a", "active": "maybe" }))).err();
        assert!(e.is_some_and(|e| e.detail.contains("'active'") && e.scim_type == Some("invalidValue")));
        let e = canonicalize(Kind::User, &obj(json!({ "userName": "a", "name": "Ann" }))).err();
        assert!(e.is_some_and(|e| e.detail.contains("'name'")));
    }

    #[test]
    fn projection_keeps_id_and_requested_attributes() {
        let full = obj(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_SCHEMA],
            "id": "1", "userName": "a", "displayName": "A",
            "name": { "givenName": "A", "familyName": "B" },
            "emails": [{ "value": "a@x.com", "type": "work" }],
            ENTERPRISE_SCHEMA: { "department": "D" }
        }));
        let mut r = full.clone();
        let attrs = parse_attribute_list(Some("userName, name.givenName,emails.value")).unwrap_or_default();
        project(Kind::User, &mut r, &attrs, &[]);
        assert_eq!(
            Value::Object(r),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "userName": "a",
                "name": { "givenName": "A" }, "emails": [{ "value": "a@x.com" }]
            })
        );
        let mut r = full.clone();
        let excluded = parse_attribute_list(Some(
            "displayName,id,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        ))
        .unwrap_or_default();
        project(Kind::User, &mut r, &[], &excluded);
        assert!(r.contains_key("id") && !r.contains_key("displayName"));
        assert_eq!(r.get(ENTERPRISE_SCHEMA), Some(&json!({})));
    }
}
