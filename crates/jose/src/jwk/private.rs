//! Private keys from JWK members (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2), decoded for the
//! aws-lc-rs key pairs that the JWS and JWE keys build from them.

use aws_lc_rs::rsa::{KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::RsaKeyPair;
use zeroize::Zeroizing;

use super::{EcParams, OkpParams, RsaParams};
use crate::alg::EcCurve;
use crate::b64;
use crate::error::{JoseError, Result};

fn secret_member(v: &Option<String>, name: &'static str) -> Result<Zeroizing<Vec<u8>>> {
    let text = v
        .as_ref()
        .ok_or_else(|| JoseError::InvalidKey(format!("private JWK lacks {name}")))?;
    Ok(Zeroizing::new(b64::decode(text, name)?))
}

fn strip(v: &[u8]) -> &[u8] {
    let first = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[first..]
}

/// An RSA key pair from `n`, `e`, `d`, `p`, `q`, `dp`, `dq`, `qi` (all required; `oth` is
/// not supported). aws-lc-rs checks the components' consistency.
pub(crate) fn rsa_key_pair(p: &RsaParams) -> Result<RsaKeyPair> {
    let n = b64::decode(&p.n, "JWK n")?;
    let e = b64::decode(&p.e, "JWK e")?;
    let d = secret_member(&p.d, "d")?;
    let pp = secret_member(&p.p, "p")?;
    let q = secret_member(&p.q, "q")?;
    let dp = secret_member(&p.dp, "dp")?;
    let dq = secret_member(&p.dq, "dq")?;
    let qi = secret_member(&p.qi, "qi")?;
    let components = KeyPairComponents {
        public_key: PublicKeyComponents {
            n: strip(&n),
            e: strip(&e),
        },
        d: &d[..],
        p: &pp[..],
        q: &q[..],
        dP: &dp[..],
        dQ: &dq[..],
        qInv: &qi[..],
    };
    RsaKeyPair::from_components(&components)
        .map_err(|e| JoseError::InvalidKey(format!("RSA private JWK: {e}")))
}

/// The EC private scalar `d`, which must be the curve's full length (RFC 7518 §6.2.2.1).
pub(crate) fn ec_private_scalar(p: &EcParams) -> Result<Zeroizing<Vec<u8>>> {
    let d = secret_member(&p.d, "d")?;
    if d.len() != p.crv.coordinate_len() {
        return Err(JoseError::InvalidKey(format!(
            "{} private key must be {} bytes",
            p.crv,
            p.crv.coordinate_len()
        )));
    }
    Ok(d)
}

/// `0x04 || x || y` from the JWK members.
pub(crate) fn ec_public_point(p: &EcParams) -> Result<Vec<u8>> {
    let x = b64::decode(&p.x, "JWK x")?;
    let y = b64::decode(&p.y, "JWK y")?;
    let len = EcCurve::coordinate_len(p.crv);
    if x.len() != len || y.len() != len {
        return Err(JoseError::InvalidKey(
            "EC coordinates of the wrong length".into(),
        ));
    }
    Ok(crate::material::PublicMaterial::uncompressed_point(&x, &y))
}

/// The OKP private key `d` (RFC 8037 §2), 32 bytes for X25519 and Ed25519.
pub(crate) fn okp_private_key(p: &OkpParams) -> Result<Zeroizing<Vec<u8>>> {
    let d = secret_member(&p.d, "d")?;
    if d.len() != 32 {
        return Err(JoseError::InvalidKey(format!(
            "{} private key must be 32 bytes",
            p.crv
        )));
    }
    Ok(d)
}
