//! Embeds the site in the binary: every file under `assets/static` (served at `static/...`) and
//! `assets/vendor` (served at `static/vendor/...`), and every page under `assets/pages`, rendered
//! once here into `assets/layout.html`. Rendering at build time means the Lambda does no template
//! work per request and a broken page fails the build, not a visitor.
//!
//! Pages start with a comment of `key: value` lines (title, description, scripts); the layout's
//! `{{...}}` markers are filled from it. Asset links carry `?v=<content hash>`, so the server can
//! let browsers cache them for a year and a changed file is fetched anew.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// FNV-1a: a stable content hash without a build dependency; it only has to change when bytes do.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

struct Page {
    name: String,
    meta: BTreeMap<String, String>,
    body: String,
}

fn parse_page(name: &str, text: &str) -> Page {
    let rest = text
        .trim_start()
        .strip_prefix("<!--")
        .unwrap_or_else(|| panic!("page {name}: must start with a <!-- key: value --> header"));
    let (header, body) = rest
        .split_once("-->")
        .unwrap_or_else(|| panic!("page {name}: unterminated header comment"));
    let mut meta = BTreeMap::new();
    for line in header.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (k, v) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("page {name}: header line {line:?} is not key: value"));
        meta.insert(k.trim().to_string(), v.trim().to_string());
    }
    assert!(
        meta.contains_key("title"),
        "page {name}: header needs a title"
    );
    Page {
        name: name.to_string(),
        meta,
        body: body.trim().to_string(),
    }
}

/// Replaces `{{key}}` and `{{active:page}}` / `{{current:page}}` markers; an unknown marker is a
/// build error so a typo cannot reach the site.
fn render(layout: &str, page: &Page, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(layout.len() + page.body.len());
    let mut rest = layout;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .unwrap_or_else(|| panic!("layout: unterminated marker"))
            + start;
        let key = rest[start + 2..end].trim();
        if let Some(target) = key.strip_prefix("active:") {
            if target == page.name {
                out.push_str(" active");
            }
        } else if let Some(target) = key.strip_prefix("current:") {
            if target == page.name {
                out.push_str(" aria-current=\"page\"");
            }
        } else if let Some(value) = vars.get(key) {
            out.push_str(value);
        } else {
            panic!(
                "layout: unknown marker {{{{{key}}}}} while rendering page {}",
                page.name
            );
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("assets");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed={}", root.display());

    // Static files: (url path, file path, hash).
    let mut assets: Vec<(String, PathBuf, u64)> = Vec::new();
    for (dir, prefix) in [("static", "static/"), ("vendor", "static/vendor/")] {
        let mut files = Vec::new();
        walk(&root.join(dir), &mut files);
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let rel = file
                .strip_prefix(root.join(dir))
                .unwrap()
                .to_str()
                .expect("asset paths are UTF-8")
                .replace('\\', "/");
            let bytes = fs::read(&file).unwrap();
            assets.push((format!("{prefix}{rel}"), file, fnv1a(&bytes)));
        }
    }
    let versioned: BTreeMap<&str, String> = assets
        .iter()
        .map(|(url, _, hash)| (url.as_str(), format!("{url}?v={:08x}", hash >> 32)))
        .collect();
    let asset_url = |url: &str| {
        versioned
            .get(url)
            .cloned()
            .unwrap_or_else(|| panic!("a page links to {url}, which is not under assets/"))
    };

    let layout_path = root.join("layout.html");
    println!("cargo:rerun-if-changed={}", layout_path.display());
    let layout = fs::read_to_string(&layout_path).unwrap();

    let mut page_files = Vec::new();
    walk(&root.join("pages"), &mut page_files);
    let pages_out = out_dir.join("pages");
    fs::create_dir_all(&pages_out).unwrap();
    let mut page_entries = Vec::new();
    for file in page_files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file.file_stem().unwrap().to_str().unwrap().to_string();
        let page = parse_page(&name, &fs::read_to_string(&file).unwrap());
        let mut scripts = String::new();
        for script in page
            .meta
            .get("scripts")
            .map(String::as_str)
            .unwrap_or("")
            .split_whitespace()
        {
            let _ = writeln!(
                scripts,
                "<script src=\"{}\" defer></script>",
                asset_url(&format!("static/js/{script}"))
            );
        }
        let mut vars = BTreeMap::new();
        vars.insert("title".to_string(), escape_html(&page.meta["title"]));
        vars.insert(
            "description".to_string(),
            escape_html(
                page.meta
                    .get("description")
                    .map(String::as_str)
                    .unwrap_or("Spotify tracks clustered with K-Means"),
            ),
        );
        vars.insert("page".to_string(), name.clone());
        vars.insert("content".to_string(), page.body.clone());
        vars.insert("scripts".to_string(), scripts);
        for (url, _, _) in &assets {
            vars.insert(format!("asset:{url}"), asset_url(url));
        }
        let html = render(&layout, &page, &vars);
        let hash = fnv1a(html.as_bytes());
        let out = pages_out.join(format!("{name}.html"));
        fs::write(&out, html).unwrap();
        page_entries.push((name, out, hash));
    }

    let mut code = String::from("/// Generated by build.rs: (url path, bytes, content hash).\npub static ASSETS: &[(&str, &[u8], u64)] = &[\n");
    for (url, file, hash) in &assets {
        let _ = writeln!(
            code,
            "    ({url:?}, include_bytes!({:?}), {hash:#x}),",
            file.display().to_string()
        );
    }
    code.push_str("];\n/// Generated by build.rs: (page name, rendered HTML, content hash).\npub static PAGES: &[(&str, &str, u64)] = &[\n");
    for (name, file, hash) in &page_entries {
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!({:?}), {hash:#x}),",
            file.display().to_string()
        );
    }
    code.push_str("];\n");
    fs::write(out_dir.join("embedded.rs"), code).unwrap();
}
