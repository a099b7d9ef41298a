//! Profiles' passwords and pre-shared keys in the user's OS keychain
//! (`softwire_platform::keychain`), off the async runtime: every keychain
//! call blocks (D-Bus round trips, perhaps an unlock prompt). A
//! [`Keychain`] is made for each use. Secrets are never logged.

use softwire_api::Secret;
use softwire_platform::keychain::{Keychain, KeychainError};

async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, KeychainError> + Send + 'static,
) -> Result<T, KeychainError> {
    tauri::async_runtime::spawn_blocking(job)
        .await
        .unwrap_or_else(|e| {
            Err(KeychainError::Other(format!(
                "the keychain task failed: {e}"
            )))
        })
}

/// The profile's saved secret, `None` when it has none.
pub async fn read(profile: String) -> Result<Option<Secret>, KeychainError> {
    blocking(move || {
        let saved = Keychain::for_profile(&profile)?.get()?;
        // Moves the text (no copy) out of one wiped container into another.
        Ok(saved.map(|mut text| Secret::new(std::mem::take(&mut *text))))
    })
    .await
}

/// Saves `secret` for the profile, replacing what was there.
pub async fn store(profile: String, secret: Secret) -> Result<(), KeychainError> {
    blocking(move || Keychain::for_profile(&profile)?.set(secret.expose())).await
}

/// Removes the profile's secret; `true` when there was one.
pub async fn clear(profile: String) -> Result<bool, KeychainError> {
    blocking(move || Keychain::for_profile(&profile)?.clear()).await
}

/// Whether the keychain holds a secret for the profile. No keychain at
/// all means it holds none.
pub async fn saved(profile: String) -> Result<bool, KeychainError> {
    match read(profile).await {
        Ok(found) => Ok(found.is_some()),
        Err(KeychainError::NoBackend(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Moves the secret of a renamed profile to its new name (best effort:
/// the caller reports a failure as a warning).
pub async fn rename(from: String, to: String) -> Result<bool, KeychainError> {
    let Some(secret) = read(from.clone()).await? else {
        return Ok(false);
    };
    store(to, secret).await?;
    clear(from).await?;
    Ok(true)
}
