//! Linux: the Secret Service on the session bus, through
//! `zbus-secret-service-keyring-store`.

use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use super::KeychainError;

pub(super) const LOCKED: &str =
    "the keyring is locked, and unlocking it failed (no unlock prompt in this session?)";
pub(super) const LOCKED_ADVICE: &str = "unlock it (log in to the desktop, or \
    `gnome-keyring-daemon --unlock`), or use --secret-file";
pub(super) const FAILURE_ADVICE: &str = "check that the Secret Service (gnome-keyring, \
    KWallet) is still running in this session, or use --secret-file";
pub(super) const AMBIGUOUS_ADVICE: &str = "remove the extra ones (`secret-tool clear \
    service softwire username PROFILE`), or save the secret again";

/// Connects to the Secret Service named on the session bus
/// (`DBUS_SESSION_BUS_ADDRESS`, or `$XDG_RUNTIME_DIR/bus`) and opens an
/// encrypted session with it.
pub(super) fn store() -> Result<Arc<CredentialStore>, KeychainError> {
    match zbus_secret_service_keyring_store::Store::new() {
        Ok(store) => Ok(store),
        Err(e) => Err(KeychainError::NoBackend(format!(
            "no keychain: the Secret Service (gnome-keyring, KWallet) is not running in \
             this session; start it, or use --secret-file ({e})"
        ))),
    }
}

/// The item in the default collection, labelled for the user.
pub(super) fn build_entry(
    store: &Arc<CredentialStore>,
    service: &str,
    account: &str,
) -> keyring_core::Result<Entry> {
    let label = format!("Softwire: {account}");
    let modifiers = HashMap::from([("label", label.as_str())]);
    store.build(service, account, Some(&modifiers))
}
