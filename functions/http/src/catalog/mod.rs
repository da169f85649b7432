//! The route catalogue: every public route of every family, with an example URL. It feeds the
//! `/api` listing, the OpenAPI document and the SAM template checks; each family's tests check
//! that its router serves exactly its part of it, so the catalogue cannot drift from the code.

mod v1;
mod v2;
mod v3;
mod web;

/// Which Lambda answers a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    V1,
    V2,
    V3,
    Web,
}

/// One route. `path` uses axum's `{param}` syntax; `example` is a URL that answers 200 on the
/// shipped data.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Route {
    pub family: Family,
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub example: &'static str,
}

/// Every route, in the order the `/api` listing shows them.
pub fn routes() -> Vec<Route> {
    [v1::ROUTES, v2::ROUTES, v3::ROUTES, web::ROUTES].concat()
}

pub fn routes_of(family: Family) -> Vec<Route> {
    routes()
        .into_iter()
        .filter(|r| r.family == family)
        .collect()
}
