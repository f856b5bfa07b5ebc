//! The provider: the ports, settings, clients and keys together, and the flows that use them
//! (authorize → interaction → login → consent → code). The HTTP layer calls these methods and
//! only translates their results.

use crate::authorize::request_uri::RequestUriFetcher;
use crate::authorize::{self, ValidatedRequest, params::RawParams, request_object};
use crate::client_auth::{self, AuthContext};
use crate::client_keys::{JwksFetcher, RemoteKeys};
use crate::clients::{Client, ClientRegistry};
use crate::error::OAuthError;
use crate::interaction_handle;
use crate::keys::{KeyRing, KeySnapshot};
use crate::ports::{
    Clock, Rng, Store, StoredCode, StoredGrant, StoredInteraction, StoredSession, UnixTime,
};
use crate::secret::{constant_time_eq, hash_token, random_token, token_text};
use crate::settings::Settings;
use crate::users;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::Semaphore;
use writ_jose::GCM_IV_BYTES;
use writ_protocol::ErrorCode;

/// Everything the flows need.
pub struct Provider {
    /// Settings.
    pub settings: Settings,
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub rng: Arc<dyn Rng>,
    /// Clients.
    pub clients: ClientRegistry,
    /// Server keys.
    pub keys: KeyRing,
    /// Client keys fetched from `jwks_uri`.
    pub remote_keys: RemoteKeys,
    /// Client-hosted `request_uri` fetching (SPEC §5); `None`: refused.
    request_uri_fetcher: Option<Arc<dyn RequestUriFetcher>>,
    /// Bounds concurrent password hashing (CPU and memory heavy).
    password_slots: Semaphore,
}

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

/// A successful login: the interaction, now carrying the login, and the browser's new session.
#[derive(Debug)]
pub struct LoggedIn {
    /// The interaction, bound to the new session.
    pub interaction: Interaction,
    /// The new session cookie value, to be set on the response. The session is rotated on
    /// login (OWASP ASVS V3.2.1, RFC 6749 §10.12's session-fixation concern): the cookie the
    /// browser held before signing in no longer authenticates anything.
    pub session_cookie: String,
}

/// Where an interaction is kept once it changes.
#[derive(Debug, Clone)]
struct Located {
    /// Its row's id.
    row_id: String,
    /// Its row's expiry: the interaction's for a request stored at `/authorize`; for a sealed
    /// handle, the handle's plus [`interaction_handle::TOMBSTONE_GRACE`].
    row_expires_at: UnixTime,
    /// Whether the row exists (a sealed interaction has none until it first changes).
    stored: bool,
}

/// Random bytes in a session cookie (256 bits, base64url: 43 characters).
const SESSION_COOKIE_BYTES: usize = 32;

/// A new interaction id: the time in milliseconds as 11 hex digits, then 24 random bytes
/// (base64url, 32 characters). The prefix only keeps the rows a node writes one after another
/// next to each other in the store's primary-key index, so that a group of inserts (see
/// `writ-store`) touches a page or two of the index instead of one page per row; the random
/// part alone makes the id unique and unguessable. The prefix is not the [`Clock`]: it takes
/// part in no rule, the expiry is stored on the row.
fn new_interaction_id(random: &[u8; 24]) -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    // 11 hex digits last until the year 2527; later ones are longer and still sort after.
    format!("{millis:011x}{}", token_text(random))
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

/// Whether `c` could be a cookie made by [`random_token`] with [`SESSION_COOKIE_BYTES`]:
/// 43 base64url characters.
fn is_session_cookie_shaped(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Password attempts allowed per interaction before it is ended with `access_denied`.
pub const MAX_FAILED_LOGINS: u32 = 5;

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
    pub request_object_transport: Option<authorize::source::Transport>,
}

/// SPEC §12: one audit event per refused request object, with the failing check.
pub(crate) fn audit_refused_request_object(e: &OAuthError) {
    if let Some(a) = &e.request_object {
        tracing::warn!(
            target: "writ::audit",
            event = "request_object_refused",
            client_id = a.client_id.as_deref().unwrap_or(""),
            check = a.check,
            kid = a.kid.as_deref().unwrap_or(""),
            alg = a.alg.as_deref().unwrap_or(""),
            error = e.code.as_str(),
            description = %e.description,
            detail = e.detail.as_deref().unwrap_or(""),
            "request object refused"
        );
    }
}

/// Name the client in a refused request object's audit record.
pub(crate) fn for_audit(mut e: OAuthError, client: &crate::clients::Client) -> OAuthError {
    if let Some(a) = e.request_object.as_mut() {
        a.client_id = Some(client.id().to_string());
    }
    e
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
    /// The flow ends with an error delivered to the client.
    Redirect(String),
}

impl From<OAuthError> for InteractionError {
    fn from(e: OAuthError) -> Self {
        InteractionError::Page(e)
    }
}

fn page(code: ErrorCode, text: &'static str) -> InteractionError {
    InteractionError::Page(OAuthError::new(code, text))
}

/// Build `base?k=v&...` keeping any query `base` already has (RFC 6749 §3.1.2).
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> Result<String, OAuthError> {
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

impl Provider {
    /// Assemble a provider. Keys are loaded (and generated on first start) here.
    pub async fn new(
        settings: Settings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Rng>,
    ) -> Result<Self, crate::keys::KeyError> {
        let keys = KeyRing::open(store.clone(), clock.now()).await?;
        Ok(Provider {
            settings,
            clients: ClientRegistry::new(store.clone()),
            store,
            clock,
            rng,
            keys,
            remote_keys: RemoteKeys::new(None),
            request_uri_fetcher: None,
            password_slots: Semaphore::new(2),
        })
    }

    /// Use `fetcher` for clients' `jwks_uri` (without one, such clients' request objects and
    /// assertions are refused with a clear reason).
    pub fn with_jwks_fetcher(mut self, fetcher: Arc<dyn JwksFetcher>) -> Self {
        self.remote_keys = RemoteKeys::new(Some(fetcher));
        self
    }

    /// Use `fetcher` for client-hosted `request_uri`s (without one they are refused with
    /// `request_uri_not_supported`).
    pub fn with_request_uri_fetcher(mut self, fetcher: Arc<dyn RequestUriFetcher>) -> Self {
        self.request_uri_fetcher = Some(fetcher);
        self
    }

    /// A redirect URL delivering `error` to the client (RFC 6749 §4.1.2.1, RFC 9207 `iss`).
    pub fn error_redirect(&self, e: &OAuthError) -> Option<String> {
        let t = e.redirect.as_ref()?;
        let mut pairs = vec![
            ("error", e.code.as_str()),
            ("error_description", e.description.as_ref()),
        ];
        if let Some(s) = &t.state {
            pairs.push(("state", s));
        }
        pairs.push(("iss", &self.settings.issuer));
        with_query(&t.redirect_uri, &pairs).ok()
    }

    /// End an interaction with `e`: a redirect to the client when it can be delivered there,
    /// else an error page.
    fn end_with(&self, e: OAuthError) -> InteractionError {
        match self.error_redirect(&e) {
            Some(url) => InteractionError::Redirect(url),
            None => InteractionError::Page(e),
        }
    }

    /// `GET|POST /authorize` (SPEC §4): validate, then store the pending interaction bound to
    /// the browser session. `params` is the raw query or form.
    pub async fn authorize(
        &self,
        params: &[u8],
        session_cookie: Option<&str>,
    ) -> Result<AuthorizeNext, OAuthError> {
        self.authorize_inner(params, session_cookie)
            .await
            .inspect_err(audit_refused_request_object)
    }

    async fn authorize_inner(
        &self,
        params: &[u8],
        session_cookie: Option<&str>,
    ) -> Result<AuthorizeNext, OAuthError> {
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
        let ro_ctx = self.request_object_context(now, &keys);
        let request = authorize::run(&self.settings, &ro_ctx, &client, &raw)
            .await
            .map_err(|e| for_audit(e, &client))?;
        let target = request.redirect_target();
        // Every random value of a new interaction, in one draw.
        let random = AuthorizeRandom::draw(self.rng.as_ref());

        let session = match session_cookie {
            Some(c) if c.len() <= 128 => self.store.session_get(&hash_token(c), now).await?,
            _ => None,
        };
        if request.prompt.none {
            let logged_in = session.as_ref().is_some_and(|s| s.user_id.is_some());
            let e = if logged_in {
                OAuthError::new(
                    ErrorCode::ConsentRequired,
                    "consent is required and prompt=none forbids asking",
                )
            } else {
                OAuthError::new(ErrorCode::LoginRequired, "the user is not logged in")
            };
            return Err(e.redirect_to(&target));
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
        let row_id = new_interaction_id(&random.row_id);
        let request_object_transport = request
            .request_object
            .is_some()
            .then_some(request.transport);
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
        let location = match &self.settings.interaction_url {
            Some(u) => format!("{}/{id}", u.trim_end_matches('/')),
            None => self.settings.endpoint(&format!("/interaction/{id}")),
        };
        Ok(AuthorizeNext {
            location,
            interaction_id: id,
            set_session_cookie: set_cookie,
            request_object_transport,
        })
    }

    /// Authenticate the client of a request to `endpoint` (`/token`, `/par`) with this
    /// server's settings (SPEC §2 client authentication; RFC 7523 §3 for assertions, whose
    /// `aud` may also name one of `other_audiences`).
    pub(crate) async fn authenticate_client(
        &self,
        form: &RawParams,
        authorization: Option<&str>,
        endpoint: &str,
        other_audiences: &[&str],
    ) -> Result<Arc<Client>, OAuthError> {
        let endpoint_url = self.settings.endpoint(endpoint);
        let ctx = AuthContext {
            issuer: &self.settings.issuer,
            endpoint_url: &endpoint_url,
            other_audiences,
            max_assertion_lifetime: self.settings.lifetimes.client_assertion,
            assertion_algs: self.settings.assertion_signing_algs(),
            skew: self.settings.jar.clock_skew.as_i64(),
            remote_keys: Some(&self.remote_keys),
        };
        client_auth::authenticate(
            &self.clients,
            self.store.as_ref(),
            self.clock.as_ref(),
            &ctx,
            form,
            authorization,
        )
        .await
    }

    /// What the request-object stages need, now.
    pub(crate) fn request_object_context<'a>(
        &'a self,
        now: UnixTime,
        keys: &'a KeySnapshot,
    ) -> request_object::Context<'a> {
        request_object::Context {
            policy: &self.settings.jar_policy,
            issuer: &self.settings.issuer,
            now,
            decryption_keys: keys.decryption_keys(),
            remote_keys: &self.remote_keys,
            store: Some(self.store.as_ref()),
            request_uri_fetcher: self.request_uri_fetcher.as_deref(),
        }
    }

    async fn save_interaction(&self, at: &Located, i: &Interaction) -> Result<(), OAuthError> {
        let payload = serde_json::to_string(i)
            .map_err(|e| OAuthError::server(format!("interaction encode: {e}")))?;
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
    async fn answer_interaction(
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
    async fn load_interaction(
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
                let i: Interaction = serde_json::from_str(&r.payload)
                    .map_err(|e| OAuthError::server(format!("interaction decode: {e}")))?;
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

    fn check_csrf(i: &Interaction, csrf: Option<&str>) -> Result<(), InteractionError> {
        match csrf {
            Some(c) if constant_time_eq(c.as_bytes(), i.csrf.as_bytes()) => Ok(()),
            _ => Err(page(
                ErrorCode::AccessDenied,
                "the form has expired or was not sent by this site; start again",
            )),
        }
    }

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
                    OAuthError::new(ErrorCode::AccessDenied, "too many failed sign-in attempts")
                        .redirect_to(&i.request.redirect_target());
                return Err(match self.error_redirect(&e) {
                    Some(url) => InteractionError::Redirect(url),
                    None => InteractionError::Page(e),
                });
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
        let cookie = random_token(self.rng.as_ref(), SESSION_COOKIE_BYTES);
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

    /// `POST /interaction/{id}/consent`: the person's decision. Returns the redirect to the
    /// client: a code on `allow`, `access_denied` on `deny`. The interaction is used once.
    pub async fn consent(
        &self,
        id: &str,
        session_cookie: Option<&str>,
        csrf: Option<&str>,
        decision: &str,
    ) -> Result<String, InteractionError> {
        let (at, i) = self.load_interaction(id, session_cookie).await?;
        Self::check_csrf(&i, csrf)?;
        let Some(login) = i.login.clone() else {
            return Err(page(
                ErrorCode::InvalidRequest,
                "sign in before giving consent",
            ));
        };
        let allow = match decision {
            "allow" => true,
            "deny" => false,
            _ => {
                return Err(page(
                    ErrorCode::InvalidRequest,
                    "decision must be allow or deny",
                ));
            }
        };
        // The registration may have changed since `/authorize` (a sealed interaction carries
        // its validated request for up to its lifetime): the client must still exist and the
        // redirect_uri still be one of its, or nothing is sent there.
        let registered = self
            .clients
            .get(&i.request.client_id)
            .await?
            .is_some_and(|c| c.has_redirect_uri(&i.request.redirect_uri));
        if !registered {
            return Err(page(
                ErrorCode::InvalidRequest,
                "the application's registration changed since this sign-in began; start \
                 again from the application",
            ));
        }
        let now = self.clock.now();
        // One-time: of two concurrent submissions only one proceeds.
        if !self.answer_interaction(&at, &i, now).await? {
            return Err(page(
                ErrorCode::InvalidRequest,
                "this request was already answered",
            ));
        }
        let target = i.request.redirect_target();
        if !allow {
            let e = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request")
                .redirect_to(&target);
            return Err(self.end_with(e));
        }
        let code = self.issue_code(&i.request, &login, now).await?;
        let mut pairs = vec![("code", code.as_str())];
        if let Some(s) = &i.request.state {
            pairs.push(("state", s));
        }
        pairs.push(("iss", &self.settings.issuer));
        Ok(with_query(&i.request.redirect_uri, &pairs)?)
    }

    async fn issue_code(
        &self,
        request: &ValidatedRequest,
        login: &LoginState,
        now: UnixTime,
    ) -> Result<String, OAuthError> {
        let grant_id = random_token(self.rng.as_ref(), 16);
        self.store
            .grant_insert(&StoredGrant {
                id: grant_id.clone(),
                client_id: request.client_id.clone(),
                subject: login.user_id.clone(),
                created_at: now,
                expires_at: now + self.settings.lifetimes.refresh_token,
                revoked_at: None,
            })
            .await?;
        let code = random_token(self.rng.as_ref(), 32);
        let payload = crate::token::CodePayload {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            subject: login.user_id.clone(),
            auth_time: login.auth_time,
        };
        self.store
            .code_insert(&StoredCode {
                code_hash: hash_token(&code),
                grant_id,
                payload: serde_json::to_string(&payload)
                    .map_err(|e| OAuthError::server(format!("code encode: {e}")))?,
                expires_at: now + self.settings.lifetimes.code,
            })
            .await?;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::SystemRng;

    #[test]
    fn interaction_ids_sort_by_creation_time_and_fit_the_route() {
        let a = new_interaction_id(&AuthorizeRandom::draw(&SystemRng).row_id);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_interaction_id(&AuthorizeRandom::draw(&SystemRng).row_id);
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

    #[test]
    fn session_cookie_shape_is_what_random_token_makes() {
        assert!(is_session_cookie_shaped(&random_token(
            &SystemRng,
            SESSION_COOKIE_BYTES
        )));
        assert!(!is_session_cookie_shaped("short"));
        assert!(!is_session_cookie_shaped(&"a".repeat(44)));
        assert!(!is_session_cookie_shaped(&format!("{}=", "a".repeat(42))));
    }
}
