//! AUTH signatures: LocalSigner → verify_auth round trips for every key
//! type and method (RFC 7296 §2.15, RFC 4754, RFC 7427, RFC 8420), and the
//! refusals.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;

use super::support::{ca, now, Alg, Issued, Leaf, RSA_KEY_PEM};
use crate::ike::types::{AuthMethod, HashAlgorithm};
use crate::pki::der::{self, Reader};
use crate::pki::{
    check_legacy_downgrade, parse_signature_auth_data, verify_auth, verify_peer_certificate,
    ExpectedIdentity, LocalSigner, PublicKeyKind, SignatureError, SignatureScheme, VerifiedPeer,
};

/// Every hash RFC 7427 §4 and RFC 8420 define except SHA-1.
const ALL: &[HashAlgorithm] = &[
    HashAlgorithm::Sha2_256,
    HashAlgorithm::Sha2_384,
    HashAlgorithm::Sha2_512,
    HashAlgorithm::Identity,
];

/// The message of the RSA_SIG vector in data/rsa-sig-sha1.hex.
const RSA_SIG_MESSAGE: &[u8] =
    b"Softwire RSA_SIG (RFC 7296 method 1) test vector: these stand in for the signed octets.";

/// Stand-in signed octets.
const OCTETS: &[u8] = b"IKE_SA_INIT response | Ni | prf(SK_pr, IDr')";

/// An SC certificate with an `alg` key, verified; and the certificate.
fn peer(alg: Alg) -> (Issued, VerifiedPeer) {
    let ca = ca("Softwire Test CA", Alg::P256);
    let sc = Leaf { alg, ..Leaf::sc() }.issue(&ca);
    let peer = verify_peer_certificate(
        sc.der(),
        &[],
        &ca.anchors(),
        now(),
        &ExpectedIdentity::Fqdn("sc.example.net".to_owned()),
    )
    .unwrap();
    (sc, peer)
}

/// Flips one bit of the last octet.
fn tampered(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if let Some(last) = out.last_mut() {
        *last ^= 0x01;
    }
    out
}

/// Signs with the certificate's key and checks what comes out, that it
/// verifies, and that tampering is caught.
fn round_trip(
    sc: &Issued,
    peer: &VerifiedPeer,
    pss: bool,
    peer_hashes: &[HashAlgorithm],
    method: AuthMethod,
    scheme: Option<SignatureScheme>,
) {
    let signer = LocalSigner::from_pkcs8(&sc.pkcs8())
        .unwrap()
        .with_rsa_pss(pss);
    assert_eq!(&signer.key_kind(), peer.key_kind());
    let (got_method, data) = signer.sign(OCTETS, peer_hashes).unwrap();
    let what = format!("{:?} {peer_hashes:?} pss={pss}", peer.key_kind());
    assert_eq!(got_method, method, "{what}");
    if let Some(scheme) = scheme {
        let (parsed, signature) = parse_signature_auth_data(&data).unwrap();
        assert_eq!(parsed, scheme, "{what}");
        assert!(!signature.is_empty());
    }
    verify_auth(peer, method, &data, OCTETS, ALL).unwrap_or_else(|e| panic!("{what}: {e}"));

    let mut octets = OCTETS.to_vec();
    octets.push(0);
    assert_eq!(
        verify_auth(peer, method, &data, &octets, ALL),
        Err(SignatureError::BadSignature),
        "{what}"
    );
    assert_eq!(
        verify_auth(peer, method, &data, &tampered(OCTETS), ALL),
        Err(SignatureError::BadSignature),
        "{what}"
    );
    assert!(
        verify_auth(peer, method, &tampered(&data), OCTETS, ALL).is_err(),
        "{what}"
    );
}

#[test]
fn ecdsa_round_trips() {
    use HashAlgorithm::{Sha2_256, Sha2_384};
    let (sc, p256) = peer(Alg::P256);
    let ecdsa = |hash| Some(SignatureScheme::Ecdsa(hash));
    round_trip(
        &sc,
        &p256,
        false,
        ALL,
        AuthMethod::DigitalSignature,
        ecdsa(Sha2_256),
    );
    round_trip(
        &sc,
        &p256,
        false,
        &[Sha2_256],
        AuthMethod::DigitalSignature,
        ecdsa(Sha2_256),
    );
    // No RFC 7427, or no hash a P-256 key signs with: RFC 4754.
    round_trip(&sc, &p256, false, &[], AuthMethod::EcdsaSha256P256, None);
    round_trip(
        &sc,
        &p256,
        false,
        &[Sha2_384],
        AuthMethod::EcdsaSha256P256,
        None,
    );

    let (sc, p384) = peer(Alg::P384);
    round_trip(
        &sc,
        &p384,
        false,
        ALL,
        AuthMethod::DigitalSignature,
        ecdsa(Sha2_384),
    );
    round_trip(&sc, &p384, false, &[], AuthMethod::EcdsaSha384P384, None);
}

#[test]
fn rfc4754_signatures_are_fixed_size() {
    let (sc, p256) = peer(Alg::P256);
    let signer = LocalSigner::from_pkcs8(&sc.pkcs8()).unwrap();
    let (method, data) = signer.sign(OCTETS, &[]).unwrap();
    assert_eq!(data.len(), 64);
    // A truncated r‖s does not verify.
    assert_eq!(
        verify_auth(&p256, method, &data[..63], OCTETS, ALL),
        Err(SignatureError::BadSignature)
    );
    let (sc, _) = peer(Alg::P384);
    let signer = LocalSigner::from_pkcs8(&sc.pkcs8()).unwrap();
    let (_, data) = signer.sign(OCTETS, &[]).unwrap();
    assert_eq!(data.len(), 96);
}

#[test]
fn ed25519_round_trip() {
    let (sc, ed) = peer(Alg::Ed25519);
    round_trip(
        &sc,
        &ed,
        false,
        &[HashAlgorithm::Identity],
        AuthMethod::DigitalSignature,
        Some(SignatureScheme::Ed25519),
    );
    // Ed25519 has no classic method (RFC 8420 §2).
    let signer = LocalSigner::from_pkcs8(&sc.pkcs8()).unwrap();
    let err = signer.sign(OCTETS, &[HashAlgorithm::Sha2_256]).unwrap_err();
    assert!(
        matches!(err, SignatureError::NoCommonHash { .. }),
        "{err:?}"
    );
    // Verifying needs Identity announced.
    let (_, data) = signer.sign(OCTETS, ALL).unwrap();
    let err = verify_auth(
        &ed,
        AuthMethod::DigitalSignature,
        &data,
        OCTETS,
        &[HashAlgorithm::Sha2_256],
    )
    .unwrap_err();
    assert!(
        matches!(err, SignatureError::HashNotAllowed { .. }),
        "{err:?}"
    );
}

#[test]
fn rsa_round_trips() {
    use HashAlgorithm::{Sha2_256, Sha2_384, Sha2_512};
    let (sc, rsa) = peer(Alg::Rsa);
    for hash in [Sha2_256, Sha2_384, Sha2_512] {
        round_trip(
            &sc,
            &rsa,
            false,
            &[hash],
            AuthMethod::DigitalSignature,
            Some(SignatureScheme::RsaPkcs1v15(hash)),
        );
        round_trip(
            &sc,
            &rsa,
            true,
            &[hash],
            AuthMethod::DigitalSignature,
            Some(SignatureScheme::RsaPss(hash)),
        );
    }
    // SHA-256 is preferred.
    round_trip(
        &sc,
        &rsa,
        false,
        ALL,
        AuthMethod::DigitalSignature,
        Some(SignatureScheme::RsaPkcs1v15(Sha2_256)),
    );
}

#[test]
fn rsa_cannot_sign_without_rfc7427() {
    let (sc, _) = peer(Alg::Rsa);
    let signer = LocalSigner::from_pkcs8(&sc.pkcs8()).unwrap();
    assert_eq!(
        signer.sign(OCTETS, &[]),
        Err(SignatureError::LegacyRsaSigningUnsupported)
    );
    let err = signer.sign(OCTETS, &[HashAlgorithm::Sha1]).unwrap_err();
    assert!(
        matches!(err, SignatureError::NoCommonHash { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("SHA1"), "{err}");
}

#[test]
fn rsa_sig_sha1_vector() {
    let (_, rsa) = peer(Alg::Rsa);
    let signature = hex::decode(include_str!("data/rsa-sig-sha1.hex").trim()).unwrap();
    verify_auth(
        &rsa,
        AuthMethod::RsaSignature,
        &signature,
        RSA_SIG_MESSAGE,
        ALL,
    )
    .unwrap();
    assert_eq!(
        verify_auth(
            &rsa,
            AuthMethod::RsaSignature,
            &signature,
            &tampered(RSA_SIG_MESSAGE),
            ALL
        ),
        Err(SignatureError::BadSignature)
    );

    // The same signature as an RFC 7427 sha1WithRSAEncryption signature is
    // refused unless SHA-1 was announced.
    let mut data = vec![15];
    data.extend_from_slice(
        SignatureScheme::RsaPkcs1v15(HashAlgorithm::Sha1)
            .algorithm_identifier()
            .unwrap(),
    );
    data.extend_from_slice(&signature);
    let err = verify_auth(
        &rsa,
        AuthMethod::DigitalSignature,
        &data,
        RSA_SIG_MESSAGE,
        ALL,
    )
    .unwrap_err();
    assert!(
        matches!(err, SignatureError::HashNotAllowed { .. }),
        "{err:?}"
    );
    verify_auth(
        &rsa,
        AuthMethod::DigitalSignature,
        &data,
        RSA_SIG_MESSAGE,
        &[HashAlgorithm::Sha1],
    )
    .unwrap();
}

#[test]
fn legacy_downgrade_check() {
    use HashAlgorithm::{Sha1, Sha2_256};
    assert_eq!(
        check_legacy_downgrade(AuthMethod::RsaSignature, &[Sha2_256]),
        Err(SignatureError::LegacyDowngrade)
    );
    assert_eq!(
        check_legacy_downgrade(AuthMethod::RsaSignature, &[]),
        Ok(())
    );
    assert_eq!(
        check_legacy_downgrade(AuthMethod::RsaSignature, &[Sha1]),
        Ok(())
    );
    assert_eq!(
        check_legacy_downgrade(AuthMethod::DigitalSignature, &[Sha2_256]),
        Ok(())
    );
    assert_eq!(
        check_legacy_downgrade(AuthMethod::EcdsaSha256P256, &[Sha2_256]),
        Ok(())
    );
}

#[test]
fn hash_not_announced_is_refused() {
    let (sc, rsa) = peer(Alg::Rsa);
    let signer = LocalSigner::from_pkcs8(&sc.pkcs8()).unwrap();
    let (method, data) = signer.sign(OCTETS, &[HashAlgorithm::Sha2_256]).unwrap();
    let err = verify_auth(
        &rsa,
        method,
        &data,
        OCTETS,
        &[HashAlgorithm::Sha2_384, HashAlgorithm::Sha2_512],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the SC signed with RSASSA-PKCS1-v1_5 with SHA2_256, but Softwire announced only \
         SHA2_384, SHA2_512 in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4)"
    );
}

#[test]
fn method_and_key_must_fit() {
    let (p256_cert, p256) = peer(Alg::P256);
    let (_, p384) = peer(Alg::P384);
    let (rsa_cert, rsa) = peer(Alg::Rsa);
    let (ed_cert, _) = peer(Alg::Ed25519);

    let (method, data) = LocalSigner::from_pkcs8(&p256_cert.pkcs8())
        .unwrap()
        .sign(OCTETS, &[])
        .unwrap();
    assert_eq!(method, AuthMethod::EcdsaSha256P256);
    for (peer, method) in [
        (&p384, AuthMethod::EcdsaSha256P256),
        (&p256, AuthMethod::EcdsaSha384P384),
        (&p256, AuthMethod::RsaSignature),
        (&rsa, AuthMethod::EcdsaSha256P256),
    ] {
        let err = verify_auth(peer, method, &data, OCTETS, ALL).unwrap_err();
        assert!(
            matches!(err, SignatureError::KeyMismatch { .. }),
            "{method}: {err:?}"
        );
    }

    // An Ed25519 Digital Signature against an RSA certificate.
    let (method, data) = LocalSigner::from_pkcs8(&ed_cert.pkcs8())
        .unwrap()
        .sign(OCTETS, ALL)
        .unwrap();
    let err = verify_auth(&rsa, method, &data, OCTETS, ALL).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the SC signed with Ed25519, but its certificate holds an RSA-2048 key"
    );
    // An RSA Digital Signature against an ECDSA certificate.
    let (method, data) = LocalSigner::from_pkcs8(&rsa_cert.pkcs8())
        .unwrap()
        .sign(OCTETS, ALL)
        .unwrap();
    let err = verify_auth(&p256, method, &data, OCTETS, ALL).unwrap_err();
    assert!(matches!(err, SignatureError::KeyMismatch { .. }), "{err:?}");
    // A P-256 ECDSA Digital Signature against a P-384 key does not verify.
    let (method, data) = LocalSigner::from_pkcs8(&p256_cert.pkcs8())
        .unwrap()
        .sign(OCTETS, ALL)
        .unwrap();
    assert_eq!(
        verify_auth(&p384, method, &data, OCTETS, ALL),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn unsupported_and_non_signature_methods() {
    let (_, p256) = peer(Alg::P256);
    for method in [AuthMethod::EcdsaSha512P521, AuthMethod::DssSignature] {
        let err = verify_auth(&p256, method, &[0; 132], OCTETS, ALL).unwrap_err();
        assert!(
            matches!(err, SignatureError::UnsupportedMethod { .. }),
            "{method}: {err:?}"
        );
    }
    assert!(
        verify_auth(&p256, AuthMethod::EcdsaSha512P521, &[0; 132], OCTETS, ALL)
            .unwrap_err()
            .to_string()
            .contains("P-521")
    );
    for method in [
        AuthMethod::SharedKeyMic,
        AuthMethod::Null,
        AuthMethod::GenericSecurePassword,
        AuthMethod::Unknown(201),
    ] {
        assert_eq!(
            verify_auth(&p256, method, &[0; 32], OCTETS, ALL),
            Err(SignatureError::NotASignatureMethod { method })
        );
    }
}

#[test]
fn private_key_errors() {
    let rsa_pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(RSA_KEY_PEM).unwrap();
    let signer = LocalSigner::from_pkcs8(rsa_pkcs8.secret_pkcs8_der()).unwrap();
    assert_eq!(signer.key_kind(), PublicKeyKind::Rsa { modulus_bits: 2048 });
    let debug = format!("{signer:?}");
    assert!(debug.starts_with("LocalSigner"), "{debug}");

    // The PKCS #1 RSAPrivateKey inside the PKCS #8 wrapper.
    let mut outer = Reader::new(rsa_pkcs8.secret_pkcs8_der());
    let mut info = Reader::new(outer.expect(der::TAG_SEQUENCE).unwrap());
    info.expect(der::TAG_INTEGER).unwrap();
    info.expect(der::TAG_SEQUENCE).unwrap();
    let pkcs1 = info.expect(der::TAG_OCTET_STRING).unwrap();
    let err = LocalSigner::from_pkcs8(pkcs1).unwrap_err();
    assert!(err.to_string().contains("PKCS #1 or SEC 1"), "{err}");

    // An EncryptedPrivateKeyInfo's shape.
    let encrypted = [
        0x30, 0x0b, 0x30, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x04, 0x02, 0x00, 0x00,
    ];
    let err = LocalSigner::from_pkcs8(&encrypted).unwrap_err();
    assert!(err.to_string().contains("encrypted"), "{err}");

    for garbage in [&b""[..], b"-----BEGIN PRIVATE KEY-----", &[0x30, 0x00]] {
        let err = LocalSigner::from_pkcs8(garbage).unwrap_err();
        assert!(matches!(err, SignatureError::PrivateKey { .. }), "{err:?}");
    }

    // A valid PKCS #8 header with a broken key is rejected by ring.
    let mut broken = rsa_pkcs8.secret_pkcs8_der().to_vec();
    if let Some(octet) = broken.get_mut(40) {
        *octet ^= 0xff;
    }
    assert!(LocalSigner::from_pkcs8(&broken).is_err());
}

#[test]
fn signer_public_key_matches_the_certificate() {
    for alg in [Alg::P256, Alg::P384, Alg::Ed25519, Alg::Rsa] {
        let (sc, _) = peer(alg);
        let signer = LocalSigner::from_pkcs8(&sc.pkcs8()).unwrap();
        let parsed = x509_parser::parse_x509_certificate(sc.der()).unwrap().1;
        assert_eq!(
            signer.public_key(),
            parsed.public_key().subject_public_key.data.as_ref(),
            "{alg:?}"
        );
    }
}
