//! Key wrapping with AES Key Wrap (RFC 7518 §4.4; RFC 3394): `A128KW` and `A256KW` with a
//! shared key, and the wrapping step of `ECDH-ES+A128KW`/`ECDH-ES+A256KW` (RFC 7518 §4.6).

use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap as _};
use zeroize::Zeroizing;

use crate::alg::JweEnc;
use crate::error::{JoseError, Result};
use crate::key_management::cek::accept_or_random;

/// AES Key Unwrap (RFC 3394, RFC 7518 §4.4) of the CEK; a random CEK when it fails.
pub(crate) fn unwrap_or_random(kek: &[u8], wrapped: &[u8], enc: JweEnc) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let kek = match kek.len() {
        16 => AesKek::new(&AES_128, kek).ok(),
        32 => AesKek::new(&AES_256, kek).ok(),
        _ => None,
    };
    let unwrapped = kek.and_then(|kek| kek.unwrap(wrapped, &mut out[..]).ok().map(|u| u.len()));
    accept_or_random(unwrapped.map(|len| &out[..len]), enc.cek_len())
}

/// AES Key Wrap (RFC 3394 §2.2.1, RFC 7518 §4.4) of `cek` under a 16- or 32-byte `kek`.
pub(crate) fn wrap(kek: &[u8], cek: &[u8]) -> Result<Vec<u8>> {
    let kek = match kek.len() {
        16 => AesKek::new(&AES_128, kek),
        32 => AesKek::new(&AES_256, kek),
        _ => return Err(JoseError::Crypto("key wrap key length")),
    }
    .map_err(|_| JoseError::Crypto("key wrap key"))?;
    let mut out = vec![0u8; cek.len() + 8];
    let len = kek
        .wrap(cek, &mut out)
        .map_err(|_| JoseError::Crypto("key wrap"))?
        .len();
    out.truncate(len);
    Ok(out)
}
