//! Browser access: single-use sign-in links and the sessions they become.
//!
//! A product mints a link for a person it has already signed in; opening it once turns it
//! into a session cookie. Only SHA-256 hashes of link tokens and session IDs are stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{now_ms, Result, Store};

/// Who a link or session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebKind {
    /// The tenant's administrator console.
    Console,
    /// One member's own settings page.
    Member,
    /// One client's own page.
    Client,
}

impl WebKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WebKind::Console => "console",
            WebKind::Member => "member",
            WebKind::Client => "client",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "console" => Some(WebKind::Console),
            "member" => Some(WebKind::Member),
            "client" => Some(WebKind::Client),
            _ => None,
        }
    }
}

/// What a sign-in link (and then its session) grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebGrant {
    pub tenant_id: i64,
    pub kind: WebKind,
    /// `members.id` or `clients.id`; `None` for the console.
    pub subject_id: Option<i64>,
    /// Who the product said this is, for the audit log.
    pub actor: Option<String>,
}

/// A link to mint.
#[derive(Debug, Clone)]
pub struct NewWebLink {
    pub grant: WebGrant,
    pub return_to: Option<String>,
    pub ttl_ms: i64,
}

/// Why a link did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Never issued, or altered.
    Unknown,
    /// Opened before: links work once.
    Used,
    Expired,
}

/// A link that opened: what it grants and where to go.
#[derive(Debug, Clone)]
pub struct OpenedLink {
    pub grant: WebGrant,
    pub return_to: Option<String>,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub grant: WebGrant,
    /// Must come back with every form (constant-time compared by the server).
    pub csrf: String,
    pub expires_at: i64,
}

/// A fresh random token: 256 bits, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Stores a link; returns its token (the only time it exists in clear).
    pub async fn create_web_link(&self, link: &NewWebLink) -> Result<(String, i64)> {
        let token = new_token();
        let now = now_ms();
        let expires_at = now + link.ttl_ms;
        // Old links are swept here; a used one is kept until it expires, so that opening
        // it again says "used" rather than "unknown".
        sqlx::query("DELETE FROM web_links WHERE expires_at < $1")
            .bind(now - 86_400_000)
            .execute(&self.write)
            .await?;
        sqlx::query(
            "INSERT INTO web_links (token_hash, tenant_id, kind, subject_id, actor, return_to, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(hash(&token))
        .bind(link.grant.tenant_id)
        .bind(link.grant.kind.as_str())
        .bind(link.grant.subject_id)
        .bind(link.grant.actor.as_deref())
        .bind(link.return_to.as_deref())
        .bind(now)
        .bind(expires_at)
        .execute(&self.write)
        .await?;
        Ok((token, expires_at))
    }

    /// Uses a link, once: of two simultaneous opens only one succeeds.
    pub async fn use_web_link(
        &self,
        token: &str,
    ) -> Result<std::result::Result<OpenedLink, LinkRefusal>> {
        let now = now_ms();
        let row = sqlx::query(
            "UPDATE web_links SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING tenant_id, kind, subject_id, actor, return_to",
        )
        .bind(now)
        .bind(hash(token))
        .fetch_optional(&self.write)
        .await?;
        if let Some(r) = row {
            let kind: String = r.try_get(1)?;
            let Some(kind) = WebKind::parse(&kind) else {
                return Ok(Err(LinkRefusal::Unknown));
            };
            return Ok(Ok(OpenedLink {
                grant: WebGrant {
                    tenant_id: r.try_get(0)?,
                    kind,
                    subject_id: r.try_get(2)?,
                    actor: r.try_get(3)?,
                },
                return_to: r.try_get(4)?,
            }));
        }
        let row = sqlx::query("SELECT used_at FROM web_links WHERE token_hash = $1")
            .bind(hash(token))
            .fetch_optional(&self.read)
            .await?;
        Ok(Err(match row {
            None => LinkRefusal::Unknown,
            Some(r) if r.try_get::<Option<i64>, _>(0)?.is_some() => LinkRefusal::Used,
            Some(_) => LinkRefusal::Expired,
        }))
    }

    /// Starts a session; returns its ID (for the cookie) and the session.
    pub async fn create_web_session(
        &self,
        grant: &WebGrant,
        ttl_ms: i64,
    ) -> Result<(String, WebSession)> {
        let id = new_token();
        let csrf = new_token();
        let now = now_ms();
        sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.write)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, tenant_id, kind, subject_id, actor, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(hash(&id))
        .bind(grant.tenant_id)
        .bind(grant.kind.as_str())
        .bind(grant.subject_id)
        .bind(grant.actor.as_deref())
        .bind(&csrf)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&self.write)
        .await?;
        Ok((
            id,
            WebSession {
                grant: grant.clone(),
                csrf,
                expires_at: now + ttl_ms,
            },
        ))
    }

    /// The live session with this ID, if any.
    pub async fn web_session(&self, id: &str) -> Result<Option<WebSession>> {
        let row = sqlx::query(
            "SELECT tenant_id, kind, subject_id, actor, csrf, expires_at FROM web_sessions
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(hash(id))
        .bind(now_ms())
        .fetch_optional(&self.read)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let kind: String = r.try_get(1)?;
        let Some(kind) = WebKind::parse(&kind) else {
            return Ok(None);
        };
        Ok(Some(WebSession {
            grant: WebGrant {
                tenant_id: r.try_get(0)?,
                kind,
                subject_id: r.try_get(2)?,
                actor: r.try_get(3)?,
            },
            csrf: r.try_get(4)?,
            expires_at: r.try_get(5)?,
        }))
    }

    pub async fn end_web_session(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
            .bind(hash(id))
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
