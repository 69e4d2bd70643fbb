//! Headless Chromium for tests that check a rendered page (the same flags as tests/pr_render.rs):
//! screenshots as artifacts under target/test-artifacts, and the DOM after load.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether the browser is here; on CI its absence fails the test instead of skipping it.
pub fn available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CHROMIUM} is missing; CI must install it (apt-get install chromium)"
    );
    eprintln!("skipping: {CHROMIUM} not found (apt-get install chromium)");
    false
}

/// `target/test-artifacts`, created.
pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless Chromium with a throwaway profile; panics when it fails.
pub fn chromium(args: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .arg("120")
        .arg(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Screenshots `html` into `png` at `width`x`height`; returns the PNG's size in bytes.
pub fn screenshot(html: &Path, png: &Path, width: u32, height: u32) -> u64 {
    screenshot_url(&format!("file://{}", html.display()), png, width, height)
}

/// Screenshots the page at `url` into `png`; returns the PNG's size in bytes.
pub fn screenshot_url(url: &str, png: &Path, width: u32, height: u32) -> u64 {
    let _ = std::fs::remove_file(png);
    chromium(&[
        &format!("--screenshot={}", png.display()),
        &format!("--window-size={width},{height}"),
        url,
    ]);
    std::fs::metadata(png)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png.display()))
        .len()
}

/// The DOM after load, and the console lines that report errors.
pub fn dom(html: &Path) -> (String, Vec<String>) {
    dom_url(&format!("file://{}", html.display()))
}

/// The DOM of the page at `url` after load, and the console lines that report errors.
pub fn dom_url(url: &str) -> (String, Vec<String>) {
    let out = chromium(&["--enable-logging=stderr", "--v=0", "--dump-dom", url]);
    let errors = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("Uncaught") || l.to_lowercase().contains("console"))
        .map(str::to_string)
        .collect();
    (String::from_utf8(out.stdout).unwrap(), errors)
}
