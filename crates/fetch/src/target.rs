//! Where a fetch may go: the checks on a URL made before any I/O, and again on every redirect
//! hop (RFC 9101 §10.4.1 (a), SPEC §4 stage 2 and §5).
//!
//! IP-literal hosts are judged here against the deny table because the HTTP client connects to
//! them directly, without asking the resolver; host names are judged by
//! [`crate::resolve`] after resolution.

use url::{Host, Url};

use crate::address::is_forbidden_address;
use crate::error::FetchError;
use crate::policy::{FetchPolicy, MAX_URL_LEN};

/// Check a URL before fetching it, without any I/O: at most [`MAX_URL_LEN`] bytes (RFC 9101
/// §5.2), an absolute URL, `https` (or `http` if `allow_http`), no user name or password, and
/// an IP-literal host (`127.0.0.1`, `[::1]`, `[::ffff:10.0.0.1]`, `2130706433`...) not in the deny
/// table unless `allow_private_addresses`.
///
/// Returns the parsed URL, fragment included. Callers may use it to vet a `request_uri` or
/// `jwks_uri` at registration time; [`crate::Fetcher`] runs it on every fetch.
pub fn check_url(input: &str, policy: &FetchPolicy) -> Result<Url, FetchError> {
    if input.len() > MAX_URL_LEN {
        return Err(FetchError::UrlTooLong { max: MAX_URL_LEN });
    }
    let url = Url::parse(input).map_err(|_| FetchError::InvalidUrl)?;
    check_parsed(&url, policy)?;
    Ok(url)
}

/// The checks of [`check_url`] on an already parsed URL (a redirect target).
fn check_parsed(url: &Url, policy: &FetchPolicy) -> Result<(), FetchError> {
    // The serialization may be longer than the input (percent-encoding, resolved paths).
    if url.as_str().len() > MAX_URL_LEN {
        return Err(FetchError::UrlTooLong { max: MAX_URL_LEN });
    }
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        _ => return Err(FetchError::SchemeNotAllowed),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::CredentialsInUrl);
    }
    let ip = match url.host() {
        None => return Err(FetchError::InvalidUrl),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(ip)) => ip.into(),
        Some(Host::Ipv6(ip)) => ip.into(),
    };
    if !policy.allow_private_addresses && is_forbidden_address(ip) {
        return Err(FetchError::ForbiddenAddress);
    }
    Ok(())
}

/// The URL as sent on the wire: the fragment is never sent (RFC 3986 §3.5; it may carry the
/// content hash, SPEC §5).
pub(crate) fn request_url(url: &Url) -> Url {
    let mut sent = url.clone();
    sent.set_fragment(None);
    sent
}

/// Where a redirect from `current` to `location` leads, checked exactly like the first URL
/// (`follow_redirects`, SPEC §2). The address of a host name is checked by the resolver when
/// the hop connects.
pub(crate) fn next_hop(
    current: &Url,
    location: &str,
    policy: &FetchPolicy,
) -> Result<Url, FetchError> {
    if location.len() > MAX_URL_LEN {
        return Err(FetchError::UrlTooLong { max: MAX_URL_LEN });
    }
    let next = current.join(location).map_err(|_| FetchError::Redirect)?;
    check_parsed(&next, policy)?;
    Ok(request_url(&next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> FetchPolicy {
        FetchPolicy::default()
    }

    fn http_allowed() -> FetchPolicy {
        FetchPolicy {
            allow_http: true,
            ..FetchPolicy::default()
        }
    }

    #[test]
    fn url_longer_than_512_is_refused() {
        let base = "https://client.example/ro/";
        let at_limit = format!("{base}{}", "a".repeat(512 - base.len()));
        assert!(check_url(&at_limit, &strict()).is_ok());
        let over = format!("{at_limit}a");
        assert_eq!(
            check_url(&over, &strict()),
            Err(FetchError::UrlTooLong { max: 512 })
        );
    }

    #[test]
    fn url_whose_serialization_exceeds_512_is_refused() {
        // 100 inner spaces become 300 bytes of %20.
        let input = format!("https://client.example/{}", "x y".repeat(100));
        assert!(input.len() <= 512);
        assert_eq!(
            check_url(&input, &strict()),
            Err(FetchError::UrlTooLong { max: 512 })
        );
    }

    #[test]
    fn relative_or_garbage_url_is_invalid() {
        for input in [
            "/ro.jwt",
            "client.example/ro",
            "https://",
            "https://exa mple/",
            "",
        ] {
            assert_eq!(
                check_url(input, &strict()),
                Err(FetchError::InvalidUrl),
                "{input}"
            );
        }
    }

    #[test]
    fn http_is_refused_by_default() {
        assert_eq!(
            check_url("http://client.example/ro", &strict()),
            Err(FetchError::SchemeNotAllowed)
        );
        assert!(check_url("http://client.example/ro", &http_allowed()).is_ok());
    }

    #[test]
    fn other_schemes_are_refused() {
        for input in [
            "ftp://client.example/ro",
            "file:///etc/passwd",
            "data:application/jwt,e30",
            "gopher://client.example/",
            "urn:ietf:params:oauth:request_uri:abc",
        ] {
            assert_eq!(
                check_url(input, &http_allowed()),
                Err(FetchError::SchemeNotAllowed),
                "{input}"
            );
        }
    }

    #[test]
    fn userinfo_is_refused() {
        for input in [
            "https://user@client.example/ro",
            "https://user:pw@client.example/ro",
            "https://:pw@client.example/ro",
        ] {
            assert_eq!(
                check_url(input, &strict()),
                Err(FetchError::CredentialsInUrl),
                "{input}"
            );
        }
    }

    #[test]
    fn ip_literal_hosts_are_checked_before_connecting() {
        for input in [
            "https://127.0.0.1/ro",
            "https://127.1/ro",
            "https://2130706433/ro",
            "https://0x7f000001/ro",
            "https://0/ro",
            "https://[::1]/ro",
            "https://[::ffff:127.0.0.1]/ro",
            "https://[::ffff:a9fe:a9fe]/ro",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/ro",
            "https://172.16.5.4/ro",
            "https://192.168.0.1/ro",
            "https://100.64.0.1/ro",
            "https://[fd00::1]/ro",
            "https://[fe80::1]/ro",
            "https://[64:ff9b::a9fe:a9fe]/ro",
            "https://[2002:a9fe:a9fe::1]/ro",
            "https://224.0.0.1/ro",
            "https://255.255.255.255/ro",
        ] {
            assert_eq!(
                check_url(input, &strict()),
                Err(FetchError::ForbiddenAddress),
                "{input}"
            );
        }
    }

    #[test]
    fn public_ip_literals_and_names_pass_the_precheck() {
        for input in [
            "https://93.184.216.34/ro",
            "https://[2606:4700::1111]/ro",
            "https://client.example/ro",
            "https://localhost/ro", // judged by the resolver, after resolution
        ] {
            assert!(check_url(input, &strict()).is_ok(), "{input}");
        }
    }

    #[test]
    fn allow_private_addresses_lets_literals_through() {
        let p = FetchPolicy {
            allow_http: true,
            allow_private_addresses: true,
            ..FetchPolicy::default()
        };
        assert!(check_url("http://127.0.0.1:8080/ro", &p).is_ok());
        assert!(check_url("http://[::1]:8080/ro", &p).is_ok());
    }

    #[test]
    fn fragment_is_not_sent() {
        let url = check_url("https://client.example/ro?x=1#abc", &strict()).unwrap();
        assert_eq!(url.fragment(), Some("abc"));
        let sent = request_url(&url);
        assert_eq!(sent.as_str(), "https://client.example/ro?x=1");
    }

    #[test]
    fn redirect_hops_are_checked_again() {
        let here = Url::parse("https://client.example/a/b").unwrap();
        assert_eq!(
            next_hop(&here, "c#frag", &strict()).unwrap().as_str(),
            "https://client.example/a/c"
        );
        assert_eq!(
            next_hop(&here, "http://client.example/", &strict()),
            Err(FetchError::SchemeNotAllowed)
        );
        assert_eq!(
            next_hop(&here, "https://169.254.169.254/", &strict()),
            Err(FetchError::ForbiddenAddress)
        );
        assert_eq!(
            next_hop(&here, "https://[::1]/", &strict()),
            Err(FetchError::ForbiddenAddress)
        );
        assert_eq!(
            next_hop(&here, "https://u:p@client.example/", &strict()),
            Err(FetchError::CredentialsInUrl)
        );
        assert_eq!(
            next_hop(&here, "file:///etc/passwd", &strict()),
            Err(FetchError::SchemeNotAllowed)
        );
        let long = format!("/{}", "a".repeat(600));
        assert_eq!(
            next_hop(&here, &long, &strict()),
            Err(FetchError::UrlTooLong { max: 512 })
        );
    }
}
