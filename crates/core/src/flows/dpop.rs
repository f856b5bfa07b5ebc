//! DPoP at the endpoints (RFC 9449 §5, §7): the proof sent with a request, checked against
//! that endpoint, audited when refused; and the nonce handed out when `[dpop] nonce` is
//! `required`.

use crate::clients::Client;
use crate::dpop::{self, CheckedProof, DpopCheck, Expected, Sent, UnrecordedProof, proof};
use crate::error::OAuthError;
use crate::provider::Provider;

impl Provider {
    /// The proof `sent` to `path`, checked (RFC 9449 §4.3); `None` when the request carries
    /// none, or when DPoP is off (a proof is then not looked at, and tokens are Bearer).
    /// `access_token` is the token presented with it, at a protected resource.
    pub(crate) async fn dpop_proof(
        &self,
        sent: &Sent<'_>,
        path: &str,
        access_token: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Option<CheckedProof>, OAuthError> {
        let Some(unrecorded) = self.dpop_proof_unrecorded(sent, path, access_token, client_id)?
        else {
            return Ok(None);
        };
        self.record_proof(unrecorded, path, client_id)
            .await
            .map(Some)
    }

    /// [`Self::dpop_proof`] but for check 12: the proof's `jti` is not yet remembered.
    fn dpop_proof_unrecorded(
        &self,
        sent: &Sent<'_>,
        path: &str,
        access_token: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Option<UnrecordedProof>, OAuthError> {
        let policy = &self.settings.dpop;
        if !policy.enabled() || sent.proofs.is_empty() {
            return Ok(None);
        }
        let endpoint = self.settings.endpoint(path);
        let keys = self.keys.current();
        let ctx = proof::Context {
            policy,
            store: self.store.as_ref(),
            nonce_keys: keys.nonce_keys(),
            now: self.clock.now(),
        };
        let expected = Expected {
            method: sent.method,
            endpoint: &endpoint,
            access_token,
        };
        dpop::check_unrecorded(ctx, sent.proofs, &expected)
            .map(Some)
            .inspect_err(|e| dpop::audit_refused(e, client_id, path))
    }

    /// Check 12 alone: remember the proof's `jti`.
    pub(crate) async fn record_proof(
        &self,
        unrecorded: UnrecordedProof,
        path: &str,
        client_id: Option<&str>,
    ) -> Result<CheckedProof, OAuthError> {
        unrecorded
            .record(self.store.as_ref(), self.clock.now())
            .await
            .inspect_err(|e| dpop::audit_refused(e, client_id, path))
    }

    /// The proof `sent` to `path` by the authenticated `client`: [`Self::dpop_proof`], and
    /// its algorithm allowed by the client's own profile (SPEC §17).
    pub(crate) async fn client_dpop_proof(
        &self,
        sent: &Sent<'_>,
        path: &str,
        client: &Client,
    ) -> Result<Option<CheckedProof>, OAuthError> {
        let Some(unrecorded) = self.client_dpop_proof_unrecorded(sent, path, client)? else {
            return Ok(None);
        };
        self.record_proof(unrecorded, path, Some(client.id()))
            .await
            .map(Some)
    }

    /// [`Self::client_dpop_proof`] but for check 12: the proof's `jti` is not yet remembered.
    pub(crate) fn client_dpop_proof_unrecorded(
        &self,
        sent: &Sent<'_>,
        path: &str,
        client: &Client,
    ) -> Result<Option<UnrecordedProof>, OAuthError> {
        let proof = self.dpop_proof_unrecorded(sent, path, None, Some(client.id()))?;
        let rules = self.settings.rules(client);
        if let Some(p) = &proof
            && !rules.allows(p.proof().alg())
        {
            let e = dpop::refused(
                DpopCheck::Alg,
                format!(
                    "the DPoP proof's alg {} is not allowed by the {} profile (PS256, ES256, EdDSA)",
                    p.proof().alg(),
                    rules.label()
                ),
            );
            dpop::audit_refused(&e, Some(client.id()), path);
            return Err(e);
        }
        Ok(proof)
    }

    /// The nonce to send in `DPoP-Nonce` (RFC 9449 §8.1), when `[dpop] nonce = "required"`.
    pub fn dpop_nonce(&self) -> Option<String> {
        let policy = &self.settings.dpop;
        if !(policy.enabled() && policy.nonce_required()) {
            return None;
        }
        self.keys.current().dpop_nonce(self.clock.now())
    }
}
