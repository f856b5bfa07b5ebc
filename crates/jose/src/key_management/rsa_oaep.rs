//! Key encryption with RSAES-OAEP (RFC 7518 §4.3; RFC 8017 §7.1): `RSA-OAEP` (SHA-1,
//! MGF1-SHA-1) and `RSA-OAEP-256` (SHA-256, MGF1-SHA-256).

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey,
};
use zeroize::Zeroizing;

use crate::alg::{JweAlg, JweEnc};
use crate::error::{JoseError, Result};
use crate::key_management::cek::{accept_or_random, random_bytes};

/// The OAEP parameters of `alg` (RFC 7518 §4.3).
pub(crate) fn oaep(alg: JweAlg) -> &'static OaepAlgorithm {
    match alg {
        JweAlg::RsaOaep256 => &OAEP_SHA256_MGF1SHA256,
        _ => &OAEP_SHA1_MGF1SHA1,
    }
}

/// Decrypts the JWE Encrypted Key into the CEK (RFC 7516 §5.2 step 9); a random CEK when
/// the padding or the length is wrong (RFC 7516 §11.5).
pub(crate) fn decrypt_or_random(
    rsa: &OaepPrivateDecryptingKey,
    alg: JweAlg,
    encrypted_key: &[u8],
    enc: JweEnc,
) -> Zeroizing<Vec<u8>> {
    // aws-lc checks the OAEP padding in constant time; whatever its outcome, we go
    // on to the tag with a CEK (RFC 7516 §11.5, RFC 8017 §7.1.2 note).
    let mut out = Zeroizing::new(vec![0u8; rsa.min_output_size()]);
    let unwrapped = rsa
        .decrypt(oaep(alg), encrypted_key, &mut out[..], None)
        .ok()
        .map(|p| &*p);
    accept_or_random(unwrapped, enc.cek_len())
}

/// A random CEK and its encryption to the recipient's key, the JWE Encrypted Key
/// (RFC 7516 §5.1 steps 2 and 6).
pub(crate) fn encrypt_new_cek(
    rsa: &OaepPublicEncryptingKey,
    alg: JweAlg,
    enc: JweEnc,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>)> {
    let cek = random_bytes(enc.cek_len());
    let mut out = vec![0u8; rsa.ciphertext_size()];
    let len = rsa
        .encrypt(oaep(alg), &cek, &mut out, None)
        .map_err(|_| JoseError::Crypto("RSA-OAEP encrypt"))?
        .len();
    out.truncate(len);
    Ok((cek, out))
}
