//! The `kith-desktop` binary: opens the window; called as `kith` (the
//! packages link that name to it), it is the headless command instead.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn called_as_kith() -> bool {
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s == "kith"))
        .unwrap_or(false)
}

fn main() -> std::process::ExitCode {
    if called_as_kith() {
        return kith_cli::main();
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KITH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match kith_desktop::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kith-desktop: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
