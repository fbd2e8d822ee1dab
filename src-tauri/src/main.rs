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

/// Sets `var` to `value` unless the person running the app already set it:
/// their choice wins.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn default_env(var: &str, value: &str) {
    if std::env::var_os(var).is_none() {
        // SAFETY: only called first thing in `main`, before any thread
        // exists, so nothing can read the environment while it changes.
        unsafe { std::env::set_var(var, value) };
    }
}

/// On machines with no GPU, asks WebKit to paint with Skia on the CPU
/// rather than through llvmpipe. Measured here (docs/benchmarks.md),
/// scrolling the timeline went from 30 ms frames (p50) to 22-23 ms and the
/// WebKit processes used 40 MB less. A machine with a GPU keeps WebKit's
/// default.
///
/// `GDK_GL=disable` as well scrolled at 16 ms, but WebKit then turns
/// accelerated compositing off altogether, and in that mode WebDriver's
/// snapshot of the window never returns (the end-to-end test stalls at its
/// first screenshot), so it is not set.
#[cfg(target_os = "linux")]
fn software_rendering() {
    if !has_gpu_render_node() {
        default_env("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1");
    }
}

/// Turns off WebKit's memory monitors. Every 30 s the web process reads
/// its own `/proc/self/smaps` on its main thread to weigh itself: with
/// WebKit's allocator splitting its heap into thousands of mappings that
/// is 30,000-100,000 lines and 20-30 ms, one long frame in each 30 s of
/// scrolling (docs/benchmarks.md). The UI process's monitor keeps
/// `/proc/meminfo`, `/proc/zoneinfo` and the cgroup's memory files open and
/// re-reads them, its cgroup's name one byte per call: ~155 reads a second
/// here, idle or not.
///
/// Given up: WebKit no longer drops its caches when the system runs short,
/// nor kills a web process past its limit; Kith's page does not grow with
/// reading (cards far from view leave it). Set only when not already set,
/// so `WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR=0` gives the monitors back.
#[cfg(target_os = "linux")]
fn quiet_memory_monitor() {
    default_env("WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR", "1");
}

fn main() -> std::process::ExitCode {
    if called_as_kith() {
        return kith_cli::main();
    }
    #[cfg(target_os = "linux")]
    {
        software_rendering();
        quiet_memory_monitor();
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
