//! The client's address: the TCP peer, or — only when the operator names
//! the header their reverse proxy sets (`client_ip_header`) — the last
//! address in that header (the one the proxy itself appended; anything
//! before it came from the client and can be forged).

use std::net::IpAddr;

use actix_web::HttpRequest;

pub fn client_ip(req: &HttpRequest, header: Option<&str>) -> Option<IpAddr> {
    if let Some(name) = header.filter(|h| !h.is_empty())
        && let Some(ip) = req
            .headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|last| last.trim().parse::<IpAddr>().ok())
    {
        return Some(ip);
    }
    req.peer_addr().map(|a| a.ip())
}

/// The key a per-address limit counts under: the IPv4 address, or the
/// IPv6 /64 (one host usually holds a whole /64, and could otherwise rotate
/// through it for a fresh limit on every request).
pub fn rate_key(ip: Option<&str>) -> String {
    match ip.and_then(|s| s.parse::<IpAddr>().ok()) {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_counts_only_when_configured_and_only_its_last_address() {
        let req = actix_web::test::TestRequest::default()
            .peer_addr("10.0.0.9:4000".parse().unwrap_or_else(|_| std::net::SocketAddr::from(([0, 0, 0, 0], 0))))
            .insert_header(("x-forwarded-for", "1.2.3.4, 203.0.113.7"))
            .to_http_request();
        assert_eq!(client_ip(&req, None), "10.0.0.9".parse().ok());
        assert_eq!(client_ip(&req, Some("x-forwarded-for")), "203.0.113.7".parse().ok());
        assert_eq!(client_ip(&req, Some("x-real-ip")), "10.0.0.9".parse().ok());
    }

    #[test]
    fn ipv6_addresses_are_limited_by_their_64() {
        assert_eq!(rate_key(Some("2001:db8:1:2:aaaa::1")), rate_key(Some("2001:db8:1:2:bbbb::9")));
        assert_ne!(rate_key(Some("2001:db8:1:2::1")), rate_key(Some("2001:db8:1:3::1")));
        assert_eq!(rate_key(Some("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(rate_key(Some("192.0.2.1")), "192.0.2.1");
        assert_eq!(rate_key(None), "unknown");
    }
}
