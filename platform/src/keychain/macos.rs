//! macOS: a generic password in the user's (login) keychain, through
//! `apple-native-keyring-store`. Only type-checked so far.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use super::KeychainError;

pub(super) const LOCKED: &str = "the login keychain is locked or refused access";
pub(super) const LOCKED_ADVICE: &str =
    "unlock it (Keychain Access) and allow Softwire, or use --secret-file";
pub(super) const FAILURE_ADVICE: &str = "check the login keychain in Keychain Access, \
    or use --secret-file";
pub(super) const AMBIGUOUS_ADVICE: &str = "remove the extra ones in Keychain Access \
    (service softwire), or save the secret again";

/// The user's keychain domain (nothing is opened until an entry is used).
pub(super) fn store() -> Result<Arc<CredentialStore>, KeychainError> {
    match apple_native_keyring_store::keychain::Store::new() {
        Ok(store) => Ok(store),
        Err(e) => Err(KeychainError::NoBackend(format!(
            "no keychain: the login keychain cannot be used ({e}); use --secret-file"
        ))),
    }
}

pub(super) fn build_entry(
    store: &Arc<CredentialStore>,
    service: &str,
    account: &str,
) -> keyring_core::Result<Entry> {
    store.build(service, account, None)
}
