//! Windows: a generic credential in the Credential Manager, through
//! `windows-native-keyring-store`. Only type-checked so far.

use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use super::KeychainError;

pub(super) const LOCKED: &str =
    "the Credential Manager refused access (no logon session, as for a service account?)";
pub(super) const LOCKED_ADVICE: &str = "run this as the signed-in user, or use --secret-file";
pub(super) const FAILURE_ADVICE: &str = "check the entry in the Credential Manager \
    (Windows Credentials), or use --secret-file";
pub(super) const AMBIGUOUS_ADVICE: &str = "remove the extra ones in the Credential \
    Manager (Windows Credentials), or save the secret again";

/// The Credential Manager (nothing is opened until an entry is used).
pub(super) fn store() -> Result<Arc<CredentialStore>, KeychainError> {
    match windows_native_keyring_store::Store::new() {
        Ok(store) => Ok(store),
        Err(e) => Err(KeychainError::NoBackend(format!(
            "no keychain: the Credential Manager cannot be used ({e}); use --secret-file"
        ))),
    }
}

/// A credential named `<profile>.softwire`, kept on this machine only
/// (`Local` persistence: it does not roam with a domain profile).
pub(super) fn build_entry(
    store: &Arc<CredentialStore>,
    service: &str,
    account: &str,
) -> keyring_core::Result<Entry> {
    let modifiers = HashMap::from([("persistence", "Local")]);
    store.build(service, account, Some(&modifiers))
}
