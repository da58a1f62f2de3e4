//! The one HTTP client for every server-side fetch (identity provider
//! discovery, JWKS, token and userinfo endpoints, SAML metadata).
//!
//! Unless the operator sets `allow_private_network_urls`:
//! - only `https://` URLs;
//! - the client resolves names itself and connects only to public
//!   addresses (no loopback, RFC 1918, link-local and cloud-metadata,
//!   CGNAT, unique-local, multicast, documentation or other reserved
//!   ranges, and no IPv4 hidden in IPv6): checked on the addresses it
//!   connects to, so a name that resolves differently the second time (DNS
//!   rebinding) gains nothing; an address literal in the URL is checked
//!   before anything is sent.
//!
//! Always: no redirects, no proxy from the environment, a time limit on the
//! whole exchange, a size limit on the body, no user name or password in
//! URLs, and errors that name what failed without repeating what the remote
//! side said.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A whole request, connect to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a fetch failed, in words that repeat nothing the remote side sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

fn err(s: impl Into<String>) -> FetchError {
    FetchError(s.into())
}

/// Said when a URL or the address behind it is private.
pub const PRIVATE_REFUSED: &str = "points to a private or reserved network address, which this server does not \
                                   contact (an operator can allow it with allow_private_network_urls)";

pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    pub fn new(allow_private: bool) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("Gatehouse/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.https_only(true).dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self { client: builder.build()?, allow_private })
    }

    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// Checks a URL this client would fetch: `https://` (or `http://` when
    /// private networks are allowed), no user info, and an address literal
    /// only when public. `what` names it in the message.
    pub fn check(&self, url: &str, what: &str) -> Result<reqwest::Url, FetchError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| err(format!("the {what} is not a URL")))?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.allow_private => {}
            _ => return Err(err(format!("the {what} must be an https:// URL"))),
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(err(format!("the {what} must not carry a user name or password")));
        }
        // The URL parser has already turned every IPv4 spelling
        // (`0x7f.1`, `2130706433`) into dotted decimal.
        let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| err(format!("the {what} has no host")))?;
        let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        if let Some(ip) = literal
            && !self.allow_private
            && !is_public(ip)
        {
            return Err(err(format!("the {what} {PRIVATE_REFUSED}")));
        }
        Ok(parsed)
    }

    /// A GET of `url` (checked first).
    pub fn get(&self, url: &str, what: &str) -> Result<reqwest::RequestBuilder, FetchError> {
        Ok(self.client.get(self.check(url, what)?))
    }

    /// A POST to `url` (checked first).
    pub fn post(&self, url: &str, what: &str) -> Result<reqwest::RequestBuilder, FetchError> {
        Ok(self.client.post(self.check(url, what)?))
    }

    /// Sends; a redirect is an error (we never follow one).
    pub async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Result<reqwest::Response, FetchError> {
        let res = request.send().await.map_err(|e| explain(&e, what))?;
        if res.status().is_redirection() {
            return Err(err(format!("the {what} redirects elsewhere; enter the final URL")));
        }
        Ok(res)
    }
}

/// Reads a response body of at most `max` bytes.
pub async fn read_limited(res: reqwest::Response, what: &str, max: usize) -> Result<Vec<u8>, FetchError> {
    if res.content_length().is_some_and(|n| n > max as u64) {
        return Err(err(format!("the {what} is larger than {max} bytes")));
    }
    let mut res = res;
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| explain(&e, what))? {
        if body.len() + chunk.len() > max {
            return Err(err(format!("the {what} is larger than {max} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What went wrong, without the remote side's words.
fn explain(e: &reqwest::Error, what: &str) -> FetchError {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if s.is::<PrivateAddress>() {
            return err(format!("the {what} {PRIVATE_REFUSED}"));
        }
        source = s.source();
    }
    if e.is_timeout() {
        err(format!("the {what} did not answer within {} seconds", TIMEOUT.as_secs()))
    } else if e.is_connect() {
        err(format!(
            "could not connect to the {what} (check the host name, and that it is reachable from the internet)"
        ))
    } else {
        err(format!("could not read the {what}"))
    }
}

#[derive(Debug)]
struct PrivateAddress;

impl std::fmt::Display for PrivateAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the name resolves only to private or reserved addresses")
    }
}

impl std::error::Error for PrivateAddress {}

/// Resolves with the system's resolver and keeps public addresses only.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(PrivateAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is a globally reachable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, d] = ip.octets();
    !(a == 0                                     // "this network"
        || a == 10                               // RFC 1918
        || a == 127                              // loopback
        || (a == 100 && (64..128).contains(&b))  // CGNAT (RFC 6598), incl. 100.100.100.200
        || (a == 169 && b == 254)                // link-local, incl. 169.254.169.254
        || (a == 168 && b == 63 && c == 129 && d == 16) // Azure's host endpoint (WireServer)
        || (a == 172 && (16..32).contains(&b))   // RFC 1918
        || (a == 192 && b == 0 && c == 0)        // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)        // TEST-NET-1
        || (a == 192 && b == 88 && c == 99)      // 6to4 relay
        || (a == 192 && b == 168)                // RFC 1918
        || (a == 198 && (b == 18 || b == 19))    // benchmarking
        || (a == 198 && b == 51 && c == 100)     // TEST-NET-2
        || (a == 203 && b == 0 && c == 113)      // TEST-NET-3
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        // NAT64 (64:ff9b::/96): the IPv4 address it stands for decides.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => is_public_v4(embedded(hi, lo)),
        // SIIT (::ffff:0:a.b.c.d): likewise.
        [0, 0, 0, 0, 0xffff, 0, hi, lo] => is_public_v4(embedded(hi, lo)),
        // 6to4 (2002::/16): likewise.
        [0x2002, hi, lo, ..] => is_public_v4(embedded(hi, lo)),
        _ => {
            !(ip.is_unspecified()
                || ip.is_loopback()
                || s[0..6] == [0, 0, 0, 0, 0, 0]     // IPv4-compatible (deprecated)
                || (s[0] == 0x64 && s[1] == 0xff9b)  // local-use NAT64 (64:ff9b:1::/48)
                || (s[0] == 0x100 && s[1..4] == [0, 0, 0]) // discard-only
                || (s[0] == 0x2001 && s[1] < 0x200)  // Teredo, benchmarking, ORCHID and other IETF
                || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation
                || (s[0] & 0xfe00) == 0xfc00         // unique local, incl. fd00:ec2::254
                || (s[0] & 0xffc0) == 0xfe80         // link-local
                || (s[0] & 0xffc0) == 0xfec0         // site-local (deprecated)
                || (s[0] & 0xff00) == 0xff00) // multicast
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "168.63.129.16",
            "100.64.0.1",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:0:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
        ] {
            let ip: IpAddr = private.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            assert!(!is_public(ip), "{private} is not public");
        }
        for public in
            ["1.1.1.1", "8.8.8.8", "168.63.129.17", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "64:ff9b::808:808"]
        {
            let ip: IpAddr = public.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            assert!(is_public(ip), "{public} is public");
        }
    }

    #[test]
    fn urls_are_checked_before_anything_is_sent() {
        let strict = Outbound::new(false).ok();
        let strict = strict.as_ref().map(|o| |u: &str| o.check(u, "issuer").map(|_| ()).map_err(|e| e.0));
        let Some(check) = strict else { return };
        assert!(check("https://login.example.com/x").is_ok());
        for refused in [
            "http://login.example.com",
            "http://127.0.0.1:8080",
            "https://127.0.0.1",
            "https://[::1]/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::ffff:7f00:1]/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://user:pw@login.example.com",
            "file:///etc/passwd",
            "gopher://x",
        ] {
            assert!(check(refused).is_err(), "{refused} passed");
        }
        let open = Outbound::new(true).ok();
        assert!(open.is_some_and(|o| o.check("http://127.0.0.1:9/x", "issuer").is_ok()));
    }

    #[tokio::test]
    async fn names_that_resolve_to_loopback_are_not_contacted() {
        let canary = std::net::TcpListener::bind("127.0.0.1:0").ok();
        let Some(port) = canary.as_ref().and_then(|c| c.local_addr().ok()).map(|a| a.port()) else { return };
        let Ok(strict) = Outbound::new(false) else { return };
        let Ok(req) = strict.get(&format!("https://localhost:{port}/x"), "issuer") else { return };
        let e = strict.send(req, "issuer").await.err().map(|e| e.0).unwrap_or_default();
        assert!(e.contains("private or reserved"), "{e}");
        if let Some(c) = canary {
            c.set_nonblocking(true).ok();
            assert!(c.accept().is_err(), "the canary was contacted");
        }
    }
}
