//! The pasted LINE WORKS API 2.0 credentials: field checks, the API 1.0 names refused with
//! an explanation, and the service account's private key in whatever shape it was pasted.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::ConnectError;

/// Field names of API 1.0 that have no place in 2.0.
pub const API1_FIELDS: [&str; 4] = [
    "api_id",
    "server_api_consumer_key",
    "server_id",
    "server_list_id",
];

/// How API 1.0 credentials map to 2.0 (ja / en). The settings screen shows it too.
pub const API1_MIGRATION_HELP: &str = "LINE WORKS API 1.0 の認証情報は使えません。API 2.0 では API ID と Server API Consumer Key は廃止され、Server List ID とサーバー認証キー (秘密鍵) は Client ID・Service Account・Private Key に置き換わりました。Developer Console (https://dev.worksmobile.com) で API 2.0 のアプリを作成し、Client ID・Client Secret・Service Account・Private Key (ダウンロードした .key ファイルの中身) と Bot ID を入力してください。 / LINE WORKS API 1.0 credentials cannot be used. In API 2.0 the API ID and the Server API Consumer Key are abolished, and the Server List ID and server private key became the Client ID, Service Account and private key. Create an API 2.0 app in the Developer Console (https://dev.worksmobile.com) and enter its Client ID, Client Secret, Service Account, private key (the contents of the downloaded .key file) and the Bot ID.";

const REQUIRED: [&str; 5] = [
    "client_id",
    "client_secret",
    "service_account",
    "private_key",
    "bot_id",
];
const OPTIONAL: [&str; 1] = ["bot_secret"];

const HELP: &str = "line_works connections need `credentials` {client_id, client_secret, service_account, private_key, bot_id, bot_secret?} from the LINE WORKS Developer Console (API 2.0 app and its bot)";

/// A connection's credentials. `Debug` shows no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    /// `xxxxx.serviceaccount@domain`.
    pub service_account: String,
    /// Normalised PEM (see [`normalize_private_key`]).
    pub private_key: String,
    /// Digits, as the Developer Console shows it.
    pub bot_id: String,
    /// Verifies callbacks (`X-WORKS-Signature`); not needed to send.
    pub bot_secret: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("service_account", &self.service_account)
            .field("private_key", &"<redacted>")
            .field("bot_id", &self.bot_id)
            .field(
                "bot_secret",
                &self.bot_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Credentials {
    /// Checks what was pasted into the connection form.
    pub fn from_pasted(value: &serde_json::Value) -> Result<Self, ConnectError> {
        if let Some(obj) = value.as_object() {
            if obj.keys().any(|k| API1_FIELDS.contains(&k.as_str())) {
                return Err(ConnectError::invalid(
                    "line_works_api1_fields",
                    API1_MIGRATION_HELP,
                ));
            }
        }
        let mut f = crate::credentials::string_fields(value, &REQUIRED, &OPTIONAL, HELP)?;
        let mut take = |k: &str| f.remove(k).unwrap_or_default();
        let (client_id, client_secret) = (take("client_id"), take("client_secret"));
        let (service_account, raw_key, bot_id) =
            (take("service_account"), take("private_key"), take("bot_id"));
        let bot_secret = f.remove("bot_secret");
        if !bot_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(ConnectError::invalid(
                "invalid_credentials",
                "bot_id is the number shown for the bot in the Developer Console (Bot → Bot ID)",
            ));
        }
        let private_key = normalize_private_key(&raw_key)
            .map_err(|m| ConnectError::invalid("line_works_invalid_private_key", m))?;
        Ok(Credentials {
            client_id,
            client_secret,
            service_account,
            private_key,
            bot_id,
            bot_secret,
        })
    }

    /// Reads what [`Self::to_stored`] wrote; `Err` says which field is missing.
    pub fn from_stored(value: &serde_json::Value) -> Result<Self, String> {
        let get = |k: &str| {
            value
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_string())
                .ok_or_else(|| format!("the stored LINE WORKS credentials have no `{k}`"))
        };
        let raw_key = get("private_key")?;
        Ok(Credentials {
            client_id: get("client_id")?,
            client_secret: get("client_secret")?,
            service_account: get("service_account")?,
            private_key: normalize_private_key(&raw_key).map_err(str::to_string)?,
            bot_id: get("bot_id")?,
            bot_secret: get("bot_secret").ok(),
        })
    }

    pub fn to_stored(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "service_account": self.service_account,
            "private_key": self.private_key,
            "bot_id": self.bot_id,
        });
        if let Some(s) = &self.bot_secret {
            v["bot_secret"] = serde_json::Value::String(s.clone());
        }
        v
    }

    /// Identifies the fields a token depends on (a cached token dies with a credential change).
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            &self.client_id,
            &self.client_secret,
            &self.service_account,
            &self.private_key,
        ] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        hex::encode(&h.finalize()[..16])
    }
}

/// Rebuilds a PEM private key from what people paste: the file as downloaded, the same with
/// CRLF line ends, with literal `\n` escapes (copied out of JSON or an `.env` file), or
/// squashed onto one line. Accepts PKCS#8 (`BEGIN PRIVATE KEY`, what the Developer Console
/// downloads) and PKCS#1 (`BEGIN RSA PRIVATE KEY`). The error says what to paste instead.
pub fn normalize_private_key(raw: &str) -> Result<String, &'static str> {
    let text = raw
        .replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace('\r', "\n");
    let Some(begin) = text.find("-----BEGIN ") else {
        return Err("private_key must be the whole key file from the Developer Console, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----");
    };
    let after_begin = &text[begin + "-----BEGIN ".len()..];
    let Some(label_end) = after_begin.find("-----") else {
        return Err("private_key has a broken -----BEGIN line");
    };
    let label = &after_begin[..label_end];
    match label {
        "PRIVATE KEY" | "RSA PRIVATE KEY" => {}
        "ENCRYPTED PRIVATE KEY" => {
            return Err("private_key is encrypted with a passphrase; paste the unencrypted key the Developer Console downloads")
        }
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {
            return Err("private_key holds a public key or certificate; paste the private key file the Developer Console downloads for the service account")
        }
        _ => return Err("private_key must be an RSA private key (-----BEGIN PRIVATE KEY-----)"),
    }
    let body_and_rest = &after_begin[label_end + "-----".len()..];
    let end_marker = format!("-----END {label}-----");
    let Some(end) = body_and_rest.find(&end_marker) else {
        return Err("private_key is cut short: the -----END PRIVATE KEY----- line is missing");
    };
    let body: String = body_and_rest[..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let base64_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    if body.is_empty() || !body.chars().all(base64_char) {
        return Err("private_key has characters that do not belong in a key file; paste the file's contents unchanged");
    }
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        // The body is ASCII (checked above), so every chunk is valid UTF-8.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&end_marker);
    pem.push('\n');
    jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|_| "private_key is not a readable RSA private key; paste the file the Developer Console downloads for the service account")?;
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = renkei_fakes::keys::TEST_PRIVATE_KEY_PEM;

    fn pasted(key: &str) -> serde_json::Value {
        json!({
            "client_id": "cid", "client_secret": "secret-1234", "service_account": "a.serviceaccount@x",
            "private_key": key, "bot_id": "2000001"
        })
    }

    #[test]
    fn keys_pasted_in_any_shape_become_the_same_pem() {
        let canonical = normalize_private_key(KEY).unwrap();
        let crlf = KEY.replace('\n', "\r\n");
        let escaped = KEY.trim_end().replace('\n', "\\n");
        let one_line = KEY.replace('\n', " ");
        for variant in [crlf, escaped, one_line, format!("  {KEY}  ")] {
            assert_eq!(normalize_private_key(&variant).unwrap(), canonical);
        }
    }

    #[test]
    fn wrong_keys_are_explained() {
        let public = renkei_fakes::keys::TEST_PUBLIC_KEY_PEM;
        assert!(normalize_private_key(public)
            .unwrap_err()
            .contains("public key"));
        assert!(normalize_private_key("abc")
            .unwrap_err()
            .contains("BEGIN PRIVATE KEY"));
        let cut = &KEY[..KEY.len() / 2];
        assert!(normalize_private_key(cut)
            .unwrap_err()
            .contains("cut short"));
        let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----";
        assert!(normalize_private_key(garbage).is_err());
    }

    #[test]
    fn api1_fields_are_refused_with_the_mapping() {
        let mut v = pasted(KEY);
        v["server_list_id"] = json!("abc");
        let e = Credentials::from_pasted(&v).unwrap_err();
        assert_eq!((e.status, e.code), (422, "line_works_api1_fields"));
        assert_eq!(e.message, API1_MIGRATION_HELP);
        assert!(e.message.contains("Server API Consumer Key"));
        assert!(e.message.contains("Service Account"));
    }

    #[test]
    fn stored_credentials_round_trip_and_debug_hides_secrets() {
        let c = Credentials::from_pasted(&pasted(KEY)).unwrap();
        assert_eq!(Credentials::from_stored(&c.to_stored()).unwrap(), c);
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("secret-1234") && !dbg.contains("PRIVATE KEY"),
            "{dbg}"
        );
        let e = Credentials::from_pasted(&json!({"client_id": "x"})).unwrap_err();
        assert_eq!(e.code, "invalid_credentials");
        let mut bad_bot = pasted(KEY);
        bad_bot["bot_id"] = json!("my bot");
        assert!(Credentials::from_pasted(&bad_bot)
            .unwrap_err()
            .message
            .contains("Bot ID"));
    }

    #[test]
    fn fingerprint_changes_with_the_secret() {
        let a = Credentials::from_pasted(&pasted(KEY)).unwrap();
        let mut b = a.clone();
        b.client_secret.push('x');
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint(), a.clone().fingerprint());
    }
}
