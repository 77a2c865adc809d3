//! The web console on the admin listener: `GET /` redirects to `/console/`, which serves one
//! static page with its script and style sheet (committed under `gateway/console/`, embedded
//! with `include_str!`, so building the gateway needs no Node toolchain), and
//! `GET /admin/v1/stats/requests`, the request and error rates of the last hour ([`rates`]).
//! The page holds no data and needs no token; its script fetches everything from the admin API
//! with the bearer token the operator types in, same-origin only (a strict
//! Content-Security-Policy: no inline script, no third-party origin). Must not render cluster
//! or bucket data on the server (the page does, as text nodes) nor serve anything without
//! the admin token but the static assets.

pub mod rates;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

pub use rates::Rates;

use crate::admin_auth::{check_bearer, Refusal};
use crate::s3::AppState;

const INDEX_HTML: &str = include_str!("../../console/index.html");
const APP_JS: &str = include_str!("../../console/app.js");
const APP_CSS: &str = include_str!("../../console/app.css");

/// What the page may load and connect to: its own origin (and its websocket), nothing inline.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Registers `/`, `/console/*` and `/admin/v1/stats/requests` (the admin listener's
/// `AppState` must be registered).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(|| async { redirect() }))
        .route("/console", web::get().to(|| async { redirect() }))
        .route(
            "/console/",
            web::get().to(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/console/app.js",
            web::get().to(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/console/app.css",
            web::get().to(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route("/admin/v1/stats/requests", web::get().to(stats_requests));
}

fn redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/console/"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .finish()
}

/// A static asset with the console's security headers.
fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    let mut r = HttpResponse::Ok();
    r.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    r.body(body)
}

/// `GET /admin/v1/stats/requests`: `{"minutes": [...]}`, 60 one-minute slots, oldest first.
async fn stats_requests(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(r) = check_bearer(presented, state.config.admin_token.as_ref()) {
        let message = match r {
            Refusal::Missing => "an Authorization: Bearer <admin token> header is required",
            Refusal::Wrong => "the bearer token is not the admin token",
        };
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .json(serde_json::json!({ "error": "Unauthorized", "message": message }));
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "minutes": state.rates.minutes() }))
}
