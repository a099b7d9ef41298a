//! The identity the SC must prove, and how it is matched against the names
//! in its certificate (RFC 7296 §3.5, RFC 4945 §3.1).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use thiserror::Error;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use super::der::hex_string;
use crate::ike::payload::Identification;
use crate::ike::types::IdType;

/// The identity a profile expects the SC to prove with its certificate.
///
/// Each kind is matched against one kind of certificate name
/// (RFC 4945 §3.1): there is no fallback to the subject's common name and
/// no wildcard matching (a dNSName of `*.example.net` matches nothing).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExpectedIdentity {
    /// ID_FQDN (RFC 7296 §3.5): must equal a dNSName subjectAltName,
    /// compared case-insensitively and ignoring one trailing dot
    /// (RFC 4945 §3.1.2).
    Fqdn(String),
    /// ID_IPV4_ADDR / ID_IPV6_ADDR: must equal an iPAddress subjectAltName
    /// (RFC 4945 §3.1.1).
    Ip(IpAddr),
    /// ID_RFC822_ADDR: must equal an rfc822Name subjectAltName, compared
    /// case-insensitively (RFC 4945 §3.1.3).
    Email(String),
    /// ID_DER_ASN1_DN: the DER encoding of a Name (including its outer
    /// SEQUENCE), which must be bitwise identical to the certificate's
    /// subject (RFC 4945 §3.1.5).
    Dn(Vec<u8>),
}

/// Why an ID payload cannot be used as, or does not equal, the expected
/// identity.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The SC used an ID type that cannot be tied to a certificate name.
    #[error(
        "the SC identified itself with {id_type}, which Softwire cannot check against a \
         certificate; configure the SC to use an FQDN, IP address, email address or \
         distinguished name as its identity (RFC 4945 §3.1)"
    )]
    UnsupportedIdType {
        /// The ID type the SC sent.
        id_type: IdType,
    },
    /// The ID payload's data does not fit its type.
    #[error("the SC's {id_type} identity is malformed: {reason}")]
    MalformedId {
        /// The ID type the SC sent.
        id_type: IdType,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The SC claims a different identity than the profile expects.
    #[error("the SC identified itself as {received}, but the profile expects {expected}")]
    IdMismatch {
        /// The identity from the SC's IDr payload.
        received: ExpectedIdentity,
        /// The identity the profile expects.
        expected: ExpectedIdentity,
    },
}

impl ExpectedIdentity {
    /// The identity an ID payload names (RFC 7296 §3.5), for comparison
    /// with the profile's expected identity and with the certificate.
    pub fn from_id_payload(id: &Identification) -> Result<Self, IdentityError> {
        let id_type = id.id_type;
        let malformed = |reason| IdentityError::MalformedId { id_type, reason };
        match id_type {
            IdType::Fqdn => {
                let name =
                    std::str::from_utf8(&id.data).map_err(|_| malformed("it is not text"))?;
                if name.is_empty() {
                    return Err(malformed("it is empty"));
                }
                Ok(Self::Fqdn(name.to_owned()))
            }
            IdType::Rfc822Addr => {
                let addr =
                    std::str::from_utf8(&id.data).map_err(|_| malformed("it is not text"))?;
                if addr.is_empty() {
                    return Err(malformed("it is empty"));
                }
                Ok(Self::Email(addr.to_owned()))
            }
            IdType::Ipv4Addr => {
                let octets: [u8; 4] = id
                    .data
                    .as_slice()
                    .try_into()
                    .map_err(|_| malformed("an IPv4 address is four octets"))?;
                Ok(Self::Ip(IpAddr::V4(Ipv4Addr::from(octets))))
            }
            IdType::Ipv6Addr => {
                let octets: [u8; 16] = id
                    .data
                    .as_slice()
                    .try_into()
                    .map_err(|_| malformed("an IPv6 address is sixteen octets"))?;
                Ok(Self::Ip(IpAddr::V6(Ipv6Addr::from(octets))))
            }
            IdType::DerAsn1Dn => match X509Name::from_der(&id.data) {
                Ok(([], _)) => Ok(Self::Dn(id.data.clone())),
                _ => Err(malformed("it is not a DER-encoded distinguished name")),
            },
            other => Err(IdentityError::UnsupportedIdType { id_type: other }),
        }
    }

    /// The ID payload that carries this identity (RFC 7296 §3.5), e.g. for
    /// the IDr a client may send to name the SC it wants.
    pub fn to_id_payload(&self) -> Identification {
        let (id_type, data) = match self {
            Self::Fqdn(name) => (IdType::Fqdn, name.as_bytes().to_vec()),
            Self::Email(addr) => (IdType::Rfc822Addr, addr.as_bytes().to_vec()),
            Self::Ip(IpAddr::V4(addr)) => (IdType::Ipv4Addr, addr.octets().to_vec()),
            Self::Ip(IpAddr::V6(addr)) => (IdType::Ipv6Addr, addr.octets().to_vec()),
            Self::Dn(der) => (IdType::DerAsn1Dn, der.clone()),
        };
        Identification::new(id_type, data)
    }

    /// Whether two identities name the same thing under the comparison
    /// rules their kind uses for certificates (case-insensitive names,
    /// exact addresses, bitwise DNs).
    pub fn same_as(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Fqdn(a), Self::Fqdn(b)) => dns_eq(a, b),
            (Self::Email(a), Self::Email(b)) => a.eq_ignore_ascii_case(b),
            (Self::Ip(a), Self::Ip(b)) => a == b,
            (Self::Dn(a), Self::Dn(b)) => a == b,
            _ => false,
        }
    }

    /// Checks the SC's IDr payload against this (the profile's) identity:
    /// the SC must claim exactly the identity the profile expects before
    /// its certificate is checked against it. Returns the identity the SC
    /// claimed.
    pub fn check_id_payload(&self, idr: &Identification) -> Result<Self, IdentityError> {
        let received = Self::from_id_payload(idr)?;
        if received.same_as(self) {
            Ok(received)
        } else {
            Err(IdentityError::IdMismatch {
                received,
                expected: self.clone(),
            })
        }
    }

    /// What kind of certificate name this identity is matched against,
    /// for messages.
    fn kind(&self) -> &'static str {
        match self {
            Self::Fqdn(_) => "DNS name",
            Self::Ip(_) => "IP address",
            Self::Email(_) => "email address",
            Self::Dn(_) => "subject",
        }
    }
}

impl fmt::Display for ExpectedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fqdn(name) => f.write_str(name),
            Self::Ip(addr) => write!(f, "{addr}"),
            Self::Email(addr) => f.write_str(addr),
            Self::Dn(der) => match X509Name::from_der(der) {
                Ok(([], name)) => write!(f, "\"{name}\""),
                _ => write!(f, "the distinguished name {}", hex_string(der)),
            },
        }
    }
}

/// Compares DNS names case-insensitively, ignoring one trailing dot.
fn dns_eq(a: &str, b: &str) -> bool {
    let a = a.strip_suffix('.').unwrap_or(a);
    let b = b.strip_suffix('.').unwrap_or(b);
    a.eq_ignore_ascii_case(b)
}

/// The names a certificate carries, as read by `x509-parser` (webpki does
/// not expose rfc822Name or list iPAddress names).
#[derive(Clone, Debug, Default)]
pub(crate) struct CertificateNames {
    /// dNSName subjectAltNames.
    pub(crate) dns: Vec<String>,
    /// iPAddress subjectAltNames (entries of other lengths are skipped).
    pub(crate) ips: Vec<IpAddr>,
    /// rfc822Name subjectAltNames.
    pub(crate) emails: Vec<String>,
    /// The subject's DER, including its outer SEQUENCE.
    pub(crate) subject_der: Vec<u8>,
    /// The subject rendered for messages.
    pub(crate) subject: String,
}

impl CertificateNames {
    /// Reads the subject and subjectAltName of a parsed certificate.
    pub(crate) fn read(cert: &X509Certificate<'_>) -> Result<Self, String> {
        let mut names = Self {
            subject_der: cert.subject().as_raw().to_vec(),
            subject: subject_text(cert.subject()),
            ..Self::default()
        };
        let san = cert
            .subject_alternative_name()
            .map_err(|e| format!("its subjectAltName extension is malformed ({e})"))?;
        if let Some(san) = san {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(dns) => names.dns.push((*dns).to_owned()),
                    GeneralName::RFC822Name(email) => names.emails.push((*email).to_owned()),
                    GeneralName::IPAddress(octets) => {
                        if let Ok(v4) = <[u8; 4]>::try_from(*octets) {
                            names.ips.push(IpAddr::V4(Ipv4Addr::from(v4)));
                        } else if let Ok(v6) = <[u8; 16]>::try_from(*octets) {
                            names.ips.push(IpAddr::V6(Ipv6Addr::from(v6)));
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(names)
    }

    /// Whether these names prove `expected` (RFC 4945 §3.1).
    pub(crate) fn matches(&self, expected: &ExpectedIdentity) -> bool {
        match expected {
            ExpectedIdentity::Fqdn(name) => self.dns.iter().any(|dns| dns_eq(dns, name)),
            ExpectedIdentity::Ip(addr) => self.ips.contains(addr),
            ExpectedIdentity::Email(addr) => self
                .emails
                .iter()
                .any(|email| email.eq_ignore_ascii_case(addr)),
            ExpectedIdentity::Dn(der) => self.subject_der == *der,
        }
    }

    /// The names of the kind `expected` is matched against, for the
    /// mismatch message: "sc.evil.example, sc2.evil.example", or "no DNS
    /// name (its subject is CN=...)".
    pub(crate) fn describe_for(&self, expected: &ExpectedIdentity) -> String {
        let listed: Vec<String> = match expected {
            ExpectedIdentity::Fqdn(_) => self.dns.clone(),
            ExpectedIdentity::Ip(_) => self.ips.iter().map(ToString::to_string).collect(),
            ExpectedIdentity::Email(_) => self.emails.clone(),
            ExpectedIdentity::Dn(_) => vec![format!("\"{}\"", self.subject)],
        };
        if listed.is_empty() {
            format!(
                "no {} (its subject is \"{}\")",
                expected.kind(),
                self.subject
            )
        } else {
            listed.join(", ")
        }
    }
}

/// A subject rendered as RFC 4514-style text, for messages.
pub(crate) fn subject_text(name: &X509Name<'_>) -> String {
    let text = name.to_string();
    if text.is_empty() {
        "an empty subject".to_owned()
    } else {
        text
    }
}
