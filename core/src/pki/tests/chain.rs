//! Chain validation, extended key usage and identity matching
//! (RFC 4945 §3.1, §5; RFC 5280 §6).

use std::net::IpAddr;

use rcgen::{ExtendedKeyUsagePurpose as Eku, KeyUsagePurpose as Ku};

use super::support::{ca, dns, email, intermediate, ip, now, Alg, Leaf};
use crate::ike::payload::Identification;
use crate::ike::types::IdType;
use crate::pki::{
    certreq_authority, verify_peer_certificate, CertError, ExpectedIdentity, IdentityError,
    PublicKeyKind, TrustAnchors,
};

fn fqdn(name: &str) -> ExpectedIdentity {
    ExpectedIdentity::Fqdn(name.to_owned())
}

#[test]
fn valid_chain_with_matching_fqdn() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let sc = Leaf::sc().issue(&ca);
    let peer =
        verify_peer_certificate(sc.der(), &[], &ca.anchors(), now(), &fqdn("sc.example.net"))
            .unwrap();
    assert_eq!(peer.identity(), &fqdn("sc.example.net"));
    assert_eq!(peer.key_kind(), &PublicKeyKind::EcdsaP256);
    assert_eq!(peer.subject_public_key_info(), sc.key.public_key_der());
    assert!(
        peer.subject().contains("CN=sc.example.net"),
        "{}",
        peer.subject()
    );
}

#[test]
fn fqdn_matches_case_insensitively_and_ignores_a_trailing_dot() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let sc = Leaf::sc().issue(&ca);
    for name in ["SC.Example.NET", "sc.example.net."] {
        verify_peer_certificate(sc.der(), &[], &ca.anchors(), now(), &fqdn(name)).unwrap();
    }
}

#[test]
fn wrong_identity_names_both() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let evil = Leaf {
        cn: "sc.evil.example",
        sans: vec![dns("sc.evil.example")],
        ..Leaf::sc()
    }
    .issue(&ca);
    let err = verify_peer_certificate(
        evil.der(),
        &[],
        &ca.anchors(),
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap_err();
    assert!(matches!(err, CertError::IdentityMismatch { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the SC's certificate names sc.evil.example, but the profile expects sc.example.net"
    );
}

#[test]
fn common_name_and_wildcards_do_not_match() {
    let ca = ca("Softwire Test CA", Alg::P256);
    // CN only, no subjectAltName: RFC 4945 §3.1.2 wants the dNSName.
    let cn_only = Leaf {
        sans: Vec::new(),
        ..Leaf::sc()
    }
    .issue(&ca);
    let err = verify_peer_certificate(
        cn_only.der(),
        &[],
        &ca.anchors(),
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the SC's certificate names no DNS name (its subject is "),
        "{err}"
    );

    let wildcard = Leaf {
        sans: vec![dns("*.example.net")],
        ..Leaf::sc()
    }
    .issue(&ca);
    let err = verify_peer_certificate(
        wildcard.der(),
        &[],
        &ca.anchors(),
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap_err();
    assert!(matches!(err, CertError::IdentityMismatch { .. }), "{err:?}");
}

#[test]
fn unknown_ca_is_unknown_issuer() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let rogue = super::support::ca("Rogue CA", Alg::P256);
    let sc = Leaf::sc().issue(&rogue);
    let err = verify_peer_certificate(sc.der(), &[], &ca.anchors(), now(), &fqdn("sc.example.net"))
        .unwrap_err();
    assert!(matches!(err, CertError::UnknownIssuer { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "the SC's certificate chain does not lead to the CA in the profile (unknown issuer)"
        ),
        "{text}"
    );
    assert!(text.contains("CN=Rogue CA"), "{text}");
    assert!(text.contains("CN=Softwire Test CA"), "{text}");
}

#[test]
fn same_name_different_key_is_a_bad_signature() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let impostor = super::support::ca("Softwire Test CA", Alg::P256);
    let sc = Leaf::sc().issue(&impostor);
    let err = verify_peer_certificate(sc.der(), &[], &ca.anchors(), now(), &fqdn("sc.example.net"))
        .unwrap_err();
    assert_eq!(err, CertError::BadChainSignature);
}

#[test]
fn expired_and_not_yet_valid() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let old = Leaf {
        years: (2000, 2001),
        ..Leaf::sc()
    }
    .issue(&ca);
    let err = verify_peer_certificate(
        old.der(),
        &[],
        &ca.anchors(),
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap_err();
    assert!(matches!(err, CertError::Expired { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("certificate expired on 2001-01-01 00:00:00 UTC"),
        "{text}"
    );
    assert!(text.contains("CN=sc.example.net"), "{text}");
    assert!(text.contains("2025-06-01 00:00:00 UTC"), "{text}");

    let future = Leaf {
        years: (2030, 2031),
        ..Leaf::sc()
    }
    .issue(&ca);
    let err = verify_peer_certificate(
        future.der(),
        &[],
        &ca.anchors(),
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap_err();
    assert!(matches!(err, CertError::NotYetValid { .. }), "{err:?}");
    assert!(err.to_string().contains("2030-01-01 00:00:00 UTC"), "{err}");
}

#[test]
fn chain_through_an_intermediate() {
    let root = ca("Softwire Test Root", Alg::P384);
    let sub = intermediate(&root, "Softwire Test Issuing CA", Alg::P256);
    let sc = Leaf::sc().issue(&sub);
    let anchors = root.anchors();
    verify_peer_certificate(
        sc.der(),
        &[sub.der()],
        &anchors,
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap();
    // Without the intermediate the path cannot be built.
    let err = verify_peer_certificate(sc.der(), &[], &anchors, now(), &fqdn("sc.example.net"))
        .unwrap_err();
    assert!(matches!(err, CertError::UnknownIssuer { .. }), "{err:?}");
    // An unrelated extra certificate is ignored.
    let other = ca("Other CA", Alg::P256);
    verify_peer_certificate(
        sc.der(),
        &[other.der(), sub.der()],
        &anchors,
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap();
}

#[test]
fn rsa_and_ed25519_chains() {
    // RSA CA (PKCS #1 v1.5 SHA-256) over an ECDSA SC, and an Ed25519 CA
    // over an RSA SC.
    let rsa_ca = ca("Softwire RSA CA", Alg::Rsa);
    let sc = Leaf::sc().issue(&rsa_ca);
    verify_peer_certificate(
        sc.der(),
        &[],
        &rsa_ca.anchors(),
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap();

    let ed_ca = ca("Softwire Ed25519 CA", Alg::Ed25519);
    let sc = Leaf {
        alg: Alg::Rsa,
        ..Leaf::sc()
    }
    .issue(&ed_ca);
    let peer = verify_peer_certificate(
        sc.der(),
        &[],
        &ed_ca.anchors(),
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap();
    assert_eq!(peer.key_kind(), &PublicKeyKind::Rsa { modulus_bits: 2048 });
}

#[test]
fn extended_key_usage_variants() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let ipsec_ike = Eku::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 17]);
    let accepted: Vec<Vec<Eku>> = vec![
        Vec::new(),
        vec![Eku::ServerAuth],
        vec![ipsec_ike.clone()],
        vec![Eku::ClientAuth, Eku::ServerAuth],
        vec![Eku::ClientAuth, ipsec_ike],
        vec![Eku::Any],
    ];
    for ekus in accepted {
        let sc = Leaf {
            ekus: ekus.clone(),
            ..Leaf::sc()
        }
        .issue(&ca);
        let result =
            verify_peer_certificate(sc.der(), &[], &ca.anchors(), now(), &fqdn("sc.example.net"));
        assert!(result.is_ok(), "EKU {ekus:?}: {result:?}");
    }

    let refused: Vec<Vec<Eku>> = vec![
        vec![Eku::ClientAuth],
        vec![Eku::CodeSigning, Eku::EmailProtection],
    ];
    for ekus in refused {
        let sc = Leaf {
            ekus: ekus.clone(),
            ..Leaf::sc()
        }
        .issue(&ca);
        let err =
            verify_peer_certificate(sc.der(), &[], &ca.anchors(), now(), &fqdn("sc.example.net"))
                .unwrap_err();
        assert!(
            matches!(err, CertError::KeyUsageNotAllowed { .. }),
            "EKU {ekus:?}: {err:?}"
        );
    }
    let sc = Leaf {
        ekus: vec![Eku::ClientAuth],
        ..Leaf::sc()
    }
    .issue(&ca);
    let err = verify_peer_certificate(sc.der(), &[], &ca.anchors(), now(), &fqdn("sc.example.net"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("allows only clientAuth (1.3.6.1.5.5.7.3.2)"),
        "{err}"
    );
}

#[test]
fn key_usage_must_allow_signing() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let accepted: Vec<Vec<Ku>> = vec![
        Vec::new(),
        vec![Ku::DigitalSignature],
        vec![Ku::ContentCommitment],
        vec![Ku::DigitalSignature, Ku::KeyEncipherment],
    ];
    for key_usages in accepted {
        let sc = Leaf {
            key_usages: key_usages.clone(),
            ..Leaf::sc()
        }
        .issue(&ca);
        let result =
            verify_peer_certificate(sc.der(), &[], &ca.anchors(), now(), &fqdn("sc.example.net"));
        assert!(result.is_ok(), "KU {key_usages:?}: {result:?}");
    }
    let sc = Leaf {
        key_usages: vec![Ku::KeyEncipherment, Ku::DataEncipherment],
        ..Leaf::sc()
    }
    .issue(&ca);
    let err = verify_peer_certificate(sc.der(), &[], &ca.anchors(), now(), &fqdn("sc.example.net"))
        .unwrap_err();
    assert!(
        matches!(err, CertError::KeyUsageForbidsSigning { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("Key Encipherment"), "{err}");
}

#[test]
fn email_ip_and_dn_identities() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let sc = Leaf {
        sans: vec![
            dns("sc.example.net"),
            email("vpn@example.net"),
            ip("192.0.2.10"),
            ip("2001:db8::10"),
        ],
        ..Leaf::sc()
    }
    .issue(&ca);
    let anchors = ca.anchors();
    let check = |expected: ExpectedIdentity| {
        verify_peer_certificate(sc.der(), &[], &anchors, now(), &expected)
    };

    check(ExpectedIdentity::Email("vpn@example.net".to_owned())).unwrap();
    check(ExpectedIdentity::Email("VPN@Example.NET".to_owned())).unwrap();
    check(ExpectedIdentity::Ip("192.0.2.10".parse().unwrap())).unwrap();
    check(ExpectedIdentity::Ip("2001:db8::10".parse().unwrap())).unwrap();

    let err = check(ExpectedIdentity::Email("admin@example.net".to_owned())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the SC's certificate names vpn@example.net, but the profile expects admin@example.net"
    );
    let err = check(ExpectedIdentity::Ip("192.0.2.11".parse().unwrap())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the SC's certificate names 192.0.2.10, 2001:db8::10, but the profile expects 192.0.2.11"
    );
    // An FQDN is not matched against email or IP names, nor vice versa.
    let err = check(ExpectedIdentity::Email("sc.example.net".to_owned())).unwrap_err();
    assert!(matches!(err, CertError::IdentityMismatch { .. }), "{err:?}");

    // DN: the subject's DER, bitwise.
    let parsed = x509_parser::parse_x509_certificate(sc.der()).unwrap().1;
    let subject_der = parsed.subject().as_raw().to_vec();
    check(ExpectedIdentity::Dn(subject_der.clone())).unwrap();
    let ca_parsed = x509_parser::parse_x509_certificate(ca.der()).unwrap().1;
    let err = check(ExpectedIdentity::Dn(ca_parsed.subject().as_raw().to_vec())).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("the SC's certificate names \"O=Softwire Test, CN=sc.example.net\""),
        "{text}"
    );
    assert!(
        text.ends_with("but the profile expects \"O=Softwire Test, CN=Softwire Test CA\""),
        "{text}"
    );
}

#[test]
fn ca_certificate_as_end_entity_is_refused() {
    let root = ca("Softwire Test Root", Alg::P256);
    let sub = intermediate(&root, "sc.example.net", Alg::P256);
    let err = verify_peer_certificate(
        sub.der(),
        &[],
        &root.anchors(),
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap_err();
    assert!(matches!(err, CertError::InvalidChain { .. }), "{err:?}");
}

#[test]
fn malformed_certificates() {
    let ca = ca("Softwire Test CA", Alg::P256);
    let sc = Leaf::sc().issue(&ca);
    for garbage in [
        &[][..],
        &[0x30, 0x03, 0x02, 0x01, 0x00][..],
        &sc.der()[..40],
    ] {
        let err =
            verify_peer_certificate(garbage, &[], &ca.anchors(), now(), &fqdn("x")).unwrap_err();
        assert!(matches!(err, CertError::Malformed { .. }), "{err:?}");
    }
    // A garbage intermediate is skipped, not fatal, when the path does not
    // need it.
    verify_peer_certificate(
        sc.der(),
        &[&[0x30, 0x00][..]],
        &ca.anchors(),
        now(),
        &fqdn("sc.example.net"),
    )
    .unwrap();
}

#[test]
fn trust_anchor_loading() {
    let ca1 = ca("Softwire Test CA", Alg::P256);
    let ca2 = ca("Softwire Second CA", Alg::Rsa);

    let empty: [&[u8]; 0] = [];
    assert_eq!(
        TrustAnchors::from_der(&empty).unwrap_err(),
        CertError::NoTrustAnchors
    );
    let err = TrustAnchors::from_der(&[ca1.der(), &[0x30, 0x01, 0x00][..]]).unwrap_err();
    assert!(
        matches!(err, CertError::BadTrustAnchor { index: 2, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("CA certificate #2 in the profile"),
        "{err}"
    );

    let pem = format!(
        "# the profile's CAs\n{}\n{}",
        ca1.cert.pem(),
        ca2.cert.pem()
    );
    let anchors = TrustAnchors::from_pem(pem.as_bytes()).unwrap();
    assert_eq!(anchors.subjects().len(), 2);
    assert_eq!(anchors.certificates().next(), Some(ca1.der()));
    // Either CA anchors a chain.
    let sc = Leaf::sc().issue(&ca2);
    verify_peer_certificate(sc.der(), &[], &anchors, now(), &fqdn("sc.example.net")).unwrap();
    assert_eq!(
        TrustAnchors::from_pem(b"no certificates here").unwrap_err(),
        CertError::NoTrustAnchors
    );
}

#[test]
fn certreq_authority_is_sha1_of_the_spki() {
    let ca1 = ca("Softwire Test CA", Alg::P256);
    let ca2 = ca("Softwire Second CA", Alg::Rsa);
    let sha1 = |data: &[u8]| {
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
            .as_ref()
            .to_vec()
    };
    let expected1 = sha1(&ca1.key.public_key_der());
    let expected2 = sha1(&ca2.key.public_key_der());
    assert_eq!(certreq_authority(ca1.der()).unwrap().to_vec(), expected1);
    let anchors = TrustAnchors::from_der(&[ca1.der(), ca2.der()]).unwrap();
    assert_eq!(
        anchors.certreq_authorities(),
        [expected1, expected2].concat()
    );
    assert!(certreq_authority(b"junk").is_err());
}

#[test]
fn identity_from_id_payloads() {
    let cases = [
        (
            Identification::fqdn("sc.example.net"),
            fqdn("sc.example.net"),
        ),
        (
            Identification::rfc822("vpn@example.net"),
            ExpectedIdentity::Email("vpn@example.net".to_owned()),
        ),
        (
            Identification::ip("192.0.2.1".parse().unwrap()),
            ExpectedIdentity::Ip("192.0.2.1".parse().unwrap()),
        ),
        (
            Identification::ip("2001:db8::1".parse().unwrap()),
            ExpectedIdentity::Ip("2001:db8::1".parse().unwrap()),
        ),
    ];
    for (id, expected) in cases {
        let got = ExpectedIdentity::from_id_payload(&id).unwrap();
        assert_eq!(got, expected);
        assert_eq!(got.to_id_payload(), id);
    }

    // A DER DN round-trips.
    let ca = ca("Softwire Test CA", Alg::P256);
    let parsed = x509_parser::parse_x509_certificate(ca.der()).unwrap().1;
    let dn = parsed.subject().as_raw().to_vec();
    let id = Identification::new(IdType::DerAsn1Dn, dn.clone());
    assert_eq!(
        ExpectedIdentity::from_id_payload(&id).unwrap(),
        ExpectedIdentity::Dn(dn)
    );

    let bad = [
        Identification::new(IdType::Ipv4Addr, vec![192, 0, 2]),
        Identification::new(IdType::Ipv6Addr, vec![0; 4]),
        Identification::new(IdType::Fqdn, vec![0xff, 0xfe]),
        Identification::new(IdType::Fqdn, Vec::new()),
        Identification::new(IdType::DerAsn1Dn, vec![0x30, 0x05, 0x00]),
    ];
    for id in bad {
        let err = ExpectedIdentity::from_id_payload(&id).unwrap_err();
        assert!(
            matches!(err, IdentityError::MalformedId { .. }),
            "{id:?}: {err:?}"
        );
    }
    for id_type in [
        IdType::KeyId,
        IdType::DerAsn1Gn,
        IdType::Null,
        IdType::Unknown(200),
    ] {
        let err =
            ExpectedIdentity::from_id_payload(&Identification::new(id_type, vec![1])).unwrap_err();
        assert_eq!(err, IdentityError::UnsupportedIdType { id_type });
    }
}

#[test]
fn idr_must_equal_the_profile_identity() {
    let profile = fqdn("sc.example.net");
    assert_eq!(
        profile
            .check_id_payload(&Identification::fqdn("SC.example.net"))
            .unwrap(),
        fqdn("SC.example.net")
    );
    let err = profile
        .check_id_payload(&Identification::fqdn("sc.evil.example"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the SC identified itself as sc.evil.example, but the profile expects sc.example.net"
    );
    let addr: IpAddr = "192.0.2.1".parse().unwrap();
    let err = profile
        .check_id_payload(&Identification::ip(addr))
        .unwrap_err();
    assert!(matches!(err, IdentityError::IdMismatch { .. }), "{err:?}");
}
