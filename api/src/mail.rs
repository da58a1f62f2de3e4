//! Mail the server sends (sign-up confirmations, invites) behind one
//! [`Mailer`] trait: [`Smtp`] when `smtp_url` is set, else [`MailDir`], the
//! development sink that writes each message as a file under
//! `{data_dir}/mail/` (mode 0600) and logs where — never its body, which
//! carries a one-time link.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

/// Mails one recipient gets at most per hour (sign-up confirmations and
/// invites together; bursts of as many).
pub const MAILS_PER_RECIPIENT_PER_HOUR: u32 = 3;

/// One plain-text message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub trait Mailer: Send + Sync {
    fn send(&self, mail: Mail) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + '_>>;
}

/// Writes each message to a file in `dir`.
pub struct MailDir {
    dir: PathBuf,
}

impl MailDir {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The messages written so far, oldest first (for tests and operators).
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
    }
}

impl Mailer for MailDir {
    fn send(&self, mail: Mail) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + '_>> {
        Box::pin(async move {
            let dir = self.dir.clone();
            let name = format!(
                "{}-{}.eml",
                chrono::Utc::now().format("%Y%m%dT%H%M%S%.9f"),
                hex::encode(rand::random::<[u8; 6]>())
            );
            let path = dir.join(name);
            // Header values never carry a line break (no header injection).
            let clean = |s: &str| s.replace(['\r', '\n'], " ");
            let text = format!(
                "To: {}\r\nSubject: {}\r\nDate: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                clean(&mail.to),
                clean(&mail.subject),
                chrono::Utc::now().to_rfc2822(),
                mail.body
            );
            let written = path.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                std::fs::create_dir_all(&dir)?;
                // Written aside, then renamed into place: a reader of the
                // directory never sees a half-written message.
                let partial = path.with_extension("part");
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                std::io::Write::write_all(&mut options.open(&partial)?, text.as_bytes())?;
                std::fs::rename(&partial, &path)?;
                Ok(())
            })
            .await??;
            tracing::info!(to = %mail.to, subject = %mail.subject, file = %written.display(), "mail written (development sink)");
            Ok(())
        })
    }
}

/// Mail over SMTP (`smtp_url`: `smtps://user:password@host:465`, or
/// `smtp://host:587?tls=required` for STARTTLS; plain `smtp://host:25` only
/// for a relay on the same network), from `mail_from`.
pub struct Smtp {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Smtp {
    /// Refuses a URL that would send the login or the links in clear
    /// (`smtp://` is plain text in lettre unless `tls=required`): only
    /// `smtps://`, `tls=required`, or a relay on loopback without a login.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|_| anyhow::anyhow!("smtp_url is not an SMTP URL (smtps://user:password@host:465)"))?;
        let tls_required = parsed.query_pairs().any(|(k, v)| k == "tls" && v == "required");
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        let login = !parsed.username().is_empty() || parsed.password().is_some();
        let encrypted = parsed.scheme() == "smtps" || (parsed.scheme() == "smtp" && tls_required);
        let local_relay = parsed.scheme() == "smtp" && loopback && !login;
        if !(encrypted || local_relay) {
            anyhow::bail!(
                "smtp_url would send mail (and any password) unencrypted: use smtps://…:465 or smtp://…:587?tls=required"
            );
        }
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|_| anyhow::anyhow!("smtp_url is not an SMTP URL (smtps://user:password@host:465)"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from
            .parse()
            .map_err(|_| anyhow::anyhow!("mail_from is not an address such as Gatehouse <noreply@example.com>"))?;
        Ok(Self { transport, from })
    }
}

impl Mailer for Smtp {
    fn send(&self, mail: Mail) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + '_>> {
        Box::pin(async move {
            use lettre::AsyncTransport as _;
            let message = lettre::Message::builder()
                .from(self.from.clone())
                .to(mail.to.parse()?)
                .subject(mail.subject.clone())
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(mail.body)?;
            self.transport.send(message).await?;
            tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent");
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_that_would_send_in_clear_are_refused() {
        let from = "Gatehouse <noreply@example.com>";
        for ok in [
            "smtps://user:pw@smtp.example.com:465",
            "smtp://user:pw@smtp.example.com:587?tls=required",
            "smtp://127.0.0.1:2525",
        ] {
            assert!(Smtp::new(ok, from).is_ok(), "{ok}");
        }
        for refused in [
            "smtp://user:pw@smtp.example.com:587",
            "smtp://smtp.example.com:25",
            "smtp://user:pw@smtp.example.com:587?tls=opportunistic",
            "smtp://user:pw@127.0.0.1:2525",
            "http://smtp.example.com",
        ] {
            assert!(Smtp::new(refused, from).is_err(), "{refused}");
        }
        assert!(Smtp::new("smtps://smtp.example.com", "not an address").is_err());
    }
}
