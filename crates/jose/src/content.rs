//! Content encryption (RFC 7518 §5): AES-GCM (§5.3) and AES-CBC with HMAC-SHA-2 (§5.2).
//!
//! Every decryption failure is the same [`JoseError::DecryptionFailed`]; for CBC the tag is
//! checked, in constant time, before anything is decrypted (RFC 7518 §5.2.2.2).

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    AES_128, AES_256, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::{constant_time, hmac};

use crate::alg::JweEnc;
use crate::error::{JoseError, Result};

/// Encrypts `plaintext` under the CEK with `aad` (RFC 7516 §5.1 steps 15-16: AES-GCM per
/// RFC 7518 §5.3, AES-CBC-HMAC-SHA2 per §5.2.2.1); returns (ciphertext, tag).
pub(crate) fn encrypt(
    enc: JweEnc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    if cek.len() != enc.cek_len() || iv.len() != enc.iv_len() {
        return Err(JoseError::Crypto("content key or IV length"));
    }
    match enc {
        JweEnc::A128Gcm | JweEnc::A256Gcm => {
            let key = gcm_key(enc, cek).map_err(|()| JoseError::Crypto("AES-GCM key"))?;
            let nonce = Nonce::try_assume_unique_for_key(iv)
                .map_err(|_| JoseError::Crypto("AES-GCM nonce"))?;
            let mut in_out = plaintext.to_vec();
            let tag = key
                .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut in_out)
                .map_err(|_| JoseError::Crypto("AES-GCM seal"))?;
            Ok((in_out, tag.as_ref().to_vec()))
        }
        JweEnc::A128CbcHs256 | JweEnc::A256CbcHs512 => {
            let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
            let cipher = UnboundCipherKey::new(cbc_cipher(enc), enc_key)
                .and_then(PaddedBlockEncryptingKey::cbc_pkcs7)
                .map_err(|_| JoseError::Crypto("AES-CBC key"))?;
            let iv16: FixedLength<16> =
                FixedLength::try_from(iv).map_err(|_| JoseError::Crypto("AES-CBC IV"))?;
            let mut in_out = plaintext.to_vec();
            cipher
                .less_safe_encrypt(&mut in_out, EncryptionContext::Iv128(iv16))
                .map_err(|_| JoseError::Crypto("AES-CBC encrypt"))?;
            let tag = cbc_tag(enc, mac_key, aad, iv, &in_out);
            Ok((in_out, tag))
        }
    }
}

/// Authenticates and decrypts (RFC 7516 §5.2 steps 15-16: AES-GCM per RFC 7518 §5.3,
/// AES-CBC-HMAC-SHA2 per §5.2.2.2); any failure is [`JoseError::DecryptionFailed`].
pub(crate) fn decrypt(
    enc: JweEnc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>> {
    let fail = JoseError::DecryptionFailed;
    if cek.len() != enc.cek_len() || iv.len() != enc.iv_len() || tag.len() != enc.tag_len() {
        return Err(fail);
    }
    match enc {
        JweEnc::A128Gcm | JweEnc::A256Gcm => {
            let key = gcm_key(enc, cek).map_err(|()| JoseError::DecryptionFailed)?;
            let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| fail.clone())?;
            let mut in_out = Vec::with_capacity(ciphertext.len() + tag.len());
            in_out.extend_from_slice(ciphertext);
            in_out.extend_from_slice(tag);
            let len = key
                .open_in_place(nonce, Aad::from(aad), &mut in_out)
                .map_err(|_| fail.clone())?
                .len();
            in_out.truncate(len);
            Ok(in_out)
        }
        JweEnc::A128CbcHs256 | JweEnc::A256CbcHs512 => {
            let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
            // RFC 7518 §5.2.2.2: check the tag first, in constant time.
            let expected = cbc_tag(enc, mac_key, aad, iv, ciphertext);
            constant_time::verify_slices_are_equal(&expected, tag).map_err(|_| fail.clone())?;
            if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
                return Err(fail);
            }
            let cipher = UnboundCipherKey::new(cbc_cipher(enc), enc_key)
                .and_then(PaddedBlockDecryptingKey::cbc_pkcs7)
                .map_err(|_| fail.clone())?;
            let iv16: FixedLength<16> = FixedLength::try_from(iv).map_err(|_| fail.clone())?;
            let mut in_out = ciphertext.to_vec();
            let len = cipher
                .decrypt(&mut in_out, DecryptionContext::Iv128(iv16))
                .map_err(|_| fail)?
                .len();
            in_out.truncate(len);
            Ok(in_out)
        }
    }
}

/// The AES-GCM key of `A128GCM`/`A256GCM` (RFC 7518 §5.3).
fn gcm_key(enc: JweEnc, cek: &[u8]) -> std::result::Result<LessSafeKey, ()> {
    let algorithm = match enc {
        JweEnc::A128Gcm => &aead::AES_128_GCM,
        _ => &aead::AES_256_GCM,
    };
    UnboundKey::new(algorithm, cek)
        .map(LessSafeKey::new)
        .map_err(|_| ())
}

/// The AES of `A128CBC-HS256` (AES-128, RFC 7518 §5.2.3) or `A256CBC-HS512` (AES-256,
/// §5.2.5); its key is the second half of the CEK (§5.2.2.1 step 1).
fn cbc_cipher(enc: JweEnc) -> &'static aws_lc_rs::cipher::Algorithm {
    match enc {
        JweEnc::A128CbcHs256 => &AES_128,
        _ => &AES_256,
    }
}

/// `T = HMAC(MAC_KEY, A || IV || E || AL)` truncated to half (RFC 7518 §5.2.2.1 steps 5-7).
fn cbc_tag(enc: JweEnc, mac_key: &[u8], aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    let algorithm = match enc {
        JweEnc::A128CbcHs256 => hmac::HMAC_SHA256,
        _ => hmac::HMAC_SHA512,
    };
    let key = hmac::Key::new(algorithm, mac_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ciphertext);
    let al = (aad.len() as u64).wrapping_mul(8).to_be_bytes();
    ctx.update(&al);
    let full = ctx.sign();
    full.as_ref()[..enc.tag_len()].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7518 Appendix B.1: AES_128_CBC_HMAC_SHA_256.
    #[test]
    fn rfc7518_b1_aes_128_cbc_hmac_sha_256() {
        let k: Vec<u8> = (0u8..32).collect();
        let p = hex(
            "41206369706865722073797374656d206d757374206e6f7420626520726571756972656420746f206265207365637265742c20616e64206974206d7573742062652061626c6520746f2066616c6c20696e746f207468652068616e6473206f662074686520656e656d7920776974686f757420696e636f6e76656e69656e6365",
        );
        let iv = hex("1af38c2dc2b96ffdd86694092341bc04");
        let a = hex(
            "546865207365636f6e64207072696e6369706c65206f662041756775737465204b6572636b686f666673",
        );
        let (e, t) = encrypt(JweEnc::A128CbcHs256, &k, &iv, &a, &p).unwrap();
        assert_eq!(
            e,
            hex(
                "c80edfa32ddf39d5ef00c0b468834279a2e46a1b8049f792f76bfe54b903a9c9a94ac9b47ad2655c5f10f9aef71427e2fc6f9b3f399a221489f16362c703233609d45ac69864e3321cf82935ac4096c86e133314c54019e8ca7980dfa4b9cf1b384c486f3a54c51078158ee5d79de59fbd34d848b3d69550a67646344427ade54b8851ffb598f7f80074b9473c82e2db"
            )
        );
        assert_eq!(t, hex("652c3fa36b0a7c5b3219fab3a30bc1c4"));
        assert_eq!(
            decrypt(JweEnc::A128CbcHs256, &k, &iv, &a, &e, &t).unwrap(),
            p
        );
    }

    /// RFC 7518 Appendix B.3: AES_256_CBC_HMAC_SHA_512.
    #[test]
    fn rfc7518_b3_aes_256_cbc_hmac_sha_512() {
        let k: Vec<u8> = (0u8..64).collect();
        let p = hex(
            "41206369706865722073797374656d206d757374206e6f7420626520726571756972656420746f206265207365637265742c20616e64206974206d7573742062652061626c6520746f2066616c6c20696e746f207468652068616e6473206f662074686520656e656d7920776974686f757420696e636f6e76656e69656e6365",
        );
        let iv = hex("1af38c2dc2b96ffdd86694092341bc04");
        let a = hex(
            "546865207365636f6e64207072696e6369706c65206f662041756775737465204b6572636b686f666673",
        );
        let (e, t) = encrypt(JweEnc::A256CbcHs512, &k, &iv, &a, &p).unwrap();
        assert_eq!(
            e,
            hex(
                "4affaaadb78c31c5da4b1b590d10ffbd3dd8d5d302423526912da037ecbcc7bd822c301dd67c373bccb584ad3e9279c2e6d12a1374b77f077553df829410446b36ebd97066296ae6427ea75c2e0846a11a09ccf5370dc80bfecbad28c73f09b3a3b75e662a2594410ae496b2e2e6609e31e6e02cc837f053d21f37ff4f51950bbe2638d09dd7a4930930806d0703b1f6"
            )
        );
        assert_eq!(
            t,
            hex("4dd3b4c088a7f45c216839645b2012bf2e6269a8c56a816dbc1b267761955bc5")
        );
        assert_eq!(
            decrypt(JweEnc::A256CbcHs512, &k, &iv, &a, &e, &t).unwrap(),
            p
        );
    }

    #[test]
    fn every_enc_round_trips_and_rejects_tampering() {
        for enc in JweEnc::ALL {
            let cek = vec![9u8; enc.cek_len()];
            let iv = vec![3u8; enc.iv_len()];
            let (ct, tag) = encrypt(enc, &cek, &iv, b"aad", b"hello world").unwrap();
            assert_eq!(
                decrypt(enc, &cek, &iv, b"aad", &ct, &tag).unwrap(),
                b"hello world"
            );
            assert!(
                decrypt(enc, &cek, &iv, b"aad!", &ct, &tag).is_err(),
                "{enc} aad"
            );
            let mut bad_tag = tag.clone();
            bad_tag[0] ^= 1;
            assert!(
                decrypt(enc, &cek, &iv, b"aad", &ct, &bad_tag).is_err(),
                "{enc} tag"
            );
            let mut bad_ct = ct.clone();
            bad_ct[0] ^= 1;
            assert!(
                decrypt(enc, &cek, &iv, b"aad", &bad_ct, &tag).is_err(),
                "{enc} ct"
            );
            let mut bad_iv = iv.clone();
            bad_iv[0] ^= 1;
            assert!(
                decrypt(enc, &cek, &bad_iv, b"aad", &ct, &tag).is_err(),
                "{enc} iv"
            );
            assert!(
                decrypt(enc, &cek, &iv, b"aad", &ct, &tag[1..]).is_err(),
                "{enc} short tag"
            );
            assert!(
                decrypt(enc, &cek[1..], &iv, b"aad", &ct, &tag).is_err(),
                "{enc} short key"
            );
        }
    }

    #[test]
    fn cbc_padding_errors_look_like_tag_errors() {
        // A validly tagged ciphertext whose padding is wrong: the same error as a bad tag.
        let enc = JweEnc::A128CbcHs256;
        let cek = vec![5u8; 32];
        let iv = vec![1u8; 16];
        let garbage = vec![0x42u8; 32];
        let tag = cbc_tag(enc, &cek[..16], b"", &iv, &garbage);
        assert_eq!(
            decrypt(enc, &cek, &iv, b"", &garbage, &tag),
            Err(JoseError::DecryptionFailed)
        );
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
