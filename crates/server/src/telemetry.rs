//! The Prometheus metrics of SPEC §12, each described once: the exporter prints the text
//! here as the metric's `# HELP` line, and `docs/metrics.md` lists the same names with their
//! labels. A metric recorded anywhere in the server is named in [`METRICS`]; a test renders
//! `/metrics` and finds a `# HELP` for every `# TYPE`.

/// The kind of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only ever goes up.
    Counter,
    /// Samples folded into the buckets of `crate::LATENCY_BUCKETS`.
    Histogram,
}

/// Every metric: name, kind, and its help text (labels named in it).
pub const METRICS: &[(&str, Kind, &str)] = &[
    (
        "writ_http_responses_total",
        Kind::Counter,
        "HTTP responses by route (the matched pattern, or \"unmatched\") and status code.",
    ),
    (
        "writ_request_duration_seconds",
        Kind::Histogram,
        "Time to answer /authorize, /token and /par, by route, in seconds.",
    ),
    (
        "writ_authorize_total",
        Kind::Counter,
        "Authorization requests by outcome (interaction, error) and reason (ok, or the error code).",
    ),
    (
        "writ_request_objects_total",
        Kind::Counter,
        "Request objects by outcome (accepted, refused), reason (ok, or the failing check) and, when accepted, transport (by_value, by_reference, pushed).",
    ),
    (
        "writ_request_uri_fetches_total",
        Kind::Counter,
        "Client-hosted request_uri fetches by outcome (fetched, cached, failed).",
    ),
    (
        "writ_par_total",
        Kind::Counter,
        "Pushed authorization requests by outcome (ok, or the error code).",
    ),
    (
        "writ_token_total",
        Kind::Counter,
        "Token requests by outcome (ok, or the error code).",
    ),
    (
        "writ_introspect_total",
        Kind::Counter,
        "Introspection requests by outcome (active, inactive, or the error code).",
    ),
    (
        "writ_revoke_total",
        Kind::Counter,
        "Revocation requests by outcome (ok, or the error code).",
    ),
    (
        "writ_dpop_proofs_total",
        Kind::Counter,
        "Refused DPoP proofs by outcome (refused) and reason (the failing check).",
    ),
    (
        "writ_http_connections_closed_total",
        Kind::Counter,
        "Connections the server closed on its own by reason (over_capacity, header_timeout, idle).",
    ),
];

/// Give every metric of [`METRICS`] its description, once the recorder is installed.
pub fn describe() {
    for (name, kind, help) in METRICS {
        match kind {
            Kind::Counter => metrics::describe_counter!(*name, *help),
            Kind::Histogram => {
                metrics::describe_histogram!(*name, metrics::Unit::Seconds, *help)
            }
        }
    }
}
