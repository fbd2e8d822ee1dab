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

/// Whether this machine has a GPU render node. Without one, every GL
/// context is Mesa's software rasteriser (llvmpipe), slower at WebKit's
/// painting than Skia's own CPU rasteriser.
#[cfg(target_os = "linux")]
fn has_gpu_render_node() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// On machines with no GPU, asks WebKit to paint with Skia on the CPU
/// rather than through llvmpipe. Measured here (docs/benchmarks.md),
/// scrolling the timeline went from 30 ms frames (p50) to 22-23 ms and the
/// WebKit processes used 40 MB less. The person running the app can still
/// choose (a variable already set is left as it is); a machine with a GPU
/// keeps WebKit's default.
///
/// `GDK_GL=disable` as well scrolled at 16 ms, but WebKit then turns
/// accelerated compositing off altogether, and in that mode WebDriver's
/// snapshot of the window never returns (the end-to-end test stalls at its
/// first screenshot), so it is not set.
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
