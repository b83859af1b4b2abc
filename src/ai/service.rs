//! `Ai`: what jobs and handlers call. It picks the provider (the primary one saved in Settings,
//! else the one from `CARTWISE_AI_*`, else the demo with `--demo`), makes the call cancellable
//! through the job's token, and logs every call, finished or not.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::demo::{self, Demo};
use super::log::{self, AiCall, Pending};
use super::pricing::PriceTable;
use super::serpapi::{Search, SerpApi, ShoppingQuery, ShoppingResult};
use super::{
    AiRequest, Answer, Error, JSON_ONLY, Provider, ProviderConfig, Task, build, default_base_url,
};
use crate::config::{Config, Secret};
use crate::db::providers::ProviderRow;
use crate::db::{self, Db};
use crate::secrets::{self, Vault};

/// Settings keys.
pub const SERPAPI_KEY: &str = "serpapi_api_key";
pub const SERPAPI_BASE_URL: &str = "serpapi_base_url";
pub const MODEL_PRICES: &str = "model_prices";

/// Limits of outside calls.
#[derive(Debug, Clone)]
pub struct AiSettings {
    /// Limit for one HTTP request to a provider or to price search.
    pub request_timeout: Duration,
    /// How long the demo provider and search take, at least and at most.
    pub demo_delay: (Duration, Duration),
}

impl Default for AiSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(120),
            demo_delay: (Duration::from_secs(1), Duration::from_secs(4)),
        }
    }
}

/// A provider as Settings shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderInfo {
    /// A number for saved providers; "env" and "demo" for the others.
    pub id: Value,
    /// `settings`, `environment` or `demo`.
    pub source: &'static str,
    pub kind: String,
    pub name: String,
    pub base_url: String,
    pub model: String,
    pub has_api_key: bool,
    pub api_key_masked: Option<String>,
    pub is_active: bool,
    pub is_primary: bool,
    /// Whether jobs use this provider now.
    pub in_use: bool,
    pub last_test_at: Option<String>,
    pub last_test_ok: Option<bool>,
    pub last_test_message: Option<String>,
}

struct Inner {
    db: Db,
    http: reqwest::Client,
    vault: Vault,
    config: Arc<Config>,
    settings: AiSettings,
}

#[derive(Clone)]
pub struct Ai {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Ai {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ai")
            .field("settings", &self.inner.settings)
            .finish()
    }
}

impl Ai {
    pub fn new(
        db: Db,
        http: reqwest::Client,
        vault: Vault,
        config: Arc<Config>,
        settings: AiSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                http,
                vault,
                config,
                settings,
            }),
        }
    }

    pub fn vault(&self) -> &Vault {
        &self.inner.vault
    }

    /// A provider from a saved row.
    pub fn from_row(&self, row: &ProviderRow) -> Result<Box<dyn Provider>, Error> {
        let api_key = match &row.sealed_key {
            Some(sealed) => Some(Secret::new(self.inner.vault.open_sealed(sealed)?)),
            None => None,
        };
        self.build(&row.kind, Some(&row.base_url), &row.model, api_key)
    }

    fn build(
        &self,
        kind: &str,
        base_url: Option<&str>,
        model: &str,
        api_key: Option<Secret>,
    ) -> Result<Box<dyn Provider>, Error> {
        let base_url = base_url
            .filter(|u| !u.is_empty())
            .or_else(|| default_base_url(kind))
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        build(ProviderConfig {
            kind: kind.to_string(),
            base_url,
            model: model.to_string(),
            api_key,
            timeout: self.inner.settings.request_timeout,
        })
        .ok_or(Error::NoProvider)
    }

    /// The provider given by `CARTWISE_AI_*`, if any.
    pub fn env_provider(&self) -> Option<Result<Box<dyn Provider>, Error>> {
        let env = self.inner.config.ai_provider.as_ref()?;
        Some(self.build(
            &env.kind,
            env.base_url.as_deref(),
            &env.model,
            env.api_key.clone(),
        ))
    }

    pub fn demo(&self) -> Option<Box<dyn Provider>> {
        self.inner.config.demo.then(|| {
            Box::new(Demo {
                delay: self.inner.settings.demo_delay,
            }) as Box<dyn Provider>
        })
    }

    /// The provider jobs use now.
    pub async fn primary(&self) -> Result<Box<dyn Provider>, Error> {
        let stored = self.inner.db.call(|c| db::providers::primary(c)).await?;
        if let Some(row) = stored {
            return self.from_row(&row);
        }
        if let Some(env) = self.env_provider() {
            return env;
        }
        self.demo().ok_or(Error::NoProvider)
    }

    pub async fn prices(&self) -> PriceTable {
        let value = self
            .inner
            .db
            .call(|c| db::settings::get(c, MODEL_PRICES))
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "could not read the model price table");
                None
            });
        PriceTable::from_settings(value.as_ref())
    }

    /// Asks the primary provider, logging the call under `job`.
    pub async fn complete(
        &self,
        job: Option<i64>,
        request: &AiRequest,
        token: Option<&CancellationToken>,
    ) -> Result<Answer, Error> {
        let provider = self.primary().await?;
        self.call(job, provider.as_ref(), request, token).await
    }

    /// Asks `provider`, logging the call; a cancelled `token` drops the request at once.
    pub async fn call(
        &self,
        job: Option<i64>,
        provider: &dyn Provider,
        request: &AiRequest,
        token: Option<&CancellationToken>,
    ) -> Result<Answer, Error> {
        let started = Instant::now();
        let (kind, model, secrets) = (
            provider.kind(),
            provider.model().to_string(),
            provider.secrets(),
        );
        let pending = {
            let (request, model, secrets) = (request.clone(), model.clone(), secrets.clone());
            Pending::new(self.inner.db.clone(), token.cloned(), move |cancelled| {
                let call = AiCall {
                    job,
                    provider: kind,
                    model: &model,
                    request: &request,
                    secrets: &secrets,
                };
                call.interrupted(started, cancelled)
            })
        };
        let exchange = match token {
            Some(token) => tokio::select! {
                exchange = provider.complete(&self.inner.http, request) => exchange,
                () = token.cancelled() => {
                    drop(pending);
                    return Err(Error::Cancelled);
                }
            },
            None => provider.complete(&self.inner.http, request).await,
        };
        pending.done();
        let call = AiCall {
            job,
            provider: kind,
            model: &model,
            request,
            secrets: &secrets,
        };
        let row = call.row(&exchange, &self.prices().await, started);
        log::write(&self.inner.db, row).await;
        exchange.result
    }

    /// A small real request that shows whether `provider` answers; logged as a connection test.
    pub async fn test(&self, provider: &dyn Provider) -> Result<Answer, Error> {
        let request = AiRequest {
            task: Task::Test,
            system: "You check that an AI service answers.".into(),
            prompt: format!("Reply with the JSON object {{\"ok\": true}}. {JSON_ONLY}"),
            image: None,
            schema: Some(
                json!({"type": "object", "properties": {"ok": {"type": "boolean"}},
                                "required": ["ok"]}),
            ),
            context: Value::Null,
        };
        self.call(None, provider, &request, None).await
    }

    /// SerpApi as configured in Settings or by `CARTWISE_SERPAPI_*`.
    pub async fn serpapi(&self) -> Result<Option<SerpApi>, Error> {
        let (stored_key, stored_url) = self
            .inner
            .db
            .call(|c| {
                Ok::<_, db::Error>((
                    db::settings::get(c, SERPAPI_KEY)?,
                    db::settings::get(c, SERPAPI_BASE_URL)?,
                ))
            })
            .await?;
        let key = match stored_key.as_ref().and_then(Value::as_str) {
            Some(sealed) => Some(Secret::new(self.open_setting(sealed)?)),
            None => self.inner.config.serpapi.api_key.clone(),
        };
        let base_url = stored_url
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| self.inner.config.serpapi.base_url.clone());
        Ok(key.map(|api_key| SerpApi {
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key,
            timeout: self.inner.settings.request_timeout,
        }))
    }

    /// Seals a secret for the settings table.
    pub fn seal_setting(&self, secret: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.inner.vault.seal(secret))
    }

    pub fn open_setting(&self, sealed: &str) -> Result<String, Error> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| Error::from(secrets::Error::Decrypt))?;
        Ok(self.inner.vault.open_sealed(&bytes)?)
    }

    /// Whether a price search can run (SerpApi or the demo).
    pub async fn can_search(&self) -> bool {
        self.inner.config.demo || matches!(self.serpapi().await, Ok(Some(_)))
    }

    /// Searches shopping results, logging the search under `job`.
    pub async fn search(
        &self,
        job: Option<i64>,
        query: &ShoppingQuery,
        token: Option<&CancellationToken>,
    ) -> Result<Vec<ShoppingResult>, Error> {
        let started = Instant::now();
        let serpapi = self.serpapi().await?;
        let (provider, secrets) = match &serpapi {
            Some(s) => ("serpapi", vec![s.api_key.expose().to_string()]),
            None if self.inner.config.demo => ("demo", Vec::new()),
            None => return Err(Error::NoSearch),
        };
        let described =
            json!({"engine": "google_shopping", "q": query.query, "location": query.location});
        let pending = {
            let (secrets, described) = (secrets.clone(), described.clone());
            Pending::new(self.inner.db.clone(), token.cloned(), move |cancelled| {
                let search = Search {
                    request: described,
                    response: None,
                    http_status: None,
                    result: Err(if cancelled {
                        Error::Cancelled
                    } else {
                        Error::Timeout {
                            provider: provider.into(),
                            after: started.elapsed(),
                        }
                    }),
                };
                log::search_row(job, provider, &search, &secrets, started)
            })
        };
        let run = async {
            match &serpapi {
                Some(s) => s.search(&self.inner.http, query).await,
                None => {
                    tokio::time::sleep(demo::delay(&query.query, self.inner.settings.demo_delay))
                        .await;
                    let results = demo::shopping(query);
                    Search {
                        request: described.clone(),
                        response: Some(json!({"demo": true, "shopping_results": results})),
                        http_status: None,
                        result: Ok(results),
                    }
                }
            }
        };
        let search = match token {
            Some(token) => tokio::select! {
                search = run => search,
                () = token.cancelled() => {
                    drop(pending);
                    return Err(Error::Cancelled);
                }
            },
            None => run.await,
        };
        pending.done();
        log::write(
            &self.inner.db,
            log::search_row(job, provider, &search, &secrets, started),
        )
        .await;
        search.result
    }

    /// Every provider Settings shows: saved ones, the environment's, and the demo.
    pub async fn providers(&self) -> Result<Vec<ProviderInfo>, db::Error> {
        let rows = self.inner.db.call(|c| db::providers::all(c)).await?;
        let in_use_row = rows
            .iter()
            .filter(|r| r.is_active)
            .min_by_key(|r| (!r.is_primary, r.id))
            .map(|r| r.id);
        let mut list: Vec<ProviderInfo> = rows
            .iter()
            .map(|row| ProviderInfo {
                id: json!(row.id),
                source: "settings",
                kind: row.kind.clone(),
                name: row.name.clone(),
                base_url: row.base_url.clone(),
                model: row.model.clone(),
                has_api_key: row.sealed_key.is_some(),
                api_key_masked: row.api_key_tail.clone(),
                is_active: row.is_active,
                is_primary: row.is_primary,
                in_use: in_use_row == Some(row.id),
                last_test_at: row.last_test_at.clone(),
                last_test_ok: row.last_test_ok,
                last_test_message: row.last_test_message.clone(),
            })
            .collect();
        if let Some(env) = &self.inner.config.ai_provider {
            list.push(ProviderInfo {
                id: json!("env"),
                source: "environment",
                kind: env.kind.clone(),
                name: format!("{} (from the environment)", env.kind),
                base_url: env
                    .base_url
                    .clone()
                    .or_else(|| default_base_url(&env.kind).map(str::to_string))
                    .unwrap_or_default(),
                model: env.model.clone(),
                has_api_key: env.api_key.is_some(),
                api_key_masked: env.api_key.as_ref().map(|k| secrets::mask(k.expose())),
                is_active: true,
                is_primary: false,
                in_use: in_use_row.is_none(),
                last_test_at: None,
                last_test_ok: None,
                last_test_message: None,
            });
        }
        if self.inner.config.demo {
            let used = in_use_row.is_none() && self.inner.config.ai_provider.is_none();
            list.push(ProviderInfo {
                id: json!("demo"),
                source: "demo",
                kind: "demo".into(),
                name: "Demo (built in, offline)".into(),
                base_url: String::new(),
                model: demo::MODEL.into(),
                has_api_key: false,
                api_key_masked: None,
                is_active: true,
                is_primary: false,
                in_use: used,
                last_test_at: None,
                last_test_ok: None,
                last_test_message: None,
            });
        }
        Ok(list)
    }
}
