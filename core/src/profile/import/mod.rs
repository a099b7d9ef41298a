//! Importing the profiles other IKEv2 clients use: strongSwan's `.sswan`
//! files (JSON, the Android client's import format) and Apple's
//! `.mobileconfig` files (an XML property list with an IKEv2 VPN payload).
//!
//! [`import`] turns a file's bytes into a [`Profile`], the CA certificates
//! the file carries, and a plain warning for every setting it could not
//! carry over. It reads no file and writes none: the caller (the service's
//! profile store) does.
//!
//! # What the caller must do with an [`Imported`]
//!
//! - When [`Imported::ca_certificates`] is empty, the profile is complete:
//!   it passes [`Profile::validate`] as returned (`sc.ca` is `"system"` for
//!   the certificate-checking methods, absent with `psk`).
//! - When it is not empty, `sc.ca` is `None` and the profile fails
//!   [`Profile::validate`] on `sc.ca` alone: the caller writes the
//!   certificates to a file (one DER certificate as it is, several as a PEM
//!   bundle), sets `sc.ca` to that file's path, and the profile then passes.
//!   Certificates are only returned for methods that check the SC's
//!   certificate (never with `psk`).
//!
//! # Secrets
//!
//! A profile never holds a secret. When a file carries a password or a
//! pre-shared key, it is read past, never copied into the result or an
//! error, and a warning tells the user to store it with
//! `softwire password set PROFILE`.
//!
//! # Safety of parsing
//!
//! Files over [`MAX_FILE_SIZE`] are refused before any parsing; nesting is
//! bounded; no length in the file is trusted; nothing here panics.

mod mobileconfig;
mod sswan;

use serde::{Deserialize, Serialize};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::{AuthMethodSetting, Profile, ProfileError};
use crate::pki::{CertError, TrustAnchors};

/// The largest file [`import`] reads: 1 MiB. Real profiles are a few KiB.
pub const MAX_FILE_SIZE: usize = 1 << 20;

/// The file formats [`import`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    /// strongSwan's JSON profile (`.sswan`), as its Android client imports.
    Sswan,
    /// Apple's configuration profile (`.mobileconfig`), unsigned XML.
    #[serde(alias = "mobileconfig")]
    MobileConfig,
}

impl ImportFormat {
    /// The format a file name's extension names (`.sswan`,
    /// `.mobileconfig`, in any case), if any.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let (_, extension) = name.rsplit_once('.')?;
        if extension.eq_ignore_ascii_case("sswan") {
            Some(Self::Sswan)
        } else if extension.eq_ignore_ascii_case("mobileconfig") {
            Some(Self::MobileConfig)
        } else {
            None
        }
    }
}

/// What an import produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The profile. See the module documentation for `sc.ca`.
    pub profile: Profile,
    /// DER-encoded certificates the file carries for checking the SC's
    /// certificate, to be saved and named in `sc.ca`.
    pub ca_certificates: Vec<Vec<u8>>,
    /// Settings that could not be carried over, and what was assumed
    /// instead, one plain sentence each.
    pub warnings: Vec<String>,
}

/// Why a file could not be imported. Each names the field (as the file
/// spells it) and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file is over [`MAX_FILE_SIZE`]; it was not parsed.
    #[error("the file is larger than 1 MiB ({size} bytes)")]
    TooLarge {
        /// Its size in bytes.
        size: usize,
    },
    /// A `.sswan` file that is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// A `.mobileconfig` file that is not an XML property list.
    #[error("not an XML property list: {0}")]
    NotPlist(String),
    /// Parsed, but not shaped like a profile of the format.
    #[error("not a profile: {0}")]
    NotAProfile(String),
    /// A signed (CMS) `.mobileconfig`.
    #[error("signed .mobileconfig files are not supported: export it unsigned")]
    Signed,
    /// A `.mobileconfig` without an IKEv2 VPN payload.
    #[error(
        "the file has no IKEv2 VPN payload (PayloadType \"com.apple.vpn.managed\" with \
         VPNType \"IKEv2\")"
    )]
    NoVpnPayload,
    /// A required field is absent (or empty).
    #[error("\"{field}\" is missing: {what}")]
    Missing {
        /// The field, as the file spells it ("remote.addr").
        field: String,
        /// What it should hold.
        what: &'static str,
    },
    /// A field has the wrong type or an unusable value.
    #[error("\"{field}\" {problem}")]
    Field {
        /// The field, as the file spells it.
        field: String,
        /// What is wrong, starting with a verb ("must be a number from 1 to 65535").
        problem: String,
    },
    /// A setting Softwire cannot honour, such as a client certificate in a
    /// PKCS#12 container.
    #[error("{what} is not supported: {reason}")]
    Unsupported {
        /// The setting and its value (`type "ikev2-cert"`).
        what: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// The assembled profile failed validation on a field with no
    /// counterpart in the file.
    #[error("the imported profile is not valid: {0}")]
    Invalid(ProfileError),
}

/// Reads a profile file of the given format. See the module documentation
/// for what the caller does with the result.
pub fn import(format: ImportFormat, bytes: &[u8]) -> Result<Imported, ImportError> {
    if bytes.len() > MAX_FILE_SIZE {
        return Err(ImportError::TooLarge { size: bytes.len() });
    }
    match format {
        ImportFormat::Sswan => sswan::import(bytes),
        ImportFormat::MobileConfig => mobileconfig::import(bytes),
    }
}

/// How strongSwan and Apple clients carry a client certificate, and how to
/// get one Softwire reads. `source` names where the key is in the file.
fn pkcs12_advice(source: &str) -> String {
    format!(
        "the client certificate and key come as a PKCS#12 container ({source}), which Softwire \
         does not read yet; save it as client.p12, convert it with `openssl pkcs12 -in \
         client.p12 -clcerts -nokeys -out client.crt` and `openssl pkcs12 -in client.p12 \
         -nocerts -nodes | openssl pkcs8 -topk8 -nocrypt -out client.key` (add -legacy for old \
         files), then write a TOML profile with auth.method = \"certificate\", \
         auth.certificate and auth.private_key"
    )
}

/// The warning for a secret found in the file. `what` says which secret
/// and where ("the EAP password (IKEv2.AuthPassword)"); never its value.
fn secret_warning(what: &str) -> String {
    format!(
        "the file carries {what}; it was not imported: store it with \
         `softwire password set PROFILE`"
    )
}

/// A profile name without control characters; empty if nothing is left.
fn clean_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Certificates from a field holding DER or PEM (`-----BEGIN
/// CERTIFICATE-----` blocks). Each must be usable as a trust anchor; one
/// that is not a CA certificate draws a warning.
fn certificates(
    field: &str,
    bytes: &[u8],
    warnings: &mut Vec<String>,
) -> Result<Vec<Vec<u8>>, ImportError> {
    let trimmed = bytes.trim_ascii_start();
    let ders = if trimmed.starts_with(b"-----BEGIN") {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::CertificateDer;
        let mut ders = Vec::new();
        for cert in CertificateDer::pem_slice_iter(trimmed) {
            let cert = cert.map_err(|e| ImportError::Field {
                field: field.to_owned(),
                problem: format!("is not a usable certificate: {e}"),
            })?;
            ders.push(cert.as_ref().to_vec());
        }
        if ders.is_empty() {
            return Err(ImportError::Field {
                field: field.to_owned(),
                problem: "holds no CERTIFICATE block".to_owned(),
            });
        }
        ders
    } else {
        vec![bytes.to_vec()]
    };
    for der in &ders {
        check_certificate(field, der, warnings)?;
    }
    Ok(ders)
}

/// Checks that `der` is a certificate webpki takes as a trust anchor, and
/// warns when it is not a CA certificate.
fn check_certificate(
    field: &str,
    der: &[u8],
    warnings: &mut Vec<String>,
) -> Result<(), ImportError> {
    let anchors = TrustAnchors::from_der(&[der]).map_err(|e| {
        let reason = match e {
            CertError::BadTrustAnchor { reason, .. } => reason,
            other => other.to_string(),
        };
        ImportError::Field {
            field: field.to_owned(),
            problem: format!("is not a usable certificate: {reason}"),
        }
    })?;
    let subject = anchors.subjects().first().cloned().unwrap_or_default();
    let is_ca = X509Certificate::from_der(der).is_ok_and(|(_, cert)| cert.is_ca());
    if !is_ca {
        warnings.push(format!(
            "the certificate in {field} (\"{subject}\") is not a CA certificate: Softwire \
             accepts the SC only with a certificate issued by it (or this very certificate, if \
             self-signed); if connecting fails, use the CA certificate that issued the SC's"
        ));
    }
    Ok(())
}

/// Completes an import: sets `sc.ca` as the module documentation says,
/// drops duplicate certificates, and validates, naming the file's field
/// for a failure. `fields` maps profile fields to the file's.
fn finish(
    mut profile: Profile,
    mut ca_certificates: Vec<Vec<u8>>,
    mut warnings: Vec<String>,
    fields: &[(&str, &str)],
) -> Result<Imported, ImportError> {
    let mut unique: Vec<Vec<u8>> = Vec::with_capacity(ca_certificates.len());
    for cert in ca_certificates.drain(..) {
        if !unique.contains(&cert) {
            unique.push(cert);
        }
    }
    let mut ca_certificates = unique;
    if profile.auth.method == AuthMethodSetting::Psk {
        profile.sc.ca = None;
        if !ca_certificates.is_empty() {
            warnings.push(
                "the file's certificates were not imported: with a pre-shared key the SC proves \
                 itself with the same key, not a certificate"
                    .to_owned(),
            );
            ca_certificates.clear();
        }
    } else if ca_certificates.is_empty() {
        profile.sc.ca = Some("system".to_owned());
        warnings.push(
            "the file carries no CA certificate: the SC's certificate will be checked against \
             the system trust store (sc.ca = \"system\")"
                .to_owned(),
        );
    } else {
        profile.sc.ca = None;
    }

    let mut check = profile.clone();
    if !ca_certificates.is_empty() {
        // Stands for the path the caller will fill in.
        check.sc.ca = Some("imported-ca.pem".to_owned());
    }
    check.validate().map_err(|e| match e {
        ProfileError::Field { field, problem } => {
            match fields.iter().find(|(ours, _)| *ours == field) {
                Some((_, theirs)) => ImportError::Field {
                    field: (*theirs).to_owned(),
                    problem: format!("is not usable: {problem}"),
                },
                None => ImportError::Invalid(ProfileError::Field { field, problem }),
            }
        }
        other => ImportError::Invalid(other),
    })?;
    Ok(Imported {
        profile,
        ca_certificates,
        warnings,
    })
}

/// Split-tunnel routes from the forms strongSwan accepts: "ADDRESS/LENGTH",
/// a single address, or a range "FIRST-LAST" (turned into the fewest
/// prefixes that cover it exactly).
fn routes(field: &str, entries: &[String]) -> Result<Vec<String>, ImportError> {
    let bad = |problem: String| ImportError::Field {
        field: field.to_owned(),
        problem,
    };
    let mut routes = Vec::new();
    for entry in entries {
        let entry = entry.trim();
        if entry.contains('/') {
            let prefix = super::validate::parse_prefix("tunnel.routes", entry).map_err(|e| {
                bad(match e {
                    ProfileError::Field { problem, .. } => format!("holds a bad prefix: {problem}"),
                    other => other.to_string(),
                })
            })?;
            routes.push(format!("{}/{}", prefix.address, prefix.length));
        } else if let Some((first, last)) = entry.split_once('-') {
            let parse = |text: &str| {
                text.trim().parse::<std::net::IpAddr>().map_err(|_| {
                    bad(format!("holds \"{entry}\", which is not an address range like 203.0.113.10-203.0.113.20"))
                })
            };
            routes.extend(range_prefixes(parse(first)?, parse(last)?).ok_or_else(|| {
                bad(format!(
                    "holds \"{entry}\": a range must go from a lower to a higher address of one family"
                ))
            })?);
        } else {
            let address: std::net::IpAddr = entry.parse().map_err(|_| {
                bad(format!(
                    "holds \"{entry}\", which is neither a prefix like 203.0.113.0/24, an address, nor a range"
                ))
            })?;
            let length = if address.is_ipv4() { 32 } else { 128 };
            routes.push(format!("{address}/{length}"));
        }
    }
    Ok(routes)
}

/// The prefixes that exactly cover `first..=last`; `None` when the two are
/// of different families or out of order.
fn range_prefixes(first: std::net::IpAddr, last: std::net::IpAddr) -> Option<Vec<String>> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let (start, end, bits) = match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            (u128::from(u32::from(a)), u128::from(u32::from(b)), 32u32)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128u32),
        _ => return None,
    };
    if start > end {
        return None;
    }
    let mut prefixes = Vec::new();
    let mut next = start;
    loop {
        // The largest block aligned at `next` that does not pass `end`.
        let span = end.checked_sub(next)?;
        let fits = match span.checked_add(1) {
            Some(count) => 127u32.checked_sub(count.leading_zeros())?,
            None => 128,
        };
        let size_bits = next.trailing_zeros().min(fits).min(bits);
        let length = bits.checked_sub(size_bits)?;
        let address = if bits == 32 {
            IpAddr::V4(Ipv4Addr::from(u32::try_from(next).ok()?))
        } else {
            IpAddr::V6(Ipv6Addr::from(next))
        };
        prefixes.push(format!("{address}/{length}"));
        let block = 1u128.checked_shl(size_bits);
        match block.and_then(|b| next.checked_add(b)) {
            Some(after) if after <= end => next = after,
            _ => break,
        }
    }
    Some(prefixes)
}

#[cfg(test)]
mod tests;
