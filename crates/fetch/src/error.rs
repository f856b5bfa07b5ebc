//! What can go wrong while fetching, and what may be said about it.
//!
//! SPEC §5: each failure maps to `invalid_request_uri` "with a description that says which
//! limit tripped". [`FetchError::public_description`] is that description; it names the limit
//! but never an address the server resolved, a socket error or anything else about the server's
//! own network. Details for operators are logged with `tracing` where the failure happens.

use std::time::Duration;

/// Why an outbound fetch failed (SPEC §5, RFC 9101 §10.4.1).
///
/// Cheap to clone, so one failed load can be handed to every caller that waited on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The policy given to [`crate::Fetcher::new`] cannot be used (a zero timeout, an empty
    /// content-type list...), or the HTTP client could not be built.
    #[error("invalid fetch policy: {0}")]
    InvalidPolicy(String),
    /// The URL does not parse as an absolute URL with a host.
    #[error("invalid URL")]
    InvalidUrl,
    /// The URL is longer than the limit (RFC 9101 §5.2: 512 ASCII characters).
    #[error("URL longer than {max} characters")]
    UrlTooLong {
        /// The limit, in bytes.
        max: usize,
    },
    /// The scheme is not `https` (or `http` when the policy allows it).
    #[error("URL scheme not allowed")]
    SchemeNotAllowed,
    /// The URL carries a user name or password.
    #[error("URL carries credentials")]
    CredentialsInUrl,
    /// The host is, or resolves only to, addresses in the deny table
    /// ([`crate::is_forbidden_address`]).
    #[error("host is or resolves to a forbidden address")]
    ForbiddenAddress,
    /// The host name could not be resolved.
    #[error("host name could not be resolved")]
    Resolve,
    /// No connection (TCP or TLS) could be made.
    #[error("could not connect")]
    Connect,
    /// The whole exchange, retries included, took longer than the policy's timeout.
    #[error("timed out after {limit:?}")]
    Timeout {
        /// The configured deadline.
        limit: Duration,
    },
    /// The body is larger than the policy's `max_bytes`.
    #[error("response body larger than {max_bytes} bytes")]
    TooLarge {
        /// The configured limit.
        max_bytes: usize,
    },
    /// The server answered with a status other than 2xx (and other than a redirect).
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// The response's media type is missing or not one of those allowed for the purpose.
    #[error("content type not allowed")]
    ContentType {
        /// What the server sent (media type only, at most 64 printable ASCII characters), for
        /// the log; never in the public description.
        received: String,
        /// The media types allowed, comma-separated.
        allowed: String,
    },
    /// The server answered with a redirect and redirects are not followed, or it sent too many
    /// of them, or one without a usable `Location`.
    #[error("redirect not followed")]
    Redirect,
    /// A redirect led to a URL the caller does not accept (for a `request_uri`: one the client
    /// has not registered); it was not fetched.
    #[error("redirect to a URL that is not allowed")]
    RedirectNotAllowed,
    /// The URL fragment is a SHA-256 hash and the body does not match it.
    #[error("body does not match the hash in the URL fragment")]
    HashMismatch,
    /// Too many fetches are in flight (the policy's `max_concurrent`); nothing was sent.
    #[error("too many fetches in flight")]
    Busy,
    /// Any other transport failure (malformed response, connection reset while reading...).
    #[error("transport error")]
    Transport,
}

impl FetchError {
    /// One line naming what failed or which limit tripped, safe to show to the client that
    /// supplied the URL (SPEC §5, §11): it says nothing the client did not already know, and
    /// nothing the other side sent (no status code, media type or header; those go to the
    /// log, through the error's `Debug`).
    pub fn public_description(&self) -> String {
        match self {
            FetchError::InvalidPolicy(_) => "the server cannot fetch URLs right now".to_owned(),
            FetchError::InvalidUrl => "the URL is not a valid absolute URL".to_owned(),
            FetchError::UrlTooLong { max } => format!("the URL is longer than {max} characters"),
            FetchError::SchemeNotAllowed => "the URL must use https".to_owned(),
            FetchError::CredentialsInUrl => {
                "the URL must not contain a user name or password".to_owned()
            }
            FetchError::ForbiddenAddress => {
                "the URL's host is not a public address, or resolves to one that is not".to_owned()
            }
            FetchError::Resolve => "the URL's host name could not be resolved".to_owned(),
            FetchError::Connect => "could not connect to the URL's host".to_owned(),
            FetchError::Timeout { limit } => {
                format!("fetching the URL took longer than {}", human(*limit))
            }
            FetchError::TooLarge { max_bytes } => {
                format!("the response is larger than {max_bytes} bytes")
            }
            FetchError::HttpStatus(_) => {
                "the URL did not answer with a success status (2xx)".to_owned()
            }
            FetchError::ContentType { allowed, .. } => {
                format!("the response's content type is not one of {allowed}")
            }
            FetchError::Redirect => {
                "the URL answered with a redirect, which is not followed (or with more than 3)"
                    .to_owned()
            }
            FetchError::RedirectNotAllowed => {
                "the URL redirected to a URL that is not registered for it".to_owned()
            }
            FetchError::HashMismatch => {
                "the response does not match the SHA-256 hash in the URL fragment".to_owned()
            }
            FetchError::Busy => "too many fetches in progress, try again later".to_owned(),
            FetchError::Transport => "the response could not be read".to_owned(),
        }
    }

    /// Whether another attempt may succeed: connect errors, 5xx and 429 only
    /// (SPEC §2 `[jar.request_uri] retries`).
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            FetchError::Connect => true,
            FetchError::HttpStatus(status) => *status == 429 || (500..=599).contains(status),
            _ => false,
        }
    }
}

/// A duration as a person writes it: `5s`, `1500ms`.
fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Keep at most 64 printable ASCII characters of a server-sent value, so a description never
/// carries control characters or an unbounded string.
pub(crate) fn sanitize(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_description_names_the_limit() {
        assert_eq!(
            FetchError::Timeout {
                limit: Duration::from_secs(5)
            }
            .public_description(),
            "fetching the URL took longer than 5s"
        );
        assert_eq!(
            FetchError::TooLarge { max_bytes: 65536 }.public_description(),
            "the response is larger than 65536 bytes"
        );
        assert_eq!(
            FetchError::UrlTooLong { max: 512 }.public_description(),
            "the URL is longer than 512 characters"
        );
        assert_eq!(
            FetchError::HttpStatus(404).public_description(),
            "the URL did not answer with a success status (2xx)"
        );
    }

    #[test]
    fn public_description_never_repeats_what_the_other_side_sent() {
        let e = FetchError::ContentType {
            received: sanitize("text/x-internal-admin"),
            allowed: "application/jwt".into(),
        };
        let d = e.public_description();
        assert_eq!(
            d,
            "the response's content type is not one of application/jwt"
        );
        assert!(!d.contains("internal"), "{d}");
        assert!(
            !FetchError::HttpStatus(418)
                .public_description()
                .contains("418")
        );
    }

    #[test]
    fn public_description_is_one_line() {
        let errors = [
            FetchError::InvalidPolicy("secret detail".into()),
            FetchError::ContentType {
                received: sanitize("text/html\r\nX-Evil: 1"),
                allowed: "application/jwt".into(),
            },
            FetchError::ForbiddenAddress,
            FetchError::Busy,
        ];
        for e in errors {
            let d = e.public_description();
            assert!(!d.contains('\n') && !d.contains('\r'), "{d}");
            assert!(!d.contains("secret"), "{d}");
        }
    }

    #[test]
    fn retries_only_connect_errors_5xx_and_429() {
        assert!(FetchError::Connect.is_retryable());
        assert!(FetchError::HttpStatus(500).is_retryable());
        assert!(FetchError::HttpStatus(503).is_retryable());
        assert!(FetchError::HttpStatus(429).is_retryable());
        assert!(!FetchError::HttpStatus(404).is_retryable());
        assert!(!FetchError::HttpStatus(400).is_retryable());
        assert!(!FetchError::ForbiddenAddress.is_retryable());
        assert!(!FetchError::Resolve.is_retryable());
        assert!(
            !FetchError::Timeout {
                limit: Duration::from_secs(1)
            }
            .is_retryable()
        );
        assert!(!FetchError::TooLarge { max_bytes: 1 }.is_retryable());
    }
}
