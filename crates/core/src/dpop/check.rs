//! The names of the DPoP proof checks (the `name` column of the table in [`super`]): what
//! the audit log records and `writ_dpop_proofs_total` counts.

/// The check that refused a proof (the `name` column of the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DpopCheck {
    /// More than one `DPoP` header.
    Header,
    /// Not a compact JWS within the size bound.
    Format,
    /// `typ`.
    Typ,
    /// `alg`.
    Alg,
    /// The header's `jwk`.
    Jwk,
    /// The signature.
    Signature,
    /// The required claims.
    Claims,
    /// `htm`.
    Htm,
    /// `htu`.
    Htu,
    /// `nonce`.
    Nonce,
    /// `iat`.
    Iat,
    /// `ath`.
    Ath,
    /// `jti` replay.
    Jti,
    /// The key is not the one the code, refresh token or access token is bound to.
    Binding,
    /// No proof where one is required.
    Missing,
}

impl DpopCheck {
    /// The stable name (audit, metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            DpopCheck::Header => "header",
            DpopCheck::Format => "format",
            DpopCheck::Typ => "typ",
            DpopCheck::Alg => "alg",
            DpopCheck::Jwk => "jwk",
            DpopCheck::Signature => "signature",
            DpopCheck::Claims => "claims",
            DpopCheck::Htm => "htm",
            DpopCheck::Htu => "htu",
            DpopCheck::Nonce => "nonce",
            DpopCheck::Iat => "iat",
            DpopCheck::Ath => "ath",
            DpopCheck::Jti => "jti",
            DpopCheck::Binding => "binding",
            DpopCheck::Missing => "missing",
        }
    }
}
