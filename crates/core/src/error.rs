//! The one protocol error type (DESIGN "Errors know where they go").
//!
//! An [`OAuthError`] carries the RFC error code, a public description (safe to show to the
//! client and the person), an internal detail (logged, never sent) and, for a refused request
//! object, the audit record. Where an authorization error goes (a redirect or a page) is not
//! the error's business: [`crate::response::AuthorizeError`] carries that.

use crate::dpop::check::DpopCheck;
use crate::ports::StoreError;
use std::borrow::Cow;
use writ_protocol::ErrorCode;

/// A protocol error.
#[derive(Debug, Clone)]
pub struct OAuthError {
    /// The RFC error code.
    pub code: ErrorCode,
    /// Public, one-line, safe description (`error_description`).
    pub description: Cow<'static, str>,
    /// Internal detail for logs; never sent.
    pub detail: Option<String>,
    /// Set when a request object was refused: what the audit log records (SPEC §12).
    pub request_object: Option<Box<RequestObjectAudit>>,
    /// Set when a DPoP proof was refused: the check that failed.
    pub dpop_check: Option<DpopCheck>,
    /// Set when the caller exceeded a rate or quota: answered 429 with `Retry-After` of
    /// these seconds (RFC 9126 §2.3, RFC 6585 §4).
    pub retry_after: Option<u32>,
}

/// What the audit log records about a refused request object (SPEC §12): the check that
/// failed and the object's `kid` and `alg` (made printable and bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestObjectAudit {
    /// The client, once known.
    pub client_id: Option<String>,
    /// The failed check's stable name (`signature`, `exp`, ...).
    pub check: &'static str,
    /// The JWS (or JWE) `kid`, when there was one.
    pub kid: Option<String>,
    /// The JWS (or JWE) `alg`, when there was one.
    pub alg: Option<String>,
}

impl OAuthError {
    /// A new error. The description keeps only the characters RFC 6749 §4.1.2.1 allows in
    /// `error_description` ([`description_chars`]).
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: description_chars(description.into()),
            detail: None,
            request_object: None,
            dpop_check: None,
            retry_after: None,
        }
    }
    /// A refusal for exceeding a rate or quota, to try again after `retry_after` seconds.
    pub fn too_many_requests(
        code: ErrorCode,
        description: impl Into<Cow<'static, str>>,
        retry_after: u32,
    ) -> Self {
        let mut e = Self::new(code, description);
        e.retry_after = Some(retry_after.max(1));
        e
    }
    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }
    /// `server_error`, with the internal detail (never shown).
    pub fn server(detail: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
        .with_detail(detail)
    }
    /// Attach internal detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    /// The HTTP status for direct (non-redirect) responses (RFC 6749 §5.2, RFC 6750 §3.1).
    pub fn http_status(&self) -> u16 {
        if self.retry_after.is_some() {
            return 429;
        }
        match self.code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            ErrorCode::AccessDenied => 403,
            _ => 400,
        }
    }
}

/// RFC 6749 §4.1.2.1 (and §5.2): `error_description` is `%x20-21 / %x23-5B / %x5D-7E`,
/// printable ASCII without `"` and `\`. A description that already fits is kept as it is
/// (no allocation for the fixed ones). Otherwise `"` becomes `'`, `\` becomes `/`, the
/// typography of the server's own texts is spelled in ASCII (`§` as "section ", dashes and
/// the minus sign as `-`, curly quotes as `'`, `…` as `...`), and any other character outside
/// the set (a control character, non-ASCII text quoted from input) becomes `?`.
pub fn description_chars(description: Cow<'static, str>) -> Cow<'static, str> {
    let allowed = |c: char| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E');
    if description.chars().all(allowed) {
        return description;
    }
    let mut out = String::with_capacity(description.len() + 16);
    for c in description.chars() {
        match c {
            c if allowed(c) => out.push(c),
            '"' | '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}' => out.push('\''),
            '\\' => out.push('/'),
            '§' => out.push_str("section "),
            '\u{2212}' | '\u{2013}' | '\u{2014}' => out.push('-'),
            '…' => out.push_str("..."),
            '×' => out.push('x'),
            _ => out.push('?'),
        }
    }
    Cow::Owned(out.replace("section  ", "section "))
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "the server is temporarily unable to handle the request",
        )
        .with_detail(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc6749_allows(d: &str) -> bool {
        d.bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    }

    #[test]
    fn error_description_uses_only_the_characters_rfc6749_allows() {
        for (given, expected) in [
            (
                r#"the "kid" value c:\keys is unknown"#,
                "the 'kid' value c:/keys is unknown",
            ),
            (
                "htu must not carry a query (RFC 9449 §4.2)",
                "htu must not carry a query (RFC 9449 section 4.2)",
            ),
            (
                "exp − iat is 2 h — too long…",
                "exp - iat is 2 h - too long...",
            ),
            (
                "a line\r\nbreak and \u{7f} and é",
                "a line??break and ? and ?",
            ),
        ] {
            let e = OAuthError::invalid_request(given.to_string());
            assert_eq!(e.description, expected);
            assert!(rfc6749_allows(&e.description), "{}", e.description);
        }
    }

    #[test]
    fn a_description_that_fits_is_not_copied() {
        let e = OAuthError::invalid_request("client_id is required");
        assert!(matches!(e.description, Cow::Borrowed(_)));
    }
}
