//! Checking user-supplied JSON objects against a resource's field list. One description of
//! each field (kind, limits, required) serves both create and partial update, and every
//! problem in a body is reported at once, by field, in plain words.

use rusqlite::types::Value as Sql;
use serde::Serialize;
use serde_json::{Map, Value};

/// What a field holds and its limits.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Trimmed text of at most `max` characters; an empty string clears the field.
    Text {
        max: usize,
    },
    /// An http(s) URL.
    Url,
    /// A non-negative amount with at most two decimals.
    Price,
    Flag,
    Choice(&'static [&'static str]),
    Count {
        min: i64,
        max: i64,
    },
    /// An id from `POST /api/uploads`.
    Upload,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// Whether an update may clear it with `null` (or empty text).
    pub nullable: bool,
}

impl Field {
    /// Must be given when creating, and can never be cleared.
    pub const fn required(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            kind,
            required: true,
            nullable: false,
        }
    }

    /// May be left out and cleared.
    pub const fn optional(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            kind,
            required: false,
            nullable: true,
        }
    }

    /// May be left out (the server has a default), but never cleared.
    pub const fn defaulted(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            kind,
            required: false,
            nullable: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

const MAX_URL: usize = 2000;
const MAX_PRICE: f64 = 1_000_000_000.0;

/// The checked values of the fields a body set, in field-list order, ready for SQL.
#[derive(Debug, Default, Clone)]
pub struct Changes(Vec<(&'static str, Sql)>);

impl Changes {
    pub fn iter(&self) -> impl Iterator<Item = &(&'static str, Sql)> {
        self.0.iter()
    }

    pub fn get(&self, name: &str) -> Option<&Sql> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Removes and returns one field's value, for fields the caller handles itself.
    pub fn take(&mut self, name: &str) -> Option<Sql> {
        let at = self.0.iter().position(|(n, _)| *n == name)?;
        Some(self.0.remove(at).1)
    }

    /// Sets or replaces a value computed by the server.
    pub fn set(&mut self, name: &'static str, value: Sql) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Checks `body` against `fields`. In `Create` mode required fields must be present; in
/// `Update` mode absent fields are left alone and `null` clears an optional field.
pub fn parse(body: Map<String, Value>, fields: &[Field], mode: Mode) -> Result<Changes, Invalid> {
    let mut changes = Changes::default();
    let mut errors = Vec::new();
    let mut error = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.to_string(),
            message,
        })
    };
    for key in body.keys() {
        if !fields.iter().any(|f| f.name == key) {
            error(key, "is not a field that can be set here".into());
        }
    }
    for field in fields {
        let value = match body.get(field.name) {
            None if mode == Mode::Update => continue,
            None | Some(Value::Null) => None,
            Some(value) => match check(field.kind, value) {
                Ok(sql) => sql,
                Err(message) => {
                    error(field.name, message);
                    continue;
                }
            },
        };
        match value {
            Some(sql) => changes.0.push((field.name, sql)),
            None if field.required => error(field.name, "is required".into()),
            None if mode == Mode::Update && !field.nullable => {
                error(field.name, "cannot be cleared; give a value".into())
            }
            None if mode == Mode::Update => changes.0.push((field.name, Sql::Null)),
            None => {}
        }
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(Invalid(errors))
    }
}

/// The SQL value for one present, non-null JSON value; `None` means "clear the field".
fn check(kind: Kind, value: &Value) -> Result<Option<Sql>, String> {
    match kind {
        Kind::Text { max } => text(value, max).map(|t| t.map(Sql::Text)),
        Kind::Url => {
            let Some(url) = text(value, MAX_URL)? else {
                return Ok(None);
            };
            let lower = url.to_ascii_lowercase();
            let rest = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !url.contains(char::is_whitespace) => {
                    Ok(Some(Sql::Text(url)))
                }
                _ => Err("must be a web address starting with http:// or https://".into()),
            }
        }
        Kind::Price => price(value).map(|p| Some(Sql::Real(p))),
        Kind::Flag => value
            .as_bool()
            .map(|b| Some(Sql::Integer(i64::from(b))))
            .ok_or_else(|| "must be true or false".into()),
        Kind::Choice(allowed) => match value.as_str() {
            Some(s) if allowed.contains(&s) => Ok(Some(Sql::Text(s.to_string()))),
            _ => Err(format!("must be one of: {}", allowed.join(", "))),
        },
        Kind::Upload => match value.as_str() {
            Some(id) if crate::uploads::Uploads::valid_id(id) => Ok(Some(Sql::Text(id.into()))),
            Some("") => Ok(None),
            _ => Err("must be an image_id from POST /api/uploads".into()),
        },
        Kind::Count { min, max } => match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(Sql::Integer(n))),
            _ => Err(format!("must be a whole number from {min} to {max}")),
        },
    }
}

fn text(value: &Value, max: usize) -> Result<Option<String>, String> {
    let Some(s) = value.as_str() else {
        return Err("must be text".into());
    };
    let s = s.trim();
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("must not contain control characters".into());
    }
    let length = s.chars().count();
    if length > max {
        return Err(format!(
            "must be at most {max} characters (it has {length})"
        ));
    }
    Ok((!s.is_empty()).then(|| s.to_string()))
}

fn price(value: &Value) -> Result<f64, String> {
    let Some(p) = value.as_f64().filter(|p| p.is_finite()) else {
        return Err("must be a number, such as 12.99".into());
    };
    if p < 0.0 {
        return Err("must not be negative".into());
    }
    if p > MAX_PRICE {
        return Err("is too large".into());
    }
    let cents = (p * 100.0).round();
    if (cents - p * 100.0).abs() > 1e-6 {
        return Err("must have at most two decimals".into());
    }
    Ok(cents / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[Field] = &[
        Field::required("name", Kind::Text { max: 5 }),
        Field::optional("url", Kind::Url),
        Field::optional("price", Kind::Price),
        Field::optional("done", Kind::Flag),
        Field::optional("level", Kind::Choice(&["low", "high"])),
        Field::defaulted("count", Kind::Count { min: 1, max: 9 }),
    ];

    fn run(body: Value, mode: Mode) -> Result<Changes, Invalid> {
        parse(body.as_object().unwrap().clone(), FIELDS, mode)
    }

    fn fields_in_error(body: Value, mode: Mode) -> Vec<String> {
        run(body, mode)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn create_takes_good_values() {
        let c = run(
            json!({"name": " milk ", "url": "https://shop.example/milk", "price": 1.5,
                   "done": true, "level": "low", "count": 3}),
            Mode::Create,
        )
        .unwrap();
        assert_eq!(c.get("name"), Some(&Sql::Text("milk".into())));
        assert_eq!(c.get("price"), Some(&Sql::Real(1.5)));
        assert_eq!(c.get("done"), Some(&Sql::Integer(1)));
        assert_eq!(c.get("count"), Some(&Sql::Integer(3)));
    }

    #[test]
    fn create_requires_required_fields() {
        assert_eq!(fields_in_error(json!({}), Mode::Create), ["name"]);
        assert_eq!(
            fields_in_error(json!({"name": "  "}), Mode::Create),
            ["name"]
        );
        assert_eq!(
            fields_in_error(json!({"name": null}), Mode::Create),
            ["name"]
        );
    }

    #[test]
    fn every_bad_value_is_reported() {
        let fields = fields_in_error(
            json!({"name": "toolong", "url": "ftp://x", "price": -1, "done": "yes",
                   "level": "medium", "count": 0, "extra": 1}),
            Mode::Create,
        );
        assert_eq!(
            fields,
            ["extra", "name", "url", "price", "done", "level", "count"]
        );
    }

    #[test]
    fn prices_have_two_decimals_at_most() {
        assert!(run(json!({"name": "a", "price": 1.999}), Mode::Create).is_err());
        assert!(run(json!({"name": "a", "price": "1.99"}), Mode::Create).is_err());
        let c = run(json!({"name": "a", "price": 19.99}), Mode::Create).unwrap();
        assert_eq!(c.get("price"), Some(&Sql::Real(19.99)));
        let c = run(json!({"name": "a", "price": 0}), Mode::Create).unwrap();
        assert_eq!(c.get("price"), Some(&Sql::Real(0.0)));
    }

    #[test]
    fn update_leaves_absent_fields_and_clears_nulls() {
        let c = run(json!({"price": null}), Mode::Update).unwrap();
        assert_eq!(c.get("price"), Some(&Sql::Null));
        assert_eq!(c.get("name"), None);
        assert_eq!(
            fields_in_error(json!({"name": null}), Mode::Update),
            ["name"]
        );
        assert!(run(json!({}), Mode::Update).unwrap().is_empty());
    }

    #[test]
    fn text_limits_count_characters_not_bytes() {
        assert!(run(json!({"name": "ééééé"}), Mode::Create).is_ok());
        assert!(run(json!({"name": "a\u{0}b"}), Mode::Create).is_err());
    }
}
