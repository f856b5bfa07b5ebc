//! Writ's core: the authorization logic, free of web framework and database driver.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod ports;
