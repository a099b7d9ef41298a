//! The operating system's certificate trust store, for profiles that trust
//! "the system's CAs" for their SC rather than naming a CA.
//!
//! Linux reads the distribution's bundle (honouring `SSL_CERT_FILE` and
//! `SSL_CERT_DIR`), macOS the Keychain trust settings, Windows the
//! certificate store, all through `rustls-native-certs`.

use softwire_core::pki::{CertError, TrustAnchors};

/// Why the system store gave no anchors.
#[derive(Debug, thiserror::Error)]
pub enum TrustStoreError {
    /// The store could not be read at all.
    #[error("the system trust store could not be read: {0}")]
    Unreadable(String),
    /// It held no certificate usable as a trust anchor.
    #[error("the system trust store has no usable CA certificates: {0}")]
    Empty(#[from] CertError),
}

/// What was loaded.
#[derive(Debug)]
pub struct SystemAnchors {
    /// The anchors.
    pub anchors: TrustAnchors,
    /// Certificates in the store that could not serve as anchors.
    pub skipped: usize,
    /// Problems reading parts of the store (files, keychains), as text.
    pub warnings: Vec<String>,
}

/// Loads the system's trusted CA certificates.
pub fn system_anchors() -> Result<SystemAnchors, TrustStoreError> {
    let result = rustls_native_certs::load_native_certs();
    let warnings: Vec<String> = result.errors.iter().map(ToString::to_string).collect();
    if result.certs.is_empty() {
        return Err(TrustStoreError::Unreadable(if warnings.is_empty() {
            "no certificates found".to_owned()
        } else {
            warnings.join("; ")
        }));
    }
    let (anchors, skipped) = TrustAnchors::from_der_lenient(&result.certs)?;
    Ok(SystemAnchors {
        anchors,
        skipped,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The machine's real store: Debian's ca-certificates bundle here.
    #[test]
    fn loads_the_real_system_store() {
        let loaded = system_anchors().expect("the system store loads");
        assert!(
            loaded.anchors.len() > 50,
            "only {} anchors",
            loaded.anchors.len()
        );
        assert!(
            loaded
                .anchors
                .subjects()
                .iter()
                .any(|s| s.contains("ISRG Root X1")),
            "a widely trusted root is missing"
        );
    }
}
