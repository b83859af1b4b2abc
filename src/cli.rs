//! The command line. Every option can also come from its `CARTWISE_*` environment variable;
//! secrets (the password and API keys) come only from the environment, so they never show up
//! in `ps` output or shell history.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const ENV_ONLY: &str = "\
Secrets are read from the environment only:
  CARTWISE_PASSWORD      required to bind a non-loopback address
  CARTWISE_AI_API_KEY    API key of the provider given by CARTWISE_AI_*
  CARTWISE_SERPAPI_KEY   SerpApi key for price search";

/// cartwise: a self-hosted shopping list and price tracker whose AI work runs in the background.
#[derive(Debug, Parser)]
#[command(name = "cartwise", version, about, after_help = ENV_ONLY)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server and the job runners (the default).
    Serve,
    /// Write a consistent copy of the database to FILE; safe while a server is running.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
    /// Exit 0 when the local server answers /healthz, 1 otherwise (for systemd or Docker).
    Healthcheck,
}

#[derive(Debug, Clone, Args)]
pub struct Options {
    /// Directory for the database, uploads and the secret key [default: the platform data dir,
    /// e.g. ~/.local/share/cartwise]
    #[arg(long, env = "CARTWISE_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Address to listen on.
    #[arg(
        long,
        env = "CARTWISE_BIND",
        global = true,
        default_value = "127.0.0.1:8787",
        value_name = "ADDR"
    )]
    pub bind: String,

    /// Number of job runners.
    #[arg(long, env = "CARTWISE_WORKERS", global = true, default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..=64), value_name = "N")]
    pub workers: u16,

    /// Add a built-in offline AI provider and price search, so every feature works without keys.
    #[arg(long, env = "CARTWISE_DEMO", global = true,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,

    /// Time limit for one attempt of a job, in seconds.
    #[arg(long, env = "CARTWISE_JOB_TIMEOUT_SECS", global = true, default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400), value_name = "SECS")]
    pub job_timeout_secs: u64,

    /// Retries after a job's first attempt fails with a transient error.
    #[arg(long, env = "CARTWISE_JOB_RETRIES", global = true, default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(0..=20), value_name = "N")]
    pub job_retries: u32,

    /// Wait before a retry, in seconds (a provider's longer Retry-After wins).
    #[arg(long, env = "CARTWISE_RETRY_BACKOFF_SECS", global = true, default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=86_400), value_name = "SECS")]
    pub retry_backoff_secs: u64,

    /// Kind of an AI provider given by the environment: openai, anthropic, gemini or ollama.
    #[arg(long, env = "CARTWISE_AI_PROVIDER", global = true, value_name = "KIND")]
    pub ai_provider: Option<String>,

    /// Base URL of that provider [default: the vendor's own].
    #[arg(long, env = "CARTWISE_AI_BASE_URL", global = true, value_name = "URL")]
    pub ai_base_url: Option<String>,

    /// Model of that provider.
    #[arg(long, env = "CARTWISE_AI_MODEL", global = true, value_name = "MODEL")]
    pub ai_model: Option<String>,

    /// SerpApi base URL for price search.
    #[arg(
        long,
        env = "CARTWISE_SERPAPI_BASE_URL",
        global = true,
        default_value = "https://serpapi.com",
        value_name = "URL"
    )]
    pub serpapi_base_url: String,

    /// Days to keep AI request logs.
    #[arg(long, env = "CARTWISE_LOG_RETENTION_DAYS", global = true, default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=3650), value_name = "DAYS")]
    pub log_retention_days: u32,

    /// Days to keep finished jobs.
    #[arg(long, env = "CARTWISE_JOB_RETENTION_DAYS", global = true, default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=3650), value_name = "DAYS")]
    pub job_retention_days: u32,
}
