//! The deny table: which IP addresses an outbound fetch may never reach.
//!
//! SPEC §2 `[jar.request_uri] allow_private_addresses` (false by default) blocks loopback,
//! private, link-local, multicast and unspecified addresses; RFC 9101 §10.4.1 asks the server
//! not to fetch from "an unexpected location". We go further and refuse every range that is not
//! globally routable unicast (IANA special-purpose registries, RFC 6890 and its updates), so a
//! `request_uri` or `jwks_uri` cannot be used to probe the server's own network (SSRF).
//!
//! `Ipv4Addr::is_global` is still unstable, so the table is written out here and checked with
//! property tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 ranges that are never fetched from, as `(network, prefix length)`.
///
/// 255.255.255.255 (limited broadcast) lies in 240.0.0.0/4.
const DENIED_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8), // "this network", includes the unspecified address
    (Ipv4Addr::new(10, 0, 0, 0), 8), // private (RFC 1918)
    (Ipv4Addr::new(100, 64, 0, 0), 10), // carrier-grade NAT (RFC 6598)
    (Ipv4Addr::new(127, 0, 0, 0), 8), // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16), // link-local, cloud metadata services
    (Ipv4Addr::new(172, 16, 0, 0), 12), // private (RFC 1918)
    (Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments (RFC 6890)
    (Ipv4Addr::new(192, 0, 2, 0), 24), // documentation TEST-NET-1 (RFC 5737)
    (Ipv4Addr::new(192, 88, 99, 0), 24), // deprecated 6to4 relay anycast (RFC 7526)
    (Ipv4Addr::new(192, 168, 0, 0), 16), // private (RFC 1918)
    (Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking (RFC 2544)
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation TEST-NET-2
    (Ipv4Addr::new(203, 0, 113, 0), 24), // documentation TEST-NET-3
    (Ipv4Addr::new(224, 0, 0, 0), 4), // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4), // reserved, includes broadcast
];

/// IPv6 ranges inside the global unicast block 2000::/3 that are still never fetched from.
/// Everything outside 2000::/3 is refused as a whole (see [`is_forbidden_v6`]).
const DENIED_V6_IN_GLOBAL: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments, incl. Teredo
    (Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, 0, 0), 32), // documentation (RFC 3849)
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation (RFC 9637)
];

/// The global unicast block, 2000::/3.
const GLOBAL_UNICAST_V6: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);
/// The well-known NAT64 prefix, 64:ff9b::/96 (RFC 6052): the last 32 bits are an IPv4 address.
const NAT64_WELL_KNOWN: (Ipv6Addr, u8) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);
/// 6to4, 2002::/16 (RFC 3056): bits 16..48 are an IPv4 address.
const SIX_TO_FOUR: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);

/// Whether `ip` is in the deny table, i.e. must not be connected to unless the operator set
/// `allow_private_addresses` (SPEC §2 `[jar.request_uri]`, RFC 9101 §10.4.1).
///
/// IPv4: this network 0/8, private 10/8, 172.16/12, 192.168/16, CGNAT 100.64/10, loopback
/// 127/8, link-local 169.254/16, 192.0.0/24, documentation (192.0.2/24, 198.51.100/24,
/// 203.0.113/24), 192.88.99/24, benchmarking 198.18/15, multicast 224/4, reserved 240/4 and
/// broadcast.
///
/// IPv6: IPv4-mapped `::ffff:a.b.c.d`, the NAT64 prefix `64:ff9b::/96` and 6to4 `2002::/16`
/// are judged by the IPv4 address they carry. Every other address outside the global unicast
/// block 2000::/3 is refused: that covers unspecified `::`, loopback `::1`, the deprecated
/// IPv4-compatible `::a.b.c.d` (refused whatever it embeds), ULA fc00::/7, link-local
/// fe80::/10, site-local fec0::/10, multicast ff00::/8, discard 100::/64 and local-use NAT64
/// 64:ff9b:1::/48. Inside 2000::/3, 2001::/23 (incl. Teredo), 2001:db8::/32 and 3fff::/20
/// are refused.
pub fn is_forbidden_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => is_forbidden_v6(v6),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    DENIED_V4
        .iter()
        .any(|&(net, len)| in_v4_prefix(ip, net, len))
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_forbidden_v4(v4);
    }
    let bits = u128::from(ip);
    if in_v6_prefix(ip, NAT64_WELL_KNOWN) {
        // The low 32 bits are the IPv4 address; truncation is the point.
        return is_forbidden_v4(Ipv4Addr::from((bits & 0xffff_ffff) as u32));
    }
    if !in_v6_prefix(ip, GLOBAL_UNICAST_V6) {
        return true;
    }
    if in_v6_prefix(ip, SIX_TO_FOUR) {
        return is_forbidden_v4(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    DENIED_V6_IN_GLOBAL
        .iter()
        .any(|&range| in_v6_prefix(ip, range))
}

fn in_v4_prefix(ip: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6_prefix(ip: Ipv6Addr, (net, len): (Ipv6Addr, u8)) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An address inside `net/len`, with the host bits taken from `host`.
    fn v4_in(net: [u8; 4], len: u32, host: u32) -> Ipv4Addr {
        let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
        Ipv4Addr::from((u32::from(Ipv4Addr::from(net)) & mask) | (host & !mask))
    }

    fn v6_in(net: Ipv6Addr, len: u32, host: u128) -> Ipv6Addr {
        let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
        Ipv6Addr::from((u128::from(net) & mask) | (host & !mask))
    }

    /// The IPv4 ranges of the brief, written independently of `DENIED_V4`.
    const V4_RANGES: &[([u8; 4], u32)] = &[
        ([0, 0, 0, 0], 8),
        ([10, 0, 0, 0], 8),
        ([100, 64, 0, 0], 10),
        ([127, 0, 0, 0], 8),
        ([169, 254, 0, 0], 16),
        ([172, 16, 0, 0], 12),
        ([192, 0, 0, 0], 24),
        ([192, 0, 2, 0], 24),
        ([192, 88, 99, 0], 24),
        ([192, 168, 0, 0], 16),
        ([198, 18, 0, 0], 15),
        ([198, 51, 100, 0], 24),
        ([203, 0, 113, 0], 24),
        ([224, 0, 0, 0], 4),
        ([240, 0, 0, 0], 4),
    ];

    fn in_any_v4_range(ip: Ipv4Addr) -> bool {
        V4_RANGES
            .iter()
            .any(|&(net, len)| v4_in(net, len, u32::from(ip)) == ip)
    }

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn deny_table_refuses_named_addresses() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.169.254",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::8.8.8.8",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:0101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "2001:db8::1",
            "2001::1",
            "3fff::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_forbidden_address(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn deny_table_accepts_public_addresses() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "9.9.9.9",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.255.255",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_forbidden_address(ip), "{ip} must be allowed");
        }
    }

    proptest! {
        #[test]
        fn deny_table_matches_the_v4_ranges(raw in any::<u32>()) {
            let ip = Ipv4Addr::from(raw);
            prop_assert_eq!(is_forbidden_address(IpAddr::V4(ip)), in_any_v4_range(ip));
        }

        #[test]
        fn deny_table_refuses_every_address_of_each_v4_range(
            index in 0..V4_RANGES.len(),
            host in any::<u32>(),
        ) {
            let (net, len) = V4_RANGES[index];
            let ip = v4_in(net, len, host);
            prop_assert!(is_forbidden_address(IpAddr::V4(ip)), "{} must be refused", ip);
        }

        #[test]
        fn deny_table_accepts_sampled_public_v4(raw in any::<u32>()) {
            let ip = Ipv4Addr::from(raw);
            prop_assume!(!in_any_v4_range(ip));
            prop_assert!(!is_forbidden_address(IpAddr::V4(ip)));
        }

        #[test]
        fn deny_table_judges_v4_mapped_v6_by_the_embedded_v4(raw in any::<u32>()) {
            let v4 = Ipv4Addr::from(raw);
            prop_assert_eq!(
                is_forbidden_address(IpAddr::V6(v4.to_ipv6_mapped())),
                is_forbidden_address(IpAddr::V4(v4))
            );
        }

        #[test]
        fn deny_table_judges_nat64_by_the_embedded_v4(raw in any::<u32>()) {
            let v4 = Ipv4Addr::from(raw);
            let ip = Ipv6Addr::from((0x64_ff9b_u128 << 96) | u128::from(raw));
            prop_assert_eq!(
                is_forbidden_address(IpAddr::V6(ip)),
                is_forbidden_address(IpAddr::V4(v4))
            );
        }

        #[test]
        fn deny_table_judges_6to4_by_the_embedded_v4(raw in any::<u32>(), low in any::<u64>()) {
            let v4 = Ipv4Addr::from(raw);
            let ip = Ipv6Addr::from(
                (0x2002_u128 << 112) | (u128::from(raw) << 80) | u128::from(low),
            );
            prop_assert_eq!(
                is_forbidden_address(IpAddr::V6(ip)),
                is_forbidden_address(IpAddr::V4(v4))
            );
        }

        #[test]
        fn deny_table_refuses_every_v4_compatible_v6(raw in any::<u32>()) {
            let ip = Ipv6Addr::from(u128::from(raw));
            prop_assert!(is_forbidden_address(IpAddr::V6(ip)));
        }

        #[test]
        fn deny_table_refuses_every_address_of_each_v6_range(
            index in 0..9_usize,
            host in any::<u128>(),
        ) {
            let (net, len) = [
                (v6("::1"), 128),
                (v6("::"), 128),
                (v6("fc00::"), 7),
                (v6("fe80::"), 10),
                (v6("fec0::"), 10),
                (v6("ff00::"), 8),
                (v6("100::"), 64),
                (v6("2001:db8::"), 32),
                (v6("2001::"), 23),
            ][index];
            let ip = v6_in(net, len, host);
            prop_assert!(is_forbidden_address(IpAddr::V6(ip)), "{} must be refused", ip);
        }

        #[test]
        fn deny_table_refuses_v6_outside_global_unicast(raw in any::<u128>()) {
            let ip = Ipv6Addr::from(raw);
            prop_assume!(raw >> 125 != 0b001);
            prop_assume!(ip.to_ipv4_mapped().is_none());
            prop_assume!(raw >> 32 != 0x64_ff9b_u128 << 64);
            prop_assert!(is_forbidden_address(IpAddr::V6(ip)));
        }

        #[test]
        fn deny_table_accepts_sampled_public_v6(low in any::<u128>()) {
            // 2400::/6 .. 2c00::/6 hold the regional registries' allocations.
            let ip = v6_in(v6("2400::"), 6, low);
            prop_assert!(!is_forbidden_address(IpAddr::V6(ip)), "{} must be allowed", ip);
        }
    }
}
