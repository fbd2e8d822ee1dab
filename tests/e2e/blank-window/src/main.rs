//! `kith-blank-window`: a Tauri 2 window with no app in it, one line of
//! static text, and the same window size as Kith. `scripts/bench-desktop.sh`
//! measures its idle memory in the same run as the app's, as the floor that
//! any Tauri app has on the machine (WebKitGTK, GTK and the GL stack).

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("kith-blank-window: {e}");
        std::process::exit(1);
    }
}
