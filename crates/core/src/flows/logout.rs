//! OpenID Connect RP-Initiated Logout 1.0: the `end_session_endpoint`. In this order: the
//! `id_token_hint` (an ID token this server signed, expired or not, §2); the client it names
//! and `client_id`, which must agree; the `post_logout_redirect_uri`, registered by that client
//! and compared exactly (§3); the browser session; the person's confirmation when the hint does
//! not name the session's user (§2: the OP MUST ask then); the end of the session; and the
//! redirect with `state`, or a page saying the person is signed out. An error never redirects
//! (§3: "the OP MUST NOT perform post-logout redirection").

use super::session::is_session_cookie_shaped;
use crate::authorize::params::RawParams;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::secret::{constant_time_eq, hash_token};
use serde_json::{Map, Value};
use std::sync::Arc;
use writ_jose::{UnverifiedJws, select_verifying_keys};

/// Largest `id_token_hint` accepted.
pub const MAX_ID_TOKEN_HINT_BYTES: usize = 16 * 1024;

/// Largest logout request (query or form).
pub const MAX_LOGOUT_REQUEST_BYTES: usize = 32 * 1024;

/// What the logout endpoint does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutStep {
    /// Ask the person whether to sign out; the form posts `fields` and `csrf_token` back.
    Confirm {
        /// The name of the client that asked, when one was identified.
        client_name: Option<String>,
        /// The request's parameters, to post back with the answer.
        fields: Vec<(String, String)>,
        /// The token the answer must carry, bound to the browser's session cookie.
        csrf_token: String,
    },
    /// The session is over (or there was none).
    Done {
        /// Where to send the browser (`post_logout_redirect_uri` with `state`), if anywhere.
        redirect: Option<String>,
        /// Whether a session was ended by this request (its cookie should be cleared).
        ended: bool,
    },
}

/// The parameters a confirmation carries back (RP-Initiated Logout 1.0 §2).
const CARRIED: &[&str] = &[
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
];

fn invalid(detail: &'static str) -> OAuthError {
    OAuthError::invalid_request(detail)
}

/// The confirmation token of the session whose cookie is `cookie`: a hash of the cookie under
/// its own label, so only a page the browser was shown can carry it.
fn csrf_for(cookie: &str) -> String {
    hash_token(&format!("writ-logout-confirmation\0{cookie}"))
}

impl Provider {
    /// `GET|POST /logout`. `form` is the query or the form body; `cookie` the browser's
    /// session cookie.
    pub async fn end_session(
        &self,
        form: &[u8],
        cookie: Option<&str>,
    ) -> Result<LogoutStep, OAuthError> {
        let form = RawParams::parse(form, MAX_LOGOUT_REQUEST_BYTES)?;
        let hint = form
            .get("id_token_hint")
            .map(|t| self.verify_id_token_hint(t))
            .transpose()?;
        let client = self
            .logout_client(hint.as_ref(), form.get("client_id"))
            .await?;
        let redirect = match form.get("post_logout_redirect_uri") {
            None => None,
            Some(uri) => Some(post_logout_redirect(
                client.as_deref(),
                uri,
                form.get("state"),
            )?),
        };
        let now = self.clock.now();
        let cookie = cookie.filter(|c| is_session_cookie_shaped(c));
        // A session nobody signed in to (one `/authorize` started) has nothing to end.
        let session = match cookie {
            Some(c) => self.store.session_get(&hash_token(c), now).await?,
            None => None,
        }
        .filter(|s| s.user_id.is_some());
        let (Some(cookie), Some(session)) = (cookie, session) else {
            // Nobody is signed in here: nothing to end, nothing to ask.
            return Ok(LogoutStep::Done {
                redirect,
                ended: false,
            });
        };
        // §2: no question only when the hint belongs to this very session: its user and its
        // sign-in (`auth_time`), so an old ID token of the same person, or another signed JWT
        // of this server's, cannot end a later session unasked.
        let hint_names_session = match (&hint, &session.user_id, session.auth_time) {
            (Some(h), Some(user), Some(at)) => {
                h.get("sub").and_then(Value::as_str) == Some(user.as_str())
                    && h.get("auth_time").and_then(Value::as_i64) == Some(at)
            }
            _ => false,
        };
        let expected = csrf_for(cookie);
        match form.get("csrf_token") {
            Some(sent) if constant_time_eq(sent.as_bytes(), expected.as_bytes()) => {}
            Some(_) => {
                return Err(invalid(
                    "the sign-out confirmation does not belong to this browser's session",
                ));
            }
            None if hint_names_session => {}
            None => {
                return Ok(LogoutStep::Confirm {
                    client_name: client.map(|c| c.config.display_name().to_string()),
                    fields: CARRIED
                        .iter()
                        .filter_map(|k| form.get(k).map(|v| ((*k).to_string(), v.to_string())))
                        .collect(),
                    csrf_token: expected,
                });
            }
        }
        self.store.session_delete(&session.id).await?;
        tracing::info!(
            target: "audit",
            event = "session_ended",
            client_id = client.as_ref().map(|c| c.id()).unwrap_or(""),
            "RP-initiated logout ended a browser session"
        );
        Ok(LogoutStep::Done {
            redirect,
            ended: true,
        })
    }

    /// RP-Initiated Logout 1.0 §2: an ID token this server issued, by a key it publishes and
    /// with its issuer; expired ones are accepted (the session may have outlived it). An
    /// access token (`typ: at+jwt`) is not an ID token.
    fn verify_id_token_hint(&self, token: &str) -> Result<Map<String, Value>, OAuthError> {
        let parsed = UnverifiedJws::parse(token, MAX_ID_TOKEN_HINT_BYTES)
            .map_err(|_| invalid("id_token_hint is not a JWS this server could have issued"))?;
        let h = parsed.header();
        if h.typ
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
        {
            return Err(invalid("id_token_hint is not an ID token"));
        }
        let snap = self.keys.current();
        let keys = select_verifying_keys(snap.verifying_keys(), h.kid.as_deref(), h.alg);
        let claims = keys
            .iter()
            .find_map(|k| parsed.verify(k).ok())
            .and_then(|v| v.payload_json().ok())
            .ok_or_else(|| invalid("id_token_hint is not signed by this server's keys"))?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.settings.issuer.as_str()) {
            return Err(invalid("id_token_hint was issued by another issuer"));
        }
        Ok(claims)
    }

    /// The client the request comes from: the hint's audience and `client_id`, which must
    /// agree when both are given (§2).
    async fn logout_client(
        &self,
        hint: Option<&Map<String, Value>>,
        client_id: Option<&str>,
    ) -> Result<Option<Arc<Client>>, OAuthError> {
        let from_hint = hint.and_then(|h| match h.get("aud") {
            Some(Value::String(a)) => Some(a.as_str()),
            Some(Value::Array(a)) if a.len() == 1 => a[0].as_str(),
            _ => h.get("azp").and_then(Value::as_str),
        });
        let id = match (from_hint, client_id) {
            (Some(a), Some(c)) if a != c => {
                return Err(invalid("client_id is not the audience of id_token_hint"));
            }
            (Some(a), _) => a,
            (None, Some(c)) => c,
            (None, None) => return Ok(None),
        };
        self.clients
            .get(id)
            .await?
            .map(Some)
            .ok_or_else(|| invalid("the client of this sign-out request is not registered"))
    }
}

/// RP-Initiated Logout 1.0 §3: a URI the identified client registered, exactly; `state`
/// appended to its query.
fn post_logout_redirect(
    client: Option<&Client>,
    uri: &str,
    state: Option<&str>,
) -> Result<String, OAuthError> {
    let client = client.ok_or_else(|| {
        invalid("post_logout_redirect_uri needs id_token_hint or client_id to say whose it is")
    })?;
    if !client
        .config
        .post_logout_redirect_uris
        .iter()
        .any(|u| u == uri)
    {
        return Err(invalid(
            "post_logout_redirect_uri is not registered for this client",
        ));
    }
    let mut url = url::Url::parse(uri)
        .map_err(|_| invalid("post_logout_redirect_uri is not an absolute URI"))?;
    if let Some(s) = state {
        url.query_pairs_mut().append_pair("state", s);
    }
    Ok(url.into())
}
