//! The pending interaction (SPEC §8): what it holds, where it is kept (sealed in its id
//! until it first changes, then a row; `crate::interaction_handle`), loading it for the
//! browser it is bound to, and answering it once.

use crate::authorize::ValidatedRequest;
use crate::compact::{Compact, FormError, Reader, Writer};
use crate::error::OAuthError;
use crate::interaction_handle;
use crate::ports::{InteractionRecord, Payload, Record, StoredInteraction, UnixTime};
use crate::provider::Provider;
use crate::response::{AuthorizationResponse, Delivery, RedirectTarget};
use crate::secret::{constant_time_eq, hash_token};
use serde::{Deserialize, Serialize};
use writ_protocol::ErrorCode;

/// The login state of an interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginState {
    /// The user (`sub`).
    pub user_id: String,
    /// Username, for display.
    pub username: String,
    /// When they authenticated.
    pub auth_time: UnixTime,
}

/// A stored interaction's payload is an [`Interaction`].
impl Record for InteractionRecord {
    type Value = Interaction;
}

/// A pending authorization request and its progress (SPEC §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// The validated request.
    pub request: ValidatedRequest,
    /// The browser session it is bound to (hash of the cookie).
    pub session_id: String,
    /// Anti-CSRF token for the forms.
    pub csrf: String,
    /// Creation time.
    pub created_at: UnixTime,
    /// Set after a successful login.
    pub login: Option<LoginState>,
    /// Failed password attempts.
    pub failed_logins: u32,
}

/// The compact form sealed into an interaction's id (`crate::compact`).
impl Compact for Interaction {
    fn write(&self, w: &mut Writer) -> Result<(), FormError> {
        self.request.write(w)?;
        w.str(&self.session_id);
        w.str(&self.csrf);
        w.int(self.created_at);
        match &self.login {
            None => w.u8(0),
            Some(l) => {
                w.u8(1);
                w.str(&l.user_id);
                w.str(&l.username);
                w.int(l.auth_time);
            }
        }
        w.uint(u64::from(self.failed_logins));
        Ok(())
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, FormError> {
        Ok(Interaction {
            request: ValidatedRequest::read(r)?,
            session_id: r.string()?,
            csrf: r.string()?,
            created_at: r.int()?,
            login: if r.flag()? {
                Some(LoginState {
                    user_id: r.string()?,
                    username: r.string()?,
                    auth_time: r.int()?,
                })
            } else {
                None
            },
            failed_logins: u32::try_from(r.uint()?)
                .map_err(|_| FormError("failed_logins past 32 bits"))?,
        })
    }
}

/// Where an interaction is kept once it changes.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    /// Its row's id.
    pub(crate) row_id: String,
    /// Its row's expiry: the interaction's for a request stored at `/authorize`; for a sealed
    /// handle, the handle's plus [`interaction_handle::TOMBSTONE_GRACE`].
    pub(crate) row_expires_at: UnixTime,
    /// Whether the row exists (a sealed interaction has none until it first changes).
    pub(crate) stored: bool,
}

/// Errors of the interaction steps.
#[derive(Debug)]
pub enum InteractionError {
    /// Unknown or expired interaction, or not this browser's: an error page.
    Page(OAuthError),
    /// The credentials were wrong: show the login form again.
    BadCredentials {
        /// Attempts left.
        remaining: u32,
    },
    /// Too many failed sign-ins for this username (`[login]`): no password was checked. Said
    /// the same way whether or not such a user exists.
    Locked {
        /// Seconds until the lock ends.
        retry_after: i64,
    },
    /// The flow ends with an error delivered to the client.
    Redirect(Delivery),
}

impl From<OAuthError> for InteractionError {
    fn from(e: OAuthError) -> Self {
        InteractionError::Page(e)
    }
}

pub(crate) fn page(code: ErrorCode, text: &'static str) -> InteractionError {
    InteractionError::Page(OAuthError::new(code, text))
}

impl Provider {
    /// End an interaction with `e`, delivered to the client at `target`; a page when the URL
    /// cannot be built.
    pub(crate) async fn end_with(
        &self,
        target: &RedirectTarget,
        e: OAuthError,
    ) -> InteractionError {
        match self.deliver(target, AuthorizationResponse::Error(&e)).await {
            Ok(delivery) => InteractionError::Redirect(delivery),
            Err(_) => InteractionError::Page(e),
        }
    }

    pub(crate) async fn save_interaction(
        &self,
        at: &Located,
        i: &Interaction,
    ) -> Result<(), OAuthError> {
        let payload = Payload::encode(i).map_err(|e| OAuthError::server(e.to_string()))?;
        self.store
            .interaction_put(&StoredInteraction {
                id: at.row_id.clone(),
                payload,
                expires_at: at.row_expires_at,
                answered: false,
            })
            .await?;
        Ok(())
    }

    /// Answer the interaction at `at`, once: `false` when it was answered already. A sealed
    /// interaction that never changed has no row yet; it is written first, so that answering
    /// leaves the tombstone that keeps its handle from starting it again.
    pub(crate) async fn answer_interaction(
        &self,
        at: &Located,
        i: &Interaction,
        now: UnixTime,
    ) -> Result<bool, OAuthError> {
        if !at.stored {
            self.save_interaction(at, i).await?;
        }
        Ok(self.store.interaction_take(&at.row_id, now).await?)
    }

    /// Load an interaction for the browser holding `session_cookie`.
    pub async fn interaction(
        &self,
        id: &str,
        session_cookie: Option<&str>,
    ) -> Result<Interaction, InteractionError> {
        self.load_interaction(id, session_cookie)
            .await
            .map(|(_, i)| i)
    }

    /// The interaction named by `id` (a sealed handle or a row id), where it is kept, bound to
    /// the browser holding `session_cookie`.
    pub(crate) async fn load_interaction(
        &self,
        id: &str,
        session_cookie: Option<&str>,
    ) -> Result<(Located, Interaction), InteractionError> {
        let unknown = || page(ErrorCode::InvalidRequest, "unknown or expired interaction");
        let now = self.clock.now();
        let (at, sealed) = if interaction_handle::is_handle(id) {
            let keys = self.keys.current();
            let opened = interaction_handle::open::<Interaction>(keys.sealing_keys(), id, now)
                .map_err(|e| {
                    tracing::debug!(error = %e, "interaction handle refused");
                    unknown()
                })?;
            let at = Located {
                row_id: opened.row_id,
                row_expires_at: opened.expires_at + interaction_handle::TOMBSTONE_GRACE,
                stored: false,
            };
            (at, Some(opened.interaction))
        } else {
            // Row ids are made by `new_interaction_id` (hex and base64url); anything else (a
            // NUL byte would make PostgreSQL refuse the query) is unknown without asking the
            // store.
            let made_here = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
            if id.is_empty() || id.len() > 64 || !id.bytes().all(made_here) {
                return Err(unknown());
            }
            let at = Located {
                row_id: id.to_string(),
                row_expires_at: 0,
                stored: false,
            };
            (at, None)
        };
        let row = self
            .store
            .interaction_get(&at.row_id, now)
            .await
            .map_err(OAuthError::from)?;
        let (at, i) = match (row, sealed) {
            (Some(r), _) if r.answered => {
                return Err(page(
                    ErrorCode::InvalidRequest,
                    "this request was already answered",
                ));
            }
            (Some(r), _) => {
                let i = r
                    .payload
                    .decode()
                    .map_err(|e| OAuthError::server(e.to_string()))?;
                // The row keeps the expiry it was written with (for a sealed handle, the
                // handle's plus the grace).
                let at = Located {
                    row_expires_at: r.expires_at,
                    stored: true,
                    ..at
                };
                (at, i)
            }
            (None, Some(i)) => (at, i),
            (None, None) => return Err(unknown()),
        };
        let bound = session_cookie
            .is_some_and(|c| constant_time_eq(hash_token(c).as_bytes(), i.session_id.as_bytes()));
        if !bound {
            return Err(page(
                ErrorCode::AccessDenied,
                "this sign-in was started in another browser session",
            ));
        }
        Ok((at, i))
    }

    pub(crate) fn check_csrf(i: &Interaction, csrf: Option<&str>) -> Result<(), InteractionError> {
        match csrf {
            Some(c) if constant_time_eq(c.as_bytes(), i.csrf.as_bytes()) => Ok(()),
            _ => Err(page(
                ErrorCode::AccessDenied,
                "the form has expired or was not sent by this site; start again",
            )),
        }
    }
}
