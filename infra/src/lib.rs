//! What the checks of the SAM deployment need, kept out of the function crates: reading
//! `infra/template.yaml` as plain data (CloudFormation short tags included), the API Gateway
//! event files of `infra/events/` with their recorded expectations, and a minimal Lambda runtime
//! API used to time a function binary from process start to its first answered request, and the
//! check of a function's answer to an event file (`check`), shared by the in-process test and the
//! container run (`infra-sam-check`).

pub mod check;
pub mod events;
pub mod runtime_api;
pub mod template;

use std::path::PathBuf;

use music_http::catalog::Family;

/// The repository root (infra/ is one level below it).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("infra/ has a parent")
        .to_path_buf()
}

/// The template every check reads.
pub fn template_path() -> PathBuf {
    repo_root().join("infra/template.yaml")
}

/// The logical id of the function that serves a family; the event files and the template use it.
pub fn function_id(family: Family) -> &'static str {
    match family {
        Family::V1 => "V1Function",
        Family::V2 => "V2Function",
        Family::V3 => "V3Function",
        Family::Web => "WebFunction",
    }
}

/// The binary of a family (what infra/lambdas/Makefile builds and copies for its function).
pub fn binary_name(family: Family) -> &'static str {
    match family {
        Family::V1 => "music-v1",
        Family::V2 => "music-v2",
        Family::V3 => "music-v3",
        Family::Web => "music-web",
    }
}

pub const FAMILIES: [Family; 4] = [Family::V1, Family::V2, Family::V3, Family::Web];

/// The family named by an event file's prefix (`v1-...json`).
pub fn family_from_prefix(prefix: &str) -> Option<Family> {
    FAMILIES.into_iter().find(|f| family_prefix(*f) == prefix)
}

pub fn family_prefix(family: Family) -> &'static str {
    match family {
        Family::V1 => "v1",
        Family::V2 => "v2",
        Family::V3 => "v3",
        Family::Web => "web",
    }
}

/// The API Gateway resource that serves an axum route path: `/a/{x}/{*rest}` is written
/// `/a/{x}/{rest+}`, and a path with a trailing slash (`/a/b/`, which spotipy asks for) is served
/// by the resource without it (`/a/b`): a REST API resource path cannot end in `/`, and a request
/// for `/a/b/` reaches the resource `/a/b` with its path passed on as sent, so the router still
/// sees the slash.
pub fn apigw_path(axum_path: &str) -> String {
    let path = apigw_pattern(axum_path);
    match path.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed.to_string(),
        _ => path,
    }
}

/// An axum route path with API Gateway's spelling of greedy segments (`{*rest}` as `{rest+}`)
/// and nothing else changed: what [`events::match_route`] matches a request path against to
/// tell which of the router's routes an event reaches.
pub fn apigw_pattern(axum_path: &str) -> String {
    axum_path
        .split('/')
        .map(
            |seg| match seg.strip_prefix("{*").and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!("{{{name}+}}"),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_segments_become_proxy_parameters() {
        assert_eq!(apigw_path("/static/{*path}"), "/static/{path+}");
        assert_eq!(
            apigw_path("/api/v1.0/data_by_artist_clean/{artist}"),
            "/api/v1.0/data_by_artist_clean/{artist}"
        );
        assert_eq!(apigw_path("/"), "/");
        assert_eq!(
            apigw_path("/api/v3/audio-features/"),
            "/api/v3/audio-features"
        );
        assert_eq!(
            apigw_pattern("/api/v3/audio-features/"),
            "/api/v3/audio-features/"
        );
        assert_eq!(apigw_pattern("/static/{*path}"), "/static/{path+}");
    }

    #[test]
    fn prefixes_round_trip() {
        for f in FAMILIES {
            assert_eq!(family_from_prefix(family_prefix(f)), Some(f));
        }
        assert_eq!(family_from_prefix("v4"), None);
    }
}
