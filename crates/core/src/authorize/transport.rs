//! How an authorization request's parameters reached the server (SPEC §4.8): recorded on the
//! validated request, shown to a custom UI and counted in the metrics.

/// How the parameters reached the server (SPEC §4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Plain query or form parameters.
    Query,
    /// A request object by value (`request`).
    ByValue,
    /// A request object fetched from a client-hosted `request_uri`.
    ByReference,
    /// A pushed authorization request (RFC 9126).
    Pushed,
}

impl Transport {
    /// The stable name (`query`, `by_value`, `by_reference`, `pushed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Query => "query",
            Transport::ByValue => "by_value",
            Transport::ByReference => "by_reference",
            Transport::Pushed => "pushed",
        }
    }
}

/// The endpoint that runs the authorization request pipeline ([`super::run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET|POST /authorize` (RFC 6749 §3.1).
    Authorize,
    /// `POST /par` (RFC 9126 §2): the client is authenticated; what it pushes is stored, and
    /// errors are answered as JSON, never redirected.
    Par,
}
