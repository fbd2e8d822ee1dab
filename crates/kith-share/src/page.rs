//! The share page's HTML: what Kith is, the packages with their sizes and
//! SHA-256, how to install them on Debian/Ubuntu and Fedora, how to check
//! the file with `sha256sum`, the release key's fingerprint, and a QR code
//! of the page's address. No script, no remote resource.

use std::fmt::Write as _;

use kith_core::release::SignedManifest;

use crate::MANIFEST_PATH;

/// Escapes text for HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An SVG QR code of `text`, or an empty string if it cannot be encoded.
pub fn qr_svg(text: &str) -> String {
    qrcode::QrCode::new(text.as_bytes()).map_or_else(
        |_| String::new(),
        |code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        },
    )
}

/// The page for `manifest`, offering the files named in `present`, at `url`.
pub(crate) fn render(manifest: &SignedManifest, present: &[String], url: &str) -> String {
    let version = escape(&manifest.version().to_string());
    let fingerprint = escape(&manifest.key.fingerprint());
    let mut rows = String::new();
    let mut steps = String::new();
    for file in manifest
        .manifest
        .files
        .iter()
        .filter(|f| present.contains(&f.name))
    {
        let name = escape(&file.name);
        let sha = hex::encode(file.sha256);
        let mib = file.size as f64 / (1024.0 * 1024.0);
        let _ = write!(
            rows,
            "<tr><td><a href=\"/{name}\" download>{name}</a></td><td>{mib:.1} MiB</td>\
             <td><code class=\"hash\">{sha}</code></td></tr>"
        );
        match file.kind() {
            Some("deb") => {
                let _ = write!(
                    steps,
                    "<h3>Debian, Ubuntu, Linux Mint</h3><ol><li>Download <a href=\"/{name}\" download>{name}</a>.</li>\
                     <li>Check it (next section).</li><li>In a terminal, in the folder you saved it to:\
                     <pre>sudo apt install ./{name}</pre></li></ol>"
                );
            }
            Some("rpm") => {
                let _ = write!(
                    steps,
                    "<h3>Fedora, openSUSE</h3><ol><li>Download <a href=\"/{name}\" download>{name}</a>.</li>\
                     <li>Check it (next section).</li><li>In a terminal, in the folder you saved it to:\
                     <pre>sudo dnf install ./{name}</pre></li></ol>"
                );
            }
            _ => {}
        }
    }
    let first = present.first().map(|n| escape(n)).unwrap_or_default();
    let qr = qr_svg(url);
    let url = escape(url);
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Get Kith {version}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; }}
code.hash {{ word-break: break-all; font-size: .85rem; }}
pre {{ background: #8882; padding: .5rem; overflow-x: auto; }}
.fingerprint {{ font-size: 1.2rem; font-weight: bold; }}
.qr svg {{ width: 12rem; height: 12rem; background: #fff; }}
</style>
</head>
<body>
<h1>Kith {version}</h1>
<p>Kith is a social network with no server and no store: your posts live on your own computer and travel
directly between the people who follow each other, on a LAN, through friends' machines, or on a USB stick.
Someone near you is sharing it from their computer with this page.</p>

<h2>Download</h2>
<table>
<thead><tr><th>File</th><th>Size</th><th>SHA-256</th></tr></thead>
<tbody>{rows}</tbody>
</table>
<p>The signed release manifest: <a href="/{MANIFEST_PATH}">{MANIFEST_PATH}</a> (released {date}).</p>

<h2>Install</h2>
{steps}

<h2>Check the file before you install it</h2>
<p>Anyone on this network could have put up a page like this one, so check the file against the person sharing it:</p>
<ol>
<li>In a terminal, in the folder you saved it to, run <pre>sha256sum {first}</pre></li>
<li>Compare what it prints, digit for digit, with the SHA-256 on the sharer's screen (their Kith shows it under
“Share Kith”), not only with this page.</li>
<li>Ask them to read out their release key fingerprint and compare it with this one:
<p class="fingerprint">{fingerprint}</p></li>
</ol>
<p>Once Kith is installed, <code>kith verify-package FILE --manifest {MANIFEST_PATH}</code> checks a package against the
manifest's signature by Kith's release key, and your Kith checks every update the same way.</p>

<h2>Pass it on</h2>
<p>This page's address: <a href="{url}">{url}</a></p>
<div class="qr" aria-label="QR code of this page's address">{qr}</div>
</body>
</html>
"#,
        date = escape(&manifest.manifest.date),
    )
}
