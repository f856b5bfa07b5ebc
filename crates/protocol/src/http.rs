//! `[http]`: how long the server waits for a client and how many it serves at once. A
//! client that sends its request head a byte at a time, or keeps a connection open without
//! using it, would otherwise hold a socket and a task for as long as it likes (slowloris); a
//! cap on connections keeps a flood from exhausting file descriptors and memory.

use crate::tokens::check_lifetime;
use crate::units::Seconds;
use serde::{Deserialize, Serialize};

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// The longest a client may take to send a request's head (request line and headers),
    /// from the moment the server waits for it, on a new connection and between requests on
    /// a kept-alive one. Past it the connection is closed.
    #[serde(default = "default_header_read_timeout")]
    pub header_read_timeout: Seconds,
    /// The longest a connection may stay open with no request in progress and no byte moving
    /// either way (a keep-alive connection between requests, a client that stopped reading
    /// its response); the shorter of this and `header_read_timeout` ends a silent one.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: Seconds,
    /// The longest the server works on one request before answering 503.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: Seconds,
    /// Connections served at once. One more is answered `503` with `Retry-After` and closed,
    /// without reading from it.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_read_timeout: default_header_read_timeout(),
            idle_timeout: default_idle_timeout(),
            request_timeout: default_request_timeout(),
            max_connections: default_max_connections(),
        }
    }
}

fn default_header_read_timeout() -> Seconds {
    Seconds::secs(10)
}
fn default_idle_timeout() -> Seconds {
    Seconds::secs(60)
}
fn default_request_timeout() -> Seconds {
    Seconds::secs(30)
}
fn default_max_connections() -> u32 {
    1024
}

/// The most connections `max_connections` may allow.
const MAX_CONNECTIONS: u32 = 1_000_000;

impl HttpConfig {
    pub(crate) fn validate(&self, errs: &mut Vec<String>) {
        errs.extend(check_lifetime(
            "http.header_read_timeout",
            self.header_read_timeout,
            300,
        ));
        errs.extend(check_lifetime("http.idle_timeout", self.idle_timeout, 3600));
        errs.extend(check_lifetime(
            "http.request_timeout",
            self.request_timeout,
            600,
        ));
        if self.max_connections == 0 || self.max_connections > MAX_CONNECTIONS {
            errs.push(format!(
                "http.max_connections: must be between 1 and {MAX_CONNECTIONS}"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_limits_out_of_range_are_refused_with_their_key() {
        let c = HttpConfig {
            header_read_timeout: Seconds::secs(0),
            idle_timeout: Seconds::secs(7200),
            request_timeout: Seconds::secs(0),
            max_connections: 0,
        };
        let mut errs = Vec::new();
        c.validate(&mut errs);
        assert_eq!(errs.len(), 4, "{errs:?}");
        for key in [
            "http.header_read_timeout",
            "http.idle_timeout",
            "http.request_timeout",
            "http.max_connections",
        ] {
            assert!(errs.iter().any(|e| e.starts_with(key)), "{key}: {errs:?}");
        }
        let mut errs = Vec::new();
        HttpConfig::default().validate(&mut errs);
        assert!(errs.is_empty(), "{errs:?}");
    }
}
