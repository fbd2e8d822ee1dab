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

/// Whether this machine has a GPU render node. Without one, WebKit's GPU
/// path runs on Mesa's software rasteriser (llvmpipe), which is slower than
/// Skia's own CPU rasteriser: measured here, scrolling the timeline held
/// 23 ms frames (p50) on the CPU path against 30 ms, and the web process
/// used 40 MB less.
#[cfg(target_os = "linux")]
fn has_gpu_render_node() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Asks WebKit for CPU rasterisation on machines with no GPU, unless the
/// person running the app has already chosen (the variable is set).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn software_rendering() {
    const VAR: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
    if std::env::var_os(VAR).is_none() && !has_gpu_render_node() {
        // SAFETY: called first thing in `main`, before any thread exists,
        // so nothing can read the environment while it changes.
        unsafe { std::env::set_var(VAR, "1") };
    }
}

fn main() -> std::process::ExitCode {
    if called_as_kith() {
        return kith_cli::main();
    }
    #[cfg(target_os = "linux")]
    software_rendering();
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
