//! AUTH payload signatures (RFC 7296 §2.15 and §3.8): the classic RSA_SIG
//! and ECDSA methods (RFC 7296, RFC 4754) and the Digital Signature method
//! with its ASN.1 AlgorithmIdentifier (RFC 7427 §3, RFC 8420).

use std::fmt;

use ring::signature::{self as ring_sig, UnparsedPublicKey, VerificationAlgorithm};
use thiserror::Error;

use super::chain::VerifiedPeer;
use super::der::{self, oid_to_string, DerError, Reader};
use crate::ike::types::{AuthMethod, HashAlgorithm};

/// OID contents used below (RFC 8017 Appendix A, RFC 5758 §3.2,
/// RFC 5480 §2.1.1, RFC 8410 §3, NIST CSOR).
pub(crate) mod oid {
    /// rsaEncryption, 1.2.840.113549.1.1.1.
    pub(crate) const RSA_ENCRYPTION: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// sha1WithRSAEncryption, 1.2.840.113549.1.1.5.
    pub(crate) const SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
    /// id-mgf1, 1.2.840.113549.1.1.8.
    pub(crate) const MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
    /// id-RSASSA-PSS, 1.2.840.113549.1.1.10.
    pub(crate) const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    /// sha256WithRSAEncryption, 1.2.840.113549.1.1.11.
    pub(crate) const SHA256_WITH_RSA: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    /// sha384WithRSAEncryption, 1.2.840.113549.1.1.12.
    pub(crate) const SHA384_WITH_RSA: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
    /// sha512WithRSAEncryption, 1.2.840.113549.1.1.13.
    pub(crate) const SHA512_WITH_RSA: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
    /// id-ecPublicKey, 1.2.840.10045.2.1.
    pub(crate) const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// secp256r1, 1.2.840.10045.3.1.7.
    pub(crate) const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// secp384r1, 1.3.132.0.34.
    pub(crate) const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// secp521r1, 1.3.132.0.35.
    pub(crate) const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
    /// ecdsa-with-SHA1, 1.2.840.10045.4.1.
    pub(crate) const ECDSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
    /// ecdsa-with-SHA256, 1.2.840.10045.4.3.2.
    pub(crate) const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    /// ecdsa-with-SHA384, 1.2.840.10045.4.3.3.
    pub(crate) const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    /// ecdsa-with-SHA512, 1.2.840.10045.4.3.4.
    pub(crate) const ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
    /// id-Ed25519, 1.3.101.112.
    pub(crate) const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    /// id-Ed448, 1.3.101.113.
    pub(crate) const ED448: &[u8] = &[0x2b, 0x65, 0x71];
    /// id-dsa-with-sha1, 1.2.840.10040.4.3.
    pub(crate) const DSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03];
    /// id-sha1, 1.3.14.3.2.26.
    pub(crate) const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
    /// id-sha256, 2.16.840.1.101.3.4.2.1.
    pub(crate) const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    /// id-sha384, 2.16.840.1.101.3.4.2.2.
    pub(crate) const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    /// id-sha512, 2.16.840.1.101.3.4.2.3.
    pub(crate) const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
}

/// A readable name for a signature or key algorithm OID, for messages.
pub(crate) fn known_algorithm_name(oid_contents: &[u8]) -> Option<&'static str> {
    Some(match oid_contents {
        oid::RSA_ENCRYPTION => "rsaEncryption",
        oid::SHA1_WITH_RSA => "sha1WithRSAEncryption",
        oid::RSASSA_PSS => "RSASSA-PSS",
        oid::SHA256_WITH_RSA => "sha256WithRSAEncryption",
        oid::SHA384_WITH_RSA => "sha384WithRSAEncryption",
        oid::SHA512_WITH_RSA => "sha512WithRSAEncryption",
        oid::EC_PUBLIC_KEY => "id-ecPublicKey",
        oid::ECDSA_SHA1 => "ecdsa-with-SHA1",
        oid::ECDSA_SHA256 => "ecdsa-with-SHA256",
        oid::ECDSA_SHA384 => "ecdsa-with-SHA384",
        oid::ECDSA_SHA512 => "ecdsa-with-SHA512",
        oid::ED25519 => "Ed25519",
        oid::ED448 => "Ed448",
        oid::DSA_SHA1 => "id-dsa-with-sha1",
        _ => return None,
    })
}

/// A signature algorithm an RFC 7427 AlgorithmIdentifier names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2), RFC 7427 Appendix A.1.
    RsaPkcs1v15(HashAlgorithm),
    /// RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same hash and a salt
    /// as long as the hash, RFC 7427 Appendix A.4.
    RsaPss(HashAlgorithm),
    /// ECDSA with a DER Ecdsa-Sig-Value signature (RFC 7427 §3,
    /// Appendix A.3); the curve is the key's.
    Ecdsa(HashAlgorithm),
    /// Ed25519 (RFC 8420), signing the octets themselves ("Identity").
    Ed25519,
}

impl SignatureScheme {
    /// The hash the scheme signs with, as SIGNATURE_HASH_ALGORITHMS names it
    /// (RFC 7427 §4); Ed25519 uses "Identity" (RFC 8420 §2).
    pub fn hash(self) -> HashAlgorithm {
        match self {
            Self::RsaPkcs1v15(hash) | Self::RsaPss(hash) | Self::Ecdsa(hash) => hash,
            Self::Ed25519 => HashAlgorithm::Identity,
        }
    }

    /// The DER AlgorithmIdentifier this client sends for the scheme, as
    /// RFC 7427 Appendix A lists them (PSS with explicit SHA-2 parameters
    /// as in Appendix A.4.3), or `None` for a hash the scheme cannot use.
    pub fn algorithm_identifier(self) -> Option<&'static [u8]> {
        use HashAlgorithm::{Sha1, Sha2_256, Sha2_384, Sha2_512};
        Some(match self {
            Self::RsaPkcs1v15(Sha1) => alg_id::SHA1_WITH_RSA,
            Self::RsaPkcs1v15(Sha2_256) => alg_id::SHA256_WITH_RSA,
            Self::RsaPkcs1v15(Sha2_384) => alg_id::SHA384_WITH_RSA,
            Self::RsaPkcs1v15(Sha2_512) => alg_id::SHA512_WITH_RSA,
            Self::RsaPss(Sha2_256) => alg_id::RSA_PSS_SHA256,
            Self::RsaPss(Sha2_384) => alg_id::RSA_PSS_SHA384,
            Self::RsaPss(Sha2_512) => alg_id::RSA_PSS_SHA512,
            Self::Ecdsa(Sha1) => alg_id::ECDSA_SHA1,
            Self::Ecdsa(Sha2_256) => alg_id::ECDSA_SHA256,
            Self::Ecdsa(Sha2_384) => alg_id::ECDSA_SHA384,
            Self::Ecdsa(Sha2_512) => alg_id::ECDSA_SHA512,
            Self::Ed25519 => alg_id::ED25519,
            _ => return None,
        })
    }
}

impl fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RsaPkcs1v15(hash) => write!(f, "RSASSA-PKCS1-v1_5 with {hash}"),
            Self::RsaPss(hash) => write!(f, "RSASSA-PSS with {hash}"),
            Self::Ecdsa(hash) => write!(f, "ECDSA with {hash}"),
            Self::Ed25519 => f.write_str("Ed25519"),
        }
    }
}

/// DER AlgorithmIdentifiers from RFC 7427 Appendix A.
mod alg_id {
    /// A.1.1 sha1WithRSAEncryption.
    pub(super) const SHA1_WITH_RSA: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
    ];
    /// A.1.2 sha256WithRSAEncryption.
    pub(super) const SHA256_WITH_RSA: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
    ];
    /// A.1.3 sha384WithRSAEncryption.
    pub(super) const SHA384_WITH_RSA: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00,
    ];
    /// A.1.4 sha512WithRSAEncryption.
    pub(super) const SHA512_WITH_RSA: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00,
    ];
    /// A.3.1 ecdsa-with-sha1.
    pub(super) const ECDSA_SHA1: &[u8] = &[
        0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01,
    ];
    /// A.3.2 ecdsa-with-sha256.
    pub(super) const ECDSA_SHA256: &[u8] = &[
        0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
    ];
    /// A.3.3 ecdsa-with-sha384.
    pub(super) const ECDSA_SHA384: &[u8] = &[
        0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
    ];
    /// A.3.4 ecdsa-with-sha512.
    pub(super) const ECDSA_SHA512: &[u8] = &[
        0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04,
    ];
    /// A.4.3 RSASSA-PSS with SHA-256 (MGF1-SHA-256, salt 32, trailer 1).
    pub(super) const RSA_PSS_SHA256: &[u8] = &[
        0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39,
        0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
        0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20, 0xa3, 0x03, 0x02, 0x01, 0x01,
    ];
    /// The A.4.3 layout with SHA-384 (MGF1-SHA-384, salt 48).
    pub(super) const RSA_PSS_SHA384: &[u8] = &[
        0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39,
        0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
        0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
        0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
        0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30, 0xa3, 0x03, 0x02, 0x01, 0x01,
    ];
    /// The A.4.3 layout with SHA-512 (MGF1-SHA-512, salt 64).
    pub(super) const RSA_PSS_SHA512: &[u8] = &[
        0x30, 0x46, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x39,
        0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
        0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
        0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
        0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x40, 0xa3, 0x03, 0x02, 0x01, 0x01,
    ];
    /// RFC 8420 §2: id-Ed25519 without parameters.
    pub(super) const ED25519: &[u8] = &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];
}

/// Why the AUTH data of a Digital Signature (RFC 7427 §3) could not be
/// read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AuthDataError {
    /// The AUTH data is empty.
    #[error("it carries no data")]
    Empty,
    /// The length octet claims more octets than follow it.
    #[error(
        "its AlgorithmIdentifier length octet says {declared} octets, but only {available} follow"
    )]
    LengthExceedsData {
        /// The value of the length octet.
        declared: usize,
        /// The octets after it.
        available: usize,
    },
    /// Nothing follows the AlgorithmIdentifier.
    #[error("it has an AlgorithmIdentifier but no signature")]
    MissingSignature,
    /// The AlgorithmIdentifier is not valid DER.
    #[error("its AlgorithmIdentifier is not valid DER: {0}")]
    MalformedAlgorithmIdentifier(#[from] DerError),
    /// The AlgorithmIdentifier names an algorithm this client does not
    /// know.
    #[error("it names a signature algorithm Softwire does not know ({oid})")]
    UnknownAlgorithm {
        /// The algorithm's OID, dotted.
        oid: String,
    },
    /// The AlgorithmIdentifier names a known algorithm this client cannot
    /// verify.
    #[error("it uses {algorithm}, which Softwire does not support: {reason}")]
    UnsupportedAlgorithm {
        /// The algorithm.
        algorithm: &'static str,
        /// Why it is not supported.
        reason: &'static str,
    },
    /// The algorithm's parameters are malformed or unsupported.
    #[error("its {algorithm} parameters are not acceptable: {reason}")]
    BadParameters {
        /// The algorithm.
        algorithm: &'static str,
        /// What is wrong with the parameters.
        reason: String,
    },
}

/// Why an AUTH signature could not be verified or made.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The AUTH method is not a signature.
    #[error(
        "the SC authenticated with {method}, which is not a signature; a profile with a CA \
         certificate requires the SC to sign with its certificate's key"
    )]
    NotASignatureMethod {
        /// The method the SC used.
        method: AuthMethod,
    },
    /// The AUTH method is a signature method this client does not support.
    #[error("the SC authenticated with {method}, which Softwire does not support: {reason}")]
    UnsupportedMethod {
        /// The method the SC used.
        method: AuthMethod,
        /// Why it is not supported.
        reason: &'static str,
    },
    /// The Digital Signature AUTH data could not be read.
    #[error("the SC's AUTH payload is malformed: {0}")]
    AuthData(#[from] AuthDataError),
    /// The SC signed with a hash this client did not announce.
    #[error(
        "the SC signed with {scheme}, but Softwire announced only {allowed} in \
         SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4)"
    )]
    HashNotAllowed {
        /// The scheme the SC used.
        scheme: SignatureScheme,
        /// The hashes this client accepts.
        allowed: String,
    },
    /// The scheme is known but cannot be verified with this crypto library.
    #[error("the SC signed with {scheme}, which Softwire does not support: {reason}")]
    UnsupportedScheme {
        /// The scheme the SC used.
        scheme: SignatureScheme,
        /// Why it is not supported.
        reason: &'static str,
    },
    /// The signature's algorithm does not fit the certificate's key.
    #[error("the SC signed with {used}, but its certificate holds {key}")]
    KeyMismatch {
        /// The method or scheme the SC used.
        used: String,
        /// The key in its certificate.
        key: PublicKeyKind,
    },
    /// The RSA key is too small for RFC 8247.
    #[error("the key is a {bits}-bit RSA key; at least 2048 bits are required (RFC 8247 §3.2)")]
    RsaKeyTooSmall {
        /// The modulus size.
        bits: usize,
    },
    /// The key's algorithm cannot be used for IKE signatures here.
    #[error("the key ({key}) cannot be used for IKE signatures by Softwire: {reason}")]
    UnsupportedKey {
        /// The key.
        key: PublicKeyKind,
        /// Why.
        reason: &'static str,
    },
    /// The signature is wrong.
    #[error(
        "the SC's AUTH signature does not verify with the public key in its certificate: the SC \
         does not hold that certificate's private key, or the exchange was altered"
    )]
    BadSignature,
    /// The SC fell back to SHA-1 RSA_SIG though it supports RFC 7427.
    #[error(
        "the SC authenticated with RSA_SIG (SHA-1) although it announced RFC 7427 signature \
         hashes; Softwire refuses the downgrade (RFC 8247 §3.2)"
    )]
    LegacyDowngrade,
    /// The client's private key could not be loaded.
    #[error(
        "the client private key cannot be used: {reason}; it must be an unencrypted PKCS #8 RSA \
         (2048 to 8192 bits), ECDSA P-256/P-384 or Ed25519 key"
    )]
    PrivateKey {
        /// What is wrong with it.
        reason: String,
    },
    /// The SC announced no hash the client's key can sign with.
    #[error(
        "the SC accepts signatures with {peer} only, and the client's {key} key can sign with \
         none of them (RFC 7427 §4)"
    )]
    NoCommonHash {
        /// The client's key.
        key: PublicKeyKind,
        /// What the SC announced.
        peer: String,
    },
    /// The SC did not announce RFC 7427 support and the key is RSA.
    #[error(
        "the SC did not announce SIGNATURE_HASH_ALGORITHMS (RFC 7427), so an RSA key could only \
         sign with RSA_SIG and SHA-1, which RFC 8247 forbids for new signatures; enable RFC 7427 \
         signature authentication on the SC, or use an ECDSA key"
    )]
    LegacyRsaSigningUnsupported,
    /// The crypto library failed to sign.
    #[error("signing the AUTH payload failed")]
    SigningFailed,
}

/// What kind of public key a certificate or private key holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PublicKeyKind {
    /// RSA (RFC 8017) with a modulus of this many bits.
    Rsa {
        /// The modulus size in bits.
        modulus_bits: usize,
    },
    /// ECDSA over P-256 (RFC 5480).
    EcdsaP256,
    /// ECDSA over P-384 (RFC 5480).
    EcdsaP384,
    /// ECDSA over P-521 (RFC 5480): not supported by ring.
    EcdsaP521,
    /// Ed25519 (RFC 8410).
    Ed25519,
    /// Ed448 (RFC 8410): not supported by ring.
    Ed448,
    /// Any other algorithm, by OID (and curve, for other EC keys).
    Other {
        /// The algorithm, dotted.
        algorithm: String,
    },
}

impl fmt::Display for PublicKeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { modulus_bits } => write!(f, "an RSA-{modulus_bits} key"),
            Self::EcdsaP256 => f.write_str("an ECDSA P-256 key"),
            Self::EcdsaP384 => f.write_str("an ECDSA P-384 key"),
            Self::EcdsaP521 => f.write_str("an ECDSA P-521 key"),
            Self::Ed25519 => f.write_str("an Ed25519 key"),
            Self::Ed448 => f.write_str("an Ed448 key"),
            Self::Other { algorithm } => write!(f, "a key of algorithm {algorithm}"),
        }
    }
}

/// A public key read from a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
#[derive(Clone, Debug)]
pub(crate) struct PublicKey {
    /// The kind of key.
    pub(crate) kind: PublicKeyKind,
    /// The subjectPublicKey BIT STRING's octets, in the form ring takes:
    /// an RSAPublicKey, an uncompressed EC point or 32 Ed25519 octets.
    key: Vec<u8>,
}

impl PublicKey {
    /// Reads a DER SubjectPublicKeyInfo.
    pub(crate) fn from_spki(spki: &[u8]) -> Result<Self, DerError> {
        let body = der::single(spki, der::TAG_SEQUENCE)?;
        let mut reader = Reader::new(body);
        let algorithm = reader.expect(der::TAG_SEQUENCE)?;
        let bits = reader.expect(der::TAG_BIT_STRING)?;
        reader.finish()?;
        let key = match bits.split_first() {
            Some((0, key)) => key,
            _ => return Err(DerError::BadValue),
        };
        let (alg_oid, params) = split_algorithm(algorithm)?;
        let kind = match alg_oid {
            oid::RSA_ENCRYPTION => {
                let rsa = der::single(key, der::TAG_SEQUENCE)?;
                let mut rsa = Reader::new(rsa);
                let modulus = rsa.expect(der::TAG_INTEGER)?;
                rsa.expect(der::TAG_INTEGER)?;
                rsa.finish()?;
                PublicKeyKind::Rsa {
                    modulus_bits: der::uint_bits(modulus),
                }
            }
            oid::EC_PUBLIC_KEY => match params {
                Some((der::TAG_OID, oid::P256)) => PublicKeyKind::EcdsaP256,
                Some((der::TAG_OID, oid::P384)) => PublicKeyKind::EcdsaP384,
                Some((der::TAG_OID, oid::P521)) => PublicKeyKind::EcdsaP521,
                Some((der::TAG_OID, curve)) => PublicKeyKind::Other {
                    algorithm: format!("id-ecPublicKey on curve {}", oid_to_string(curve)),
                },
                _ => PublicKeyKind::Other {
                    algorithm: "id-ecPublicKey with explicit curve parameters".to_owned(),
                },
            },
            oid::ED25519 => PublicKeyKind::Ed25519,
            oid::ED448 => PublicKeyKind::Ed448,
            other => PublicKeyKind::Other {
                algorithm: match known_algorithm_name(other) {
                    Some(name) => format!("{name} ({})", oid_to_string(other)),
                    None => oid_to_string(other),
                },
            },
        };
        Ok(Self {
            kind,
            key: key.to_vec(),
        })
    }

    /// Verifies `signature` over `message` with ring.
    fn verify(
        &self,
        algorithm: &'static dyn VerificationAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        UnparsedPublicKey::new(algorithm, &self.key)
            .verify(message, signature)
            .map_err(|_| SignatureError::BadSignature)
    }

    /// Fails unless the key is RSA of a size ring verifies (2048 to 8192
    /// bits).
    fn require_rsa(&self, used: &dyn fmt::Display) -> Result<(), SignatureError> {
        match self.kind {
            PublicKeyKind::Rsa { modulus_bits } if modulus_bits < 2048 => {
                Err(SignatureError::RsaKeyTooSmall { bits: modulus_bits })
            }
            PublicKeyKind::Rsa { modulus_bits } if modulus_bits > 8192 => {
                Err(SignatureError::UnsupportedKey {
                    key: self.kind.clone(),
                    reason: "RSA keys above 8192 bits are not supported",
                })
            }
            PublicKeyKind::Rsa { .. } => Ok(()),
            _ => Err(self.mismatch(used)),
        }
    }

    /// The error for a method or scheme that does not fit this key.
    fn mismatch(&self, used: &dyn fmt::Display) -> SignatureError {
        SignatureError::KeyMismatch {
            used: used.to_string(),
            key: self.kind.clone(),
        }
    }
}

/// An element's tag and contents.
type Element<'a> = (u8, &'a [u8]);

/// Splits an AlgorithmIdentifier's contents into its OID and its optional
/// parameters.
fn split_algorithm(contents: &[u8]) -> Result<(&[u8], Option<Element<'_>>), DerError> {
    let mut reader = Reader::new(contents);
    let alg_oid = reader.expect(der::TAG_OID)?;
    let params = if reader.is_empty() {
        None
    } else {
        Some(reader.read_any()?)
    };
    reader.finish()?;
    Ok((alg_oid, params))
}

/// Splits RFC 7427 §3 AUTH data into the signature scheme its
/// AlgorithmIdentifier names and the signature value: one octet giving
/// the AlgorithmIdentifier's length, the DER AlgorithmIdentifier, then
/// the signature.
pub fn parse_signature_auth_data(
    auth_data: &[u8],
) -> Result<(SignatureScheme, &[u8]), AuthDataError> {
    let (&len, rest) = auth_data.split_first().ok_or(AuthDataError::Empty)?;
    let declared = usize::from(len);
    let (alg, signature) =
        rest.split_at_checked(declared)
            .ok_or(AuthDataError::LengthExceedsData {
                declared,
                available: rest.len(),
            })?;
    let scheme = parse_algorithm_identifier(alg)?;
    if signature.is_empty() {
        return Err(AuthDataError::MissingSignature);
    }
    Ok((scheme, signature))
}

/// Reads a DER AlgorithmIdentifier naming a signature scheme
/// (RFC 7427 Appendix A, RFC 8420 §2).
pub fn parse_algorithm_identifier(der_alg: &[u8]) -> Result<SignatureScheme, AuthDataError> {
    let contents = der::single(der_alg, der::TAG_SEQUENCE)?;
    let (alg_oid, params) = split_algorithm(contents)?;
    let no_params = |algorithm: &'static str, scheme: SignatureScheme| match params {
        None => Ok(scheme),
        Some(_) => Err(AuthDataError::BadParameters {
            algorithm,
            reason: "it must have no parameters".to_owned(),
        }),
    };
    let null_params = |algorithm: &'static str, scheme: SignatureScheme| match params {
        None | Some((der::TAG_NULL, [])) => Ok(scheme),
        Some(_) => Err(AuthDataError::BadParameters {
            algorithm,
            reason: "its parameters must be NULL or absent".to_owned(),
        }),
    };
    match alg_oid {
        oid::SHA1_WITH_RSA => null_params(
            "sha1WithRSAEncryption",
            SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha1),
        ),
        oid::SHA256_WITH_RSA => null_params(
            "sha256WithRSAEncryption",
            SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha2_256),
        ),
        oid::SHA384_WITH_RSA => null_params(
            "sha384WithRSAEncryption",
            SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha2_384),
        ),
        oid::SHA512_WITH_RSA => null_params(
            "sha512WithRSAEncryption",
            SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha2_512),
        ),
        oid::RSASSA_PSS => parse_pss_params(params),
        oid::ECDSA_SHA1 => no_params(
            "ecdsa-with-SHA1",
            SignatureScheme::Ecdsa(HashAlgorithm::Sha1),
        ),
        oid::ECDSA_SHA256 => no_params(
            "ecdsa-with-SHA256",
            SignatureScheme::Ecdsa(HashAlgorithm::Sha2_256),
        ),
        oid::ECDSA_SHA384 => no_params(
            "ecdsa-with-SHA384",
            SignatureScheme::Ecdsa(HashAlgorithm::Sha2_384),
        ),
        oid::ECDSA_SHA512 => no_params(
            "ecdsa-with-SHA512",
            SignatureScheme::Ecdsa(HashAlgorithm::Sha2_512),
        ),
        oid::ED25519 => no_params("Ed25519", SignatureScheme::Ed25519),
        oid::ED448 => Err(AuthDataError::UnsupportedAlgorithm {
            algorithm: "Ed448",
            reason: "the crypto library (ring) has no Ed448",
        }),
        oid::DSA_SHA1 => Err(AuthDataError::UnsupportedAlgorithm {
            algorithm: "DSA",
            reason: "DSA is not accepted (RFC 8247 §3.2)",
        }),
        other => Err(AuthDataError::UnknownAlgorithm {
            oid: oid_to_string(other),
        }),
    }
}

/// Reads RSASSA-PSS-params (RFC 8017 Appendix A.2.3): the hash, MGF1 over
/// the same hash, a salt as long as the hash and trailer field 1, the only
/// form ring verifies. Absent fields take their SHA-1 defaults, which
/// yields `RsaPss(Sha1)` for the caller's hash policy to refuse.
fn parse_pss_params(params: Option<Element<'_>>) -> Result<SignatureScheme, AuthDataError> {
    const NAME: &str = "RSASSA-PSS";
    let bad = |reason: String| AuthDataError::BadParameters {
        algorithm: NAME,
        reason,
    };
    let body = match params {
        // RFC 7427 A.4.1: no parameters means all defaults.
        None => return Ok(SignatureScheme::RsaPss(HashAlgorithm::Sha1)),
        Some((der::TAG_SEQUENCE, body)) => body,
        Some(_) => return Err(bad("they must be a SEQUENCE".to_owned())),
    };
    let mut reader = Reader::new(body);
    let hash = match reader.optional(der::context(0))? {
        Some(explicit) => hash_algorithm(der::single(explicit, der::TAG_SEQUENCE)?)
            .map_err(|e| bad(format!("hashAlgorithm: {e}")))?,
        None => HashAlgorithm::Sha1,
    };
    let mgf_hash = match reader.optional(der::context(1))? {
        Some(explicit) => {
            let mgf = der::single(explicit, der::TAG_SEQUENCE)?;
            let (mgf_oid, mgf_params) = split_algorithm(mgf)?;
            if mgf_oid != oid::MGF1 {
                return Err(bad(format!(
                    "the mask generation function {} is not MGF1",
                    oid_to_string(mgf_oid)
                )));
            }
            match mgf_params {
                Some((der::TAG_SEQUENCE, inner)) => {
                    hash_algorithm(inner).map_err(|e| bad(format!("MGF1 hash: {e}")))?
                }
                _ => return Err(bad("MGF1 names no hash".to_owned())),
            }
        }
        None => HashAlgorithm::Sha1,
    };
    let salt = match reader.optional(der::context(2))? {
        Some(explicit) => der::small_uint(der::single(explicit, der::TAG_INTEGER)?)?,
        None => 20,
    };
    if let Some(explicit) = reader.optional(der::context(3))? {
        if der::small_uint(der::single(explicit, der::TAG_INTEGER)?)? != 1 {
            return Err(bad("the trailer field must be 1".to_owned()));
        }
    }
    reader.finish()?;
    if mgf_hash != hash {
        return Err(bad(format!(
            "MGF1 uses {mgf_hash} but the signature uses {hash}; only the same hash is supported"
        )));
    }
    let hash_len = match hash {
        HashAlgorithm::Sha1 => 20,
        HashAlgorithm::Sha2_256 => 32,
        HashAlgorithm::Sha2_384 => 48,
        _ => 64,
    };
    if salt != hash_len {
        return Err(bad(format!(
            "the salt is {salt} octets; only a salt as long as the hash ({hash_len}) is supported"
        )));
    }
    Ok(SignatureScheme::RsaPss(hash))
}

/// Reads a hash AlgorithmIdentifier's contents (parameters NULL or absent,
/// RFC 4055 §2.1).
fn hash_algorithm(contents: &[u8]) -> Result<HashAlgorithm, String> {
    let (hash_oid, params) = split_algorithm(contents).map_err(|e| e.to_string())?;
    match params {
        None | Some((der::TAG_NULL, [])) => {}
        Some(_) => return Err("hash parameters must be NULL or absent".to_owned()),
    }
    match hash_oid {
        oid::SHA1 => Ok(HashAlgorithm::Sha1),
        oid::SHA256 => Ok(HashAlgorithm::Sha2_256),
        oid::SHA384 => Ok(HashAlgorithm::Sha2_384),
        oid::SHA512 => Ok(HashAlgorithm::Sha2_512),
        other => Err(format!("unsupported hash {}", oid_to_string(other))),
    }
}

/// Verifies the SC's AUTH payload (RFC 7296 §2.15) against the public key
/// of its verified certificate.
///
/// - `method` and `auth_data` come from the AUTH payload (RFC 7296 §3.8).
/// - `signed_octets` are the SC's signed octets
///   ([`crate::ike::auth::signed_octets`]).
/// - `allowed_hashes` are the hashes this client announced in its
///   SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 §4). A Digital Signature
///   (method 14) must use one of them; SHA-1 is therefore refused unless
///   the caller lists it. Ed25519 requires `Identity` (RFC 8420 §2).
///
/// Supported methods: RSA_SIG (1: RSASSA-PKCS1-v1_5 with SHA-1; accepted
/// for interoperability with SCs that do not implement RFC 7427, see
/// [`check_legacy_downgrade`] to refuse it from SCs that do),
/// ECDSA_SHA256_P256 (9) and ECDSA_SHA384_P384 (10) with fixed-size r‖s
/// signatures (RFC 4754 §7), and DIGITAL_SIGNATURE (14) with
/// RSASSA-PKCS1-v1_5 or RSASSA-PSS over SHA-256/384/512, ECDSA (DER
/// signature) over SHA-256/384 on P-256 and P-384, and Ed25519.
/// ECDSA_SHA512_P521 (11), Ed448 and ECDSA with SHA-512 are unsupported
/// because ring implements neither P-521 nor those combinations.
pub fn verify_auth(
    peer: &VerifiedPeer,
    method: AuthMethod,
    auth_data: &[u8],
    signed_octets: &[u8],
    allowed_hashes: &[HashAlgorithm],
) -> Result<(), SignatureError> {
    let key = peer.public_key();
    match method {
        AuthMethod::RsaSignature => {
            key.require_rsa(&method)?;
            key.verify(
                &ring_sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                signed_octets,
                auth_data,
            )
        }
        AuthMethod::EcdsaSha256P256 => {
            if key.kind != PublicKeyKind::EcdsaP256 {
                return Err(key.mismatch(&method));
            }
            key.verify(&ring_sig::ECDSA_P256_SHA256_FIXED, signed_octets, auth_data)
        }
        AuthMethod::EcdsaSha384P384 => {
            if key.kind != PublicKeyKind::EcdsaP384 {
                return Err(key.mismatch(&method));
            }
            key.verify(&ring_sig::ECDSA_P384_SHA384_FIXED, signed_octets, auth_data)
        }
        AuthMethod::EcdsaSha512P521 => Err(SignatureError::UnsupportedMethod {
            method,
            reason: "the crypto library (ring) has no P-521",
        }),
        AuthMethod::DssSignature => Err(SignatureError::UnsupportedMethod {
            method,
            reason: "DSA is not accepted (RFC 8247 §3.2)",
        }),
        AuthMethod::DigitalSignature => {
            let (scheme, signature) = parse_signature_auth_data(auth_data)?;
            if !allowed_hashes.contains(&scheme.hash()) {
                return Err(SignatureError::HashNotAllowed {
                    scheme,
                    allowed: hash_list(allowed_hashes),
                });
            }
            let algorithm = verification_algorithm(scheme, key)?;
            key.verify(algorithm, signed_octets, signature)
        }
        other => Err(SignatureError::NotASignatureMethod { method: other }),
    }
}

/// The ring algorithm that verifies `scheme` with `key`.
fn verification_algorithm(
    scheme: SignatureScheme,
    key: &PublicKey,
) -> Result<&'static dyn VerificationAlgorithm, SignatureError> {
    use HashAlgorithm::{Sha1, Sha2_256, Sha2_384, Sha2_512};
    let unsupported = |reason| SignatureError::UnsupportedScheme { scheme, reason };
    match scheme {
        SignatureScheme::RsaPkcs1v15(hash) => {
            key.require_rsa(&scheme)?;
            match hash {
                Sha1 => Ok(&ring_sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
                Sha2_256 => Ok(&ring_sig::RSA_PKCS1_2048_8192_SHA256),
                Sha2_384 => Ok(&ring_sig::RSA_PKCS1_2048_8192_SHA384),
                Sha2_512 => Ok(&ring_sig::RSA_PKCS1_2048_8192_SHA512),
                _ => Err(unsupported("unknown hash")),
            }
        }
        SignatureScheme::RsaPss(hash) => {
            key.require_rsa(&scheme)?;
            match hash {
                Sha2_256 => Ok(&ring_sig::RSA_PSS_2048_8192_SHA256),
                Sha2_384 => Ok(&ring_sig::RSA_PSS_2048_8192_SHA384),
                Sha2_512 => Ok(&ring_sig::RSA_PSS_2048_8192_SHA512),
                _ => Err(unsupported("RSASSA-PSS is supported with SHA-2 only")),
            }
        }
        SignatureScheme::Ecdsa(hash) => match (&key.kind, hash) {
            (PublicKeyKind::EcdsaP256, Sha2_256) => Ok(&ring_sig::ECDSA_P256_SHA256_ASN1),
            (PublicKeyKind::EcdsaP256, Sha2_384) => Ok(&ring_sig::ECDSA_P256_SHA384_ASN1),
            (PublicKeyKind::EcdsaP384, Sha2_256) => Ok(&ring_sig::ECDSA_P384_SHA256_ASN1),
            (PublicKeyKind::EcdsaP384, Sha2_384) => Ok(&ring_sig::ECDSA_P384_SHA384_ASN1),
            (PublicKeyKind::EcdsaP256 | PublicKeyKind::EcdsaP384, _) => Err(unsupported(
                "ECDSA is supported with SHA-256 and SHA-384 only (ring)",
            )),
            (PublicKeyKind::EcdsaP521, _) => Err(SignatureError::UnsupportedKey {
                key: key.kind.clone(),
                reason: "the crypto library (ring) has no P-521",
            }),
            _ => Err(key.mismatch(&scheme)),
        },
        SignatureScheme::Ed25519 => match key.kind {
            PublicKeyKind::Ed25519 => Ok(&ring_sig::ED25519),
            _ => Err(key.mismatch(&scheme)),
        },
    }
}

/// Refuses RSA_SIG (method 1, SHA-1) from an SC that announced RFC 7427
/// SHA-2 signature hashes in its SIGNATURE_HASH_ALGORITHMS notify
/// (`peer_announced`, empty if it sent none): such an SC can sign with the
/// Digital Signature method, so SHA-1 would be a downgrade
/// (RFC 7427 §1, RFC 8247 §3.2). From an SC without RFC 7427 support,
/// RSA_SIG is the only RSA method RFC 7296 offers and is accepted.
/// Other methods pass.
pub fn check_legacy_downgrade(
    method: AuthMethod,
    peer_announced: &[HashAlgorithm],
) -> Result<(), SignatureError> {
    let has_sha2 = peer_announced.iter().any(|hash| {
        matches!(
            hash,
            HashAlgorithm::Sha2_256 | HashAlgorithm::Sha2_384 | HashAlgorithm::Sha2_512
        )
    });
    if method == AuthMethod::RsaSignature && has_sha2 {
        Err(SignatureError::LegacyDowngrade)
    } else {
        Ok(())
    }
}

/// Hash names joined for messages.
pub(crate) fn hash_list(hashes: &[HashAlgorithm]) -> String {
    if hashes.is_empty() {
        "no hash".to_owned()
    } else {
        hashes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
