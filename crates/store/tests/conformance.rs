//! The conformance suite of the `Store` port: every rule written once, as an async function
//! over `Arc<dyn Store>`, and run against each backend (SQLite file, SQLite in memory,
//! PostgreSQL) by the modules at the bottom.
//!
//! PostgreSQL tests each create a fresh database `writ_test_<random>` on the server at
//! `WRIT_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432`, trust auth) and drop it
//! afterwards. If the server is unreachable they fail; they never skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Barrier;
use writ_core::ports::{
    Clock, Consumed, IssuedTokens, KeyState, KeyUse, MAX_REPLAY_ENTRIES, Payload, ReplayEntry,
    Store, StoreError, StoredClient, StoredCode, StoredGrant, StoredInteraction, StoredKey,
    StoredPushedRequest, StoredRefreshToken, StoredSession, StoredUser, UnixTime,
};

/// A fixed "now" for the rules (any value works: the store never reads its own clock).
const NOW: UnixTime = 1_700_000_000;
/// How many tasks race for one thing in the concurrency rules.
const RACERS: usize = 50;

// ---------------------------------------------------------------------------------------
// Fixtures

fn client(id: &str, metadata: &str, updated_at: UnixTime) -> StoredClient {
    StoredClient {
        client_id: id.into(),
        metadata: metadata.into(),
        updated_at,
    }
}

fn user(id: &str, username: &str, hash: &str) -> StoredUser {
    StoredUser {
        id: id.into(),
        username: username.into(),
        password_hash: hash.into(),
        claims: format!(r#"{{"name":"{username}"}}"#),
        created_at: NOW,
    }
}

fn key(kid: &str, key_use: KeyUse, created_at: UnixTime) -> StoredKey {
    StoredKey {
        kid: kid.into(),
        key_use,
        alg: "ES256".into(),
        // Bytes that are not valid UTF-8, and a zero, to prove the column is binary.
        private_pkcs8: vec![0x30, 0x81, 0x00, 0xff, 0xfe, kid.len() as u8],
        public_jwk: format!(r#"{{"kty":"EC","kid":"{kid}"}}"#),
        state: KeyState::Active,
        created_at,
    }
}

fn interaction(id: &str, expires_at: UnixTime) -> StoredInteraction {
    StoredInteraction {
        id: id.into(),
        payload: Payload::from_stored(format!(r#"{{"interaction":"{id}"}}"#)),
        expires_at,
        answered: false,
    }
}

fn session(id: &str, user_id: Option<&str>, expires_at: UnixTime) -> StoredSession {
    StoredSession {
        id: id.into(),
        user_id: user_id.map(Into::into),
        auth_time: user_id.map(|_| NOW - 5),
        expires_at,
    }
}

fn grant(id: &str, expires_at: UnixTime) -> StoredGrant {
    StoredGrant {
        id: id.into(),
        client_id: "client-1".into(),
        subject: "user-1".into(),
        created_at: NOW - 10,
        expires_at,
        revoked_at: None,
    }
}

fn code(hash: &str, grant_id: &str, expires_at: UnixTime) -> StoredCode {
    StoredCode {
        code_hash: hash.into(),
        grant_id: grant_id.into(),
        payload: Payload::from_stored(format!(r#"{{"code":"{hash}","scope":"openid"}}"#)),
        expires_at,
    }
}

fn refresh(hash: &str, grant_id: &str, expires_at: UnixTime) -> StoredRefreshToken {
    StoredRefreshToken {
        token_hash: hash.into(),
        grant_id: grant_id.into(),
        payload: Payload::from_stored(format!(r#"{{"refresh":"{hash}"}}"#)),
        expires_at,
    }
}

/// Start `n` tasks (on the multi-thread runtime) that all wait at one barrier and then run
/// `f(i)`; return their results.
async fn race<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let work = f(i);
            tokio::spawn(async move {
                barrier.wait().await;
                work.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.expect("a racing task panicked"));
    }
    results
}

/// Count the `(Now, Already, Missing)` outcomes.
fn tally<T>(outcomes: &[Consumed<T>]) -> (usize, usize, usize) {
    outcomes.iter().fold((0, 0, 0), |(n, a, m), c| match c {
        Consumed::Now(_) => (n + 1, a, m),
        Consumed::Already(_) => (n, a + 1, m),
        Consumed::Missing => (n, a, m + 1),
    })
}

/// Assert that exactly one racer got `Now` and every other one `Already`.
fn assert_exactly_once<T>(outcomes: &[Consumed<T>]) {
    let (now, already, missing) = tally(outcomes);
    assert_eq!(
        (now, already, missing),
        (1, outcomes.len() - 1, 0),
        "expected exactly one Now and the rest Already; got {now} Now, {already} Already, \
         {missing} Missing"
    );
}

// ---------------------------------------------------------------------------------------
// Rules: round trips and upserts

async fn client_round_trips_upserts_lists_and_removes(store: Arc<dyn Store>) {
    assert_eq!(store.client_get("web").await.unwrap(), None);
    let web = client("web", r#"{"redirect_uris":["https://a/cb"]}"#, NOW);
    store.client_upsert(&web).await.unwrap();
    assert_eq!(store.client_get("web").await.unwrap(), Some(web.clone()));

    // Upsert replaces the metadata and the timestamp.
    let web2 = client("web", r#"{"redirect_uris":["https://b/cb"]}"#, NOW + 1);
    store.client_upsert(&web2).await.unwrap();
    assert_eq!(store.client_get("web").await.unwrap(), Some(web2.clone()));

    // Listed by client_id, byte-wise (upper case before lower case) on every backend.
    let api = client("Api", "{}", NOW);
    let zeta = client("zeta", "{}", NOW);
    store.client_upsert(&zeta).await.unwrap();
    store.client_upsert(&api).await.unwrap();
    assert_eq!(
        store.client_list().await.unwrap(),
        vec![api.clone(), web2, zeta.clone()]
    );

    assert!(store.client_remove("web").await.unwrap());
    assert!(!store.client_remove("web").await.unwrap());
    assert_eq!(store.client_get("web").await.unwrap(), None);
    assert_eq!(store.client_list().await.unwrap(), vec![api, zeta]);
}

async fn user_round_trips_by_id_and_username(store: Arc<dyn Store>) {
    let alice = user("sub-alice", "alice", "$argon2id$v=19$alice");
    let stored = store.user_upsert(&alice).await.unwrap();
    assert_eq!(stored, alice);
    assert_eq!(
        store.user_get("sub-alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user_by_username("alice").await.unwrap(), Some(alice));
    assert_eq!(store.user_get("alice").await.unwrap(), None);
    assert_eq!(store.user_by_username("sub-alice").await.unwrap(), None);
}

/// Concurrent reads of users by id (grouped into one statement on SQLite) each get their own
/// user, or `None` for an unknown id.
async fn concurrent_user_reads_each_get_their_own_user(store: Arc<dyn Store>) {
    for i in 0..3 {
        let u = user(
            &format!("sub-{i}"),
            &format!("user-{i}"),
            "$argon2id$v=19$x",
        );
        store.user_upsert(&u).await.unwrap();
    }
    let outcomes = race(RACERS, |i| {
        let store = Arc::clone(&store);
        async move {
            let id = format!("sub-{}", i % 4);
            let got = store.user_get(&id).await.unwrap();
            (i % 4, got)
        }
    })
    .await;
    for (i, got) in outcomes {
        match got {
            Some(u) => assert_eq!(
                (u.id, u.username),
                (format!("sub-{i}"), format!("user-{i}"))
            ),
            None => assert_eq!(i, 3),
        }
    }
}

async fn user_upsert_is_keyed_by_username_and_keeps_the_id(store: Arc<dyn Store>) {
    let first = user("sub-1", "bob", "$argon2id$old");
    store.user_upsert(&first).await.unwrap();

    let mut again = user("sub-2", "bob", "$argon2id$new");
    again.claims = r#"{"email":"bob@example.org"}"#.into();
    again.created_at = NOW + 100;
    let stored = store.user_upsert(&again).await.unwrap();

    // The existing id (and creation time) stay; the password and claims are replaced.
    let expected = StoredUser {
        id: "sub-1".into(),
        username: "bob".into(),
        password_hash: "$argon2id$new".into(),
        claims: r#"{"email":"bob@example.org"}"#.into(),
        created_at: NOW,
    };
    assert_eq!(stored, expected);
    assert_eq!(
        store.user_by_username("bob").await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(store.user_get("sub-1").await.unwrap(), Some(expected));
    assert_eq!(store.user_get("sub-2").await.unwrap(), None);
}

async fn user_list_is_by_username_and_remove_ends_everything_of_the_user(store: Arc<dyn Store>) {
    for (id, name) in [("sub-z", "zoe"), ("user-1", "amy"), ("sub-m", "max")] {
        store
            .user_upsert(&user(id, name, "$argon2id$h"))
            .await
            .unwrap();
    }
    let names: Vec<String> = store
        .user_list()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["amy", "max", "zoe"]);

    // amy (`user-1`, the subject of `grant()`) has a grant with a code and a refresh token,
    // and a session; max has a session.
    store
        .grant_insert(&grant("g-amy", NOW + 3600))
        .await
        .unwrap();
    store
        .code_insert(&code("c-amy", "g-amy", NOW + 60))
        .await
        .unwrap();
    store
        .refresh_insert(&refresh("r-amy", "g-amy", NOW + 3600))
        .await
        .unwrap();
    store
        .session_put(&session("s-amy", Some("user-1"), NOW + 3600))
        .await
        .unwrap();
    store
        .session_put(&session("s-max", Some("sub-m"), NOW + 3600))
        .await
        .unwrap();

    assert!(store.user_remove("user-1", NOW).await.unwrap());
    assert!(!store.user_remove("user-1", NOW).await.unwrap());
    assert_eq!(store.user_get("user-1").await.unwrap(), None);
    assert_eq!(
        store.grant_get("g-amy").await.unwrap().unwrap().revoked_at,
        Some(NOW)
    );
    assert!(matches!(
        store.code_consume("c-amy", NOW).await.unwrap(),
        Consumed::Missing
    ));
    assert!(matches!(
        store.refresh_consume("r-amy", NOW).await.unwrap(),
        Consumed::Missing
    ));
    assert_eq!(store.session_get("s-amy", NOW).await.unwrap(), None);
    // Nobody else is touched.
    assert!(store.session_get("s-max", NOW).await.unwrap().is_some());
    assert!(store.user_get("sub-m").await.unwrap().is_some());
}

async fn key_round_trips_and_lists_oldest_first(store: Arc<dyn Store>) {
    let newest = key("k-new", KeyUse::Sig, NOW + 10);
    let oldest = key("k-old", KeyUse::Enc, NOW - 10);
    // Same creation time: ordered by kid.
    let tie_b = key("k-tie-b", KeyUse::Sig, NOW);
    let tie_a = key("k-tie-a", KeyUse::Sig, NOW);
    for k in [&newest, &tie_b, &oldest, &tie_a] {
        store.key_insert(k).await.unwrap();
    }
    assert_eq!(
        store.key_list().await.unwrap(),
        vec![oldest, tie_a, tie_b, newest]
    );
}

async fn key_insert_conflicts_on_duplicate_kid(store: Arc<dyn Store>) {
    let original = key("k-1", KeyUse::Sig, NOW);
    store.key_insert(&original).await.unwrap();
    let mut impostor = key("k-1", KeyUse::Enc, NOW + 1);
    impostor.private_pkcs8 = vec![1, 2, 3];
    let err = store.key_insert(&impostor).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    // The original is untouched.
    assert_eq!(store.key_list().await.unwrap(), vec![original]);
}

async fn key_state_changes(store: Arc<dyn Store>) {
    let k = key("k-1", KeyUse::Sig, NOW);
    store.key_insert(&k).await.unwrap();
    for state in [KeyState::Retiring, KeyState::Retired, KeyState::Active] {
        assert!(store.key_set_state("k-1", state).await.unwrap());
        let listed = store.key_list().await.unwrap();
        assert_eq!(listed, vec![StoredKey { state, ..k.clone() }]);
    }
    assert!(
        !store
            .key_set_state("k-absent", KeyState::Retired)
            .await
            .unwrap()
    );
}

async fn key_private_is_replaced_only_from_its_old_value(store: Arc<dyn Store>) {
    let k = key("k-1", KeyUse::Sig, NOW);
    store.key_insert(&k).await.unwrap();
    let sealed = vec![b'W', 1, 2, 3, 0, 255];
    // A stale `old` (another node re-sealed first) changes nothing.
    assert!(
        !store
            .key_set_private("k-1", &[9, 9], &sealed)
            .await
            .unwrap()
    );
    assert_eq!(store.key_list().await.unwrap(), vec![k.clone()]);
    assert!(
        store
            .key_set_private("k-1", &k.private_pkcs8, &sealed)
            .await
            .unwrap()
    );
    let listed = store.key_list().await.unwrap();
    assert_eq!(
        listed,
        vec![StoredKey {
            private_pkcs8: sealed.clone(),
            ..k.clone()
        }]
    );
    // The second of two racing re-seals loses.
    assert!(
        !store
            .key_set_private("k-1", &k.private_pkcs8, &[1])
            .await
            .unwrap()
    );
    assert!(!store.key_set_private("k-absent", &[], &[1]).await.unwrap());
}

async fn interaction_round_trips_and_put_replaces(store: Arc<dyn Store>) {
    let first = interaction("i-1", NOW + 600);
    store.interaction_put(&first).await.unwrap();
    assert_eq!(
        store.interaction_get("i-1", NOW).await.unwrap(),
        Some(first)
    );
    let mut second = interaction("i-1", NOW + 900);
    second.payload = Payload::from_stored(r#"{"step":"consent"}"#.into());
    store.interaction_put(&second).await.unwrap();
    assert_eq!(
        store.interaction_get("i-1", NOW).await.unwrap(),
        Some(second.clone())
    );
    // Take answers it: once. What is left is a tombstone without the payload.
    assert!(store.interaction_take("i-1", NOW).await.unwrap());
    assert!(!store.interaction_take("i-1", NOW).await.unwrap());
    let tombstone = StoredInteraction {
        payload: Payload::empty(),
        answered: true,
        ..second
    };
    assert_eq!(
        store.interaction_get("i-1", NOW).await.unwrap(),
        Some(tombstone.clone())
    );
}

/// An answered interaction is never brought back by a later write (a login finishing after
/// the consent that answered it, or a second start from the same sealed handle).
async fn an_answered_interaction_is_never_replaced(store: Arc<dyn Store>) {
    let pending = interaction("i-2", NOW + 600);
    store.interaction_put(&pending).await.unwrap();
    assert!(store.interaction_take("i-2", NOW).await.unwrap());
    store.interaction_put(&pending).await.unwrap();
    let row = store.interaction_get("i-2", NOW).await.unwrap().unwrap();
    assert!(row.answered, "{row:?}");
    assert!(row.payload.is_empty());
    assert!(!store.interaction_take("i-2", NOW).await.unwrap());
    // The grouped writer (SQLite) keeps the rule too: many rows at once, one of them answered.
    let writes = race(RACERS, |i| {
        let store = Arc::clone(&store);
        async move {
            let id = if i == 0 {
                "i-2".to_string()
            } else {
                format!("i-2-{i}")
            };
            store.interaction_put(&interaction(&id, NOW + 600)).await
        }
    })
    .await;
    assert!(writes.iter().all(Result::is_ok), "{writes:?}");
    let row = store.interaction_get("i-2", NOW).await.unwrap().unwrap();
    assert!(row.answered && row.payload.is_empty(), "{row:?}");
    let other = store.interaction_get("i-2-1", NOW).await.unwrap().unwrap();
    assert!(!other.answered);
}

/// Concurrent interaction writes (SQLite groups them into one transaction) each land, and
/// racing writes of one id all succeed with one of them kept whole.
async fn concurrent_interaction_writes_all_land(store: Arc<dyn Store>) {
    let writes = race(4 * RACERS, |i| {
        let store = Arc::clone(&store);
        async move {
            let mut row = interaction(&format!("many-{i}"), NOW + 600);
            row.payload = Payload::from_stored(format!(r#"{{"n":{i}}}"#));
            store.interaction_put(&row).await?;
            let mut same = interaction("same", NOW + 600);
            same.payload = Payload::from_stored(format!(r#"{{"n":{i}}}"#));
            store.interaction_put(&same).await
        }
    })
    .await;
    assert!(writes.iter().all(Result::is_ok), "{writes:?}");
    for i in 0..4 * RACERS {
        let row = store
            .interaction_get(&format!("many-{i}"), NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.payload.as_stored(), format!(r#"{{"n":{i}}}"#));
    }
    let same = store.interaction_get("same", NOW).await.unwrap().unwrap();
    let text = same.payload.as_stored();
    let n: usize = text[5..text.len() - 1].parse().unwrap();
    assert!(n < 4 * RACERS, "{text}");
}

async fn session_round_trips_put_replaces_and_delete_removes(store: Arc<dyn Store>) {
    let anonymous = session("s-1", None, NOW + 3600);
    store.session_put(&anonymous).await.unwrap();
    assert_eq!(
        store.session_get("s-1", NOW).await.unwrap(),
        Some(anonymous)
    );

    let logged_in = session("s-1", Some("sub-alice"), NOW + 7200);
    store.session_put(&logged_in).await.unwrap();
    assert_eq!(
        store.session_get("s-1", NOW).await.unwrap(),
        Some(logged_in)
    );

    store.session_delete("s-1").await.unwrap();
    assert_eq!(store.session_get("s-1", NOW).await.unwrap(), None);
    // Deleting an absent session is not an error.
    store.session_delete("s-1").await.unwrap();
}

async fn grant_round_trips(store: Arc<dyn Store>) {
    let g = grant("g-1", NOW + 86_400);
    store.grant_insert(&g).await.unwrap();
    assert_eq!(store.grant_get("g-1").await.unwrap(), Some(g.clone()));
    assert_eq!(store.grant_get("g-absent").await.unwrap(), None);
    // A grant is returned whatever its state, even past expiry.
    let old = StoredGrant {
        revoked_at: Some(NOW - 1),
        ..grant("g-old", NOW - 100)
    };
    store.grant_insert(&old).await.unwrap();
    assert_eq!(store.grant_get("g-old").await.unwrap(), Some(old));
}

/// Concurrent reads (grouped on SQLite) each get their own grant, as it is now: one revoked
/// just before is read revoked, and an unknown id is missing.
async fn concurrent_grant_reads_each_get_their_own_grant(store: Arc<dyn Store>) {
    for i in 0..3 {
        store
            .grant_insert(&grant(&format!("g-{i}"), NOW + 86_400))
            .await
            .unwrap();
    }
    store.grant_revoke("g-2", NOW).await.unwrap();
    let outcomes = race(RACERS, |i| {
        let store = Arc::clone(&store);
        async move {
            let got = store.grant_get(&format!("g-{}", i % 4)).await.unwrap();
            (i % 4, got)
        }
    })
    .await;
    for (i, got) in outcomes {
        match got {
            Some(g) => {
                assert_eq!(g.id, format!("g-{i}"));
                assert_eq!(g.revoked_at.is_some(), i == 2, "grant g-{i}");
            }
            None => assert_eq!(i, 3),
        }
    }
}

async fn code_round_trips_through_consumption(store: Arc<dyn Store>) {
    let c = code("c-1", "g-1", NOW + 60);
    store.code_insert(&c).await.unwrap();
    assert_eq!(
        store.code_consume("c-1", NOW).await.unwrap(),
        Consumed::Now(c.clone())
    );
    // A replay, even later (before expiry), carries the record so the caller can revoke.
    assert_eq!(
        store.code_consume("c-1", NOW + 30).await.unwrap(),
        Consumed::Already(c)
    );
}

async fn refresh_token_round_trips_through_consumption(store: Arc<dyn Store>) {
    let r = refresh("r-1", "g-1", NOW + 86_400);
    store.refresh_insert(&r).await.unwrap();
    assert_eq!(
        store.refresh_consume("r-1", NOW).await.unwrap(),
        Consumed::Now(r.clone())
    );
    assert_eq!(
        store.refresh_consume("r-1", NOW + 1).await.unwrap(),
        Consumed::Already(r)
    );
}

/// `refresh_rotation = "off"`: a touch extends an unused token and returns it, as many times
/// as it is used; a consumed, expired or unknown token is `None` and stays as it was.
async fn refresh_token_touch_extends_an_unused_token_only(store: Arc<dyn Store>) {
    let r = refresh("r-t", "g-t", NOW + 100);
    store.refresh_insert(&r).await.unwrap();
    let touched = store
        .refresh_touch("r-t", NOW, NOW + 500)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.expires_at, NOW + 500);
    assert_eq!(touched.payload, r.payload);
    // Past the first expiry, the new one holds.
    let again = store
        .refresh_touch("r-t", NOW + 200, NOW + 900)
        .await
        .unwrap();
    assert_eq!(again.map(|t| t.expires_at), Some(NOW + 900));
    // Expired: not touched, not revived.
    assert_eq!(
        store
            .refresh_touch("r-t", NOW + 900, NOW + 2000)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.refresh_touch("nope", NOW, NOW + 10).await.unwrap(),
        None
    );
    // Consumed: not touched.
    let c = refresh("r-c", "g-t", NOW + 100);
    store.refresh_insert(&c).await.unwrap();
    assert!(matches!(
        store.refresh_consume("r-c", NOW).await.unwrap(),
        Consumed::Now(_)
    ));
    assert_eq!(
        store.refresh_touch("r-c", NOW, NOW + 500).await.unwrap(),
        None
    );
}

/// Introspection and revocation read a refresh token without using it: only an unused,
/// unexpired one is live, and reading it twice changes nothing.
async fn refresh_token_is_read_live_without_being_used(store: Arc<dyn Store>) {
    let r = refresh("r-l", "g-l", NOW + 100);
    store.refresh_insert(&r).await.unwrap();
    assert_eq!(
        store.refresh_get_live("r-l", NOW).await.unwrap(),
        Some(r.clone())
    );
    assert_eq!(
        store.refresh_get_live("r-l", NOW + 1).await.unwrap(),
        Some(r.clone())
    );
    // Still usable once after the reads.
    assert_eq!(
        store.refresh_consume("r-l", NOW + 2).await.unwrap(),
        Consumed::Now(r.clone())
    );
    // Used: no longer live.
    assert_eq!(store.refresh_get_live("r-l", NOW + 3).await.unwrap(), None);
    // Expired, and unknown: not live.
    let e = refresh("r-e", "g-l", NOW + 100);
    store.refresh_insert(&e).await.unwrap();
    assert_eq!(
        store.refresh_get_live("r-e", NOW + 100).await.unwrap(),
        None
    );
    assert_eq!(store.refresh_get_live("nope", NOW).await.unwrap(), None);
}

fn issued(grant_id: &str, until: UnixTime, refresh: Option<StoredRefreshToken>) -> IssuedTokens {
    IssuedTokens {
        grant_id: grant_id.into(),
        grant_expires_at: until,
        refresh,
    }
}

/// `tokens_issued` (a token response's one write): the refresh token is stored and usable,
/// the grant is kept until the later of its expiry and the new one, and a retry of the same
/// write changes nothing.
async fn tokens_issued_stores_the_refresh_token_and_keeps_the_grant(store: Arc<dyn Store>) {
    store.grant_insert(&grant("g-i", NOW + 100)).await.unwrap();
    let write = issued("g-i", NOW + 400, Some(refresh("r-i", "g-i", NOW + 300)));
    store.tokens_issued(write.clone()).await.unwrap();
    let expiry = |store: Arc<dyn Store>| async move {
        store.grant_get("g-i").await.unwrap().unwrap().expires_at
    };
    assert_eq!(expiry(store.clone()).await, NOW + 400);
    assert_eq!(
        store.refresh_get_live("r-i", NOW).await.unwrap(),
        Some(refresh("r-i", "g-i", NOW + 300))
    );
    store.tokens_issued(write).await.unwrap();
    assert_eq!(
        store.refresh_consume("r-i", NOW).await.unwrap(),
        Consumed::Now(refresh("r-i", "g-i", NOW + 300))
    );
    // With a refresh token too, an earlier expiry leaves the grant as it is.
    let earlier = issued("g-i", NOW + 150, Some(refresh("r-j", "g-i", NOW + 150)));
    store.tokens_issued(earlier).await.unwrap();
    assert_eq!(expiry(store.clone()).await, NOW + 400);
    assert!(store.refresh_get_live("r-j", NOW).await.unwrap().is_some());
    // Without a refresh token (a refresh that keeps the one used): the grant only; never
    // shortened; an unknown grant is no error.
    store
        .tokens_issued(issued("g-i", NOW + 200, None))
        .await
        .unwrap();
    assert_eq!(expiry(store.clone()).await, NOW + 400);
    store
        .tokens_issued(issued("g-i", NOW + 500, None))
        .await
        .unwrap();
    assert_eq!(expiry(store.clone()).await, NOW + 500);
    store
        .tokens_issued(issued("nope", NOW + 500, None))
        .await
        .unwrap();
}

/// A refresh token is written only with its own grant.
async fn tokens_issued_refuses_a_refresh_token_of_another_grant(store: Arc<dyn Store>) {
    store.grant_insert(&grant("g-a", NOW + 100)).await.unwrap();
    let write = issued("g-a", NOW + 400, Some(refresh("r-b", "g-b", NOW + 300)));
    assert!(store.tokens_issued(write).await.is_err());
    assert_eq!(store.refresh_get_live("r-b", NOW).await.unwrap(), None);
    assert_eq!(
        store.grant_get("g-a").await.unwrap().unwrap().expires_at,
        NOW + 100
    );
}

/// Concurrent token responses (grouped into shared statements on SQLite) each land: every
/// refresh token is there, and each grant ends at the latest expiry any of its writers gave.
async fn concurrent_tokens_issued_all_land(store: Arc<dyn Store>) {
    for g in 0..3 {
        store
            .grant_insert(&grant(&format!("g-{g}"), NOW + 10))
            .await
            .unwrap();
    }
    race(RACERS, |i| {
        let store = Arc::clone(&store);
        async move {
            let g = format!("g-{}", i % 3);
            let rt = (i % 2 == 0).then(|| refresh(&format!("r-{i}"), &g, NOW + 300));
            let until = NOW + 100 + i as UnixTime;
            store.tokens_issued(issued(&g, until, rt)).await.unwrap();
        }
    })
    .await;
    for i in (0..RACERS).step_by(2) {
        let g = format!("g-{}", i % 3);
        assert_eq!(
            store
                .refresh_get_live(&format!("r-{i}"), NOW)
                .await
                .unwrap(),
            Some(refresh(&format!("r-{i}"), &g, NOW + 300))
        );
    }
    for g in 0..3 {
        let latest = (0..RACERS).filter(|i| i % 3 == g).max().unwrap();
        assert_eq!(
            store
                .grant_get(&format!("g-{g}"))
                .await
                .unwrap()
                .unwrap()
                .expires_at,
            NOW + 100 + latest as UnixTime
        );
    }
}

async fn unknown_keys_are_missing(store: Arc<dyn Store>) {
    assert_eq!(
        store.code_consume("nope", NOW).await.unwrap(),
        Consumed::Missing
    );
    assert_eq!(
        store.refresh_consume("nope", NOW).await.unwrap(),
        Consumed::Missing
    );
    assert_eq!(store.interaction_get("nope", NOW).await.unwrap(), None);
    assert!(!store.interaction_take("nope", NOW).await.unwrap());
    assert_eq!(store.session_get("nope", NOW).await.unwrap(), None);
    assert_eq!(store.user_get("nope").await.unwrap(), None);
    assert_eq!(store.user_by_username("nope").await.unwrap(), None);
    assert_eq!(store.client_get("nope").await.unwrap(), None);
    assert!(store.client_list().await.unwrap().is_empty());
    assert!(store.key_list().await.unwrap().is_empty());
    // Revoking an unknown grant is a no-op.
    store.grant_revoke("nope", NOW).await.unwrap();
    assert_eq!(store.grant_get("nope").await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// Rules: expiry

async fn expired_rows_are_invisible_whatever_purge_did(store: Arc<dyn Store>) {
    let expires = NOW + 60;
    store
        .interaction_put(&interaction("i", expires))
        .await
        .unwrap();
    store
        .session_put(&session("s", Some("u"), expires))
        .await
        .unwrap();
    store.code_insert(&code("c", "g", expires)).await.unwrap();
    store
        .refresh_insert(&refresh("r", "g", expires))
        .await
        .unwrap();

    // Before expiry everything is visible (gets do not consume).
    assert!(
        store
            .interaction_get("i", expires - 1)
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.session_get("s", expires - 1).await.unwrap().is_some());

    // At and after `expires_at`, with nothing purged: absent, never consumed.
    for now in [expires, expires + 1, expires + 1_000_000] {
        assert_eq!(store.interaction_get("i", now).await.unwrap(), None);
        assert!(!store.interaction_take("i", now).await.unwrap());
        assert_eq!(store.session_get("s", now).await.unwrap(), None);
        assert_eq!(
            store.code_consume("c", now).await.unwrap(),
            Consumed::Missing
        );
        assert_eq!(
            store.refresh_consume("r", now).await.unwrap(),
            Consumed::Missing
        );
    }
    // The failed attempts consumed nothing: still usable before expiry.
    assert!(
        store
            .interaction_get("i", expires - 1)
            .await
            .unwrap()
            .is_some()
    );
    assert!(matches!(
        store.code_consume("c", expires - 1).await.unwrap(),
        Consumed::Now(_)
    ));

    // After a purge: still absent.
    assert!(store.purge_expired(expires).await.unwrap() > 0);
    assert_eq!(store.interaction_get("i", expires).await.unwrap(), None);
    assert_eq!(store.session_get("s", expires).await.unwrap(), None);
    assert_eq!(
        store.refresh_consume("r", expires).await.unwrap(),
        Consumed::Missing
    );
    // Purged rows are gone for any `now`.
    assert_eq!(store.interaction_get("i", NOW).await.unwrap(), None);
    assert_eq!(store.session_get("s", NOW).await.unwrap(), None);
    assert_eq!(
        store.refresh_consume("r", NOW).await.unwrap(),
        Consumed::Missing
    );
}

// ---------------------------------------------------------------------------------------
// Rules: one-time use under concurrency

async fn code_is_consumed_exactly_once_under_concurrency(store: Arc<dyn Store>) {
    let c = code("c-race", "g-1", NOW + 60);
    store.code_insert(&c).await.unwrap();
    let outcomes = race(RACERS, |_| {
        let store = Arc::clone(&store);
        async move { store.code_consume("c-race", NOW).await.unwrap() }
    })
    .await;
    assert_exactly_once(&outcomes);
    for outcome in outcomes {
        match outcome {
            Consumed::Now(got) | Consumed::Already(got) => assert_eq!(got, c),
            Consumed::Missing => unreachable!(),
        }
    }
}

/// Concurrent redemptions of several codes (grouped into shared statements on SQLite): each
/// live code is used by exactly one caller and found used by the others; an expired, an
/// already used and an unknown code get what they get alone.
async fn concurrent_code_redemptions_each_get_their_own_outcome(store: Arc<dyn Store>) {
    for i in 0..5 {
        store
            .code_insert(&code(&format!("c-{i}"), "g-1", NOW + 60))
            .await
            .unwrap();
    }
    store.code_insert(&code("c-old", "g-1", NOW)).await.unwrap();
    let used = code("c-used", "g-1", NOW + 60);
    store.code_insert(&used).await.unwrap();
    assert!(matches!(
        store.code_consume("c-used", NOW).await.unwrap(),
        Consumed::Now(_)
    ));
    let names = [
        "c-0", "c-1", "c-2", "c-3", "c-4", "c-old", "c-used", "c-none",
    ];
    let outcomes = race(RACERS, |i| {
        let store = Arc::clone(&store);
        async move {
            let name = names[i % names.len()];
            (name, store.code_consume(name, NOW).await.unwrap())
        }
    })
    .await;
    for name in names {
        let mine: Vec<&Consumed<StoredCode>> = outcomes
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, o)| o)
            .collect();
        let now = mine
            .iter()
            .filter(|o| matches!(o, Consumed::Now(_)))
            .count();
        let already = mine
            .iter()
            .filter(|o| matches!(o, Consumed::Already(c) if c.code_hash == name))
            .count();
        match name {
            "c-old" | "c-none" => assert!(mine.iter().all(|o| **o == Consumed::Missing), "{name}"),
            "c-used" => assert_eq!(already, mine.len(), "{name}"),
            _ => assert_eq!((now, already), (1, mine.len() - 1), "{name}"),
        }
    }
}

/// Concurrent uses of one refresh token without rotation (a client's parallel requests; grouped
/// on SQLite): every caller gets it, and it ends at an expiry one of them gave; an unknown or
/// consumed token is `None` for its callers alone.
async fn concurrent_refresh_touches_each_get_their_own_outcome(store: Arc<dyn Store>) {
    store
        .refresh_insert(&refresh("r-shared", "g-t", NOW + 100))
        .await
        .unwrap();
    store
        .refresh_insert(&refresh("r-used", "g-t", NOW + 100))
        .await
        .unwrap();
    assert!(matches!(
        store.refresh_consume("r-used", NOW).await.unwrap(),
        Consumed::Now(_)
    ));
    let outcomes = race(RACERS, |i| {
        let store = Arc::clone(&store);
        async move {
            let name = ["r-shared", "r-shared", "r-used", "r-none"][i % 4];
            let until = NOW + 200 + i as UnixTime;
            (name, store.refresh_touch(name, NOW, until).await.unwrap())
        }
    })
    .await;
    for (name, got) in &outcomes {
        match *name {
            "r-shared" => assert_eq!(
                got.as_ref().map(|t| t.token_hash.as_str()),
                Some("r-shared")
            ),
            _ => assert_eq!(got, &None, "{name}"),
        }
    }
    // One of the expiries given (which one is the order the writes landed in).
    let given: Vec<UnixTime> = (0..RACERS)
        .filter(|i| i % 4 < 2)
        .map(|i| NOW + 200 + i as UnixTime)
        .collect();
    let ends = store
        .refresh_get_live("r-shared", NOW)
        .await
        .unwrap()
        .map(|t| t.expires_at);
    assert!(ends.is_some_and(|e| given.contains(&e)), "{ends:?}");
}

async fn refresh_token_is_consumed_exactly_once_under_concurrency(store: Arc<dyn Store>) {
    let r = refresh("r-race", "g-1", NOW + 3600);
    store.refresh_insert(&r).await.unwrap();
    let outcomes = race(RACERS, |_| {
        let store = Arc::clone(&store);
        async move { store.refresh_consume("r-race", NOW).await.unwrap() }
    })
    .await;
    assert_exactly_once(&outcomes);
}

async fn interaction_is_taken_exactly_once_under_concurrency(store: Arc<dyn Store>) {
    let i = interaction("i-race", NOW + 600);
    store.interaction_put(&i).await.unwrap();
    let outcomes = race(RACERS, |_| {
        let store = Arc::clone(&store);
        async move { store.interaction_take("i-race", NOW).await.unwrap() }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|t| **t).count(), 1, "{outcomes:?}");
}

// ---------------------------------------------------------------------------------------
// Rules: pushed authorization requests (RFC 9126)

fn pushed(hash: &str, client_id: &str, expires_at: UnixTime) -> StoredPushedRequest {
    StoredPushedRequest {
        uri_hash: hash.into(),
        client_id: client_id.into(),
        payload: Payload::from_stored(format!(r#"{{"pushed":"{hash}"}}"#)),
        expires_at,
    }
}

async fn pushed_request_is_taken_once_by_its_client_only(store: Arc<dyn Store>) {
    let p = pushed("p-1", "rp", NOW + 60);
    store.pushed_request_insert(&p).await.unwrap();
    // Another client neither gets it nor burns it.
    assert_eq!(
        store
            .pushed_request_take("p-1", "other", NOW)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.pushed_request_take("p-1", "rp", NOW).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        store.pushed_request_take("p-1", "rp", NOW).await.unwrap(),
        None
    );
    // The same hash again is a conflict only while the row exists.
    store.pushed_request_insert(&p).await.unwrap();
    let again = store.pushed_request_insert(&p).await.unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
}

async fn expired_pushed_request_is_not_taken(store: Arc<dyn Store>) {
    store
        .pushed_request_insert(&pushed("p-old", "rp", NOW + 60))
        .await
        .unwrap();
    assert_eq!(
        store
            .pushed_request_take("p-old", "rp", NOW + 60)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.purge_expired(NOW + 60).await.unwrap(), 1);
}

async fn pushed_request_is_taken_exactly_once_under_concurrency(store: Arc<dyn Store>) {
    let p = pushed("p-race", "rp", NOW + 60);
    store.pushed_request_insert(&p).await.unwrap();
    let outcomes = race(RACERS, |_| {
        let store = Arc::clone(&store);
        async move {
            store
                .pushed_request_take("p-race", "rp", NOW)
                .await
                .unwrap()
        }
    })
    .await;
    let taken: Vec<_> = outcomes.into_iter().flatten().collect();
    assert_eq!(taken, vec![p]);
}

/// SPEC §10: two nodes on one database behave as one. `a` and `b` are separate handles
/// (separate pools) on the same database.
async fn code_is_consumed_once_across_two_nodes(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    a.code_insert(&code("c-nodes", "g-1", NOW + 60))
        .await
        .unwrap();
    b.refresh_insert(&refresh("r-nodes", "g-1", NOW + 60))
        .await
        .unwrap();
    let codes = race(RACERS, |i| {
        let node = Arc::clone(if i % 2 == 0 { &a } else { &b });
        async move { node.code_consume("c-nodes", NOW).await.unwrap() }
    })
    .await;
    assert_exactly_once(&codes);
    let tokens = race(RACERS, |i| {
        let node = Arc::clone(if i % 2 == 0 { &a } else { &b });
        async move { node.refresh_consume("r-nodes", NOW).await.unwrap() }
    })
    .await;
    assert_exactly_once(&tokens);
    // A jti seen on one node is a replay on the other.
    assert!(
        a.replay_insert_once("jti", "j-1", NOW + 60, NOW)
            .await
            .unwrap()
    );
    assert!(
        !b.replay_insert_once("jti", "j-1", NOW + 60, NOW)
            .await
            .unwrap()
    );
    // ...also when written together with another key.
    assert_eq!(
        b.replay_insert_each(
            &[
                entry("jti", "j-1", NOW + 60),
                entry("dpop", "p-1", NOW + 60)
            ],
            NOW
        )
        .await
        .unwrap(),
        vec![false, true]
    );
    assert!(
        !a.replay_insert_once("dpop", "p-1", NOW + 60, NOW)
            .await
            .unwrap()
    );
}

// ---------------------------------------------------------------------------------------
// Rules: attempt counters

async fn attempt_counter_counts_and_starts_again_after_its_window(store: Arc<dyn Store>) {
    assert_eq!(store.attempt_get("login", "k", NOW).await.unwrap(), None);
    assert_eq!(
        store
            .attempt_add("login", "k", NOW + 60, NOW)
            .await
            .unwrap(),
        (1, NOW + 60)
    );
    // A later caller's window does not move a live one.
    assert_eq!(
        store
            .attempt_add("login", "k", NOW + 90, NOW + 30)
            .await
            .unwrap(),
        (2, NOW + 60)
    );
    assert_eq!(
        store.attempt_get("login", "k", NOW + 59).await.unwrap(),
        Some((2, NOW + 60))
    );
    // Namespaces and keys are independent.
    assert_eq!(
        store
            .attempt_add("account", "k", NOW + 60, NOW)
            .await
            .unwrap(),
        (1, NOW + 60)
    );
    // At the window's end the count is gone, and the next one starts at 1.
    assert_eq!(
        store.attempt_get("login", "k", NOW + 60).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .attempt_add("login", "k", NOW + 120, NOW + 60)
            .await
            .unwrap(),
        (1, NOW + 120)
    );
    // A lock outlasts the window; it never shortens one.
    store.attempt_extend("login", "k", NOW + 600).await.unwrap();
    store.attempt_extend("login", "k", NOW + 300).await.unwrap();
    assert_eq!(
        store.attempt_get("login", "k", NOW + 500).await.unwrap(),
        Some((1, NOW + 600))
    );
    assert!(store.attempt_clear("login", "k").await.unwrap());
    assert!(!store.attempt_clear("login", "k").await.unwrap());
    assert_eq!(store.attempt_get("login", "k", NOW).await.unwrap(), None);
}

/// The race the outside review found: concurrent attempts must each see their own count.
async fn attempt_counter_gives_each_concurrent_caller_its_own_count(store: Arc<dyn Store>) {
    let counts = race(RACERS, |_| {
        let store = Arc::clone(&store);
        async move {
            store
                .attempt_add("login", "raced", NOW + 60, NOW)
                .await
                .unwrap()
                .0
        }
    })
    .await;
    let mut counts = counts;
    counts.sort_unstable();
    let expected: Vec<u32> = (1..=RACERS as u32).collect();
    assert_eq!(counts, expected);
}

// ---------------------------------------------------------------------------------------
// Rules: replay cache

async fn replay_entry_is_inserted_once(store: Arc<dyn Store>) {
    assert!(
        store
            .replay_insert_once("jti", "j-1", NOW + 60, NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .replay_insert_once("jti", "j-1", NOW + 60, NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .replay_insert_once("jti", "j-1", NOW + 90, NOW + 59)
            .await
            .unwrap()
    );
    // Namespaces are independent, and so are keys.
    assert!(
        store
            .replay_insert_once("dpop", "j-1", NOW + 60, NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .replay_insert_once("jti", "j-2", NOW + 60, NOW)
            .await
            .unwrap()
    );
}

/// A remembered key is seen until it expires, in its own namespace only.
async fn replay_entry_is_seen_until_it_expires(store: Arc<dyn Store>) {
    assert!(!store.replay_seen("at-revoked", "j-s", NOW).await.unwrap());
    assert!(
        store
            .replay_insert_once("at-revoked", "j-s", NOW + 60, NOW)
            .await
            .unwrap()
    );
    assert!(store.replay_seen("at-revoked", "j-s", NOW).await.unwrap());
    assert!(
        store
            .replay_seen("at-revoked", "j-s", NOW + 59)
            .await
            .unwrap()
    );
    assert!(
        !store
            .replay_seen("at-revoked", "j-s", NOW + 60)
            .await
            .unwrap()
    );
    assert!(!store.replay_seen("jti", "j-s", NOW).await.unwrap());
    assert!(!store.replay_seen("at-revoked", "j-t", NOW).await.unwrap());
}

async fn replay_entry_is_inserted_once_under_concurrency(store: Arc<dyn Store>) {
    let outcomes = race(RACERS, |_| {
        let store = Arc::clone(&store);
        async move {
            store
                .replay_insert_once("jti", "j-race", NOW + 60, NOW)
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|new| **new).count(), 1);
}

/// Concurrent inserts of many keys (SQLite writes them as one statement) each get the outcome
/// of their own key: a new key is new, an unexpired one a replay, an expired one new again,
/// and of many callers of one key exactly one is first.
async fn concurrent_replay_inserts_each_get_their_own_outcome(store: Arc<dyn Store>) {
    let later = NOW + 10;
    for i in 0..RACERS {
        // Even keys are still remembered at `later`; odd ones have expired by then.
        let expires_at = if i % 2 == 0 { NOW + 60 } else { NOW + 5 };
        assert!(
            store
                .replay_insert_once("jti", &format!("old-{i}"), expires_at, NOW)
                .await
                .unwrap()
        );
    }
    let outcomes = race(4 * RACERS, |i| {
        let store = Arc::clone(&store);
        async move {
            let own = if i < RACERS {
                format!("old-{i}")
            } else {
                format!("new-{i}")
            };
            let (mine, shared) = tokio::join!(
                store.replay_insert_once("jti", &own, later + 60, later),
                store.replay_insert_once("dpop", "shared", later + 60, later),
            );
            (i, mine.unwrap(), shared.unwrap())
        }
    })
    .await;
    for (i, mine, _) in &outcomes {
        let expected = *i >= RACERS || i % 2 == 1;
        assert_eq!(*mine, expected, "key of caller {i}");
    }
    assert_eq!(outcomes.iter().filter(|(_, _, shared)| *shared).count(), 1);
    // The renewed and the new entries hold from now on.
    assert!(
        !store
            .replay_insert_once("jti", "old-1", later + 60, later + 1)
            .await
            .unwrap()
    );
    assert!(
        !store
            .replay_insert_once("jti", &format!("new-{RACERS}"), later + 60, later + 1)
            .await
            .unwrap()
    );
}

fn entry<'a>(namespace: &'a str, key: &'a str, expires_at: i64) -> ReplayEntry<'a> {
    ReplayEntry {
        namespace,
        key,
        expires_at,
    }
}

/// `replay_insert_each` (one write for a token request's assertion and proof `jti`s): each
/// entry gets its own outcome, a replay among them does not stop the others from being
/// written, an expired entry is new again, and a key given twice is new only the first time.
async fn replay_entries_written_together_each_get_their_own_outcome(store: Arc<dyn Store>) {
    assert!(
        store
            .replay_insert_once("client_assertion", "a-old", NOW + 60, NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .replay_insert_once("dpop", "p-expired", NOW + 5, NOW)
            .await
            .unwrap()
    );
    let later = NOW + 10;
    let outcomes = store
        .replay_insert_each(
            &[
                entry("client_assertion", "a-old", later + 60),
                entry("dpop", "p-new", later + 60),
                entry("dpop", "p-expired", later + 60),
                entry("dpop", "p-new", later + 60),
            ],
            later,
        )
        .await
        .unwrap();
    assert_eq!(outcomes, vec![false, true, true, false]);
    // The new and the renewed entries hold from now on, in their own namespace only.
    let again = store
        .replay_insert_each(
            &[
                entry("dpop", "p-new", later + 60),
                entry("dpop", "p-expired", later + 60),
                entry("client_assertion", "p-new", later + 60),
            ],
            later + 1,
        )
        .await
        .unwrap();
    assert_eq!(again, vec![false, false, true]);
    assert!(
        store
            .replay_seen("dpop", "p-new", later + 59)
            .await
            .unwrap()
    );
    assert!(
        store
            .replay_insert_each(&[], later)
            .await
            .unwrap()
            .is_empty()
    );
    let too_many: Vec<ReplayEntry<'_>> = (0..=MAX_REPLAY_ENTRIES)
        .map(|_| entry("dpop", "x", later + 60))
        .collect();
    assert!(store.replay_insert_each(&too_many, later).await.is_err());
}

/// Concurrent pairs sharing keys: of all the callers, on any node, exactly one finds each key
/// new, whether it came alone or in a pair.
async fn replay_entries_written_together_are_once_under_concurrency(store: Arc<dyn Store>) {
    let outcomes = race(RACERS, |i| {
        let store = Arc::clone(&store);
        async move {
            let own = format!("own-{i}");
            if i % 2 == 0 {
                store
                    .replay_insert_each(
                        &[
                            entry("client_assertion", &own, NOW + 60),
                            entry("dpop", "shared", NOW + 60),
                        ],
                        NOW,
                    )
                    .await
                    .unwrap()
            } else {
                let mine = store
                    .replay_insert_once("client_assertion", &own, NOW + 60, NOW)
                    .await
                    .unwrap();
                let shared = store
                    .replay_insert_once("dpop", "shared", NOW + 60, NOW)
                    .await
                    .unwrap();
                vec![mine, shared]
            }
        }
    })
    .await;
    assert!(outcomes.iter().all(|o| o.len() == 2 && o[0]));
    assert_eq!(outcomes.iter().filter(|o| o[1]).count(), 1);
}

async fn expired_replay_entry_can_be_reinserted(store: Arc<dyn Store>) {
    assert!(
        store
            .replay_insert_once("jti", "j-1", NOW + 60, NOW)
            .await
            .unwrap()
    );
    // At expiry the entry no longer counts, purged or not: the key is new again.
    assert!(
        store
            .replay_insert_once("jti", "j-1", NOW + 120, NOW + 60)
            .await
            .unwrap()
    );
    // ...and the new entry holds until its own expiry.
    assert!(
        !store
            .replay_insert_once("jti", "j-1", NOW + 200, NOW + 119)
            .await
            .unwrap()
    );

    // Concurrent re-insertions of an expired entry: exactly one wins.
    let later = NOW + 120;
    let outcomes = race(RACERS, |_| {
        let store = Arc::clone(&store);
        async move {
            store
                .replay_insert_once("jti", "j-1", later + 60, later)
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|new| **new).count(), 1);
}

// ---------------------------------------------------------------------------------------
// Rules: grants and housekeeping

async fn grant_revocation_deletes_its_codes_and_refresh_tokens(store: Arc<dyn Store>) {
    store
        .grant_insert(&grant("g-bad", NOW + 3600))
        .await
        .unwrap();
    store
        .grant_insert(&grant("g-good", NOW + 3600))
        .await
        .unwrap();
    for (hash, grant_id) in [
        ("c-bad-1", "g-bad"),
        ("c-bad-used", "g-bad"),
        ("c-good", "g-good"),
    ] {
        store
            .code_insert(&code(hash, grant_id, NOW + 60))
            .await
            .unwrap();
    }
    for (hash, grant_id) in [
        ("r-bad-1", "g-bad"),
        ("r-bad-used", "g-bad"),
        ("r-good", "g-good"),
    ] {
        store
            .refresh_insert(&refresh(hash, grant_id, NOW + 3600))
            .await
            .unwrap();
    }
    assert!(matches!(
        store.code_consume("c-bad-used", NOW).await.unwrap(),
        Consumed::Now(_)
    ));
    assert!(matches!(
        store.refresh_consume("r-bad-used", NOW).await.unwrap(),
        Consumed::Now(_)
    ));

    store.grant_revoke("g-bad", NOW + 1).await.unwrap();
    let revoked = store.grant_get("g-bad").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(NOW + 1));
    // Revoking again keeps the first revocation time.
    store.grant_revoke("g-bad", NOW + 2).await.unwrap();
    assert_eq!(
        store.grant_get("g-bad").await.unwrap().unwrap().revoked_at,
        Some(NOW + 1)
    );

    // Its unused codes and refresh tokens are gone...
    assert_eq!(
        store.code_consume("c-bad-1", NOW + 2).await.unwrap(),
        Consumed::Missing
    );
    assert_eq!(
        store.refresh_consume("r-bad-1", NOW + 2).await.unwrap(),
        Consumed::Missing
    );
    // ...used ones still read as replays (nothing can be redeemed from them)...
    assert!(matches!(
        store.code_consume("c-bad-used", NOW + 2).await.unwrap(),
        Consumed::Already(_)
    ));
    assert!(matches!(
        store.refresh_consume("r-bad-used", NOW + 2).await.unwrap(),
        Consumed::Already(_)
    ));
    // ...and other grants are untouched.
    assert_eq!(
        store.grant_get("g-good").await.unwrap().unwrap().revoked_at,
        None
    );
    assert!(matches!(
        store.code_consume("c-good", NOW + 2).await.unwrap(),
        Consumed::Now(_)
    ));
    assert!(matches!(
        store.refresh_consume("r-good", NOW + 2).await.unwrap(),
        Consumed::Now(_)
    ));
}

async fn purge_removes_expired_rows_and_keeps_live_ones(store: Arc<dyn Store>) {
    let cut = NOW + 100;
    let (dead, live) = (cut, cut + 1);
    store
        .interaction_put(&interaction("i-dead", dead))
        .await
        .unwrap();
    store
        .interaction_put(&interaction("i-live", live))
        .await
        .unwrap();
    store
        .session_put(&session("s-dead", None, dead))
        .await
        .unwrap();
    store
        .session_put(&session("s-live", None, live))
        .await
        .unwrap();
    store.code_insert(&code("c-dead", "g", dead)).await.unwrap();
    store.code_insert(&code("c-live", "g", live)).await.unwrap();
    store
        .refresh_insert(&refresh("r-dead", "g", dead))
        .await
        .unwrap();
    store
        .refresh_insert(&refresh("r-live", "g", live))
        .await
        .unwrap();
    assert!(
        store
            .replay_insert_once("jti", "dead", dead, NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .replay_insert_once("jti", "live", live, NOW)
            .await
            .unwrap()
    );
    store.grant_insert(&grant("g-dead", dead)).await.unwrap();
    store.grant_insert(&grant("g-live", live)).await.unwrap();
    // Keys, clients and users never expire.
    store
        .key_insert(&key("k", KeyUse::Sig, NOW - 1_000_000))
        .await
        .unwrap();
    store
        .client_upsert(&client("web", "{}", NOW - 1_000_000))
        .await
        .unwrap();
    store.user_upsert(&user("sub", "alice", "h")).await.unwrap();

    assert_eq!(store.purge_expired(cut).await.unwrap(), 6);
    assert_eq!(store.purge_expired(cut).await.unwrap(), 0);

    // Seen from before the cut, the dead rows are gone and the live ones are still there.
    assert_eq!(store.interaction_get("i-dead", NOW).await.unwrap(), None);
    assert!(
        store
            .interaction_get("i-live", NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.session_get("s-dead", NOW).await.unwrap(), None);
    assert!(store.session_get("s-live", NOW).await.unwrap().is_some());
    assert_eq!(
        store.code_consume("c-dead", NOW).await.unwrap(),
        Consumed::Missing
    );
    assert!(matches!(
        store.code_consume("c-live", NOW).await.unwrap(),
        Consumed::Now(_)
    ));
    assert_eq!(
        store.refresh_consume("r-dead", NOW).await.unwrap(),
        Consumed::Missing
    );
    assert!(matches!(
        store.refresh_consume("r-live", NOW).await.unwrap(),
        Consumed::Now(_)
    ));
    assert!(
        store
            .replay_insert_once("jti", "dead", dead, NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .replay_insert_once("jti", "live", live, NOW)
            .await
            .unwrap()
    );
    assert_eq!(store.grant_get("g-dead").await.unwrap(), None);
    assert!(store.grant_get("g-live").await.unwrap().is_some());
    assert_eq!(store.key_list().await.unwrap().len(), 1);
    assert_eq!(store.client_list().await.unwrap().len(), 1);
    assert!(store.user_get("sub").await.unwrap().is_some());
}

async fn purge_deletes_more_rows_than_one_batch(store: Arc<dyn Store>) {
    const ROWS: usize = 1_203;
    for i in 0..ROWS {
        let key = format!("j-{i}");
        assert!(
            store
                .replay_insert_once("jti", &key, NOW + 1, NOW)
                .await
                .unwrap()
        );
    }
    store
        .code_insert(&code("c-live", "g", NOW + 1_000))
        .await
        .unwrap();
    assert_eq!(store.purge_expired(NOW + 10).await.unwrap(), ROWS as u64);
    assert!(
        store
            .replay_insert_once("jti", "j-0", NOW + 1, NOW)
            .await
            .unwrap()
    );
    assert!(matches!(
        store.code_consume("c-live", NOW).await.unwrap(),
        Consumed::Now(_)
    ));
}

struct FixedClock(UnixTime);

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}

async fn purger_task_deletes_expired_rows_in_the_background(store: Arc<dyn Store>) {
    store
        .code_insert(&code("c-old", "g", NOW + 60))
        .await
        .unwrap();
    store
        .code_insert(&code("c-new", "g", NOW + 6000))
        .await
        .unwrap();
    // The purger's clock is past c-old's expiry but not c-new's.
    let clock = Arc::new(FixedClock(NOW + 600));
    let purger = writ_store::spawn_purger(Arc::clone(&store), clock, Duration::from_millis(20));
    // Seen from NOW, before its expiry, c-old reads `Missing` only once its row is gone
    // (until then it reads `Now`, then `Already`).
    let mut gone = false;
    for _ in 0..250 {
        if store.code_consume("c-old", NOW).await.unwrap() == Consumed::Missing {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!purger.is_finished(), "the purger must keep running");
    purger.abort();
    assert!(gone, "the background purger never deleted the expired code");
    assert!(matches!(
        store.code_consume("c-new", NOW).await.unwrap(),
        Consumed::Now(_)
    ));
}

// ---------------------------------------------------------------------------------------
// Instantiation per backend

/// Every single-store rule; `$suite!` turns each into a `#[tokio::test]` in the calling
/// module, which must provide `async fn run(rule)`.
macro_rules! all_rules {
    ($suite:ident) => {
        $suite!(
            client_round_trips_upserts_lists_and_removes,
            user_round_trips_by_id_and_username,
            concurrent_user_reads_each_get_their_own_user,
            user_upsert_is_keyed_by_username_and_keeps_the_id,
            user_list_is_by_username_and_remove_ends_everything_of_the_user,
            key_round_trips_and_lists_oldest_first,
            key_insert_conflicts_on_duplicate_kid,
            key_state_changes,
            key_private_is_replaced_only_from_its_old_value,
            interaction_round_trips_and_put_replaces,
            an_answered_interaction_is_never_replaced,
            concurrent_interaction_writes_all_land,
            session_round_trips_put_replaces_and_delete_removes,
            grant_round_trips,
            concurrent_grant_reads_each_get_their_own_grant,
            code_round_trips_through_consumption,
            refresh_token_round_trips_through_consumption,
            refresh_token_touch_extends_an_unused_token_only,
            refresh_token_is_read_live_without_being_used,
            tokens_issued_stores_the_refresh_token_and_keeps_the_grant,
            tokens_issued_refuses_a_refresh_token_of_another_grant,
            concurrent_tokens_issued_all_land,
            unknown_keys_are_missing,
            expired_rows_are_invisible_whatever_purge_did,
            code_is_consumed_exactly_once_under_concurrency,
            concurrent_code_redemptions_each_get_their_own_outcome,
            concurrent_refresh_touches_each_get_their_own_outcome,
            refresh_token_is_consumed_exactly_once_under_concurrency,
            interaction_is_taken_exactly_once_under_concurrency,
            pushed_request_is_taken_once_by_its_client_only,
            expired_pushed_request_is_not_taken,
            pushed_request_is_taken_exactly_once_under_concurrency,
            replay_entry_is_inserted_once,
            replay_entry_is_seen_until_it_expires,
            replay_entry_is_inserted_once_under_concurrency,
            concurrent_replay_inserts_each_get_their_own_outcome,
            replay_entries_written_together_each_get_their_own_outcome,
            replay_entries_written_together_are_once_under_concurrency,
            attempt_counter_counts_and_starts_again_after_its_window,
            attempt_counter_gives_each_concurrent_caller_its_own_count,
            expired_replay_entry_can_be_reinserted,
            grant_revocation_deletes_its_codes_and_refresh_tokens,
            purge_removes_expired_rows_and_keeps_live_ones,
            purge_deletes_more_rows_than_one_batch,
            purger_task_deletes_expired_rows_in_the_background,
        );
    };
}

macro_rules! conformance_suite {
    ($($rule:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $rule() {
                run(super::$rule).await;
            }
        )*
    };
}

/// A process-unique, unpredictable suffix for temporary names.
fn unique_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

mod sqlite {
    use std::path::{Path, PathBuf};

    use writ_store::{SqliteStore, sqlite_url_for_dir};

    use super::*;

    /// A temporary directory, removed on drop (also when a rule panics).
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!("writ-store-{}", unique_suffix()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn run<F, Fut>(rule: F)
    where
        F: FnOnce(Arc<dyn Store>) -> Fut,
        Fut: Future<Output = ()>,
    {
        let dir = TempDir::new();
        let store = SqliteStore::open(&sqlite_url_for_dir(dir.path()))
            .await
            .unwrap();
        rule(Arc::new(store.clone())).await;
        store.close().await;
    }

    all_rules!(conformance_suite);

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn code_is_consumed_once_across_two_nodes() {
        let dir = TempDir::new();
        let url = sqlite_url_for_dir(dir.path());
        let a = SqliteStore::open(&url).await.unwrap();
        let b = SqliteStore::open(&url).await.unwrap();
        super::code_is_consumed_once_across_two_nodes(Arc::new(a.clone()), Arc::new(b.clone()))
            .await;
        a.close().await;
        b.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn data_survives_reopening_the_file() {
        let dir = TempDir::new();
        let url = sqlite_url_for_dir(dir.path());
        let first = SqliteStore::open(&url).await.unwrap();
        first
            .key_insert(&key("k-1", KeyUse::Sig, NOW))
            .await
            .unwrap();
        first.close().await;
        // Reopening applies no migration twice and finds the data.
        let second = writ_store::open(&url).await.unwrap();
        assert_eq!(
            second.key_list().await.unwrap(),
            vec![key("k-1", KeyUse::Sig, NOW)]
        );
        assert!(dir.path().join("writ.db").exists());
        assert!(
            dir.path().join("writ.db-wal").exists(),
            "the database should be in WAL mode"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_plain_path_opens_a_sqlite_file() {
        let dir = TempDir::new();
        let path = dir.path().join("plain.db");
        let store = writ_store::open(path.to_str().unwrap()).await.unwrap();
        store
            .client_upsert(&client("web", "{}", NOW))
            .await
            .unwrap();
        assert!(path.exists());
    }
}

mod sqlite_memory {
    use writ_store::SqliteStore;

    use super::*;

    async fn run<F, Fut>(rule: F)
    where
        F: FnOnce(Arc<dyn Store>) -> Fut,
        Fut: Future<Output = ()>,
    {
        rule(Arc::new(SqliteStore::open_in_memory().await.unwrap())).await;
    }

    all_rules!(conformance_suite);

    #[tokio::test]
    async fn memory_url_opens_a_private_database() {
        let a = writ_store::open("sqlite::memory:").await.unwrap();
        let b = writ_store::open("sqlite::memory:").await.unwrap();
        a.client_upsert(&client("web", "{}", NOW)).await.unwrap();
        assert!(a.client_get("web").await.unwrap().is_some());
        assert!(b.client_get("web").await.unwrap().is_none());
    }
}

mod postgres {
    use sqlx::{AssertSqlSafe, Connection, PgConnection};
    use writ_store::PgStore;

    use super::*;

    const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

    /// The server under test: `WRIT_TEST_PG_URL` or the local default.
    /// A database name or query in the variable is ignored: each test picks its own database.
    fn server() -> String {
        let url = std::env::var("WRIT_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_SERVER.to_owned());
        let host_start = url.find("://").map_or(0, |i| i + 3);
        match url[host_start..].find(['/', '?']) {
            Some(end) => url[..host_start + end].to_owned(),
            None => url,
        }
    }

    /// A fresh database, created for one test and dropped by [`TestDb::drop_now`].
    struct TestDb {
        server: String,
        name: String,
    }

    impl TestDb {
        async fn create() -> Self {
            let server = server();
            let name = format!("writ_test_{}", unique_suffix());
            let mut admin = admin(&server).await;
            sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("could not create test database {name}: {e}"));
            admin.close().await.unwrap();
            TestDb { server, name }
        }

        fn url(&self) -> String {
            format!("{}/{}", self.server, self.name)
        }

        async fn drop_now(self) {
            let mut admin = admin(&self.server).await;
            sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("could not drop test database {}: {e}", self.name));
            admin.close().await.unwrap();
        }
    }

    async fn admin(server: &str) -> PgConnection {
        let url = format!("{server}/postgres");
        match PgConnection::connect(&url).await {
            Ok(conn) => conn,
            Err(e) => panic!(
                "PostgreSQL is not reachable at {server} ({e}). The PostgreSQL conformance \
                 tests need a server with trust auth: start it (e.g. `pg_ctlcluster 15 main \
                 start`) or set WRIT_TEST_PG_URL. These tests fail rather than skip."
            ),
        }
    }

    /// Run `rule` on `handles` stores connected to one fresh database, then drop the database
    /// whether the rule passed or panicked.
    async fn run_on<F, Fut>(handles: usize, rule: F)
    where
        F: FnOnce(Vec<Arc<dyn Store>>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let db = TestDb::create().await;
        let mut stores = Vec::new();
        for _ in 0..handles {
            stores.push(PgStore::connect(&db.url()).await.unwrap());
        }
        let dyns = stores
            .iter()
            .map(|s| Arc::new(s.clone()) as Arc<dyn Store>)
            .collect();
        let outcome = tokio::spawn(rule(dyns)).await;
        for store in stores {
            store.close().await;
        }
        db.drop_now().await;
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }

    async fn run<F, Fut>(rule: F)
    where
        F: FnOnce(Arc<dyn Store>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        run_on(1, |mut stores| rule(stores.remove(0))).await;
    }

    all_rules!(conformance_suite);

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn code_is_consumed_once_across_two_nodes() {
        run_on(2, |mut stores| {
            let b = stores.remove(1);
            let a = stores.remove(0);
            super::code_is_consumed_once_across_two_nodes(a, b)
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn open_picks_postgres_by_scheme() {
        let db = TestDb::create().await;
        for url in [
            db.url(),
            db.url().replacen("postgres://", "postgresql://", 1),
        ] {
            let store = writ_store::open(&url).await.unwrap();
            store
                .client_upsert(&client("web", "{}", NOW))
                .await
                .unwrap();
            assert!(store.client_get("web").await.unwrap().is_some());
        }
        db.drop_now().await;
    }
}
