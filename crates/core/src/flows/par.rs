//! `POST /par`: pushed authorization requests (RFC 9126 §2; SPEC §6).
//!
//! The client authenticates as at the token endpoint; what it pushes (plain parameters, or a
//! `request` object with nothing beside it but client authentication) goes through the same
//! stages as `/authorize` ([`authorize::run`] with [`Endpoint::Par`]); the validated request is stored for
//! `[par] lifetime` and the client gets a one-time `request_uri` for it
//! ([`authorize::pushed`]). Errors are JSON (RFC 9126 §2.3), never redirects.

use super::audit::{audit_refused_request_object, for_audit};
use crate::authorize::pushed::{self, CLIENT_AUTHENTICATION, PushedAuthorizationResponse};
use crate::authorize::{self, Endpoint, params::RawParams};
use crate::dpop::Sent;
use crate::error::OAuthError;
use crate::provider::Provider;

/// The store's counter of pushes per public client.
const PUBLIC_PUSHES: &str = "par_public_client";

impl Provider {
    /// `POST /par`. `form` is the raw body; `authorization` the `Authorization` header;
    /// `dpop` the request's `DPoP` headers, whose key binds the code (RFC 9449 §10.1).
    pub async fn push(
        &self,
        form: &[u8],
        authorization: Option<&str>,
        dpop: Sent<'_>,
    ) -> Result<PushedAuthorizationResponse, OAuthError> {
        self.push_inner(form, authorization, dpop)
            .await
            .inspect_err(audit_refused_request_object)
    }

    async fn push_inner(
        &self,
        form: &[u8],
        authorization: Option<&str>,
        dpop: Sent<'_>,
    ) -> Result<PushedAuthorizationResponse, OAuthError> {
        if !self.settings.par.enabled {
            return Err(OAuthError::invalid_request(
                "pushed authorization requests are not enabled on this server",
            ));
        }
        let max = self.settings.jar.max_request_object_bytes.as_usize() + 16 * 1024;
        let raw = RawParams::parse(form, max)?;
        let token_endpoint = self.settings.endpoint("/token");
        let client = self
            .authenticate_client(&raw, authorization, "/par", &[token_endpoint.as_str()])
            .await?;
        if raw.get("client_id").is_some_and(|id| id != client.id()) {
            return Err(OAuthError::invalid_request(
                "client_id does not name the authenticated client (RFC 9126 §2.1)",
            ));
        }
        let proof = self.client_dpop_proof(&dpop, "/par", &client).await?;
        // The request proper: without the client's credentials, with its client_id.
        let mut params = raw.into_map();
        params.retain(|k, _| k == "client_id" || !CLIENT_AUTHENTICATION.contains(&k.as_str()));
        params.insert("client_id".into(), client.id().to_string());
        let params = RawParams::from_map(params);

        let now = self.clock.now();
        let keys = self.keys.current();
        let ctx = self.pipeline_context(now, &keys);
        // Errors at /par are JSON (RFC 9126 §2.3): where they would go does not matter.
        let request = authorize::run(&ctx, Endpoint::Par, &client, &params)
            .await
            .map_err(|e| for_audit(e.into_error(), &client))?;
        let request = match &proof {
            Some(p) => request.bind_dpop_key(p.jkt())?,
            None => request,
        };
        let lifetime = self.settings.par_lifetime(&client);
        let admitted = pushed::Admitted::encode(&request)?;
        // A public client does not authenticate: anyone can push as it, and each push is a
        // row until it expires. Its pushes are bounded in size, then in number per lifetime
        // (issue 16, finding 2).
        let admitted = if client.config.is_public() {
            let admitted = admitted.at_most(crate::interaction_handle::MAX_HANDLE_BYTES)?;
            self.public_push_quota(&client, now, lifetime).await?;
            admitted
        } else {
            admitted
        };
        pushed::push(
            self.store.as_ref(),
            self.rng.as_ref(),
            admitted,
            now,
            self.clock.now_millis(),
            lifetime,
        )
        .await
    }

    /// `[par] public_client_quota`: pushes of the public `client` per `lifetime`, counted on
    /// every node.
    async fn public_push_quota(
        &self,
        client: &crate::clients::Client,
        now: crate::ports::UnixTime,
        lifetime: i64,
    ) -> Result<(), OAuthError> {
        let quota = self.settings.par.public_client_quota;
        let (n, window_end) = self
            .store
            .attempt_add(PUBLIC_PUSHES, client.id(), now + lifetime, now)
            .await?;
        if n > quota {
            let wait = u32::try_from(window_end - now).unwrap_or(1);
            return Err(OAuthError::too_many_requests(
                writ_protocol::ErrorCode::TemporarilyUnavailable,
                format!(
                    "this public client pushed {quota} requests within {lifetime} s, its quota; \
                     try again in {wait} s"
                ),
                wait,
            ));
        }
        Ok(())
    }
}
