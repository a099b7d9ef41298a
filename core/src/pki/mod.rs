//! Certificates and signatures for IKEv2 certificate authentication.
//!
//! The SC (the security gateway the client connects to) proves itself
//! with an X.509 certificate and a signature over its signed octets
//! (RFC 7296 §2.15); the client may do the same with its own key.
//!
//! - [`TrustAnchors`]: the profile's CA certificates, and the CERTREQ
//!   authority hashes that name them (RFC 7296 §3.7,
//!   [`certreq_authority`]).
//! - [`verify_peer_certificate`]: path validation with webpki (RFC 5280
//!   §6) at a time the caller supplies, the extended key usage rule of
//!   RFC 4945 §5.1.3.12, and the identity check of RFC 4945 §3.1 against an
//!   [`ExpectedIdentity`] (which can be built from the SC's IDr payload,
//!   [`ExpectedIdentity::from_id_payload`]).
//! - [`verify_auth`]: the SC's AUTH payload (RFC 7296 §3.8) with the
//!   certificate's key: RSA_SIG, the RFC 4754 ECDSA methods and the
//!   RFC 7427 Digital Signature method (including Ed25519, RFC 8420).
//! - [`LocalSigner`]: the client's own signature, as an RFC 7427 Digital
//!   Signature when the SC announced SIGNATURE_HASH_ALGORITHMS.
//!
//! # Extended key usage
//!
//! RFC 4945 §5.1.3.12 says IKE peers must not require the extended key
//! usage extension. A certificate without it is accepted; with it, it must
//! list serverAuth (1.3.6.1.5.5.7.3.1, what TLS-style gateway certificates
//! carry), id-kp-ipsecIKE (1.3.6.1.5.5.7.3.17) or anyExtendedKeyUsage
//! (2.5.29.37.0). webpki's `KeyUsage` can demand only one purpose, so a
//! custom `ExtendedKeyUsageValidator` expresses "any of these"; webpki
//! applies it to every certificate in the path.
//!
//! # Not supported
//!
//! Revocation (CRL, OCSP) is not checked. Identities match exactly:
//! no wildcard dNSNames and no fallback to the subject's common name.
//! ring has no P-521 or Ed448, so ECDSA_SHA512_P521 and Ed448 are refused
//! with typed errors, as are ECDSA with SHA-512, DSA and RSA-PSS with
//! parameters other than MGF1 over the signature hash and a salt as long
//! as the hash. RSA keys cannot sign RSA_SIG (SHA-1).
//!
//! Everything here is sans-IO: the validation time is a parameter.

mod chain;
mod der;
mod identity;
mod signature;
mod signer;

#[cfg(test)]
pub(crate) mod tests;

pub use chain::{
    certreq_authority, verify_peer_certificate, CertError, TrustAnchors, VerifiedPeer,
};
pub use der::DerError;
pub use identity::{ExpectedIdentity, IdentityError};
pub use rustls_pki_types::UnixTime;
pub use signature::{
    check_legacy_downgrade, parse_algorithm_identifier, parse_signature_auth_data, verify_auth,
    AuthDataError, PublicKeyKind, SignatureError, SignatureScheme,
};
pub use signer::LocalSigner;
