//! Keys for JWE: [`DecryptionKey`] (the server's private or shared keys) and
//! [`EncryptionKey`] (a recipient's public or shared key), for the key management
//! algorithms of RFC 7518 §4 (RSA-OAEP §4.3, AES-KW §4.4, dir §4.5, ECDH-ES §4.6; X25519 per
//! RFC 8037 §3.2), and the symmetric keys derived from a client secret (OpenID Connect Core
//! §10.2). What the keys do with an `alg` is in `key_management`.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::agreement;
use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsBigEndian as _, AsDer as _, Curve25519SeedBin};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
    PublicKeyComponents,
};
use zeroize::Zeroizing;

use crate::alg::{EcCurve, JweAlg, JweEnc, KeyType, OkpCurve};
use crate::b64;
use crate::error::{JoseError, Result};
use crate::jwk::{Jwk, JwkParams, KeyMaterial, Restrictions, private};
use crate::key_common::{MIN_RSA_BITS, SecretBytes, rejected, rsa_generation_size};
use crate::material::PublicMaterial;

/// The kind of an asymmetric decryption key, for [`DecryptionKey::from_pkcs8`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecryptionKeyKind {
    /// RSA (RSA-OAEP, RSA-OAEP-256).
    Rsa,
    /// EC on a curve (ECDH-ES, ECDH-ES+A128KW, ECDH-ES+A256KW).
    Ec(EcCurve),
    /// X25519, an OKP key for ECDH-ES, ECDH-ES+A128KW and ECDH-ES+A256KW (RFC 8037 §3.2).
    X25519,
}

/// The curve of an ECDH-ES key: a NIST curve (RFC 7518 §4.6) or X25519 (RFC 8037 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AgreementCurve {
    Ec(EcCurve),
    X25519,
}

impl AgreementCurve {
    pub(crate) fn algorithm(self) -> &'static agreement::Algorithm {
        match self {
            AgreementCurve::Ec(EcCurve::P256) => &agreement::ECDH_P256,
            AgreementCurve::Ec(EcCurve::P384) => &agreement::ECDH_P384,
            AgreementCurve::Ec(EcCurve::P521) => &agreement::ECDH_P521,
            AgreementCurve::X25519 => &agreement::X25519,
        }
    }

    /// The curve of a JWK's key members, without decoding them; `None` for keys that do not
    /// agree (RSA, `oct`, Ed25519).
    pub(crate) fn of_params(params: &JwkParams) -> Option<Self> {
        match params {
            JwkParams::Ec(p) => Some(AgreementCurve::Ec(p.crv)),
            JwkParams::Okp(p) if p.crv == OkpCurve::X25519 => Some(AgreementCurve::X25519),
            _ => None,
        }
    }

    /// The curve and public key bytes as aws-lc-rs takes them: the SEC 1 uncompressed point
    /// for EC, the 32-byte u-coordinate for X25519 (RFC 7748 §5).
    pub(crate) fn public_bytes(public: &PublicMaterial) -> Option<(Self, Vec<u8>)> {
        match public {
            PublicMaterial::Ec { curve, x, y } => Some((
                AgreementCurve::Ec(*curve),
                PublicMaterial::uncompressed_point(x, y),
            )),
            PublicMaterial::Okp {
                curve: OkpCurve::X25519,
                x,
            } => Some((AgreementCurve::X25519, x.clone())),
            _ => None,
        }
    }

    /// The inverse of [`AgreementCurve::public_bytes`].
    pub(crate) fn public_material(self, bytes: &[u8]) -> Result<PublicMaterial> {
        match self {
            AgreementCurve::Ec(curve) => {
                let len = curve.coordinate_len();
                match bytes {
                    [4, rest @ ..] if rest.len() == 2 * len => Ok(PublicMaterial::Ec {
                        curve,
                        x: rest[..len].to_vec(),
                        y: rest[len..].to_vec(),
                    }),
                    _ => Err(JoseError::Crypto("EC public key encoding")),
                }
            }
            AgreementCurve::X25519 if bytes.len() == 32 => Ok(PublicMaterial::Okp {
                curve: OkpCurve::X25519,
                x: bytes.to_vec(),
            }),
            AgreementCurve::X25519 => Err(JoseError::Crypto("X25519 public key encoding")),
        }
    }

    fn kty(self) -> KeyType {
        match self {
            AgreementCurve::Ec(_) => KeyType::Ec,
            AgreementCurve::X25519 => KeyType::Okp,
        }
    }
}

impl fmt::Display for AgreementCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgreementCurve::Ec(c) => write!(f, "EC {c}"),
            AgreementCurve::X25519 => f.write_str("OKP X25519"),
        }
    }
}

/// Checks that an X25519 public key is not of small order: a key agreement with it must not
/// give the all-zero value (RFC 7748 §6.1), which aws-lc-rs refuses. This is X25519's
/// counterpart of the on-curve check of the NIST curves.
fn check_x25519_public(u: &[u8]) -> Result<()> {
    let trial = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &SystemRandom::new())
        .map_err(|_| JoseError::Crypto("X25519 key generation"))?;
    agreement::agree_ephemeral(
        trial,
        agreement::UnparsedPublicKey::new(&agreement::X25519, u),
        JoseError::InvalidKey("X25519 public key of small order".into()),
        |_| Ok(()),
    )
}

/// The fixed prefix of an X25519 private key in PKCS#8 v1 (RFC 8410 §7: OneAsymmetricKey,
/// version 0, algorithm id-X25519 1.3.101.110, privateKey an OCTET STRING holding the 32-byte
/// CurvePrivateKey OCTET STRING).
const X25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
];

pub(crate) enum DecryptionMaterial {
    Rsa {
        key: OaepPrivateDecryptingKey,
        private: PrivateDecryptingKey,
        bits: usize,
    },
    Agreement {
        curve: AgreementCurve,
        key: agreement::PrivateKey,
    },
    Symmetric {
        secret: SecretBytes,
    },
}

struct DecryptionInner {
    material: DecryptionMaterial,
    public: Option<PublicMaterial>,
}

/// A key that decrypts JWEs: an RSA or EC private key, or a symmetric key for `dir`/`A*KW`
/// (for instance derived from a client secret, [`DecryptionKey::from_client_secret`]).
/// Cheap to clone; `Debug` shows no secrets.
#[derive(Clone)]
pub struct DecryptionKey {
    kid: Option<Arc<str>>,
    inner: Arc<DecryptionInner>,
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptionKey")
            .field("kid", &self.kid)
            .field("kty", &self.kty())
            .finish_non_exhaustive()
    }
}

/// The length a symmetric key must have: the CEK length of `enc` for `dir` (RFC 7518 §4.5),
/// the AES Key Wrap key length for `A128KW`/`A256KW` (§4.4).
fn symmetric_check(alg: JweAlg, enc: JweEnc, len: usize) -> Result<()> {
    let want = match alg {
        JweAlg::Dir => enc.cek_len(),
        _ => alg.key_wrap_len().unwrap_or(0),
    };
    if len == want {
        Ok(())
    } else {
        Err(JoseError::InvalidKey(format!(
            "{alg} with {enc} needs a {want}-byte key, got {len}"
        )))
    }
}

fn mismatch(alg: JweAlg, kty: &str) -> JoseError {
    JoseError::AlgKeyMismatch {
        alg: alg.as_str().to_owned(),
        kty: kty.to_owned(),
    }
}

/// The symmetric key derived from a client secret for `dir` or `A*KW` (OpenID Connect Core
/// §10.2): the SHA-256, SHA-384 or SHA-512 (by key size: up to 256, 384 or 512 bits) of the
/// secret's octets, left-truncated to the key length that `alg` (or, for `dir`, `enc`) needs.
pub fn derive_key_from_client_secret(
    secret: &[u8],
    alg: JweAlg,
    enc: JweEnc,
) -> Result<Zeroizing<Vec<u8>>> {
    if secret.is_empty() {
        return Err(JoseError::InvalidKey("empty client secret".into()));
    }
    let len = match alg {
        JweAlg::Dir => enc.cek_len(),
        JweAlg::A128Kw | JweAlg::A256Kw => alg.key_wrap_len().unwrap_or(0),
        _ => {
            return Err(JoseError::UnsupportedOperation(
                "client-secret keys are for dir and A*KW only",
            ));
        }
    };
    let hash = match len {
        0..=32 => &digest::SHA256,
        33..=48 => &digest::SHA384,
        _ => &digest::SHA512,
    };
    let full = digest::digest(hash, secret);
    Ok(Zeroizing::new(full.as_ref()[..len].to_vec()))
}

impl DecryptionKey {
    fn new(material: DecryptionMaterial, public: Option<PublicMaterial>) -> Self {
        DecryptionKey {
            kid: None,
            inner: Arc::new(DecryptionInner { material, public }),
        }
    }

    fn from_rsa(private: PrivateDecryptingKey) -> Result<Self> {
        let bits = private.key_size_bits();
        if bits < MIN_RSA_BITS {
            return Err(JoseError::WeakKey(format!("RSA key of {bits} bits")));
        }
        let spki = private
            .public_key()
            .as_der()
            .map_err(|_| JoseError::Crypto("RSA public key export"))?;
        let public = PublicMaterial::from_spki_der(spki.as_ref())?;
        let key = OaepPrivateDecryptingKey::new(private.clone())
            .map_err(|_| JoseError::Crypto("RSA-OAEP key"))?;
        Ok(Self::new(
            DecryptionMaterial::Rsa { key, private, bits },
            Some(public),
        ))
    }

    fn from_agreement(curve: AgreementCurve, key: agreement::PrivateKey) -> Result<Self> {
        let public = key
            .compute_public_key()
            .map_err(|_| JoseError::Crypto("ECDH public key"))?;
        let public = curve.public_material(public.as_ref())?;
        Ok(Self::new(
            DecryptionMaterial::Agreement { curve, key },
            Some(public),
        ))
    }

    /// Generates an RSA key of 2048, 3072 or 4096 bits.
    pub fn generate_rsa(bits: usize) -> Result<Self> {
        Self::from_rsa(
            PrivateDecryptingKey::generate(rsa_generation_size(bits)?)
                .map_err(|_| JoseError::Crypto("RSA generation"))?,
        )
    }

    /// Generates an EC key on `curve`.
    pub fn generate_ec(curve: EcCurve) -> Result<Self> {
        Self::generate_agreement(AgreementCurve::Ec(curve))
    }

    /// Generates an X25519 key (RFC 7748 §5; for ECDH-ES as RFC 8037 §3.2 defines it).
    pub fn generate_x25519() -> Result<Self> {
        Self::generate_agreement(AgreementCurve::X25519)
    }

    fn generate_agreement(curve: AgreementCurve) -> Result<Self> {
        let key = agreement::PrivateKey::generate(curve.algorithm())
            .map_err(|_| JoseError::Crypto("ECDH key generation"))?;
        Self::from_agreement(curve, key)
    }

    /// Loads a PKCS#8 DER private key of the given kind. For X25519 only the PKCS#8 v1 form
    /// of RFC 8410 §7 (what [`DecryptionKey::to_pkcs8`] and OpenSSL write) is read.
    pub fn from_pkcs8(kind: DecryptionKeyKind, der: &[u8]) -> Result<Self> {
        match kind {
            DecryptionKeyKind::Rsa => {
                Self::from_rsa(PrivateDecryptingKey::from_pkcs8(der).map_err(rejected)?)
            }
            DecryptionKeyKind::Ec(curve) => {
                let curve = AgreementCurve::Ec(curve);
                let key = agreement::PrivateKey::from_private_key_der(curve.algorithm(), der)
                    .map_err(rejected)?;
                Self::from_agreement(curve, key)
            }
            DecryptionKeyKind::X25519 => {
                let seed = der
                    .strip_prefix(&X25519_PKCS8_PREFIX[..])
                    .filter(|seed| seed.len() == 32)
                    .ok_or_else(|| {
                        JoseError::InvalidKey(
                            "X25519 PKCS#8 must be the RFC 8410 §7 v1 structure".into(),
                        )
                    })?;
                let key = agreement::PrivateKey::from_private_key(&agreement::X25519, seed)
                    .map_err(rejected)?;
                Self::from_agreement(AgreementCurve::X25519, key)
            }
        }
    }

    /// Loads a private JWK: RSA (`d`, `p`, `q`, `dp`, `dq`, `qi`), EC (`d`, checked against
    /// `x`/`y`), OKP X25519 (`d`, checked against `x`; RFC 8037 §2) or `oct` (a symmetric key
    /// for `dir`/`A*KW`). The JWK's `kid` is kept.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        let key = match &jwk.params {
            JwkParams::Rsa(p) => {
                let pair = private::rsa_key_pair(p)?;
                let der = pair
                    .as_der()
                    .map_err(|_| JoseError::Crypto("PKCS#8 export"))?;
                Self::from_rsa(PrivateDecryptingKey::from_pkcs8(der.as_ref()).map_err(rejected)?)?
            }
            JwkParams::Ec(_) | JwkParams::Okp(_) => {
                let (curve, d) = match &jwk.params {
                    JwkParams::Ec(p) => (AgreementCurve::Ec(p.crv), private::ec_private_scalar(p)?),
                    JwkParams::Okp(p) if p.crv == OkpCurve::X25519 => {
                        (AgreementCurve::X25519, private::okp_private_key(p)?)
                    }
                    _ => {
                        return Err(JoseError::InvalidKey(
                            "Ed25519 is a signature key, not a decryption key".into(),
                        ));
                    }
                };
                let key = agreement::PrivateKey::from_private_key(curve.algorithm(), &d)
                    .map_err(rejected)?;
                let made = Self::from_agreement(curve, key)?;
                let claimed = jwk.params.public_material()?;
                if made.inner.public != claimed {
                    return Err(JoseError::InvalidKey(format!(
                        "{curve} private key does not match its public members"
                    )));
                }
                made
            }
            JwkParams::Oct(p) => {
                Self::from_symmetric(&Zeroizing::new(b64::decode(&p.k, "JWK k")?))?
            }
        };
        Ok(key.with_kid(jwk.kid.as_deref()))
    }

    /// A symmetric key for `dir` (its length must be the `enc`'s CEK length) or `A128KW`
    /// (16 bytes) / `A256KW` (32 bytes).
    pub fn from_symmetric(key: &[u8]) -> Result<Self> {
        if key.is_empty() {
            return Err(JoseError::InvalidKey("empty symmetric key".into()));
        }
        Ok(Self::new(
            DecryptionMaterial::Symmetric {
                secret: SecretBytes::new(key),
            },
            None,
        ))
    }

    /// The symmetric key derived from a client secret for this `alg`/`enc`
    /// ([`derive_key_from_client_secret`], OpenID Connect Core §10.2).
    pub fn from_client_secret(secret: &[u8], alg: JweAlg, enc: JweEnc) -> Result<Self> {
        Self::from_symmetric(&derive_key_from_client_secret(secret, alg, enc)?)
    }

    /// The PKCS#8 DER encoding of the private key, to persist it. Not for symmetric keys.
    pub fn to_pkcs8(&self) -> Result<Vec<u8>> {
        match &self.inner.material {
            DecryptionMaterial::Rsa { private, .. } => private
                .as_der()
                .map(|d| d.as_ref().to_vec())
                .map_err(|_| JoseError::Crypto("PKCS#8 export")),
            DecryptionMaterial::Agreement {
                curve: AgreementCurve::X25519,
                key,
            } => {
                let seed: Curve25519SeedBin<'static> = key
                    .as_be_bytes()
                    .map_err(|_| JoseError::Crypto("PKCS#8 export"))?;
                let mut der = Vec::with_capacity(X25519_PKCS8_PREFIX.len() + 32);
                der.extend_from_slice(&X25519_PKCS8_PREFIX);
                der.extend_from_slice(seed.as_ref());
                Ok(der)
            }
            DecryptionMaterial::Agreement { key, .. } => {
                let der: Result<aws_lc_rs::encoding::Pkcs8V1Der<'static>, _> = key.as_der();
                der.map(|d| d.as_ref().to_vec())
                    .map_err(|_| JoseError::Crypto("PKCS#8 export"))
            }
            DecryptionMaterial::Symmetric { .. } => Err(JoseError::UnsupportedOperation(
                "a symmetric key has no PKCS#8 form",
            )),
        }
    }

    /// The same key under another `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: Option<&str>) -> Self {
        self.kid = kid.map(Arc::from);
        self
    }

    /// The key ID, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key type.
    #[must_use]
    pub fn kty(&self) -> KeyType {
        match self.inner.material {
            DecryptionMaterial::Rsa { .. } => KeyType::Rsa,
            DecryptionMaterial::Agreement { curve, .. } => curve.kty(),
            DecryptionMaterial::Symmetric { .. } => KeyType::Oct,
        }
    }

    /// For an EC key, its curve.
    #[must_use]
    pub fn ec_curve(&self) -> Option<EcCurve> {
        match self.agreement_curve() {
            Some(AgreementCurve::Ec(curve)) => Some(curve),
            _ => None,
        }
    }

    /// For an ECDH-ES key (EC or X25519), its curve.
    pub(crate) fn agreement_curve(&self) -> Option<AgreementCurve> {
        match self.inner.material {
            DecryptionMaterial::Agreement { curve, .. } => Some(curve),
            _ => None,
        }
    }

    /// The kind of asymmetric key, `None` for a symmetric key.
    #[must_use]
    pub fn kind(&self) -> Option<DecryptionKeyKind> {
        match self.inner.material {
            DecryptionMaterial::Rsa { .. } => Some(DecryptionKeyKind::Rsa),
            DecryptionMaterial::Agreement {
                curve: AgreementCurve::Ec(curve),
                ..
            } => Some(DecryptionKeyKind::Ec(curve)),
            DecryptionMaterial::Agreement {
                curve: AgreementCurve::X25519,
                ..
            } => Some(DecryptionKeyKind::X25519),
            DecryptionMaterial::Symmetric { .. } => None,
        }
    }

    pub(crate) fn material(&self) -> &DecryptionMaterial {
        &self.inner.material
    }

    /// Checks that this key can decrypt `alg`/`enc`: RSA keys (2048 bits or more) only
    /// RSA-OAEP(-256), EC and X25519 keys only ECDH-ES(+A*KW), symmetric keys only `dir`
    /// (length = the CEK length of `enc`) or `A128KW`/`A256KW` (16/32 bytes).
    pub fn check_alg(&self, alg: JweAlg, enc: JweEnc) -> Result<()> {
        match (&self.inner.material, alg) {
            (DecryptionMaterial::Rsa { bits, .. }, JweAlg::RsaOaep | JweAlg::RsaOaep256) => {
                if *bits < MIN_RSA_BITS {
                    return Err(JoseError::WeakKey(format!("RSA key of {bits} bits")));
                }
                Ok(())
            }
            (DecryptionMaterial::Agreement { .. }, a) if a.is_ecdh() => Ok(()),
            (DecryptionMaterial::Symmetric { secret }, a) if a.is_symmetric() => {
                symmetric_check(alg, enc, secret.as_slice().len())
            }
            (DecryptionMaterial::Rsa { .. }, _) => Err(mismatch(alg, "RSA")),
            (DecryptionMaterial::Agreement { curve, .. }, _) => {
                Err(mismatch(alg, &curve.to_string()))
            }
            (DecryptionMaterial::Symmetric { .. }, _) => Err(mismatch(alg, "oct")),
        }
    }

    /// The public key as a JWK for a JWKS document, with `kid` and `"use":"enc"`
    /// (RFC 7517 §4.2) and no `alg`. Not for symmetric keys.
    pub fn public_jwk(&self, kid: &str) -> Result<Jwk> {
        let public = self
            .inner
            .public
            .as_ref()
            .ok_or(JoseError::UnsupportedOperation(
                "a symmetric key has no public JWK",
            ))?;
        let mut jwk = Jwk::new(JwkParams::from_public(public));
        jwk.kid = Some(kid.to_owned());
        jwk.key_use = Some("enc".to_owned());
        Ok(jwk)
    }

    /// Like [`DecryptionKey::public_jwk`] with an `alg` member.
    pub fn public_jwk_for_alg(&self, kid: &str, alg: JweAlg) -> Result<Jwk> {
        let mut jwk = self.public_jwk(kid)?;
        let any_enc = JweEnc::ALL
            .into_iter()
            .any(|enc| self.check_alg(alg, enc).is_ok());
        if !any_enc {
            return Err(mismatch(alg, self.kty().as_str()));
        }
        jwk.alg = Some(alg.as_str().to_owned());
        Ok(jwk)
    }

    /// The key that encrypts to this key (the public half, or the same symmetric key).
    pub fn encryption_key(&self) -> Result<EncryptionKey> {
        let key = match (&self.inner.material, &self.inner.public) {
            (DecryptionMaterial::Symmetric { secret }, _) => {
                EncryptionKey::from_symmetric(secret.as_slice())?
            }
            (_, Some(public)) => EncryptionKey::from_public(public, Restrictions::default())?,
            _ => return Err(JoseError::Crypto("decryption key without public key")),
        };
        Ok(key.with_kid(self.kid()))
    }
}

pub(crate) enum EncryptionMaterial {
    Rsa {
        key: OaepPublicEncryptingKey,
        bits: usize,
    },
    Agreement {
        curve: AgreementCurve,
        /// [`AgreementCurve::public_bytes`]: a checked EC point or X25519 u-coordinate.
        public: Vec<u8>,
    },
    Symmetric {
        secret: SecretBytes,
    },
}

struct EncryptionInner {
    material: EncryptionMaterial,
    restrictions: Restrictions,
}

/// A key to encrypt JWEs to: a recipient's RSA or EC public key, or a shared symmetric key.
/// Cheap to clone.
#[derive(Clone)]
pub struct EncryptionKey {
    kid: Option<Arc<str>>,
    inner: Arc<EncryptionInner>,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("kid", &self.kid)
            .field("kty", &self.kty())
            .finish_non_exhaustive()
    }
}

impl EncryptionKey {
    fn from_public(public: &PublicMaterial, restrictions: Restrictions) -> Result<Self> {
        let material = match public {
            PublicMaterial::Rsa { n, e } => {
                let key: PublicEncryptingKey = PublicKeyComponents {
                    n: &n[..],
                    e: &e[..],
                }
                .try_into()
                .map_err(|_| JoseError::InvalidKey("RSA public key".into()))?;
                let bits = key.key_size_bits();
                let key = OaepPublicEncryptingKey::new(key)
                    .map_err(|_| JoseError::InvalidKey("RSA-OAEP public key".into()))?;
                EncryptionMaterial::Rsa { key, bits }
            }
            PublicMaterial::Ec { .. }
            | PublicMaterial::Okp {
                curve: OkpCurve::X25519,
                ..
            } => {
                let (curve, public) = AgreementCurve::public_bytes(public)
                    .ok_or(JoseError::Crypto("agreement key"))?;
                match curve {
                    // Checks the point is on the curve.
                    AgreementCurve::Ec(c) => {
                        agreement::ParsedPublicKey::try_from(&agreement::UnparsedPublicKey::new(
                            curve.algorithm(),
                            &public,
                        ))
                        .map_err(|_| JoseError::InvalidKey(format!("{c} point")))?;
                    }
                    AgreementCurve::X25519 => check_x25519_public(&public)?,
                }
                EncryptionMaterial::Agreement { curve, public }
            }
            PublicMaterial::Okp {
                curve: OkpCurve::Ed25519,
                ..
            } => {
                return Err(JoseError::InvalidKey(
                    "Ed25519 is a signature key, not an encryption key".into(),
                ));
            }
        };
        Ok(EncryptionKey {
            kid: None,
            inner: Arc::new(EncryptionInner {
                material,
                restrictions,
            }),
        })
    }

    /// A recipient key from a JWK: RSA, EC, OKP X25519 (RFC 8037 §3.2) or `oct`; private
    /// members are ignored. EC points must lie on their curve and X25519 keys must not be of
    /// small order. The JWK's `kid`, `alg`, `use` (must be `enc`) and `key_ops` are kept and
    /// enforced, and `x5c` is checked.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        jwk.check_x5c()?;
        let restrictions = Restrictions::of(jwk);
        let key = match jwk.key_material()? {
            KeyMaterial::Secret(k) => Self::symmetric(&k, restrictions),
            KeyMaterial::Public(public) => Self::from_public(&public, restrictions)?,
        };
        Ok(key.with_kid(jwk.kid.as_deref()))
    }

    /// A shared symmetric key for `dir` or `A*KW`.
    pub fn from_symmetric(key: &[u8]) -> Result<Self> {
        if key.is_empty() {
            return Err(JoseError::InvalidKey("empty symmetric key".into()));
        }
        Ok(Self::symmetric(key, Restrictions::default()))
    }

    fn symmetric(key: &[u8], restrictions: Restrictions) -> Self {
        EncryptionKey {
            kid: None,
            inner: Arc::new(EncryptionInner {
                material: EncryptionMaterial::Symmetric {
                    secret: SecretBytes::new(key),
                },
                restrictions,
            }),
        }
    }

    /// The symmetric key derived from a client secret ([`derive_key_from_client_secret`]).
    pub fn from_client_secret(secret: &[u8], alg: JweAlg, enc: JweEnc) -> Result<Self> {
        Self::from_symmetric(&derive_key_from_client_secret(secret, alg, enc)?)
    }

    /// The same key under another `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: Option<&str>) -> Self {
        self.kid = kid.map(Arc::from);
        self
    }

    /// The key ID, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key type.
    #[must_use]
    pub fn kty(&self) -> KeyType {
        match self.inner.material {
            EncryptionMaterial::Rsa { .. } => KeyType::Rsa,
            EncryptionMaterial::Agreement { curve, .. } => curve.kty(),
            EncryptionMaterial::Symmetric { .. } => KeyType::Oct,
        }
    }

    pub(crate) fn material(&self) -> &EncryptionMaterial {
        &self.inner.material
    }

    /// Checks that this key can encrypt with `alg`/`enc` (key family and size as for
    /// [`DecryptionKey::check_alg`]; and the JWK's `alg`, `use` = `enc`, `key_ops`).
    pub fn check_alg(&self, alg: JweAlg, enc: JweEnc) -> Result<()> {
        // RFC 7517 §4.3: encrypting to a recipient key is one of these operations.
        self.inner.restrictions.check(
            alg.as_str(),
            "enc",
            &["encrypt", "wrapKey", "deriveKey", "deriveBits"],
        )?;
        match (&self.inner.material, alg) {
            (EncryptionMaterial::Rsa { bits, .. }, JweAlg::RsaOaep | JweAlg::RsaOaep256) => {
                if *bits < MIN_RSA_BITS {
                    return Err(JoseError::WeakKey(format!("RSA key of {bits} bits")));
                }
                Ok(())
            }
            (EncryptionMaterial::Agreement { .. }, a) if a.is_ecdh() => Ok(()),
            (EncryptionMaterial::Symmetric { secret }, a) if a.is_symmetric() => {
                symmetric_check(alg, enc, secret.as_slice().len())
            }
            (EncryptionMaterial::Rsa { .. }, _) => Err(mismatch(alg, "RSA")),
            (EncryptionMaterial::Agreement { curve, .. }, _) => {
                Err(mismatch(alg, &curve.to_string()))
            }
            (EncryptionMaterial::Symmetric { .. }, _) => Err(mismatch(alg, "oct")),
        }
    }
}
