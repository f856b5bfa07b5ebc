//! Random Content Encryption Keys (RFC 7516 §5.1 step 2), and the random CEK that a failed
//! key unwrap goes on with (RFC 7516 §11.5).

use aws_lc_rs::rand;
use zeroize::Zeroizing;

/// `len` random bytes, wiped on drop: a CEK (RFC 7516 §5.1 step 2) or an IV (step 11).
pub(crate) fn random_bytes(len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    // A failing system RNG leaves zeros; the value only has to be unusable, and a zero CEK
    // still fails the tag check.
    let _ = rand::fill(&mut out);
    out
}

/// The CEK to go on with after a key unwrap (RFC 7516 §11.5): the unwrapped key when there is
/// one of the right length, otherwise a random key of that length, so that a failed unwrap
/// (bad OAEP padding, AES-KW integrity check, wrong length) is only found at the tag, with the
/// same [`JoseError::DecryptionFailed`](crate::JoseError::DecryptionFailed) as a bad tag. The
/// random key is drawn in every case: both outcomes do the same work but a 16- to 64-byte
/// copy.
pub(crate) fn accept_or_random(candidate: Option<&[u8]>, len: usize) -> Zeroizing<Vec<u8>> {
    let mut cek = random_bytes(len);
    if let Some(unwrapped) = candidate.filter(|c| c.len() == len) {
        cek.copy_from_slice(unwrapped);
    }
    cek
}
