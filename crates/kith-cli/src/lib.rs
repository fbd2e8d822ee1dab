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
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return argument_error(&e),
    };
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

/// Ends on an argument error: as clap says it (help and version too), or,
/// when the arguments ask for `--json`, as one JSON error on stderr with
/// the code `usage`, so that a script reads every failure alike. Exits 2,
/// as clap does.
fn argument_error(e: &clap::Error) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    let wants_json = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    let shown = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if shown || !wants_json {
        e.exit();
    }
    let text = e.render().to_string();
    let message = text
        .trim()
        .strip_prefix("error: ")
        .unwrap_or(text.trim())
        .lines()
        .filter(|l| !l.starts_with("For more information"))
        .collect::<Vec<_>>()
        .join("\n");
    let doc = serde_json::json!({ "error": { "code": "usage", "message": message.trim() } });
    eprintln!("{doc}");
    std::process::ExitCode::from(2)
}
