//! API keys at rest: encrypted with XChaCha20-Poly1305 under a key kept in
//! `<data-dir>/secret.key` (mode 0600, made on first start). Only a masked tail is ever shown.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

const KEY_FILE: &str = "secret.key";
const NONCE: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot use {KEY_FILE}: {0}")]
    Io(#[from] std::io::Error),
    #[error("{KEY_FILE} is damaged: it must hold exactly 32 bytes")]
    BadKey,
    #[error(
        "a stored API key cannot be decrypted: was {KEY_FILE} replaced? Enter the key again in Settings"
    )]
    Decrypt,
}

/// Encrypts and decrypts stored API keys.
#[derive(Clone)]
pub struct Vault {
    cipher: Arc<XChaCha20Poly1305>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(***)")
    }
}

impl Vault {
    /// Opens the data dir's key, making one when there is none.
    pub fn open(data_dir: &Path) -> Result<Self, Error> {
        let path = data_dir.join(KEY_FILE);
        let key = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = vec![0u8; 32];
                OsRng.fill_bytes(&mut key);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path)?;
                file.write_all(&key)?;
                file.sync_all()?;
                key
            }
            Err(e) => return Err(e.into()),
        };
        if key.len() != 32 {
            return Err(Error::BadKey);
        }
        Ok(Self {
            cipher: Arc::new(XChaCha20Poly1305::new(Key::from_slice(&key))),
        })
    }

    /// Nonce followed by ciphertext.
    pub fn seal(&self, secret: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption of an in-memory buffer with a valid key cannot fail.
        if let Ok(sealed) = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), secret.as_bytes())
        {
            out.extend(sealed);
        }
        out
    }

    pub fn open_sealed(&self, sealed: &[u8]) -> Result<String, Error> {
        if sealed.len() <= NONCE {
            return Err(Error::Decrypt);
        }
        let (nonce, data) = sealed.split_at(NONCE);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), data)
            .map_err(|_| Error::Decrypt)?;
        String::from_utf8(plain).map_err(|_| Error::Decrypt)
    }
}

/// The last four characters behind a mask, for showing which key is set.
pub fn mask(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if secret.chars().count() <= 8 {
        "••••".into()
    } else {
        format!("••••{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_with_a_private_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        let sealed = vault.seal("sk-test-1234567890");
        assert!(!String::from_utf8_lossy(&sealed).contains("sk-test"));
        assert_eq!(vault.open_sealed(&sealed).unwrap(), "sk-test-1234567890");
        // The same key file opens it again after a restart.
        let again = Vault::open(dir.path()).unwrap();
        assert_eq!(again.open_sealed(&sealed).unwrap(), "sk-test-1234567890");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = tempfile::tempdir().unwrap();
        let stranger = Vault::open(other.path()).unwrap();
        assert!(matches!(stranger.open_sealed(&sealed), Err(Error::Decrypt)));
    }

    #[test]
    fn masks_show_only_a_tail() {
        assert_eq!(mask("sk-abcdefgh1234"), "••••1234");
        assert_eq!(mask("short"), "••••");
    }
}
