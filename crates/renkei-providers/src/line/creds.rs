//! The credentials a LINE connection is made from (pasted) and sends with (stored).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::credentials::string_fields;
use crate::ConnectError;

pub(crate) const HELP: &str = "a line connection needs either `channel_access_token` + \
`channel_secret` (LINE Developers Console → your Messaging API channel: the long-lived channel \
access token on the Messaging API tab, the channel secret on Basic settings) or `channel_id` + \
`private_key` + `kid` + `channel_secret` (channel access token v2.1: the private key of an \
assertion signing key whose public key you registered on Basic settings, and the kid LINE showed \
for it). Optional: `login_channel_id` + `login_channel_secret` of a LINE Login channel, which \
must be under the same provider as the Messaging API channel, so members can link their LINE \
account and add the official account as a friend";

/// Fields renkei adds to what was pasted when it stores a connection.
pub(crate) const DERIVED: [&str; 5] = [
    "basic_id",
    "access_token",
    "access_token_key_id",
    "access_token_issued_at",
    "access_token_expires_at",
];

/// How the connection gets its channel access token.
#[derive(Clone)]
pub(crate) enum Auth {
    /// Issued in the console; never expires.
    LongLived { token: String },
    /// Issued by renkei from a JWT assertion (channel access token v2.1).
    V21 {
        channel_id: String,
        private_key: String,
        kid: String,
    },
}

impl Auth {
    /// Cache key for issued tokens: one signing key of one channel.
    pub(crate) fn cache_key(&self) -> Option<(String, String)> {
        match self {
            Auth::LongLived { .. } => None,
            Auth::V21 {
                channel_id, kid, ..
            } => Some((channel_id.clone(), kid.clone())),
        }
    }
}

// Secrets stay out of logs and error texts.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::LongLived { .. } => f.write_str("LongLived { .. }"),
            Auth::V21 {
                channel_id, kid, ..
            } => {
                write!(f, "V21 {{ channel_id: {channel_id}, kid: {kid}, .. }}")
            }
        }
    }
}

/// What was pasted, checked for shape (not yet against LINE).
pub(crate) struct Pasted {
    pub auth: Auth,
    /// The cleaned fields, as they will be stored.
    pub fields: BTreeMap<String, String>,
}

impl std::fmt::Debug for Pasted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&String> = self.fields.keys().collect();
        f.debug_struct("Pasted")
            .field("auth", &self.auth)
            .field("fields", &names)
            .finish()
    }
}

fn invalid(message: impl Into<String>) -> ConnectError {
    ConnectError::invalid("invalid_credentials", message)
}

fn is_channel_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Channel secrets are 32 hexadecimal characters; catching a token pasted into the secret
/// field here beats failing every webhook signature later.
fn is_channel_secret(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn parse_pasted(credentials: &Value) -> Result<Pasted, ConnectError> {
    // A stored connection being re-verified carries what renkei added; ignore it.
    let mut cleaned = credentials.clone();
    if let Some(obj) = cleaned.as_object_mut() {
        for k in DERIVED {
            obj.remove(k);
        }
    }
    let has = |k: &str| cleaned.get(k).is_some();
    let login = ["login_channel_id", "login_channel_secret"];
    let fields = match (has("channel_access_token"), has("channel_id")) {
        (true, true) => {
            return Err(invalid(format!(
                "give either `channel_access_token` or `channel_id` + `private_key` + `kid`, not both: {HELP}"
            )))
        }
        (true, false) => {
            string_fields(&cleaned, &["channel_access_token", "channel_secret"], &login, HELP)?
        }
        _ => string_fields(
            &cleaned,
            &["channel_id", "private_key", "kid", "channel_secret"],
            &login,
            HELP,
        )?,
    };
    if !is_channel_secret(&fields["channel_secret"]) {
        return Err(invalid("`channel_secret` must be the 32-character channel secret from the Messaging API channel's Basic settings tab"));
    }
    match (fields.get(login[0]), fields.get(login[1])) {
        (None, None) => {}
        (Some(id), Some(secret)) if is_channel_id(id) && is_channel_secret(secret) => {}
        (Some(_), Some(_)) => return Err(invalid("`login_channel_id` must be the LINE Login channel's numeric Channel ID and `login_channel_secret` its 32-character channel secret (LINE Login channel → Basic settings)")),
        _ => return Err(invalid("give both `login_channel_id` and `login_channel_secret` (LINE Login channel → Basic settings), or neither")),
    }
    let auth = match fields.get("channel_access_token") {
        Some(token) => Auth::LongLived {
            token: token.clone(),
        },
        None => {
            if !is_channel_id(&fields["channel_id"]) {
                return Err(invalid("`channel_id` must be the Messaging API channel's numeric Channel ID (Basic settings tab)"));
            }
            Auth::V21 {
                channel_id: fields["channel_id"].clone(),
                private_key: fields["private_key"].clone(),
                kid: fields["kid"].clone(),
            }
        }
    };
    Ok(Pasted { auth, fields })
}

/// Reads stored credentials; the error names what is missing (never a value).
pub(crate) fn parse_stored(credentials: &Value) -> Result<Auth, String> {
    let text = |k: &str| {
        credentials
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if let Some(token) = text("channel_access_token") {
        return Ok(Auth::LongLived { token });
    }
    match (text("channel_id"), text("private_key"), text("kid")) {
        (Some(channel_id), Some(private_key), Some(kid)) => Ok(Auth::V21 {
            channel_id,
            private_key,
            kid,
        }),
        _ => Err("the stored LINE credentials have neither channel_access_token nor channel_id + private_key + kid".into()),
    }
}

/// The stored object: pasted fields plus what renkei learnt.
pub(crate) fn stored(fields: &BTreeMap<String, String>, basic_id: &str) -> Map<String, Value> {
    let mut out: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    out.insert("basic_id".into(), Value::String(basic_id.into()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn either_token_or_v21_fields() {
        let long = parse_pasted(&json!({"channel_access_token": "t", "channel_secret": SECRET}));
        assert!(matches!(long.unwrap().auth, Auth::LongLived { .. }));
        let v21 =
            json!({"channel_id": "1234", "private_key": "k", "kid": "x", "channel_secret": SECRET});
        assert!(matches!(parse_pasted(&v21).unwrap().auth, Auth::V21 { .. }));
        let both =
            json!({"channel_access_token": "t", "channel_id": "1", "channel_secret": SECRET});
        assert!(parse_pasted(&both)
            .unwrap_err()
            .message
            .contains("not both"));
        let neither = parse_pasted(&json!({"channel_secret": SECRET})).unwrap_err();
        assert!(neither.message.contains("missing"), "{neither:?}");
    }

    #[test]
    fn secrets_and_login_fields_are_checked() {
        let bad_secret = json!({"channel_access_token": "t", "channel_secret": "not-a-secret"});
        assert!(parse_pasted(&bad_secret)
            .unwrap_err()
            .message
            .contains("32-character"));
        let half_login =
            json!({"channel_access_token": "t", "channel_secret": SECRET, "login_channel_id": "1"});
        assert!(parse_pasted(&half_login)
            .unwrap_err()
            .message
            .contains("both"));
        let login = json!({"channel_access_token": "t", "channel_secret": SECRET,
            "login_channel_id": "2000000002", "login_channel_secret": SECRET});
        assert_eq!(parse_pasted(&login).unwrap().fields.len(), 4);
    }

    #[test]
    fn derived_fields_are_ignored_on_reverification() {
        let stored = json!({"channel_access_token": "t", "channel_secret": SECRET,
            "basic_id": "@abc", "access_token_expires_at": 12});
        assert_eq!(parse_pasted(&stored).unwrap().fields.len(), 2);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let auth = Auth::V21 {
            channel_id: "1".into(),
            private_key: "PRIVATE".into(),
            kid: "k".into(),
        };
        assert!(!format!("{auth:?}").contains("PRIVATE"));
        let long = Auth::LongLived {
            token: "TOKEN".into(),
        };
        assert!(!format!("{long:?}").contains("TOKEN"));
    }
}
