//! Certificates made at test time with rcgen.

use std::net::IpAddr;
use std::time::Duration;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, SignatureAlgorithm,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;

use crate::pki::{TrustAnchors, UnixTime};

/// The TEST-ONLY RSA-2048 key (see data/README.md).
pub(crate) const RSA_KEY_PEM: &[u8] = include_bytes!("data/rsa2048-test-key.pem");

/// The validation time of most tests: 2025-06-01 00:00:00 UTC.
pub(crate) fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(1_748_736_000))
}

/// A certificate and its key.
pub(crate) struct Issued {
    /// The certificate.
    pub(crate) cert: Certificate,
    /// Its key pair.
    pub(crate) key: KeyPair,
}

impl Issued {
    /// The certificate's DER.
    pub(crate) fn der(&self) -> &[u8] {
        self.cert.der().as_ref()
    }

    /// The key's PKCS #8 DER.
    pub(crate) fn pkcs8(&self) -> Vec<u8> {
        self.key.serialize_der()
    }

    /// This certificate as the only trust anchor.
    pub(crate) fn anchors(&self) -> TrustAnchors {
        TrustAnchors::from_der(&[self.der()]).unwrap()
    }
}

/// A key type the tests generate.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Alg {
    /// ECDSA P-256 with SHA-256.
    P256,
    /// ECDSA P-384 with SHA-384.
    P384,
    /// Ed25519.
    Ed25519,
    /// The fixed RSA-2048 test key, signing with SHA-256.
    Rsa,
}

/// A key pair of `alg`.
pub(crate) fn key(alg: Alg) -> KeyPair {
    let sig_alg: &'static SignatureAlgorithm = match alg {
        Alg::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        Alg::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        Alg::Ed25519 => &rcgen::PKCS_ED25519,
        Alg::Rsa => {
            let der = PrivatePkcs8KeyDer::from_pem_slice(RSA_KEY_PEM).unwrap();
            return KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_RSA_SHA256).unwrap();
        }
    };
    KeyPair::generate_for(sig_alg).unwrap()
}

/// Parameters with a subject CN and a validity of 2020 to 2040.
fn params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Softwire Test");
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2040, 1, 1);
    params
}

/// A self-signed CA.
pub(crate) fn ca(cn: &str, alg: Alg) -> Issued {
    let key = key(alg);
    let mut params = params(cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).unwrap();
    Issued { cert, key }
}

/// An intermediate CA issued by `issuer`.
pub(crate) fn intermediate(issuer: &Issued, cn: &str, alg: Alg) -> Issued {
    let key = key(alg);
    let mut params = params(cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.signed_by(&key, &issuer.cert, &issuer.key).unwrap();
    Issued { cert, key }
}

/// What an end-entity certificate should contain.
pub(crate) struct Leaf {
    /// Subject CN.
    pub(crate) cn: &'static str,
    /// subjectAltNames.
    pub(crate) sans: Vec<SanType>,
    /// Extended key usages (none: no extension).
    pub(crate) ekus: Vec<ExtendedKeyUsagePurpose>,
    /// Validity, as (year, year).
    pub(crate) years: (i32, i32),
    /// Key type.
    pub(crate) alg: Alg,
    /// Key usages.
    pub(crate) key_usages: Vec<KeyUsagePurpose>,
}

impl Leaf {
    /// An SC certificate for `sc.example.net` with a P-256 key, valid
    /// 2020 to 2040, without extended key usage.
    pub(crate) fn sc() -> Self {
        Self {
            cn: "sc.example.net",
            sans: vec![dns("sc.example.net")],
            ekus: Vec::new(),
            years: (2020, 2040),
            alg: Alg::P256,
            key_usages: vec![KeyUsagePurpose::DigitalSignature],
        }
    }

    /// Issues it under `issuer`.
    pub(crate) fn issue(self, issuer: &Issued) -> Issued {
        let key = key(self.alg);
        let mut params = params(self.cn);
        params.subject_alt_names = self.sans;
        params.extended_key_usages = self.ekus;
        params.key_usages = self.key_usages;
        params.not_before = rcgen::date_time_ymd(self.years.0, 1, 1);
        params.not_after = rcgen::date_time_ymd(self.years.1, 1, 1);
        let cert = params.signed_by(&key, &issuer.cert, &issuer.key).unwrap();
        Issued { cert, key }
    }
}

/// A dNSName subjectAltName.
pub(crate) fn dns(name: &str) -> SanType {
    SanType::DnsName(name.try_into().unwrap())
}

/// An rfc822Name subjectAltName.
pub(crate) fn email(addr: &str) -> SanType {
    SanType::Rfc822Name(addr.try_into().unwrap())
}

/// An iPAddress subjectAltName.
pub(crate) fn ip(addr: &str) -> SanType {
    SanType::IpAddress(addr.parse::<IpAddr>().unwrap())
}
