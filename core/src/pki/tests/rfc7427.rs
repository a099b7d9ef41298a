//! RFC 7427 §3 AUTH data: the AlgorithmIdentifiers of Appendix A and
//! RFC 8420, and malformed input.

use super::support::{ca, now, Alg, Leaf};
use crate::ike::types::{AuthMethod, HashAlgorithm};
use crate::pki::{
    parse_algorithm_identifier, parse_signature_auth_data, verify_auth, verify_peer_certificate,
    AuthDataError, DerError, ExpectedIdentity, SignatureError, SignatureScheme,
};

use HashAlgorithm::{Sha1, Sha2_256, Sha2_384, Sha2_512};

/// RFC 7427 Appendix A encodings (hex, without the length octet) and what
/// they name.
const APPENDIX_A: &[(&str, SignatureScheme)] = &[
    // A.1.1 to A.1.4.
    (
        "300d06092a864886f70d0101050500",
        SignatureScheme::RsaPkcs1v15(Sha1),
    ),
    (
        "300d06092a864886f70d01010b0500",
        SignatureScheme::RsaPkcs1v15(Sha2_256),
    ),
    (
        "300d06092a864886f70d01010c0500",
        SignatureScheme::RsaPkcs1v15(Sha2_384),
    ),
    (
        "300d06092a864886f70d01010d0500",
        SignatureScheme::RsaPkcs1v15(Sha2_512),
    ),
    // A.3.1 to A.3.4.
    ("300906072a8648ce3d0401", SignatureScheme::Ecdsa(Sha1)),
    ("300a06082a8648ce3d040302", SignatureScheme::Ecdsa(Sha2_256)),
    ("300a06082a8648ce3d040303", SignatureScheme::Ecdsa(Sha2_384)),
    ("300a06082a8648ce3d040304", SignatureScheme::Ecdsa(Sha2_512)),
    // A.4.1: RSASSA-PSS with empty parameters (all SHA-1 defaults).
    ("300b06092a864886f70d01010a", SignatureScheme::RsaPss(Sha1)),
    // A.4.2: RSASSA-PSS with default parameters.
    ("300d06092a864886f70d01010a3000", SignatureScheme::RsaPss(Sha1)),
    // A.4.3: RSASSA-PSS with SHA-256.
    (
        "304606092a864886f70d01010a3039a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120a303020101",
        SignatureScheme::RsaPss(Sha2_256),
    ),
    // The same without the (DEFAULT) trailer field and without the hash
    // NULL parameters, as other implementations encode it.
    (
        "303d06092a864886f70d01010a3030a00d300b0609608648016503040201a11a301806092a864886f70d010108300b0609608648016503040201a203020120",
        SignatureScheme::RsaPss(Sha2_256),
    ),
    // RFC 8420 §2: Ed25519.
    ("300506032b6570", SignatureScheme::Ed25519),
];

fn h(hex: &str) -> Vec<u8> {
    hex::decode(hex).unwrap()
}

/// RFC 7427 §3 AUTH data from an AlgorithmIdentifier and a signature.
fn auth_data(alg: &[u8], signature: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::try_from(alg.len()).unwrap()];
    out.extend_from_slice(alg);
    out.extend_from_slice(signature);
    out
}

#[test]
fn appendix_a_encodings() {
    for (hex, scheme) in APPENDIX_A {
        let alg = h(hex);
        assert_eq!(parse_algorithm_identifier(&alg), Ok(*scheme), "{hex}");
        let data = auth_data(&alg, &[0xaa; 8]);
        let (parsed, signature) = parse_signature_auth_data(&data).unwrap();
        assert_eq!(parsed, *scheme);
        assert_eq!(signature, &[0xaa; 8]);
    }
}

#[test]
fn our_encodings_are_appendix_a_and_round_trip() {
    let schemes = [
        SignatureScheme::RsaPkcs1v15(Sha1),
        SignatureScheme::RsaPkcs1v15(Sha2_256),
        SignatureScheme::RsaPkcs1v15(Sha2_384),
        SignatureScheme::RsaPkcs1v15(Sha2_512),
        SignatureScheme::RsaPss(Sha2_256),
        SignatureScheme::RsaPss(Sha2_384),
        SignatureScheme::RsaPss(Sha2_512),
        SignatureScheme::Ecdsa(Sha1),
        SignatureScheme::Ecdsa(Sha2_256),
        SignatureScheme::Ecdsa(Sha2_384),
        SignatureScheme::Ecdsa(Sha2_512),
        SignatureScheme::Ed25519,
    ];
    for scheme in schemes {
        let alg = scheme.algorithm_identifier().unwrap();
        assert_eq!(parse_algorithm_identifier(alg), Ok(scheme), "{scheme}");
    }
    // The RFC's own A.4.3 bytes for SHA-256.
    assert_eq!(
        SignatureScheme::RsaPss(Sha2_256).algorithm_identifier(),
        Some(&h(APPENDIX_A[10].0)[..])
    );
    assert_eq!(SignatureScheme::RsaPss(Sha1).algorithm_identifier(), None);
}

#[test]
fn malformed_auth_data_gives_typed_errors() {
    let ed = h("300506032b6570");
    assert_eq!(parse_signature_auth_data(&[]), Err(AuthDataError::Empty));
    // Length octet larger than the data.
    assert_eq!(
        parse_signature_auth_data(&[0x20, 0x30, 0x05]),
        Err(AuthDataError::LengthExceedsData {
            declared: 32,
            available: 2
        })
    );
    assert_eq!(
        parse_signature_auth_data(&[0xff]),
        Err(AuthDataError::LengthExceedsData {
            declared: 255,
            available: 0
        })
    );
    // No signature after the AlgorithmIdentifier.
    assert_eq!(
        parse_signature_auth_data(&auth_data(&ed, &[])),
        Err(AuthDataError::MissingSignature)
    );
    // Truncated AlgorithmIdentifier: the length octet covers only part of
    // the DER.
    let mut truncated = auth_data(&ed, &[0; 64]);
    truncated[0] = 4;
    assert_eq!(
        parse_signature_auth_data(&truncated),
        Err(AuthDataError::MalformedAlgorithmIdentifier(
            DerError::Truncated
        ))
    );
    // Zero-length AlgorithmIdentifier.
    assert_eq!(
        parse_signature_auth_data(&[0x00, 0x01, 0x02]),
        Err(AuthDataError::MalformedAlgorithmIdentifier(
            DerError::Truncated
        ))
    );
    // Trailing octets inside the AlgorithmIdentifier.
    assert_eq!(
        parse_algorithm_identifier(&h("300506032b657000")),
        Err(AuthDataError::MalformedAlgorithmIdentifier(
            DerError::TrailingData
        ))
    );
    // Not a SEQUENCE.
    assert!(matches!(
        parse_algorithm_identifier(&h("0603 2b6570".replace(' ', "").as_str())),
        Err(AuthDataError::MalformedAlgorithmIdentifier(
            DerError::UnexpectedTag { .. }
        ))
    ));
    // Unknown OID (1.2.3.4).
    assert_eq!(
        parse_algorithm_identifier(&h("300506032a0304")),
        Err(AuthDataError::UnknownAlgorithm {
            oid: "1.2.3.4".to_owned()
        })
    );
    // Known but unsupported: Ed448, DSA.
    assert!(matches!(
        parse_algorithm_identifier(&h("300506032b6571")),
        Err(AuthDataError::UnsupportedAlgorithm {
            algorithm: "Ed448",
            ..
        })
    ));
    assert!(matches!(
        parse_algorithm_identifier(&h("300906072a8648ce380403")),
        Err(AuthDataError::UnsupportedAlgorithm {
            algorithm: "DSA",
            ..
        })
    ));
    // ECDSA and Ed25519 take no parameters; RSA PKCS #1 only NULL.
    for hex in [
        "300c06082a8648ce3d0403020500",
        "300706032b65700500",
        "300e06092a864886f70d01010b020100",
    ] {
        assert!(
            matches!(
                parse_algorithm_identifier(&h(hex)),
                Err(AuthDataError::BadParameters { .. })
            ),
            "{hex}"
        );
    }
}

#[test]
fn unsupported_pss_parameters() {
    // A.4.3 with the salt changed to 20.
    let salt20 = APPENDIX_A[10].0.replace("a203020120", "a203020114");
    // A.4.3 with MGF1 over SHA-1 (and the outer lengths adjusted).
    let mgf_sha1 = APPENDIX_A[10]
        .0
        .replace(
            "a11c301a06092a864886f70d010108300d06096086480165030402010500",
            "a118301606092a864886f70d010108300906052b0e03021a0500",
        )
        .replacen("3046", "3042", 1)
        .replacen("3039", "3035", 1);
    // A.4.3 with trailer field 2.
    let trailer2 = APPENDIX_A[10].0.replace("a303020101", "a303020102");
    for hex in [salt20, trailer2, mgf_sha1] {
        let err = parse_algorithm_identifier(&h(&hex)).unwrap_err();
        assert!(
            matches!(err, AuthDataError::BadParameters { .. }),
            "{hex}: {err:?}"
        );
    }
    // Parameters that are not a SEQUENCE.
    assert!(matches!(
        parse_algorithm_identifier(&h("300d06092a864886f70d01010a0500")),
        Err(AuthDataError::BadParameters { .. })
    ));
}

#[test]
fn sha1_pss_is_refused_by_policy_or_support() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let sc = Leaf {
        alg: Alg::Rsa,
        ..Leaf::sc()
    }
    .issue(&ca);
    let peer = verify_peer_certificate(
        sc.der(),
        &[],
        &ca.anchors(),
        now(),
        &ExpectedIdentity::Fqdn("sc.example.net".to_owned()),
    )
    .unwrap();
    let data = auth_data(&h(APPENDIX_A[9].0), &[0; 256]);
    let err = verify_auth(
        &peer,
        AuthMethod::DigitalSignature,
        &data,
        b"x",
        &[Sha2_256],
    )
    .unwrap_err();
    assert!(
        matches!(err, SignatureError::HashNotAllowed { .. }),
        "{err:?}"
    );
    let err = verify_auth(&peer, AuthMethod::DigitalSignature, &data, b"x", &[Sha1]).unwrap_err();
    assert!(
        matches!(err, SignatureError::UnsupportedScheme { .. }),
        "{err:?}"
    );
    // Malformed AUTH data surfaces as SignatureError::AuthData.
    let err = verify_auth(
        &peer,
        AuthMethod::DigitalSignature,
        &[0x09],
        b"x",
        &[Sha2_256],
    )
    .unwrap_err();
    assert_eq!(
        err,
        SignatureError::AuthData(AuthDataError::LengthExceedsData {
            declared: 9,
            available: 0
        })
    );
    assert_eq!(
        err.to_string(),
        "the SC's AUTH payload is malformed: its AlgorithmIdentifier length octet says 9 octets, \
         but only 0 follow"
    );
}

/// A small deterministic generator for the mutation test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0.to_be_bytes()[0]
    }
}

#[test]
fn mutated_auth_data_never_panics() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let peers: Vec<_> = [Alg::P256, Alg::Rsa, Alg::Ed25519]
        .into_iter()
        .map(|alg| {
            let sc = Leaf { alg, ..Leaf::sc() }.issue(&ca);
            verify_peer_certificate(
                sc.der(),
                &[],
                &ca.anchors(),
                now(),
                &ExpectedIdentity::Fqdn("sc.example.net".to_owned()),
            )
            .unwrap()
        })
        .collect();
    let all = [Sha1, Sha2_256, Sha2_384, Sha2_512, HashAlgorithm::Identity];
    let mut rng = Lcg(7427);
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for (hex, _) in APPENDIX_A {
        let data = auth_data(&h(hex), &[0x5a; 72]);
        // Every truncation.
        for end in 0..data.len() {
            inputs.push(data[..end].to_vec());
        }
        // Single-octet mutations.
        for _ in 0..40 {
            let mut mutated = data.clone();
            let at = usize::from(rng.next()) % mutated.len();
            mutated[at] = rng.next();
            inputs.push(mutated);
        }
    }
    // Random garbage.
    for _ in 0..300 {
        let len = usize::from(rng.next() % 96);
        inputs.push((0..len).map(|_| rng.next()).collect());
    }
    for input in &inputs {
        let _ = parse_signature_auth_data(input);
        let _ = parse_algorithm_identifier(input);
        for peer in &peers {
            for method in [
                AuthMethod::DigitalSignature,
                AuthMethod::RsaSignature,
                AuthMethod::EcdsaSha256P256,
            ] {
                assert!(verify_auth(peer, method, input, b"octets", &all).is_err());
            }
        }
    }
}
