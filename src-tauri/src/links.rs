//! Links in posts: opened in the person's own browser, never in the window.
//!
//! The web view asks with [`open_link`]; only a web address (`http`/`https`,
//! with a host, no user name or password, at most [`MAX_LINK_CHARS`]) is
//! handed to the system's opener. The window itself never leaves the app's
//! pages: [`navigation_guard`] refuses any other navigation (a link dropped
//! on the window, a page script gone wrong).

use tauri::plugin::TauriPlugin;
use tauri::{Runtime, Url};

use crate::error::{AppError, AppResult};

/// Longest link opened, in characters (browsers' practical limit is near).
pub const MAX_LINK_CHARS: usize = 2048;

/// Why a link is not opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Longer than [`MAX_LINK_CHARS`].
    #[error("the link is longer than {MAX_LINK_CHARS} characters")]
    TooLong,
    /// Not an address at all.
    #[error("not a web address: {0}")]
    Unreadable(String),
    /// Another scheme than http or https (`file:`, `javascript:`, …).
    #[error("only web addresses (http, https) are opened, not {0}:")]
    Scheme(String),
    /// A user name or password before the host: the host people read is not
    /// the one visited.
    #[error("links with a user name or password are not opened")]
    Credentials,
}

/// The web address `text` names, if it is one Kith opens.
pub fn checked_link(text: &str) -> Result<Url, LinkError> {
    if text.chars().count() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong);
    }
    let url = Url::parse(text.trim()).map_err(|e| LinkError::Unreadable(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LinkError::Scheme(url.scheme().to_owned()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(LinkError::Unreadable("no host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LinkError::Credentials);
    }
    Ok(url)
}

/// Opens a web address from a post in the default browser.
#[tauri::command]
#[specta::specta]
pub async fn open_link(url: String) -> AppResult<()> {
    let url = checked_link(&url).map_err(|e| AppError::new("invalid", e))?;
    tracing::info!(host = url.host_str().unwrap_or_default(), "opening a link");
    tauri::async_runtime::spawn_blocking(move || open::that_detached(url.as_str()))
        .await
        .map_err(|e| AppError::new("internal", e))?
        .map_err(|e| AppError::new("no_browser", format_args!("could not open the link: {e}")))
}

/// Whether the window may show `url`: only the app's own pages.
pub fn is_app_page(url: &Url) -> bool {
    match url.scheme() {
        // Linux and macOS serve the app as tauri://localhost.
        "tauri" => true,
        // Windows as http(s)://tauri.localhost; the dev server only when
        // the UI is not embedded (`cargo tauri dev`).
        "http" | "https" => {
            url.host_str() == Some("tauri.localhost")
                || (!cfg!(feature = "embedded-ui")
                    && url.host_str() == Some("localhost")
                    && url.port() == Some(DEV_PORT))
        }
        _ => url.as_str() == "about:blank",
    }
}

/// The Vite dev server's port (`devUrl` in tauri.conf.json).
const DEV_PORT: u16 = 1420;

/// A plugin that keeps every window on the app's own pages.
pub fn navigation_guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let allowed = is_app_page(url);
            if !allowed {
                tracing::warn!(
                    scheme = url.scheme(),
                    "refused to navigate the window away from the app"
                );
            }
            allowed
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_are_opened_as_written() {
        for ok in [
            "https://example.org",
            "http://example.org/a/b?c=d#e",
            "https://xn--caf-dma.fr/menu",
            "https://[::1]:8080/",
        ] {
            assert!(checked_link(ok).is_ok(), "{ok} should open");
        }
    }

    #[test]
    fn other_schemes_credentials_and_overlong_links_are_refused_with_the_reason() {
        assert_eq!(
            checked_link("file:///etc/passwd"),
            Err(LinkError::Scheme("file".into()))
        );
        assert_eq!(
            checked_link("javascript:alert(1)"),
            Err(LinkError::Scheme("javascript".into()))
        );
        assert_eq!(
            checked_link("https://bank.example@evil.example/"),
            Err(LinkError::Credentials)
        );
        assert_eq!(
            checked_link("https://u:p@example.org/"),
            Err(LinkError::Credentials)
        );
        let long = format!("https://example.org/{}", "a".repeat(MAX_LINK_CHARS));
        assert_eq!(checked_link(&long), Err(LinkError::TooLong));
        assert!(matches!(
            checked_link("not a link"),
            Err(LinkError::Unreadable(_))
        ));
        assert!(matches!(checked_link(""), Err(LinkError::Unreadable(_))));
    }

    #[test]
    fn the_window_stays_on_the_apps_own_pages() {
        let page = |s: &str| is_app_page(&Url::parse(s).expect("a url"));
        assert!(page("tauri://localhost/"));
        assert!(page("tauri://localhost/index.html#/search"));
        assert!(page("http://tauri.localhost/"));
        assert!(!page("https://example.org/"));
        assert!(!page("file:///etc/passwd"));
        assert!(!page("http://localhost:8080/"));
        assert!(!page("kith-blob://localhost/aa"));
    }
}
