//! Layered settings: defaults → `gatehouse.toml` (or the file named by
//! `GATEHOUSE_CONFIG`) → `GATEHOUSE_*` environment variables, plus the
//! conventional `DATABASE_URL`.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use shared::provisioning::Plan;

/// Never printed whole: `Debug` redacts the secrets (see below).
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free one (`GATEHOUSE_BIND`).
    pub bind: SocketAddr,
    /// `sqlite://…` or `postgres://…`; default `sqlite://{data_dir}/gatehouse.db` (`DATABASE_URL`).
    pub database_url: Option<String>,
    /// Where the SQLite file and generated dev keys live (`GATEHOUSE_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Public base URL for links the server hands out; default `http://{bind}` (`GATEHOUSE_PUBLIC_URL`).
    pub public_url: Option<String>,
    /// The built SPA; the API still runs when it is missing (`GATEHOUSE_WEB_DIR`).
    pub web_dir: PathBuf,
    /// HMAC key for access tokens, base64 (≥ 32 bytes) (`GATEHOUSE_SIGNING_KEY`).
    /// When unset, a key is generated once into `{data_dir}/signing.key` (mode 0600).
    pub signing_key: Option<String>,
    /// Earlier signing keys (base64) that still verify tokens during a key
    /// rotation; tokens name their key with `kid` (`GATEHOUSE_PREVIOUS_SIGNING_KEYS`, TOML list).
    pub previous_signing_keys: Vec<String>,
    /// Access token and session lifetime in seconds (`GATEHOUSE_ACCESS_TOKEN_TTL_SECS`).
    pub access_token_ttl_secs: i64,
    /// `pretty` (default) or `json` log lines (`GATEHOUSE_LOG_FORMAT`); levels via `RUST_LOG`.
    pub log_format: LogFormat,
    /// Database pool size (`GATEHOUSE_DB_MAX_CONNECTIONS`).
    pub db_max_connections: u32,
    /// SCIM requests per second allowed per organization, with bursts of twice
    /// that; 0 turns the limit off (`GATEHOUSE_SCIM_REQUESTS_PER_SECOND`).
    pub scim_requests_per_second: u32,
    /// A SCIM filter that no index narrows (anything but `id`, `userName`,
    /// `externalId` or `displayName` equality) is refused with `tooMany` in a
    /// directory holding more resources than this; 0: never refused
    /// (`GATEHOUSE_SCIM_MAX_FILTER_SCAN`).
    pub scim_max_filter_scan: u64,
    /// Seconds a request body may take to arrive once the request reached us;
    /// slower ones are cut off with 408 (`GATEHOUSE_REQUEST_BODY_TIMEOUT_SECS`).
    pub request_body_timeout_secs: u64,
    /// Whether a sign-up is confirmed by an emailed link, and invites are
    /// emailed by the server (their token then never reaches the inviter):
    /// `auto` (default: `email` when `smtp_url` is set, else `off`),
    /// `email`, or `off` (the sign-up answers 201 with a session at once)
    /// (`GATEHOUSE_SIGNUP_CONFIRMATION`).
    pub signup_confirmation: SignupConfirmation,
    /// Where mail goes: `smtps://user:password@host:465` or
    /// `smtp://host:587?tls=required` (`GATEHOUSE_SMTP_URL`). Unset: the
    /// development sink `{data_dir}/mail/`.
    pub smtp_url: Option<String>,
    /// The sender of that mail (`GATEHOUSE_MAIL_FROM`); default
    /// `Gatehouse <noreply@{public_url's host}>`.
    pub mail_from: Option<String>,
    /// Lets server-side fetches (IdP discovery, JWKS, token, userinfo, SAML
    /// metadata) reach loopback and private addresses and plain `http`
    /// (`GATEHOUSE_ALLOW_PRIVATE_NETWORK_URLS`). Off: only public `https`.
    pub allow_private_network_urls: bool,
    /// The header the operator's reverse proxy sets to the client's address
    /// (e.g. `X-Forwarded-For`; its last entry is used). Unset: the TCP peer
    /// (`GATEHOUSE_CLIENT_IP_HEADER`). Set it only behind such a proxy.
    pub client_ip_header: Option<String>,
    /// Requests per minute one client address may make to the public sign-in
    /// endpoints (login, sign-up, invite acceptance, SSO start), in bursts of
    /// as many; 0 turns the limit off (`GATEHOUSE_AUTH_REQUESTS_PER_MINUTE`).
    pub auth_requests_per_minute: u32,
    /// `required` (default): only a domain proven with its DNS record routes
    /// sign-ins to an identity provider and lets SSO or the directory create
    /// members; `off`: a claimed domain does, as before verification existed
    /// (for a local try-out; the Provision tab shows a warning)
    /// (`GATEHOUSE_DOMAIN_VERIFICATION`).
    pub domain_verification: DomainVerificationMode,
    /// How often each process looks for domains due a re-check, in seconds;
    /// 0 turns the background re-checks off (`GATEHOUSE_DOMAIN_RECHECK_SECS`).
    pub domain_recheck_secs: u64,
    /// The nameservers domain verification asks, comma-separated `ip:port`
    /// (`GATEHOUSE_DNS_SERVERS`); unset: the system's (`/etc/resolv.conf`).
    pub dns_servers: Option<String>,
    /// The OpenID Provider's signing key, PEM (PKCS#8 RSA ≥ 2048 bits or
    /// P-256) (`GATEHOUSE_OIDC_SIGNING_KEY`). When unset, one is generated
    /// once into `{data_dir}/oidc-signing-key.pem` (mode 0600).
    pub oidc_signing_key: Option<String>,
    /// Earlier OpenID signing keys, PEM: their public parts stay in the JWKS
    /// during a rotation (`GATEHOUSE_OIDC_PREVIOUS_SIGNING_KEYS`, TOML list).
    pub oidc_previous_signing_keys: Vec<String>,
    /// The algorithm of a generated development key: `RS256` (default) or
    /// `ES256` (`GATEHOUSE_OIDC_SIGNING_ALGORITHM`).
    pub oidc_signing_algorithm: crate::provider::keys::SigningAlgorithm,
    /// The SaaS's applications that sign members in through Gatehouse
    /// (`[[clients]]` in the file; `gatehouse clients add` registers more).
    pub clients: Vec<crate::provider::clients::ClientSpec>,
    /// The application members land in when they sign in at Gatehouse
    /// itself: a registered client's id; it needs an `initiate_login_uri`
    /// (`GATEHOUSE_OIDC_DEFAULT_CLIENT`). Unset: the welcome page lists the
    /// applications.
    pub oidc_default_client: Option<String>,
    /// How many days events are kept for the feed and webhook replays
    /// (`GATEHOUSE_EVENTS_RETENTION_DAYS`, default 30; at least 4, longer
    /// than a webhook delivery is retried).
    pub events_retention_days: u32,
    /// The plan catalog new members are provisioned into (`[[plans]]` in the file).
    pub plans: Vec<Plan>,
    /// Add-on prices per year, in minor units (`[prices]` in the file).
    pub prices: Prices,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Prices {
    pub currency: String,
    pub sso: i64,
    pub directory_sync: i64,
    pub both: i64,
}

impl Default for Prices {
    fn default() -> Self {
        Self { currency: "usd".to_owned(), sso: 120_000, directory_sync: 120_000, both: 200_000 }
    }
}

fn plan(id: &str, name: &str, description: &str) -> Plan {
    Plan { id: id.to_owned(), name: name.to_owned(), description: description.to_owned() }
}

/// The catalog until the operator sets their own.
pub fn default_plans() -> Vec<Plan> {
    vec![
        plan("plan_core", "Core", "The essentials for every member."),
        plan("plan_extended", "Extended", "Core plus advanced features."),
        plan("plan_ultimate", "Ultimate", "Everything, with priority support."),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignupConfirmation {
    Auto,
    Email,
    Off,
}

impl SignupConfirmation {
    /// Whether mail confirms sign-ups, given whether mail can reach anyone.
    pub fn by_email(self, smtp: bool) -> bool {
        match self {
            SignupConfirmation::Auto => smtp,
            SignupConfirmation::Email => true,
            SignupConfirmation::Off => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainVerificationMode {
    Required,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            data_dir: PathBuf::from("./data"),
            public_url: None,
            web_dir: PathBuf::from("dist"),
            signing_key: None,
            previous_signing_keys: Vec::new(),
            access_token_ttl_secs: 12 * 60 * 60,
            log_format: LogFormat::Pretty,
            db_max_connections: 16,
            scim_requests_per_second: 100,
            scim_max_filter_scan: 10_000,
            request_body_timeout_secs: 15,
            signup_confirmation: SignupConfirmation::Auto,
            smtp_url: None,
            mail_from: None,
            allow_private_network_urls: false,
            dns_servers: None,
            domain_verification: DomainVerificationMode::Required,
            domain_recheck_secs: 60,
            client_ip_header: None,
            auth_requests_per_minute: 60,
            oidc_signing_key: None,
            oidc_previous_signing_keys: Vec::new(),
            oidc_signing_algorithm: crate::provider::keys::SigningAlgorithm::RS256,
            oidc_default_client: None,
            events_retention_days: 30,
            clients: Vec::new(),
            plans: default_plans(),
            prices: Prices::default(),
        }
    }
}

impl Settings {
    /// Reads the layers. `DATABASE_URL` is honoured without the prefix, as
    /// every hosting platform sets it that way.
    pub fn load() -> Result<Self, Box<figment::Error>> {
        let file = std::env::var("GATEHOUSE_CONFIG").unwrap_or_else(|_| "gatehouse.toml".to_owned());
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("GATEHOUSE_").ignore(&["CONFIG"]))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .extract()
            .map_err(Box::new)
    }

    /// Refuses settings that would fail later, with a message naming the fix.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.plans.is_empty() {
            anyhow::bail!("configure at least one plan ([[plans]] in gatehouse.toml)");
        }
        let p = &self.prices;
        if p.sso <= 0 || p.directory_sync <= 0 || p.both <= 0 || p.currency.len() != 3 {
            anyhow::bail!("prices must be positive and the currency a 3-letter code");
        }
        // A webhook delivery is retried for up to 3½ days: its event must outlive it.
        if !(4..=3650).contains(&self.events_retention_days) {
            anyhow::bail!(
                "events_retention_days must be 4 to 3650 (GATEHOUSE_EVENTS_RETENTION_DAYS): webhook deliveries are \
                 retried for up to 3½ days"
            );
        }
        let mut seen = std::collections::HashSet::new();
        for p in &self.plans {
            if !Plan::valid_id(&p.id) {
                anyhow::bail!("plan id {:?} must be `plan_` followed by a-z, 0-9, _ or -", p.id);
            }
            if !seen.insert(p.id.as_str()) {
                anyhow::bail!("plan id {:?} is configured twice", p.id);
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/gatehouse.db?mode=rwc", self.data_dir.display()))
    }

    /// The public base URL without a trailing slash, given the bound address.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }
}

/// The settings that hold secrets: keys, passwords in URLs, client secrets.
const SECRET_SETTINGS: [&str; 6] = [
    "signing_key",
    "previous_signing_keys",
    "smtp_url",
    "database_url",
    "oidc_signing_key",
    "oidc_previous_signing_keys",
];

/// Everything but the secrets, which show as `[redacted]` when set (a
/// `database_url` or `smtp_url` may carry a password; the rest are keys).
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
        let redact = |v: &mut serde_json::Value| match v {
            serde_json::Value::Null => {}
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| *i = "[redacted]".into()),
            other => *other = "[redacted]".into(),
        };
        for name in SECRET_SETTINGS {
            if let Some(v) = shown.get_mut(name) {
                redact(v);
            }
        }
        if let Some(serde_json::Value::Array(clients)) = shown.get_mut("clients") {
            for c in clients {
                if let Some(v) = c.get_mut("client_secret") {
                    redact(v);
                }
            }
        }
        write!(f, "Settings {shown}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_outlive_the_webhook_retries() {
        let with = |days| Settings { events_retention_days: days, ..Settings::default() }.check();
        let refused = with(3).unwrap_err().to_string();
        assert!(refused.contains("4 to 3650") && refused.contains("GATEHOUSE_EVENTS_RETENTION_DAYS"), "{refused}");
        assert!(with(4).is_ok() && with(30).is_ok() && with(3651).is_err());
        // The last retry's wait ends before the event can be pruned.
        let most: i64 = crate::webhooks::dispatch::BACKOFF_SECS.iter().map(|s| s + s / 10).sum();
        assert!(most < 4 * 86_400, "{most} s");
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let secrets = [
            "c2lnbmluZy1rZXktdGhhdC1pcy1sb25nLWVub3VnaA==",
            "cHJldmlvdXMta2V5LXRoYXQtaXMtbG9uZy1lbm91Z2g=",
            "smtp-password-1",
            "db-password-2",
            "-----BEGIN PRIVATE KEY-----oidc",
            "-----BEGIN PRIVATE KEY-----previous",
            "client-secret-of-at-least-32-characters",
        ];
        let s = Settings {
            signing_key: Some(secrets[0].into()),
            previous_signing_keys: vec![secrets[1].into()],
            smtp_url: Some(format!("smtps://mailer:{}@mail.example.com:465", secrets[2])),
            database_url: Some(format!("postgres://gatehouse:{}@db/gatehouse", secrets[3])),
            oidc_signing_key: Some(secrets[4].into()),
            oidc_previous_signing_keys: vec![secrets[5].into()],
            clients: vec![crate::provider::clients::ClientSpec {
                client_id: "app".into(),
                client_secret: Some(secrets[6].into()),
                ..Default::default()
            }],
            ..Settings::default()
        };
        let printed = format!("{s:?}");
        for secret in secrets {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(printed.contains("[redacted]") && printed.contains("\"bind\""), "{printed}");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own error
    fn env_overrides_file_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("gatehouse.toml", "bind = \"127.0.0.1:9000\"\ndata_dir = \"/tmp/from-file\"\n")?;
            jail.set_env("GATEHOUSE_DATA_DIR", "/tmp/from-env");
            jail.set_env("DATABASE_URL", "postgres://localhost/x");
            let s = Settings::load().map_err(|e| *e)?;
            assert_eq!(s.bind.port(), 9000);
            assert_eq!(s.data_dir, PathBuf::from("/tmp/from-env"));
            assert_eq!(s.database_url(), "postgres://localhost/x");
            assert_eq!(s.web_dir, PathBuf::from("dist"));
            assert_eq!(s.public_url(s.bind), "http://127.0.0.1:9000");
            assert_eq!(s.plans.len(), 3);
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn operator_overrides_the_plan_catalog() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gatehouse.toml",
                "[[plans]]\nid = \"plan_team\"\nname = \"Team\"\ndescription = \"For teams\"\n",
            )?;
            let s = Settings::load().map_err(|e| *e)?;
            assert_eq!(s.plans.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["plan_team"]);
            assert!(s.check().is_ok());
            Ok(())
        });
        let mut bad = Settings::default();
        bad.plans.push(bad.plans[0].clone());
        assert!(bad.check().unwrap_err().to_string().contains("twice"));
        bad.plans = vec![plan("core", "Core", "")];
        assert!(bad.check().is_err());
    }

    #[test]
    fn sqlite_under_data_dir_by_default() {
        let s = Settings::default();
        assert_eq!(s.database_url(), "sqlite://./data/gatehouse.db?mode=rwc");
    }
}
