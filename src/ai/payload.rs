//! What the request log may keep of a payload: valid JSON of at most 50,000 bytes, images as
//! descriptors, and no secrets. Long strings are cut at a UTF-8 boundary with a marker that
//! says how long they were; long arrays keep their head and say how many items were left out.

use serde_json::{Map, Value, json};

/// Largest stored payload, in bytes of serialized JSON.
pub const LIMIT: usize = 50_000;

const REDACTED: &str = "[redacted]";

/// Describes an image by type, size and hash instead of its bytes.
pub fn image_descriptor(mime: &str, bytes: usize, sha256: &str) -> Value {
    json!({"image": {"mime": mime, "bytes": bytes, "sha256": sha256}})
}

/// Replaces every string that carries `base64` (bare or as a data URL) with `descriptor`.
pub fn replace_image(value: &mut Value, base64: &str, descriptor: &Value) {
    match value {
        Value::String(s) if base64.len() >= 16 && s.contains(base64) => {
            *value = descriptor.clone();
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| replace_image(v, base64, descriptor)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| replace_image(v, base64, descriptor)),
        _ => {}
    }
}

/// Removes secrets from every string in `value` (see `redact`).
pub fn redact_value(value: &mut Value, secrets: &[&str]) {
    match value {
        Value::String(s) => {
            let clean = redact(s, secrets);
            if clean != *s {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, secrets)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_secret_key(key) && v.is_string() {
                    *v = Value::String(REDACTED.into());
                } else {
                    redact_value(v, secrets);
                }
            }
        }
        _ => {}
    }
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    matches!(
        key.as_str(),
        "api_key" | "apikey" | "key" | "x-api-key" | "x-goog-api-key" | "authorization"
    )
}

/// Removes the given secrets and anything shaped like a credential from `text`: the values of
/// `key=`, `api_key=` and similar query parameters, bearer tokens, and OpenAI- and
/// Google-style keys.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret, REDACTED);
    }
    for marker in ["api_key=", "apikey=", "key=", "token=", "access_token="] {
        out = redact_after(&out, marker, |c| {
            c == '&' || c == '"' || c == '\'' || c.is_whitespace()
        });
    }
    for marker in ["Bearer ", "bearer "] {
        out = redact_after(&out, marker, |c| {
            c == '"' || c == '\'' || c == ',' || c.is_whitespace()
        });
    }
    out = redact_token(&out, "sk-", 16);
    redact_token(&out, "AIza", 30)
}

/// Replaces what follows each `marker` up to a character that `ends` with the redaction mark.
fn redact_after(text: &str, marker: &str, ends: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let (before, after) = rest.split_at(at + marker.len());
        out.push_str(before);
        let end = after.find(&ends).unwrap_or(after.len());
        if end > 0 && !after[..end].starts_with(REDACTED) {
            out.push_str(REDACTED);
        } else {
            out.push_str(&after[..end]);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Replaces tokens that start with `prefix` and go on for at least `min` key characters.
fn redact_token(text: &str, prefix: &str, min: usize) -> String {
    let is_key = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let starts_word = rest[..at].chars().next_back().is_none_or(|c| !is_key(c));
        let after = &rest[at + prefix.len()..];
        let len = after.find(|c: char| !is_key(c)).unwrap_or(after.len());
        out.push_str(&rest[..at]);
        if starts_word && len >= min {
            out.push_str(REDACTED);
        } else {
            out.push_str(&rest[at..at + prefix.len() + len]);
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// `value` as JSON text of at most `LIMIT` bytes.
pub fn store(value: &Value) -> String {
    store_within(value, LIMIT)
}

/// `value` as JSON text of at most `limit` bytes.
pub fn store_within(value: &Value, limit: usize) -> String {
    let text = value.to_string();
    if text.len() <= limit {
        return text;
    }
    // Find the longest string cap (then array cap) at which the cut value fits.
    let fits = |cap_str: usize, cap_items: usize| {
        let cut = cut(value, cap_str, cap_items);
        let text = cut.to_string();
        (text.len() <= limit).then_some(text)
    };
    let mut best = None;
    let (mut low, mut high) = (0usize, text.len());
    while low <= high {
        let mid = low + (high - low) / 2;
        match fits(mid, usize::MAX) {
            Some(text) => {
                best = Some(text);
                low = mid + 1;
            }
            None if mid == 0 => break,
            None => high = mid - 1,
        }
    }
    if let Some(text) = best {
        return text;
    }
    let (mut low, mut high) = (0usize, 10_000usize);
    while low <= high {
        let mid = low + (high - low) / 2;
        match fits(64, mid) {
            Some(text) => {
                best = Some(text);
                low = mid + 1;
            }
            None if mid == 0 => break,
            None => high = mid - 1,
        }
    }
    best.unwrap_or_else(|| {
        let preview = cut_str(&text, limit / 2);
        json!({"truncated": true, "original_bytes": text.len(), "preview": preview}).to_string()
    })
}

/// A copy of `value` with strings cut to `max` bytes and arrays to `items` entries.
fn cut(value: &Value, max: usize, items: usize) -> Value {
    match value {
        Value::String(s) if s.len() > max => Value::String(format!(
            "{}…[truncated: {} bytes]",
            cut_str(s, max),
            s.len()
        )),
        Value::Array(list) if list.len() > items => {
            let mut kept: Vec<Value> = list[..items].iter().map(|v| cut(v, max, items)).collect();
            kept.push(Value::String(format!(
                "[truncated: {} more items]",
                list.len() - items
            )));
            Value::Array(kept)
        }
        Value::Array(list) => Value::Array(list.iter().map(|v| cut(v, max, items)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), cut(v, max, items)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn cut_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_kept_as_they_are() {
        let v = json!({"a": [1, 2, 3], "b": "text"});
        assert_eq!(store(&v), v.to_string());
    }

    #[test]
    fn a_megabyte_is_cut_to_valid_json_under_the_limit() {
        let big = "x".repeat(1_048_576);
        let stored = store(&json!({"content": big, "model": "m"}));
        assert!(stored.len() <= LIMIT, "{}", stored.len());
        let back: Value = serde_json::from_str(&stored).unwrap();
        let content = back["content"].as_str().unwrap();
        assert!(
            content.ends_with("…[truncated: 1048576 bytes]"),
            "{}",
            &content[content.len() - 40..]
        );
        assert_eq!(back["model"], "m");
    }

    #[test]
    fn multi_byte_text_is_never_cut_mid_character() {
        let text = "é€😀".repeat(100_000);
        let stored = store(&json!({"text": text}));
        assert!(stored.len() <= LIMIT);
        let back: Value = serde_json::from_str(&stored).unwrap();
        let kept = back["text"].as_str().unwrap();
        let body = kept.split('…').next().unwrap();
        assert!(text.starts_with(body));
        assert!(!body.is_empty());
    }

    #[test]
    fn many_small_items_are_cut_by_count() {
        let items: Vec<Value> = (0..100_000).map(|n| json!({"n": n})).collect();
        let stored = store(&Value::Array(items));
        assert!(stored.len() <= LIMIT);
        let back: Value = serde_json::from_str(&stored).unwrap();
        let last = back.as_array().unwrap().last().unwrap().as_str().unwrap();
        assert!(last.contains("more items"), "{last}");
    }

    #[test]
    fn cut_str_respects_boundaries() {
        assert_eq!(cut_str("héllo", 2), "h");
        assert_eq!(cut_str("héllo", 3), "hé");
        assert_eq!(cut_str("abc", 10), "abc");
    }

    #[test]
    fn images_become_descriptors() {
        let b64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=";
        let mut v = json!({"messages": [{"content": [
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{b64}")}},
            {"type": "text", "text": "what is this"}]}], "images": [b64]});
        let d = image_descriptor("image/png", 26, "abc123");
        replace_image(&mut v, b64, &d);
        assert!(!v.to_string().contains(b64));
        assert_eq!(v["images"][0], d);
        assert_eq!(v["messages"][0]["content"][0]["image_url"]["url"], d);
    }

    #[test]
    fn secrets_are_removed() {
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyz123456";
        let text = format!(
            "Incorrect API key provided: {key}. GET https://serpapi.com/search.json?q=tv&api_key=0123456789abcdef&gl=us \
             Authorization: Bearer abc.def.ghi, gemini AIzaSyA1234567890abcdefghijklmnopqrstu"
        );
        let clean = redact(&text, &[key]);
        for leaked in [key, "0123456789abcdef", "abc.def.ghi", "AIzaSyA1234567890"] {
            assert!(!clean.contains(leaked), "{leaked} leaked: {clean}");
        }
        assert!(clean.contains("q=tv&api_key=[redacted]&gl=us"), "{clean}");
        assert_eq!(
            redact("task-force and sk-short", &[]),
            "task-force and sk-short"
        );
    }

    #[test]
    fn secret_fields_in_json_are_removed() {
        let mut v = json!({"api_key": "s3cret-value", "nested": {"note": "key s3cret-value"}});
        redact_value(&mut v, &["s3cret-value"]);
        assert!(!v.to_string().contains("s3cret"), "{v}");
    }
}
