//! The lab's real certificates (strongSwan `pki`, see tests/lab/lib/pki.sh).
//!
//! Run with the lab PKI directory, e.g. after `tests/lab/lab.sh up`:
//!
//! ```text
//! SOFTWIRE_LAB_PKI=$LAB_DIR/pki cargo test -p softwire-core pki -- --ignored
//! ```
//!
//! The test fails, rather than passing silently, when the variable is
//! not set.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::ike::types::{AuthMethod, HashAlgorithm};
use crate::pki::{
    verify_auth, verify_peer_certificate, CertError, ExpectedIdentity, LocalSigner, PublicKeyKind,
    TrustAnchors, UnixTime,
};

fn lab_file(dir: &Path, name: &str) -> Option<Vec<u8>> {
    std::fs::read(dir.join(name)).ok()
}

#[test]
#[ignore = "needs SOFTWIRE_LAB_PKI pointing to the lab's pki directory"]
fn lab_certificates() {
    let dir = PathBuf::from(
        std::env::var_os("SOFTWIRE_LAB_PKI")
            .expect("set SOFTWIRE_LAB_PKI to the lab's pki directory (tests/lab/lib/pki.sh)"),
    );
    let read = |name: &str| {
        lab_file(&dir, name).unwrap_or_else(|| panic!("{} is missing", dir.join(name).display()))
    };
    let sc_id = std::env::var("SOFTWIRE_LAB_SC_ID").unwrap_or_else(|_| "sc.example.net".into());
    let client_id =
        std::env::var("SOFTWIRE_LAB_CLIENT_ID").unwrap_or_else(|_| "client@example.net".into());
    let now = UnixTime::since_unix_epoch(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap(),
    );

    let anchors = TrustAnchors::from_der(&[read("ca.crt.der")]).unwrap();
    assert!(
        anchors.subjects()[0].contains("Softwire Lab Root CA"),
        "{:?}",
        anchors.subjects()
    );
    assert_eq!(anchors.certreq_authorities().len(), 20);

    // The SC: serverAuth + ikeIntermediate, SAN dns.
    let sc = read("sc.crt.der");
    let peer = verify_peer_certificate(
        &sc,
        &[],
        &anchors,
        now,
        &ExpectedIdentity::Fqdn(sc_id.clone()),
    )
    .unwrap();
    println!(
        "lab SC certificate: {} ({})",
        peer.subject(),
        peer.key_kind()
    );
    let err = verify_peer_certificate(
        &sc,
        &[],
        &anchors,
        now,
        &ExpectedIdentity::Fqdn("other.example.net".into()),
    )
    .unwrap_err();
    assert!(matches!(err, CertError::IdentityMismatch { .. }), "{err}");

    // The client's certificate carries clientAuth only, so it is not a
    // valid SC certificate under RFC 4945 §5.1.3.12 as applied here.
    let client = read("client.crt.der");
    let err = verify_peer_certificate(
        &client,
        &[],
        &anchors,
        now,
        &ExpectedIdentity::Email(client_id),
    )
    .unwrap_err();
    assert!(matches!(err, CertError::KeyUsageNotAllowed { .. }), "{err}");

    // The client key loads and matches its certificate.
    let signer = LocalSigner::from_pkcs8(&read("client.key.der")).unwrap();
    let parsed = x509_parser::parse_x509_certificate(&client).unwrap().1;
    assert_eq!(
        signer.public_key(),
        parsed.public_key().subject_public_key.data.as_ref()
    );
    let hashes = [HashAlgorithm::Sha2_256, HashAlgorithm::Sha2_384];
    let (method, data) = signer.sign(b"lab signed octets", &hashes).unwrap();
    assert_eq!(method, AuthMethod::DigitalSignature);
    assert!(matches!(
        signer.key_kind(),
        PublicKeyKind::Rsa { .. } | PublicKeyKind::EcdsaP256
    ));
    // And an SC signature made with the SC's key, if the lab left it.
    if let Some(pem) = lab_file(&dir, "sc.key.pem") {
        use rustls_pki_types::pem::PemObject;
        if let Ok(key) = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(&pem) {
            let sc_signer = LocalSigner::from_pkcs8(key.secret_pkcs8_der()).unwrap();
            let (method, data) = sc_signer.sign(b"sc signed octets", &hashes).unwrap();
            verify_auth(&peer, method, &data, b"sc signed octets", &hashes).unwrap();
        }
    }
    assert!(!data.is_empty());

    // Rogue responders, if `lab.sh rogues up` made them.
    if let Some(rogue) = lab_file(&dir, "rogue-identity.crt.der") {
        let err = verify_peer_certificate(
            &rogue,
            &[],
            &anchors,
            now,
            &ExpectedIdentity::Fqdn(sc_id.clone()),
        )
        .unwrap_err();
        assert!(matches!(err, CertError::IdentityMismatch { .. }), "{err}");
    }
    if let Some(rogue) = lab_file(&dir, "rogue-ca.crt.der") {
        let err =
            verify_peer_certificate(&rogue, &[], &anchors, now, &ExpectedIdentity::Fqdn(sc_id))
                .unwrap_err();
        assert!(matches!(err, CertError::UnknownIssuer { .. }), "{err}");
    }
}
