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
/// context is Mesa's software rasteriser (llvmpipe), and both of WebKit's
/// GL paths are slower than plain CPU drawing.
#[cfg(target_os = "linux")]
fn has_gpu_render_node() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// On machines with no GPU: GTK draws the web view's frames without GL
/// (`GDK_GL=disable`), and WebKit paints with Skia on the CPU rather than
/// through llvmpipe. Measured here (docs/benchmarks.md), scrolling the
/// timeline went from 30 ms frames (p50) to 16 ms and the WebKit processes
/// used ~95 MB less. A variable the person running the app has already
/// set is left as it is; a machine with a GPU keeps the defaults.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn software_rendering() {
    if has_gpu_render_node() {
        return;
    }
    for (name, value) in [
        ("GDK_GL", "disable"),
        ("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"),
    ] {
        if std::env::var_os(name).is_none() {
            // SAFETY: called first thing in `main`, before any thread
            // exists, so nothing can read the environment while it changes.
            unsafe { std::env::set_var(name, value) };
        }
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
