//! Sealed interaction handles: a pending interaction carried, encrypted, in its own id.
//!
//! `/authorize` is the hot path (SPEC §8, issue 4), and until someone opens the interaction
//! page nothing about a pending request has to be shared: it only has to come back intact.
//! So instead of a store write per request, the validated request is sealed into the
//! interaction id itself, a compact JWE (RFC 7516 §7.1) with `alg: dir` and `enc: A256GCM`
//! (RFC 7518 §4.5, §5.3) under a server key that never leaves the store:
//!
//! - confidentiality and integrity: AES-256-GCM over the payload, with the protected header
//!   (`kid`, `typ`) as associated data (RFC 7516 §5.1 step 14); a changed byte is an unknown
//!   interaction;
//! - expiry: the payload carries `exp`, checked on every open;
//! - one-time use: the payload carries a random row id. The first change to the interaction
//!   (a login attempt) writes the row, and answering it turns the row into a tombstone that is
//!   kept for [`TOMBSTONE_GRACE`] past `exp`, so a handle cannot start an answered interaction
//!   again (`Store::interaction_take`);
//! - every node opens every handle: the keys are server keys in the shared store
//!   ([`crate::keys`]), rotated with the decryption keys (`writ keys rotate --use enc`), and a
//!   new key seals only once every node has loaded it ([`SEAL_AFTER`]).
//!
//! A request whose handle would be longer than [`MAX_HANDLE_BYTES`] (a large request object)
//! is stored as a row at `/authorize` instead, under a short random id, as before.

use crate::compact::{Compact, Reader, Writer};
use crate::ports::UnixTime;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use writ_jose::{DecryptionKey, DirA256GcmSealer, EncryptedJwe, GCM_IV_BYTES, JweAlg, JweEnc};

/// The `typ` of a sealed handle's protected header: a handle is only ever opened as one.
pub const HANDLE_TYP: &str = "writ-interaction";

/// Longest sealed handle made or opened (bytes). Past this the interaction is stored as a row
/// with a short id: the handle is a URL path segment, and URLs past 8 KiB are cut by common
/// proxies.
pub const MAX_HANDLE_BYTES: usize = 6 * 1024;

/// Seconds a new sealing key waits before it seals: other nodes reload keys every 30 s, so by
/// then every node can open what it seals.
pub const SEAL_AFTER: UnixTime = 60;

/// Seconds an answered interaction's tombstone outlives the handle's `exp`: clocks of the nodes
/// may differ by this much without a purged tombstone letting a handle start again.
pub const TOMBSTONE_GRACE: UnixTime = 300;

/// A key that seals and opens handles (32 bytes, AES-256-GCM).
pub struct SealingKey {
    kid: String,
    /// Seals with the key schedule and the protected header (`kid`, `typ`) made once.
    seal: DirA256GcmSealer,
    open: DecryptionKey,
    created_at: UnixTime,
    active: bool,
}

impl SealingKey {
    /// A sealing key from its stored form.
    pub fn new(
        kid: &str,
        secret: &[u8],
        created_at: UnixTime,
        active: bool,
    ) -> Result<Self, String> {
        if secret.len() != 32 {
            return Err(format!(
                "an interaction sealing key has 32 bytes, not {}",
                secret.len()
            ));
        }
        let mut header = Map::new();
        header.insert("kid".into(), Value::String(kid.to_string()));
        header.insert("typ".into(), Value::String(HANDLE_TYP.into()));
        let seal = DirA256GcmSealer::new(secret, &header).map_err(|e| e.to_string())?;
        let open = DecryptionKey::from_symmetric(secret).map_err(|e| e.to_string())?;
        Ok(SealingKey {
            kid: kid.to_string(),
            seal,
            open,
            created_at,
            active,
        })
    }

    /// Key id, in the handle's header.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// The key that seals now: the newest active key at least [`SEAL_AFTER`] old; just after a
/// rotation (the active key younger than that), the newest retiring key that old, which every
/// node has; else the newest active key (a fresh store, whose first node made it).
pub fn sealing_key(keys: &[SealingKey], now: UnixTime) -> Option<&SealingKey> {
    let newest = |active_only: bool, settled: bool| {
        keys.iter()
            .filter(|k| {
                (k.active || !active_only) && (!settled || k.created_at <= now - SEAL_AFTER)
            })
            .max_by_key(|k| (k.created_at, k.active))
    };
    newest(true, true)
        .or_else(|| newest(false, true))
        .or_else(|| newest(true, false))
}

#[derive(serde::Deserialize)]
struct OwnedPayload<T> {
    id: String,
    exp: UnixTime,
    i: T,
}

/// An opened handle.
#[derive(Debug)]
pub struct Opened<T> {
    /// The row id the interaction is stored under once it changes.
    pub row_id: String,
    /// When the handle expires.
    pub expires_at: UnixTime,
    /// The interaction as `/authorize` made it.
    pub interaction: T,
}

/// Why a handle did not open. The caller answers every one the same way ("unknown or expired
/// interaction"); the variants are for logs and tests.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// Not a handle of this server (shape, header, `typ`, unknown `kid`), or tampered with.
    #[error("not an interaction handle of this server: {0}")]
    Invalid(&'static str),
    /// Past its `exp`.
    #[error("the interaction handle expired")]
    Expired,
    /// Sealing failed, or the handle would be too long.
    #[error("sealing the interaction failed: {0}")]
    Seal(String),
}

/// Whether `id` has the shape of a sealed handle (five base64url parts); other ids are row ids.
pub fn is_handle(id: &str) -> bool {
    id.len() <= MAX_HANDLE_BYTES
        && id.bytes().filter(|b| *b == b'.').count() == 4
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// A short, stable name of interaction `id` for logs: a 2 kB handle is noise in an audit line,
/// and the log need not hold what opens the interaction. Row ids are logged as they are.
pub fn log_name(id: &str) -> String {
    if is_handle(id) {
        let mut h = crate::secret::hash_token(id);
        h.truncate(16);
        format!("h:{h}")
    } else {
        id.chars().take(64).collect()
    }
}

/// The first byte of a payload in the compact form ([`crate::compact`]): the row id, `exp`,
/// then the interaction. A payload that starts with `{` is the JSON form of earlier builds
/// (`{"id","exp","i"}`), still opened.
const COMPACT_FORM: u8 = 1;

/// Seal `interaction` under `key` with the random `iv` (never reused: drawn for this handle),
/// to be stored as `row_id` once it changes, valid until `expires_at`. `Ok(None)` when the
/// handle would exceed [`MAX_HANDLE_BYTES`].
///
/// The payload is the compact binary form, not JSON: a third fewer bytes to encrypt and
/// encode into the `Location`, and no member names or escaping to write (issue 18).
pub fn seal<T: Compact>(
    key: &SealingKey,
    row_id: &str,
    expires_at: UnixTime,
    interaction: &T,
    iv: &[u8; GCM_IV_BYTES],
) -> Result<Option<String>, HandleError> {
    let mut w = Writer::new(Vec::with_capacity(1024));
    w.u8(COMPACT_FORM);
    w.str(row_id);
    w.int(expires_at);
    interaction
        .write(&mut w)
        .map_err(|e| HandleError::Seal(e.to_string()))?;
    let mut payload = w.into_inner();
    if key.seal.sealed_len(payload.len()) > MAX_HANDLE_BYTES {
        return Ok(None);
    }
    let handle = key
        .seal
        .seal(iv, &mut payload)
        .map_err(|e| HandleError::Seal(e.to_string()))?;
    Ok(Some(handle))
}

/// A decrypted payload: the compact form, or the JSON form of earlier builds.
fn read_payload<T: Compact + DeserializeOwned>(
    plain: &[u8],
) -> Result<OwnedPayload<T>, HandleError> {
    let invalid = |_| HandleError::Invalid("payload");
    match plain.first() {
        Some(&COMPACT_FORM) => {
            let mut r = Reader::new(&plain[1..]);
            let id = r.string().map_err(invalid)?;
            let exp = r.int().map_err(invalid)?;
            let i = T::read(&mut r).map_err(invalid)?;
            r.end().map_err(invalid)?;
            Ok(OwnedPayload { id, exp, i })
        }
        Some(b'{') => serde_json::from_slice(plain).map_err(|_| HandleError::Invalid("payload")),
        _ => Err(HandleError::Invalid("payload")),
    }
}

/// Open `handle` with one of `keys` (chosen by `kid`), refusing it at or after its `exp`.
pub fn open<T: Compact + DeserializeOwned>(
    keys: &[SealingKey],
    handle: &str,
    now: UnixTime,
) -> Result<Opened<T>, HandleError> {
    if !is_handle(handle) {
        return Err(HandleError::Invalid("shape"));
    }
    let jwe = EncryptedJwe::parse(handle, MAX_HANDLE_BYTES)
        .map_err(|_| HandleError::Invalid("not a compact JWE"))?;
    let header = jwe.header();
    if header.alg != JweAlg::Dir || header.enc != JweEnc::A256Gcm {
        return Err(HandleError::Invalid("alg or enc"));
    }
    if header.typ.as_deref() != Some(HANDLE_TYP) {
        return Err(HandleError::Invalid("typ"));
    }
    let kid = header.kid.as_deref().ok_or(HandleError::Invalid("kid"))?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or(HandleError::Invalid("unknown kid"))?;
    let plain = jwe
        .decrypt(&key.open)
        .map_err(|_| HandleError::Invalid("decryption"))?;
    let p: OwnedPayload<T> = read_payload(plain.plaintext())?;
    if now >= p.exp {
        return Err(HandleError::Expired);
    }
    Ok(Opened {
        row_id: p.id,
        expires_at: p.exp,
        interaction: p.i,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const IV: [u8; 12] = [5; 12];

    fn key(kid: &str, byte: u8, created_at: UnixTime) -> SealingKey {
        SealingKey::new(kid, &[byte; 32], created_at, true).unwrap()
    }

    // Compact forms of the plain values these tests seal.
    impl Compact for Value {
        fn write(&self, w: &mut Writer) -> Result<(), crate::compact::FormError> {
            w.json(self)
        }
        fn read(r: &mut Reader<'_>) -> Result<Self, crate::compact::FormError> {
            r.json()
        }
    }
    impl Compact for String {
        fn write(&self, w: &mut Writer) -> Result<(), crate::compact::FormError> {
            w.str(self);
            Ok(())
        }
        fn read(r: &mut Reader<'_>) -> Result<Self, crate::compact::FormError> {
            r.string()
        }
    }
    impl Compact for i32 {
        fn write(&self, w: &mut Writer) -> Result<(), crate::compact::FormError> {
            w.int(i64::from(*self));
            Ok(())
        }
        fn read(r: &mut Reader<'_>) -> Result<Self, crate::compact::FormError> {
            i32::try_from(r.int()?).map_err(|_| crate::compact::FormError("past i32"))
        }
    }

    /// A handle of `payload` as sealed by `k` (any bytes: the JSON form of earlier builds,
    /// a damaged compact form).
    fn sealed_bytes(k: &SealingKey, payload: &[u8]) -> String {
        k.seal.seal(&IV, &mut payload.to_vec()).unwrap()
    }

    #[test]
    fn a_handle_of_the_earlier_json_form_still_opens() {
        let k = key("k1", 7, 0);
        let h = sealed_bytes(&k, br#"{"id":"row-1","exp":1000,"i":"x"}"#);
        let o: Opened<String> = open(std::slice::from_ref(&k), &h, 999).unwrap();
        assert_eq!((o.row_id.as_str(), o.expires_at), ("row-1", 1_000));
        assert_eq!(o.interaction, "x");
    }

    #[test]
    fn a_damaged_compact_form_does_not_open() {
        let k = key("k1", 7, 0);
        let keys = std::slice::from_ref(&k);
        let mut w = Writer::new(Vec::new());
        w.u8(COMPACT_FORM);
        w.str("row-1");
        w.int(1_000);
        "interaction".to_string().write(&mut w).unwrap();
        let good = w.into_inner();
        assert!(open::<String>(keys, &sealed_bytes(&k, &good), 0).is_ok());
        // Every shorter payload, one with a byte more, and another form byte: refused, no panic.
        for n in 0..good.len() {
            let err = open::<String>(keys, &sealed_bytes(&k, &good[..n]), 0).unwrap_err();
            assert_eq!(err, HandleError::Invalid("payload"), "{n} bytes");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(open::<String>(keys, &sealed_bytes(&k, &longer), 0).is_err());
        let mut other = good;
        other[0] = 2;
        assert!(open::<String>(keys, &sealed_bytes(&k, &other), 0).is_err());
    }

    #[test]
    fn a_sealed_handle_opens_to_what_was_sealed_until_it_expires() {
        let k = key("k1", 7, 0);
        let h = seal(&k, "row-1", 1_000, &serde_json::json!({"a": 1}), &IV)
            .unwrap()
            .unwrap();
        assert!(is_handle(&h));
        let o: Opened<Value> = open(std::slice::from_ref(&k), &h, 999).unwrap();
        assert_eq!(o.row_id, "row-1");
        assert_eq!(o.expires_at, 1_000);
        assert_eq!(o.interaction, serde_json::json!({"a": 1}));
        let late = open::<Value>(std::slice::from_ref(&k), &h, 1_000).unwrap_err();
        assert_eq!(late, HandleError::Expired);
    }

    #[test]
    fn a_changed_byte_anywhere_does_not_open() {
        let k = key("k1", 7, 0);
        let h = seal(&k, "row-1", 1_000, &"x".repeat(40), &IV)
            .unwrap()
            .unwrap();
        let keys = std::slice::from_ref(&k);
        for (i, c) in h.char_indices() {
            if c == '.' {
                continue;
            }
            let swapped = if c == 'A' { 'B' } else { 'A' };
            let mut t = h.clone();
            t.replace_range(i..i + 1, &swapped.to_string());
            assert!(open::<String>(keys, &t, 0).is_err(), "byte {i} of {h}");
        }
    }

    #[test]
    fn another_key_under_the_same_kid_does_not_open() {
        let h = seal(&key("k1", 7, 0), "r", 1_000, &1, &IV)
            .unwrap()
            .unwrap();
        let err = open::<i32>(&[key("k1", 8, 0)], &h, 0).unwrap_err();
        assert_eq!(err, HandleError::Invalid("decryption"));
        let err = open::<i32>(&[key("k2", 7, 0)], &h, 0).unwrap_err();
        assert_eq!(err, HandleError::Invalid("unknown kid"));
    }

    #[test]
    fn a_jwe_of_another_typ_or_alg_is_not_a_handle() {
        let k = key("k1", 7, 0);
        let seal_key = writ_jose::EncryptionKey::from_symmetric(&[7; 32]).unwrap();
        let plain = br#"{"id":"r","exp":1000,"i":1}"#;
        let mut header = Map::new();
        header.insert("kid".into(), Value::String("k1".into()));
        header.insert("typ".into(), Value::String("JWT".into()));
        let other_typ =
            writ_jose::encrypt_compact(&header, plain, JweAlg::Dir, JweEnc::A256Gcm, &seal_key)
                .unwrap();
        assert_eq!(
            open::<i32>(std::slice::from_ref(&k), &other_typ, 0).unwrap_err(),
            HandleError::Invalid("typ")
        );
        header.insert("typ".into(), Value::String(HANDLE_TYP.into()));
        let kw =
            writ_jose::encrypt_compact(&header, plain, JweAlg::A256Kw, JweEnc::A256Gcm, &seal_key)
                .unwrap();
        assert!(open::<i32>(std::slice::from_ref(&k), &kw, 0).is_err());
    }

    #[test]
    fn a_handle_is_logged_by_a_short_digest() {
        let h = seal(&key("k1", 7, 0), "r", 1_000, &1, &IV)
            .unwrap()
            .unwrap();
        let name = log_name(&h);
        assert_eq!(name.len(), 18);
        assert_eq!(name, log_name(&h));
        assert!(!h.contains(&name[2..]));
        assert_eq!(log_name("0193a-row-id"), "0193a-row-id");
    }

    #[test]
    fn a_payload_too_large_for_a_url_is_not_sealed() {
        let k = key("k1", 7, 0);
        let big = "x".repeat(MAX_HANDLE_BYTES);
        assert_eq!(seal(&k, "r", 1_000, &big, &IV).unwrap(), None);
        let fits = "x".repeat(MAX_HANDLE_BYTES / 2);
        let h = seal(&k, "r", 1_000, &fits, &IV).unwrap().unwrap();
        assert!(h.len() <= MAX_HANDLE_BYTES);
    }

    #[test]
    fn garbage_is_refused_without_panic() {
        let k = [key("k1", 7, 0)];
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"dir","enc":"A256GCM"}"#);
        for h in [
            String::new(),
            "....".into(),
            "a.b.c.d.e".into(),
            format!("{header}..AAAA.AAAA.AAAA"),
            "A.".repeat(3000),
            "a b.c.d.e.f".into(),
        ] {
            assert!(open::<Value>(&k, &h, 0).is_err(), "{h:.40}");
        }
    }

    #[test]
    fn a_new_key_seals_only_once_every_node_has_loaded_it() {
        let old = key("old", 1, 0);
        let new = key("new", 2, 1_000);
        let keys = [old, new];
        assert_eq!(
            sealing_key(&keys, 1_000 + SEAL_AFTER - 1).unwrap().kid(),
            "old"
        );
        assert_eq!(sealing_key(&keys, 1_000 + SEAL_AFTER).unwrap().kid(), "new");
        // A fresh store: only a new key, which seals at once.
        assert_eq!(sealing_key(&keys[1..], 1_000).unwrap().kid(), "new");
        // Just after a rotation the retiring key seals until the new one has settled.
        let rotated = [
            SealingKey::new("old", &[1; 32], 0, false).unwrap(),
            key("new", 2, 1_000),
        ];
        assert_eq!(sealing_key(&rotated, 1_000).unwrap().kid(), "old");
        assert_eq!(
            sealing_key(&rotated, 1_000 + SEAL_AFTER).unwrap().kid(),
            "new"
        );
        let retiring = SealingKey::new("r", &[3; 32], 10_000, false).unwrap();
        assert!(sealing_key(&[retiring], 10_000).is_none());
    }
}
