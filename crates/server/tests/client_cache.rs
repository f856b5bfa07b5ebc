//! The client registry's cache (crates/core/src/clients.rs): a registration changed behind the
//! registry's back (`writ client` in another process, another node) takes effect within
//! `CLIENT_CACHE_TTL`; one changed through the registry takes effect at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;
use writ_core::clients::{CLIENT_CACHE_TTL, ClientRegistry};
use writ_core::ports::{Store, StoredClient, SystemClock};
use writ_protocol::client::ClientConfig;

fn config(redirect: &str) -> ClientConfig {
    serde_json::from_value(serde_json::json!({
        "client_id": "web",
        "redirect_uris": [redirect],
        "token_endpoint_auth_method": "none",
    }))
    .unwrap()
}

/// Write the registration straight to the store, as another process would.
async fn write_behind(store: &Arc<dyn Store>, redirect: &str) {
    store
        .client_upsert(&StoredClient {
            client_id: "web".into(),
            metadata: serde_json::to_string(&config(redirect)).unwrap(),
            updated_at: 1,
        })
        .await
        .unwrap();
}

async fn redirect_of(registry: &ClientRegistry) -> Option<String> {
    registry
        .get("web")
        .await
        .unwrap()
        .map(|c| c.config.redirect_uris[0].clone())
}

#[tokio::test]
async fn a_change_by_another_process_takes_effect_within_the_cache_ttl() {
    assert_eq!(CLIENT_CACHE_TTL, Duration::from_secs(1));
    let store = writ_store::open("sqlite::memory:").await.unwrap();
    let registry = ClientRegistry::new(store.clone(), Arc::new(SystemClock));
    registry
        .put(config("https://a.example/cb"), 1)
        .await
        .unwrap();
    assert_eq!(
        redirect_of(&registry).await.as_deref(),
        Some("https://a.example/cb")
    );

    // Changed behind the registry's back: still the cached registration for a moment...
    write_behind(&store, "https://b.example/cb").await;
    assert_eq!(
        redirect_of(&registry).await.as_deref(),
        Some("https://a.example/cb")
    );
    // ...and the new one once the TTL has passed.
    tokio::time::sleep(CLIENT_CACHE_TTL + Duration::from_millis(100)).await;
    assert_eq!(
        redirect_of(&registry).await.as_deref(),
        Some("https://b.example/cb")
    );

    // Removal alike.
    assert!(store.client_remove("web").await.unwrap());
    tokio::time::sleep(CLIENT_CACHE_TTL + Duration::from_millis(100)).await;
    assert_eq!(redirect_of(&registry).await, None);
}

#[tokio::test]
async fn a_change_through_the_registry_takes_effect_at_once() {
    let store = writ_store::open("sqlite::memory:").await.unwrap();
    let registry = ClientRegistry::new(store.clone(), Arc::new(SystemClock));
    registry
        .put(config("https://a.example/cb"), 1)
        .await
        .unwrap();
    assert_eq!(
        redirect_of(&registry).await.as_deref(),
        Some("https://a.example/cb")
    );
    registry
        .put(config("https://b.example/cb"), 2)
        .await
        .unwrap();
    assert_eq!(
        redirect_of(&registry).await.as_deref(),
        Some("https://b.example/cb")
    );
}

#[tokio::test]
async fn without_a_ttl_every_use_reads_the_store() {
    let store = writ_store::open("sqlite::memory:").await.unwrap();
    let registry = ClientRegistry::with_ttl(store.clone(), Arc::new(SystemClock), Duration::ZERO);
    registry
        .put(config("https://a.example/cb"), 1)
        .await
        .unwrap();
    assert_eq!(
        redirect_of(&registry).await.as_deref(),
        Some("https://a.example/cb")
    );
    write_behind(&store, "https://b.example/cb").await;
    assert_eq!(
        redirect_of(&registry).await.as_deref(),
        Some("https://b.example/cb")
    );
}
