//! The audit trail of refused request objects (SPEC §12): one event per refusal, naming the
//! check that failed, on the `writ::audit` target.

use crate::clients::Client;
use crate::error::OAuthError;

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
pub(crate) fn for_audit(mut e: OAuthError, client: &Client) -> OAuthError {
    if let Some(a) = e.request_object.as_mut() {
        a.client_id = Some(client.id().to_string());
    }
    e
}
