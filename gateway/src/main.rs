//! The `gateway` binary: `gateway serve` runs the S3 gateway. Parses the command line, sets
//! up logging, connects the volume (under the `glfs_init` watchdog) and runs until SIGINT or
//! SIGTERM. Must not hold S3 logic.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gateway::config::{Config, ServeArgs};

/// glusters3: an S3 gateway over GlusterFS.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the S3 gateway.
    Serve(ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GLUSTERS3_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match cli.command {
        Command::Serve(args) => serve(&args),
    }
}

fn serve(args: &ServeArgs) -> ExitCode {
    let config = match Config::load(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gateway: {e}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(volume = %config.volume, servers = ?config.volfile_servers, "connecting the volume");
    let vol = match gateway::connect_volume(&config) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("gateway: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = actix_web::rt::System::new().block_on(async move {
        let running = gateway::start(config, vol).await?;
        tracing::info!(s3 = %running.s3_addr, admin = %running.admin_addr, "gateway listening");
        println!(
            "glusters3 listening on http://{} (admin http://{})",
            running.s3_addr, running.admin_addr
        );
        wait_for_signal().await;
        tracing::info!("shutting down");
        running.stop().await;
        std::io::Result::Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gateway: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
