//! The client's own AUTH signature for certificate authentication
//! (RFC 7296 §2.15, RFC 7427 §3, RFC 4754, RFC 8420).

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

use super::der::{self, Reader};
use super::signature::{hash_list, oid, PublicKeyKind, SignatureError, SignatureScheme};
use crate::ike::types::{AuthMethod, HashAlgorithm};

/// The client's private key, ready to sign AUTH payloads.
///
/// The key is parsed into ring's key types, which own their copy of the
/// secret; this type never keeps the PKCS #8 bytes, so the caller's buffer
/// is the only other copy and the caller should zeroize it (ring's key
/// pairs do not expose their memory for zeroizing). `Debug` shows only
/// the kind of key.
pub struct LocalSigner {
    /// The key pair (boxed: ring's key pairs are large, and callers keep
    /// a signer inside their configuration).
    key: Box<SignerKey>,
    /// Sign RSA Digital Signatures with RSASSA-PSS instead of PKCS #1 v1.5.
    rsa_pss: bool,
    /// Randomness for ECDSA nonces and PSS salts.
    rng: SystemRandom,
}

/// The key pairs behind a [`LocalSigner`].
enum SignerKey {
    /// RSA, 2048 to 8192 bits.
    Rsa(RsaKeyPair),
    /// ECDSA: one ring key pair per signature encoding (r‖s for RFC 4754,
    /// DER for RFC 7427).
    Ecdsa(Box<EcdsaPair>),
    /// Ed25519.
    Ed25519(Ed25519KeyPair),
}

/// An ECDSA key as two ring key pairs, one per signature encoding.
struct EcdsaPair {
    /// The curve.
    kind: PublicKeyKind,
    /// r‖s signatures, for the RFC 4754 methods.
    fixed: EcdsaKeyPair,
    /// DER signatures, for the Digital Signature method.
    asn1: EcdsaKeyPair,
}

impl fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSigner")
            .field("key", &self.key_kind())
            .field("rsa_pss", &self.rsa_pss)
            .finish_non_exhaustive()
    }
}

impl LocalSigner {
    /// Loads an unencrypted PKCS #8 PrivateKeyInfo (RFC 5208 §5, or the
    /// RFC 5958 OneAsymmetricKey form ring accepts): RSA (2048 to 8192
    /// bits), ECDSA P-256 or P-384 with its public key (RFC 5915), or
    /// Ed25519 (RFC 8410).
    pub fn from_pkcs8(der_key: &[u8]) -> Result<Self, SignatureError> {
        let bad = |reason: &str| SignatureError::PrivateKey {
            reason: reason.to_owned(),
        };
        let (alg_oid, curve) = pkcs8_algorithm(der_key)?;
        let rng = SystemRandom::new();
        let rejected =
            |e: ring::error::KeyRejected| bad(&format!("the crypto library rejected it ({e})"));
        let key = match alg_oid {
            oid::RSA_ENCRYPTION => {
                let pair = RsaKeyPair::from_pkcs8(der_key).map_err(rejected)?;
                SignerKey::Rsa(pair)
            }
            oid::EC_PUBLIC_KEY => {
                let (kind, fixed_alg, asn1_alg) = match curve {
                    Some(oid::P256) => (
                        PublicKeyKind::EcdsaP256,
                        &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                        &ring_sig::ECDSA_P256_SHA256_ASN1_SIGNING,
                    ),
                    Some(oid::P384) => (
                        PublicKeyKind::EcdsaP384,
                        &ring_sig::ECDSA_P384_SHA384_FIXED_SIGNING,
                        &ring_sig::ECDSA_P384_SHA384_ASN1_SIGNING,
                    ),
                    Some(oid::P521) => {
                        return Err(bad(
                            "it is an ECDSA P-521 key, which the crypto library (ring) cannot use",
                        ))
                    }
                    _ => return Err(bad("it is an EC key on a curve other than P-256 or P-384")),
                };
                let fixed = EcdsaKeyPair::from_pkcs8(fixed_alg, der_key, &rng).map_err(rejected)?;
                let asn1 = EcdsaKeyPair::from_pkcs8(asn1_alg, der_key, &rng).map_err(rejected)?;
                SignerKey::Ecdsa(Box::new(EcdsaPair { kind, fixed, asn1 }))
            }
            oid::ED25519 => {
                // Accepts PKCS #8 v1 (no public key), as OpenSSL writes it.
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der_key).map_err(rejected)?;
                SignerKey::Ed25519(pair)
            }
            oid::ED448 => {
                return Err(bad(
                    "it is an Ed448 key, which the crypto library (ring) cannot use",
                ))
            }
            other => {
                return Err(bad(&format!(
                    "its algorithm {} is not supported",
                    der::oid_to_string(other)
                )))
            }
        };
        Ok(Self {
            key: Box::new(key),
            rsa_pss: false,
            rng,
        })
    }

    /// Makes RSA Digital Signatures use RSASSA-PSS (RFC 7427 Appendix A.4,
    /// recommended by RFC 8247 §3.2) instead of RSASSA-PKCS1-v1_5 (the
    /// default, which every RFC 7427 implementation verifies). No effect
    /// on other keys.
    pub fn with_rsa_pss(mut self, rsa_pss: bool) -> Self {
        self.rsa_pss = rsa_pss;
        self
    }

    /// The kind of key.
    pub fn key_kind(&self) -> PublicKeyKind {
        match self.key.as_ref() {
            SignerKey::Rsa(pair) => PublicKeyKind::Rsa {
                modulus_bits: pair.public().modulus_len().saturating_mul(8),
            },
            SignerKey::Ecdsa(pair) => pair.kind.clone(),
            SignerKey::Ed25519(_) => PublicKeyKind::Ed25519,
        }
    }

    /// The public key as ring encodes it (an RSAPublicKey, an uncompressed
    /// EC point or 32 Ed25519 octets), to check it against a certificate.
    pub fn public_key(&self) -> &[u8] {
        match self.key.as_ref() {
            SignerKey::Rsa(pair) => pair.public_key().as_ref(),
            SignerKey::Ecdsa(pair) => pair.fixed.public_key().as_ref(),
            SignerKey::Ed25519(pair) => pair.public_key().as_ref(),
        }
    }

    /// Signs the client's signed octets (RFC 7296 §2.15) and returns the
    /// AUTH method and AUTH data.
    ///
    /// `peer_hashes` are the hashes the SC announced in
    /// SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4), empty if it sent none.
    /// When it announced a hash the key can sign with, the result is a
    /// Digital Signature (method 14): SHA-256 is preferred, then SHA-384,
    /// then SHA-512 for RSA; ECDSA signs P-256 with SHA-256 and P-384 with
    /// SHA-384; Ed25519 needs `Identity` (RFC 8420 §2). Otherwise ECDSA
    /// keys fall back to ECDSA_SHA256_P256 (9) or ECDSA_SHA384_P384 (10)
    /// (RFC 4754). RSA keys never fall back to RSA_SIG: it signs with SHA-1,
    /// which RFC 8247 §3.2 forbids for new signatures and ring does not
    /// offer; that case is [`SignatureError::LegacyRsaSigningUnsupported`].
    pub fn sign(
        &self,
        signed_octets: &[u8],
        peer_hashes: &[HashAlgorithm],
    ) -> Result<(AuthMethod, Vec<u8>), SignatureError> {
        let announced = |hash| peer_hashes.contains(&hash);
        let no_common = || SignatureError::NoCommonHash {
            key: self.key_kind(),
            peer: hash_list(peer_hashes),
        };
        match self.key.as_ref() {
            SignerKey::Rsa(pair) => {
                let hash = [
                    HashAlgorithm::Sha2_256,
                    HashAlgorithm::Sha2_384,
                    HashAlgorithm::Sha2_512,
                ]
                .into_iter()
                .find(|hash| announced(*hash));
                let Some(hash) = hash else {
                    return Err(if peer_hashes.is_empty() {
                        SignatureError::LegacyRsaSigningUnsupported
                    } else {
                        no_common()
                    });
                };
                let (scheme, encoding): (SignatureScheme, &'static dyn ring_sig::RsaEncoding) =
                    match (self.rsa_pss, hash) {
                        (false, HashAlgorithm::Sha2_256) => (
                            SignatureScheme::RsaPkcs1v15(hash),
                            &ring_sig::RSA_PKCS1_SHA256,
                        ),
                        (false, HashAlgorithm::Sha2_384) => (
                            SignatureScheme::RsaPkcs1v15(hash),
                            &ring_sig::RSA_PKCS1_SHA384,
                        ),
                        (false, _) => (
                            SignatureScheme::RsaPkcs1v15(hash),
                            &ring_sig::RSA_PKCS1_SHA512,
                        ),
                        (true, HashAlgorithm::Sha2_256) => {
                            (SignatureScheme::RsaPss(hash), &ring_sig::RSA_PSS_SHA256)
                        }
                        (true, HashAlgorithm::Sha2_384) => {
                            (SignatureScheme::RsaPss(hash), &ring_sig::RSA_PSS_SHA384)
                        }
                        (true, _) => (SignatureScheme::RsaPss(hash), &ring_sig::RSA_PSS_SHA512),
                    };
                let mut signature = vec![0u8; pair.public().modulus_len()];
                pair.sign(encoding, &self.rng, signed_octets, &mut signature)
                    .map_err(|_| SignatureError::SigningFailed)?;
                digital_signature(scheme, &signature)
            }
            SignerKey::Ecdsa(pair) => {
                let (hash, classic) = match pair.kind {
                    PublicKeyKind::EcdsaP256 => {
                        (HashAlgorithm::Sha2_256, AuthMethod::EcdsaSha256P256)
                    }
                    _ => (HashAlgorithm::Sha2_384, AuthMethod::EcdsaSha384P384),
                };
                if announced(hash) {
                    let signature = pair
                        .asn1
                        .sign(&self.rng, signed_octets)
                        .map_err(|_| SignatureError::SigningFailed)?;
                    digital_signature(SignatureScheme::Ecdsa(hash), signature.as_ref())
                } else {
                    let signature = pair
                        .fixed
                        .sign(&self.rng, signed_octets)
                        .map_err(|_| SignatureError::SigningFailed)?;
                    Ok((classic, signature.as_ref().to_vec()))
                }
            }
            SignerKey::Ed25519(pair) => {
                if !announced(HashAlgorithm::Identity) {
                    return Err(no_common());
                }
                let signature = pair.sign(signed_octets);
                digital_signature(SignatureScheme::Ed25519, signature.as_ref())
            }
        }
    }
}

/// RFC 7427 §3 AUTH data: the AlgorithmIdentifier's length in one octet,
/// the AlgorithmIdentifier, then the signature.
fn digital_signature(
    scheme: SignatureScheme,
    signature: &[u8],
) -> Result<(AuthMethod, Vec<u8>), SignatureError> {
    let alg = scheme
        .algorithm_identifier()
        .ok_or(SignatureError::SigningFailed)?;
    let len = u8::try_from(alg.len()).map_err(|_| SignatureError::SigningFailed)?;
    let mut out = Vec::with_capacity(1 + alg.len() + signature.len());
    out.push(len);
    out.extend_from_slice(alg);
    out.extend_from_slice(signature);
    Ok((AuthMethod::DigitalSignature, out))
}

/// The algorithm OID and, for EC keys, the named curve OID of a PKCS #8
/// PrivateKeyInfo, with messages for the usual wrong formats.
fn pkcs8_algorithm(der_key: &[u8]) -> Result<(&[u8], Option<&[u8]>), SignatureError> {
    let bad = |reason: &str| SignatureError::PrivateKey {
        reason: reason.to_owned(),
    };
    let not_der = |_| bad("it is not DER-encoded PKCS #8 (PEM must be decoded first)");
    let body = der::single(der_key, der::TAG_SEQUENCE).map_err(not_der)?;
    let mut reader = Reader::new(body);
    match reader.peek_tag() {
        Some(der::TAG_INTEGER) => {}
        Some(der::TAG_SEQUENCE) => {
            return Err(bad(
                "it is an encrypted PKCS #8 key; decrypt it (openssl pkcs8 -nocrypt) first",
            ))
        }
        _ => return Err(bad("it is not a PKCS #8 PrivateKeyInfo")),
    }
    reader.expect(der::TAG_INTEGER).map_err(not_der)?;
    if reader.peek_tag() != Some(der::TAG_SEQUENCE) {
        return Err(bad(
            "it is a PKCS #1 or SEC 1 key, not PKCS #8; convert it with `openssl pkcs8 -topk8 \
             -nocrypt`",
        ));
    }
    let algorithm = reader.expect(der::TAG_SEQUENCE).map_err(not_der)?;
    reader.expect(der::TAG_OCTET_STRING).map_err(not_der)?;
    let mut alg = Reader::new(algorithm);
    let alg_oid = alg.expect(der::TAG_OID).map_err(not_der)?;
    let curve = alg.optional(der::TAG_OID).map_err(not_der)?;
    Ok((alg_oid, curve))
}
