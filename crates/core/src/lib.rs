//! Writ's core: the authorization logic, free of web framework and database driver.
//!
//! `ports` declares what the core needs from outside (clock, randomness, storage);
//! [`provider::Provider`] holds it all; [`flows`] are what it does, one file per flow;
//! [`authorize`] is the request pipeline of SPEC §4, one module per stage; [`response`] is
//! where an authorization response or error goes.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod authorize;
pub mod client_auth;
pub mod client_keys;
pub mod clients;
pub mod compact;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod flows;
pub mod interaction_handle;
pub mod key_encryption;
pub mod keys;
pub mod payload;
pub mod ports;
pub mod provider;
pub mod replay;
pub mod response;
pub mod secret;
pub mod settings;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod users;

pub use error::OAuthError;
pub use provider::Provider;
