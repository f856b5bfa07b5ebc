//! Name resolution that refuses non-public addresses (SPEC §2 `allow_private_addresses`,
//! RFC 9101 §10.4.1).
//!
//! The HTTP client asks the guarded resolver for the addresses of a host name every time it opens
//! a new connection, and then connects to exactly the addresses it got back, without a second
//! lookup. Because the deny table is applied to that answer, there is no gap between the
//! check and the use: a name that answers with a public address once and with 127.0.0.1 the next
//! time (DNS rebinding) is refused on the connection that would have gone to 127.0.0.1.
//! Pooled keep-alive connections are reused only for the same scheme, host and port, and each was
//! checked when it was opened, so pooling does not need to be disabled.
//!
//! IP-literal hosts never reach a resolver; [`crate::check_url`] judges them before any I/O.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use crate::address::is_forbidden_address;

/// The future returned by [`Resolve::resolve`].
pub type Resolving = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// A source of addresses for host names. [`SystemResolver`] is the production one; tests
/// inject fixed answers through [`crate::Fetcher::with_resolver`].
pub trait Resolve: Send + Sync {
    /// All addresses of `host` (a domain name, never an IP literal).
    fn resolve(&self, host: &str) -> Resolving;
}

/// The operating system's resolver (`getaddrinfo` via `tokio::net::lookup_host`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str) -> Resolving {
        let host = host.to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// Why the guarded resolver gave no address. The HTTP client wraps it in its own error; the
/// fetcher finds it again in the error's source chain.
#[derive(Debug)]
pub(crate) enum ResolveFailure {
    /// Every address was in the deny table.
    Forbidden,
    /// The lookup failed or found nothing.
    Lookup(io::Error),
}

impl fmt::Display for ResolveFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveFailure::Forbidden => f.write_str("every resolved address is forbidden"),
            ResolveFailure::Lookup(e) => write!(f, "lookup failed: {e}"),
        }
    }
}

impl std::error::Error for ResolveFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ResolveFailure::Forbidden => None,
            ResolveFailure::Lookup(e) => Some(e),
        }
    }
}

/// Box a failure as the concrete type, so it can be downcast again from the source chain.
fn boxed(failure: ResolveFailure) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(failure)
}

/// Keep the addresses the policy allows, in the order given.
pub(crate) fn permitted(addrs: Vec<IpAddr>, allow_private: bool) -> Vec<IpAddr> {
    if allow_private {
        return addrs;
    }
    addrs
        .into_iter()
        .filter(|ip| !is_forbidden_address(*ip))
        .collect()
}

/// The resolver given to reqwest: asks the inner [`Resolve`], drops forbidden addresses, and
/// fails if nothing is left.
pub(crate) struct GuardedResolver {
    inner: Arc<dyn Resolve>,
    allow_private: bool,
}

impl GuardedResolver {
    pub(crate) fn new(inner: Arc<dyn Resolve>, allow_private: bool) -> Self {
        GuardedResolver {
            inner,
            allow_private,
        }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let lookup = self.inner.resolve(&host);
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = lookup.await.map_err(|e| boxed(ResolveFailure::Lookup(e)))?;
            if found.is_empty() {
                let none = io::Error::new(io::ErrorKind::NotFound, "no address");
                return Err(boxed(ResolveFailure::Lookup(none)));
            }
            let kept = permitted(found, allow_private);
            if kept.is_empty() {
                tracing::debug!(host, "every resolved address is in the deny table");
                return Err(boxed(ResolveFailure::Forbidden));
            }
            // Port 0 is replaced by the URL's port.
            let addrs: reqwest::dns::Addrs =
                Box::new(kept.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use std::sync::Mutex;

    /// Answers each lookup with the next list, like a rebinding DNS server.
    struct Script(Mutex<Vec<Vec<IpAddr>>>);

    impl Resolve for Script {
        fn resolve(&self, _host: &str) -> Resolving {
            let next = self.0.lock().unwrap().remove(0);
            Box::pin(async move { Ok(next) })
        }
    }

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    async fn ask(r: &GuardedResolver) -> Result<Vec<IpAddr>, String> {
        let name = reqwest::dns::Name::from_str("client.example").unwrap();
        match reqwest::dns::Resolve::resolve(r, name).await {
            Ok(addrs) => Ok(addrs.map(|a| a.ip()).collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn resolver_drops_forbidden_addresses() {
        let mixed = ips(&["10.0.0.1", "93.184.216.34", "::1", "2606:4700::1111"]);
        assert_eq!(
            permitted(mixed.clone(), false),
            ips(&["93.184.216.34", "2606:4700::1111"])
        );
        assert_eq!(permitted(mixed.clone(), true), mixed);
    }

    #[tokio::test]
    async fn resolver_refuses_when_only_forbidden_addresses_remain() {
        let r = GuardedResolver::new(
            Arc::new(Script(Mutex::new(vec![ips(&["127.0.0.1", "::1"])]))),
            false,
        );
        let err = ask(&r).await.unwrap_err();
        assert!(err.contains("forbidden"), "{err}");
    }

    #[tokio::test]
    async fn resolver_checks_every_lookup_so_rebinding_is_refused() {
        let r = GuardedResolver::new(
            Arc::new(Script(Mutex::new(vec![
                ips(&["93.184.216.34"]),
                ips(&["169.254.169.254"]),
            ]))),
            false,
        );
        assert_eq!(ask(&r).await, Ok(ips(&["93.184.216.34"])));
        assert!(ask(&r).await.is_err());
    }

    #[tokio::test]
    async fn resolver_reports_an_empty_answer_as_a_lookup_failure() {
        let r = GuardedResolver::new(Arc::new(Script(Mutex::new(vec![vec![]]))), false);
        let err = ask(&r).await.unwrap_err();
        assert!(err.contains("lookup failed"), "{err}");
    }
}
