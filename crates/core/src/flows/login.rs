//! `POST /interaction/{id}/login` (SPEC §8): the password check off the runtime, the limit
//! of failed attempts per interaction, and the rotation of the browser session on success.

use super::interaction::{InteractionError, LoginState};
use super::session;
use crate::error::OAuthError;
use crate::ports::{StoredSession, UnixTime};
use crate::provider::Provider;
use crate::secret::{hash_token, random_token};
use crate::users;
use writ_protocol::ErrorCode;

/// Password attempts allowed per interaction before it is ended with `access_denied`.
pub const MAX_FAILED_LOGINS: u32 = 5;

/// The store's counter of password attempts per interaction (keyed by its row id).
const INTERACTION_ATTEMPTS: &str = "login_interaction";
/// The store's counter of sign-in attempts per username (`[login]`), keyed by the hash of
/// the name as typed, whether or not such a user exists.
const ACCOUNT_ATTEMPTS: &str = "login_account";

/// The account counter's key for `username`.
fn account_key(username: &str) -> String {
    hash_token(username)
}

/// `writ user unlock`: forget the failed sign-ins counted for `username` (a lock ends at
/// once); whether there were any.
pub async fn unlock_account(
    store: &dyn crate::ports::Store,
    username: &str,
) -> Result<bool, crate::ports::StoreError> {
    store
        .attempt_clear(ACCOUNT_ATTEMPTS, &account_key(username))
        .await
}

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
        let now = self.clock.now();
        // Every store write of a sign-in attempt happens while it holds one of the two
        // password slots, so unauthenticated posts write at the pace of Argon2, never at the
        // pace they arrive; the slot is held until the check is done.
        let slot = self
            .password_slots
            .acquire()
            .await
            .map_err(|_| OAuthError::server("password semaphore closed"))?;
        // Each attempt takes its number first, atomically in the store, before the password
        // is checked: of concurrent attempts on one interaction only the first five are.
        let (attempt, _) = self
            .store
            .attempt_add(INTERACTION_ATTEMPTS, &at.row_id, at.row_expires_at, now)
            .await
            .map_err(OAuthError::from)?;
        if attempt > MAX_FAILED_LOGINS {
            return Err(self.too_many_attempts(&at, &i, now).await);
        }
        let account = self.account_attempt(username, now).await?;
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
        let ok = check_password(hash, password.to_string()).await? && user.is_some();
        drop(slot);
        let Some(user) = user.filter(|_| ok) else {
            i.failed_logins = attempt;
            if attempt >= MAX_FAILED_LOGINS {
                return Err(self.too_many_attempts(&at, &i, now).await);
            }
            self.save_interaction(&at, &i).await?;
            return Err(InteractionError::BadCredentials {
                remaining: MAX_FAILED_LOGINS - attempt,
            });
        };
        if account.is_some() {
            self.store
                .attempt_clear(ACCOUNT_ATTEMPTS, &account_key(username))
                .await
                .map_err(OAuthError::from)?;
        }
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

    /// `[login]` (OWASP ASVS V2.2.1): count this attempt for `username` before its password
    /// is checked, so concurrent guesses on any node each take their own number; refuse it if
    /// the name is locked. `None` when the account lock is off. The same happens for a name
    /// no user has, so a lock never tells whether an account exists.
    async fn account_attempt(
        &self,
        username: &str,
        now: UnixTime,
    ) -> Result<Option<u32>, InteractionError> {
        let policy = &self.settings.login;
        if policy.max_failures == 0 {
            return Ok(None);
        }
        let window_end = now.saturating_add(policy.failure_window.as_i64());
        let (n, until) = self
            .store
            .attempt_add(ACCOUNT_ATTEMPTS, &account_key(username), window_end, now)
            .await
            .map_err(OAuthError::from)?;
        if n == policy.max_failures {
            // This attempt may lock the name: the lock is set now, before the check, so that
            // an attempt abandoned while its password is checked still leaves it in place; a
            // right password clears it.
            self.lock_account(username, now).await?;
        }
        if n > policy.max_failures {
            tracing::warn!(
                target: "writ::audit",
                event = "sign_in_refused_locked",
                username = %username.escape_default(),
                until,
                "sign-in refused: too many failed sign-ins for this username"
            );
            return Err(InteractionError::Locked {
                retry_after: until.saturating_sub(now).max(1),
            });
        }
        Ok(Some(n))
    }

    /// Lock `username` for `[login] lockout` from now (its counting window is extended).
    async fn lock_account(&self, username: &str, now: UnixTime) -> Result<(), OAuthError> {
        let policy = &self.settings.login;
        let until = now.saturating_add(policy.lockout.as_i64());
        self.store
            .attempt_extend(ACCOUNT_ATTEMPTS, &account_key(username), until)
            .await?;
        tracing::warn!(
            target: "writ::audit",
            event = "account_locked",
            username = %username.escape_default(),
            failures = policy.max_failures,
            until,
            "sign-in locked for this username after repeated attempts (cleared by a right password)"
        );
        Ok(())
    }

    /// The interaction's attempts are used up: end it with `access_denied`.
    async fn too_many_attempts(
        &self,
        at: &super::interaction::Located,
        i: &super::interaction::Interaction,
        now: UnixTime,
    ) -> InteractionError {
        let _ = self.answer_interaction(at, i, now).await;
        let e = OAuthError::new(ErrorCode::AccessDenied, "too many failed sign-in attempts");
        self.end_with(&i.request.redirect_target(), e).await
    }

    /// Forget the failed sign-ins of `username` ([`unlock_account`]).
    pub async fn unlock_account(&self, username: &str) -> Result<bool, OAuthError> {
        Ok(unlock_account(self.store.as_ref(), username).await?)
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

/// Verify `password` against `hash` off the runtime (the caller holds a password slot).
async fn check_password(hash: String, password: String) -> Result<bool, OAuthError> {
    tokio::task::spawn_blocking(move || users::verify_password(&hash, &password))
        .await
        .map_err(|e| OAuthError::server(format!("password check task: {e}")))
}
