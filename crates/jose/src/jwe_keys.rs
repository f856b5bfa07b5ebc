//! Keys for JWE: [`DecryptionKey`] (the server's private or shared keys) and
//! [`EncryptionKey`] (a recipient's public or shared key).

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::agreement;
use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{
    KeySize, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey, PublicKeyComponents,
};
use zeroize::Zeroizing;

use crate::alg::{EcCurve, KeyType};
use crate::b64;
use crate::error::{JoseError, Result};
use crate::jwe::{JweAlg, JweEnc};
use crate::jwk::{Jwk, JwkParams};
use crate::keys::{MIN_RSA_BITS, SecretBytes};
use crate::material::PublicMaterial;
use crate::private;

/// The kind of an asymmetric decryption key, for [`DecryptionKey::from_pkcs8`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecryptionKeyKind {
    /// RSA (RSA-OAEP, RSA-OAEP-256).
    Rsa,
    /// EC on a curve (ECDH-ES, ECDH-ES+A128KW, ECDH-ES+A256KW).
    Ec(EcCurve),
}

pub(crate) enum DecryptionMaterial {
    Rsa {
        key: OaepPrivateDecryptingKey,
        private: PrivateDecryptingKey,
        bits: usize,
    },
    Ec {
        curve: EcCurve,
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

fn rejected(e: aws_lc_rs::error::KeyRejected) -> JoseError {
    JoseError::InvalidKey(format!("private key rejected: {e}"))
}

fn ecdh_algorithm(curve: EcCurve) -> &'static agreement::Algorithm {
    match curve {
        EcCurve::P256 => &agreement::ECDH_P256,
        EcCurve::P384 => &agreement::ECDH_P384,
        EcCurve::P521 => &agreement::ECDH_P521,
    }
}

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

    fn from_ec(curve: EcCurve, key: agreement::PrivateKey) -> Result<Self> {
        let public = key
            .compute_public_key()
            .map_err(|_| JoseError::Crypto("EC public key"))?;
        let spki = public
            .as_der()
            .map_err(|_| JoseError::Crypto("EC public key export"))?;
        let public = PublicMaterial::from_spki_der(spki.as_ref())?;
        Ok(Self::new(
            DecryptionMaterial::Ec { curve, key },
            Some(public),
        ))
    }

    /// Generates an RSA key of 2048, 3072 or 4096 bits.
    pub fn generate_rsa(bits: usize) -> Result<Self> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            _ => {
                return Err(JoseError::InvalidKey(format!(
                    "RSA size {bits}; use 2048, 3072 or 4096"
                )));
            }
        };
        Self::from_rsa(
            PrivateDecryptingKey::generate(size)
                .map_err(|_| JoseError::Crypto("RSA generation"))?,
        )
    }

    /// Generates an EC key on `curve`.
    pub fn generate_ec(curve: EcCurve) -> Result<Self> {
        let key = agreement::PrivateKey::generate(ecdh_algorithm(curve))
            .map_err(|_| JoseError::Crypto("EC generation"))?;
        Self::from_ec(curve, key)
    }

    /// Loads a PKCS#8 DER private key of the given kind.
    pub fn from_pkcs8(kind: DecryptionKeyKind, der: &[u8]) -> Result<Self> {
        match kind {
            DecryptionKeyKind::Rsa => {
                Self::from_rsa(PrivateDecryptingKey::from_pkcs8(der).map_err(rejected)?)
            }
            DecryptionKeyKind::Ec(curve) => {
                let key = agreement::PrivateKey::from_private_key_der(ecdh_algorithm(curve), der)
                    .map_err(rejected)?;
                Self::from_ec(curve, key)
            }
        }
    }

    /// Loads a private JWK: RSA (`d`, `p`, `q`, `dp`, `dq`, `qi`), EC (`d`, checked against
    /// `x`/`y`) or `oct` (a symmetric key for `dir`/`A*KW`). The JWK's `kid` is kept.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        let key = match &jwk.params {
            JwkParams::Rsa(p) => {
                let pair = private::rsa_key_pair(p)?;
                let der = pair
                    .as_der()
                    .map_err(|_| JoseError::Crypto("PKCS#8 export"))?;
                Self::from_rsa(PrivateDecryptingKey::from_pkcs8(der.as_ref()).map_err(rejected)?)?
            }
            JwkParams::Ec(p) => {
                let d = private::ec_private_scalar(p)?;
                let key = agreement::PrivateKey::from_private_key(ecdh_algorithm(p.crv), &d)
                    .map_err(rejected)?;
                let made = Self::from_ec(p.crv, key)?;
                let claimed = PublicMaterial::from_jwk_params(&jwk.params)?;
                if made.inner.public != claimed {
                    return Err(JoseError::InvalidKey(
                        "EC private key does not match x and y".into(),
                    ));
                }
                made
            }
            JwkParams::Oct(p) => {
                Self::from_symmetric(&Zeroizing::new(b64::decode(&p.k, "JWK k")?))?
            }
            JwkParams::Okp(_) => {
                return Err(JoseError::InvalidKey(
                    "OKP decryption keys (X25519) are not supported".into(),
                ));
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
            DecryptionMaterial::Ec { key, .. } => {
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
            DecryptionMaterial::Ec { .. } => KeyType::Ec,
            DecryptionMaterial::Symmetric { .. } => KeyType::Oct,
        }
    }

    /// For an EC key, its curve.
    #[must_use]
    pub fn ec_curve(&self) -> Option<EcCurve> {
        match self.inner.material {
            DecryptionMaterial::Ec { curve, .. } => Some(curve),
            _ => None,
        }
    }

    /// The kind of asymmetric key, `None` for a symmetric key.
    #[must_use]
    pub fn kind(&self) -> Option<DecryptionKeyKind> {
        match self.inner.material {
            DecryptionMaterial::Rsa { .. } => Some(DecryptionKeyKind::Rsa),
            DecryptionMaterial::Ec { curve, .. } => Some(DecryptionKeyKind::Ec(curve)),
            DecryptionMaterial::Symmetric { .. } => None,
        }
    }

    pub(crate) fn material(&self) -> &DecryptionMaterial {
        &self.inner.material
    }

    /// Checks that this key can decrypt `alg`/`enc`: RSA keys (2048 bits or more) only
    /// RSA-OAEP(-256), EC keys only ECDH-ES(+A*KW), symmetric keys only `dir` (length = the
    /// CEK length of `enc`) or `A128KW`/`A256KW` (16/32 bytes).
    pub fn check_alg(&self, alg: JweAlg, enc: JweEnc) -> Result<()> {
        match (&self.inner.material, alg) {
            (DecryptionMaterial::Rsa { bits, .. }, JweAlg::RsaOaep | JweAlg::RsaOaep256) => {
                if *bits < MIN_RSA_BITS {
                    return Err(JoseError::WeakKey(format!("RSA key of {bits} bits")));
                }
                Ok(())
            }
            (DecryptionMaterial::Ec { .. }, a) if a.is_ecdh() => Ok(()),
            (DecryptionMaterial::Symmetric { secret }, a) if a.is_symmetric() => {
                symmetric_check(alg, enc, secret.as_slice().len())
            }
            (DecryptionMaterial::Rsa { .. }, _) => Err(mismatch(alg, "RSA")),
            (DecryptionMaterial::Ec { curve, .. }, _) => Err(mismatch(alg, &format!("EC {curve}"))),
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
        let mut jwk = Jwk::new(public.to_jwk_params());
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
    Ec {
        curve: EcCurve,
        point: Vec<u8>,
    },
    Symmetric {
        secret: SecretBytes,
    },
}

#[derive(Debug, Clone, Default)]
struct Restrictions {
    alg: Option<String>,
    key_use: Option<String>,
    key_ops: Option<Vec<String>>,
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
            PublicMaterial::Ec { curve, x, y } => {
                let point = PublicMaterial::uncompressed_point(x, y);
                // Checks the point is on the curve.
                agreement::ParsedPublicKey::try_from(&agreement::UnparsedPublicKey::new(
                    ecdh_algorithm(*curve),
                    &point,
                ))
                .map_err(|_| JoseError::InvalidKey(format!("{curve} point")))?;
                EncryptionMaterial::Ec {
                    curve: *curve,
                    point,
                }
            }
            PublicMaterial::Okp { .. } => {
                return Err(JoseError::InvalidKey(
                    "OKP encryption keys (X25519) are not supported".into(),
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

    /// A recipient key from a JWK: RSA, EC or `oct`; private members are ignored. The JWK's
    /// `kid`, `alg`, `use` (must be `enc`) and `key_ops` are kept and enforced, and `x5c` is
    /// checked.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        jwk.check_x5c()?;
        let restrictions = Restrictions {
            alg: jwk.alg.clone(),
            key_use: jwk.key_use.clone(),
            key_ops: jwk.key_ops.clone(),
        };
        let key = match &jwk.params {
            JwkParams::Oct(p) => {
                let mut key = Self::from_symmetric(&Zeroizing::new(b64::decode(&p.k, "JWK k")?))?;
                if let Some(inner) = Arc::get_mut(&mut key.inner) {
                    inner.restrictions = restrictions;
                }
                key
            }
            _ => {
                let public = jwk
                    .public_material()?
                    .ok_or(JoseError::Crypto("asymmetric JWK without public key"))?;
                Self::from_public(&public, restrictions)?
            }
        };
        Ok(key.with_kid(jwk.kid.as_deref()))
    }

    /// A shared symmetric key for `dir` or `A*KW`.
    pub fn from_symmetric(key: &[u8]) -> Result<Self> {
        if key.is_empty() {
            return Err(JoseError::InvalidKey("empty symmetric key".into()));
        }
        Ok(EncryptionKey {
            kid: None,
            inner: Arc::new(EncryptionInner {
                material: EncryptionMaterial::Symmetric {
                    secret: SecretBytes::new(key),
                },
                restrictions: Restrictions::default(),
            }),
        })
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
            EncryptionMaterial::Ec { .. } => KeyType::Ec,
            EncryptionMaterial::Symmetric { .. } => KeyType::Oct,
        }
    }

    pub(crate) fn material(&self) -> &EncryptionMaterial {
        &self.inner.material
    }

    /// Checks that this key can encrypt with `alg`/`enc` (key family and size as for
    /// [`DecryptionKey::check_alg`]; and the JWK's `alg`, `use` = `enc`, `key_ops`).
    pub fn check_alg(&self, alg: JweAlg, enc: JweEnc) -> Result<()> {
        let r = &self.inner.restrictions;
        if let Some(a) = &r.alg
            && a != alg.as_str()
        {
            return Err(JoseError::KeyRestricted(format!(
                "key is for alg {a}, not {alg}"
            )));
        }
        if let Some(u) = &r.key_use
            && u != "enc"
        {
            return Err(JoseError::KeyRestricted(format!(
                "key use is {u:?}, not \"enc\""
            )));
        }
        if let Some(ops) = &r.key_ops
            && !ops.iter().any(|o| {
                matches!(
                    o.as_str(),
                    "encrypt" | "wrapKey" | "deriveKey" | "deriveBits"
                )
            })
        {
            return Err(JoseError::KeyRestricted(
                "key_ops allows no encryption operation".into(),
            ));
        }
        match (&self.inner.material, alg) {
            (EncryptionMaterial::Rsa { bits, .. }, JweAlg::RsaOaep | JweAlg::RsaOaep256) => {
                if *bits < MIN_RSA_BITS {
                    return Err(JoseError::WeakKey(format!("RSA key of {bits} bits")));
                }
                Ok(())
            }
            (EncryptionMaterial::Ec { .. }, a) if a.is_ecdh() => Ok(()),
            (EncryptionMaterial::Symmetric { secret }, a) if a.is_symmetric() => {
                symmetric_check(alg, enc, secret.as_slice().len())
            }
            (EncryptionMaterial::Rsa { .. }, _) => Err(mismatch(alg, "RSA")),
            (EncryptionMaterial::Ec { curve, .. }, _) => Err(mismatch(alg, &format!("EC {curve}"))),
            (EncryptionMaterial::Symmetric { .. }, _) => Err(mismatch(alg, "oct")),
        }
    }
}
