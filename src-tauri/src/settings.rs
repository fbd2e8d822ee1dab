//! The app's settings, kept in `desktop.json` in the home directory:
//! network addresses, LAN discovery, notifications, the theme, the lock
//! after inactivity and the window's zoom.

use std::path::{Path, PathBuf};

use kith_net::NetConfig;
use libp2p::Multiaddr;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// The settings file's name inside the home directory.
pub const SETTINGS_FILE: &str = "desktop.json";
/// Most addresses in either list.
pub const MAX_ADDRS: usize = 32;
/// Longest wait before the window locks itself, in minutes (a day).
pub const MAX_LOCK_AFTER_MINUTES: u32 = 24 * 60;
/// The zoom levels offered, in percent (`Ctrl` `-` and `Ctrl` `=` step
/// through them, as browsers do).
pub const ZOOM_STEPS: [u16; 10] = [50, 67, 80, 90, 100, 110, 125, 150, 175, 200];
/// The window's zoom unless chosen, in percent.
pub const DEFAULT_ZOOM: u16 = 100;

/// The zoom levels, for the window (exported into the bindings as the one
/// constant `ZOOM`: tauri-specta writes several constants in no fixed
/// order).
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
pub struct ZoomLevels {
    /// [`ZOOM_STEPS`].
    pub steps: [u16; 10],
    /// [`DEFAULT_ZOOM`].
    pub default: u16,
}

/// The zoom levels as exported.
pub const ZOOM: ZoomLevels = ZoomLevels {
    steps: ZOOM_STEPS,
    default: DEFAULT_ZOOM,
};

/// Light, dark, or whatever the system prefers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Always light.
    Light,
    /// Always dark.
    Dark,
    /// Follow the system.
    #[default]
    System,
}

/// One of the settings that apply as they are chosen; Settings saves the
/// network's with its Save (they restart listening and dialling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "name", content = "value", rename_all = "camelCase")]
pub enum Preference {
    /// The colour theme.
    Theme(Theme),
    /// Desktop notifications for replies and mentions.
    Notifications(bool),
    /// Minutes without input before the window locks itself; 0 never.
    LockAfterMinutes(u32),
}

/// What the settings screen edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Addresses to listen on (multiaddrs); empty means every interface on
    /// a port the system picks, TCP and QUIC.
    pub listen: Vec<String>,
    /// Peers to dial at start (multiaddrs ending in `/p2p/<peer id>`).
    pub bootstrap: Vec<String>,
    /// Find peers on the LAN by mDNS.
    pub mdns: bool,
    /// Desktop notifications for replies and mentions.
    pub notifications: bool,
    /// The colour theme.
    pub theme: Theme,
    /// Minutes without a key or a click in the window after which it
    /// locks itself; 0 never.
    pub lock_after_minutes: u32,
    /// The window's zoom, in percent (one of [`ZOOM_STEPS`]). Changed by
    /// `set_zoom` alone: `save_settings` keeps the one saved.
    pub zoom: u16,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            bootstrap: Vec::new(),
            mdns: true,
            notifications: true,
            theme: Theme::System,
            lock_after_minutes: 0,
            zoom: DEFAULT_ZOOM,
        }
    }
}

fn path(home: &Path) -> PathBuf {
    home.join(SETTINGS_FILE)
}

fn parse_addrs(what: &str, addrs: &[String]) -> AppResult<Vec<Multiaddr>> {
    if addrs.len() > MAX_ADDRS {
        return Err(AppError::new(
            "invalid",
            format!("at most {MAX_ADDRS} {what} addresses, not {}", addrs.len()),
        ));
    }
    addrs
        .iter()
        .map(|a| {
            a.trim().parse().map_err(|e| {
                AppError::new(
                    "invalid",
                    format!("{what} address {a:?} is not a multiaddr: {e}"),
                )
            })
        })
        .collect()
}

impl Settings {
    /// Reads the settings; a missing file gives the defaults, a damaged one
    /// is reported and left untouched (the defaults apply until saved).
    pub fn load(home: &Path) -> Self {
        Self::read(home).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "settings unreadable; using defaults");
            Self::default()
        })
    }

    /// Reads the settings: the defaults when there is no file, an error
    /// when the file cannot be read or understood.
    fn read(home: &Path) -> AppResult<Self> {
        let path = path(home);
        let damaged =
            |e: &dyn std::fmt::Display| AppError::new("io", format!("{}: {e}", path.display()));
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| damaged(&e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(damaged(&e)),
        }
    }

    /// Saves the window's zoom alone, the other settings as they are. A
    /// settings file that cannot be read is left as it is, and nothing is
    /// saved.
    pub fn save_zoom(home: &Path, zoom: u16) -> AppResult<()> {
        let mut settings = Self::read(home)?;
        settings.zoom = zoom;
        settings.save(home)
    }

    /// Saves one preference alone, the other settings as they are (like
    /// [`Self::save_zoom`]); a value out of range is refused, nothing saved.
    pub fn save_preference(home: &Path, preference: Preference) -> AppResult<()> {
        let mut settings = Self::read(home)?;
        match preference {
            Preference::Theme(theme) => settings.theme = theme,
            Preference::Notifications(on) => settings.notifications = on,
            Preference::LockAfterMinutes(minutes) => settings.lock_after_minutes = minutes,
        }
        settings.save(home)
    }

    /// The zoom step nearest the saved level (a file edited by hand may
    /// hold any number).
    pub fn zoom_step(&self) -> u16 {
        ZOOM_STEPS
            .into_iter()
            .min_by_key(|step| step.abs_diff(self.zoom))
            .unwrap_or(DEFAULT_ZOOM)
    }

    /// The zoom as a scale factor for the web view: [`Self::zoom_step`].
    pub fn zoom_factor(&self) -> f64 {
        f64::from(self.zoom_step()) / 100.0
    }

    /// These settings without blank addresses.
    fn cleaned(&self) -> Self {
        let mut clean = self.clone();
        clean.listen.retain(|a| !a.trim().is_empty());
        clean.bootstrap.retain(|a| !a.trim().is_empty());
        clean
    }

    /// Whether `other` asks to listen where these do (blank lines, spaces
    /// and the empty list's defaults aside).
    pub fn listens_as(&self, other: &Self) -> bool {
        match (self.net_config(), other.net_config()) {
            (Ok(a), Ok(b)) => a.listen == b.listen,
            _ => false,
        }
    }

    /// Checks every address, then writes the file whole or not at all,
    /// flushed to disk.
    pub fn save(&self, home: &Path) -> AppResult<()> {
        if self.lock_after_minutes > MAX_LOCK_AFTER_MINUTES {
            return Err(AppError::new(
                "invalid",
                format!(
                    "the lock after inactivity waits at most {MAX_LOCK_AFTER_MINUTES} minutes, not {}",
                    self.lock_after_minutes
                ),
            ));
        }
        if !ZOOM_STEPS.contains(&self.zoom) {
            return Err(AppError::new(
                "invalid",
                format!(
                    "the zoom is one of {ZOOM_STEPS:?} percent, not {}",
                    self.zoom
                ),
            ));
        }
        let clean = self.cleaned();
        parse_addrs("listen", &clean.listen)?;
        parse_addrs("bootstrap", &clean.bootstrap)?;
        let bytes = serde_json::to_vec_pretty(&clean).map_err(|e| AppError::new("internal", e))?;
        Ok(kith_node::keystore::write_private(&path(home), &bytes)?)
    }

    /// The network configuration these settings give.
    pub fn net_config(&self) -> AppResult<NetConfig> {
        let clean = self.cleaned();
        let mut config = NetConfig::default();
        let listen = parse_addrs("listen", &clean.listen)?;
        if !listen.is_empty() {
            config.listen = listen;
        }
        config.bootstrap = parse_addrs("bootstrap", &clean.bootstrap)?;
        config.mdns = clean.mdns;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_settings_file_gives_defaults_with_lan_discovery_on() {
        let home = tempfile::tempdir().expect("temp dir");
        let s = Settings::load(home.path());
        assert_eq!(s, Settings::default());
        assert!(s.mdns, "LAN discovery is on by default");
    }

    #[test]
    fn saved_settings_read_back_without_blank_lines() {
        let home = tempfile::tempdir().expect("temp dir");
        let s = Settings {
            listen: vec!["/ip4/127.0.0.1/tcp/4001".into(), "  ".into()],
            bootstrap: Vec::new(),
            mdns: false,
            notifications: false,
            theme: Theme::Dark,
            lock_after_minutes: 15,
            zoom: 150,
        };
        s.save(home.path()).expect("saved");
        let back = Settings::load(home.path());
        assert_eq!(back.listen, vec!["/ip4/127.0.0.1/tcp/4001".to_owned()]);
        assert_eq!(back.theme, Theme::Dark);
        assert!(!back.mdns);
        assert_eq!(back.lock_after_minutes, 15);
        assert_eq!(back.zoom, 150);
    }

    #[test]
    fn settings_saved_before_the_lock_existed_read_as_never_locking_and_a_lock_past_a_day_is_refused()
     {
        let home = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            home.path().join(SETTINGS_FILE),
            r#"{"listen":[],"bootstrap":[],"mdns":true,"notifications":true,"theme":"light"}"#,
        )
        .expect("written");
        let old = Settings::load(home.path());
        assert_eq!(old.theme, Theme::Light, "the file was read, not replaced");
        assert_eq!(old.lock_after_minutes, 0);
        assert_eq!(old.zoom, DEFAULT_ZOOM, "no zoom saved: 100 %");

        let too_long = Settings {
            lock_after_minutes: MAX_LOCK_AFTER_MINUTES + 1,
            ..Settings::default()
        };
        let e = too_long.save(home.path()).expect_err("refused");
        assert_eq!(e.code, "invalid");
        assert_eq!(Settings::load(home.path()), old, "nothing saved");
    }

    #[test]
    fn the_zoom_is_saved_alone_a_level_off_the_steps_is_refused_and_a_damaged_file_is_left_alone() {
        let home = tempfile::tempdir().expect("temp dir");
        let before = Settings {
            theme: Theme::Dark,
            lock_after_minutes: 15,
            ..Settings::default()
        };
        before.save(home.path()).expect("saved");
        Settings::save_zoom(home.path(), 125).expect("zoom saved");
        let after = Settings::load(home.path());
        assert_eq!(after.zoom, 125);
        assert!((after.zoom_factor() - 1.25).abs() < f64::EPSILON);
        assert_eq!(
            Settings { zoom: 100, ..after },
            before,
            "the other settings as they were"
        );

        let e = Settings::save_zoom(home.path(), 133).expect_err("off the steps");
        assert_eq!(e.code, "invalid");
        assert_eq!(Settings::load(home.path()).zoom, 125, "nothing saved");

        let file = home.path().join(SETTINGS_FILE);
        std::fs::write(&file, b"{ not json").expect("damaged");
        assert!(Settings::save_zoom(home.path(), 150).is_err());
        assert_eq!(
            std::fs::read(&file).expect("read"),
            b"{ not json",
            "the damaged file is left as it was"
        );
        // A file edited by hand off the steps zooms to the nearest step.
        for (edited, step) in [(900, 200), (0, 50), (104, 100), (106, 110)] {
            let wild = Settings {
                zoom: edited,
                ..Settings::default()
            };
            assert_eq!(wild.zoom_step(), step, "{edited} %");
            assert!((wild.zoom_factor() - f64::from(step) / 100.0).abs() < f64::EPSILON);
        }
    }

    #[test]
    fn each_preference_is_saved_alone_and_a_damaged_file_or_a_bad_value_saves_nothing() {
        let home = tempfile::tempdir().expect("temp dir");
        let before = Settings {
            mdns: false,
            listen: vec!["/ip4/127.0.0.1/tcp/4001".into()],
            ..Settings::default()
        };
        before.save(home.path()).expect("saved");
        for (preference, expected) in [
            (
                Preference::Theme(Theme::Dark),
                Settings {
                    theme: Theme::Dark,
                    ..before.clone()
                },
            ),
            (
                Preference::Notifications(false),
                Settings {
                    theme: Theme::Dark,
                    notifications: false,
                    ..before.clone()
                },
            ),
            (
                Preference::LockAfterMinutes(15),
                Settings {
                    theme: Theme::Dark,
                    notifications: false,
                    lock_after_minutes: 15,
                    ..before.clone()
                },
            ),
        ] {
            Settings::save_preference(home.path(), preference).expect("saved");
            assert_eq!(
                Settings::load(home.path()),
                expected,
                "{preference:?} saved, the other settings as they were"
            );
        }
        let saved = Settings::load(home.path());
        let refused = Settings::save_preference(
            home.path(),
            Preference::LockAfterMinutes(MAX_LOCK_AFTER_MINUTES + 1),
        )
        .expect_err("more than a day is refused");
        assert_eq!(refused.code, "invalid");
        assert_eq!(Settings::load(home.path()), saved, "nothing saved");

        let file = home.path().join(SETTINGS_FILE);
        std::fs::write(&file, b"{ not json").expect("damaged");
        assert!(Settings::save_preference(home.path(), Preference::Theme(Theme::Light)).is_err());
        assert_eq!(std::fs::read(&file).expect("read"), b"{ not json");
    }

    #[test]
    fn a_bad_address_is_refused_and_the_saved_file_is_unchanged() {
        let home = tempfile::tempdir().expect("temp dir");
        let good = Settings::default();
        good.save(home.path()).expect("saved");
        let bad = Settings {
            bootstrap: vec!["not an address".into()],
            ..Settings::default()
        };
        let e = bad.save(home.path()).expect_err("refused");
        assert_eq!(e.code, "invalid");
        assert!(e.message.contains("not an address"), "{e}");
        assert_eq!(Settings::load(home.path()), good);
    }

    #[test]
    fn listening_alike_ignores_blank_lines_and_spaces_and_takes_no_addresses_as_the_defaults() {
        let with = |listen: &[&str]| Settings {
            listen: listen.iter().map(|a| (*a).to_owned()).collect(),
            theme: Theme::Dark,
            ..Settings::default()
        };
        let fixed = with(&["/ip4/0.0.0.0/tcp/4001"]);
        assert!(fixed.listens_as(&with(&[" /ip4/0.0.0.0/tcp/4001 ", "", "  "])));
        assert!(fixed.listens_as(&Settings {
            notifications: false,
            ..fixed.clone()
        }));
        assert!(!fixed.listens_as(&with(&["/ip4/0.0.0.0/tcp/4002"])));
        assert!(!fixed.listens_as(&with(&[])));
        assert!(with(&[]).listens_as(&with(&["/ip4/0.0.0.0/tcp/0", "/ip4/0.0.0.0/udp/0/quic-v1"])));
        assert!(!fixed.listens_as(&with(&["not an address"])));
    }

    #[test]
    fn a_damaged_settings_file_gives_defaults_and_is_left_alone() {
        let home = tempfile::tempdir().expect("temp dir");
        std::fs::write(home.path().join(SETTINGS_FILE), b"{not json").expect("written");
        assert_eq!(Settings::load(home.path()), Settings::default());
        assert_eq!(
            std::fs::read(home.path().join(SETTINGS_FILE)).expect("still there"),
            b"{not json"
        );
    }
}
