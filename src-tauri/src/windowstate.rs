//! The window opens where it was left: its size, its place on the screen
//! and whether it was maximized, kept in [`WINDOW_FILE`] in the home.
//!
//! The state is written half a second after the window stops moving or
//! changing size (so a crash or a killed process loses nothing), and read
//! before the window is shown the next time. A place no screen shows any
//! more (a monitor unplugged) is not restored: the window is centred on
//! the main screen.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::{LogicalSize, PhysicalPosition, Runtime, WebviewWindow, WindowEvent};

/// The file, in the home.
pub const WINDOW_FILE: &str = "window.json";
/// The smallest size restored (the window's own least size).
pub const MIN_SIZE: (f64, f64) = (720.0, 520.0);
/// The size a window first maximized returns to (`tauri.conf.json`'s).
pub const DEFAULT_SIZE: (f64, f64) = (1100.0, 760.0);
/// How much of the window a screen must show for its place to be kept.
const MIN_VISIBLE: (i64, i64) = (160, 80);
/// Quiet time after the last move or resize before the state is written.
pub const SETTLE: Duration = Duration::from_millis(500);

/// Where the window was, as saved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowState {
    /// Size of its content when not maximized, in logical pixels.
    pub width: f64,
    /// Height, likewise.
    pub height: f64,
    /// Its outer top-left corner, in physical pixels of the desktop.
    pub x: i32,
    /// Likewise.
    pub y: i32,
    /// Whether it was maximized.
    pub maximized: bool,
}

/// A screen, in physical pixels of the desktop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    /// Its top-left corner.
    pub x: i32,
    /// Likewise.
    pub y: i32,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
}

/// How to open the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Content size, logical pixels.
    pub size: (f64, f64),
    /// Outer top-left corner, physical pixels: where it was, or centred on
    /// the first screen; `None` when no screen is known (the system
    /// places it).
    pub position: Option<(i32, i32)>,
    /// Maximize once placed.
    pub maximized: bool,
}

fn path(home: &Path) -> PathBuf {
    home.join(WINDOW_FILE)
}

/// The saved state; `None` when there is none or it cannot be read (the
/// window then opens at its default size).
pub fn load(home: &Path) -> Option<WindowState> {
    let bytes = match std::fs::read(path(home)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(error = %e, "window state unreadable; default size");
            return None;
        }
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| tracing::warn!(error = %e, "window state damaged; default size"))
        .ok()
}

/// Writes the state whole or not at all, flushed to disk.
pub fn save(home: &Path, state: &WindowState) -> Result<(), SaveError> {
    let bytes = serde_json::to_vec_pretty(state)?;
    Ok(kith_node::keystore::write_private(&path(home), &bytes)?)
}

/// Why the window's state was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// It could not be put into JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] kith_node::NodeError),
}

/// Where to open the window given what was saved and the screens there
/// are now (the main one first): the size within the least size and the
/// largest screen, the place kept only if a screen shows enough of the
/// window, else centred on the first screen.
pub fn placement(saved: &WindowState, screens: &[Screen], scale: f64) -> Placement {
    let finite = |v: f64, or: f64| if v.is_finite() { v } else { or };
    let (mut max_w, mut max_h) = screens.iter().fold((0.0_f64, 0.0_f64), |(w, h), s| {
        (w.max(f64::from(s.width)), h.max(f64::from(s.height)))
    });
    if max_w <= 0.0 || max_h <= 0.0 {
        (max_w, max_h) = (f64::MAX, f64::MAX);
    }
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    };
    let size = (
        finite(saved.width, MIN_SIZE.0).clamp(MIN_SIZE.0, (max_w / scale).max(MIN_SIZE.0)),
        finite(saved.height, MIN_SIZE.1).clamp(MIN_SIZE.1, (max_h / scale).max(MIN_SIZE.1)),
    );
    // The window's rectangle, physical pixels.
    let (x, y) = (i64::from(saved.x), i64::from(saved.y));
    #[allow(clippy::cast_possible_truncation)] // bounded by the screens above
    let (w, h) = ((size.0 * scale) as i64, (size.1 * scale) as i64);
    let shown = screens.iter().any(|s| {
        let (sx, sy) = (i64::from(s.x), i64::from(s.y));
        let (sw, sh) = (i64::from(s.width), i64::from(s.height));
        let across = (x + w).min(sx + sw) - x.max(sx);
        let down = (y + h).min(sy + sh) - y.max(sy);
        across >= MIN_VISIBLE.0.min(w) && down >= MIN_VISIBLE.1.min(h)
    });
    let centred = screens.first().map(|s| {
        let middle = |start: i32, room: u32, length: i64| {
            let at = i64::from(start) + (i64::from(room) - length).max(0) / 2;
            i32::try_from(at).unwrap_or(start)
        };
        (middle(s.x, s.width, w), middle(s.y, s.height, h))
    });
    Placement {
        size,
        position: if shown {
            Some((saved.x, saved.y))
        } else {
            centred
        },
        maximized: saved.maximized,
    }
}

/// The screens, the main one first.
fn screens<R: Runtime>(window: &WebviewWindow<R>) -> Vec<Screen> {
    let screen = |m: &tauri::Monitor| Screen {
        x: m.position().x,
        y: m.position().y,
        width: m.size().width,
        height: m.size().height,
    };
    let main = window.primary_monitor().ok().flatten().map(|m| screen(&m));
    let mut all: Vec<Screen> = main.into_iter().collect();
    for m in window.available_monitors().unwrap_or_default() {
        let s = screen(&m);
        if Some(s) != main {
            all.push(s);
        }
    }
    all
}

/// Puts the window where it was left, if anything was saved; returns
/// what was (for [`keep`]).
pub fn restore<R: Runtime>(window: &WebviewWindow<R>, home: &Path) -> Option<WindowState> {
    let saved = load(home)?;
    let scale = window.scale_factor().unwrap_or(1.0);
    let place = placement(&saved, &screens(window), scale);
    let _ = window.set_size(LogicalSize::new(place.size.0, place.size.1));
    // Placed from the planned size: the window's own `center` would
    // measure it before the new size applies.
    if let Some((x, y)) = place.position {
        let _ = window.set_position(PhysicalPosition::new(x, y));
    }
    if place.maximized {
        let _ = window.maximize();
    }
    Some(saved)
}

/// The window's state now; a maximized window keeps the size and place it
/// had before (`last`), which it returns to when unmaximized.
fn capture<R: Runtime>(
    window: &WebviewWindow<R>,
    last: Option<WindowState>,
) -> Option<WindowState> {
    let maximized = window.is_maximized().ok()?;
    let at = window.outer_position().ok()?;
    if maximized {
        let before = last.unwrap_or(WindowState {
            width: DEFAULT_SIZE.0,
            height: DEFAULT_SIZE.1,
            x: at.x,
            y: at.y,
            maximized,
        });
        return Some(WindowState {
            maximized,
            ..before
        });
    }
    let scale = window.scale_factor().ok()?;
    let size = window.inner_size().ok()?.to_logical::<f64>(scale);
    Some(WindowState {
        width: size.width,
        height: size.height,
        x: at.x,
        y: at.y,
        maximized,
    })
}

/// Keeps the window's state in the home as it moves and changes size:
/// each change is written once the window has been still for [`SETTLE`].
/// `saved` is what [`restore`] read (the size a maximized window returns
/// to).
pub fn keep<R: Runtime>(window: &WebviewWindow<R>, home: &Path, saved: Option<WindowState>) {
    let last = std::sync::Mutex::new(saved);
    let (tx, rx) = mpsc::channel::<WindowState>();
    let home = home.to_owned();
    let spawned = std::thread::Builder::new()
        .name("kith-window-state".into())
        .spawn(move || {
            while let Ok(mut latest) = rx.recv() {
                // Coalesce a drag or a resize into its last state.
                while let Ok(next) = rx.recv_timeout(SETTLE) {
                    latest = next;
                }
                if let Err(e) = save(&home, &latest) {
                    tracing::warn!(error = %e, "window state not saved");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "the window's size will not be kept");
        return;
    }
    let watched = window.clone();
    window.on_window_event(move |event| {
        if !matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_)) {
            return;
        }
        let mut last = last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(state) = capture(&watched, *last) {
            if !state.maximized {
                *last = Some(state);
            }
            let _ = tx.send(state);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL_HD: Screen = Screen {
        x: 0,
        y: 0,
        width: 1920,
        height: 1080,
    };

    fn saved(width: f64, height: f64, x: i32, y: i32) -> WindowState {
        WindowState {
            width,
            height,
            x,
            y,
            maximized: false,
        }
    }

    #[test]
    fn a_saved_window_on_a_screen_opens_as_it_was() {
        let place = placement(&saved(1280.0, 800.0, 200, 100), &[FULL_HD], 1.0);
        assert_eq!(place.size, (1280.0, 800.0));
        assert_eq!(place.position, Some((200, 100)));
        assert!(!place.maximized);
    }

    #[test]
    fn a_place_no_screen_shows_any_more_is_centred_and_a_size_is_kept_within_reach() {
        // Left on a second monitor, since unplugged: centred on the screen
        // there is, from the size it will have.
        let place = placement(&saved(1000.0, 700.0, 2500, 100), &[FULL_HD], 1.0);
        assert_eq!(place.position, Some((460, 190)), "centred");
        let place = placement(&saved(1000.0, 700.0, 2500, 100), &[FULL_HD], 2.0);
        assert_eq!(place.size, (960.0, 540.0));
        assert_eq!(place.position, Some((0, 0)), "as large as the screen");
        // Only a sliver on screen: not kept either.
        let place = placement(&saved(1000.0, 700.0, 1900, 100), &[FULL_HD], 1.0);
        assert_eq!(place.position, Some((460, 190)));
        // Larger than any screen, smaller than the least size, nonsense.
        assert_eq!(
            placement(&saved(5000.0, 3000.0, 0, 0), &[FULL_HD], 1.0).size,
            (1920.0, 1080.0)
        );
        assert_eq!(
            placement(&saved(5000.0, 3000.0, 0, 0), &[FULL_HD], 2.0).size,
            (960.0, 540.0),
            "logical size on a screen of scale 2"
        );
        assert_eq!(
            placement(&saved(10.0, 10.0, 0, 0), &[FULL_HD], 1.0).size,
            MIN_SIZE
        );
        assert_eq!(
            placement(&saved(f64::NAN, f64::INFINITY, 0, 0), &[FULL_HD], 1.0).size,
            MIN_SIZE
        );
    }

    #[test]
    fn the_second_of_two_screens_keeps_its_window_and_no_screen_known_keeps_the_size() {
        let right = Screen {
            x: 1920,
            y: 0,
            width: 2560,
            height: 1440,
        };
        let place = placement(&saved(2000.0, 1200.0, 2200, 50), &[FULL_HD, right], 1.0);
        assert_eq!(place.position, Some((2200, 50)));
        assert_eq!(place.size, (2000.0, 1200.0));
        let place = placement(&saved(1300.0, 900.0, 10, 10), &[], 1.0);
        assert_eq!(place.size, (1300.0, 900.0));
        assert_eq!(place.position, None);
    }

    #[test]
    fn the_state_reads_back_and_a_damaged_file_gives_no_state() {
        let home = tempfile::tempdir().expect("tempdir");
        assert_eq!(load(home.path()), None);
        let state = WindowState {
            maximized: true,
            ..saved(1234.0, 777.0, -5, 40)
        };
        save(home.path(), &state).expect("saved");
        assert_eq!(load(home.path()), Some(state));
        std::fs::write(home.path().join(WINDOW_FILE), b"{\"width\": \"wide\"").expect("damaged");
        assert_eq!(load(home.path()), None);
    }
}
