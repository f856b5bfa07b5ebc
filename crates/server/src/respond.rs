//! The pieces every endpoint's error type ([`crate::errors`]) answers with: an HTML page
//! (escaped), JSON (RFC 6749 §5.2), a `303`, `no-store`. The internal detail is logged, never
//! sent.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use writ_core::OAuthError;
use writ_core::response::Delivery;

/// Whether the body is declared `application/x-www-form-urlencoded`.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

/// The `Authorization` header, when it is text.
pub fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// Whether the caller prefers JSON.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn status(e: &OAuthError) -> StatusCode {
    StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// Log an error with its internal detail.
pub fn log(endpoint: &'static str, e: &OAuthError) {
    if e.http_status() >= 500 {
        tracing::error!(endpoint, error = %e.code, detail = e.detail.as_deref().unwrap_or(""), "{}", e.description);
    } else {
        tracing::info!(endpoint, error = %e.code, detail = e.detail.as_deref().unwrap_or(""), "{}", e.description);
    }
}

/// A JSON error body (RFC 6749 §5.2).
pub fn json_error(e: &OAuthError) -> Response {
    let body = serde_json::json!({ "error": e.code.as_str(), "error_description": e.description });
    let mut r = (status(e), axum::Json(body)).into_response();
    no_store(r.headers_mut());
    if let Some(seconds) = e.retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    r
}

/// An HTML error page in `lang`: what happened and what to do, for a person; the error code
/// and its description behind a disclosure, for whoever they ask for help.
pub fn html_error(e: &OAuthError, lang: &str) -> Response {
    let key = format!("error.{}", e.code.as_str());
    let message = if crate::pages::has_text(lang, &key) {
        crate::pages::text(lang, &key, &[])
    } else {
        crate::pages::text(lang, "error.default", &[])
    };
    let html = crate::pages::render(
        "error.html",
        lang,
        minijinja::context! {
            error => e.code.as_str(),
            description => e.description.as_ref(),
            message => message,
        },
    );
    let mut r = (status(e), axum::response::Html(html)).into_response();
    no_store(r.headers_mut());
    r
}

/// `303 See Other` to `url`.
pub fn see_other(url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(v) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            r.headers_mut().insert(header::LOCATION, v);
            no_store(r.headers_mut());
            r
        }
        Err(_) => html_error(
            &OAuthError::server("redirect URL is not a valid header"),
            crate::pages::catalogue::FALLBACK,
        ),
    }
}

/// The one script of the `form_post` page: submit the form at once.
const FORM_POST_SCRIPT: &str = "document.forms[0].submit();";
/// `'sha256-…'` of [`FORM_POST_SCRIPT`] (CSP Level 3 §8.4): the only script the page may run.
const FORM_POST_SCRIPT_HASH: &str = "'sha256-8lDeP0UDwCO6/RhblgeH/ctdBzjVpJxrXizsnIk3cEQ='";

/// An authorization response on its way (SPEC §14): a `303` for the `query` and `fragment`
/// channels; for `form_post` (OAuth 2.0 Form Post Response Mode §2), a page whose form posts
/// the parameters to the redirect URI, submitted by its one script or, without JavaScript, by
/// its button. Its CSP lets exactly that script run and that form go to the redirect URI's
/// origin, and nothing else.
pub fn deliver(d: &Delivery, lang: &str) -> Response {
    let (action, fields) = match d {
        Delivery::Redirect(url) => return see_other(url),
        Delivery::FormPost { action, fields } => (action, fields),
    };
    let Some(target) = form_action_source(action) else {
        return html_error(
            &OAuthError::server("form_post redirect URI has no origin"),
            lang,
        );
    };
    let html = crate::pages::render(
        "form_post.html",
        lang,
        minijinja::context! { action => action, fields => fields, script => FORM_POST_SCRIPT },
    );
    let csp = format!(
        "default-src 'none'; script-src {FORM_POST_SCRIPT_HASH}; style-src 'unsafe-inline'; \
         form-action {target}; frame-ancestors 'none'; base-uri 'none'"
    );
    let mut r = axum::response::Html(html).into_response();
    no_store(r.headers_mut());
    match HeaderValue::from_str(&csp) {
        Ok(v) => {
            r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
            r
        }
        Err(_) => html_error(
            &OAuthError::server("form_post CSP is not a valid header"),
            lang,
        ),
    }
}

/// The CSP source of the redirect URI's origin (`https://rp.example:8443`). A host a CSP
/// source cannot name, an IPv6 literal (`http://[::1]`, RFC 8252 §7.3), and a private-use
/// scheme's URI (`com.example.app:/cb`, RFC 8252 §7.1, whose opaque host could hold CSP
/// punctuation) get their scheme alone (`http:`, `com.example.app:`).
fn form_action_source(action: &str) -> Option<String> {
    let u = url::Url::parse(action).ok()?;
    let web = matches!(u.scheme(), "http" | "https");
    match u.host() {
        Some(url::Host::Domain(host)) if web => Some(match u.port() {
            Some(port) => format!("{}://{host}:{port}", u.scheme()),
            None => format!("{}://{host}", u.scheme()),
        }),
        Some(url::Host::Ipv4(ip)) => Some(match u.port() {
            Some(port) => format!("{}://{ip}:{port}", u.scheme()),
            None => format!("{}://{ip}", u.scheme()),
        }),
        _ => Some(format!("{}:", u.scheme())),
    }
}

/// `Cache-Control: no-store` (RFC 6749 §5.1).
pub fn no_store(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CSP names the script by its hash: the two must agree, or the page never submits.
    #[test]
    fn the_form_post_script_hash_is_the_scripts() {
        use base64::Engine;
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, FORM_POST_SCRIPT.as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD.encode(d.as_ref());
        assert_eq!(FORM_POST_SCRIPT_HASH, format!("'sha256-{b64}'"));
    }

    #[test]
    fn form_action_is_the_redirect_uris_origin_or_scheme() {
        assert_eq!(
            form_action_source("https://rp.example:8443/cb?x=1").as_deref(),
            Some("https://rp.example:8443")
        );
        assert_eq!(
            form_action_source("http://127.0.0.1:9/cb").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(
            form_action_source("com.example.app:/cb").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(
            form_action_source("com.example.app://x;script-src*/cb").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(
            form_action_source("http://[::1]:8080/cb").as_deref(),
            Some("http:")
        );
    }
}
