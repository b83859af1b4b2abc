//! The `cartwise` command: parse the command line, set up logging, dispatch.

use std::io::IsTerminal;
use std::process::ExitCode;

use cartwise::cli::{Cli, Command};
use cartwise::config::{self, Config};
use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = !matches!(cli.command, None | Some(Command::Serve));
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(if quiet { "warn" } else { "info" }));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    // The local offset can be read safely only while the process has one thread.
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cartwise: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli, offset)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cartwise: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli, offset: time::UtcOffset) -> Result<(), String> {
    let env = |name: &str| std::env::var(name).ok();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let mut config = Config::from_options(&cli.options, env).map_err(|e| e.to_string())?;
            config.utc_offset = offset;
            let listener = tokio::net::TcpListener::bind(config.bind)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
            cartwise::run(config, listener, cartwise::shutdown_signal())
                .await
                .map_err(|e| e.to_string())
        }
        Command::Backup { file } => {
            let data_dir = config::data_dir(&cli.options).map_err(|e| e.to_string())?;
            let bytes = cartwise::backup::run(&data_dir, &file).map_err(|e| e.to_string())?;
            println!("backed up {bytes} bytes to {}", file.display());
            Ok(())
        }
        Command::Healthcheck => {
            let addr = config::parse_bind(&cli.options.bind).map_err(|e| e.to_string())?;
            let version = cartwise::healthcheck::check(addr).await?;
            println!("ok: cartwise {version} answers at {addr}");
            Ok(())
        }
    }
}
