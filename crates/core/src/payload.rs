//! Typed payloads of stored rows.
//!
//! A store keeps a row's payload as JSON text it never interprets. Each kind of row names its
//! payload with a marker type ([`CodeRecord`], [`RefreshRecord`], [`PushedRecord`],
//! [`InteractionRecord`]) and the module that owns the value implements [`Record`] for that
//! marker, once: so a stored code can only be decoded as what `flows/code.rs` wrote, a pushed
//! request only as the `ValidatedRequest` that `/par` validated, and this leaf module needs
//! none of those types (no import cycle between the ports and the flows).

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::marker::PhantomData;

/// The value a row of kind `Self` carries. Implemented once per marker, by the module that
/// owns the value's type.
pub trait Record {
    /// The payload's Rust type.
    type Value: Serialize + DeserializeOwned;
}

/// Marker: the payload of a [`crate::ports::StoredCode`].
#[derive(Debug)]
pub enum CodeRecord {}
/// Marker: the payload of a [`crate::ports::StoredRefreshToken`].
#[derive(Debug)]
pub enum RefreshRecord {}
/// Marker: the payload of a [`crate::ports::StoredPushedRequest`].
#[derive(Debug)]
pub enum PushedRecord {}
/// Marker: the payload of a [`crate::ports::StoredInteraction`].
#[derive(Debug)]
pub enum InteractionRecord {}

/// A payload that does not encode, or stored text that does not decode as its kind's value
/// (written by something else, or an older shape).
#[derive(Debug, thiserror::Error)]
#[error("stored payload: {0}")]
pub struct PayloadError(String);

/// A row's payload: JSON text for the store, a `K::Value` for the core.
pub struct Payload<K> {
    json: String,
    kind: PhantomData<fn() -> K>,
}

impl<K: Record> Payload<K> {
    /// Encode a value for storage.
    pub fn encode(value: &K::Value) -> Result<Self, PayloadError> {
        let json = serde_json::to_string(value)
            .map_err(|e| PayloadError(format!("does not encode: {e}")))?;
        Ok(Self::from_stored(json))
    }

    /// Decode what was stored.
    pub fn decode(&self) -> Result<K::Value, PayloadError> {
        serde_json::from_str(&self.json).map_err(|e| PayloadError(format!("does not decode: {e}")))
    }
}

impl<K> Payload<K> {
    /// For store adapters: the text read back from a row.
    pub fn from_stored(json: String) -> Self {
        Self {
            json,
            kind: PhantomData,
        }
    }

    /// For store adapters: the text to write to a row.
    pub fn as_stored(&self) -> &str {
        &self.json
    }

    /// An empty payload: what an answered interaction keeps (its tombstone).
    pub fn empty() -> Self {
        Self::from_stored(String::new())
    }

    /// Whether this is the empty payload of a tombstone.
    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }
}

impl<K> Clone for Payload<K> {
    fn clone(&self) -> Self {
        Self::from_stored(self.json.clone())
    }
}

impl<K> PartialEq for Payload<K> {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json
    }
}

impl<K> Eq for Payload<K> {}

impl<K> fmt::Debug for Payload<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A payload holds request parameters and PKCE challenges: its length is enough for
        // a debug line.
        write!(f, "Payload({} bytes)", self.json.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    enum Probe {}
    impl Record for Probe {
        type Value = Vec<u32>;
    }

    #[test]
    fn a_payload_decodes_to_what_was_encoded() {
        let p = Payload::<Probe>::encode(&vec![1, 2, 3]).unwrap();
        assert_eq!(p.as_stored(), "[1,2,3]");
        assert_eq!(p.decode().unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn a_payload_of_another_shape_is_corrupt_not_a_panic() {
        let p = Payload::<Probe>::from_stored(r#"{"code":"x"}"#.into());
        assert!(p.decode().is_err());
        assert!(Payload::<Probe>::empty().decode().is_err());
    }
}
