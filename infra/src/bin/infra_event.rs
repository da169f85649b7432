//! Writes an API Gateway REST API proxy event for `infra/events/`, so that every file has the
//! shape API Gateway really sends (stage only in requestContext.path, decoded pathParameters).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Parser;
use music_infra::events::{match_route, rest_api_event};

/// Write one REST API proxy event as API Gateway sends it for stage `dev`.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The route's resource path as the template declares it, e.g.
    /// "/api/v1.0/data_by_artist_clean/{artist}" or "/{proxy+}".
    #[arg(long)]
    resource: String,
    /// The request path without the stage, percent-encoded, e.g. "/api/v1.0/data_by_artist_clean/The%20B-52's";
    /// a trailing slash is kept in the event and ignored in matching the resource, as API Gateway does.
    #[arg(long)]
    path: String,
    /// A query parameter, `key=value` (decoded), repeatable.
    #[arg(long = "query")]
    queries: Vec<String>,
    /// HTTP method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// An extra request header, `Name: value`, repeatable (e.g. `Origin: https://example.org`
    /// with `Access-Control-Request-Method: GET` for a CORS preflight).
    #[arg(long = "header")]
    headers: Vec<String>,
    /// The API stage.
    #[arg(long, default_value = "dev")]
    stage: String,
    /// Where to write the event; stdout if absent.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    // A REST API routes a path with a trailing slash to the resource without it (spotipy asks
    // for `/api/v3/audio-features/?ids=...`); the event keeps the path as sent.
    let routed = match args.path.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() && !args.resource.ends_with('/') => trimmed,
        _ => args.path.as_str(),
    };
    let Some(caps) = match_route(&args.resource, routed) else {
        bail!(
            "{} does not match the resource {}",
            args.path,
            args.resource
        )
    };
    let mut query = Vec::new();
    for q in &args.queries {
        let Some((k, v)) = q.split_once('=') else {
            bail!("--query takes key=value, got {q}")
        };
        query.push((k.to_string(), v.to_string()));
    }
    let mut headers = Vec::new();
    for h in &args.headers {
        let Some((k, v)) = h.split_once(':') else {
            bail!("--header takes 'Name: value', got {h}")
        };
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let event = rest_api_event(
        &args.method.to_ascii_uppercase(),
        &args.resource,
        &args.path,
        &query,
        &caps,
        &args.stage,
        &headers,
    );
    let text = serde_json::to_string_pretty(&event)? + "\n";
    match args.out {
        Some(path) => std::fs::write(path, text)?,
        None => print!("{text}"),
    }
    Ok(())
}
