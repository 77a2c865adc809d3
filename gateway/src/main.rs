//! The `gateway` binary: `gateway serve` runs the S3 gateway; `gateway fsck` and `gateway
//! reindex` are the offline recovery tools, `gateway registry export|import` moves the registry
//! between engines (`gateway::recovery`). Parses the command line, sets
//! up logging, connects the volume (under the `glfs_init` watchdog) and runs until SIGINT or
//! SIGTERM, or until the tool is done. Must not hold S3 or recovery logic.
//!
//! Exit statuses: `serve` 0 after a clean stop, 1 on failure; the tools 0 clean, 1 problems
//! found (left), 2 usage error or registry/volume unusable.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gateway::config::{Config, ServeArgs};
use gateway::recovery::fsck::{FsckArgs, FsckOptions};
use gateway::recovery::reindex::ReindexArgs;
use gateway::recovery::transfer::RegistryArgs;
use gateway::recovery::EXIT_ERROR;

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
    /// Compare the registry with the blobs on the volume; --repair removes orphans and stale
    /// temp files. The gateway must be stopped. Exit 0 clean, 1 problems, 2 error.
    Fsck(FsckArgs),
    /// Rebuild an empty registry from the volume (bucket directories' user.s3.bucket, blobs'
    /// user.s3.meta xattrs). The gateway must be
    /// stopped. Exit 0 done, 1 some blobs unusable, 2 error.
    Reindex(ReindexArgs),
    /// Move the registry to or from a file (`export --out FILE`, `import --in FILE` into an
    /// empty registry): how a namespace moves between sled and PostgreSQL. Exit 0 done, 2 error.
    Registry(RegistryArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    gateway::logging::init();
    match cli.command {
        Command::Serve(args) => serve(&args),
        Command::Fsck(args) => fsck(&args),
        Command::Reindex(args) => reindex(&args),
        Command::Registry(args) => ExitCode::from(gateway::recovery::transfer::run(&args)),
    }
}

/// Loads the configuration and connects the volume for a tool; `Err`: exit status 2.
fn tool_setup(args: &ServeArgs) -> Result<(Config, gfapi::Volume), ExitCode> {
    let config = Config::load_offline(args).map_err(|e| {
        eprintln!("gateway: {e}");
        ExitCode::from(EXIT_ERROR)
    })?;
    let vol = gateway::connect_volume(&config).map_err(|e| {
        eprintln!("gateway: {e}");
        ExitCode::from(EXIT_ERROR)
    })?;
    Ok((config, vol))
}

/// Prints a tool's report (JSON or summary) and turns its exit status into an `ExitCode`.
fn finish_tool<R: serde::Serialize>(
    report: Result<R, String>,
    json: bool,
    summary: fn(&R) -> String,
    code: fn(&R) -> u8,
) -> ExitCode {
    match report {
        Ok(r) => {
            if json {
                match serde_json::to_string_pretty(&r) {
                    Ok(text) => println!("{text}"),
                    Err(e) => {
                        eprintln!("gateway: encoding the report: {e}");
                        return ExitCode::from(EXIT_ERROR);
                    }
                }
            } else {
                print!("{}", summary(&r));
            }
            ExitCode::from(code(&r))
        }
        Err(e) => {
            eprintln!("gateway: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn fsck(args: &FsckArgs) -> ExitCode {
    let (config, vol) = match tool_setup(&args.config) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let opts = FsckOptions {
        repair: args.repair,
        min_age: std::time::Duration::from_secs(args.min_age_secs),
        delete_orphan_parts: args.delete_orphan_parts,
    };
    finish_tool(
        gateway::recovery::fsck::run(&config, vol, opts),
        args.json,
        gateway::recovery::fsck::FsckReport::summary,
        gateway::recovery::fsck::FsckReport::exit_code,
    )
}

fn reindex(args: &ReindexArgs) -> ExitCode {
    let (config, vol) = match tool_setup(&args.config) {
        Ok(v) => v,
        Err(code) => return code,
    };
    finish_tool(
        gateway::recovery::reindex::run(&config, vol, args.owner.clone()),
        args.json,
        gateway::recovery::reindex::ReindexReport::summary,
        gateway::recovery::reindex::ReindexReport::exit_code,
    )
}

fn serve(args: &ServeArgs) -> ExitCode {
    let config = match Config::load(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gateway: {e}");
            return ExitCode::from(2);
        }
    };
    gateway::heap::limit_arenas(config.malloc_arenas);
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
