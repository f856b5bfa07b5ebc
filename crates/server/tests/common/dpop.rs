//! A DPoP key holder for the tests (RFC 9449 §4.2): its public JWK, thumbprint and proofs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::{fragment_hash, now, unique};
use serde_json::{Map, Value, json};
use writ_jose::{EcCurve, JwsAlg, SigningKey, sign_compact};

/// A client's DPoP key and the proofs it makes.
pub struct Holder {
    pub key: SigningKey,
    pub alg: JwsAlg,
}

impl Holder {
    pub fn ec() -> Self {
        Holder {
            key: SigningKey::generate_ec(EcCurve::P256).unwrap(),
            alg: JwsAlg::ES256,
        }
    }

    pub fn jwk(&self) -> Value {
        let mut j = serde_json::to_value(self.key.public_jwk("d").unwrap()).unwrap();
        let o = j.as_object_mut().unwrap();
        o.remove("kid");
        o.remove("alg");
        j
    }

    pub fn jkt(&self) -> String {
        let mut j = self.key.public_jwk("d").unwrap();
        j.kid = None;
        j.thumbprint_sha256()
    }

    /// A proof for `htm` `htu`, changed by `edit(header, claims)` before signing.
    pub fn proof_with(
        &self,
        htm: &str,
        htu: &str,
        edit: impl FnOnce(&mut Map<String, Value>, &mut Map<String, Value>),
    ) -> String {
        let mut header = json!({ "typ": "dpop+jwt", "jwk": self.jwk() })
            .as_object()
            .unwrap()
            .clone();
        let mut claims = json!({
            "jti": format!("p-{}", unique()),
            "htm": htm,
            "htu": htu,
            "iat": now(),
        })
        .as_object()
        .unwrap()
        .clone();
        edit(&mut header, &mut claims);
        sign_compact(
            &header,
            &serde_json::to_vec(&claims).unwrap(),
            self.alg,
            &self.key,
        )
        .unwrap()
    }

    pub fn proof(&self, htm: &str, htu: &str) -> String {
        self.proof_with(htm, htu, |_, _| {})
    }
}

pub fn ath(token: &str) -> String {
    fragment_hash(token.as_bytes())
}
