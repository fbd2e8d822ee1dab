//! The headless `kith` command as a library: the `kith` binary is a thin
//! `main` over [`main`], and the desktop app's binary runs it too when
//! invoked as `kith`, so one package ships one copy of the node.

#[macro_use]
mod output;
mod args;
mod bench;
mod bench_net;
mod commands;
mod moderate;
mod net;
mod ops;
mod passphrase;
mod release;

use clap::Parser;

/// Runs the `kith` command with the process's arguments.
pub fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KITH_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = args::Cli::parse();
    let json = cli.json;
    match commands::run(cli).and_then(|()| output::flush_stdout()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of stdout went away (`kith timeline | head -1`): it
        // took what it wanted, so this is a success, as for `--json`.
        Err(e) if output::exit_quietly(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            output::error(json, &e);
            std::process::ExitCode::FAILURE
        }
    }
}
