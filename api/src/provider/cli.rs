//! `gatehouse clients add|list|remove`: the operator registers the SaaS's
//! applications. Same settings (data directory, database) as the server.

use std::fmt::Write as _;

use sea_orm::ConnectionTrait;

use super::clients::{self, ClientSpec};

const USAGE: &str = "usage: gatehouse clients add --name NAME --redirect-uri URI [--redirect-uri URI …] [--public] \
                     [--post-logout-redirect-uri URI …] [--backchannel-logout-uri URI] [--initiate-login-uri URI]\n       \
                     gatehouse clients list\n       gatehouse clients remove CLIENT_ID";

/// Runs `args` (after `clients`) against `db`; what to print, or why not.
pub async fn run(
    db: &impl ConnectionTrait,
    args: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<String> {
    match args.first().map(String::as_str) {
        Some("add") => add(db, &args[1..], now).await,
        Some("list") if args.len() == 1 => list(db).await,
        Some("remove") if args.len() == 2 => {
            if clients::remove(db, &args[1]).await? {
                Ok(format!("removed client {}\n", args[1]))
            } else {
                anyhow::bail!("no client {} was registered with this command", args[1])
            }
        }
        _ => anyhow::bail!("{USAGE}"),
    }
}

fn parse_add(args: &[String]) -> anyhow::Result<ClientSpec> {
    let mut spec = ClientSpec::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| anyhow::anyhow!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--name" => spec.name = value()?,
            "--redirect-uri" => spec.redirect_uris.push(value()?),
            "--post-logout-redirect-uri" => spec.post_logout_redirect_uris.push(value()?),
            "--backchannel-logout-uri" => spec.backchannel_logout_uri = Some(value()?),
            "--initiate-login-uri" => spec.initiate_login_uri = Some(value()?),
            "--public" => spec.public = true,
            other => anyhow::bail!("unknown option {other:?}\n{USAGE}"),
        }
    }
    Ok(spec)
}

async fn add(db: &impl ConnectionTrait, args: &[String], now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<String> {
    let registered = clients::add(db, parse_add(args)?, now).await?;
    let mut out = format!("client_id: {}\n", registered.client.id);
    if let Some(secret) = registered.secret {
        let _ = writeln!(out, "client_secret: {secret}");
        out.push_str("(the secret is shown this once and stored hashed: keep it in your application's secrets now)\n");
    } else {
        out.push_str("public client: no secret; it must use PKCE (S256)\n");
    }
    Ok(out)
}

async fn list(db: &impl ConnectionTrait) -> anyhow::Result<String> {
    let mut out = String::new();
    for c in clients::list(db).await? {
        let kind = if c.is_public() { "public" } else { "confidential" };
        let uris: Vec<&str> = c.redirect_uris().collect();
        let _ = writeln!(out, "{}\t{}\t{kind}\t{}\t(from the {})", c.id, c.name, uris.join(" "), c.source);
    }
    if out.is_empty() {
        out.push_str("no clients registered\n");
    }
    Ok(out)
}
