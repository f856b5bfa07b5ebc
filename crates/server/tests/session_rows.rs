//! Browser sessions in the store: `/authorize` binds the interaction to the cookie's hash and
//! writes no session row; the row is made at login, under a new cookie (rotation).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use writ_core::Provider;
use writ_core::ports::Store;
use writ_core::secret::hash_token;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QUERY: &[u8] = b"client_id=spa&response_type=code&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

async fn provider() -> (Arc<Provider>, Arc<dyn Store>, tempfile::TempDir) {
    assert!(std::str::from_utf8(QUERY).unwrap().contains(CHALLENGE));
    let dir = tempfile::tempdir().unwrap();
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let toml = format!(
        r#"
        issuer = "http://127.0.0.1:9999"
        [[clients]]
        client_id = "spa"
        redirect_uris = ["http://127.0.0.1:9/cb"]
        token_endpoint_auth_method = "none"
        [[users]]
        username = "alice"
        password_hash = "{hash}"
        "#
    );
    let file = dir.path().join("writ.toml");
    std::fs::write(&file, toml).unwrap();
    let config = writ_server::config::load(Some(&file), &Default::default()).unwrap();
    let store = writ_store::open("sqlite::memory:").await.unwrap();
    let p = writ_server::build_provider(&config, store.clone())
        .await
        .unwrap();
    (p, store, dir)
}

#[tokio::test]
async fn authorize_writes_no_session_row_and_login_writes_one_under_a_new_cookie() {
    let (p, store, _dir) = provider().await;
    let now = p.clock.now();
    let first = p.authorize(QUERY, None).await.unwrap();
    let cookie = first
        .set_session_cookie
        .expect("a new browser gets a cookie");
    assert_eq!(
        store.session_get(&hash_token(&cookie), now).await.unwrap(),
        None
    );
    // Bound to the browser all the same.
    let i = p
        .interaction(&first.interaction_id, Some(&cookie))
        .await
        .unwrap();
    assert!(p.interaction(&first.interaction_id, None).await.is_err());

    // A second sign-in started in the same browser keeps its cookie: both stay bound.
    let second = p.authorize(QUERY, Some(&cookie)).await.unwrap();
    assert_eq!(second.set_session_cookie, None);
    assert!(
        p.interaction(&second.interaction_id, Some(&cookie))
            .await
            .is_ok()
    );
    assert_eq!(
        store.session_get(&hash_token(&cookie), now).await.unwrap(),
        None
    );

    // Login: a row, under a new cookie, for the user.
    let done = p
        .login(
            &first.interaction_id,
            Some(&cookie),
            Some(&i.csrf),
            "alice",
            "wonderland",
        )
        .await
        .unwrap();
    assert_ne!(done.session_cookie, cookie);
    let row = store
        .session_get(&hash_token(&done.session_cookie), now)
        .await
        .unwrap()
        .expect("the session row is made at login");
    assert!(row.user_id.is_some());
    // The system clock: the login may land a second or two after `now` was read.
    let auth_time = row.auth_time.unwrap();
    assert!((now..now + 5).contains(&auth_time), "{auth_time} vs {now}");
    assert_eq!(
        store.session_get(&hash_token(&cookie), now).await.unwrap(),
        None
    );
    assert!(
        p.interaction(&first.interaction_id, Some(&done.session_cookie))
            .await
            .is_ok()
    );
    assert!(
        p.interaction(&first.interaction_id, Some(&cookie))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_cookie_this_server_could_not_have_made_is_replaced() {
    let (p, _store, _dir) = provider().await;
    for odd in [
        "short",
        "x".repeat(43).replace('x', "!").as_str(),
        &"a".repeat(44),
    ] {
        let next = p.authorize(QUERY, Some(odd)).await.unwrap();
        let fresh = next.set_session_cookie.expect("a new cookie");
        assert_ne!(fresh, odd);
        assert!(
            p.interaction(&next.interaction_id, Some(&fresh))
                .await
                .is_ok()
        );
    }
}
