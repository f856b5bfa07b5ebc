//! The provider: the ports, settings, clients and keys together, and what every flow shares
//! (the pipeline's context, client authentication, delivery to the redirect URI). The flows
//! themselves are in [`crate::flows`], one file each; the HTTP layer calls their methods and
//! only translates their results.

use crate::authorize::request_uri::RequestUriFetcher;
use crate::authorize::{self, params::RawParams, request_object};
use crate::client_auth::{self, AuthContext};
use crate::client_keys::{JwksFetcher, RemoteKeys};
use crate::clients::{Client, ClientRegistry};
use crate::error::OAuthError;
use crate::keys::{KeyRing, KeySnapshot};
use crate::ports::{Clock, Rng, Store, UnixTime};
use crate::response::{self, AuthorizationResponse, Delivery, RedirectTarget};
use crate::settings::Settings;
use std::sync::Arc;
use tokio::sync::Semaphore;
use writ_jose::JwsAlg;
use writ_protocol::config::AssertionAudience;

/// How long a JARM response is valid (JARM §2.1: `exp`; SPEC §14: at most 10 minutes). The
/// browser carries it to the client at once; the code inside lives shorter still.
pub const JARM_LIFETIME_SECS: i64 = 300;

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
    pub(crate) password_slots: Semaphore,
}

impl Provider {
    /// Assemble a provider. Keys are loaded (and generated on first start) here.
    pub async fn new(
        settings: Settings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Rng>,
    ) -> Result<Self, crate::keys::KeyError> {
        let keys = KeyRing::open(
            store.clone(),
            settings.key_encryption.clone(),
            rng.as_ref(),
            clock.now(),
        )
        .await?;
        Ok(Provider {
            settings,
            clients: ClientRegistry::new(store.clone(), clock.clone()),
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

    /// `response` on its way to `target` by the target's response mode (SPEC §14): the
    /// parameters of [`response::parameters`], signed as one JWT for a JARM mode (and then
    /// encrypted to the client when it registered for that), put on the mode's channel
    /// ([`Delivery::by`]).
    pub async fn deliver(
        &self,
        target: &RedirectTarget,
        response: AuthorizationResponse<'_>,
    ) -> Result<Delivery, OAuthError> {
        let params = response::parameters(&self.settings.issuer, target, response);
        let params = match target.mode().jarm() {
            None => params,
            Some(alg) => {
                let jwt = self.sign_jarm(target.client_id(), alg, params)?;
                vec![(
                    "response",
                    self.encrypt_jarm(target.client_id(), jwt).await?,
                )]
            }
        };
        Delivery::by(target, params)
    }

    /// JARM §2.2, §3: a signed response, encrypted to the client when it registered
    /// `authorization_encrypted_response_alg`; as it is otherwise.
    async fn encrypt_jarm(&self, client_id: &str, jwt: String) -> Result<String, OAuthError> {
        let client = self
            .clients
            .get(client_id)
            .await?
            .ok_or_else(|| OAuthError::server("the client of a JARM response is gone"))?;
        let c = &client.config;
        self.encrypt_to(
            &client,
            c.authorization_encrypted_response_alg.as_ref(),
            c.authorization_encrypted_response_enc.as_ref(),
            jwt,
        )
        .await
    }

    /// A signed JWT for `client`, encrypted to it (a nested JWT, `cty: JWT`) with its
    /// registered `alg` and `enc` (default A128CBC-HS256), or as it is without an `alg`
    /// (JARM §3, RFC 9701 §6). The key: a registered `use: enc` JWK that fits, else one from
    /// its `jwks_uri`, or for A*KW and `dir` one keyed from its client secret.
    pub(crate) async fn encrypt_to(
        &self,
        client: &Client,
        alg: Option<&writ_protocol::alg::Configured<writ_jose::JweAlg>>,
        enc: Option<&writ_protocol::alg::Configured<writ_jose::JweEnc>>,
        jwt: String,
    ) -> Result<String, OAuthError> {
        use writ_protocol::alg::Configured;
        let Some(Configured::Known(alg)) = alg.cloned() else {
            return Ok(jwt);
        };
        let enc = match enc.cloned() {
            Some(Configured::Known(e)) => e,
            _ => writ_jose::JweEnc::A128CbcHs256,
        };
        let now = self.clock.now();
        let key = match client.encryption_key(alg, enc, now) {
            Ok(key) => key,
            Err(_) if !alg.is_symmetric() && client.config.jwks_uri.is_some() => self
                .remote_keys
                .encryption_keys(client, now)
                .await
                .map_err(|e| OAuthError::server(format!("jwks_uri: {}", e.detail)))?
                .iter()
                .find(|k| k.check_alg(alg, enc).is_ok())
                .cloned()
                .ok_or_else(|| {
                    OAuthError::server(format!(
                        "no key with use enc at the client's jwks_uri fits {alg}/{enc}"
                    ))
                })?,
            Err(e) => return Err(OAuthError::server(format!("response encryption key: {e}"))),
        };
        let mut header = serde_json::Map::new();
        header.insert("cty".into(), "JWT".into());
        if let Some(kid) = key.kid() {
            header.insert("kid".into(), kid.into());
        }
        writ_jose::encrypt_compact(&header, jwt.as_bytes(), alg, enc, &key)
            .map_err(|e| OAuthError::server(format!("response encryption: {e}")))
    }

    /// JARM §2.1: the response parameters as claims of one JWT, with `iss` (already among
    /// them), `aud` = the client and `exp`, signed with the server's key for `alg`.
    fn sign_jarm(
        &self,
        client_id: &str,
        alg: JwsAlg,
        params: Vec<(&'static str, String)>,
    ) -> Result<String, OAuthError> {
        let now = self.clock.now();
        let mut claims = serde_json::Map::with_capacity(params.len() + 3);
        for (k, v) in params {
            claims.insert(k.into(), v.into());
        }
        claims.insert("aud".into(), client_id.into());
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), (now + JARM_LIFETIME_SECS).into());
        self.keys
            .sign(alg, "JWT", &serde_json::Value::Object(claims))
            .map_err(|e| OAuthError::server(e.to_string()))
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
        self.authenticate_client_unrecorded(form, authorization, endpoint, other_audiences)
            .await?
            .record(self.store.as_ref(), self.clock.now())
            .await
    }

    /// [`Self::authenticate_client`], an assertion's `jti` not yet remembered.
    pub(crate) async fn authenticate_client_unrecorded(
        &self,
        form: &RawParams,
        authorization: Option<&str>,
        endpoint: &str,
        other_audiences: &[&str],
    ) -> Result<client_auth::Authenticated, OAuthError> {
        let endpoint_url = self.settings.endpoint(endpoint);
        let ctx = AuthContext {
            issuer: &self.settings.issuer,
            endpoint_url: &endpoint_url,
            other_audiences,
            max_assertion_lifetime: self.settings.lifetimes.client_assertion,
            audience: self
                .settings
                .assertion_audience
                .unwrap_or(AssertionAudience::IssuerOrEndpoint),
            server_profile: self.settings.jar.profile,
            assertion_algs: self.settings.assertion_signing_algs(),
            skew: self.settings.jar.clock_skew.as_i64(),
            remote_keys: Some(&self.remote_keys),
        };
        client_auth::authenticate_unrecorded(
            &self.clients,
            self.clock.as_ref(),
            &ctx,
            form,
            authorization,
        )
        .await
    }

    /// What the pipeline needs, now.
    pub(crate) fn pipeline_context<'a>(
        &'a self,
        now: UnixTime,
        keys: &'a KeySnapshot,
    ) -> authorize::Context<'a> {
        authorize::Context {
            settings: &self.settings,
            objects: request_object::Context {
                policy: &self.settings.jar_policy,
                issuer: &self.settings.issuer,
                now,
                decryption_keys: keys.decryption_keys(),
                remote_keys: &self.remote_keys,
                store: Some(self.store.as_ref()),
            },
            request_uri_fetcher: self.request_uri_fetcher.as_deref(),
        }
    }
}
