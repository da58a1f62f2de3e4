//! PATCH (RFC 7644 §3.5.2) applied to a stored document.
//!
//! Also accepts what Okta and Microsoft Entra ID send: `Add`/`Replace`/
//! `Remove` in any case; `add`/`replace` without `path` whose value map has
//! paths as keys (`"name.givenName"`, `"emails[type eq \"work\"].value"`,
//! `"urn:…:enterprise:2.0:User:department"`); `remove` on `members` with a
//! list of values to drop; a filtered path that matches nothing creates the
//! element (`emails[type eq "work"].value`); `"False"` strings.

use serde_json::{Map, Value};

use super::document::{Target, coerce, holder_mut, target};
use super::error::{ScimError, ScimResult};
use super::filter::{Filter, Op as FilterOp, PatchPath, matches_element, parse_path, resolve};
use super::schema::{Attr, Kind, Mutability, Returned, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

/// Most operations one request may carry.
pub const MAX_OPERATIONS: usize = 1000;

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

/// One operation: what to do, where (`path`), with what (`value`).
pub type Operation = (OpKind, Option<String>, Option<Value>);

/// The operations of a PatchOp body.
pub fn operations(body: &Value) -> ScimResult<Vec<Operation>> {
    let map = body.as_object().ok_or_else(|| ScimError::invalid_syntax("The body must be a PatchOp object."))?;
    let ops = get_ci(map, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("'Operations' must be a list of operations."))?;
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_syntax(format!("At most {MAX_OPERATIONS} operations per request.")));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let op = op
                .as_object()
                .ok_or_else(|| ScimError::invalid_syntax(format!("Operations[{i}] must be an object.")))?;
            let kind = match get_ci(op, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
                Some("add") => OpKind::Add,
                Some("replace") => OpKind::Replace,
                Some("remove") => OpKind::Remove,
                _ => {
                    return Err(ScimError::invalid_syntax(format!(
                        "Operations[{i}].op must be \"add\", \"replace\" or \"remove\"."
                    )));
                }
            };
            let path = match get_ci(op, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(ScimError::invalid_path(format!("Operations[{i}].path must be a string."))),
            };
            Ok((kind, path, get_ci(op, "value").cloned()))
        })
        .collect()
}

/// Applies the operations in order; any failure leaves the caller's copy to be discarded.
pub fn apply(kind: Kind, doc: &mut Map<String, Value>, body: &Value) -> ScimResult<()> {
    for (op, path, value) in operations(body)? {
        match path {
            // A whole extension: `urn:…:enterprise:2.0:User`.
            Some(path) if matches!(target(kind, &path), Target::Extension(_)) => {
                let Target::Extension(urn) = target(kind, &path) else { continue };
                match (op, value) {
                    (OpKind::Remove, _) => {
                        doc.remove(urn);
                    }
                    (_, Some(Value::Object(inner))) => {
                        if op == OpKind::Replace {
                            doc.remove(urn);
                        }
                        for (k, v) in &inner {
                            if let Ok(p) = parse_path(&format!("{urn}:{k}")) {
                                apply_one(kind, doc, op, &p, Some(v), false)?;
                            }
                        }
                    }
                    _ => return Err(ScimError::invalid_value(format!("The value for '{urn}' must be an object."))),
                }
            }
            Some(path) => {
                let parsed = parse_path(&path).map_err(|e| ScimError::invalid_path(e.0))?;
                apply_one(kind, doc, op, &parsed, value.as_ref(), true)?;
            }
            None if op == OpKind::Remove => {
                return Err(ScimError::no_target("A remove operation needs a path."));
            }
            None => {
                let Some(Value::Object(map)) = value else {
                    return Err(ScimError::invalid_value("Without a path, the value must be an object of attributes."));
                };
                for (key, v) in &map {
                    if let Target::Extension(urn) = target(kind, key) {
                        let Value::Object(inner) = v else { continue };
                        for (k, v) in inner {
                            if let Ok(p) = parse_path(&format!("{urn}:{k}")) {
                                apply_one(kind, doc, op, &p, Some(v), false)?;
                            }
                        }
                        continue;
                    }
                    match parse_path(key) {
                        Ok(p) => apply_one(kind, doc, op, &p, Some(v), false)?,
                        Err(_) => continue,
                    }
                }
            }
        }
    }
    Ok(())
}

fn required_value<'a>(value: Option<&'a Value>, path: &PatchPath) -> ScimResult<&'a Value> {
    value.ok_or_else(|| ScimError::invalid_value(format!("The operation on '{}' needs a value.", path.attr.name)))
}

fn apply_one(
    kind: Kind,
    doc: &mut Map<String, Value>,
    op: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
    explicit: bool,
) -> ScimResult<()> {
    let Some(r) = resolve(kind, &path.attr) else {
        // A path the client named in the core schema (or in an extension we
        // know) must exist (RFC 7644 §3.5.2: invalidPath); an attribute of an
        // extension schema we do not know (Entra's and Okta's custom
        // extensions) is ignored, as are unknown keys of a path-less value map
        // — neither may cost the rest of the request (a suspension).
        let known_schema = path
            .attr
            .uri
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(kind.core().id) || kind.extension(u).is_some());
        if explicit && known_schema {
            return Err(ScimError::invalid_path(format!(
                "'{}' is not an attribute of {}.",
                path.attr.name,
                kind.name()
            )));
        }
        return Ok(());
    };
    let attr = r.attr;
    if attr.returned == Returned::Never {
        // Passwords: accepted, never stored (members sign in through SSO).
        return Ok(());
    }
    if attr.mutability == Mutability::ReadOnly {
        if explicit {
            return Err(ScimError::mutability(format!("'{}' is read-only.", attr.name)));
        }
        return Ok(());
    }
    let sub = match (&path.sub, r.sub) {
        (Some(s), None) => Some(
            attr.sub_attr(s)
                .ok_or_else(|| ScimError::invalid_path(format!("'{}.{s}' is not an attribute.", attr.name)))?,
        ),
        (_, sub) => sub,
    };
    if let Some(s) = sub
        && s.mutability == Mutability::ReadOnly
    {
        return if explicit {
            Err(ScimError::mutability(format!("'{}.{}' is read-only.", attr.name, s.name)))
        } else {
            Ok(())
        };
    }
    let holder = holder_mut(doc, r.ext);
    if let Some(filter) = &path.filter {
        if !attr.multi || attr.ty != Type::Complex {
            return Err(ScimError::invalid_path(format!("'{}' is not a multi-valued complex attribute.", attr.name)));
        }
        return apply_filtered(holder, attr, filter, sub, op, value, path);
    }
    match (op, sub) {
        (OpKind::Remove, None) => {
            if attr.required {
                return Err(ScimError::mutability(format!("'{}' is required and cannot be removed.", attr.name)));
            }
            match (value, holder.get_mut(attr.name)) {
                // Entra ID: {"op":"Remove","path":"members","value":[{"value":"id"}]}
                (Some(v), Some(Value::Array(items))) if attr.multi && !v.is_null() => {
                    let drop: Vec<Value> =
                        coerce(attr, v, attr.name)?.and_then(|v| v.as_array().cloned()).unwrap_or_default();
                    items.retain(|item| !drop.iter().any(|d| same_element(item, d)));
                    if items.is_empty() {
                        holder.remove(attr.name);
                    }
                }
                _ => {
                    holder.remove(attr.name);
                }
            }
        }
        (OpKind::Remove, Some(s)) => match holder.get_mut(attr.name) {
            Some(Value::Object(o)) => {
                o.remove(s.name);
                if o.is_empty() {
                    holder.remove(attr.name);
                }
            }
            Some(Value::Array(items)) => {
                items.iter_mut().filter_map(Value::as_object_mut).for_each(|o| {
                    o.remove(s.name);
                });
                items.retain(|i| i.as_object().is_some_and(|o| !o.is_empty()));
                if items.is_empty() {
                    holder.remove(attr.name);
                }
            }
            _ => {}
        },
        (op, None) => {
            let Some(new) = coerce(attr, required_value(value, path)?, attr.name)? else {
                if op == OpKind::Replace {
                    holder.remove(attr.name);
                }
                return Ok(());
            };
            match (attr.multi, attr.ty, holder.get_mut(attr.name)) {
                (true, _, Some(Value::Array(items))) if op == OpKind::Add => {
                    for v in new.as_array().cloned().unwrap_or_default() {
                        if !items.iter().any(|i| same_element(i, &v)) {
                            items.push(v);
                        }
                    }
                    fix_primary(items.as_mut_slice(), None);
                }
                (false, Type::Complex, Some(Value::Object(existing))) => {
                    if let Value::Object(add) = new {
                        existing.extend(add);
                    }
                }
                _ => {
                    holder.insert(attr.name.to_owned(), new);
                    if let Some(Value::Array(items)) = holder.get_mut(attr.name) {
                        fix_primary(items.as_mut_slice(), None);
                    }
                }
            }
        }
        (_, Some(s)) => {
            let new = coerce(s, required_value(value, path)?, &format!("{}.{}", attr.name, s.name))?;
            match (holder.get_mut(attr.name), new) {
                (Some(Value::Object(o)), Some(v)) => {
                    o.insert(s.name.to_owned(), v);
                }
                (Some(Value::Object(o)), None) => {
                    o.remove(s.name);
                }
                (Some(Value::Array(items)), Some(v)) => {
                    for i in items.iter_mut().filter_map(Value::as_object_mut) {
                        i.insert(s.name.to_owned(), v.clone());
                    }
                }
                (None | Some(_), Some(v)) if !attr.multi => {
                    let mut o = Map::new();
                    o.insert(s.name.to_owned(), v);
                    holder.insert(attr.name.to_owned(), Value::Object(o));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn apply_filtered(
    holder: &mut Map<String, Value>,
    attr: &'static Attr,
    filter: &Filter,
    sub: Option<&'static Attr>,
    op: OpKind,
    value: Option<&Value>,
    path: &PatchPath,
) -> ScimResult<()> {
    let mut items = match holder.remove(attr.name) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let hits: Vec<usize> =
        items.iter().enumerate().filter(|(_, e)| matches_element(attr, filter, e)).map(|(i, _)| i).collect();
    let result = (|| -> ScimResult<()> {
        match op {
            OpKind::Remove => match sub {
                None => {
                    let mut i = 0;
                    items.retain(|_| {
                        i += 1;
                        !hits.contains(&(i - 1))
                    });
                }
                Some(s) => {
                    for &i in &hits {
                        if let Some(o) = items[i].as_object_mut() {
                            o.remove(s.name);
                        }
                    }
                    items.retain(|i| i.as_object().is_some_and(|o| !o.is_empty()));
                }
            },
            OpKind::Add | OpKind::Replace => {
                let raw = required_value(value, path)?;
                let new: Value = match sub {
                    Some(s) => match coerce(s, raw, &format!("{}.{}", attr.name, s.name))? {
                        Some(v) => v,
                        None => return Ok(()),
                    },
                    None => match coerce(attr, raw, attr.name)?
                        .and_then(|v| v.as_array().and_then(|a| a.first().cloned()))
                    {
                        Some(v) => v,
                        None => return Ok(()),
                    },
                };
                if hits.is_empty() {
                    // Entra ID and Okta: a filter naming an element that does
                    // not exist yet asks for it to be created.
                    let mut element = equalities(attr, filter).ok_or_else(|| {
                        ScimError::no_target(format!("No value of '{}' matches the filter.", attr.name))
                    })?;
                    match (sub, new) {
                        (Some(s), v) => {
                            element.insert(s.name.to_owned(), v);
                        }
                        (None, Value::Object(o)) => element.extend(o),
                        (None, _) => {}
                    }
                    // A created element must be a whole one: with its `value`.
                    if attr.sub_attr("value").is_some() && !element.contains_key("value") {
                        return Err(ScimError::no_target(format!(
                            "No value of '{}' matches the filter, and what it names would be an element without a \
                             value; add the whole element instead.",
                            attr.name
                        )));
                    }
                    let primary = element.get("primary") == Some(&Value::Bool(true));
                    items.push(Value::Object(element));
                    let last = items.len() - 1;
                    fix_primary(&mut items, primary.then_some(last));
                    return Ok(());
                }
                for &i in &hits {
                    match (&mut items[i], sub, &new) {
                        (Value::Object(o), Some(s), v) => {
                            o.insert(s.name.to_owned(), v.clone());
                        }
                        (slot, None, Value::Object(add)) if op == OpKind::Replace => *slot = Value::Object(add.clone()),
                        (Value::Object(o), None, Value::Object(add)) => o.extend(add.clone()),
                        _ => {}
                    }
                }
                let primary_hit = hits.iter().copied().find(|&i| items[i].get("primary") == Some(&Value::Bool(true)));
                fix_primary(&mut items, primary_hit);
            }
        }
        Ok(())
    })();
    if !items.is_empty() {
        holder.insert(attr.name.to_owned(), Value::Array(items));
    }
    result
}

/// The sub-attribute values a filter of `eq` conjunctions pins down.
/// Each literal is stored as its sub-attribute's type (`"True"` as `true`):
/// one that is not of that type pins nothing down.
fn equalities(attr: &Attr, filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare(p, FilterOp::Eq, v) => {
            let s = attr.sub_attr(&p.name)?;
            let v = coerce(s, v, s.name).ok().flatten()?;
            let mut m = Map::new();
            m.insert(s.name.to_owned(), v);
            Some(m)
        }
        Filter::And(a, b) => {
            let mut m = equalities(attr, a)?;
            m.extend(equalities(attr, b)?);
            Some(m)
        }
        _ => None,
    }
}

/// Elements are the same when their `value`s are (or, without one, when equal).
fn same_element(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// At most one element is primary (RFC 7643 §2.4): the preferred one, else the last marked.
fn fix_primary(items: &mut [Value], preferred: Option<usize>) {
    let keep = preferred.or_else(|| items.iter().rposition(|i| i.get("primary") == Some(&Value::Bool(true))));
    let Some(keep) = keep else { return };
    for (i, item) in items.iter_mut().enumerate() {
        if i != keep
            && let Some(o) = item.as_object_mut()
            && o.get("primary") == Some(&Value::Bool(true))
        {
            o.insert("primary".to_owned(), Value::Bool(false));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::schema::ENTERPRISE_SCHEMA;
    use super::*;

    fn doc() -> Map<String, Value> {
        match json!({
            "userName": "a@acme.com",
            "active": true,
            "name": { "givenName": "Ann", "familyName": "Lee" },
            "emails": [{ "value": "a@acme.com", "type": "work", "primary": true }]
        }) {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn patch(d: &mut Map<String, Value>, ops: Value) -> ScimResult<()> {
        apply(Kind::User, d, &json!({ "schemas": [super::super::schema::PATCH_SCHEMA], "Operations": ops }))
    }

    #[test]
    fn entra_id_shapes() {
        // Shapes from Microsoft's "Develop a SCIM endpoint" request examples.
        let mut d = doc();
        patch(
            &mut d,
            json!([
                { "op": "Replace", "path": "active", "value": "False" },
                { "op": "Add", "path": "emails[type eq \"home\"].value", "value": "ann@home.example" },
                { "op": "Replace", "path": "name.givenName", "value": "Annie" },
                { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "dus_1" },
                { "op": "Add", "value": { "title": "CTO", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D" } }
            ]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["active"], json!(false));
        assert_eq!(d["name"]["givenName"], json!("Annie"));
        assert_eq!(d["emails"][1], json!({ "type": "home", "value": "ann@home.example" }));
        assert_eq!(d["title"], json!("CTO"));
        assert_eq!(d[ENTERPRISE_SCHEMA], json!({ "manager": { "value": "dus_1" }, "department": "R&D" }));
    }

    #[test]
    fn okta_shapes() {
        // Shapes from Okta's SCIM 2.0 reference (user deactivate, profile update).
        let mut d = doc();
        patch(&mut d, json!([{ "op": "replace", "value": { "id": "dus_x", "active": false } }]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["active"], json!(false));
        assert!(!d.contains_key("id"));
        patch(&mut d, json!([{ "op": "replace", "value": { "name": { "familyName": "Li" } } }]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["name"], json!({ "givenName": "Ann", "familyName": "Li" }), "complex replace merges");
    }

    #[test]
    fn filtered_paths_and_primary() {
        let mut d = doc();
        patch(
            &mut d,
            json!([{ "op": "add", "path": "emails", "value": [{ "value": "b@acme.com", "primary": true }] }]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["emails"][0]["primary"], json!(false));
        assert_eq!(d["emails"][1]["primary"], json!(true));
        patch(&mut d, json!([{ "op": "remove", "path": "emails[value eq \"A@ACME.COM\"]" }]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["emails"], json!([{ "value": "b@acme.com", "primary": true }]));
        patch(&mut d, json!([{ "op": "replace", "path": "emails[primary eq true].type", "value": "work" }]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["emails"][0]["type"], json!("work"));
        patch(&mut d, json!([{ "op": "remove", "path": "emails" }])).unwrap_or_else(|e| panic!("{e}"));
        assert!(!d.contains_key("emails"));
    }

    #[test]
    fn refusals() {
        let mut d = doc();
        let err = |ops: Value, d: &mut Map<String, Value>| patch(d, ops).err().and_then(|e| e.scim_type);
        assert_eq!(err(json!([{ "op": "remove" }]), &mut d), Some("noTarget"));
        assert_eq!(err(json!([{ "op": "remove", "path": "userName" }]), &mut d), Some("mutability"));
        assert_eq!(err(json!([{ "op": "replace", "path": "id", "value": "x" }]), &mut d), Some("mutability"));
        assert_eq!(err(json!([{ "op": "move", "path": "title" }]), &mut d), Some("invalidSyntax"));
        assert_eq!(err(json!([{ "op": "add", "path": "emails[", "value": "x" }]), &mut d), Some("invalidPath"));
        assert_eq!(
            err(json!([{ "op": "replace", "path": "active", "value": "perhaps" }]), &mut d),
            Some("invalidValue")
        );
        assert_eq!(
            err(json!([{ "op": "replace", "path": "emails[value co \"x\"].type", "value": "home" }]), &mut d),
            Some("noTarget")
        );
    }

    #[test]
    fn group_members_add_and_remove() {
        let mut d = match json!({ "displayName": "Eng", "members": [{ "value": "u1" }, { "value": "u2" }] }) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let body = |ops: Value| json!({ "Operations": ops });
        apply(
            Kind::Group,
            &mut d,
            &body(json!([{ "op": "Add", "path": "members", "value": [{ "value": "u3" }, { "value": "u1" }] }])),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["members"].as_array().map(Vec::len), Some(3));
        apply(Kind::Group, &mut d, &body(json!([{ "op": "Remove", "path": "members", "value": [{ "value": "u2" }] }])))
            .unwrap_or_else(|e| panic!("{e}"));
        apply(Kind::Group, &mut d, &body(json!([{ "op": "remove", "path": "members[value eq \"u3\"]" }])))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["members"], json!([{ "value": "u1" }]));
        apply(Kind::Group, &mut d, &body(json!([{ "op": "replace", "path": "members", "value": [] }])))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!d.contains_key("members"));
    }
}
