//! Parsed keys for JWS: [`VerifyingKey`] (public keys and shared secrets) and [`SigningKey`],
//! for the algorithms of RFC 7518 §3 (and RFC 8037 §3.1, RFC 9864 §2.2).
//!
//! Both are cheap to clone (the aws-lc-rs key objects sit behind an `Arc`).

use std::fmt;
use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, Ed25519KeyPair,
    KeyPair as _, ParsedPublicKey, RsaEncoding, RsaKeyPair, RsaParameters, RsaPublicKeyComponents,
};
use zeroize::Zeroizing;

use crate::alg::{AlgFamily, EcCurve, JwsAlg, KeyType, OkpCurve};
use crate::b64;
use crate::error::{JoseError, Result};
use crate::jwk::{Jwk, JwkParams, KeyMaterial, Restrictions};
use crate::key_common::{MIN_RSA_BITS, SecretBytes, rejected, rsa_generation_size};
use crate::material::{PublicMaterial, certificate_der_from_text};

const RSA_ALGS: [JwsAlg; 6] = [
    JwsAlg::RS256,
    JwsAlg::RS384,
    JwsAlg::RS512,
    JwsAlg::PS256,
    JwsAlg::PS384,
    JwsAlg::PS512,
];

fn rsa_slot(alg: JwsAlg) -> Option<usize> {
    RSA_ALGS.iter().position(|a| *a == alg)
}

fn rsa_verification(alg: JwsAlg) -> Option<&'static RsaParameters> {
    Some(match alg {
        JwsAlg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        JwsAlg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        JwsAlg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        JwsAlg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        JwsAlg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        JwsAlg::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

fn rsa_signing(alg: JwsAlg) -> Option<&'static dyn RsaEncoding> {
    Some(match alg {
        JwsAlg::RS256 => &signature::RSA_PKCS1_SHA256,
        JwsAlg::RS384 => &signature::RSA_PKCS1_SHA384,
        JwsAlg::RS512 => &signature::RSA_PKCS1_SHA512,
        JwsAlg::PS256 => &signature::RSA_PSS_SHA256,
        JwsAlg::PS384 => &signature::RSA_PSS_SHA384,
        JwsAlg::PS512 => &signature::RSA_PSS_SHA512,
        _ => return None,
    })
}

fn ecdsa_verification(curve: EcCurve) -> &'static EcdsaVerificationAlgorithm {
    match curve {
        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        EcCurve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
    }
}

fn ecdsa_signing(curve: EcCurve) -> &'static EcdsaSigningAlgorithm {
    match curve {
        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        EcCurve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}

fn hmac_algorithm(alg: JwsAlg) -> Option<hmac::Algorithm> {
    Some(match alg {
        JwsAlg::HS256 => hmac::HMAC_SHA256,
        JwsAlg::HS384 => hmac::HMAC_SHA384,
        JwsAlg::HS512 => hmac::HMAC_SHA512,
        _ => return None,
    })
}

enum VerifyingMaterial {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
        bits: usize,
        /// One parsed key per RSA algorithm, made on first use (aws-lc-rs binds the
        /// algorithm into the parsed key).
        parsed: Box<[OnceLock<Option<ParsedPublicKey>>; 6]>,
    },
    Ec {
        curve: EcCurve,
        parsed: ParsedPublicKey,
    },
    Ed25519 {
        parsed: ParsedPublicKey,
    },
    Hmac {
        secret: SecretBytes,
        /// One HMAC key per HS algorithm, made on first use, so that a verification does not
        /// redo the key schedule (RFC 2104 §2: the padded inner and outer keys).
        /// (An aws-lc-rs HMAC key is over a kilobyte, hence the boxes.)
        keys: [OnceLock<Box<hmac::Key>>; 3],
    },
}

impl VerifyingMaterial {
    fn hmac(secret: &[u8]) -> Self {
        VerifyingMaterial::Hmac {
            secret: SecretBytes::new(secret),
            keys: Default::default(),
        }
    }
}

struct VerifyingInner {
    restrictions: Restrictions,
    material: VerifyingMaterial,
    public: Option<PublicMaterial>,
}

/// A key that verifies JWS signatures: a public key (RSA, EC P-256/384/521, Ed25519) or a
/// shared secret (HMAC).
///
/// It remembers the JWK's `kid`, `alg`, `use` and `key_ops`, and [`VerifyingKey::check_alg`]
/// enforces them together with the key-type/algorithm family (RFC 7518 §3.1; RFC 8725 §3.1).
/// Cheap to clone.
#[derive(Clone)]
pub struct VerifyingKey {
    kid: Option<Arc<str>>,
    inner: Arc<VerifyingInner>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("kty", &self.kty())
            .field("restrictions", &self.inner.restrictions)
            .finish_non_exhaustive()
    }
}

/// The aws-lc-rs verification key of a public key: RSA (RFC 7518 §3.3, §3.5), ECDSA on the
/// point's curve (§3.4), Ed25519 (RFC 8037 §3.1); X25519 is refused.
fn build_public(material: &PublicMaterial) -> Result<VerifyingMaterial> {
    match material {
        PublicMaterial::Rsa { n, e } => {
            let bits = PublicMaterial::rsa_bits(n);
            let parsed: Box<[OnceLock<Option<ParsedPublicKey>>; 6]> = Box::default();
            // Parse once now so that malformed keys fail here rather than at first use.
            let first = RsaPublicKeyComponents {
                n: &n[..],
                e: &e[..],
            }
            .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|e| JoseError::InvalidKey(format!("RSA: {e}")))?;
            let _ = parsed[0].set(Some(first));
            Ok(VerifyingMaterial::Rsa {
                n: n.clone(),
                e: e.clone(),
                bits,
                parsed,
            })
        }
        PublicMaterial::Ec { curve, x, y } => {
            let point = PublicMaterial::uncompressed_point(x, y);
            // aws-lc-rs checks that the point is on the curve.
            let parsed = ParsedPublicKey::new(ecdsa_verification(*curve), point)
                .map_err(|e| JoseError::InvalidKey(format!("{curve}: {e}")))?;
            Ok(VerifyingMaterial::Ec {
                curve: *curve,
                parsed,
            })
        }
        PublicMaterial::Okp {
            curve: OkpCurve::Ed25519,
            x,
        } => {
            let parsed = ParsedPublicKey::new(&signature::ED25519, x)
                .map_err(|e| JoseError::InvalidKey(format!("Ed25519: {e}")))?;
            Ok(VerifyingMaterial::Ed25519 { parsed })
        }
        PublicMaterial::Okp {
            curve: OkpCurve::X25519,
            ..
        } => Err(JoseError::InvalidKey(
            "X25519 is a key-agreement key, not a signature key".into(),
        )),
    }
}

impl VerifyingKey {
    fn from_parts(
        kid: Option<&str>,
        restrictions: Restrictions,
        material: VerifyingMaterial,
        public: Option<PublicMaterial>,
    ) -> Self {
        VerifyingKey {
            kid: kid.map(Arc::from),
            inner: Arc::new(VerifyingInner {
                restrictions,
                material,
                public,
            }),
        }
    }

    /// Builds a key from a JWK (RFC 7517): RSA, EC (P-256/384/521), OKP Ed25519, or `oct`
    /// (HMAC). Private members, if any, are ignored. `x5c` is checked ([`Jwk::check_x5c`]).
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        jwk.check_x5c()?;
        let (material, public) = match jwk.key_material()? {
            KeyMaterial::Secret(k) => (VerifyingMaterial::hmac(&k), None),
            KeyMaterial::Public(public) => (build_public(&public)?, Some(public)),
        };
        Ok(Self::from_parts(
            jwk.kid.as_deref(),
            Restrictions::of(jwk),
            material,
            public,
        ))
    }

    /// Builds a key from an X.509 certificate given as base64 DER (standard alphabet,
    /// whitespace ignored) or PEM; the certificate's SubjectPublicKeyInfo is used
    /// (RFC 5280 §4.1.2.7). The certificate's validity and chain are not checked. No `kid`.
    pub fn from_x509(text: &str) -> Result<Self> {
        let der = certificate_der_from_text(text)?;
        Self::from_x509_der(&der)
    }

    /// Builds a key from a DER X.509 certificate (see [`VerifyingKey::from_x509`]).
    pub fn from_x509_der(der: &[u8]) -> Result<Self> {
        let public = PublicMaterial::from_certificate_der(der)?;
        let material = build_public(&public)?;
        Ok(Self::from_parts(
            None,
            Restrictions::default(),
            material,
            Some(public),
        ))
    }

    /// Builds a key from a DER SubjectPublicKeyInfo (RFC 5280 §4.1; RFC 5480; RFC 8410).
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let public = PublicMaterial::from_spki_der(der)?;
        let material = build_public(&public)?;
        Ok(Self::from_parts(
            None,
            Restrictions::default(),
            material,
            Some(public),
        ))
    }

    /// An HMAC key (HS256/384/512) from a shared secret's octets, e.g. a `client_secret`
    /// (OpenID Connect Core §10.1). Its length is checked against each algorithm at use.
    pub fn from_shared_secret(secret: &[u8]) -> Result<Self> {
        if secret.is_empty() {
            return Err(JoseError::InvalidKey("empty shared secret".into()));
        }
        Ok(Self::from_parts(
            None,
            Restrictions::default(),
            VerifyingMaterial::hmac(secret),
            None,
        ))
    }

    /// The same key under another `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: Option<&str>) -> Self {
        self.kid = kid.map(Arc::from);
        self
    }

    /// The key ID (RFC 7517 §4.5), if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key type.
    #[must_use]
    pub fn kty(&self) -> KeyType {
        match self.inner.material {
            VerifyingMaterial::Rsa { .. } => KeyType::Rsa,
            VerifyingMaterial::Ec { .. } => KeyType::Ec,
            VerifyingMaterial::Ed25519 { .. } => KeyType::Okp,
            VerifyingMaterial::Hmac { .. } => KeyType::Oct,
        }
    }

    /// For an EC key, its curve.
    #[must_use]
    pub fn ec_curve(&self) -> Option<EcCurve> {
        match self.inner.material {
            VerifyingMaterial::Ec { curve, .. } => Some(curve),
            _ => None,
        }
    }

    /// For an RSA key, its modulus size in bits.
    #[must_use]
    pub fn rsa_bits(&self) -> Option<usize> {
        match self.inner.material {
            VerifyingMaterial::Rsa { bits, .. } => Some(bits),
            _ => None,
        }
    }

    /// Whether this is a symmetric (HMAC) key.
    #[must_use]
    pub fn is_symmetric(&self) -> bool {
        matches!(self.inner.material, VerifyingMaterial::Hmac { .. })
    }

    /// The public key as a JWK (with this key's `kid`, `alg`, `use`, `key_ops`); `None` for
    /// a shared secret.
    #[must_use]
    pub fn to_public_jwk(&self) -> Option<Jwk> {
        let public = self.inner.public.as_ref()?;
        let mut jwk = Jwk::new(JwkParams::from_public(public));
        jwk.kid = self.kid.as_deref().map(str::to_owned);
        self.inner.restrictions.copy_to(&mut jwk);
        Some(jwk)
    }

    /// Checks that this key may verify `alg`:
    /// - the algorithm family fits the key type (RSA: RS*/PS*; EC: the ES* of its own curve;
    ///   OKP Ed25519: EdDSA or Ed25519, RFC 9864 §2.2; `oct`: HS*), so a public key is never
    ///   used as an HMAC secret (RFC 8725 §2.1, §3.1);
    /// - the JWK's `alg`, `use` (`sig`) and `key_ops` (`verify`), when present, allow it
    ///   (RFC 7517 §4.2-4.4); `alg` must be the same name, so a key marked `EdDSA` does not
    ///   verify `Ed25519` nor the reverse (RFC 9864 §7);
    /// - RSA keys have at least 2048 bits (RFC 7518 §3.3, §3.5) and HMAC keys are at least as
    ///   long as the hash output (RFC 7518 §3.2).
    pub fn check_alg(&self, alg: JwsAlg) -> Result<()> {
        check_family(alg, &self.inner.material)?;
        self.inner
            .restrictions
            .check(alg.as_str(), "sig", &["verify"])?;
        check_strength(alg, &self.inner.material)
    }

    /// Verifies `signature` over `signing_input` with `alg`, after [`VerifyingKey::check_alg`].
    /// HMAC tags are compared in constant time.
    pub(crate) fn verify_signature(
        &self,
        alg: JwsAlg,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        self.check_alg(alg)?;
        let ok = match &self.inner.material {
            VerifyingMaterial::Hmac { secret, keys } => {
                let (slot, algorithm) = match alg {
                    JwsAlg::HS256 => (0, hmac::HMAC_SHA256),
                    JwsAlg::HS384 => (1, hmac::HMAC_SHA384),
                    JwsAlg::HS512 => (2, hmac::HMAC_SHA512),
                    _ => return Err(JoseError::Crypto("hmac alg")),
                };
                let key = keys[slot]
                    .get_or_init(|| Box::new(hmac::Key::new(algorithm, secret.as_slice())));
                // Constant-time comparison of the tag (aws-lc-rs `hmac::verify`).
                hmac::verify(key, signing_input, signature).is_ok()
            }
            VerifyingMaterial::Rsa { n, e, parsed, .. } => {
                let slot = rsa_slot(alg).ok_or(JoseError::Crypto("rsa alg"))?;
                let params = rsa_verification(alg).ok_or(JoseError::Crypto("rsa alg"))?;
                let key = parsed[slot].get_or_init(|| {
                    RsaPublicKeyComponents {
                        n: &n[..],
                        e: &e[..],
                    }
                    .to_parsed_public_key(params)
                    .ok()
                });
                match key {
                    Some(k) => k.verify_sig(signing_input, signature).is_ok(),
                    None => return Err(JoseError::InvalidKey("RSA key did not parse".into())),
                }
            }
            VerifyingMaterial::Ec { parsed, .. } | VerifyingMaterial::Ed25519 { parsed } => {
                parsed.verify_sig(signing_input, signature).is_ok()
            }
        };
        if ok {
            Ok(())
        } else {
            Err(JoseError::InvalidSignature)
        }
    }
}

fn kty_label(material: &VerifyingMaterial) -> String {
    match material {
        VerifyingMaterial::Rsa { .. } => "RSA".into(),
        VerifyingMaterial::Ec { curve, .. } => format!("EC {curve}"),
        VerifyingMaterial::Ed25519 { .. } => "OKP Ed25519".into(),
        VerifyingMaterial::Hmac { .. } => "oct".into(),
    }
}

/// The key type and curve `alg` needs (RFC 7518 §3.1; RFC 8725 §3.1).
fn check_family(alg: JwsAlg, material: &VerifyingMaterial) -> Result<()> {
    let fits = match (alg.family(), material) {
        (AlgFamily::Hmac, VerifyingMaterial::Hmac { .. })
        | (AlgFamily::Rsa, VerifyingMaterial::Rsa { .. })
        | (AlgFamily::Ed25519, VerifyingMaterial::Ed25519 { .. }) => true,
        (AlgFamily::Ecdsa(want), VerifyingMaterial::Ec { curve, .. }) => want == *curve,
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(JoseError::AlgKeyMismatch {
            alg: alg.as_str().to_owned(),
            kty: kty_label(material),
        })
    }
}

/// RSA of at least [`MIN_RSA_BITS`] (RFC 7518 §3.3, §3.5); HMAC keys at least as long as the
/// hash output (RFC 7518 §3.2).
fn check_strength(alg: JwsAlg, material: &VerifyingMaterial) -> Result<()> {
    match material {
        VerifyingMaterial::Rsa { bits, .. } if *bits < MIN_RSA_BITS => Err(JoseError::WeakKey(
            format!("RSA key of {bits} bits; at least {MIN_RSA_BITS} required"),
        )),
        VerifyingMaterial::Hmac { secret, .. } => {
            let min = alg.min_hmac_key_len().unwrap_or(0);
            if secret.as_slice().len() < min {
                Err(JoseError::WeakKey(format!(
                    "{alg} needs a key of at least {min} bytes, got {}",
                    secret.as_slice().len()
                )))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// `d`, `p`, `q`, `dp`, `dq`, `qi` of a PKCS#8 RSA private key (RFC 5208 §5, RFC 8017 §A.1.2:
/// `PrivateKeyInfo { version, algorithm, OCTET STRING { RSAPrivateKey { version, n, e, d,
/// p, q, dP, dQ, qInv } } }`), each without leading zero octets.
fn rsa_private_integers(pkcs8: &[u8]) -> Result<[&[u8]; 6]> {
    let bad = || JoseError::InvalidKey("RSA PKCS#8 does not parse".into());
    // One DER element at the start of `input`: (tag, contents, rest).
    fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |a, b| (a << 8) | usize::from(*b));
            (len, &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }
    let (0x30, info, _) = element(pkcs8).ok_or_else(bad)? else {
        return Err(bad());
    };
    let (_, _version, rest) = element(info).ok_or_else(bad)?;
    let (_, _algorithm, rest) = element(rest).ok_or_else(bad)?;
    let (0x04, key, _) = element(rest).ok_or_else(bad)? else {
        return Err(bad());
    };
    let (0x30, mut seq, _) = element(key).ok_or_else(bad)? else {
        return Err(bad());
    };
    let mut ints: [&[u8]; 9] = [&[]; 9];
    for slot in &mut ints {
        let (tag, value, rest) = element(seq).ok_or_else(bad)?;
        if tag != 0x02 {
            return Err(bad());
        }
        let first = value.iter().position(|b| *b != 0).unwrap_or(value.len());
        *slot = &value[first..];
        seq = rest;
    }
    // version, n, e, then the six private members.
    Ok([ints[3], ints[4], ints[5], ints[6], ints[7], ints[8]])
}

/// The kind of an asymmetric private key, for [`SigningKey::from_pkcs8`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningKeyKind {
    /// RSA (RS*/PS*).
    Rsa,
    /// ECDSA on a curve (ES256/384/512).
    Ec(EcCurve),
    /// Ed25519 (EdDSA, or Ed25519 under RFC 9864 §2.2).
    Ed25519,
}

enum SigningMaterial {
    Rsa(RsaKeyPair),
    Ec { curve: EcCurve, pair: EcdsaKeyPair },
    Ed25519(Ed25519KeyPair),
    Hmac(SecretBytes),
}

struct SigningInner {
    material: SigningMaterial,
    verifying: VerifyingKey,
}

/// A private key (or shared secret) that signs JWS. Cheap to clone.
#[derive(Clone)]
pub struct SigningKey {
    inner: Arc<SigningInner>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kty", &self.kty())
            .field("default_alg", &self.default_alg())
            .finish_non_exhaustive()
    }
}

fn crypto<E>(what: &'static str) -> impl FnOnce(E) -> JoseError {
    move |_| JoseError::Crypto(what)
}

impl SigningKey {
    fn from_material(material: SigningMaterial) -> Result<Self> {
        let verifying = match &material {
            SigningMaterial::Hmac(secret) => VerifyingKey::from_shared_secret(secret.as_slice())?,
            other => {
                let spki = match other {
                    SigningMaterial::Rsa(k) => k.public_key().as_der().map(|d| d.as_ref().to_vec()),
                    SigningMaterial::Ec { pair, .. } => {
                        pair.public_key().as_der().map(|d| d.as_ref().to_vec())
                    }
                    SigningMaterial::Ed25519(k) => {
                        k.public_key().as_der().map(|d| d.as_ref().to_vec())
                    }
                    SigningMaterial::Hmac(_) => return Err(JoseError::Crypto("unreachable")),
                }
                .map_err(crypto("public key export"))?;
                VerifyingKey::from_spki_der(&spki)?
            }
        };
        Ok(SigningKey {
            inner: Arc::new(SigningInner {
                material,
                verifying,
            }),
        })
    }

    /// Generates an RSA key of 2048, 3072 or 4096 bits.
    pub fn generate_rsa(bits: usize) -> Result<Self> {
        let pair =
            RsaKeyPair::generate(rsa_generation_size(bits)?).map_err(crypto("RSA generation"))?;
        Self::from_material(SigningMaterial::Rsa(pair))
    }

    /// Generates an ECDSA key on `curve`.
    pub fn generate_ec(curve: EcCurve) -> Result<Self> {
        let pair = EcdsaKeyPair::generate(ecdsa_signing(curve)).map_err(crypto("EC generation"))?;
        Self::from_material(SigningMaterial::Ec { curve, pair })
    }

    /// Generates an Ed25519 key.
    pub fn generate_ed25519() -> Result<Self> {
        let pair = Ed25519KeyPair::generate().map_err(crypto("Ed25519 generation"))?;
        Self::from_material(SigningMaterial::Ed25519(pair))
    }

    /// Loads a PKCS#8 (RFC 5208 / RFC 5958) DER private key of the given kind.
    pub fn from_pkcs8(kind: SigningKeyKind, der: &[u8]) -> Result<Self> {
        let material = match kind {
            SigningKeyKind::Rsa => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(rejected)?;
                let bits = pair.public_modulus_len() * 8;
                if bits < MIN_RSA_BITS {
                    return Err(JoseError::WeakKey(format!("RSA key of {bits} bits")));
                }
                SigningMaterial::Rsa(pair)
            }
            SigningKeyKind::Ec(curve) => SigningMaterial::Ec {
                curve,
                pair: EcdsaKeyPair::from_pkcs8(ecdsa_signing(curve), der).map_err(rejected)?,
            },
            SigningKeyKind::Ed25519 => {
                SigningMaterial::Ed25519(Ed25519KeyPair::from_pkcs8(der).map_err(rejected)?)
            }
        };
        Self::from_material(material)
    }

    /// Loads a private JWK: RSA (`d`, `p`, `q`, `dp`, `dq`, `qi`), EC (`d` with `x`/`y`),
    /// OKP Ed25519 (`d` with `x`) or `oct` (an HMAC secret). Consistency is checked by
    /// aws-lc-rs. The JWK's `kid`/`alg` are not kept: pass them to [`SigningKey::public_jwk`].
    pub fn from_jwk(jwk: &Jwk) -> Result<Self> {
        let material = match &jwk.params {
            JwkParams::Rsa(p) => {
                let pair = crate::jwk::private::rsa_key_pair(p)?;
                let bits = pair.public_modulus_len() * 8;
                if bits < MIN_RSA_BITS {
                    return Err(JoseError::WeakKey(format!("RSA key of {bits} bits")));
                }
                SigningMaterial::Rsa(pair)
            }
            JwkParams::Ec(p) => {
                let d = crate::jwk::private::ec_private_scalar(p)?;
                let point = crate::jwk::private::ec_public_point(p)?;
                SigningMaterial::Ec {
                    curve: p.crv,
                    pair: EcdsaKeyPair::from_private_key_and_public_key(
                        ecdsa_signing(p.crv),
                        &d,
                        &point,
                    )
                    .map_err(rejected)?,
                }
            }
            JwkParams::Okp(p) if p.crv == OkpCurve::Ed25519 => {
                let d = Zeroizing::new(b64::decode(
                    p.d.as_deref()
                        .ok_or_else(|| JoseError::InvalidKey("private JWK lacks d".into()))?,
                    "JWK d",
                )?);
                let x = b64::decode(&p.x, "JWK x")?;
                SigningMaterial::Ed25519(
                    Ed25519KeyPair::from_seed_and_public_key(&d, &x).map_err(rejected)?,
                )
            }
            JwkParams::Okp(_) => {
                return Err(JoseError::InvalidKey(
                    "X25519 is a key-agreement key, not a signature key".into(),
                ));
            }
            JwkParams::Oct(p) => {
                let k = Zeroizing::new(b64::decode(&p.k, "JWK k")?);
                return Self::from_shared_secret(&k);
            }
        };
        Self::from_material(material)
    }

    /// An HMAC signing key from a shared secret's octets.
    pub fn from_shared_secret(secret: &[u8]) -> Result<Self> {
        if secret.is_empty() {
            return Err(JoseError::InvalidKey("empty shared secret".into()));
        }
        Self::from_material(SigningMaterial::Hmac(SecretBytes::new(secret)))
    }

    /// The PKCS#8 DER encoding of the private key, to persist it. Not for shared secrets.
    pub fn to_pkcs8(&self) -> Result<Vec<u8>> {
        match &self.inner.material {
            SigningMaterial::Rsa(k) => k
                .as_der()
                .map(|d| d.as_ref().to_vec())
                .map_err(crypto("PKCS#8 export")),
            SigningMaterial::Ec { pair, .. } => pair
                .to_pkcs8v1()
                .map(|d| d.as_ref().to_vec())
                .map_err(crypto("PKCS#8 export")),
            SigningMaterial::Ed25519(k) => k
                .to_pkcs8v1()
                .map(|d| d.as_ref().to_vec())
                .map_err(crypto("PKCS#8 export")),
            SigningMaterial::Hmac(_) => Err(JoseError::UnsupportedOperation(
                "a shared secret has no PKCS#8 form",
            )),
        }
    }

    /// The kind of key, `None` for a shared secret.
    #[must_use]
    pub fn kind(&self) -> Option<SigningKeyKind> {
        match &self.inner.material {
            SigningMaterial::Rsa(_) => Some(SigningKeyKind::Rsa),
            SigningMaterial::Ec { curve, .. } => Some(SigningKeyKind::Ec(*curve)),
            SigningMaterial::Ed25519(_) => Some(SigningKeyKind::Ed25519),
            SigningMaterial::Hmac(_) => None,
        }
    }

    /// The key type.
    #[must_use]
    pub fn kty(&self) -> KeyType {
        self.inner.verifying.kty()
    }

    /// The algorithm used when none is configured: RS256, ES256/384/512 by curve, EdDSA, HS256.
    /// An Ed25519 key signs `Ed25519` (RFC 9864 §2.2) too when asked to.
    #[must_use]
    pub fn default_alg(&self) -> JwsAlg {
        match &self.inner.material {
            SigningMaterial::Rsa(_) => JwsAlg::RS256,
            SigningMaterial::Ec { curve, .. } => curve.jws_alg(),
            SigningMaterial::Ed25519(_) => JwsAlg::EdDSA,
            SigningMaterial::Hmac(_) => JwsAlg::HS256,
        }
    }

    /// The matching verifying key (no `kid`).
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        self.inner.verifying.clone()
    }

    /// The public key as a JWK for a JWKS document, with `kid`, `"use":"sig"` and
    /// `alg` = [`SigningKey::default_alg`] (RFC 7517 §4). Not for shared secrets.
    pub fn public_jwk(&self, kid: &str) -> Result<Jwk> {
        self.public_jwk_for_alg(kid, self.default_alg())
    }

    /// The private key as a JWK (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2), with `kid`,
    /// `"use":"sig"` and `alg`: what a client keeps in a file to sign with (`writ client
    /// keygen`). Not for shared secrets.
    pub fn private_jwk(&self, kid: &str, alg: JwsAlg) -> Result<Jwk> {
        use aws_lc_rs::encoding::AsBigEndian as _;
        let mut jwk = self.public_jwk_for_alg(kid, alg)?;
        let export = crypto("private key export");
        match (&self.inner.material, &mut jwk.params) {
            (SigningMaterial::Ec { pair, .. }, JwkParams::Ec(p)) => {
                let d = pair.private_key().as_be_bytes().map_err(export)?;
                p.d = Some(b64::encode(d.as_ref()));
            }
            (SigningMaterial::Ed25519(pair), JwkParams::Okp(p)) => {
                let seed = pair.seed().map_err(crypto("private key export"))?;
                let d = seed.as_be_bytes().map_err(export)?;
                p.d = Some(b64::encode(d.as_ref()));
            }
            (SigningMaterial::Rsa(pair), JwkParams::Rsa(p)) => {
                let der = Zeroizing::new(pair.as_der().map_err(export)?.as_ref().to_vec());
                let ints = rsa_private_integers(&der)?;
                let [d, pp, q, dp, dq, qi] = ints.map(|i| Some(b64::encode(i)));
                (p.d, p.p, p.q, p.dp, p.dq, p.qi) = (d, pp, q, dp, dq, qi);
            }
            _ => {
                return Err(JoseError::UnsupportedOperation(
                    "this key has no private JWK form",
                ));
            }
        }
        Ok(jwk)
    }

    /// Like [`SigningKey::public_jwk`] with another `alg` (e.g. PS256 for an RSA key).
    pub fn public_jwk_for_alg(&self, kid: &str, alg: JwsAlg) -> Result<Jwk> {
        self.check_alg(alg)?;
        let public =
            self.inner
                .verifying
                .inner
                .public
                .as_ref()
                .ok_or(JoseError::UnsupportedOperation(
                    "a shared secret has no public JWK",
                ))?;
        let mut jwk = Jwk::new(JwkParams::from_public(public));
        jwk.kid = Some(kid.to_owned());
        jwk.key_use = Some("sig".to_owned());
        jwk.alg = Some(alg.as_str().to_owned());
        Ok(jwk)
    }

    /// Checks that this key can sign with `alg` (family, curve, RSA size, HMAC length).
    pub fn check_alg(&self, alg: JwsAlg) -> Result<()> {
        self.inner.verifying.check_alg(alg)
    }

    /// Signs `message` with `alg` (after [`SigningKey::check_alg`]); ECDSA signatures are the
    /// fixed-size `r || s` of RFC 7518 §3.4.
    pub(crate) fn sign(&self, alg: JwsAlg, message: &[u8]) -> Result<Vec<u8>> {
        self.check_alg(alg)?;
        match &self.inner.material {
            SigningMaterial::Rsa(pair) => {
                let encoding = rsa_signing(alg).ok_or(JoseError::Crypto("rsa alg"))?;
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(encoding, &SystemRandom::new(), message, &mut out)
                    .map_err(crypto("RSA signing"))?;
                Ok(out)
            }
            SigningMaterial::Ec { pair, .. } => pair
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(crypto("ECDSA signing")),
            SigningMaterial::Ed25519(pair) => pair
                .try_sign(message)
                .map(|s| s.as_ref().to_vec())
                .map_err(crypto("Ed25519 signing")),
            SigningMaterial::Hmac(secret) => {
                let algorithm = hmac_algorithm(alg).ok_or(JoseError::Crypto("hmac alg"))?;
                let key = hmac::Key::new(algorithm, secret.as_slice());
                Ok(hmac::sign(&key, message).as_ref().to_vec())
            }
        }
    }
}

#[cfg(test)]
mod tests;
