//! From a profile and this attempt's secret to the initiator's configuration.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use softwire_core::crypto::SecretBytes;
use softwire_core::ike::initiator::{ClientAuth, InitiatorConfig, Lifetime, ScAuth};
use softwire_core::ike::payload::{AddressRange, Identification};
use softwire_core::pki::{LocalSigner, TrustAnchors, UnixTime};
use softwire_core::profile::{AuthMethodSetting, CaSetting, Prefix, Profile, TunnelMode};

use crate::SessionError;

/// Builds the initiator configuration. `secret` is the password (EAP) or
/// the pre-shared key; certificate profiles need none.
pub fn initiator_config(
    profile: &Profile,
    secret: Option<SecretBytes>,
    wall_clock: UnixTime,
) -> Result<InitiatorConfig, SessionError> {
    let local_id = Identification::from_text(&profile.auth.identity);
    let remote_id = Identification::from_text(profile.sc_identity());
    let need_secret = || {
        secret
            .clone()
            .ok_or(SessionError::MissingSecret(profile.auth.method))
    };
    let (client_auth, sc_auth) = match profile.auth.method {
        AuthMethodSetting::Psk => {
            let psk = need_secret()?;
            (ClientAuth::Psk(psk.clone()), ScAuth::SharedKey(psk))
        }
        AuthMethodSetting::EapMschapv2 => (
            ClientAuth::EapMsChapV2 {
                identity: profile.auth.identity.clone(),
                password: need_secret()?,
            },
            ScAuth::Certificate(anchors(profile)?),
        ),
        AuthMethodSetting::Certificate => {
            let cert_path = profile
                .auth
                .certificate
                .as_deref()
                .ok_or(SessionError::Profile("auth.certificate is missing"))?;
            let key_path = profile
                .auth
                .private_key
                .as_deref()
                .ok_or(SessionError::Profile("auth.private_key is missing"))?;
            check_private(key_path)?;
            let key = read_der(key_path, "PRIVATE KEY")?;
            let signer = LocalSigner::from_pkcs8(&key)
                .map_err(|e| SessionError::Credential(format!("{}: {e}", key_path.display())))?;
            (
                ClientAuth::Certificate {
                    signer,
                    certificate: read_der(cert_path, "CERTIFICATE")?,
                    intermediates: Vec::new(),
                },
                ScAuth::Certificate(anchors(profile)?),
            )
        }
    };
    let mut config = InitiatorConfig::new(local_id, remote_id, client_auth, sc_auth);
    config.wall_clock = Some(wall_clock);
    let jitter = |after: Duration| after * u32::from(profile.rekey.jitter_percent) / 100;
    let rekey_after = Duration::from_secs(profile.rekey.child_seconds);
    config.child_lifetime = Lifetime {
        rekey_after,
        jitter: jitter(rekey_after),
    };
    let ike_after = Duration::from_secs(profile.rekey.ike_seconds);
    config.ike_lifetime = Lifetime {
        rekey_after: ike_after,
        jitter: jitter(ike_after),
    };
    config.child_pfs = profile.rekey.pfs.then_some(config.first_group);
    config.dpd_interval =
        (profile.rekey.dpd_seconds > 0).then(|| Duration::from_secs(profile.rekey.dpd_seconds));
    if profile.tunnel.mode == TunnelMode::Split {
        let prefixes = profile
            .split_routes()
            .map_err(|e| SessionError::Credential(e.to_string()))?;
        config.remote_ts = prefixes.iter().map(prefix_range).collect();
    }
    Ok(config)
}

fn anchors(profile: &Profile) -> Result<TrustAnchors, SessionError> {
    match profile.ca() {
        None => Err(SessionError::Profile("sc.ca is missing")),
        Some(CaSetting::System) => softwire_platform::trust_store::system_anchors()
            .map(|s| s.anchors)
            .map_err(|e| SessionError::Credential(e.to_string())),
        Some(CaSetting::File(path)) => {
            let bytes = read(&path)?;
            let parsed = if bytes.starts_with(b"-----BEGIN") {
                TrustAnchors::from_pem(&bytes)
            } else {
                TrustAnchors::from_der(&[bytes])
            };
            parsed.map_err(|e| SessionError::Credential(format!("{}: {e}", path.display())))
        }
    }
}

/// A private key file must be readable by its owner alone (as ssh asks
/// of its keys): anything more and someone else may have a copy.
pub fn check_private(path: &Path) -> Result<(), SessionError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| {
            SessionError::Credential(format!("cannot read {}: {e}", path.display()))
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SessionError::Credential(format!(
                "{} is readable by others (mode {mode:03o}): a private key must be readable by its owner only; chmod 600 it",
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, SessionError> {
    std::fs::read(path)
        .map_err(|e| SessionError::Credential(format!("cannot read {}: {e}", path.display())))
}

/// Reads a DER file, or the first PEM block of the kind `label` names.
fn read_der(path: &Path, label: &str) -> Result<Vec<u8>, SessionError> {
    let bytes = read(path)?;
    if !bytes.starts_with(b"-----BEGIN") {
        return Ok(bytes);
    }
    let bad = |e: rustls_pki_types::pem::Error| {
        SessionError::Credential(format!("{}: {label} PEM: {e}", path.display()))
    };
    if label == "CERTIFICATE" {
        CertificateDer::from_pem_slice(&bytes)
            .map(|c| c.as_ref().to_vec())
            .map_err(bad)
    } else {
        PrivatePkcs8KeyDer::from_pem_slice(&bytes)
            .map(|k| k.secret_pkcs8_der().to_vec())
            .map_err(bad)
    }
}

/// The address range of a prefix (all protocols and ports).
pub fn prefix_range(p: &Prefix) -> AddressRange {
    match p.address {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let mask = u32::MAX.checked_shl(32 - u32::from(p.length)).unwrap_or(0);
            AddressRange::any(
                IpAddr::V4((bits & mask).into()),
                IpAddr::V4((bits | !mask).into()),
            )
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let mask = u128::MAX
                .checked_shl(128 - u32::from(p.length))
                .unwrap_or(0);
            AddressRange::any(
                IpAddr::V6((bits & mask).into()),
                IpAddr::V6((bits | !mask).into()),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn private_keys_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::temp_dir().join(format!("softwire-key-{}.pem", std::process::id()));
        std::fs::write(&path, b"-----BEGIN PRIVATE KEY-----\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = check_private(&path).unwrap_err().to_string();
        assert!(e.contains("mode 644") && e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(check_private(&path).is_ok());
        std::fs::remove_file(&path).unwrap();
        assert!(check_private(&path)
            .unwrap_err()
            .to_string()
            .contains("cannot read"));
    }
}
