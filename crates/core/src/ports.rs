//! The ports through which the core reaches the outside world: time, randomness and storage.
//!
//! The core never talks to a database or a clock directly; the server wires in real
//! implementations and the tests wire in fixed ones, so every time-dependent rule can be
//! tested exactly. All times are Unix seconds (`i64`).

pub use crate::payload::{
    CodeRecord, InteractionRecord, Payload, PayloadError, PushedRecord, Record, RefreshRecord,
};
use async_trait::async_trait;

/// Unix time in whole seconds.
pub type UnixTime = i64;

/// A source of the current time (injected so tests control it). The core reads time only
/// through this port: `clippy.toml` refuses `SystemTime::now` and `Instant::now` in the crate.
pub trait Clock: Send + Sync {
    /// The current time, Unix seconds.
    fn now(&self) -> UnixTime;
    /// The current time, Unix milliseconds: for what needs more than seconds (cache ages,
    /// the ordering prefix of row ids). By default the seconds, scaled.
    fn now_millis(&self) -> i64 {
        self.now().saturating_mul(1000)
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl SystemClock {
    #[allow(clippy::disallowed_methods)] // the adapter: the one place the core reads the OS clock
    fn since_epoch() -> std::time::Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        i64::try_from(Self::since_epoch().as_secs()).unwrap_or(i64::MAX)
    }
    fn now_millis(&self) -> i64 {
        i64::try_from(Self::since_epoch().as_millis()).unwrap_or(i64::MAX)
    }
}

/// A source of cryptographically strong random bytes (injected so tests can be deterministic).
/// The core draws randomness only through this port (see `clippy.toml`).
pub trait Rng: Send + Sync {
    /// Fill `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]);
}

/// The operating system's CSPRNG, through aws-lc-rs.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRng;

impl Rng for SystemRng {
    #[allow(clippy::disallowed_methods)] // the adapter: the one place the core reads the OS CSPRNG
    fn fill(&self, dest: &mut [u8]) {
        use aws_lc_rs::rand::SecureRandom;
        // aws-lc-rs only fails here if the OS entropy source is broken; there is no safe way
        // to continue issuing secrets then.
        if aws_lc_rs::rand::SystemRandom::new().fill(dest).is_err() {
            panic!("the operating system's random source failed");
        }
    }
}

/// A failure of the storage backend. Never shown to a client: the server logs it and answers
/// `server_error` / `temporarily_unavailable`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend failed (connection, SQL, I/O).
    #[error("storage backend: {0}")]
    Backend(String),
    /// A row could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A unique key already exists (for inserts that must not overwrite).
    #[error("already exists: {0}")]
    Conflict(String),
}

/// A registered client. `metadata` is the client's configuration as JSON
/// (`writ_protocol::client::ClientConfig`); the store does not interpret it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClient {
    /// `client_id`, the primary key.
    pub client_id: String,
    /// The client's configuration, JSON.
    pub metadata: String,
    /// When the row was last written.
    pub updated_at: UnixTime,
}

/// A user account of the built-in identity store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    /// Stable subject identifier (`sub`), primary key.
    pub id: String,
    /// Login name, unique.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Extra OpenID claims, JSON object.
    pub claims: String,
    /// When the row was created.
    pub created_at: UnixTime,
}

/// What a server key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUse {
    /// Signs ID tokens and access tokens (`use=sig`).
    Sig,
    /// Decrypts request objects (`use=enc`).
    Enc,
}

impl KeyUse {
    /// The JWK `use` value.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyUse::Sig => "sig",
            KeyUse::Enc => "enc",
        }
    }
    /// Parse a JWK `use` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sig" => Some(KeyUse::Sig),
            "enc" => Some(KeyUse::Enc),
            _ => None,
        }
    }
}

/// The life-cycle state of a server key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// Used for new signatures (the newest active key per alg), published.
    Active,
    /// Replaced by a newer key: still published and still verifies/decrypts, never signs.
    Retiring,
    /// No longer published or used.
    Retired,
}

impl KeyState {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Retiring => "retiring",
            KeyState::Retired => "retired",
        }
    }
    /// Parse the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(KeyState::Active),
            "retiring" => Some(KeyState::Retiring),
            "retired" => Some(KeyState::Retired),
            _ => None,
        }
    }
}

/// A server key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Key id (RFC 7638 thumbprint), primary key.
    pub kid: String,
    /// Signing or decryption.
    pub key_use: KeyUse,
    /// JWA algorithm the key is for (`RS256`, `ES256`, `RSA-OAEP-256`, `ECDH-ES`...).
    pub alg: String,
    /// The private key, PKCS#8 DER (a sealing key: its 32 bytes); with a key-encryption key
    /// configured, its envelope ([`crate::key_encryption`]).
    pub private_pkcs8: Vec<u8>,
    /// The public JWK, JSON.
    pub public_jwk: String,
    /// Life-cycle state.
    pub state: KeyState,
    /// Creation time (newest active key of an alg signs).
    pub created_at: UnixTime,
}

/// A pending authorization request waiting for login and consent (SPEC §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInteraction {
    /// Interaction id (random, URL-safe), primary key.
    pub id: String,
    /// The validated request and interaction progress (empty once answered).
    pub payload: Payload<InteractionRecord>,
    /// Expiry.
    pub expires_at: UnixTime,
    /// Answered (consent given or refused, or ended): a tombstone kept until it expires, so
    /// that the interaction cannot be started again from a sealed handle. Writers set `false`.
    pub answered: bool,
}

/// A browser session (login state), referenced by an opaque cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// Session id: SHA-256 of the cookie value, base64url (the raw cookie is never stored).
    pub id: String,
    /// The authenticated user, once logged in.
    pub user_id: Option<String>,
    /// When the user authenticated (`auth_time`).
    pub auth_time: Option<UnixTime>,
    /// Expiry.
    pub expires_at: UnixTime,
}

/// An authorization code (SPEC §9): stored by hash, redeemable once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode {
    /// SHA-256 of the code, base64url, primary key.
    pub code_hash: String,
    /// The grant this code belongs to (revoked as a whole on reuse).
    pub grant_id: String,
    /// What the code stands for (client, redirect_uri, PKCE challenge, scope, nonce...).
    pub payload: Payload<CodeRecord>,
    /// Expiry.
    pub expires_at: UnixTime,
}

/// A pushed authorization request (RFC 9126 §2): what `/par` validated, waiting for the one
/// `/authorize` that names its `request_uri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPushedRequest {
    /// SHA-256 of the random part of the `request_uri`, base64url, primary key (the URN
    /// itself is never stored, so a copy of the database cannot be used to redeem one).
    pub uri_hash: String,
    /// The client that pushed it; only that client can use it (RFC 9126 §4).
    pub client_id: String,
    /// The validated request.
    pub payload: Payload<PushedRecord>,
    /// Expiry (`expires_in` of the PAR response).
    pub expires_at: UnixTime,
}

/// The outcome of an atomic one-time consumption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed<T> {
    /// This call consumed it; no other call ever will.
    Now(T),
    /// It exists but was consumed before (or is expired): a replay. Carries the record so
    /// the caller can revoke what the first use produced.
    Already(T),
    /// Unknown.
    Missing,
}

/// One key for the replay cache: remembered in `namespace` until `expires_at`
/// ([`Store::replay_insert_each`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayEntry<'a> {
    /// What kind of key (`client_assertion`, `dpop`, ...): the same key in two namespaces is
    /// two entries.
    pub namespace: &'a str,
    /// The key itself.
    pub key: &'a str,
    /// When the entry may be forgotten (and the key accepted again).
    pub expires_at: UnixTime,
}

/// The most entries one [`Store::replay_insert_each`] call takes.
pub const MAX_REPLAY_ENTRIES: usize = 4;

/// A grant: what one authorization produced (codes, refresh tokens, access tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGrant {
    /// Grant id, primary key.
    pub id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The user (`sub`).
    pub subject: String,
    /// Creation time.
    pub created_at: UnixTime,
    /// Expiry (the longest-lived token of the grant).
    pub expires_at: UnixTime,
    /// Set when revoked (code reuse, refresh token reuse, logout).
    pub revoked_at: Option<UnixTime>,
}

/// A refresh token, stored by hash; rotated on every use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRefreshToken {
    /// SHA-256 of the token, base64url, primary key.
    pub token_hash: String,
    /// The grant it belongs to.
    pub grant_id: String,
    /// Scope, client, subject...
    pub payload: Payload<RefreshRecord>,
    /// Expiry.
    pub expires_at: UnixTime,
}

/// What one token response leaves in the store (RFC 6749 §5.1): its new refresh token, if it
/// has one, and how long its grant must live at least (as long as the longest-lived token it
/// now has). Written by [`Store::tokens_issued`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    /// The grant the tokens belong to.
    pub grant_id: String,
    /// The grant is kept until at least then (never shortened).
    pub grant_expires_at: UnixTime,
    /// The new refresh token, if one was issued; its `grant_id` is [`IssuedTokens::grant_id`].
    pub refresh: Option<StoredRefreshToken>,
}

/// Everything Writ keeps. One implementation per backend (`writ-store`: SQLite and
/// PostgreSQL), each proven by the same conformance suite.
///
/// Rules every implementation must keep:
/// - `*_consume` is atomic: of any number of concurrent calls for one key, exactly one gets
///   [`Consumed::Now`]; the rest get [`Consumed::Already`] (or `Missing`).
/// - Expired rows behave as absent for `get` and are never consumed, whatever `purge_expired`
///   has or has not removed yet; `now` is passed in (never the database's own clock).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // --- clients ---
    /// Insert or replace a client.
    async fn client_upsert(&self, client: &StoredClient) -> Result<(), StoreError>;
    /// Look a client up.
    async fn client_get(&self, client_id: &str) -> Result<Option<StoredClient>, StoreError>;
    /// All clients, ordered by `client_id`.
    async fn client_list(&self) -> Result<Vec<StoredClient>, StoreError>;
    /// Remove a client; `true` if it existed.
    async fn client_remove(&self, client_id: &str) -> Result<bool, StoreError>;

    // --- users ---
    /// Insert or replace a user, keyed by `username` (the `id` of an existing user with that
    /// username is kept).
    async fn user_upsert(&self, user: &StoredUser) -> Result<StoredUser, StoreError>;
    /// Look a user up by username.
    async fn user_by_username(&self, username: &str) -> Result<Option<StoredUser>, StoreError>;
    /// Look a user up by id (`sub`).
    async fn user_get(&self, id: &str) -> Result<Option<StoredUser>, StoreError>;
    /// All users, ordered by username.
    async fn user_list(&self) -> Result<Vec<StoredUser>, StoreError>;
    /// Remove the user with this id, revoking its grants (at `now`) and ending its sessions;
    /// `true` if it existed.
    async fn user_remove(&self, id: &str, now: UnixTime) -> Result<bool, StoreError>;

    // --- keys ---
    /// Add a key (`Conflict` if the kid exists).
    async fn key_insert(&self, key: &StoredKey) -> Result<(), StoreError>;
    /// All keys in every state, oldest first.
    async fn key_list(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Change a key's state; `true` if it existed.
    async fn key_set_state(&self, kid: &str, state: KeyState) -> Result<bool, StoreError>;
    /// Replace a key's stored private part (its envelope under a new key-encryption key,
    /// [`crate::key_encryption`]) if it is still `old`; `true` if it was replaced. Two nodes
    /// re-sealing at once: one wins, the other sees `false`.
    async fn key_set_private(&self, kid: &str, old: &[u8], new: &[u8]) -> Result<bool, StoreError>;

    // --- interactions (pending authorization requests) ---
    /// Insert or replace an interaction, unless it was answered: an answered interaction is
    /// never replaced.
    async fn interaction_put(&self, interaction: &StoredInteraction) -> Result<(), StoreError>;
    /// An unexpired interaction, answered or not.
    async fn interaction_get(
        &self,
        id: &str,
        now: UnixTime,
    ) -> Result<Option<StoredInteraction>, StoreError>;
    /// Atomically mark an unexpired, unanswered interaction answered and drop its payload
    /// (one-time completion); `true` for exactly one of concurrent callers. The row stays, as
    /// a tombstone, until it expires.
    async fn interaction_take(&self, id: &str, now: UnixTime) -> Result<bool, StoreError>;

    // --- browser sessions ---
    /// Insert or replace a session.
    async fn session_put(&self, session: &StoredSession) -> Result<(), StoreError>;
    /// An unexpired session.
    async fn session_get(
        &self,
        id: &str,
        now: UnixTime,
    ) -> Result<Option<StoredSession>, StoreError>;
    /// Remove a session.
    async fn session_delete(&self, id: &str) -> Result<(), StoreError>;

    // --- grants, codes, refresh tokens ---
    /// Record a new grant.
    async fn grant_insert(&self, grant: &StoredGrant) -> Result<(), StoreError>;
    /// Look a grant up (whatever its state).
    async fn grant_get(&self, id: &str) -> Result<Option<StoredGrant>, StoreError>;
    /// Revoke a grant and delete its unused codes and refresh tokens.
    async fn grant_revoke(&self, id: &str, now: UnixTime) -> Result<(), StoreError>;
    /// Store a new code.
    async fn code_insert(&self, code: &StoredCode) -> Result<(), StoreError>;
    /// Redeem a code once (see the trait rules). An expired, unconsumed code is `Missing`.
    async fn code_consume(
        &self,
        code_hash: &str,
        now: UnixTime,
    ) -> Result<Consumed<StoredCode>, StoreError>;
    /// Store a refresh token.
    async fn refresh_insert(&self, token: &StoredRefreshToken) -> Result<(), StoreError>;
    /// Record a token response: store its new refresh token, if any, and keep its grant until
    /// at least `grant_expires_at` (never shortening it), in one call: one statement on
    /// PostgreSQL; on SQLite, two statements shared with the concurrent token responses' (the
    /// refresh tokens first, then the grants). Once it returns, both are visible to every node.
    /// The refresh token, once written, is not written again by a retry.
    async fn tokens_issued(&self, issued: IssuedTokens) -> Result<(), StoreError>;
    /// Use a refresh token once (rotation). A consumed token gives `Already` (reuse → the
    /// caller revokes the grant); an expired one gives `Missing`.
    async fn refresh_consume(
        &self,
        token_hash: &str,
        now: UnixTime,
    ) -> Result<Consumed<StoredRefreshToken>, StoreError>;

    // --- pushed authorization requests ---
    /// Store a pushed request (`Conflict` if the hash exists).
    async fn pushed_request_insert(&self, request: &StoredPushedRequest) -> Result<(), StoreError>;
    /// Atomically remove and return the unexpired pushed request `uri_hash` pushed by
    /// `client_id` (RFC 9126 §4: one-time use, bound to the client). Of any number of
    /// concurrent calls, at most one gets it. Another client's call gets `None` and leaves it
    /// in place.
    async fn pushed_request_take(
        &self,
        uri_hash: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<Option<StoredPushedRequest>, StoreError>;

    /// Use a refresh token without consuming it (no rotation): an unused, unexpired token
    /// gets `expires_at` and is returned; a used, expired or unknown one is `None`.
    async fn refresh_touch(
        &self,
        token_hash: &str,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<Option<StoredRefreshToken>, StoreError>;

    /// An unused, unexpired refresh token, read without using it (introspection, RFC 7662;
    /// revocation, RFC 7009). A used, expired or unknown one is `None`.
    async fn refresh_get_live(
        &self,
        token_hash: &str,
        now: UnixTime,
    ) -> Result<Option<StoredRefreshToken>, StoreError>;

    // --- replay cache ---
    /// Whether an unexpired entry `(namespace, key)` exists (a revoked access token's `jti`,
    /// RFC 7009 §2). Sees every insert acknowledged on any node.
    async fn replay_seen(
        &self,
        namespace: &str,
        key: &str,
        now: UnixTime,
    ) -> Result<bool, StoreError>;
    /// Remember `(namespace, key)` until `expires_at`. `true` if it was new, `false` if an
    /// unexpired entry existed (a replay). Atomic across nodes.
    async fn replay_insert_once(
        &self,
        namespace: &str,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<bool, StoreError>;
    /// Remember every entry as [`Store::replay_insert_once`] would, in one atomic write (one
    /// statement, one round trip): a token request's client assertion `jti` and DPoP proof
    /// `jti` (RFC 7523 §3, RFC 9449 §11.1) cost one write, not two. Returns, at each entry's
    /// index, `true` if it was new and `false` if an unexpired entry existed (a replay); an
    /// entry given twice is new at most the first time. Every entry is written whatever the
    /// others' outcome. More than [`MAX_REPLAY_ENTRIES`] entries is an error.
    async fn replay_insert_each(
        &self,
        entries: &[ReplayEntry<'_>],
        now: UnixTime,
    ) -> Result<Vec<bool>, StoreError>;

    // --- attempt counters ---
    /// Atomically raise the count of `(namespace, key)`: a new one, or one whose window has
    /// ended, starts at 1 with its window ending at `window_end`; a live one goes up by 1 in
    /// its own window. Returns the new count and the end of its window. Of any number of
    /// concurrent callers, on any node, each gets a different count.
    async fn attempt_add(
        &self,
        namespace: &str,
        key: &str,
        window_end: UnixTime,
        now: UnixTime,
    ) -> Result<(u32, UnixTime), StoreError>;
    /// The live count of `(namespace, key)` and the end of its window, if any.
    async fn attempt_get(
        &self,
        namespace: &str,
        key: &str,
        now: UnixTime,
    ) -> Result<Option<(u32, UnixTime)>, StoreError>;
    /// Make the window of `(namespace, key)` end no earlier than `until` (a lock that
    /// outlasts the counting window).
    async fn attempt_extend(
        &self,
        namespace: &str,
        key: &str,
        until: UnixTime,
    ) -> Result<(), StoreError>;
    /// Forget the count of `(namespace, key)`; whether there was one.
    async fn attempt_clear(&self, namespace: &str, key: &str) -> Result<bool, StoreError>;

    // --- housekeeping ---
    /// Delete rows expired before `now` (interactions, sessions, codes, refresh tokens,
    /// pushed requests, replay entries, attempt counters, grants past expiry). Returns how many rows went.
    async fn purge_expired(&self, now: UnixTime) -> Result<u64, StoreError>;
}
