//! The profile's CA, and validation of the SC's certificate chain and
//! identity (RFC 7296 §3.6–3.7, RFC 4945 §3.1 and §5, RFC 5280 §6).

use std::fmt;

use ring::digest;
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use thiserror::Error;
use webpki::{
    EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeId, KeyPurposeIdIter, KeyUsage,
    RequiredEkuNotFoundContext,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::time::ASN1Time;

use super::der::{self, oid_to_string};
use super::identity::{subject_text, CertificateNames, ExpectedIdentity};
use super::signature::{PublicKey, PublicKeyKind};

/// Why the SC's certificate, or the profile's CA, was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CertError {
    /// The profile names no CA certificate.
    #[error("the profile has no CA certificate to check the SC's certificate against")]
    NoTrustAnchors,
    /// One of the profile's CA certificates could not be read.
    #[error(
        "CA certificate #{index} in the profile could not be read ({reason}); it must be an \
         X.509 certificate in DER or PEM form"
    )]
    BadTrustAnchor {
        /// Its position in the profile, from 1.
        index: usize,
        /// What the parser reported.
        reason: String,
    },
    /// A certificate the SC sent could not be parsed.
    #[error("the SC's {which} could not be parsed ({reason})")]
    Malformed {
        /// Which certificate: "certificate" or "intermediate certificate #n".
        which: String,
        /// What the parser reported.
        reason: String,
    },
    /// No chain from the SC's certificate reaches one of the profile's CAs.
    #[error(
        "the SC's certificate chain does not lead to the CA in the profile (unknown issuer): \
         its certificate was issued by \"{issuer}\", and the profile trusts {trusted}"
    )]
    UnknownIssuer {
        /// The issuer named in the SC's certificate.
        issuer: String,
        /// The subjects of the profile's CA certificates.
        trusted: String,
    },
    /// A certificate in the chain has expired.
    #[error(
        "certificate expired on {not_after}: \"{subject}\" is no longer valid (it is now {now}); \
         renew it on the SC, or check this device's clock"
    )]
    Expired {
        /// The expired certificate's subject.
        subject: String,
        /// Its notAfter time, UTC.
        not_after: String,
        /// The time it was checked at, UTC.
        now: String,
    },
    /// A certificate in the chain is not valid yet.
    #[error(
        "certificate \"{subject}\" is not valid until {not_before} (it is now {now}); check \
         this device's clock"
    )]
    NotYetValid {
        /// The certificate's subject.
        subject: String,
        /// Its notBefore time, UTC.
        not_before: String,
        /// The time it was checked at, UTC.
        now: String,
    },
    /// The extended key usage forbids use for IKE.
    #[error(
        "the SC's certificate may not be used for IKE: its extended key usage allows only \
         {present}; reissue it with serverAuth or id-kp-ipsecIKE, or without an extended key \
         usage (RFC 4945 §5.1.3.12)"
    )]
    KeyUsageNotAllowed {
        /// The key purposes the certificate lists.
        present: String,
    },
    /// The key usage extension forbids signing (RFC 4945 §5.1.3.2).
    #[error(
        "the SC's certificate may not be used for IKE: its key usage ({present}) includes \
         neither digitalSignature nor nonRepudiation (RFC 4945 §5.1.3.2); reissue it with \
         digitalSignature"
    )]
    KeyUsageForbidsSigning {
        /// The key usages the certificate lists.
        present: String,
    },
    /// A signature in the chain does not verify.
    #[error(
        "a signature in the SC's certificate chain does not verify with its issuer's key: the \
         chain is forged or corrupted"
    )]
    BadChainSignature,
    /// A certificate is signed with an algorithm this client does not
    /// accept.
    #[error(
        "the SC's certificate chain uses an unsupported signature algorithm ({algorithm}); \
         Softwire accepts RSA PKCS #1 v1.5 and RSA-PSS with SHA-2 (2048 to 8192 bits), ECDSA \
         P-256/P-384 and Ed25519"
    )]
    UnsupportedAlgorithm {
        /// The algorithm's OID or description.
        algorithm: String,
    },
    /// The chain breaks a structural rule of RFC 5280 (basic constraints,
    /// path length, name constraints, critical extensions).
    #[error("the SC's certificate chain is not valid: {reason}")]
    InvalidChain {
        /// What rule it breaks.
        reason: String,
    },
    /// The certificate does not name the identity the profile expects.
    #[error("the SC's certificate names {presented}, but the profile expects {expected}")]
    IdentityMismatch {
        /// The identity the profile expects.
        expected: ExpectedIdentity,
        /// The names of that kind the certificate carries.
        presented: String,
    },
}

/// The profile's CA certificates: the trust anchors the SC's chain must
/// lead to (RFC 5280 §6.1.1 (d)).
#[derive(Clone)]
pub struct TrustAnchors {
    /// The anchors as webpki uses them.
    anchors: Vec<TrustAnchor<'static>>,
    /// The CA certificates as given.
    certs: Vec<Vec<u8>>,
    /// Their subjects, for messages.
    subjects: Vec<String>,
}

impl fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustAnchors")
            .field("subjects", &self.subjects)
            .finish()
    }
}

impl TrustAnchors {
    /// Trust anchors from one or more DER-encoded CA certificates.
    pub fn from_der<C: AsRef<[u8]>>(certs: &[C]) -> Result<Self, CertError> {
        if certs.is_empty() {
            return Err(CertError::NoTrustAnchors);
        }
        let mut anchors = Vec::with_capacity(certs.len());
        let mut owned = Vec::with_capacity(certs.len());
        let mut subjects = Vec::with_capacity(certs.len());
        for (i, cert) in certs.iter().enumerate() {
            let index = i.saturating_add(1);
            let bad = |reason: String| CertError::BadTrustAnchor { index, reason };
            let cert = cert.as_ref();
            let der = CertificateDer::from(cert);
            let anchor = webpki::anchor_from_trusted_cert(&der)
                .map_err(|e| bad(format!("{e}")))?
                .to_owned();
            let subject = match X509Certificate::from_der(cert) {
                Ok((_, parsed)) => subject_text(parsed.subject()),
                Err(e) => return Err(bad(format!("{e}"))),
            };
            anchors.push(anchor);
            owned.push(cert.to_vec());
            subjects.push(subject);
        }
        Ok(Self {
            anchors,
            certs: owned,
            subjects,
        })
    }

    /// Trust anchors from a system store, which may hold certificates webpki
    /// cannot use as anchors (old encodings, unusual extensions): those are
    /// skipped and counted in the second value rather than failing the
    /// whole store. Fails only when no usable anchor is left.
    pub fn from_der_lenient<C: AsRef<[u8]>>(certs: &[C]) -> Result<(Self, usize), CertError> {
        let usable: Vec<&[u8]> = certs
            .iter()
            .map(AsRef::as_ref)
            .filter(|c| Self::from_der(&[*c]).is_ok())
            .collect();
        let skipped = certs.len().saturating_sub(usable.len());
        Ok((Self::from_der(&usable)?, skipped))
    }

    /// How many anchors there are.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there are none (never true for a constructed value).
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Trust anchors from PEM text holding one or more `CERTIFICATE`
    /// blocks (RFC 7468 §5); text outside the blocks is ignored.
    pub fn from_pem(pem: &[u8]) -> Result<Self, CertError> {
        use rustls_pki_types::pem::PemObject;
        let mut certs = Vec::new();
        for (i, cert) in CertificateDer::pem_slice_iter(pem).enumerate() {
            let cert = cert.map_err(|e| CertError::BadTrustAnchor {
                index: i.saturating_add(1),
                reason: format!("{e}"),
            })?;
            certs.push(cert.as_ref().to_vec());
        }
        Self::from_der(&certs)
    }

    /// The subjects of the CA certificates, for display.
    pub fn subjects(&self) -> &[String] {
        &self.subjects
    }

    /// The CA certificates, DER-encoded, as given.
    pub fn certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.certs.iter().map(Vec::as_slice)
    }

    /// The CERTREQ Certification Authority field for these CAs: the
    /// concatenated SHA-1 hashes of their SubjectPublicKeyInfo
    /// (RFC 7296 §3.7), one 20-octet hash per CA.
    pub fn certreq_authorities(&self) -> Vec<u8> {
        self.anchors
            .iter()
            .flat_map(|anchor| spki_sha1(&webpki::spki_for_anchor(anchor)))
            .collect()
    }

    /// The subjects joined for messages.
    fn trusted_text(&self) -> String {
        self.subjects
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The CERTREQ authority hash of one CA certificate: SHA-1 of its DER
/// SubjectPublicKeyInfo (RFC 7296 §3.7). SHA-1 is what the field is
/// defined as; it identifies the CA and protects nothing.
pub fn certreq_authority(ca_der: &[u8]) -> Result<[u8; 20], CertError> {
    let der = CertificateDer::from(ca_der);
    let anchor = webpki::anchor_from_trusted_cert(&der).map_err(|e| CertError::BadTrustAnchor {
        index: 1,
        reason: format!("{e}"),
    })?;
    Ok(spki_sha1(&webpki::spki_for_anchor(&anchor)))
}

/// SHA-1 over a SubjectPublicKeyInfo.
fn spki_sha1(spki: &[u8]) -> [u8; 20] {
    let hash = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, spki);
    let mut out = [0u8; 20];
    for (dst, src) in out.iter_mut().zip(hash.as_ref()) {
        *dst = *src;
    }
    out
}

/// The SC's certificate after its chain and identity were verified: what
/// AUTH verification needs.
#[derive(Clone, Debug)]
pub struct VerifiedPeer {
    /// The end-entity's DER SubjectPublicKeyInfo.
    spki: Vec<u8>,
    /// The public key, parsed from `spki`.
    key: PublicKey,
    /// The identity the certificate was verified for.
    identity: ExpectedIdentity,
    /// The end-entity's subject, for logs.
    subject: String,
}

impl VerifiedPeer {
    /// The end-entity certificate's DER SubjectPublicKeyInfo
    /// (RFC 5280 §4.1.2.7), the key the SC's AUTH payload must verify
    /// with (RFC 7296 §2.15).
    pub fn subject_public_key_info(&self) -> &[u8] {
        &self.spki
    }

    /// What kind of key the certificate carries.
    pub fn key_kind(&self) -> &PublicKeyKind {
        &self.key.kind
    }

    /// The identity the certificate was verified to name.
    pub fn identity(&self) -> &ExpectedIdentity {
        &self.identity
    }

    /// The end-entity certificate's subject, for logs.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The parsed public key.
    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

/// Signature algorithms accepted on certificates in the chain: RSA
/// PKCS #1 v1.5 with SHA-256/384/512 (with or without NULL parameters),
/// RSA-PSS with SHA-256/384/512, ECDSA P-256/P-384 with SHA-256/384 and
/// Ed25519 (RFC 8247 §3.2 and RFC 8420 algorithms that ring implements).
static CHAIN_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::ring::ECDSA_P256_SHA256,
    webpki::ring::ECDSA_P256_SHA384,
    webpki::ring::ECDSA_P384_SHA256,
    webpki::ring::ECDSA_P384_SHA384,
    webpki::ring::ED25519,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512,
    webpki::ring::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    webpki::ring::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::ring::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
];

/// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1 (RFC 5280 §4.2.1.12).
const EKU_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
/// id-kp-ipsecIKE, 1.3.6.1.5.5.7.3.17 (RFC 4945 §5.1.3.12).
const EKU_IPSEC_IKE: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x11];
/// anyExtendedKeyUsage, 2.5.29.37.0 (RFC 5280 §4.2.1.12).
const EKU_ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// The extended key usage policy for the SC's chain.
///
/// RFC 4945 §5.1.3.12: an IKE peer must not require the extension, and
/// where it is present it must contain id-kp-ipsecIKE or
/// anyExtendedKeyUsage. SCs are commonly issued TLS-style server
/// certificates, so serverAuth is accepted as well. A certificate without
/// the extension is accepted. webpki's own `KeyUsage` can require only one
/// purpose, so this validator is used instead; webpki applies it to every
/// certificate in the path, so an intermediate CA restricted to other
/// purposes is refused too.
#[derive(Clone, Copy, Debug)]
struct IkeKeyUsage;

impl ExtendedKeyUsageValidator for IkeKeyUsage {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let accepted = [
            KeyPurposeId::new(EKU_SERVER_AUTH),
            KeyPurposeId::new(EKU_IPSEC_IKE),
            KeyPurposeId::new(EKU_ANY),
        ];
        let mut present = Vec::new();
        for id in iter {
            let id = id?;
            if accepted.contains(&id) {
                return Ok(());
            }
            present.push(id.to_decoded_oid());
        }
        if present.is_empty() {
            // No extended key usage extension (an empty one is refused by
            // webpki before this is called).
            return Ok(());
        }
        Err(webpki::Error::RequiredEkuNotFoundContext(
            RequiredEkuNotFoundContext {
                required: KeyUsage::required_if_present(EKU_IPSEC_IKE),
                present,
            },
        ))
    }
}

/// Verifies the SC's certificate (RFC 7296 §3.6, RFC 4945 §5): builds a
/// path from `end_entity_der` through `intermediates` (in any order) to
/// one of `anchors`, valid at `now`, checks the extended key usage (see
/// the module documentation) and that a key usage extension, if any,
/// allows signing (RFC 4945 §5.1.3.2), then checks that the certificate
/// names `expected` (RFC 4945 §3.1). Revocation is not checked.
///
/// On success, returns the end-entity's public key for AUTH verification
/// ([`verify_auth`](super::verify_auth)).
pub fn verify_peer_certificate(
    end_entity_der: &[u8],
    intermediates: &[&[u8]],
    anchors: &TrustAnchors,
    now: UnixTime,
    expected: &ExpectedIdentity,
) -> Result<VerifiedPeer, CertError> {
    let malformed = |which: &str, reason: String| CertError::Malformed {
        which: which.to_owned(),
        reason,
    };
    let ee_der = CertificateDer::from(end_entity_der);
    let ee =
        EndEntityCert::try_from(&ee_der).map_err(|e| malformed("certificate", format!("{e}")))?;
    let chain: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|der| CertificateDer::from(*der))
        .collect();

    if let Err(err) = ee.verify_for_usage(
        CHAIN_ALGORITHMS,
        &anchors.anchors,
        &chain,
        now,
        IkeKeyUsage,
        None,
        None,
    ) {
        return Err(chain_error(err, end_entity_der, intermediates, anchors));
    }

    let parsed = match X509Certificate::from_der(end_entity_der) {
        Ok((_, parsed)) => parsed,
        Err(e) => return Err(malformed("certificate", format!("{e}"))),
    };
    // RFC 4945 §5.1.3.2: a key usage extension, if present, must allow
    // digitalSignature or nonRepudiation. webpki does not check it.
    match parsed.key_usage() {
        Ok(Some(usage)) if !usage.value.digital_signature() && !usage.value.non_repudiation() => {
            return Err(CertError::KeyUsageForbidsSigning {
                present: usage.value.to_string(),
            });
        }
        Ok(_) => {}
        Err(e) => {
            return Err(malformed(
                "certificate",
                format!("its key usage extension is malformed ({e})"),
            ))
        }
    }
    let names =
        CertificateNames::read(&parsed).map_err(|reason| malformed("certificate", reason))?;
    if !names.matches(expected) {
        return Err(CertError::IdentityMismatch {
            expected: expected.clone(),
            presented: names.describe_for(expected),
        });
    }

    let spki = ee.subject_public_key_info().as_ref().to_vec();
    let key = PublicKey::from_spki(&spki).map_err(|reason| {
        malformed(
            "certificate",
            format!("its public key cannot be read: {reason}"),
        )
    })?;
    Ok(VerifiedPeer {
        spki,
        key,
        identity: expected.clone(),
        subject: names.subject,
    })
}

/// Turns webpki's verdict into a message naming the certificate at fault.
fn chain_error(
    err: webpki::Error,
    end_entity: &[u8],
    intermediates: &[&[u8]],
    anchors: &TrustAnchors,
) -> CertError {
    use webpki::Error as E;
    let parsed_chain = || {
        std::iter::once(end_entity)
            .chain(intermediates.iter().copied())
            .filter_map(|der| X509Certificate::from_der(der).ok().map(|(_, c)| c))
    };
    // The subject of the chain certificate whose validity bound is `secs`.
    let subject_with = |secs: u64, pick: fn(&X509Certificate<'_>) -> i64| {
        parsed_chain()
            .find(|cert| u64::try_from(pick(cert)).ok() == Some(secs))
            .map(|cert| subject_text(cert.subject()))
            .unwrap_or_else(|| "a certificate in the SC's chain".to_owned())
    };
    match err {
        E::UnknownIssuer => CertError::UnknownIssuer {
            issuer: parsed_chain()
                .next()
                .map(|cert| subject_text(cert.issuer()))
                .unwrap_or_else(|| "an unreadable issuer".to_owned()),
            trusted: anchors.trusted_text(),
        },
        E::CertExpired { time, not_after } => CertError::Expired {
            subject: subject_with(not_after.as_secs(), |c| c.validity().not_after.timestamp()),
            not_after: format_time(not_after),
            now: format_time(time),
        },
        E::CertNotValidYet { time, not_before } => CertError::NotYetValid {
            subject: subject_with(not_before.as_secs(), |c| {
                c.validity().not_before.timestamp()
            }),
            not_before: format_time(not_before),
            now: format_time(time),
        },
        E::RequiredEkuNotFoundContext(context) => CertError::KeyUsageNotAllowed {
            present: context
                .present
                .iter()
                .map(|oid| eku_name(oid))
                .collect::<Vec<_>>()
                .join(", "),
        },
        E::EmptyEkuExtension => CertError::KeyUsageNotAllowed {
            present: "nothing (the extension is empty)".to_owned(),
        },
        E::InvalidSignatureForPublicKey => CertError::BadChainSignature,
        E::UnsupportedSignatureAlgorithmContext(context) => CertError::UnsupportedAlgorithm {
            algorithm: algorithm_name(&context.signature_algorithm_id),
        },
        E::UnsupportedSignatureAlgorithmForPublicKeyContext(context) => {
            CertError::UnsupportedAlgorithm {
                algorithm: format!(
                    "{} with a {} key",
                    algorithm_name(&context.signature_algorithm_id),
                    algorithm_name(&context.public_key_algorithm_id)
                ),
            }
        }
        E::CaUsedAsEndEntity => CertError::InvalidChain {
            reason: "the SC presented a CA certificate as its own (basicConstraints cA is set)"
                .to_owned(),
        },
        E::EndEntityUsedAsCa => CertError::InvalidChain {
            reason: "a certificate that is not a CA issued another certificate in the chain"
                .to_owned(),
        },
        E::PathLenConstraintViolated => CertError::InvalidChain {
            reason: "the chain is longer than a CA's path length constraint allows".to_owned(),
        },
        E::NameConstraintViolation => CertError::InvalidChain {
            reason: "a CA's name constraints forbid the names in the SC's certificate".to_owned(),
        },
        E::UnsupportedCriticalExtension => CertError::InvalidChain {
            reason: "a certificate has a critical extension Softwire does not understand"
                .to_owned(),
        },
        E::CertDistrusted => CertError::InvalidChain {
            reason: "a certificate's key is explicitly distrusted".to_owned(),
        },
        E::BadDer
        | E::BadDerTime
        | E::TrailingData(_)
        | E::MalformedExtensions
        | E::ExtensionValueInvalid
        | E::UnsupportedCertVersion
        | E::InvalidCertValidity
        | E::InvalidSerialNumber => CertError::Malformed {
            which: "certificate chain".to_owned(),
            reason: format!("{err}"),
        },
        other => CertError::InvalidChain {
            reason: format!("{other}"),
        },
    }
}

/// An AlgorithmIdentifier's contents (OID, parameters) as a readable name.
fn algorithm_name(alg_id: &[u8]) -> String {
    let mut reader = der::Reader::new(alg_id);
    match reader.expect(der::TAG_OID) {
        Ok(oid) => {
            let dotted = oid_to_string(oid);
            match super::signature::known_algorithm_name(oid) {
                Some(name) => format!("{name} ({dotted})"),
                None => dotted,
            }
        }
        Err(_) => der::hex_string(alg_id),
    }
}

/// A key purpose OID as a readable name.
fn eku_name(arcs: &[usize]) -> String {
    let dotted = arcs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(".");
    let name = match dotted.as_str() {
        "1.3.6.1.5.5.7.3.1" => Some("serverAuth"),
        "1.3.6.1.5.5.7.3.2" => Some("clientAuth"),
        "1.3.6.1.5.5.7.3.3" => Some("codeSigning"),
        "1.3.6.1.5.5.7.3.4" => Some("emailProtection"),
        "1.3.6.1.5.5.7.3.8" => Some("timeStamping"),
        "1.3.6.1.5.5.7.3.9" => Some("OCSPSigning"),
        "1.3.6.1.5.5.8.2.2" => Some("iKEIntermediate"),
        _ => None,
    };
    match name {
        Some(name) => format!("{name} ({dotted})"),
        None => dotted,
    }
}

/// A time as "YYYY-MM-DD HH:MM:SS UTC".
pub(crate) fn format_time(time: UnixTime) -> String {
    let fallback = || format!("{} seconds after 1970", time.as_secs());
    let Ok(secs) = i64::try_from(time.as_secs()) else {
        return fallback();
    };
    match ASN1Time::from_timestamp(secs) {
        Ok(t) => {
            let dt = t.to_datetime();
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                dt.year(),
                u8::from(dt.month()),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second()
            )
        }
        Err(_) => fallback(),
    }
}
