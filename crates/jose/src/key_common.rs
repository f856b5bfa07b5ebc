//! What the JWS keys (`jws_keys.rs`) and the JWE keys (`jwe_keys.rs`) share: the RSA size
//! floor and the sizes generated, secret bytes, and the error for a key aws-lc-rs rejects.

use std::fmt;

use aws_lc_rs::rsa::KeySize;
use zeroize::Zeroizing;

use crate::error::{JoseError, Result};

/// Smallest RSA modulus accepted for signing or verifying (RFC 7518 §3.3, §3.5), and for
/// RSA-OAEP (RFC 7518 §4.3).
pub const MIN_RSA_BITS: usize = 2048;

/// Secret bytes, wiped on drop, never printed.
#[derive(Clone)]
pub(crate) struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        SecretBytes(Zeroizing::new(bytes.to_vec()))
    }
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} secret bytes>", self.0.len())
    }
}

/// A private key aws-lc-rs refused (malformed, inconsistent or of an unsupported size).
pub(crate) fn rejected(e: aws_lc_rs::error::KeyRejected) -> JoseError {
    JoseError::InvalidKey(format!("private key rejected: {e}"))
}

/// The RSA sizes this crate generates: 2048, 3072 or 4096 bits.
pub(crate) fn rsa_generation_size(bits: usize) -> Result<KeySize> {
    match bits {
        2048 => Ok(KeySize::Rsa2048),
        3072 => Ok(KeySize::Rsa3072),
        4096 => Ok(KeySize::Rsa4096),
        _ => Err(JoseError::InvalidKey(format!(
            "RSA size {bits}; use 2048, 3072 or 4096"
        ))),
    }
}
