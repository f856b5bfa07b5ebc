//! The one error type of this crate.
//!
//! Every refusal has its own variant so that callers (and tests) can tell them apart. The
//! `Display` text is meant for logs, not for clients: it may name a header parameter or an
//! algorithm taken from the input, always truncated.

/// Result alias for this crate.
pub type Result<T, E = JoseError> = std::result::Result<T, E>;

/// Everything that can go wrong while parsing, verifying, signing, encrypting or decrypting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    /// The input is longer than the limit the caller gave (checked before any decoding).
    #[error("input is {len} bytes, over the limit of {limit}")]
    TooLarge {
        /// Length of the input.
        len: usize,
        /// Limit that applied.
        limit: usize,
    },
    /// The protected header is longer than 8 KiB.
    #[error("protected header is over the {limit}-byte limit")]
    HeaderTooLarge {
        /// Limit that applied, in decoded bytes.
        limit: usize,
    },
    /// The compact serialization does not have the expected shape (RFC 7515 §7.1, RFC 7516 §7.1).
    #[error("malformed compact serialization: {0}")]
    Malformed(&'static str),
    /// A part is not strict base64url without padding (RFC 7515 §2, "Base64url Encoding").
    #[error("invalid base64url in {0}")]
    Base64(&'static str),
    /// A JSON value could not be parsed, or is not of the required shape.
    #[error("invalid JSON in {part}: {detail}")]
    Json {
        /// Which part of the input.
        part: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// A header (or claim set) names the same member twice (RFC 7515 §5.2, RFC 7516 §5.2).
    #[error("duplicate member {0:?}")]
    DuplicateMember(String),
    /// A header parameter has the wrong JSON type.
    #[error("header parameter {0:?} has the wrong type")]
    InvalidHeaderParameter(&'static str),
    /// The `alg` header parameter is missing.
    #[error("missing \"alg\" header parameter")]
    MissingAlg,
    /// The header says `alg: none`: an Unsecured JWS (RFC 7518 §3.6) is never verified.
    #[error("\"alg\":\"none\" is not accepted")]
    AlgNone,
    /// The algorithm is unknown or deliberately not supported (e.g. `RSA1_5`, `PBES2-*`).
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlg(String),
    /// The content-encryption algorithm (`enc`) is unknown or not supported.
    #[error("unsupported content encryption {0:?}")]
    UnsupportedEnc(String),
    /// A `crit` entry names an extension this implementation does not process
    /// (RFC 7515 §4.1.11), or `b64` (RFC 7797) is used.
    #[error("unsupported critical header parameter {0:?}")]
    UnsupportedCritical(String),
    /// A header parameter is deliberately not supported (e.g. `zip`).
    #[error("unsupported header parameter {0:?}")]
    UnsupportedHeaderParameter(&'static str),
    /// The signature did not verify.
    #[error("signature verification failed")]
    InvalidSignature,
    /// Decryption failed. Deliberately one variant for every cause after the header
    /// (key unwrap, tag, padding), so failures look alike (RFC 7516 §11.5, RFC 7518 §5.2.2.2).
    #[error("decryption failed")]
    DecryptionFailed,
    /// The key's type or curve does not fit the algorithm (e.g. HMAC with a public key).
    #[error("key of type {kty} cannot be used with {alg}")]
    AlgKeyMismatch {
        /// The algorithm asked for.
        alg: String,
        /// The key type (and curve) of the key.
        kty: String,
    },
    /// The key's own `alg`, `use` or `key_ops` (RFC 7517 §4.2-4.4) forbid this operation.
    #[error("key is restricted: {0}")]
    KeyRestricted(String),
    /// The key is too weak for the algorithm (RSA under 2048 bits, HMAC key shorter than the
    /// hash output, RFC 7518 §3.2 and §3.3).
    #[error("key too weak: {0}")]
    WeakKey(String),
    /// The key material is malformed, inconsistent or of an unsupported kind.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// `x5c[0]` (or `x5t#S256`) does not match the JWK's public key (RFC 7517 §4.7, §4.9).
    #[error("x5c certificate does not match the JWK: {0}")]
    X5cMismatch(&'static str),
    /// A certificate could not be parsed.
    #[error("invalid X.509 certificate: {0}")]
    InvalidCertificate(String),
    /// A JWK Set has two different keys with the same `kid` for the same use.
    #[error("duplicate kid {0:?} with different keys")]
    DuplicateKid(String),
    /// The operation is not possible with this key (e.g. exporting a symmetric key as public).
    #[error("unsupported operation: {0}")]
    UnsupportedOperation(&'static str),
    /// The underlying crypto library failed in a way that does not depend on the input.
    #[error("crypto failure: {0}")]
    Crypto(&'static str),
}

/// Shortens attacker-controlled text before it goes into an error.
pub(crate) fn truncated(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
