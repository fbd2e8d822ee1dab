//! A real notification server on the test's desktop session: `dunst`, the
//! daemon many Linux desktops run, started on the session's X display and
//! bus. It writes down each notification it shows, and the test clicks
//! them through `dunstctl` as a person would with the mouse.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{Display, Guard, Result, tool, wait_until};

/// `dunst` on a desktop session, until dropped.
pub struct NotificationServer {
    shown: PathBuf,
    display: String,
    bus: String,
    _child: Guard,
}

/// What dunst runs for each notification it shows (with the app name,
/// summary, body, icon and urgency as arguments): one line per
/// notification, summary and body separated by a tab.
const RECORDER: &str =
    "#!/bin/sh\nprintf '%s\\t%s\\n' \"$2\" \"$3\" >> \"$(dirname \"$0\")/shown.txt\"\n";

impl NotificationServer {
    /// Starts dunst on `display`'s session, keeping its files in `dir`,
    /// and waits until it owns the session's notification service.
    pub fn start(display: &Display, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let recorder = dir.join("record");
        std::fs::write(&recorder, RECORDER)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&recorder, std::fs::Permissions::from_mode(0o755))?;
        }
        // Notifications stay until clicked or closed, so a slow step still
        // finds the one it waits for.
        let config = dir.join("dunstrc");
        std::fs::write(
            &config,
            format!(
                "[global]\n    idle_threshold = 0\n\
                 [urgency_low]\n    timeout = 0\n\
                 [urgency_normal]\n    timeout = 0\n\
                 [urgency_critical]\n    timeout = 0\n\
                 [record]\n    summary = \"*\"\n    script = {}\n",
                recorder.display()
            ),
        )?;
        let log = std::fs::File::create(dir.join("dunst.log"))?;
        let child = Command::new(tool("dunst")?)
            .args(["-config"])
            .arg(&config)
            .env("DISPLAY", &display.name)
            .env("DBUS_SESSION_BUS_ADDRESS", &display.bus)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()?;
        let server = Self {
            shown: dir.join("shown.txt"),
            display: display.name.clone(),
            bus: display.bus.clone(),
            _child: Guard(child),
        };
        wait_until(
            "dunst to serve notifications",
            Duration::from_secs(10),
            || server.dunstctl(&["count", "displayed"]).is_ok(),
        )?;
        Ok(server)
    }

    /// The notifications shown so far, oldest first: `summary\tbody`.
    pub fn shown(&self) -> Vec<String> {
        std::fs::read_to_string(&self.shown)
            .map(|t| t.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// How many notifications are on screen.
    pub fn displayed(&self) -> Result<u32> {
        Ok(self.dunstctl(&["count", "displayed"])?.trim().parse()?)
    }

    /// Clicks the first notification on screen (its default action, as a
    /// left click does).
    pub fn click_first(&self) -> Result<()> {
        self.dunstctl(&["action", "0"]).map(drop)
    }

    /// Closes every notification on screen.
    pub fn close_all(&self) -> Result<()> {
        self.dunstctl(&["close-all"]).map(drop)
    }

    fn dunstctl(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(tool("dunstctl")?)
            .args(args)
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .stdin(Stdio::null())
            .output()?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "dunstctl {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )
            .into())
        }
    }
}
