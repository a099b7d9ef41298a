//! A profile's secret (password, PSK) in the user's keychain.
//!
//! One entry per profile: service `softwire`, account the profile's name.
//! The store is chosen explicitly for each OS (keyring-core's entry API
//! over one store crate; keyring-core's process-wide default store is not
//! used, and there is no mock store to fall back to):
//!
//! - **Linux**: the Secret Service on the session bus (gnome-keyring,
//!   KWallet, KeePassXC), over `zbus` (pure Rust, no libdbus), the secret
//!   encrypted in transit with the session's DH-negotiated key. Items go
//!   into the default collection, labelled `Softwire: <profile>`, with the
//!   attributes `service` and `username` (so `secret-tool lookup service
//!   softwire username <profile>` finds them).
//! - **macOS**: the user's login keychain (a generic password).
//! - **Windows**: the Credential Manager (a generic credential named
//!   `<profile>.softwire`).
//!
//! Each [`Keychain`] connects to the store when it is made (a Secret
//! Service connection on Linux), so [`Keychain::for_profile`] already says
//! whether there is a keychain at all; make one per use rather than keeping
//! one for the life of a process.
//!
//! **Blocking**: every call waits for the store (on Linux, D-Bus round
//! trips, and possibly an unlock prompt). From async code, call it inside
//! `tokio::task::spawn_blocking`.
//!
//! **Secrets**: what is read is returned in a [`Zeroizing`] string, and the
//! secret never appears in an error, a log line or a `Debug` output. Copies
//! made inside the store crates (the D-Bus message buffers, the OS's own
//! APIs) are out of reach.
//!
//! **Unverified at run time**: the macOS and Windows stores are only
//! type-checked here.

use std::fmt;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};
use zeroize::{Zeroize, Zeroizing};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as os;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as os;
#[cfg(target_os = "windows")]
mod windows;
#[cfg(target_os = "windows")]
use windows as os;

/// The service name every Softwire entry is filed under.
pub const SERVICE: &str = "softwire";

/// What the user can do instead of the keychain (the CLI's option).
const INSTEAD: &str = "or use --secret-file";

/// Why the keychain could not be used. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    /// There is no keychain to talk to (no Secret Service in this session,
    /// no login keychain).
    #[error("{0}")]
    NoBackend(String),
    /// The keychain is locked, and unlocking it failed or was refused.
    #[error("{0}")]
    Locked(String),
    /// The keychain refused or failed the operation.
    #[error("{0}")]
    Access(String),
    /// Anything else: an unusable profile name, an entry that is not text,
    /// several matching entries.
    #[error("{0}")]
    Other(String),
}

/// One profile's entry in the user's keychain. See the [module
/// documentation](self).
pub struct Keychain {
    account: String,
    store: Arc<CredentialStore>,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keychain")
            .field("service", &SERVICE)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Keychain {
    /// The entry for a profile: service `softwire`, account = profile name.
    ///
    /// Connects to the OS's keychain; [`KeychainError::NoBackend`] when
    /// there is none (on Linux: no Secret Service on the session bus).
    pub fn for_profile(profile: &str) -> Result<Keychain, KeychainError> {
        if profile.is_empty() {
            return Err(KeychainError::Other(
                "a keychain entry needs a profile name, and this one is empty".into(),
            ));
        }
        if profile.chars().any(char::is_control) {
            return Err(KeychainError::Other(format!(
                "profile name {profile:?} has control characters, which the keychain \
                 cannot file: rename the profile"
            )));
        }
        let store = os::store()?;
        Ok(Keychain {
            account: profile.to_owned(),
            store,
        })
    }

    /// The service name (`softwire`).
    pub fn service(&self) -> &str {
        SERVICE
    }

    /// The account: the profile's name.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The saved secret, `None` when the profile has no entry.
    pub fn get(&self) -> Result<Option<Zeroizing<String>>, KeychainError> {
        let entry = self.entry()?;
        match entry.get_password() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(keyring_core::Error::BadEncoding(mut bytes)) => {
                bytes.zeroize();
                Err(KeychainError::Other(format!(
                    "the keychain entry of profile {:?} is not UTF-8 text: save the \
                     secret again, {INSTEAD}",
                    self.account
                )))
            }
            Err(e) => Err(self.error("read", e)),
        }
    }

    /// Saves `secret` for the profile, replacing what was there.
    ///
    /// Several matching entries (made by other tools) are all removed first.
    pub fn set(&self, secret: &str) -> Result<(), KeychainError> {
        if secret.is_empty() {
            return Err(KeychainError::Other(
                "refusing to save an empty secret in the keychain: to remove the \
                 entry, clear it instead"
                    .into(),
            ));
        }
        let entry = self.entry()?;
        match entry.set_password(secret) {
            Ok(()) => Ok(()),
            Err(keyring_core::Error::Ambiguous(entries)) => {
                delete_all(entries).map_err(|e| self.error("replace", e))?;
                entry
                    .set_password(secret)
                    .map_err(|e| self.error("save", e))
            }
            Err(e) => Err(self.error("save", e)),
        }
    }

    /// Removes the profile's entry; `true` when something was deleted.
    ///
    /// Several matching entries (made by other tools) are all removed.
    pub fn clear(&self) -> Result<bool, KeychainError> {
        let entry = self.entry()?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(keyring_core::Error::Ambiguous(entries)) => {
                delete_all(entries).map_err(|e| self.error("delete", e))?;
                Ok(true)
            }
            Err(e) => Err(self.error("delete", e)),
        }
    }

    fn entry(&self) -> Result<Entry, KeychainError> {
        os::build_entry(&self.store, SERVICE, &self.account).map_err(|e| self.error("open", e))
    }

    /// Turns a store's error into ours, with advice. Only the causes'
    /// `Display` is used; the secret bytes some variants carry are zeroed
    /// and never shown.
    fn error(&self, doing: &str, e: keyring_core::Error) -> KeychainError {
        let what = format!(
            "could not {doing} the keychain entry of profile {:?}",
            self.account
        );
        match e {
            keyring_core::Error::NoStorageAccess(cause) => KeychainError::Locked(format!(
                "{what}: {} ({cause}); {}",
                os::LOCKED,
                os::LOCKED_ADVICE
            )),
            keyring_core::Error::PlatformFailure(cause) => {
                KeychainError::Access(format!("{what}: {cause}; {}", os::FAILURE_ADVICE))
            }
            keyring_core::Error::Ambiguous(entries) => KeychainError::Other(format!(
                "{what}: {} entries match it: {}",
                entries.len(),
                os::AMBIGUOUS_ADVICE
            )),
            keyring_core::Error::BadEncoding(mut bytes) => {
                bytes.zeroize();
                KeychainError::Other(format!("{what}: it is not UTF-8 text; save it again"))
            }
            keyring_core::Error::BadDataFormat(mut bytes, cause) => {
                bytes.zeroize();
                KeychainError::Other(format!("{what}: {cause}; save it again"))
            }
            keyring_core::Error::TooLong(field, limit) => KeychainError::Other(format!(
                "{what}: the {field} is longer than the keychain allows ({limit})"
            )),
            keyring_core::Error::Invalid(field, reason) => {
                KeychainError::Other(format!("{what}: the {field} {reason}"))
            }
            other => KeychainError::Other(format!("{what}: {other}")),
        }
    }
}

fn delete_all(entries: Vec<Entry>) -> keyring_core::Result<()> {
    for entry in entries {
        match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
