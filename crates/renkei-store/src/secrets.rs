//! Credentials at rest: AES-256-GCM with a random 96-bit nonce per secret.
//!
//! The master key comes from `RENKEI_SECRET_KEY` (base64 of 32 bytes) or a key file the
//! binary generates with mode 0600 on first start. Sealed form: nonce ‖ ciphertext+tag.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

use crate::StoreError;

#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    /// Signs confirmation links; derived from the master key so there is one secret to keep.
    link_key: [u8; 32],
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).expect("any key length");
        mac.update(b"renkei/confirmation-links/v1");
        let link_key = mac.finalize().into_bytes().into();
        SecretBox {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
            link_key,
        }
    }

    pub fn link_signer(&self, public_url: &str) -> crate::links::LinkSigner {
        crate::links::LinkSigner::new(self.link_key, public_url)
    }

    /// A key from its base64 text (as in `RENKEI_SECRET_KEY` or the key file).
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| StoreError::Secret(format!("the master key is not base64: {e}")))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            StoreError::Secret("the master key must be 32 bytes (44 base64 characters)".into())
        })?;
        Ok(SecretBox::new(key))
    }

    /// A fresh random key, base64-encoded.
    pub fn generate_base64() -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .expect("AES-GCM encryption cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < 12 + 16 {
            return Err(StoreError::Secret("sealed secret too short".into()));
        }
        let (nonce, ct) = sealed.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| StoreError::Secret("wrong master key or tampered secret".into()))
    }
}

/// The last four characters of a secret, the most renkei ever shows of one.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_round_trips_and_hides_the_plaintext() {
        let b = SecretBox::from_base64(&SecretBox::generate_base64()).unwrap();
        let sealed = b.seal(b"token-abcdef");
        assert!(!sealed.windows(6).any(|w| w == b"abcdef"));
        assert_eq!(b.open(&sealed).unwrap(), b"token-abcdef");
        // Random nonce: the same secret seals differently each time.
        assert_ne!(sealed, b.seal(b"token-abcdef"));
    }

    #[test]
    fn wrong_key_or_tampering_is_refused() {
        let a = SecretBox::new([1; 32]);
        let b = SecretBox::new([2; 32]);
        let mut sealed = a.seal(b"x");
        assert!(b.open(&sealed).is_err());
        sealed[13] ^= 1;
        assert!(a.open(&sealed).is_err());
    }

    #[test]
    fn bad_master_keys_say_what_is_wrong() {
        assert!(SecretBox::from_base64("not base64!")
            .unwrap_err()
            .to_string()
            .contains("base64"));
        assert!(SecretBox::from_base64("AAAA")
            .unwrap_err()
            .to_string()
            .contains("32 bytes"));
    }

    #[test]
    fn hint_shows_only_the_last_four() {
        assert_eq!(hint("abcdefgh1234"), "…1234");
        assert_eq!(hint("ab"), "…ab");
    }
}
