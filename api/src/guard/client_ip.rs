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
}
