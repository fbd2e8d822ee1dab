//! The end-to-end harness: a private X display (Xvfb), `tauri-driver`
//! (which drives WebKitWebDriver, which starts the real `kith-desktop`
//! binary), a WebDriver session to click through the window, screenshots,
//! and `kith` processes as other peers. Every loop is bounded in time.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::{Value, json};

mod notifications;
pub use notifications::NotificationServer;

/// The error type of the harness: a message saying what was expected.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Harness result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where the test binaries were built (`target/debug`).
pub fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    // target/debug/deps/<test> (tests) or target/debug/<bin> → target/debug
    let dir = exe.parent().expect("the binary sits in a directory");
    if dir.ends_with("deps") {
        dir.parent().unwrap_or(dir).to_owned()
    } else {
        dir.to_owned()
    }
}

/// A built binary of the workspace (from `KITH_E2E_BIN_DIR` if set, else
/// beside the test binary), or a message saying how to build it.
pub fn binary(name: &str) -> Result<PathBuf> {
    let dir = std::env::var_os("KITH_E2E_BIN_DIR").map_or_else(build_dir, PathBuf::from);
    let path = dir.join(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: build it first (`cargo build -p kith-desktop -p kith-cli`, after `npm --prefix ui run build`)",
            path.display()
        )
        .into())
    }
}

/// A program on PATH or in `~/.cargo/bin`.
pub fn tool(name: &str) -> Result<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!("{name} is not installed: run ./scripts/test.sh, which installs it").into()
        })
}

/// Where screenshots go: `<workspace>/target/e2e-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots")
}

/// A child process killed when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Waits until `ready` holds, checking every 100 ms, for at most `limit`.
pub fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{what} did not happen within {limit:?}").into())
}

/// Whether display `:n` belongs to a running X server: its lock file names
/// a live process. A lock left by a server that was killed does not count
/// (Xvfb replaces such a stale lock itself).
fn display_in_use(n: u32) -> bool {
    let Ok(text) = std::fs::read_to_string(format!("/tmp/.X{n}-lock")) else {
        return false;
    };
    match text.trim().parse::<u32>() {
        Ok(pid) => Path::new(&format!("/proc/{pid}")).exists(),
        // Unreadable: assume someone holds it.
        Err(_) => true,
    }
}

/// A private desktop session: an X display on Xvfb and its own D-Bus
/// session bus, as every desktop has.
///
/// Without a session bus, GTK autolaunches one inside the app's start
/// (`g_application_register` runs `dbus-launch --autolaunch` and waits for
/// it): that wait took 3.1 s in about a third of the benchmark's starts
/// (`docs/benchmarks.md`, "2026-12-05 late night").
pub struct Display {
    /// `:N`.
    pub name: String,
    /// The session bus's address, for `DBUS_SESSION_BUS_ADDRESS`.
    pub bus: String,
    // Dropped in this order: the bus, then the X server.
    _bus: Guard,
    _xvfb: Guard,
}

impl Display {
    /// Starts Xvfb on the first free display number from 90.
    pub fn start() -> Result<Self> {
        let xvfb = tool("Xvfb")?;
        for n in 90..120 {
            if display_in_use(n) {
                continue;
            }
            let child = Command::new(&xvfb)
                .args([
                    &format!(":{n}"),
                    "-screen",
                    "0",
                    "1280x900x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            let guard = Guard(child);
            let socket = format!("/tmp/.X11-unix/X{n}");
            if wait_until("Xvfb to start", Duration::from_secs(10), || {
                Path::new(&socket).exists()
            })
            .is_ok()
            {
                let (bus, address) = session_bus()?;
                return Ok(Self {
                    name: format!(":{n}"),
                    bus: address,
                    _bus: bus,
                    _xvfb: guard,
                });
            }
        }
        Err("no free X display between :90 and :119".into())
    }

    /// The ids of the shown (mapped) top-level windows of process `pid`.
    pub fn shown_windows_of(&self, pid: u32) -> Result<Vec<String>> {
        let out = Command::new(tool("xdotool")?)
            .args(["search", "--onlyvisible", "--pid", &pid.to_string()])
            .env("DISPLAY", &self.name)
            .output()?;
        // xdotool exits 1 when nothing matches.
        Ok(String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect())
    }

    /// The titles of the shown top-level windows of process `pid`.
    pub fn window_titles_of(&self, pid: u32) -> Result<Vec<String>> {
        let mut titles = Vec::new();
        for id in self.shown_windows_of(pid)? {
            let out = Command::new(tool("xdotool")?)
                .args(["getwindowname", &id])
                .env("DISPLAY", &self.name)
                .output()?;
            titles.push(String::from_utf8_lossy(&out.stdout).trim().to_owned());
        }
        Ok(titles)
    }

    /// Moves and sizes the shown windows of process `pid`, as a person
    /// dragging them would (no window manager here: straight to X).
    pub fn place_windows_of(&self, pid: u32, (x, y): (i32, i32), (w, h): (u32, u32)) -> Result<()> {
        let windows = self.shown_windows_of(pid)?;
        if windows.is_empty() {
            return Err(format!("process {pid} shows no window to place").into());
        }
        for id in windows {
            for args in [
                ["windowsize", "--sync", &id, &w.to_string(), &h.to_string()],
                ["windowmove", "--sync", &id, &x.to_string(), &y.to_string()],
            ] {
                let status = Command::new(tool("xdotool")?)
                    .args(args)
                    .env("DISPLAY", &self.name)
                    .status()?;
                if !status.success() {
                    return Err(format!("xdotool {}: {status}", args.join(" ")).into());
                }
            }
        }
        Ok(())
    }

    /// Runs `xdotool` with `args` on this display (real X input: the
    /// pointer and keys as a person's).
    pub fn xdotool(&self, args: &[&str]) -> Result<()> {
        let status = Command::new(tool("xdotool")?)
            .args(args)
            .env("DISPLAY", &self.name)
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("xdotool {}: {status}", args.join(" ")).into())
        }
    }

    /// Where the shown windows of process `pid` are: `(x, y, width,
    /// height)` each.
    pub fn geometry_of(&self, pid: u32) -> Result<Vec<(i32, i32, u32, u32)>> {
        let mut found = Vec::new();
        for id in self.shown_windows_of(pid)? {
            let out = Command::new(tool("xdotool")?)
                .args(["getwindowgeometry", "--shell", &id])
                .env("DISPLAY", &self.name)
                .output()?;
            let text = String::from_utf8_lossy(&out.stdout);
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
                    .and_then(|v| v.trim().parse::<i64>().ok())
                    .ok_or_else(|| format!("no {name} in xdotool's answer: {text}"))
            };
            found.push((
                i32::try_from(field("X")?)?,
                i32::try_from(field("Y")?)?,
                u32::try_from(field("WIDTH")?)?,
                u32::try_from(field("HEIGHT")?)?,
            ));
        }
        Ok(found)
    }

    /// Takes the shown windows of process `pid` off the screen, as a
    /// window manager does when one is minimized: they lose the keyboard
    /// focus. Fails if the process shows none.
    pub fn hide_windows_of(&self, pid: u32) -> Result<()> {
        let windows = self.shown_windows_of(pid)?;
        if windows.is_empty() {
            return Err(format!("process {pid} shows no window to hide").into());
        }
        for id in windows {
            let status = Command::new(tool("xdotool")?)
                .args(["windowunmap", "--sync", &id])
                .env("DISPLAY", &self.name)
                .status()?;
            if !status.success() {
                return Err(format!("xdotool windowunmap {id}: {status}").into());
            }
        }
        Ok(())
    }
}

/// Prints the last 40 lines of each of `logs` found in `dir`, for the
/// reader of a failed test.
pub fn print_log_tails(dir: &Path, logs: &[&str]) {
    for f in logs {
        if let Ok(text) = std::fs::read_to_string(dir.join(f)) {
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            eprintln!("--- {f} (last lines) ---");
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

/// Runs a test's `walk` through the window for at most `limit`; when it
/// fails, prints the ends of `logs` (in `dir`).
pub async fn bounded_walk(
    limit: Duration,
    walk: impl std::future::Future<Output = Result<()>>,
    dir: &Path,
    logs: &[&str],
) -> Result<()> {
    let result = tokio::time::timeout(limit, walk).await.unwrap_or_else(|_| {
        Err(format!("the walk did not finish within {} s", limit.as_secs()).into())
    });
    if result.is_err() {
        print_log_tails(dir, logs);
    }
    result
}

/// Starts a D-Bus session bus (`dbus-daemon --session`) and returns it
/// with the address it listens on.
fn session_bus() -> Result<(Guard, String)> {
    use std::io::BufRead;
    let mut child = Command::new(tool("dbus-daemon")?)
        .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("dbus-daemon's output")?;
    let guard = Guard(child);
    // The daemon prints its address once it listens, or exits (closing
    // its output) if it cannot start.
    let mut address = String::new();
    std::io::BufReader::new(stdout).read_line(&mut address)?;
    let address = address.trim().to_owned();
    if address.is_empty() {
        return Err("dbus-daemon --session exited without printing its address".into());
    }
    Ok((guard, address))
}

/// `tauri-driver` on a free port, on a desktop session of its own, with
/// the app's environment.
pub struct Driver {
    /// Its WebDriver URL.
    pub url: String,
    // Dropped in this order: the driver, then the session it ran on.
    _child: Guard,
    display: Display,
}

impl Driver {
    /// The desktop session the app runs on.
    pub fn display(&self) -> &Display {
        &self.display
    }

    /// [`Driver::start`] for an app on `home`, its web view's own data in
    /// `dir/xdg-data`, the driver's log in `dir/driver.log`.
    pub fn for_home(dir: &Path, home: &Path) -> Result<Self> {
        Self::start(
            &[
                ("KITH_HOME", home),
                ("XDG_DATA_HOME", &dir.join("xdg-data")),
            ],
            &dir.join("driver.log"),
        )
    }

    /// Starts a private desktop session and tauri-driver on it; the app it
    /// launches inherits `env`.
    pub fn start(env: &[(&str, &Path)], log: &Path) -> Result<Self> {
        let display = Display::start()?;
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new(tool("tauri-driver")?);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("DISPLAY", &display.name)
        .env("DBUS_SESSION_BUS_ADDRESS", &display.bus)
        .env("NO_AT_BRIDGE", "1")
        .env("GDK_BACKEND", "x11")
        .env("KITH_LOG", "info,kith_net=debug,kith_desktop=debug")
        .stdout(Stdio::from(std::fs::File::create(log)?))
        .stderr(Stdio::from(std::fs::File::create(
            log.with_extension("err"),
        )?));
        if let Ok(p) = tool("WebKitWebDriver") {
            cmd.arg("--native-driver").arg(p);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = Guard(cmd.spawn()?);
        wait_until("tauri-driver to listen", Duration::from_secs(15), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        })?;
        Ok(Self {
            url: format!("http://127.0.0.1:{port}"),
            _child: child,
            display,
        })
    }
}

/// How long a screenshot may wait for the window to paint.
const SNAPSHOT_LIMIT: Duration = Duration::from_secs(30);
/// How long a click waits for something covering its element to go (a
/// toast stays 4 s, an error toast 9 s).
pub const COVERED_LIMIT: Duration = Duration::from_secs(12);

/// A WebDriver session on the app's window.
pub struct Window {
    /// The WebDriver client.
    pub client: Client,
    shots: PathBuf,
}

fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl Window {
    /// Starts the app through the driver and waits for its page to load.
    pub async fn open(driver: &Driver, app: &Path) -> Result<Self> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert(
            "tauri:options".into(),
            json!({ "application": app.display().to_string() }),
        );
        // The driver sometimes drops the first session request while
        // WebKitWebDriver is still starting (an incomplete HTTP answer):
        // try up to three times, a second apart.
        let mut attempt = 1;
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&driver.url)
                .await
            {
                Ok(c) => break c,
                Err(e) if attempt < 3 => {
                    eprintln!("WebDriver session attempt {attempt} failed ({e}); trying again");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let shots = screenshot_dir();
        std::fs::create_dir_all(&shots)?;
        Ok(Self { client, shots })
    }

    /// The first element with `data-testid=id`, waiting up to `limit`.
    pub async fn find(&self, id: &str, limit: Duration) -> Result<Element> {
        self.client
            .wait()
            .at_most(limit)
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(&testid(id)))
            .await
            .map_err(|e| format!("no element [data-testid={id}] within {limit:?}: {e}").into())
    }

    /// Every element with `data-testid=id` (none is not an error).
    pub async fn all(&self, id: &str) -> Result<Vec<Element>> {
        Ok(self.client.find_all(Locator::Css(&testid(id))).await?)
    }

    /// Clicks the element with `data-testid=id` once it is there.
    pub async fn click(&self, id: &str) -> Result<()> {
        let e = self.find(id, Duration::from_secs(15)).await?;
        self.click_element(&e, &format!("[data-testid={id}]")).await
    }

    /// Clicks `e` (`what` names it in errors) as a person would: while
    /// something covers it (a toast, a closing menu, a sticky header), brings
    /// it to the middle of the view and waits for the cover to go, up to
    /// [`COVERED_LIMIT`]. If it stays covered, the error names what covers
    /// it.
    pub async fn click_element(&self, e: &Element, what: &str) -> Result<()> {
        let start = Instant::now();
        let mut waited = 0u32;
        loop {
            match e.click().await {
                Ok(()) => return Ok(()),
                Err(fantoccini::error::CmdError::Standard(w))
                    if w.error == fantoccini::error::ErrorStatus::ElementClickIntercepted =>
                {
                    if waited == 0 {
                        let cover = self.what_covers(e).await.unwrap_or_default();
                        eprintln!("clicking {what}: covered by {cover}; waiting for it to go");
                    }
                    waited += 1;
                    self.scroll_to_centre(e).await?;
                    if start.elapsed() > COVERED_LIMIT {
                        let cover = self.what_covers(e).await.unwrap_or_default();
                        return Err(format!(
                            "clicking {what}: still covered after {COVERED_LIMIT:?} by {cover}"
                        )
                        .into());
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                // Just after a re-render (a closing picker gives its card
                // back `content-visibility: auto`), WebKit may not count the
                // element as shown until the next frame is laid out; a card
                // below the fold (`content-visibility: auto` skips drawing
                // it) is not shown until it is scrolled to.
                Err(fantoccini::error::CmdError::Standard(w))
                    if w.error == fantoccini::error::ErrorStatus::ElementNotInteractable
                        && start.elapsed() < COVERED_LIMIT =>
                {
                    eprintln!("clicking {what}: not interactable yet; trying after two frames");
                    self.scroll_to_centre(e).await?;
                    self.two_frames().await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // WebKitWebDriver may send an error with no message: name its kind too.
                Err(fantoccini::error::CmdError::Standard(w)) => {
                    return Err(format!("clicking {what}: {:?}: {w}", w.error).into());
                }
                Err(err) => return Err(format!("clicking {what}: {err}").into()),
            }
        }
    }

    /// Scrolls `e` to the middle of the view, clear of sticky headers and
    /// of toasts at the bottom (a failed scroll is left to the next click).
    async fn scroll_to_centre(&self, e: &Element) -> Result<()> {
        let _ = self
            .client
            .execute(
                "arguments[0].scrollIntoView({ block: 'center', inline: 'center' });",
                vec![serde_json::to_value(e)?],
            )
            .await;
        Ok(())
    }

    /// The element at the centre of `e`, described by its tag, test id and
    /// class (for errors).
    async fn what_covers(&self, e: &Element) -> Result<String> {
        let described = self
            .client
            .execute(
                "const r = arguments[0].getBoundingClientRect();
                 const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                 if (!top) return 'nothing (outside the window)';
                 return top.tagName + ' testid=' + top.getAttribute('data-testid')
                   + ' class=' + top.className + ' text=' + (top.textContent || '').slice(0, 80);",
                vec![serde_json::to_value(e)?],
            )
            .await?;
        Ok(described.as_str().unwrap_or_default().to_owned())
    }

    /// Types into the element with `data-testid=id`.
    pub async fn type_into(&self, id: &str, text: &str) -> Result<()> {
        let e = self.find(id, Duration::from_secs(15)).await?;
        self.click_element(&e, &format!("[data-testid={id}]"))
            .await?;
        e.send_keys(text).await?;
        Ok(())
    }

    /// Replaces the text of the input or text area with `data-testid=id`
    /// (emptied as the page sees it, then typed into).
    pub async fn replace_text(&self, id: &str, text: &str) -> Result<()> {
        self.find(id, Duration::from_secs(15)).await?;
        self.js(
            "const e = document.querySelector(`[data-testid=\"${arguments[0]}\"]`); \
             e.value = ''; e.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![Value::from(id)],
        )
        .await?;
        self.type_into(id, text).await
    }

    /// Runs a script in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Runs a script in the page that reports by calling its last argument
    /// (WebDriver's asynchronous script), for scripts that span frames.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client.execute_async(script, args).await?)
    }

    /// Runs `script` in the page every 250 ms until its answer is `want`;
    /// past `limit`, an error saying `what` did not happen and the last
    /// answer.
    pub async fn js_until(
        &self,
        what: &str,
        script: &str,
        want: Value,
        limit: Duration,
    ) -> Result<()> {
        let start = Instant::now();
        loop {
            let answer = self.js(script, Vec::new()).await?;
            if answer == want {
                return Ok(());
            }
            if start.elapsed() >= limit {
                return Err(format!("{what} within {limit:?} (last: {answer})").into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until some element `data-testid=id` has text containing `text`.
    pub async fn wait_text(&self, id: &str, text: &str, limit: Duration) -> Result<()> {
        let start = Instant::now();
        let mut seen = Vec::new();
        while start.elapsed() < limit {
            seen.clear();
            for e in self.all(id).await? {
                let shown = e.text().await.unwrap_or_else(|e| format!("(no text: {e})"));
                if shown.contains(text) {
                    return Ok(());
                }
                seen.push(shown);
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        Err(
            format!("no [data-testid={id}] showed {text:?} within {limit:?}; they showed {seen:?}")
                .into(),
        )
    }

    /// The value of the input or text area `[data-testid=id]` once it is
    /// `want`, or what it held at `limit` (empty when there is none).
    pub async fn value_when(&self, id: &str, want: &str, limit: Duration) -> Result<String> {
        let start = Instant::now();
        loop {
            let value = self
                .js(
                    "const e = document.querySelector(`[data-testid=\"${arguments[0]}\"]`);\
                     return e ? e.value : null;",
                    vec![json!(id)],
                )
                .await?;
            let value = value.as_str().unwrap_or_default().to_owned();
            if value == want || start.elapsed() > limit {
                return Ok(value);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for two animation frames (the page has laid out and painted
    /// what came before), at most [`SNAPSHOT_LIMIT`].
    async fn two_frames(&self) {
        let frames = self.client.execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            Vec::new(),
        );
        let _ = tokio::time::timeout(SNAPSHOT_LIMIT, frames).await;
    }

    /// Saves a screenshot after two animation frames (so the frame shown
    /// is painted), as `<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        // Both steps wait on the window painting: bounded, so a window that
        // stops painting fails the test with a reason instead of hanging it.
        // A page that cannot report frames is still photographed; the
        // snapshot below then says whether the window paints at all.
        self.two_frames().await;
        let png = tokio::time::timeout(SNAPSHOT_LIMIT, self.client.screenshot())
            .await
            .map_err(|_| {
                format!("screenshot {name}: the window's snapshot did not return within {SNAPSHOT_LIMIT:?}")
            })??;
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Ends the session (and the app).
    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        Ok(())
    }
}

/// The headless `kith` command on a home, as another peer.
pub struct Kith {
    /// The home directory.
    pub home: PathBuf,
    bin: PathBuf,
    env: Vec<(String, String)>,
}

/// The passphrase the harness gives its `kith` peers.
pub const PASSPHRASE: &str = "correct horse battery staple";

impl Kith {
    /// A `kith` on `home`.
    pub fn new(home: &Path) -> Result<Self> {
        Ok(Self {
            home: home.to_owned(),
            bin: binary("kith")?,
            env: Vec::new(),
        })
    }

    /// The same, with `key=value` in the environment of every command.
    #[must_use]
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--home")
            .arg(&self.home)
            .env("KITH_PASSPHRASE", PASSPHRASE)
            .env_remove("KITH_HOME")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Runs `kith ARGS --json` and parses its answer.
    pub fn json(&self, args: &[&str]) -> Result<Value> {
        let out = self.command().args(args).arg("--json").output()?;
        if !out.status.success() {
            return Err(format!(
                "kith {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    }

    /// Starts `kith serve` on loopback without mDNS; logs to `log`.
    pub fn serve(&self, log: &Path) -> Result<Guard> {
        let child = self
            .command()
            .args(["serve", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(log)?))
            .spawn()?;
        let socket = self.home.join("kith.sock");
        wait_until("kith serve to start", Duration::from_secs(20), || {
            socket.exists()
        })?;
        Ok(Guard(child))
    }
}

/// A home at `home` (in `dir`) that follows the authors of `kith bench
/// fixture` and holds their `posts` posts, with loopback-only settings.
pub fn fixture_home(dir: &Path, home: &Path, posts: u64) -> Result<()> {
    let ada = Kith::new(home)?;
    ada.json(&["init", "--name", "Ada"])?;
    let bundle = dir.join("fixture.bundle");
    let fixture = ada.json(&[
        "bench",
        "fixture",
        "--n",
        &posts.to_string(),
        "--out",
        &bundle.display().to_string(),
    ])?;
    ada.json(&["import", &bundle.display().to_string()])?;
    for a in fixture["authors"].as_array().ok_or("fixture authors")? {
        ada.json(&["follow", a.as_str().ok_or("an author id")?])?;
    }
    loopback_settings(home)
}

/// Writes the app's settings so it listens on loopback only and never
/// sends multicast (no mDNS on the host's interfaces).
pub fn loopback_settings(home: &Path) -> Result<()> {
    std::fs::create_dir_all(home)?;
    std::fs::write(
        home.join("desktop.json"),
        serde_json::to_vec_pretty(&json!({
            "listen": ["/ip4/127.0.0.1/tcp/0"],
            "bootstrap": [],
            "mdns": false,
            "notifications": true,
            "theme": "system"
        }))?,
    )?;
    Ok(())
}

/// Memory of a process (KiB), from `/proc/PID/smaps_rollup`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// Resident pages, shared library pages counted in full.
    pub rss: u64,
    /// Proportional set size: each shared page divided among the
    /// processes mapping it (summed over processes, the machine's real cost).
    pub pss: u64,
    /// Anonymous pages (heap, stacks): the process's own data.
    pub anonymous: u64,
}

impl std::ops::Add for Memory {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            rss: self.rss + o.rss,
            pss: self.pss + o.pss,
            anonymous: self.anonymous + o.anonymous,
        }
    }
}

/// Memory of one process (zero when it cannot be read).
pub fn memory_kib(pid: u32) -> Memory {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
        return Memory::default();
    };
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss: field("Rss:"),
        pss: field("Pss:"),
        anonymous: field("Anonymous:"),
    }
}

/// Resident memory (KiB) of a process by what is mapped: each file by its
/// name, anonymous pages as `[anonymous]`, largest first. Says where an RSS
/// figure goes (our binary, WebKit's libraries, the GL stack, the heap).
pub fn rss_by_mapping_kib(pid: u32) -> Vec<(String, u64)> {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
        return Vec::new();
    };
    let mut by_name = std::collections::BTreeMap::<String, u64>::new();
    let mut current = String::from("[anonymous]");
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if first == "Rss:" {
            let kib: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            *by_name.entry(current.clone()).or_default() += kib;
        } else if first.contains('-') && !first.ends_with(':') {
            // A mapping's header: range, perms, offset, dev, inode, [path].
            let path = fields.nth(4).unwrap_or("");
            current = match path {
                "" | "[heap]" | "[stack]" => "[anonymous]".to_owned(),
                p if p.starts_with('/') => p.rsplit('/').next().unwrap_or(p).to_owned(),
                p => p.to_owned(),
            };
        }
    }
    let mut list: Vec<_> = by_name.into_iter().filter(|(_, kib)| *kib > 0).collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list
}

/// The process ids of `pid`'s children.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/stat"))
                        .ok()
                        .and_then(|s| {
                            let after = s.rsplit_once(')')?.1.to_owned();
                            after.split_whitespace().nth(1)?.parse::<u32>().ok()
                        })
                        == Some(pid)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Memory of a process and all its descendants (the app with WebKit's
/// web and network processes).
pub fn tree_memory_kib(pid: u32) -> Memory {
    let mut total = Memory::default();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        total = total + memory_kib(p);
        stack.extend(children(p));
    }
    total
}

/// The pid of the `kith-desktop` process whose `KITH_HOME` is `home`.
pub fn app_pid(home: &Path) -> Option<u32> {
    process_pid("kith-desktop", home)
}

/// The process running the binary `name` with `KITH_HOME` set to `home`
/// (the driver gives every program it starts the same environment).
pub fn process_pid(name: &str, home: &Path) -> Option<u32> {
    let want = format!("KITH_HOME={}", home.display());
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let first = cmd.split(|b| *b == 0).next()?;
        if first.rsplit(|b| *b == b'/').next() != Some(name.as_bytes()) {
            return None;
        }
        let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
        env.split(|b| *b == 0)
            .any(|v| v == want.as_bytes())
            .then_some(pid)
    })
}

/// When a process started, in ms since the Unix epoch (10 ms resolution),
/// from `/proc/<pid>/stat` and `/proc/uptime`.
pub fn process_start_epoch_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1.to_owned();
    // Field 22 (starttime) is the 20th after the command name.
    let ticks: f64 = after.split_whitespace().nth(19)?.parse().ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    // Linux reports starttime in USER_HZ, 100 on every common platform.
    Some((now - uptime + ticks / 100.0) * 1000.0)
}
