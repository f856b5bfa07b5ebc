//! `POST /interaction/{id}/login` (SPEC §8): the password check off the runtime, the limit
//! of failed attempts per interaction, and the rotation of the browser session on success.

use super::interaction::{InteractionError, LoginState};
use super::session;
use crate::error::OAuthError;
use crate::ports::StoredSession;
use crate::provider::Provider;
use crate::secret::{hash_token, random_token};
use crate::users;
use writ_protocol::ErrorCode;

/// Password attempts allowed per interaction before it is ended with `access_denied`.
pub const MAX_FAILED_LOGINS: u32 = 5;

/// A successful login: the interaction, now carrying the login, and the browser's new session.
#[derive(Debug)]
pub struct LoggedIn {
    /// The interaction, bound to the new session.
    pub interaction: super::interaction::Interaction,
    /// The new session cookie value, to be set on the response. The session is rotated on
    /// login (OWASP ASVS V3.2.1, RFC 6749 §10.12's session-fixation concern): the cookie the
    /// browser held before signing in no longer authenticates anything.
    pub session_cookie: String,
}

impl Provider {
    /// `POST /interaction/{id}/login`.
    ///
    /// A successful login rotates the browser session (session fixation, OWASP ASVS V3.2.1):
    /// the old session row is deleted, a new random cookie and a new row carrying the user are
    /// made, and the interaction is re-bound to the new session. The caller must set the
    /// returned cookie; the pre-login cookie no longer authenticates anything.
    pub async fn login(
        &self,
        id: &str,
        session_cookie: Option<&str>,
        csrf: Option<&str>,
        username: &str,
        password: &str,
    ) -> Result<LoggedIn, InteractionError> {
        let (at, mut i) = self.load_interaction(id, session_cookie).await?;
        Self::check_csrf(&i, csrf)?;
        let user = if username.is_empty() || username.len() > 255 {
            None
        } else {
            self.store
                .user_by_username(username)
                .await
                .map_err(OAuthError::from)?
        };
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| users::dummy_hash().to_string());
        let ok = self.check_password(hash, password.to_string()).await? && user.is_some();
        let now = self.clock.now();
        let Some(user) = user.filter(|_| ok) else {
            i.failed_logins += 1;
            if i.failed_logins >= MAX_FAILED_LOGINS {
                let _ = self.answer_interaction(&at, &i, now).await;
                let e =
                    OAuthError::new(ErrorCode::AccessDenied, "too many failed sign-in attempts");
                return Err(self.end_with(&i.request.redirect_target(), e));
            }
            self.save_interaction(&at, &i).await?;
            return Err(InteractionError::BadCredentials {
                remaining: MAX_FAILED_LOGINS - i.failed_logins,
            });
        };
        // Rotate the session. The old row goes first: should a later step fail, the browser's
        // old cookie still binds the interaction (a row is not needed for that) and the person
        // can simply sign in again, while no state exists in which the old cookie carries the
        // new login.
        self.store
            .session_delete(&i.session_id)
            .await
            .map_err(OAuthError::from)?;
        let cookie = session::new_cookie(self.rng.as_ref());
        let session = StoredSession {
            id: hash_token(&cookie),
            user_id: Some(user.id.clone()),
            auth_time: Some(now),
            expires_at: now + self.settings.lifetimes.session,
        };
        self.store
            .session_put(&session)
            .await
            .map_err(OAuthError::from)?;
        i.session_id = session.id;
        i.login = Some(LoginState {
            user_id: user.id,
            username: user.username,
            auth_time: now,
        });
        // A new CSRF token after login (the session's privilege changed).
        i.csrf = random_token(self.rng.as_ref(), 24);
        self.save_interaction(&at, &i).await?;
        Ok(LoggedIn {
            interaction: i,
            session_cookie: cookie,
        })
    }

    async fn check_password(&self, hash: String, password: String) -> Result<bool, OAuthError> {
        let _slot = self
            .password_slots
            .acquire()
            .await
            .map_err(|_| OAuthError::server("password semaphore closed"))?;
        tokio::task::spawn_blocking(move || users::verify_password(&hash, &password))
            .await
            .map_err(|e| OAuthError::server(format!("password check task: {e}")))
    }

    /// Hash a password off the runtime.
    pub async fn hash_password(&self, password: String) -> Result<String, OAuthError> {
        let mut salt = [0u8; 16];
        self.rng.fill(&mut salt);
        tokio::task::spawn_blocking(move || users::hash_password(&password, &salt))
            .await
            .map_err(|e| OAuthError::server(format!("password hash task: {e}")))?
            .map_err(OAuthError::invalid_request)
    }
}
