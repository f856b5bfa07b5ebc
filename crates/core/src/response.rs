//! Where an authorization response or error goes (RFC 6749 §4.1.2 and §4.1.2.1, RFC 9207,
//! SPEC §4.7): **the one place that decides between a redirect and a page, and the one place
//! that builds the redirect.**
//!
//! - Until the client and a registered `redirect_uri` are known, an error can only be shown
//!   to the person ([`AuthorizeError::Page`]): redirecting it would make the server an open
//!   redirector (RFC 6749 §4.1.2.1, RFC 9101 §6.3's "MUST NOT redirect" for unverified input).
//! - From then on it carries its [`RedirectTarget`] ([`AuthorizeError::Redirect`]), which only
//!   [`crate::authorize::redirect_uri`] (for a request being validated) and a
//!   [`ValidatedRequest`](crate::authorize::ValidatedRequest) (for the rest of the flow) can
//!   make.
//! - [`deliver`] turns a code or an error and its target into the URL the browser is sent
//!   to. Today the response mode is always `query`; the other modes of OAuth 2.0 Multiple
//!   Response Types and JARM are added here.

use crate::error::OAuthError;

/// A registered redirect URI and the `state` to echo: where an authorization response may be
/// delivered (RFC 6749 §4.1.2). Made only once the URI is known to be registered for the
/// client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTarget {
    redirect_uri: String,
    state: Option<String>,
}

impl RedirectTarget {
    /// A target for `redirect_uri`, which the caller has checked is registered for the client
    /// (RFC 6749 §3.1.2.3): [`crate::authorize::redirect_uri`] and
    /// [`ValidatedRequest::redirect_target`](crate::authorize::ValidatedRequest::redirect_target).
    pub(crate) fn registered(redirect_uri: String, state: Option<String>) -> Self {
        RedirectTarget {
            redirect_uri,
            state,
        }
    }
    /// The registered redirect URI.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
    /// The `state` echoed with the response.
    pub fn state(&self) -> Option<&str> {
        self.state.as_deref()
    }
}

/// An authorization endpoint error and where it goes (SPEC §4.7).
#[derive(Debug, Clone)]
pub enum AuthorizeError {
    /// Shown to the person (an HTML page, or JSON when asked for): the client or its
    /// redirect URI is not trusted yet.
    Page(OAuthError),
    /// Delivered to the client at a registered redirect URI.
    Redirect(OAuthError, RedirectTarget),
}

impl AuthorizeError {
    /// The protocol error, wherever it goes.
    pub fn error(&self) -> &OAuthError {
        match self {
            AuthorizeError::Page(e) | AuthorizeError::Redirect(e, _) => e,
        }
    }
    /// The protocol error alone, for an endpoint that never redirects (`/par` answers JSON).
    pub fn into_error(self) -> OAuthError {
        match self {
            AuthorizeError::Page(e) | AuthorizeError::Redirect(e, _) => e,
        }
    }
    /// Apply `f` to the error, keeping where it goes.
    pub fn map(self, f: impl FnOnce(OAuthError) -> OAuthError) -> Self {
        match self {
            AuthorizeError::Page(e) => AuthorizeError::Page(f(e)),
            AuthorizeError::Redirect(e, t) => AuthorizeError::Redirect(f(e), t),
        }
    }
}

impl From<OAuthError> for AuthorizeError {
    /// Any error not yet known to be deliverable is a page.
    fn from(e: OAuthError) -> Self {
        AuthorizeError::Page(e)
    }
}

/// What is delivered to the client's redirect URI.
#[derive(Debug, Clone, Copy)]
pub enum AuthorizationResponse<'a> {
    /// RFC 6749 §4.1.2: the authorization code.
    Code(&'a str),
    /// RFC 6749 §4.1.2.1: `error` and `error_description`.
    Error(&'a OAuthError),
}

/// The URL that delivers `response` to `target` in the `query` response mode (RFC 6749
/// §4.1.2), with `state` when the request had one and `iss` always (RFC 9207 §2).
pub fn deliver(
    issuer: &str,
    target: &RedirectTarget,
    response: AuthorizationResponse<'_>,
) -> Result<String, OAuthError> {
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(4);
    match response {
        AuthorizationResponse::Code(code) => pairs.push(("code", code)),
        AuthorizationResponse::Error(e) => {
            pairs.push(("error", e.code.as_str()));
            pairs.push(("error_description", e.description.as_ref()));
        }
    }
    if let Some(s) = target.state() {
        pairs.push(("state", s));
    }
    pairs.push(("iss", issuer));
    with_query(target.redirect_uri(), &pairs)
}

/// `base?k=v&...`, keeping any query `base` already has (RFC 6749 §3.1.2).
fn with_query(base: &str, pairs: &[(&str, &str)]) -> Result<String, OAuthError> {
    let mut u = url::Url::parse(base).map_err(|e| {
        OAuthError::server(format!("stored redirect_uri {base:?} does not parse: {e}"))
    })?;
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    Ok(u.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use writ_protocol::ErrorCode;

    #[test]
    fn a_code_carries_state_and_iss_rfc9207() {
        let t = RedirectTarget::registered("https://rp/cb?x=1".into(), Some("s".into()));
        let url = deliver("https://as", &t, AuthorizationResponse::Code("c")).unwrap();
        assert_eq!(url, "https://rp/cb?x=1&code=c&state=s&iss=https%3A%2F%2Fas");
    }

    #[test]
    fn an_error_carries_its_code_and_description_but_never_its_detail() {
        let t = RedirectTarget::registered("https://rp/cb".into(), None);
        let e = OAuthError::new(ErrorCode::AccessDenied, "no").with_detail("secret");
        let url = deliver("https://as", &t, AuthorizationResponse::Error(&e)).unwrap();
        assert_eq!(
            url,
            "https://rp/cb?error=access_denied&error_description=no&iss=https%3A%2F%2Fas"
        );
    }

    #[test]
    fn a_redirect_uri_that_does_not_parse_is_a_server_error_not_a_redirect() {
        let t = RedirectTarget::registered("not a url".into(), None);
        let e = deliver("https://as", &t, AuthorizationResponse::Code("c")).unwrap_err();
        assert_eq!(e.code, ErrorCode::ServerError);
    }
}
