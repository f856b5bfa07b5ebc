//! Stage 2's last step: the request object as received (SPEC §4.2), bounded in size before
//! anything parses it (SPEC §2 `max_request_object_bytes`; RFC 9101 §10.7 on resource use).

use super::refusal::{Check, Refusal};
use crate::authorize::transport::Transport;

/// A request object as sent by value or fetched from a client-hosted `request_uri`, at most
/// `max_request_object_bytes` long. Nothing about it has been checked but its size.
#[derive(Debug, Clone)]
pub struct ResolvedRequestObject {
    token: String,
    transport: Transport,
}

impl ResolvedRequestObject {
    /// The object `token` that arrived as `transport` ([`Transport::ByValue`] or
    /// [`Transport::ByReference`]; a pushed request's object arrived by value at `/par`).
    /// Refused, before any parsing, when longer than `max_bytes`.
    pub fn new(token: String, transport: Transport, max_bytes: usize) -> Result<Self, Refusal> {
        if token.len() > max_bytes {
            return Err(Refusal::new(
                Check::Size,
                format!("the request object is larger than {max_bytes} bytes"),
            ));
        }
        let transport = match transport {
            Transport::Pushed | Transport::Query => Transport::ByValue,
            t => t,
        };
        Ok(ResolvedRequestObject { token, transport })
    }
    /// The compact JWS or JWE.
    pub fn token(&self) -> &str {
        &self.token
    }
    /// How it arrived: by value or by reference.
    pub fn transport(&self) -> Transport {
        self.transport
    }
    /// The token, for stage 3.
    pub(super) fn into_token(self) -> String {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_over_max_request_object_bytes_is_refused_before_parsing() {
        let r = ResolvedRequestObject::new("a".repeat(11), Transport::ByValue, 10).unwrap_err();
        assert_eq!(r.check, Check::Size);
        assert!(ResolvedRequestObject::new("a".repeat(10), Transport::ByValue, 10).is_ok());
    }

    #[test]
    fn an_object_pushed_at_par_arrived_by_value() {
        let r = ResolvedRequestObject::new("x".into(), Transport::Pushed, 10).unwrap();
        assert_eq!(r.transport(), Transport::ByValue);
        let r = ResolvedRequestObject::new("x".into(), Transport::ByReference, 10).unwrap();
        assert_eq!(r.transport(), Transport::ByReference);
    }
}
