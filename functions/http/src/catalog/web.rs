use super::{Family, Route};

const FAMILY: Family = Family::Web;

/// The site's routes (crate `music-web`). Pages keep the original site's file names.
pub const ROUTES: &[Route] = &[
    Route {
        family: FAMILY,
        method: "GET",
        path: "/",
        summary: "The home page (the same as /index.html)",
        example: "/",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/{page}",
        summary: "A page of the site: index, data, application, analysis, method, multiLine, scatter, radar, observations or about, with .html; an unknown .html page is an HTML 404",
        example: "/application.html",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/static/{*path}",
        summary: "The pages' scripts, styles and the vendored d3 and Bootstrap, embedded in the binary; immutable when linked with ?v=<hash>",
        example: "/static/vendor/d3/d3.min.js",
    },
];
