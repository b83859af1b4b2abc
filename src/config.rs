//! Resolved settings: the command line and environment turned into checked values, with
//! defaults from `directories`. Nothing here is global; the server and tests build a `Config`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::Options;

/// File name of the database inside the data dir.
pub const DATABASE_FILE: &str = "cartwise.db";

/// A value that must never be printed: `Debug` shows only that it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs to send or compare it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "'{0}' is not a listen address: use IP:PORT, for example 127.0.0.1:8787 or 0.0.0.0:8787"
    )]
    Bind(String),
    #[error(
        "refusing to listen on {0} without a password: set CARTWISE_PASSWORD, or bind to 127.0.0.1"
    )]
    PasswordRequired(SocketAddr),
    #[error("no data directory could be found for this user: set --data-dir or CARTWISE_DATA_DIR")]
    NoDataDir,
    #[error(
        "CARTWISE_AI_PROVIDER '{0}' is not a provider kind: use openai, anthropic, gemini or ollama"
    )]
    ProviderKind(String),
    #[error("CARTWISE_AI_PROVIDER is set but CARTWISE_AI_MODEL is not: name the model to use")]
    ProviderModel,
}

/// Job engine limits.
#[derive(Debug, Clone)]
pub struct JobSettings {
    pub workers: usize,
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
}

/// An AI provider given by `CARTWISE_AI_*`.
#[derive(Debug, Clone)]
pub struct EnvProvider {
    pub kind: String,
    pub base_url: Option<String>,
    pub model: String,
    pub api_key: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct SerpApiSettings {
    pub base_url: String,
    pub api_key: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub password: Option<Secret>,
    pub demo: bool,
    pub jobs: JobSettings,
    pub ai_provider: Option<EnvProvider>,
    pub serpapi: SerpApiSettings,
    pub log_retention_days: u32,
    pub job_retention_days: u32,
    /// The machine's offset from UTC, for the daily price refresh's local time.
    pub utc_offset: time::UtcOffset,
}

const PROVIDER_KINDS: [&str; 4] = ["openai", "anthropic", "gemini", "ollama"];

impl Config {
    /// Defaults for a server on 127.0.0.1:0 over `data_dir`, as tests and tools want it.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            password: None,
            demo: false,
            jobs: JobSettings {
                workers: 2,
                timeout: Duration::from_secs(300),
                retries: 2,
                backoff: Duration::from_secs(30),
            },
            ai_provider: None,
            serpapi: SerpApiSettings {
                base_url: "https://serpapi.com".into(),
                api_key: None,
            },
            log_retention_days: 30,
            job_retention_days: 30,
            utc_offset: time::UtcOffset::UTC,
        }
    }

    /// Resolves the command line, reading secrets through `env` (normally `std::env::var`).
    pub fn from_options(
        options: &Options,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let secret = |name: &str| env(name).filter(|v| !v.is_empty()).map(Secret::new);
        let data_dir = data_dir(options)?;
        let ai_provider = match &options.ai_provider {
            None => None,
            Some(kind) => {
                let kind = kind.trim().to_ascii_lowercase();
                if !PROVIDER_KINDS.contains(&kind.as_str()) {
                    return Err(ConfigError::ProviderKind(kind));
                }
                let model = options
                    .ai_model
                    .clone()
                    .filter(|m| !m.trim().is_empty())
                    .ok_or(ConfigError::ProviderModel)?;
                Some(EnvProvider {
                    kind,
                    base_url: options.ai_base_url.clone().filter(|u| !u.is_empty()),
                    model,
                    api_key: secret("CARTWISE_AI_API_KEY"),
                })
            }
        };
        let config = Self {
            data_dir,
            bind: parse_bind(&options.bind)?,
            password: secret("CARTWISE_PASSWORD"),
            demo: options.demo,
            jobs: JobSettings {
                workers: usize::from(options.workers),
                timeout: Duration::from_secs(options.job_timeout_secs),
                retries: options.job_retries,
                backoff: Duration::from_secs(options.retry_backoff_secs),
            },
            ai_provider,
            serpapi: SerpApiSettings {
                base_url: options.serpapi_base_url.trim_end_matches('/').to_string(),
                api_key: secret("CARTWISE_SERPAPI_KEY"),
            },
            log_retention_days: options.log_retention_days,
            job_retention_days: options.job_retention_days,
            utc_offset: time::UtcOffset::UTC,
        };
        config.check_access()?;
        Ok(config)
    }

    /// A server reachable from other machines must have a password.
    pub fn check_access(&self) -> Result<(), ConfigError> {
        if !self.bind.ip().is_loopback() && self.password.is_none() {
            return Err(ConfigError::PasswordRequired(self.bind));
        }
        Ok(())
    }

    pub fn database_path(&self) -> PathBuf {
        database_path(&self.data_dir)
    }
}

pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DATABASE_FILE)
}

/// The data dir the options name, or the platform's data dir for cartwise.
pub fn data_dir(options: &Options) -> Result<PathBuf, ConfigError> {
    match &options.data_dir {
        Some(dir) => Ok(dir.clone()),
        None => directories::ProjectDirs::from("", "", "cartwise")
            .map(|dirs| dirs.data_dir().to_path_buf())
            .ok_or(ConfigError::NoDataDir),
    }
}

/// Accepts `IP:PORT`, `[IPv6]:PORT` and `localhost:PORT`.
pub fn parse_bind(text: &str) -> Result<SocketAddr, ConfigError> {
    let text = text.trim();
    if let Some(port) = text.strip_prefix("localhost:") {
        let port = port
            .parse::<u16>()
            .map_err(|_| ConfigError::Bind(text.into()))?;
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse().map_err(|_| ConfigError::Bind(text.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn options(args: &[&str]) -> Options {
        let mut argv = vec!["cartwise"];
        argv.extend_from_slice(args);
        crate::cli::Cli::parse_from(argv).options
    }

    #[test]
    fn bind_forms() {
        assert_eq!(parse_bind("localhost:9000").unwrap().port(), 9000);
        assert!(parse_bind("[::1]:80").unwrap().ip().is_loopback());
        assert!(matches!(parse_bind("nonsense"), Err(ConfigError::Bind(_))));
        assert!(matches!(parse_bind("1.2.3.4"), Err(ConfigError::Bind(_))));
    }

    #[test]
    fn non_loopback_needs_password() {
        let opts = options(&["--bind", "0.0.0.0:8787", "--data-dir", "/x"]);
        let err = Config::from_options(&opts, |_| None).unwrap_err();
        assert!(err.to_string().contains("CARTWISE_PASSWORD"));
        let ok = Config::from_options(&opts, |name| {
            (name == "CARTWISE_PASSWORD").then(|| "hunter2".to_string())
        })
        .unwrap();
        assert_eq!(ok.password.unwrap().expose(), "hunter2");
    }

    #[test]
    fn empty_password_counts_as_none() {
        let opts = options(&["--bind", "0.0.0.0:8787", "--data-dir", "/x"]);
        let err = Config::from_options(&opts, |_| Some(String::new())).unwrap_err();
        assert!(matches!(err, ConfigError::PasswordRequired(_)));
    }

    #[test]
    fn secrets_do_not_print() {
        let opts = options(&[
            "--data-dir",
            "/x",
            "--ai-provider",
            "openai",
            "--ai-model",
            "m",
        ]);
        let config = Config::from_options(&opts, |_| Some("sk-very-secret".to_string())).unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("sk-very-secret"), "{printed}");
        assert_eq!(
            config.ai_provider.unwrap().api_key.unwrap().expose(),
            "sk-very-secret"
        );
    }

    #[test]
    fn provider_kind_is_checked() {
        let opts = options(&[
            "--data-dir",
            "/x",
            "--ai-provider",
            "skynet",
            "--ai-model",
            "m",
        ]);
        assert!(matches!(
            Config::from_options(&opts, |_| None),
            Err(ConfigError::ProviderKind(_))
        ));
        let opts = options(&["--data-dir", "/x", "--ai-provider", "openai"]);
        assert!(matches!(
            Config::from_options(&opts, |_| None),
            Err(ConfigError::ProviderModel)
        ));
    }
}
