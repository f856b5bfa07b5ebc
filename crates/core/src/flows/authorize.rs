//! `GET|POST /authorize` (RFC 6749 §4.1.1, SPEC §4 and §8): run the pipeline
//! ([`crate::authorize::run`]), answer `prompt=none`, bind the pending interaction to the
//! browser session and seal it into its id, then send the browser to the interaction.

use super::audit::{audit_refused_request_object, for_audit};
use super::interaction::{Interaction, Located};
use super::session::{SESSION_COOKIE_BYTES, is_session_cookie_shaped};
use crate::authorize::{self, Endpoint, ValidatedRequest, params::RawParams};
use crate::error::OAuthError;
use crate::interaction_handle;
use crate::ports::Rng;
use crate::provider::Provider;
use crate::response::AuthorizeError;
use crate::secret::{hash_token, ordered_text, token_text};
use writ_jose::GCM_IV_BYTES;
use writ_protocol::ErrorCode;

/// A new interaction id: the time in milliseconds as 11 hex digits, then 24 random bytes
/// (base64url, 32 characters). The prefix only keeps the rows a node writes one after another
/// next to each other in the store's primary-key index, so that a group of inserts (see
/// `writ-store`) touches a page or two of the index instead of one page per row; the random
/// part alone makes the id unique and unguessable. `millis` (`Clock::now_millis`) takes
/// part in no rule: the expiry is stored on the row.
fn new_interaction_id(millis: i64, random: &[u8; 24]) -> String {
    ordered_text(millis, random)
}

/// The random values of a new interaction, drawn at once (one call into the generator, not
/// three: each call costs a hardware random read on top of the bytes).
struct AuthorizeRandom {
    row_id: [u8; 24],
    csrf: [u8; 24],
    cookie: [u8; SESSION_COOKIE_BYTES],
    /// The AES-GCM IV of the sealed handle (RFC 7518 §5.3: 96 random bits).
    seal_iv: [u8; GCM_IV_BYTES],
}

impl AuthorizeRandom {
    fn draw(rng: &dyn Rng) -> Self {
        let mut all = [0u8; 24 + 24 + SESSION_COOKIE_BYTES + GCM_IV_BYTES];
        rng.fill(&mut all);
        let mut r = AuthorizeRandom {
            row_id: [0; 24],
            csrf: [0; 24],
            cookie: [0; SESSION_COOKIE_BYTES],
            seal_iv: [0; GCM_IV_BYTES],
        };
        let (row_id, rest) = all.split_at(24);
        let (csrf, rest) = rest.split_at(24);
        let (cookie, seal_iv) = rest.split_at(SESSION_COOKIE_BYTES);
        r.row_id.copy_from_slice(row_id);
        r.csrf.copy_from_slice(csrf);
        r.cookie.copy_from_slice(cookie);
        r.seal_iv.copy_from_slice(seal_iv);
        r
    }
}

/// What `/authorize` does next.
#[derive(Debug)]
pub struct AuthorizeNext {
    /// Where to send the browser (the interaction page or the custom UI).
    pub location: String,
    /// The interaction id.
    pub interaction_id: String,
    /// A new session cookie value to set, when the browser had none.
    pub set_session_cookie: Option<String>,
    /// How the request object arrived, when the request was one (SPEC §12: the accepted
    /// request-object metrics). `None` for plain parameters, by query or pushed.
    pub request_object_transport: Option<authorize::Transport>,
}

impl Provider {
    /// `GET|POST /authorize` (SPEC §4): validate, then store the pending interaction bound to
    /// the browser session. `params` is the raw query or form.
    pub async fn authorize(
        &self,
        params: &[u8],
        session_cookie: Option<&str>,
    ) -> Result<AuthorizeNext, AuthorizeError> {
        self.authorize_inner(params, session_cookie)
            .await
            .inspect_err(|e| audit_refused_request_object(e.error()))
    }

    async fn authorize_inner(
        &self,
        params: &[u8],
        session_cookie: Option<&str>,
    ) -> Result<AuthorizeNext, AuthorizeError> {
        let max = self.settings.jar.max_request_object_bytes.as_usize() + 16 * 1024;
        let raw = RawParams::parse(params, max)?;
        let client_id = raw.get("client_id").ok_or_else(|| {
            OAuthError::invalid_request("client_id is required (RFC 6749 §4.1.1)")
        })?;
        let client = self
            .clients
            .get(client_id)
            .await?
            .ok_or_else(|| OAuthError::new(ErrorCode::InvalidClient, "unknown client_id"))?;
        let now = self.clock.now();
        let keys = self.keys.current();
        let ctx = self.pipeline_context(now, &keys);
        let request = authorize::run(&ctx, Endpoint::Authorize, &client, &raw)
            .await
            .map_err(|e| e.map(|e| for_audit(e, &client)))?;
        // Every random value of a new interaction, in one draw.
        let random = AuthorizeRandom::draw(self.rng.as_ref());

        let session = match session_cookie {
            Some(c) if c.len() <= 128 => self
                .store
                .session_get(&hash_token(c), now)
                .await
                .map_err(OAuthError::from)?,
            _ => None,
        };
        if request.prompt().none {
            let logged_in = session.as_ref().is_some_and(|s| s.user_id.is_some());
            let e = if logged_in {
                OAuthError::new(
                    ErrorCode::ConsentRequired,
                    "consent is required and prompt=none forbids asking",
                )
            } else {
                OAuthError::new(ErrorCode::LoginRequired, "the user is not logged in")
            };
            return Err(AuthorizeError::Redirect(
                e,
                Box::new(request.redirect_target()),
            ));
        }
        // The interaction is bound to the browser by the hash of its cookie. No session row is
        // written here: a row only matters once someone is logged in, and login makes a new
        // one anyway (rotation). A browser without a cookie gets a new one; a cookie of the
        // shape this server issues but without a row (a second sign-in started before the
        // first one finished) is kept, so both stay bound to the browser. Such a cookie grants
        // nothing: it is not logged in, and login replaces it.
        let (session_id, set_cookie) = match (session, session_cookie) {
            (Some(s), _) => (s.id, None),
            (None, Some(c)) if is_session_cookie_shaped(c) => (hash_token(c), None),
            (None, _) => {
                let cookie = token_text(&random.cookie);
                (hash_token(&cookie), Some(cookie))
            }
        };
        let row_id = new_interaction_id(self.clock.now_millis(), &random.row_id);
        let request_object_transport = request
            .request_object()
            .is_some()
            .then_some(request.transport());
        let interaction = Interaction {
            request,
            session_id,
            csrf: token_text(&random.csrf),
            created_at: now,
            login: None,
            failed_logins: 0,
        };
        // The pending interaction travels sealed in its id; it is written to the store only once
        // it changes (`interaction_handle`). One too large for a URL is stored now.
        let expires_at = now + self.settings.lifetimes.interaction;
        let sealed = match keys.sealing_key(now) {
            Some(k) => {
                interaction_handle::seal(k, &row_id, expires_at, &interaction, &random.seal_iv)
                    .map_err(|e| OAuthError::server(e.to_string()))?
            }
            None => None,
        };
        let id = match sealed {
            Some(handle) => handle,
            // Only a request its client vouched for may cost a row: one signed with the
            // client's registered key, or pushed by a client that authenticated. Anyone can
            // send a large plain request (issue 16, finding 2).
            None if keys.sealing_key(now).is_some() && !vouched_for(&interaction.request) => {
                let e = OAuthError::invalid_request(format!(
                    "the request is too large to carry through sign-in (over {} bytes sealed): \
                     send large values inside a signed request object, or push the request \
                     (PAR)",
                    interaction_handle::MAX_HANDLE_BYTES
                ));
                return Err(AuthorizeError::Redirect(
                    e,
                    Box::new(interaction.request.redirect_target()),
                ));
            }
            None => {
                let at = Located {
                    row_id,
                    row_expires_at: expires_at,
                    stored: false,
                };
                self.save_interaction(&at, &interaction).await?;
                at.row_id
            }
        };
        let location = self.settings.interaction_location(&id);
        Ok(AuthorizeNext {
            location,
            interaction_id: id,
            set_session_cookie: set_cookie,
            request_object_transport,
        })
    }
}

/// Bytes of parameters beside a signed request object (under the `merge` and
/// `reject-conflicts` policies) that a request too large to seal may carry.
const MAX_UNSIGNED_BESIDE_SIGNED: usize = 1024;

/// Whether `request` may cost a store row although it is too large to seal:
/// - pushed: the push was the write that counted (a confidential client authenticated; a
///   public client's pushes are bounded in size and number at `/par`), and a pushed request
///   is used once;
/// - signed with the client's registered key, and what nobody signed beside it (query-only
///   parameters under `merge`) is small: anyone could otherwise pad a copied signed request.
fn vouched_for(request: &ValidatedRequest) -> bool {
    if request.transport() == authorize::Transport::Pushed {
        return true;
    }
    if !request.is_signed() {
        return false;
    }
    let unsigned: usize = request
        .parameters()
        .iter()
        .filter(|(k, _)| !request.trusted().contains(k))
        .map(|(k, v)| k.len() + v.len())
        .sum();
    unsigned <= MAX_UNSIGNED_BESIDE_SIGNED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::session::is_session_cookie_shaped;
    use crate::ports::{Clock, SystemRng};
    use crate::secret::token_text;
    use crate::testing::FixedClock;

    #[test]
    fn interaction_ids_sort_by_creation_time_and_fit_the_route() {
        let clock = FixedClock::at(1_764_676_800);
        let a = new_interaction_id(
            clock.now_millis(),
            &AuthorizeRandom::draw(&SystemRng).row_id,
        );
        clock.advance_millis(1);
        let b = new_interaction_id(
            clock.now_millis(),
            &AuthorizeRandom::draw(&SystemRng).row_id,
        );
        assert!(a < b, "{a} then {b}");
        assert_eq!(a.len(), 43);
        assert_ne!(a[11..], b[11..]);
    }

    #[test]
    fn one_draw_gives_three_different_values() {
        let r = AuthorizeRandom::draw(&SystemRng);
        assert_ne!(r.row_id, r.csrf);
        assert_ne!(r.row_id[..], r.cookie[..24]);
        assert_ne!(r.csrf[..], r.cookie[..24]);
        assert!(is_session_cookie_shaped(&token_text(&r.cookie)));
    }
}
