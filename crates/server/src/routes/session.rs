//! The browser-session cookie (SPEC §8): read by an extractor, set after `/authorize` and
//! after login. Host-only, `Path=/`, `HttpOnly`, `SameSite=Lax`; `Secure` and the `__Host-`
//! name when the issuer is https (RFC 6265bis §4.1.3.2). A session cookie in the browser's
//! sense: no `Max-Age`, the server-side row bounds its life.

use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use std::convert::Infallible;

/// The session cookie's name: `__Host-` prefixed when the issuer is https.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-writ_session"
    } else {
        "writ_session"
    }
}

/// A cookie's value from the `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The browser-session cookie a request carries, if any.
#[derive(Debug, Clone, Default)]
pub struct SessionCookie(Option<String>);

impl SessionCookie {
    /// Its value.
    pub fn value(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl FromRequestParts<AppState> for SessionCookie {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Infallible> {
        let name = session_cookie_name(s.provider.settings.secure_cookies());
        Ok(SessionCookie(
            cookie(&parts.headers, name).map(str::to_string),
        ))
    }
}

/// Add the browser-session cookie `value` to `r`.
pub fn set_session_cookie(r: &mut Response, secure: bool, value: &str) {
    append_session_cookie(r, secure, value, "");
}

/// Tell the browser to forget its session cookie (after a sign-out).
pub fn clear_session_cookie(r: &mut Response, secure: bool) {
    append_session_cookie(r, secure, "", "; Max-Age=0");
}

/// `Set-Cookie` of the session cookie with `value` and `extra` attributes: host-only,
/// `Path=/`, `HttpOnly`, `SameSite=Lax`, `Secure` on an https issuer.
fn append_session_cookie(r: &mut Response, secure: bool, value: &str, extra: &str) {
    let name = session_cookie_name(secure);
    let attrs = if secure { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/{extra}; HttpOnly; SameSite=Lax{attrs}");
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}
