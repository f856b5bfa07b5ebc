//! `writ request inspect FILE|- --client ID` (SPEC §1): decode a request object and print
//! every check of SPEC §4 with pass/fail and the reason, without a running server.

use std::fmt::Write as _;
use std::sync::Arc;
use writ_core::Provider;
use writ_core::authorize::request_object::{self, inspect::Report, inspect::Status};

/// Run every check on `token` for client `client_id` and render the report. Returns the
/// text and whether any check failed.
pub async fn run(
    provider: &Arc<Provider>,
    client_id: &str,
    token: &str,
) -> Result<(String, bool), String> {
    let client = provider
        .clients
        .get(client_id)
        .await
        .map_err(|e| format!("client {client_id:?}: {e}"))?
        .ok_or_else(|| format!("no client {client_id:?} in the configuration or the store"))?;
    let keys = provider.keys.current();
    let ctx = request_object::Context {
        policy: &provider.settings.jar_policy,
        issuer: &provider.settings.issuer,
        now: provider.clock.now(),
        decryption_keys: keys.decryption_keys(),
        remote_keys: &provider.remote_keys,
        store: None,
    };
    let report = request_object::inspect::inspect(&provider.settings, &ctx, &client, token).await;
    Ok((
        render(&provider.settings.issuer, client_id, &report),
        report.failed(),
    ))
}

/// The report as text: one line per check, then the header, the claims and the effective
/// parameters.
pub fn render(issuer: &str, client_id: &str, r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Request object for client {client_id} at issuer {issuer}"
    );
    let _ = writeln!(out);
    for l in &r.lines {
        let _ = writeln!(out, "  {}  {:<16} {}", l.status.label(), l.check, l.note);
    }
    if let Some(h) = &r.header {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Header: {}",
            serde_json::to_string(h).unwrap_or_default()
        );
    }
    if let Some(c) = &r.claims {
        let _ = writeln!(
            out,
            "Claims{}: {}",
            if r.verified { "" } else { " (UNVERIFIED)" },
            serde_json::to_string_pretty(c).unwrap_or_default()
        );
    }
    if let Some(e) = &r.effective {
        let _ = writeln!(out, "Effective parameters:");
        for (k, v) in &e.params {
            let mark = if e.trusted.contains(k) {
                "signed"
            } else {
                "query"
            };
            let _ = writeln!(out, "  {k:<24} {v}  [{mark}]");
        }
    }
    let _ = writeln!(out);
    match r.lines.iter().find(|l| l.status == Status::Fail) {
        Some(l) => {
            let _ = writeln!(out, "Result: REFUSED at check \"{}\": {}", l.check, l.note);
        }
        None => {
            let _ = writeln!(out, "Result: ACCEPTED (every check passed)");
        }
    }
    out
}
