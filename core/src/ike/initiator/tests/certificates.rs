//! Certificate and EAP paths: the SC proves itself by certificate before
//! EAP starts; rogue certificates are refused before anything derived from
//! the password is sent; wrong passwords fail once; client certificates.

use crate::crypto::SecretBytes;
use crate::eap::EapError;
use crate::ike::initiator::{ClientAuth, InitiatorConfig, InitiatorError, ScAuth};
use crate::ike::payload::Identification;
use crate::ike::types::ExchangeType;
use crate::ike::Payload;
use crate::pki::tests::support::{self, ca, dns, email, Alg, Issued, Leaf};
use crate::pki::{CertError, LocalSigner};

use super::fake_sc::{EapUser, ScCert, Script};
use super::{Harness, PSK};

const USER: &str = "alice@eap.example.net";
pub(super) const PASSWORD: &str = "pässwörd 1";

pub(super) fn sc_script(leaf: &Issued) -> Script {
    let mut script = Script::psk(PSK);
    script.cert = Some(ScCert {
        der: leaf.der().to_vec(),
        signer: LocalSigner::from_pkcs8(&leaf.pkcs8()).unwrap(),
    });
    script.eap = Some(EapUser {
        name: USER.to_owned(),
        password: PASSWORD.to_owned(),
    });
    script
}

pub(super) fn eap_config(ca: &Issued, password: &str) -> InitiatorConfig {
    let mut config = InitiatorConfig::new(
        Identification::rfc822(USER),
        Identification::fqdn("sc.example.net"),
        ClientAuth::EapMsChapV2 {
            identity: USER.to_owned(),
            password: SecretBytes::from_slice(password.as_bytes()),
        },
        ScAuth::Certificate(ca.anchors()),
    );
    config.wall_clock = Some(support::now());
    config
}

pub(super) fn has_eap_or_auth(payloads: &[Payload]) -> bool {
    payloads
        .iter()
        .any(|p| matches!(p, Payload::Eap(_) | Payload::Authentication(_)))
}

#[test]
fn eap_mschapv2_runs_after_the_sc_proves_its_certificate() {
    let root = ca("Softwire Test CA", Alg::P256);
    let leaf = Leaf::sc().issue(&root);
    let mut h = Harness::new(eap_config(&root, PASSWORD), sc_script(&leaf));
    h.pump();
    let e = h.established().unwrap_or_else(|| panic!("{:?}", h.events));
    assert_eq!(e.sc_identity, "sc.example.net");
    // Rounds: identities only; EAP identity; MS-CHAPv2 response;
    // success response; AUTH over the MSK.
    let rounds = &h.sc.auth_requests;
    assert_eq!(rounds.len(), 5);
    assert!(
        !has_eap_or_auth(&rounds[0]),
        "first IKE_AUTH carries no AUTH, no EAP"
    );
    assert!(rounds[0]
        .iter()
        .any(|p| matches!(p, Payload::CertificateRequest(_))));
    assert!(matches!(&rounds[4][..], [Payload::Authentication(_)]));
}

#[test]
fn wrong_password_fails_once_with_a_clear_error() {
    let root = ca("Softwire Test CA", Alg::P256);
    let leaf = Leaf::sc().issue(&root);
    let mut h = Harness::new(eap_config(&root, "wrong"), sc_script(&leaf));
    h.pump();
    match h.closed() {
        Some(Err(InitiatorError::Eap(EapError::Rejected { code, .. }))) => {
            assert_eq!(code.code(), 691);
        }
        other => panic!("{other:?}"),
    }
    let text = h.closed().unwrap().as_ref().unwrap_err().to_string();
    assert!(text.contains("wrong user name or password"), "{text}");
    // Identity, one response with the password proof, the Failure-Response:
    // no second try.
    assert_eq!(h.sc.auth_requests.len(), 4);
    assert_eq!(h.initiator.poll_timeout(), None);
}

fn refused_before_eap(leaf_issuer: &Issued, leaf: Leaf, trusted: &Issued) -> InitiatorError {
    let issued = leaf.issue(leaf_issuer);
    let mut h = Harness::new(eap_config(trusted, PASSWORD), sc_script(&issued));
    h.pump();
    assert!(h.established().is_none());
    // Only the first IKE_AUTH went out (no AUTH, no EAP), then our DELETE.
    assert_eq!(h.sc.auth_requests.len(), 1);
    assert!(!has_eap_or_auth(&h.sc.auth_requests[0]));
    let last = h.sc.received.last().unwrap();
    assert_eq!(last.header.exchange, ExchangeType::Informational);
    match h.events.pop() {
        Some(crate::ike::initiator::Event::Closed(Err(e))) => e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn certificate_for_another_identity_is_refused_before_eap() {
    let root = ca("Softwire Test CA", Alg::P256);
    let mut leaf = Leaf::sc();
    leaf.cn = "rogue.example.net";
    leaf.sans = vec![dns("rogue.example.net")];
    let e = refused_before_eap(&root, leaf, &root);
    assert!(
        matches!(
            e,
            InitiatorError::ScCertificate(CertError::IdentityMismatch { .. })
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("rogue.example.net") && text.contains("sc.example.net"),
        "{text}"
    );
}

#[test]
fn certificate_from_an_unknown_ca_is_refused_before_eap() {
    let trusted = ca("Softwire Test CA", Alg::P256);
    let rogue = ca("Rogue CA", Alg::P256);
    let e = refused_before_eap(&rogue, Leaf::sc(), &trusted);
    assert!(
        matches!(
            e,
            InitiatorError::ScCertificate(CertError::UnknownIssuer { .. })
        ),
        "{e:?}"
    );
}

#[test]
fn expired_sc_certificate_is_refused() {
    let root = ca("Softwire Test CA", Alg::P256);
    let mut leaf = Leaf::sc();
    leaf.years = (2020, 2021);
    let e = refused_before_eap(&root, leaf, &root);
    assert!(e.to_string().contains("expired"), "{e}");
}

#[test]
fn client_certificate_and_sc_certificate() {
    let root = ca("Softwire Test CA", Alg::P384);
    let sc_leaf = Leaf::sc().issue(&root);
    let mut client_leaf = Leaf::sc();
    client_leaf.cn = "client@example.net";
    client_leaf.sans = vec![email("client@example.net")];
    client_leaf.alg = Alg::Ed25519;
    let client = client_leaf.issue(&root);
    let mut script = sc_script(&sc_leaf);
    script.eap = None;
    script.client_ca = Some(root.anchors());
    let mut config = InitiatorConfig::new(
        Identification::rfc822("client@example.net"),
        Identification::fqdn("sc.example.net"),
        ClientAuth::Certificate {
            signer: LocalSigner::from_pkcs8(&client.pkcs8()).unwrap(),
            certificate: client.der().to_vec(),
            intermediates: Vec::new(),
        },
        ScAuth::Certificate(root.anchors()),
    );
    config.wall_clock = Some(support::now());
    let mut h = Harness::new(config, script);
    h.pump();
    assert!(h.established().is_some(), "{:?}", h.events);
    let first = &h.sc.auth_requests[0];
    assert!(first.iter().any(|p| matches!(p, Payload::Certificate(_))));
}

#[test]
fn certificate_checks_without_a_clock_are_a_configuration_error() {
    let root = ca("Softwire Test CA", Alg::P256);
    let leaf = Leaf::sc().issue(&root);
    let mut config = eap_config(&root, PASSWORD);
    config.wall_clock = None;
    let mut h = Harness::new(config, sc_script(&leaf));
    h.pump();
    assert!(
        matches!(h.closed(), Some(Err(InitiatorError::Config(_)))),
        "{:?}",
        h.events
    );
}
