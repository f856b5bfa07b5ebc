//! The token endpoint (RFC 6749 §3.2; OpenID Connect Core §3.1.3), in this order: client
//! authentication; the DPoP proof, when one is sent or the client must send one (RFC 9449
//! §5); the `jti`s of both, remembered in one write; then the grant type:
//! `authorization_code` ([`super::code`]), `refresh_token` ([`super::refresh`]) or
//! `client_credentials` ([`super::client_credentials`]).

use std::sync::Arc;

use super::issue::TokenResponse;
use crate::authorize::params::RawParams;
use crate::client_auth::{self, Authenticated};
use crate::clients::Client;
use crate::dpop::{self, CheckedProof, DpopCheck, Sent};
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::replay;
use writ_protocol::ErrorCode;

/// Where a proof sent to this endpoint is checked against (`htu`).
const PATH: &str = "/token";

impl Provider {
    /// `POST /token`. `form` is the raw body; `authorization` the `Authorization` header;
    /// `dpop` the request's `DPoP` headers.
    pub async fn token(
        &self,
        form: &[u8],
        authorization: Option<&str>,
        dpop: Sent<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let form = RawParams::parse(form, 64 * 1024)?;
        let authenticated = self
            .authenticate_client_unrecorded(&form, authorization, PATH, &[])
            .await?;
        let (client, proof) = self.token_sender(authenticated, &dpop).await?;
        // RFC 9449 §5.2: `dpop_bound_access_tokens` (or a FAPI 2.0 profile, FAPI 2.0 Security
        // Profile §5.3.2) refuses a request without a proof.
        if proof.is_none() && self.settings.dpop_required(&client) {
            let e = dpop::refused(
                DpopCheck::Missing,
                "this client's access tokens must be DPoP-bound: send a DPoP proof (RFC 9449 §5.2)",
            );
            dpop::audit_refused(&e, Some(client.id()), PATH);
            return Err(e);
        }
        let proof = proof.as_ref();
        let grant_type = form
            .get("grant_type")
            .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
        match grant_type {
            "authorization_code" | "refresh_token" | "client_credentials"
                if !client.allows_grant(grant_type) =>
            {
                Err(OAuthError::new(
                    ErrorCode::UnauthorizedClient,
                    "the client is not registered for this grant type",
                ))
            }
            "authorization_code" => self.redeem_code(&client, &form, proof).await,
            "refresh_token" => self.refresh(&client, &form, proof).await,
            "client_credentials" => self.client_credentials(&client, &form, proof).await,
            _ => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type must be authorization_code, refresh_token or client_credentials",
            )),
        }
    }

    /// The authenticated client and its checked DPoP proof, if it sent one, with the client
    /// assertion's `jti` (RFC 7523 §3) and the proof's (RFC 9449 §11.1) remembered in one
    /// store write once both have verified. The outcome is that of checking them in turn: a
    /// replayed assertion is `invalid_client` whatever the proof, and a refused proof still
    /// uses up the assertion's `jti`, as authentication stands before the proof is looked
    /// at. (One difference: a proof that came with a replayed assertion has its `jti` used up
    /// too; a client makes a new proof for every request anyway, RFC 9449 §4.2.)
    async fn token_sender(
        &self,
        authenticated: Authenticated,
        sent: &Sent<'_>,
    ) -> Result<(Arc<Client>, Option<CheckedProof>), OAuthError> {
        let store = self.store.as_ref();
        let unrecorded = match self.client_dpop_proof_unrecorded(sent, PATH, authenticated.client())
        {
            Ok(Some(unrecorded)) => unrecorded,
            Ok(None) => return Ok((authenticated.record(store, self.clock.now()).await?, None)),
            Err(refused) => {
                authenticated.record(store, self.clock.now()).await?;
                return Err(refused);
            }
        };
        let (client, assertion_jti) = authenticated.into_parts();
        let Some(assertion_jti) = assertion_jti else {
            let proof = self
                .record_proof(unrecorded, PATH, Some(client.id()))
                .await?;
            return Ok((client, Some(proof)));
        };
        let (proof, proof_jti) = unrecorded.into_parts();
        let outcomes =
            replay::remember(store, &[&assertion_jti, &proof_jti], self.clock.now()).await?;
        match outcomes.as_slice() {
            [true, true] => Ok((client, Some(proof))),
            [true, _] => {
                let e = dpop::proof::replayed();
                dpop::audit_refused(&e, Some(client.id()), PATH);
                Err(e)
            }
            _ => Err(client_auth::assertion_replayed()),
        }
    }
}
