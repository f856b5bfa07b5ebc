//! SSRF-safe outbound HTTP for Writ: client-hosted request objects (`request_uri`, RFC 9101
//! §5.2, SPEC §5) and client JWK sets (`jwks_uri`, SPEC §2), with a bounded, coalescing cache.
//!
//! RFC 9101 §10.4 warns that fetching a URL chosen by the client turns the authorization server
//! into a tool for reaching places the client cannot (SSRF) and for amplifying traffic. The
//! [`Fetcher`] therefore enforces every limit of SPEC §2 `[jar.request_uri]`, described on
//! [`FetchPolicy`]; the defaults are the strict ones:
//!
//! - the URL is checked before any I/O ([`check_url`]): https only, no credentials, at most 512
//!   characters, IP-literal hosts against the deny table ([`is_forbidden_address`]);
//! - host names are resolved by a resolver that drops forbidden addresses on every new
//!   connection, which also defeats DNS rebinding ([`resolve`]);
//! - no proxy, no redirects, one deadline over the whole fetch, the body capped while it is
//!   read, status and media type checked, retries only for connect errors, 5xx and 429;
//! - the fragment is never sent; when it is a base64url SHA-256 (43 characters) the body must
//!   match it;
//! - a global cap on fetches in flight ([`FetchError::Busy`] beyond it);
//! - successful bodies cached by purpose and full URI, concurrent loads coalesced.
//!
//! Each failure has a one-line [`FetchError::public_description`] that says which limit
//! tripped, for the `invalid_request_uri` error of SPEC §5.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]

mod address;
mod cache;
mod client;
mod error;
mod exchange;
mod integrity;
mod policy;
mod purpose;
pub mod resolve;
mod target;

pub use address::is_forbidden_address;
pub use client::{Fetched, Fetcher};
pub use error::FetchError;
pub use exchange::AllowHop;
pub use policy::{FetchPolicy, MAX_REDIRECTS, MAX_RETRIES, MAX_RETRY_BACKOFF, MAX_URL_LEN};
pub use purpose::{JWK_SET_CONTENT_TYPES, Purpose, REQUEST_OBJECT_CONTENT_TYPES};
pub use resolve::{Resolve, SystemResolver};
pub use target::check_url;
