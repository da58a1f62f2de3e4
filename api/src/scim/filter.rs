//! SCIM filters and PATCH paths (RFC 7644 §3.4.2.2 and §3.5.2): a parser
//! into a small tree, and evaluation against a resource's JSON.
//!
//! Operators and attribute names are case-insensitive; string comparisons
//! follow the attribute's `caseExact`; `not` binds tighter than `and`, which
//! binds tighter than `or`. Nesting is limited so a hostile filter cannot
//! exhaust the stack.

use std::cmp::Ordering;

use serde_json::Value;

use super::schema::{Attr, Kind, Type};

/// Deepest nesting of parentheses, `not` and value filters a filter may use.
pub const MAX_DEPTH: usize = 16;
/// Longest filter accepted, in bytes.
pub const MAX_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    /// A schema URN prefix (`urn:…:enterprise:2.0:User`), when given.
    pub uri: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare(AttrPath, Op, Value),
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: some value of a multi-valued attribute matches.
    ValuePath(AttrPath, Box<Filter>),
}

/// A PATCH `path`: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// For `attr[filter].sub`; `attr.sub` uses `attr.sub`.
    pub sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Num(Value),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    /// `.` right after `]` in a PATCH path.
    Dot,
}

fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    if input.len() > MAX_LEN {
        return Err(FilterError(format!("The filter is longer than {MAX_LEN} characters.")));
    }
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '[' => {
                out.push(Token::OpenBracket);
                i += 1;
            }
            ']' => {
                out.push(Token::CloseBracket);
                i += 1;
            }
            '.' if matches!(out.last(), Some(Token::CloseBracket)) => {
                out.push(Token::Dot);
                i += 1;
            }
            '"' => {
                // A JSON string: find its end, honouring escapes, and let serde decode it.
                let start = i;
                i += 1;
                let mut escaped = false;
                while i < chars.len() && (escaped || chars[i] != '"') {
                    escaped = !escaped && chars[i] == '\\';
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(FilterError("A string in the filter is not closed with \".".to_owned()));
                }
                i += 1;
                let raw: String = chars[start..i].iter().collect();
                let s: String = serde_json::from_str(&raw)
                    .map_err(|_| FilterError(format!("{raw} is not a valid JSON string.")))?;
                if s.contains('\0') {
                    return Err(FilterError("A string in the filter contains a NUL character (\\u0000).".to_owned()));
                }
                out.push(Token::Str(s));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '-' | '+' | '.')) {
                    i += 1;
                }
                let raw: String = chars[start..i].iter().collect();
                let n: Value = serde_json::from_str(&raw)
                    .ok()
                    .filter(Value::is_number)
                    .ok_or_else(|| FilterError(format!("{raw} is not a number.")))?;
                out.push(Token::Num(n));
            }
            c if c.is_ascii_alphabetic() || c == '$' || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '$' | '_' | '-' | ':' | '.'))
                {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
            other => return Err(FilterError(format!("Unexpected character '{other}' in the filter."))),
        }
    }
    Ok(out)
}

/// Splits `urn:…:User:name.sub` into its parts.
fn attr_path(word: &str) -> Result<AttrPath, FilterError> {
    let (uri, rest) = match word.rfind(':') {
        Some(i) if word.to_ascii_lowercase().starts_with("urn:") => (Some(word[..i].to_owned()), &word[i + 1..]),
        _ => (None, word),
    };
    let mut parts = rest.split('.');
    let name = parts.next().unwrap_or_default();
    let sub = parts.next();
    let valid = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '$' | '_' | '-'));
    if !valid(name) || parts.next().is_some() || sub.is_some_and(|s| !valid(s)) {
        return Err(FilterError(format!("'{word}' is not an attribute path.")));
    }
    Ok(AttrPath { uri, name: name.to_owned(), sub: sub.map(str::to_owned) })
}

fn op(word: &str) -> Option<Op> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "co" => Op::Co,
        "sw" => Op::Sw,
        "ew" => Op::Ew,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "le" => Op::Le,
        _ => return None,
    })
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError(format!("The filter nests deeper than {MAX_DEPTH} levels.")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        if self.keyword("not") && matches!(self.tokens.get(self.pos + 1), Some(Token::Open)) {
            self.pos += 1;
            self.enter()?;
            let inner = self.group()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if matches!(self.peek(), Some(Token::Open)) {
            self.enter()?;
            let inner = self.group()?;
            self.depth -= 1;
            return Ok(inner);
        }
        self.comparison()
    }

    fn group(&mut self) -> Result<Filter, FilterError> {
        if self.next() != Some(Token::Open) {
            return Err(FilterError("Expected '('.".to_owned()));
        }
        let inner = self.or()?;
        if self.next() != Some(Token::Close) {
            return Err(FilterError("A '(' in the filter is not closed.".to_owned()));
        }
        Ok(inner)
    }

    fn comparison(&mut self) -> Result<Filter, FilterError> {
        let Some(Token::Word(word)) = self.next() else {
            return Err(FilterError("Expected an attribute name.".to_owned()));
        };
        let path = attr_path(&word)?;
        if matches!(self.peek(), Some(Token::OpenBracket)) {
            if path.sub.is_some() {
                return Err(FilterError(format!("'{word}[' : a value filter applies to a whole attribute.")));
            }
            self.pos += 1;
            self.enter()?;
            let inner = self.or()?;
            self.depth -= 1;
            if self.next() != Some(Token::CloseBracket) {
                return Err(FilterError("A '[' in the filter is not closed.".to_owned()));
            }
            // `emails[type eq "work"].value eq "a@b.c"` (Microsoft Entra ID's
            // matching filter; outside RFC 7644's grammar): some value that
            // matches the filter has a matching sub-attribute.
            if matches!(self.peek(), Some(Token::Dot)) {
                self.pos += 1;
                let sub = match self.next() {
                    Some(Token::Word(sub)) => attr_path(&sub).ok().filter(|a| a.sub.is_none() && a.uri.is_none()),
                    _ => None,
                };
                let sub = sub.ok_or_else(|| FilterError(format!("Expected a sub-attribute after '{word}[…].'.")))?;
                let on_sub = self.condition(sub, &word)?;
                return Ok(Filter::ValuePath(path, Box::new(Filter::And(Box::new(inner), Box::new(on_sub)))));
            }
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        self.condition(path, &word)
    }

    /// The operator and value after the attribute path `path` (`word` as written).
    fn condition(&mut self, path: AttrPath, word: &str) -> Result<Filter, FilterError> {
        let Some(Token::Word(op_word)) = self.next() else {
            return Err(FilterError(format!("Expected an operator after '{word}'.")));
        };
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let op = op(&op_word).ok_or_else(|| {
            FilterError(format!("'{op_word}' is not a filter operator (eq ne co sw ew gt ge lt le pr)."))
        })?;
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Num(n)) => n,
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Value::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Value::Null,
            _ => return Err(FilterError(format!("Expected a value after '{word} {op_word}'."))),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

pub fn parse_filter(input: &str) -> Result<Filter, FilterError> {
    let mut p = Parser { tokens: tokenize(input)?, pos: 0, depth: 0 };
    let f = p.or()?;
    if p.pos != p.tokens.len() {
        return Err(FilterError("Unexpected text after the end of the filter.".to_owned()));
    }
    Ok(f)
}

pub fn parse_path(input: &str) -> Result<PatchPath, FilterError> {
    let mut p = Parser { tokens: tokenize(input)?, pos: 0, depth: 0 };
    let Some(Token::Word(word)) = p.next() else {
        return Err(FilterError(format!("'{input}' is not an attribute path.")));
    };
    let attr = attr_path(&word)?;
    let mut path = PatchPath { attr, filter: None, sub: None };
    if matches!(p.peek(), Some(Token::OpenBracket)) {
        p.pos += 1;
        path.filter = Some(p.or()?);
        if p.next() != Some(Token::CloseBracket) {
            return Err(FilterError("A '[' in the path is not closed.".to_owned()));
        }
        if matches!(p.peek(), Some(Token::Dot)) {
            p.pos += 1;
            match p.next() {
                Some(Token::Word(sub)) if attr_path(&sub).is_ok_and(|a| a.sub.is_none() && a.uri.is_none()) => {
                    path.sub = Some(sub)
                }
                _ => return Err(FilterError(format!("'{input}': expected a sub-attribute after '].'."))),
            }
        }
    }
    if p.pos != p.tokens.len() {
        return Err(FilterError(format!("'{input}' is not an attribute path.")));
    }
    Ok(path)
}

/// The schema attribute an `AttrPath` names, with the key its value lives
/// under in a resource (`None` for the core schema, or the extension URN).
pub struct Resolved {
    pub ext: Option<&'static str>,
    pub attr: &'static Attr,
    pub sub: Option<&'static Attr>,
}

pub fn resolve(kind: Kind, path: &AttrPath) -> Option<Resolved> {
    let (ext, attr) = match &path.uri {
        None => (None, kind.core_attr(&path.name)?),
        Some(uri) if uri.eq_ignore_ascii_case(kind.core().id) => (None, kind.core_attr(&path.name)?),
        Some(uri) => {
            let schema = kind.extension(uri)?;
            (Some(schema.id), schema.attrs.iter().find(|a| a.name.eq_ignore_ascii_case(&path.name))?)
        }
    };
    let sub = match &path.sub {
        None => None,
        Some(s) => Some(attr.sub_attr(s)?),
    };
    Some(Resolved { ext, attr, sub })
}

/// The values of `path` in `resource` (flattened across multi-valued parents).
fn values<'a>(resource: &'a Value, r: &Resolved) -> Vec<&'a Value> {
    let holder = match r.ext {
        Some(urn) => resource.get(urn),
        None => Some(resource),
    };
    let Some(v) = holder.and_then(|h| h.get(r.attr.name)) else { return Vec::new() };
    let top: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    match r.sub {
        None => top,
        Some(sub) => top
            .into_iter()
            .filter_map(|v| v.get(sub.name))
            .flat_map(|v| match v {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            })
            .collect(),
    }
}

fn compare_strings(a: &str, b: &str, case_exact: bool, op: Op) -> bool {
    use unicode_normalization::UnicodeNormalization;
    // Canonically equivalent spellings (NFC and NFD) are one string.
    let (a, b) = if case_exact { (a.to_owned(), b.to_owned()) } else { (a.to_lowercase(), b.to_lowercase()) };
    let (a, b): (String, String) = (a.nfc().collect(), b.nfc().collect());
    match op {
        Op::Eq => a == b,
        Op::Ne => a != b,
        Op::Co => a.contains(&b),
        Op::Sw => a.starts_with(&b),
        Op::Ew => a.ends_with(&b),
        Op::Gt => a > b,
        Op::Ge => a >= b,
        Op::Lt => a < b,
        Op::Le => a <= b,
    }
}

fn ordering_matches(ord: Option<Ordering>, op: Op) -> bool {
    match (ord, op) {
        (Some(o), Op::Eq) => o == Ordering::Equal,
        (Some(o), Op::Ne) => o != Ordering::Equal,
        (Some(o), Op::Gt) => o == Ordering::Greater,
        (Some(o), Op::Ge) => o != Ordering::Less,
        (Some(o), Op::Lt) => o == Ordering::Less,
        (Some(o), Op::Le) => o != Ordering::Greater,
        (None, Op::Ne) => true,
        _ => false,
    }
}

fn matches_value(actual: &Value, attr: &Attr, op: Op, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::String(a), Value::String(e)) if attr.ty == Type::DateTime => {
            let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
            match (parse(a), parse(e)) {
                (Some(a), Some(e)) => ordering_matches(Some(a.cmp(&e)), op),
                _ => compare_strings(a, e, true, op),
            }
        }
        (Value::String(a), Value::String(e)) => compare_strings(a, e, attr.case_exact, op),
        (Value::Number(a), Value::Number(e)) => {
            ordering_matches(a.as_f64().zip(e.as_f64()).and_then(|(a, e)| a.partial_cmp(&e)), op)
        }
        (Value::Bool(a), Value::Bool(e)) => match op {
            Op::Eq => a == e,
            Op::Ne => a != e,
            _ => false,
        },
        // Entra ID writes booleans as strings in filters (`primary eq "True"`):
        // compared as the attribute's type, a boolean.
        (Value::Bool(a), Value::String(e)) if attr.ty == Type::Boolean => {
            let e = match e.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => return op == Op::Ne,
            };
            match op {
                Op::Eq => *a == e,
                Op::Ne => *a != e,
                _ => false,
            }
        }
        (_, Value::Null) => op == Op::Ne,
        _ => op == Op::Ne,
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// Checks every attribute in `filter` exists for `kind`; an unknown one is
/// the client's mistake (400 `invalidFilter`), not an empty result.
pub fn check(kind: Kind, filter: &Filter) -> Result<(), FilterError> {
    let known = |p: &AttrPath| {
        resolve(kind, p).map(|_| ()).ok_or_else(|| {
            FilterError(format!(
                "'{}{}' is not an attribute of {}.",
                p.name,
                p.sub.as_deref().map(|s| format!(".{s}")).unwrap_or_default(),
                kind.name()
            ))
        })
    };
    match filter {
        Filter::Compare(p, _, _) | Filter::Present(p) => known(p),
        Filter::And(a, b) | Filter::Or(a, b) => check(kind, a).and_then(|()| check(kind, b)),
        Filter::Not(f) => check(kind, f),
        Filter::ValuePath(p, f) => {
            known(p)?;
            check_sub(kind, p, f)
        }
    }
}

fn check_sub(kind: Kind, parent: &AttrPath, filter: &Filter) -> Result<(), FilterError> {
    let nested =
        |p: &AttrPath| AttrPath { uri: parent.uri.clone(), name: parent.name.clone(), sub: Some(p.name.clone()) };
    match filter {
        Filter::Compare(p, _, _) | Filter::Present(p) => check(kind, &Filter::Present(nested(p))),
        Filter::And(a, b) | Filter::Or(a, b) => check_sub(kind, parent, a).and_then(|()| check_sub(kind, parent, b)),
        Filter::Not(f) => check_sub(kind, parent, f),
        Filter::ValuePath(..) => Err(FilterError("Value filters cannot be nested.".to_owned())),
    }
}

pub fn matches(kind: Kind, filter: &Filter, resource: &Value) -> bool {
    match filter {
        Filter::Compare(p, op, expected) => {
            let Some(r) = resolve(kind, p) else { return false };
            let attr = r.sub.unwrap_or(r.attr);
            let vals = values(resource, &r);
            if *op == Op::Ne {
                // "ne" holds when no value equals the operand.
                return !vals.iter().any(|v| matches_value(v, attr, Op::Eq, expected));
            }
            vals.iter().any(|v| matches_value(v, attr, *op, expected))
        }
        Filter::Present(p) => resolve(kind, p).is_some_and(|r| values(resource, &r).into_iter().any(present)),
        Filter::And(a, b) => matches(kind, a, resource) && matches(kind, b, resource),
        Filter::Or(a, b) => matches(kind, a, resource) || matches(kind, b, resource),
        Filter::Not(f) => !matches(kind, f, resource),
        Filter::ValuePath(p, f) => {
            let Some(r) = resolve(kind, p) else { return false };
            values(resource, &r).into_iter().any(|element| matches_element(r.attr, f, element))
        }
    }
}

/// Evaluates a value filter (`type eq "work"`) against one element of a
/// multi-valued attribute.
pub fn matches_element(attr: &Attr, filter: &Filter, element: &Value) -> bool {
    match filter {
        Filter::Compare(p, op, expected) => {
            let Some(sub) = attr.sub_attr(&p.name) else { return false };
            let v = element.get(sub.name).unwrap_or(&Value::Null);
            if *op == Op::Ne {
                return !matches_value(v, sub, Op::Eq, expected);
            }
            matches_value(v, sub, *op, expected)
        }
        Filter::Present(p) => attr.sub_attr(&p.name).and_then(|s| element.get(s.name)).is_some_and(present),
        Filter::And(a, b) => matches_element(attr, a, element) && matches_element(attr, b, element),
        Filter::Or(a, b) => matches_element(attr, a, element) || matches_element(attr, b, element),
        Filter::Not(f) => !matches_element(attr, f, element),
        Filter::ValuePath(..) => false,
    }
}

/// An `attr eq "value"` conjunct the database can answer from an index
/// (the full filter is still applied to what it returns).
pub fn indexed_equality<'a>(kind: Kind, filter: &'a Filter, columns: &[&str]) -> Option<(&'static str, &'a str)> {
    match filter {
        Filter::Compare(p, Op::Eq, Value::String(v)) => {
            let r = resolve(kind, p)?;
            let name = match (r.ext, r.attr.name, r.sub.map(|s| s.name)) {
                (None, "emails", Some("value")) => "emails.value",
                (None, name, None) => name,
                _ => return None,
            };
            columns.iter().find(|c| **c == name).map(|_| (name_static(name), v.as_str()))
        }
        Filter::And(a, b) => indexed_equality(kind, a, columns).or_else(|| indexed_equality(kind, b, columns)),
        _ => None,
    }
}

fn name_static(name: &str) -> &'static str {
    match name {
        "id" => "id",
        "userName" => "userName",
        "externalId" => "externalId",
        "emails.value" => "emails.value",
        "displayName" => "displayName",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Value {
        json!({
            "userName": "Bjensen@Example.com",
            "name": { "familyName": "Jensen", "givenName": "Barbara" },
            "active": true,
            "emails": [
                { "value": "bjensen@example.com", "type": "work", "primary": true },
                { "value": "babs@jensen.org", "type": "home" }
            ],
            "meta": { "lastModified": "2011-05-13T04:42:34Z" },
            ENTERPRISE: { "department": "Tour Operations", "manager": { "value": "26118915-6090-4610-87e4-49d8ca9f808d" } }
        })
    }

    const ENTERPRISE: &str = super::super::schema::ENTERPRISE_SCHEMA;

    fn eval(f: &str) -> bool {
        let filter = parse_filter(f).unwrap_or_else(|e| panic!("{f}: {e:?}"));
        check(Kind::User, &filter).unwrap_or_else(|e| panic!("{f}: {e:?}"));
        matches(Kind::User, &filter, &user())
    }

    #[test]
    fn rfc_examples_evaluate() {
        assert!(eval(r#"userName eq "bjensen@example.com""#), "userName is case-insensitive");
        assert!(eval(r#"USERNAME Eq "BJENSEN@EXAMPLE.COM""#));
        assert!(eval(r#"name.familyName co "ens""#));
        assert!(eval(r#"userName sw "bj""#));
        assert!(eval(r#"userName ew ".com""#));
        assert!(eval("active eq true"));
        assert!(!eval("active eq false"));
        assert!(eval("name.givenName pr"));
        assert!(!eval("title pr"));
        assert!(!eval(
            r#"meta.lastModified gt "2011-05-13T04:42:34-01:00" or meta.lastModified lt "2011-05-13T04:42:34Z""#
        ));
        assert!(eval(r#"meta.lastModified ge "2011-05-13T04:42:34Z""#));
        assert!(eval(r#"meta.lastModified lt "2012-01-01T00:00:00Z""#));
        assert!(eval(r#"emails[type eq "work" and value co "@example.com"]"#));
        assert!(!eval(r#"emails[type eq "home" and value co "@example.com"]"#));
        assert!(eval(r#"emails.value eq "babs@jensen.org""#), "any value matches");
        // Microsoft Entra ID's matching filter: a value filter, then a sub-attribute.
        assert!(eval(r#"emails[type eq "work"].value eq "bjensen@example.com""#));
        assert!(eval(r#"EMAILS[TYPE EQ "work"].VALUE eq "BJENSEN@example.com""#));
        assert!(!eval(r#"emails[type eq "home"].value eq "bjensen@example.com""#), "the same element");
        assert!(eval(r#"emails[type eq "home"].value pr"#));
        assert!(!eval(r#"emails[type eq "other"].value pr"#));
        assert!(eval(r#"userName ne "someone""#));
        assert!(!eval(r#"emails.value ne "babs@jensen.org""#));
        assert!(eval(r#"not (userName eq "x") and (name.familyName eq "jensen" or title pr)"#));
        assert!(eval(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations""#));
        assert!(eval(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#));
        assert!(eval(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "BJ""#));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        // false and false or true → (false and false) or true → true
        assert!(eval(r#"title pr and title pr or active eq true"#));
        // true or false and false → true or (false and false) → true
        assert!(eval(r#"active eq true or title pr and title pr"#));
        assert!(!eval(r#"(active eq true or title pr) and title pr"#));
    }

    #[test]
    fn bad_filters_are_refused_with_a_reason() {
        for bad in [
            "userName",
            "userName eq",
            "userName xx \"a\"",
            "(userName eq \"a\"",
            "userName eq \"a\" extra",
            "emails[type eq \"work\"",
            "emails[type eq \"work\"].",
            "emails[type eq \"work\"].value",
            "emails[type eq \"work\"].value.x eq \"a\"",
            "userName eq \"unterminated",
            "user;Name eq \"x\"",
            "userName eq \"a\\u0000b\"",
            "",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad} should not parse");
        }
        let unknown = parse_filter("shoeSize gt 10").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(check(Kind::User, &unknown).is_err());
    }

    #[test]
    fn nesting_is_limited() {
        let deep = format!("{}userName eq \"a\"{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(parse_filter(&deep).is_err());
        let ok = format!("{}userName eq \"a\"{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse_filter(&ok).is_ok());
        let nots = format!("{}userName eq \"a\"{}", "not (".repeat(40), ")".repeat(40));
        assert!(parse_filter(&nots).is_err());
        assert!(parse_filter(&"a".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn patch_paths_parse() {
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.attr.name, "emails");
        assert_eq!(p.sub.as_deref(), Some("value"));
        assert!(p.filter.is_some());
        let p = parse_path("name.givenName").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((p.attr.name.as_str(), p.attr.sub.as_deref()), ("name", Some("givenName")));
        let p = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.attr.uri.as_deref(), Some(ENTERPRISE));
        assert_eq!(p.attr.name, "manager");
        let p = parse_path(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.attr.name, "members");
        assert!(parse_path("emails[type eq \"work\"].").is_err());
        assert!(parse_path("a.b.c").is_err());
    }

    #[test]
    fn index_hints_pick_an_equality() {
        let f = parse_filter(r#"userName eq "a" and active eq true"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(indexed_equality(Kind::User, &f, &["userName"]), Some(("userName", "a")));
        let f = parse_filter(r#"userName eq "a" or active eq true"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(indexed_equality(Kind::User, &f, &["userName"]), None);
        let f = parse_filter(r#"emails.value eq "x@y.z""#).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(indexed_equality(Kind::User, &f, &["emails.value"]), Some(("emails.value", "x@y.z")));
    }
}
