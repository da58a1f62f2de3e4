//! Proving a domain: the organization publishes a TXT record at
//! `_gatehouse-challenge.{domain}` whose value is
//! `gatehouse-domain-verification={token}` (directly, or through a CNAME at
//! that name that a DNS team delegates). Lookups go to the configured
//! nameservers (`dns_servers`, else the system's), time out, and are not
//! cached longer than the record's TTL (nor over 5 minutes).

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;

/// What a lookup of the verification record found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A TXT record with the expected value.
    Record,
    /// No record with the expected value: what was there instead, in words.
    Missing(String),
}

/// The resolver domain verification uses.
#[derive(Clone)]
pub struct Dns {
    resolver: TokioResolver,
}

/// At most this many characters of what was found go into a reason.
const SHOWN: usize = 200;

impl Dns {
    /// `servers`: comma-separated `ip:port` (`dns_servers`); `None`: the system's.
    pub fn new(servers: Option<&str>) -> anyhow::Result<Self> {
        let mut options = ResolverOpts::default();
        options.timeout = Duration::from_secs(3);
        options.attempts = 2;
        options.positive_max_ttl = Some(Duration::from_secs(300));
        options.negative_max_ttl = Some(Duration::from_secs(60));
        let builder = match servers.map(str::trim).filter(|s| !s.is_empty()) {
            Some(list) => {
                let mut name_servers = Vec::new();
                for entry in list.split(',') {
                    let addr: SocketAddr = entry
                        .trim()
                        .parse()
                        .map_err(|_| anyhow::anyhow!("dns_servers: {entry:?} is not an ip:port address"))?;
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = addr.port();
                    name_servers.push(NameServerConfig::new(addr.ip(), true, vec![udp, tcp]));
                }
                let config = ResolverConfig::from_parts(None, vec![], name_servers);
                TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            }
            None => TokioResolver::builder(TokioRuntimeProvider::default())?,
        };
        let mut builder = builder;
        *builder.options_mut() = options;
        Ok(Self { resolver: builder.build()? })
    }

    /// Looks for `value` in the TXT records at `name` (the strings of one
    /// record joined, as RFC 7208 reads them).
    pub async fn check(&self, name: &str, value: &str) -> Found {
        let fqdn = format!("{name}.");
        match self.resolver.txt_lookup(fqdn.as_str()).await {
            Ok(lookup) => {
                let records: Vec<String> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        hickory_resolver::proto::rr::RData::TXT(txt) => {
                            Some(txt.txt_data.iter().map(|part| String::from_utf8_lossy(part).into_owned()).collect())
                        }
                        _ => None,
                    })
                    .collect();
                if records.iter().any(|r| r.trim() == value) {
                    return Found::Record;
                }
                let shown: String = records.join(" | ").chars().take(SHOWN).collect();
                Found::Missing(if records.is_empty() {
                    format!("no TXT record found at {name}")
                } else {
                    format!("no TXT record with the expected value at {name}; found: {shown}")
                })
            }
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => {
                Found::Missing(format!("no TXT record found at {name}"))
            }
            Err(_) => {
                Found::Missing(format!("the DNS lookup of {name} did not answer in time; check again in a few minutes"))
            }
        }
    }
}
