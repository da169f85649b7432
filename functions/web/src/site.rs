//! The site as data: the pages and assets `build.rs` rendered and embedded in the binary, with
//! each one's content hash (the `ETag`, and the `?v=` of asset links).

pub(crate) mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The pages the original site had, plus its `/` alias for `index`. Paths are what the browser
/// asks for (the original's names, including the camel-case `multiLine`).
pub const PAGES: &[&str] = &[
    "index",
    "data",
    "application",
    "analysis",
    "method",
    "multiLine",
    "scatter",
    "radar",
    "observations",
    "about",
];

/// The embedded page `name` (without `.html`), if the site has it.
pub fn page(name: &str) -> Option<&'static str> {
    embedded::PAGES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, html, _)| *html)
}

/// Every embedded static asset's URL path (`static/...`), for tests and listings.
pub fn asset_paths() -> impl Iterator<Item = &'static str> {
    embedded::ASSETS.iter().map(|(path, _, _)| *path)
}

pub(crate) fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "text/plain; charset=utf-8",
    }
}
