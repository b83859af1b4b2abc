//! `product_identification`: from a photo, a text query or both, asks the AI for up to five
//! product candidates, keeps the well-formed ones with defaults filled in, most likely first.

use std::sync::Arc;

use serde_json::{Value, json};

use super::standard::{optional_text, text};
use super::{JobContext, JobError, JobFuture, JobRequest, JobType, Outcome};
use crate::ai::{AiRequest, Image, JSON_ONLY, Task};
use crate::uploads::{UploadError, Uploads};

pub struct ProductIdentification;

const MAX_CANDIDATES: usize = 5;

impl JobType for ProductIdentification {
    fn name(&self) -> &'static str {
        "product_identification"
    }

    fn label(&self) -> &'static str {
        "Product identification"
    }

    fn check(&self, request: &JobRequest<'_>) -> Result<(), String> {
        let input = request.input;
        optional_text(input, "query", 300)?;
        optional_text(input, "image_id", 128)?;
        if let Some(id) = text(input, "image_id")
            && !Uploads::valid_id(id)
        {
            return Err("image_id must be an id from POST /api/uploads".into());
        }
        if text(input, "query").is_none() && text(input, "image_id").is_none() {
            return Err("give a photo (image_id) or a text query, or both".into());
        }
        Ok(())
    }

    fn summary(&self, input: &Value) -> String {
        match text(input, "query") {
            Some(q) => q.chars().take(120).collect(),
            None => "Photo".into(),
        }
    }

    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let image = match text(&ctx.input, "image_id") {
                Some(id) => {
                    ctx.step(10, "Reading the photo").await;
                    Some(load(&ctx, id.to_string()).await?)
                }
                None => None,
            };
            let query = text(&ctx.input, "query").map(str::to_string);
            let asking = if image.is_some() {
                "Asking the AI what the photo shows"
            } else {
                "Asking the AI which product this is"
            };
            ctx.step(30, asking).await;
            let has_image = image.is_some();
            let answer = ctx
                .ai
                .complete(
                    Some(ctx.id),
                    &request(image, query.as_deref()),
                    Some(&ctx.token),
                )
                .await?;
            let results = candidates(&answer.json);
            ctx.step(90, format!("Found {} candidates", results.len()))
                .await;
            Ok(Outcome::output(
                json!({"results": results, "has_image": has_image}),
            ))
        })
    }
}

async fn load(ctx: &JobContext, id: String) -> Result<Image, JobError> {
    let uploads = ctx.uploads.clone();
    let loaded = tokio::task::spawn_blocking(move || uploads.load(&id))
        .await
        .map_err(|_| JobError::transient("The photo could not be read."))?;
    loaded.map_err(|e| match e {
        UploadError::NotFound(_) => {
            JobError::permanent("The photo is gone; take or upload it again.")
        }
        other => JobError::transient(other.to_string()),
    })
}

fn request(image: Option<Image>, query: Option<&str>) -> AiRequest {
    let subject = match (&image, query) {
        (Some(_), Some(q)) => format!("the product in the photo; the shopper adds: {q}"),
        (Some(_), None) => "the product in the photo".to_string(),
        (None, q) => format!(
            "the product the shopper describes as: {}",
            q.unwrap_or_default()
        ),
    };
    AiRequest {
        task: Task::Identify,
        system: "You identify shop products for a shopping list. You never invent barcodes: \
                 give null when you cannot read or know one."
            .into(),
        prompt: format!(
            "Identify {subject}. Give up to {MAX_CANDIDATES} candidates, most likely first, as \
             {{\"products\": [{{\"product_name\", \"brand\", \"model\", \"category\", \"upc\", \
             \"is_generic\", \"unit_of_measure\", \"confidence\" (0 to 1)}}]}}. {JSON_ONLY}"
        ),
        image,
        schema: Some(
            json!({"type": "object", "properties": {"products": {"type": "array",
            "items": {"type": "object", "properties": {
                "product_name": {"type": "string"}, "brand": {"type": ["string", "null"]},
                "model": {"type": ["string", "null"]}, "category": {"type": ["string", "null"]},
                "upc": {"type": ["string", "null"]}, "is_generic": {"type": ["boolean", "null"]},
                "unit_of_measure": {"type": ["string", "null"]}, "confidence": {"type": "number"}
            }, "required": ["product_name"]}}}, "required": ["products"]}),
        ),
        context: json!({"query": query}),
    }
}

/// Well-formed candidates with defaults, most confident first, at most five.
fn candidates(answer: &Value) -> Vec<Value> {
    let list = answer["products"]
        .as_array()
        .or_else(|| answer.as_array())
        .cloned()
        .unwrap_or_default();
    let short = |v: &Value, max: usize| {
        v.as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.chars().count() <= max)
            .map(str::to_string)
    };
    let mut kept: Vec<Value> = list
        .iter()
        .filter_map(|p| {
            let name = short(&p["product_name"], 200)?;
            let confidence = p["confidence"].as_f64().unwrap_or(0.5);
            let confidence = if confidence > 1.0 && confidence <= 100.0 {
                confidence / 100.0
            } else {
                confidence.clamp(0.0, 1.0)
            };
            Some(json!({
                "product_name": name,
                "brand": short(&p["brand"], 120),
                "model": short(&p["model"], 120),
                "category": short(&p["category"], 120),
                "upc": short(&p["upc"], 32),
                "is_generic": p["is_generic"].as_bool().unwrap_or(false),
                "unit_of_measure": short(&p["unit_of_measure"], 32).unwrap_or_else(|| "each".into()),
                "confidence": (confidence * 100.0).round() / 100.0,
            }))
        })
        .collect();
    kept.sort_by(|a, b| {
        let c = |v: &Value| v["confidence"].as_f64().unwrap_or(0.0);
        c(b).total_cmp(&c(a))
    });
    kept.truncate(MAX_CANDIDATES);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_well_formed_candidates_with_defaults_sorted() {
        let answer = json!({"products": [
            {"product_name": "Low", "confidence": 0.2},
            {"product_name": "  ", "confidence": 0.99},
            {"brand": "No name given"},
            {"product_name": "High", "brand": "B", "confidence": 93, "is_generic": true},
            {"product_name": "Mid", "confidence": "0.7"},
            {"product_name": "A"}, {"product_name": "B"}, {"product_name": "C"}
        ]});
        let kept = candidates(&answer);
        let names: Vec<&str> = kept
            .iter()
            .map(|c| c["product_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["High", "Mid", "A", "B", "C"]);
        assert_eq!(kept[0]["confidence"], 0.93);
        assert_eq!(kept[0]["is_generic"], true);
        assert_eq!(kept[1]["unit_of_measure"], "each");
        assert_eq!(kept[1]["brand"], Value::Null);
    }
}
