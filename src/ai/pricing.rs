//! What a request cost: a per-model price table in US dollars per million tokens. The defaults
//! cover common hosted models; the user's table in Settings (`model_prices`) comes first. A model
//! with no price has an unknown cost (null), never a cost of 0 unless the user says so.

use serde_json::Value;

use super::Usage;

/// Dollars per million input and output tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// Published list prices, matched by the longest model-name prefix.
pub const DEFAULTS: &[(&str, f64, f64)] = &[
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-5-nano", 0.05, 0.40),
    ("gpt-5-mini", 0.25, 2.00),
    ("gpt-5", 1.25, 10.00),
    ("o4-mini", 1.10, 4.40),
    ("claude-3-5-haiku", 0.80, 4.00),
    ("claude-3-haiku", 0.25, 1.25),
    ("claude-haiku-4-5", 1.00, 5.00),
    ("claude-3-5-sonnet", 3.00, 15.00),
    ("claude-3-7-sonnet", 3.00, 15.00),
    ("claude-sonnet-4", 3.00, 15.00),
    ("claude-opus-4", 15.00, 75.00),
    ("gemini-1.5-flash", 0.075, 0.30),
    ("gemini-1.5-pro", 1.25, 5.00),
    ("gemini-2.0-flash-lite", 0.075, 0.30),
    ("gemini-2.0-flash", 0.10, 0.40),
    ("gemini-2.5-flash-lite", 0.10, 0.40),
    ("gemini-2.5-flash", 0.30, 2.50),
    ("gemini-2.5-pro", 1.25, 10.00),
];

/// The user's prices (from Settings) before the defaults.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    user: Vec<(String, Price)>,
}

impl PriceTable {
    /// Reads `{"model": {"input": 0.15, "output": 0.6}, …}`; entries of other shapes are skipped.
    pub fn from_settings(value: Option<&Value>) -> Self {
        let user = value
            .and_then(Value::as_object)
            .map(|map| {
                map.iter()
                    .filter_map(|(model, p)| {
                        Some((
                            model.to_ascii_lowercase(),
                            Price {
                                input: p["input"].as_f64().filter(|v| *v >= 0.0)?,
                                output: p["output"].as_f64().filter(|v| *v >= 0.0)?,
                            },
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { user }
    }

    pub fn price(&self, model: &str) -> Option<Price> {
        let model = model.to_ascii_lowercase();
        // "models/gemini-…" and OpenRouter's "openai/gpt-…" name the same models.
        let bare = model.rsplit('/').next().unwrap_or(&model).to_string();
        let best = |entries: &mut dyn Iterator<Item = (&str, Price)>| {
            entries
                .filter(|(name, _)| model == *name || bare == *name || bare.starts_with(name))
                .max_by_key(|(name, _)| name.len())
                .map(|(_, price)| price)
        };
        best(&mut self.user.iter().map(|(n, p)| (n.as_str(), *p))).or_else(|| {
            best(&mut DEFAULTS.iter().map(|(n, i, o)| {
                (
                    *n,
                    Price {
                        input: *i,
                        output: *o,
                    },
                )
            }))
        })
    }

    /// The cost of `usage` on `model`, rounded to a millionth of a dollar; `None` when unknown.
    pub fn cost(&self, model: &str, usage: Usage) -> Option<f64> {
        let price = self.price(model)?;
        let cost = (usage.input as f64 * price.input + usage.output as f64 * price.output) / 1e6;
        Some((cost * 1e6).round() / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_dated_and_prefixed_model_names() {
        let table = PriceTable::default();
        let usage = Usage {
            input: 1_000_000,
            output: 1_000_000,
        };
        assert_eq!(table.cost("gpt-4o-mini-2024-07-18", usage), Some(0.75));
        assert_eq!(table.cost("gpt-4o", usage), Some(12.5));
        assert_eq!(table.cost("openai/gpt-4o-mini", usage), Some(0.75));
        assert_eq!(table.cost("models/gemini-2.0-flash-001", usage), Some(0.5));
        assert_eq!(table.cost("claude-3-5-haiku-20241022", usage), Some(4.8));
        assert_eq!(
            table.cost("llama3.2:3b", usage),
            None,
            "unknown is null, not 0"
        );
    }

    #[test]
    fn the_users_prices_come_first() {
        let table = PriceTable::from_settings(Some(&json!({
            "llama3.2": {"input": 0, "output": 0},
            "gpt-4o": {"input": 1, "output": 1},
            "broken": {"input": -1}
        })));
        let usage = Usage {
            input: 500_000,
            output: 500_000,
        };
        assert_eq!(table.cost("llama3.2:3b", usage), Some(0.0));
        assert_eq!(table.cost("gpt-4o", usage), Some(1.0));
        assert_eq!(table.cost("broken", usage), None);
    }
}
