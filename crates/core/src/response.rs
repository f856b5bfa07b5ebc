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
//! - A target carries its [`ResponseMode`]: the channel (`query`, `fragment`, `form_post`;
//!   OAuth 2.0 Multiple Response Types §2.1, OAuth 2.0 Form Post Response Mode §2) and, for
//!   JARM, the signature (JWT Secured Authorization Response Mode §2.3). It is chosen once,
//!   when the target is made, from the request's `response_mode` when that is allowed for
//!   the client, else the client's default ([`ResponseMode::resolve`]).
//! - [`parameters`] lists what a code or an error says; [`Provider::deliver`] signs it for a
//!   JARM mode; [`Delivery::by`] puts it on the mode's channel. Nothing else builds a
//!   response to a client's redirect URI.
//!
//! [`Provider::deliver`]: crate::provider::Provider::deliver

use crate::clients::Client;
use crate::error::OAuthError;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use writ_jose::JwsAlg;

/// How a response reaches the client's redirect URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// In the query (RFC 6749 §4.1.2).
    #[default]
    Query,
    /// In the fragment (OAuth 2.0 Multiple Response Types §2.1).
    Fragment,
    /// As an auto-submitted HTML form (OAuth 2.0 Form Post Response Mode §2).
    FormPost,
}

/// The response mode of an authorization response: a channel, and for JARM the algorithm
/// the response JWT is signed with (JARM §2.3, §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResponseMode {
    channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jarm: Option<JwsAlg>,
}

/// Every `response_mode` value this server accepts, as discovery lists them.
pub const RESPONSE_MODES: [&str; 7] = [
    "query",
    "fragment",
    "form_post",
    "jwt",
    "query.jwt",
    "fragment.jwt",
    "form_post.jwt",
];

impl ResponseMode {
    /// The mode named `name` for `client`: its channel, and for a JARM mode the client's
    /// signing algorithm. `Err` names why it cannot be used: unknown, or a plain mode for a
    /// client that must use JARM (`require_jarm`, FAPI 1.0 Advanced).
    pub fn named(settings: &Settings, client: &Client, name: &str) -> Result<Self, OAuthError> {
        let (channel, jwt) = match name {
            "query" => (Channel::Query, false),
            "fragment" => (Channel::Fragment, false),
            "form_post" => (Channel::FormPost, false),
            // JARM §2.3.4: `jwt` means `query.jwt` for the `code` response type.
            "jwt" | "query.jwt" => (Channel::Query, true),
            "fragment.jwt" => (Channel::Fragment, true),
            "form_post.jwt" => (Channel::FormPost, true),
            _ => {
                return Err(OAuthError::invalid_request(
                    "response_mode must be one of query, fragment, form_post, jwt, query.jwt, fragment.jwt, form_post.jwt",
                ));
            }
        };
        if !jwt && settings.jarm_required(client) {
            return Err(OAuthError::invalid_request(
                "this client's authorization responses must be JWTs: use response_mode=jwt (JARM)",
            ));
        }
        Ok(ResponseMode {
            channel,
            jarm: jwt.then(|| settings.jarm_alg(client)),
        })
    }

    /// The client's default: `query`, or `query.jwt` for a client that must use JARM
    /// (`require_jarm`, or a FAPI 1.0 Advanced profile).
    pub fn default_for(settings: &Settings, client: &Client) -> Self {
        ResponseMode {
            channel: Channel::Query,
            jarm: settings
                .jarm_required(client)
                .then(|| settings.jarm_alg(client)),
        }
    }

    /// The mode a response to `requested` goes by (SPEC §14): the requested one when it can
    /// be used, else the client's default. The error of an unusable one is raised by
    /// [`crate::authorize::response_type`], and delivered by the default.
    pub fn resolve(settings: &Settings, client: &Client, requested: Option<&str>) -> Self {
        requested
            .and_then(|name| Self::named(settings, client, name).ok())
            .unwrap_or_else(|| Self::default_for(settings, client))
    }

    /// The channel.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The JARM signing algorithm, for a JWT mode.
    pub fn jarm(&self) -> Option<JwsAlg> {
        self.jarm
    }

    /// Plain `query`, which a stored request does not spell out.
    pub(crate) fn is_default(&self) -> bool {
        *self == ResponseMode::default()
    }
}

/// An authorization response on its way to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// `303 See Other` to this URL (`query` and `fragment` channels).
    Redirect(String),
    /// An HTML form the browser submits to `action` at once (OAuth 2.0 Form Post Response
    /// Mode §2): each field is a hidden input.
    FormPost {
        /// The registered redirect URI.
        action: String,
        /// The response parameters, in order.
        fields: Vec<(&'static str, String)>,
    },
}

impl Delivery {
    /// `params` sent to `target` by its mode's channel.
    pub fn by(
        target: &RedirectTarget,
        params: Vec<(&'static str, String)>,
    ) -> Result<Delivery, OAuthError> {
        let mut u = url::Url::parse(target.redirect_uri()).map_err(|e| {
            OAuthError::server(format!(
                "stored redirect_uri {:?} does not parse: {e}",
                target.redirect_uri()
            ))
        })?;
        match target.mode().channel() {
            Channel::Query => {
                // RFC 6749 §3.1.2: a query the redirect URI already has is kept.
                u.query_pairs_mut()
                    .extend_pairs(params.iter().map(|(k, v)| (*k, v)));
                Ok(Delivery::Redirect(u.into()))
            }
            Channel::Fragment => {
                let fragment = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(params.iter().map(|(k, v)| (*k, v)))
                    .finish();
                u.set_fragment(Some(&fragment));
                Ok(Delivery::Redirect(u.into()))
            }
            Channel::FormPost => Ok(Delivery::FormPost {
                action: u.into(),
                fields: params,
            }),
        }
    }
}

/// A client's registered redirect URI, the `state` to echo and the response mode: where and
/// how an authorization response may be delivered (RFC 6749 §4.1.2; SPEC §14). Made only
/// once the URI is known to be registered for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTarget {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    mode: ResponseMode,
}

impl RedirectTarget {
    /// A target for `redirect_uri`, which the caller has checked is registered for the client
    /// (RFC 6749 §3.1.2.3): [`crate::authorize::redirect_uri`] and
    /// [`ValidatedRequest::redirect_target`](crate::authorize::ValidatedRequest::redirect_target).
    pub(crate) fn registered(
        client: &str,
        redirect_uri: String,
        state: Option<String>,
        mode: ResponseMode,
    ) -> Self {
        RedirectTarget {
            client_id: client.to_string(),
            redirect_uri,
            state,
            mode,
        }
    }
    /// The client the response is for (a JARM response's `aud`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The registered redirect URI.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
    /// The `state` echoed with the response.
    pub fn state(&self) -> Option<&str> {
        self.state.as_deref()
    }
    /// How the response travels.
    pub fn mode(&self) -> ResponseMode {
        self.mode
    }
}

/// An authorization endpoint error and where it goes (SPEC §4.7).
#[derive(Debug, Clone)]
pub enum AuthorizeError {
    /// Shown to the person (an HTML page, or JSON when asked for): the client or its
    /// redirect URI is not trusted yet.
    Page(OAuthError),
    /// Delivered to the client at a registered redirect URI (boxed: errors stay small).
    Redirect(OAuthError, Box<RedirectTarget>),
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

/// What `response` says to `target` (RFC 6749 §4.1.2, §4.1.2.1): the code, or `error` and
/// `error_description`; `state` when the request had one; `iss` always (RFC 9207 §2; in a
/// JARM response it is the JWT's own `iss`).
pub fn parameters(
    issuer: &str,
    target: &RedirectTarget,
    response: AuthorizationResponse<'_>,
) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<(&'static str, String)> = Vec::with_capacity(4);
    match response {
        AuthorizationResponse::Code(code) => pairs.push(("code", code.to_string())),
        AuthorizationResponse::Error(e) => {
            pairs.push(("error", e.code.as_str().to_string()));
            pairs.push(("error_description", e.description.to_string()));
        }
    }
    if let Some(s) = target.state() {
        pairs.push(("state", s.to_string()));
    }
    pairs.push(("iss", issuer.to_string()));
    pairs
}

/// A `response_mode` the client cannot use is an error of the request (SPEC §14), raised here
/// with the other stage 6 checks and delivered by the default mode.
pub fn check_requested(
    settings: &Settings,
    client: &Client,
    requested: Option<&str>,
) -> Result<(), OAuthError> {
    match requested {
        // A client that must use JARM gets `query.jwt` by default.
        None => Ok(()),
        Some(name) => ResponseMode::named(settings, client, name).map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use writ_protocol::ErrorCode;

    fn target(uri: &str, state: Option<&str>, channel: Channel) -> RedirectTarget {
        let mode = ResponseMode {
            channel,
            jarm: None,
        };
        RedirectTarget::registered("rp", uri.into(), state.map(str::to_string), mode)
    }

    /// `response` to `target` unsigned: the parameters on the target's channel.
    fn deliver(
        issuer: &str,
        target: &RedirectTarget,
        response: AuthorizationResponse<'_>,
    ) -> Result<Delivery, OAuthError> {
        Delivery::by(target, parameters(issuer, target, response))
    }

    fn redirect(d: Delivery) -> String {
        match d {
            Delivery::Redirect(url) => url,
            other => panic!("not a redirect: {other:?}"),
        }
    }

    #[test]
    fn a_code_carries_state_and_iss_rfc9207() {
        let t = target("https://rp/cb?x=1", Some("s"), Channel::Query);
        let d = deliver("https://as", &t, AuthorizationResponse::Code("c")).unwrap();
        assert_eq!(
            redirect(d),
            "https://rp/cb?x=1&code=c&state=s&iss=https%3A%2F%2Fas"
        );
    }

    #[test]
    fn an_error_carries_its_code_and_description_but_never_its_detail() {
        let t = target("https://rp/cb", None, Channel::Query);
        let e = OAuthError::new(ErrorCode::AccessDenied, "no").with_detail("secret");
        let d = deliver("https://as", &t, AuthorizationResponse::Error(&e)).unwrap();
        assert_eq!(
            redirect(d),
            "https://rp/cb?error=access_denied&error_description=no&iss=https%3A%2F%2Fas"
        );
    }

    #[test]
    fn the_fragment_channel_keeps_the_query_and_puts_the_response_after_the_hash() {
        let t = target("https://rp/cb?x=1", Some("a b"), Channel::Fragment);
        let d = deliver("https://as", &t, AuthorizationResponse::Code("c")).unwrap();
        assert_eq!(
            redirect(d),
            "https://rp/cb?x=1#code=c&state=a+b&iss=https%3A%2F%2Fas"
        );
    }

    #[test]
    fn the_form_post_channel_posts_every_parameter_to_the_redirect_uri() {
        let t = target("https://rp/cb", Some("\"><script>"), Channel::FormPost);
        let d = deliver("https://as", &t, AuthorizationResponse::Code("c")).unwrap();
        assert_eq!(
            d,
            Delivery::FormPost {
                action: "https://rp/cb".into(),
                fields: vec![
                    ("code", "c".into()),
                    ("state", "\"><script>".into()),
                    ("iss", "https://as".into())
                ],
            }
        );
    }

    #[test]
    fn a_redirect_uri_that_does_not_parse_is_a_server_error_not_a_redirect() {
        let t = target("not a url", None, Channel::Query);
        let e = deliver("https://as", &t, AuthorizationResponse::Code("c")).unwrap_err();
        assert_eq!(e.code, ErrorCode::ServerError);
    }
}
