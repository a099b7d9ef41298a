#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::profile::{AuthMethodSetting, TunnelMode};

const LAB_CA: &[u8] = include_bytes!("testdata/lab-ca.der");
const EAP_SSWAN: &str = include_str!("testdata/eap.sswan");
const EAP_MOBILECONFIG: &str = include_str!("testdata/eap.mobileconfig");
const PSK_MOBILECONFIG: &str = include_str!("testdata/psk.mobileconfig");

fn sswan(text: &str) -> Result<Imported, ImportError> {
    import(ImportFormat::Sswan, text.as_bytes())
}

fn mobileconfig(text: &str) -> Result<Imported, ImportError> {
    import(ImportFormat::MobileConfig, text.as_bytes())
}

fn sswan_error(text: &str) -> String {
    sswan(text).unwrap_err().to_string()
}

fn mobileconfig_error(text: &str) -> String {
    mobileconfig(text).unwrap_err().to_string()
}

/// The warning containing `needle`, failing with all warnings shown.
fn warning<'a>(imported: &'a Imported, needle: &str) -> &'a str {
    imported
        .warnings
        .iter()
        .find(|w| w.contains(needle))
        .unwrap_or_else(|| panic!("no warning with {needle:?} in {:#?}", imported.warnings))
}

/// Does what the profile store does (set `sc.ca` when certificates came
/// with the file) and checks that the profile survives TOML both ways.
fn store(imported: &Imported) -> Profile {
    let mut profile = imported.profile.clone();
    if !imported.ca_certificates.is_empty() {
        assert_eq!(profile.sc.ca, None);
        match profile.validate() {
            Err(ProfileError::Field { field, .. }) => assert_eq!(field, "sc.ca"),
            other => panic!("expected only sc.ca to be missing, got {other:?}"),
        }
        profile.sc.ca = Some("/var/lib/softwire/ca/imported.pem".to_owned());
    }
    let text = profile.to_toml().unwrap();
    let back = Profile::from_toml(&text).unwrap();
    assert_eq!(back, profile);
    back
}

// ---- .sswan ----

#[test]
fn a_full_sswan_profile_maps_and_warns_about_the_rest() {
    let imported = sswan(EAP_SSWAN).unwrap();
    let p = &imported.profile;
    assert_eq!(p.name, "Lab office");
    assert_eq!(p.sc.address, "vpn.example.net");
    assert_eq!(p.sc.port, 4500);
    assert_eq!(p.sc.identity.as_deref(), Some("sc.example.net"));
    assert_eq!(p.sc.ca, None);
    assert_eq!(p.auth.method, AuthMethodSetting::EapMschapv2);
    assert_eq!(p.auth.identity, "alice@example.net");
    assert_eq!(p.tunnel.mtu, Some(1400));
    assert_eq!(p.tunnel.mode, TunnelMode::Split);
    assert_eq!(
        p.tunnel.routes,
        [
            "198.51.100.0/24",
            "2001:db8:5173::/64",
            // 203.0.113.10 - 203.0.113.20, exactly.
            "203.0.113.10/31",
            "203.0.113.12/30",
            "203.0.113.16/30",
            "203.0.113.20/32",
        ]
    );
    assert_eq!(imported.ca_certificates, [LAB_CA.to_vec()]);

    assert!(warning(&imported, "remote.revocation").contains("CRLs or OCSP"));
    assert!(warning(&imported, "dns-servers").contains("192.0.2.53, 2001:db8::53"));
    assert!(warning(&imported, "ike-proposal").contains("aes256-sha256-ecp256"));
    assert!(warning(&imported, "split-tunneling.excluded").contains("198.51.100.128/25"));
    warning(&imported, "split-tunneling.block-ipv6");
    assert!(warning(&imported, "apps").contains("all applications"));
    assert!(warning(&imported, "unknown keys").ends_with(": future-option"));
    assert!(!imported
        .warnings
        .iter()
        .any(|w| w.contains("system trust store")));
    assert!(!imported
        .warnings
        .iter()
        .any(|w| w.contains("not a CA certificate")));
    assert_eq!(imported.warnings.len(), 7, "{:#?}", imported.warnings);

    let stored = store(&imported);
    assert_eq!(stored.tunnel.routes.len(), 6);
}

#[test]
fn a_sswan_profile_without_a_certificate_trusts_the_system_store() {
    let imported = sswan(include_str!("testdata/eap-minimal.sswan")).unwrap();
    let p = &imported.profile;
    assert_eq!(p.name, "Branch");
    assert_eq!(p.sc.address, "198.51.100.7");
    assert_eq!(p.sc.port, 500);
    assert_eq!(p.sc.identity, None);
    assert_eq!(p.sc.ca.as_deref(), Some("system"));
    // Only local.id is given: it is the EAP identity too.
    assert_eq!(p.auth.identity, "bob@example.net");
    assert_eq!(p.tunnel.mode, TunnelMode::Full);
    assert!(imported.ca_certificates.is_empty());
    assert_eq!(
        imported.warnings,
        [
            "the file carries no CA certificate: the SC's certificate will be checked against \
          the system trust store (sc.ca = \"system\")"
        ]
    );
    // Complete as returned.
    p.validate().unwrap();
    assert_eq!(store(&imported), *p);
}

#[test]
fn a_sswan_profile_without_remote_addr_is_refused_naming_it() {
    let e = sswan(include_str!("testdata/missing-addr.sswan")).unwrap_err();
    assert_eq!(
        e,
        ImportError::Missing {
            field: "remote.addr".into(),
            what: "the SC's host name or IP address"
        }
    );
    assert!(
        e.to_string().starts_with("\"remote.addr\" is missing"),
        "{e}"
    );
}

#[test]
fn a_port_that_is_not_a_number_is_refused_naming_it() {
    assert_eq!(
        sswan_error(include_str!("testdata/port-abc.sswan")),
        "\"remote.port\" must be a number from 1 to 65535"
    );
    let zero = EAP_SSWAN.replace("\"port\": 4500", "\"port\": 0");
    assert_eq!(
        sswan_error(&zero),
        "\"remote.port\" must be a number from 1 to 65535"
    );
    // Android accepts digits in a string, and so does the import.
    let text = EAP_SSWAN.replace("\"port\": 4500", "\"port\": \"4501\"");
    assert_eq!(sswan(&text).unwrap().profile.sc.port, 4501);
}

#[test]
fn unsupported_sswan_types_say_why() {
    let e = sswan_error(include_str!("testdata/byod.sswan"));
    assert!(
        e.starts_with("type \"ikev2-byod-eap\" is not supported: ") && e.contains("\"ikev2-eap\""),
        "{e}"
    );
    let e = sswan_error(&EAP_SSWAN.replace("ikev2-eap", "ikev2-psk"));
    assert!(
        e.starts_with("type \"ikev2-psk\" is not supported: "),
        "{e}"
    );
}

#[test]
fn certificate_sswan_types_explain_the_pkcs12_conversion() {
    let e = sswan_error(include_str!("testdata/cert.sswan"));
    assert!(
        e.starts_with("type \"ikev2-cert\" is not supported: "),
        "{e}"
    );
    for needle in [
        "PKCS#12",
        "local.p12",
        "openssl pkcs12 -in client.p12",
        "auth.method = \"certificate\"",
        "auth.private_key",
    ] {
        assert!(e.contains(needle), "{needle:?} not in {e}");
    }
    for kind in ["ikev2-cert-eap", "ikev2-eap-tls"] {
        let text = include_str!("testdata/cert.sswan").replace("ikev2-cert", kind);
        assert!(sswan_error(&text).contains("PKCS#12"));
    }
}

#[test]
fn files_that_are_not_json_are_refused_with_the_position() {
    assert_eq!(
        sswan_error(include_str!("testdata/not-json.sswan")),
        "not JSON: key must be a string at line 3 column 3"
    );
    let e = sswan_error(include_str!("testdata/truncated.sswan"));
    assert!(
        e.starts_with("not JSON: EOF while parsing a string at line 9"),
        "{e}"
    );
    assert_eq!(
        sswan_error("[\"ikev2-eap\"]"),
        "not a profile: the top level of a .sswan file must be a JSON object"
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(sswan_error(&deep).contains("recursion limit exceeded"));
}

#[test]
fn sswan_fields_of_the_wrong_type_are_named() {
    let cases = [
        (
            "\"mtu\": 1400",
            "\"mtu\": \"big\"",
            "\"mtu\" must be a number",
        ),
        (
            "\"certreq\": true",
            "\"certreq\": 1",
            "\"remote.certreq\" must be true or false",
        ),
        (
            "\"ocsp\": false",
            "\"ocsp\": \"no\"",
            "\"remote.revocation.ocsp\" must be true or false",
        ),
        (
            "\"id\": \"sc.example.net\"",
            "\"id\": [\"sc.example.net\"]",
            "\"remote.id\" must be a string",
        ),
        (
            "\"eap_id\": \"alice@example.net\"",
            "\"eap_id\": 7",
            "\"local.eap_id\" must be a string",
        ),
        (
            "\"apps\": [\"net.example.mail\"]",
            "\"apps\": {}",
            "\"apps\" must be a list of strings",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(EAP_SSWAN.contains(from), "{from}");
        assert_eq!(sswan_error(&EAP_SSWAN.replace(from, to)), expected);
    }
    let text = EAP_SSWAN.replace("\"remote\": {", "\"remote\": 5, \"old\": {");
    assert_eq!(sswan_error(&text), "\"remote\" must be an object");
}

#[test]
fn bad_sswan_values_are_named() {
    let text = EAP_SSWAN.replace("\"vpn.example.net\"", "\"vpn example net\"");
    assert_eq!(
        sswan_error(&text),
        "\"remote.addr\" is not usable: \"vpn example net\" is neither an IP address nor a host \
         name"
    );
    let text = EAP_SSWAN.replace("\"198.51.100.0/24\"", "\"198.51.100.0/33\"");
    assert_eq!(
        sswan_error(&text),
        "\"split-tunneling.subnets\" holds a bad prefix: prefix length 33 is longer than 32"
    );
    let text = EAP_SSWAN.replace("203.0.113.10 - 203.0.113.20", "203.0.113.20-203.0.113.10");
    assert!(sswan_error(&text).contains("from a lower to a higher address"));
    let text = EAP_SSWAN.replace("\"eap_id\": \"alice@example.net\"", "\"eap_id\": \" \"");
    assert!(sswan_error(&text).starts_with("\"local.eap_id\" is missing: the user name"));
    let text = EAP_SSWAN.replace("\"type\": \"ikev2-eap\",", "");
    assert!(sswan_error(&text).starts_with("\"type\" is missing"));
}

#[test]
fn a_remote_cert_must_be_a_certificate() {
    let b64 = EAP_SSWAN
        .split("\"cert\": \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let text = EAP_SSWAN.replace(b64, "not base64!");
    assert!(sswan_error(&text).starts_with("\"remote.cert\" is not base64: "));
    let text = EAP_SSWAN.replace(b64, "aGVsbG8gd29ybGQ=");
    let e = sswan_error(&text);
    assert!(
        e.starts_with("\"remote.cert\" is not a usable certificate: "),
        "{e}"
    );
    // PEM is taken too, and line breaks inside the base64.
    let wrapped: String = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\\n");
    let text = EAP_SSWAN.replace(b64, &wrapped);
    assert_eq!(sswan(&text).unwrap().ca_certificates, [LAB_CA.to_vec()]);
    let pem_text =
        format!("-----BEGIN CERTIFICATE-----\\n{wrapped}\\n-----END CERTIFICATE-----\\n");
    let text = EAP_SSWAN.replace(b64, &pem_text);
    assert_eq!(sswan(&text).unwrap().ca_certificates, [LAB_CA.to_vec()]);
}

#[test]
fn a_server_certificate_instead_of_a_ca_draws_a_warning() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["sc.example.net".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(cert.der())
    };
    let original = EAP_SSWAN
        .split("\"cert\": \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let imported = sswan(&EAP_SSWAN.replace(original, &b64)).unwrap();
    assert_eq!(imported.ca_certificates, [cert.der().to_vec()]);
    assert!(
        warning(&imported, "not a CA certificate").starts_with("the certificate in remote.cert")
    );
}

#[test]
fn a_password_in_a_sswan_file_is_left_out() {
    let secret = "hunter2-sswan-secret";
    let text = EAP_SSWAN.replace(
        "\"eap_id\": \"alice@example.net\"",
        &format!("\"eap_id\": \"alice@example.net\", \"password\": \"{secret}\""),
    );
    let imported = sswan(&text).unwrap();
    assert!(!format!("{imported:?}").contains(secret));
    assert!(warning(&imported, "local.password").contains("softwire password set PROFILE"));
}

#[test]
fn a_name_with_control_characters_is_cleaned_and_an_empty_one_replaced() {
    let text = EAP_SSWAN.replace("\"Lab office\"", "\"Lab\\noffice\\t\"");
    assert_eq!(sswan(&text).unwrap().profile.name, "Lab office");
    let text = EAP_SSWAN.replace("\"Lab office\"", "\"  \"");
    assert_eq!(sswan(&text).unwrap().profile.name, "vpn.example.net");
}

#[test]
fn an_mtu_out_of_range_is_left_to_softwire() {
    let imported = sswan(&EAP_SSWAN.replace("\"mtu\": 1400", "\"mtu\": 1200")).unwrap();
    assert_eq!(imported.profile.tunnel.mtu, None);
    assert!(warning(&imported, "mtu 1200").contains("1280 to 9000"));
}

// ---- .mobileconfig ----

#[test]
fn an_eap_mobileconfig_maps_with_its_root_certificate() {
    let imported = mobileconfig(EAP_MOBILECONFIG).unwrap();
    let p = &imported.profile;
    assert_eq!(p.name, "Lab office (IKEv2)");
    assert_eq!(p.sc.address, "vpn.example.net");
    assert_eq!(p.sc.port, 500);
    assert_eq!(p.sc.identity.as_deref(), Some("sc.example.net"));
    assert_eq!(p.sc.ca, None);
    assert_eq!(p.auth.method, AuthMethodSetting::EapMschapv2);
    assert_eq!(p.auth.identity, "alice@example.net");
    assert_eq!(p.rekey.dpd_seconds, 600);
    assert_eq!(p.rekey.ike_seconds, 480 * 60);
    assert_eq!(p.rekey.child_seconds, 60 * 60);
    assert!(p.rekey.pfs);
    assert_eq!(p.tunnel.mode, TunnelMode::Full);
    assert_eq!(imported.ca_certificates, [LAB_CA.to_vec()]);

    let password = "eap-password-do-not-leak-41";
    assert!(!format!("{imported:?}").contains(password));
    assert_eq!(
        warning(&imported, "AuthPassword"),
        "the file carries the EAP password (IKEv2.AuthPassword); it was not imported: store it \
         with `softwire password set PROFILE`"
    );
    assert_eq!(
        warning(&imported, "ServerCertificateIssuerCommonName"),
        "IKEv2.ServerCertificateIssuerCommonName (\"Lab CA\") is not checked as such: Softwire \
         requires the SC's certificate to chain to sc.ca and to name sc.identity \
         (\"sc.example.net\")"
    );
    let algorithms = warning(&imported, "algorithm settings");
    assert!(algorithms.contains("IKESecurityAssociationParameters.EncryptionAlgorithm"));
    assert!(algorithms.contains("ChildSecurityAssociationParameters.DiffieHellmanGroup"));
    warning(&imported, "OnDemandRules");
    // DisableMOBIKE = 0 is the default and goes unmentioned.
    assert_eq!(
        warning(&imported, "these settings"),
        "these settings are not imported: IKEv2.DisableRedirect"
    );
    assert_eq!(imported.warnings.len(), 5, "{:#?}", imported.warnings);
    store(&imported);
}

#[test]
fn a_psk_mobileconfig_keeps_no_secret() {
    let secret = "psk-Zq8vN3-do-not-leak";
    assert!(PSK_MOBILECONFIG.contains(secret));
    let imported = mobileconfig(PSK_MOBILECONFIG).unwrap();
    let p = &imported.profile;
    assert_eq!(p.name, "Branch 7");
    assert_eq!(p.sc.address, "203.0.113.5");
    assert_eq!(p.sc.identity.as_deref(), Some("203.0.113.5"));
    assert_eq!(p.sc.ca, None);
    assert_eq!(p.auth.method, AuthMethodSetting::Psk);
    assert_eq!(p.auth.identity, "branch-7.example.net");
    assert_eq!(p.rekey.dpd_seconds, 60);
    assert!(imported.ca_certificates.is_empty());
    assert_eq!(
        imported.warnings,
        [
            "the file carries a pre-shared key (IKEv2.SharedSecret); it was not imported: store \
          it with `softwire password set PROFILE`"
        ]
    );
    assert!(!format!("{imported:?}").contains(secret));
    assert!(!imported.warnings.iter().any(|w| w.contains(secret)));
    p.validate().unwrap();
    store(&imported);

    // An error about the same file does not carry it either.
    let broken = PSK_MOBILECONFIG.replace("<key>LocalIdentifier</key>", "<key>Other</key>");
    let e = mobileconfig(&broken).unwrap_err();
    assert_eq!(
        e.to_string(),
        "\"IKEv2.LocalIdentifier\" is missing: the identity the client presents"
    );
    assert!(!format!("{e:?}").contains(secret));
}

#[test]
fn a_signed_mobileconfig_is_refused() {
    let signed = include_bytes!("testdata/signed.mobileconfig");
    let e = import(ImportFormat::MobileConfig, signed).unwrap_err();
    assert_eq!(e, ImportError::Signed);
    assert_eq!(
        e.to_string(),
        "signed .mobileconfig files are not supported: export it unsigned"
    );
}

#[test]
fn a_mobileconfig_without_a_vpn_payload_is_refused() {
    let e = mobileconfig(include_str!("testdata/wifi-only.mobileconfig")).unwrap_err();
    assert_eq!(e, ImportError::NoVpnPayload);
    assert!(e.to_string().contains("VPNType \"IKEv2\""));
    let l2tp = EAP_MOBILECONFIG.replace("<string>IKEv2</string>", "<string>L2TP</string>");
    let e = mobileconfig_error(&l2tp);
    assert!(e.starts_with("VPNType \"L2TP\" is not supported: "), "{e}");
}

#[test]
fn mobileconfig_authentication_methods_map_or_say_why_not() {
    let eap_on = "<key>ExtendedAuthEnabled</key>\n\t\t\t\t<integer>1</integer>";
    let eap_off = "<key>ExtendedAuthEnabled</key>\n\t\t\t\t<integer>0</integer>";
    assert!(EAP_MOBILECONFIG.contains(eap_on));
    let method = |m: &str| format!("<string>{m}</string>\n\t\t\t\t{eap_on}");
    let from = method("Certificate");

    // EAP-only (RFC 5998) is still EAP-MSCHAPv2 with a certificate from the SC.
    let none_eap = EAP_MOBILECONFIG.replace(&from, &method("None"));
    let imported = mobileconfig(&none_eap).unwrap();
    assert_eq!(imported.profile.auth.method, AuthMethodSetting::EapMschapv2);

    // A client certificate alone needs PKCS#12.
    let cert = EAP_MOBILECONFIG.replace(eap_on, eap_off);
    let e = mobileconfig_error(&cert);
    assert!(
        e.starts_with("AuthenticationMethod \"Certificate\" is not supported: "),
        "{e}"
    );
    assert!(
        e.contains("PKCS#12") && e.contains("auth.private_key"),
        "{e}"
    );

    // With a client certificate and EAP it is EAP-TLS.
    let tls = EAP_MOBILECONFIG.replace(
        "<key>AuthName</key>",
        "<key>PayloadCertificateUUID</key>\n<string>6F708192-A3B4-45C6-D7E8-F90112233445</string>\n<key>AuthName</key>",
    );
    let e = mobileconfig_error(&tls);
    assert!(
        e.contains("with ExtendedAuthEnabled is not supported") && e.contains("EAP-TLS"),
        "{e}"
    );

    // "None" without EAP means a pre-shared key; certificates then go.
    let psk = EAP_MOBILECONFIG.replace(&from, &method("None").replace(eap_on, eap_off));
    let imported = mobileconfig(&psk).unwrap();
    assert_eq!(imported.profile.auth.method, AuthMethodSetting::Psk);
    assert!(imported.ca_certificates.is_empty());
    warning(&imported, "the file's certificates were not imported");
    imported.profile.validate().unwrap();

    let psk_eap = EAP_MOBILECONFIG.replace(&from, &method("SharedSecret"));
    assert!(mobileconfig_error(&psk_eap).starts_with(
        "AuthenticationMethod \"SharedSecret\" with ExtendedAuthEnabled is not supported"
    ));

    let odd = EAP_MOBILECONFIG.replace(&from, &method("Kerberos"));
    assert!(
        mobileconfig_error(&odd).starts_with("AuthenticationMethod \"Kerberos\" is not supported")
    );

    let flag =
        EAP_MOBILECONFIG.replace(eap_on, "<key>ExtendedAuthEnabled</key><string>yes</string>");
    assert_eq!(
        mobileconfig_error(&flag),
        "\"IKEv2.ExtendedAuthEnabled\" must be 0 or 1"
    );
    let flag = EAP_MOBILECONFIG.replace(eap_on, "<key>ExtendedAuthEnabled</key><true/>");
    assert_eq!(
        mobileconfig(&flag).unwrap().profile.auth.method,
        AuthMethodSetting::EapMschapv2
    );
}

#[test]
fn mobileconfig_fields_are_named() {
    let no_address = EAP_MOBILECONFIG.replace("<key>RemoteAddress</key>", "<key>Address</key>");
    assert_eq!(
        mobileconfig_error(&no_address),
        "\"IKEv2.RemoteAddress\" is missing: the SC's host name or IP address"
    );
    let bad_address = EAP_MOBILECONFIG.replace(
        "<string>vpn.example.net</string>",
        "<string>vpn_example.net</string>",
    );
    assert!(mobileconfig_error(&bad_address).starts_with("\"IKEv2.RemoteAddress\" is not usable: "));
    let no_user = EAP_MOBILECONFIG.replace("alice@example.net", "");
    assert!(mobileconfig_error(&no_user).starts_with("\"IKEv2.AuthName\" is missing"));
    let lifetime = EAP_MOBILECONFIG.replace("<integer>480</integer>", "<string>480</string>");
    assert_eq!(
        mobileconfig_error(&lifetime),
        "\"IKEv2.IKESecurityAssociationParameters.LifeTimeInMinutes\" must be a number"
    );
    let data = EAP_MOBILECONFIG
        .replace("<data>", "<string>")
        .replace("</data>", "</string>");
    assert_eq!(
        mobileconfig_error(&data),
        "\"PayloadContent[1].PayloadContent\" must be certificate data"
    );
}

#[test]
fn out_of_range_mobileconfig_settings_are_warned_about() {
    let text = EAP_MOBILECONFIG
        .replace("<integer>480</integer>", "<integer>5000</integer>")
        .replace("<string>Medium</string>", "<string>Sometimes</string>");
    let imported = mobileconfig(&text).unwrap();
    assert_eq!(imported.profile.rekey.ike_seconds, 14_400);
    assert_eq!(imported.profile.rekey.dpd_seconds, 30);
    assert!(warning(&imported, "LifeTimeInMinutes 5000").contains("1 to 2880 minutes"));
    warning(&imported, "DeadPeerDetectionRate \"Sometimes\"");
}

#[test]
fn a_mobileconfig_without_certificates_trusts_the_system_store() {
    let start = EAP_MOBILECONFIG
        .find("\t\t<dict>\n\t\t\t<key>PayloadCertificateFileName")
        .unwrap();
    let end =
        EAP_MOBILECONFIG[start..].find("\t\t</dict>\n").unwrap() + start + "\t\t</dict>\n".len();
    let text = format!("{}{}", &EAP_MOBILECONFIG[..start], &EAP_MOBILECONFIG[end..]);
    let imported = mobileconfig(&text).unwrap();
    assert_eq!(imported.profile.sc.ca.as_deref(), Some("system"));
    assert!(imported.ca_certificates.is_empty());
    warning(&imported, "system trust store");
    imported.profile.validate().unwrap();
}

#[test]
fn a_pem_certificate_payload_is_read() {
    let pem = {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(LAB_CA);
        format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
    };
    let pem_data = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(pem.as_bytes())
    };
    let start = EAP_MOBILECONFIG.find("<data>").unwrap() + "<data>".len();
    let end = EAP_MOBILECONFIG.find("</data>").unwrap();
    let text = format!(
        "{}{pem_data}{}",
        &EAP_MOBILECONFIG[..start],
        &EAP_MOBILECONFIG[end..]
    )
    .replace("com.apple.security.root", "com.apple.security.pem");
    assert_eq!(
        mobileconfig(&text).unwrap().ca_certificates,
        [LAB_CA.to_vec()]
    );
}

#[test]
fn of_several_ikev2_payloads_the_first_is_imported() {
    let start = EAP_MOBILECONFIG
        .find("\t\t<dict>\n\t\t\t<key>IKEv2</key>")
        .unwrap();
    let end = EAP_MOBILECONFIG
        .find("\t\t<dict>\n\t\t\t<key>PayloadCertificateFileName")
        .unwrap();
    let second = EAP_MOBILECONFIG[start..end].replace("Lab office (IKEv2)", "Backup");
    let text = format!(
        "{}{second}{}",
        &EAP_MOBILECONFIG[..end],
        &EAP_MOBILECONFIG[end..]
    );
    let imported = mobileconfig(&text).unwrap();
    assert_eq!(imported.profile.name, "Lab office (IKEv2)");
    assert_eq!(
        warning(&imported, "IKEv2 VPN payloads"),
        "the file holds 2 IKEv2 VPN payloads; only the first was imported, not \
         PayloadContent[1] (\"Backup\")"
    );
}

#[test]
fn malformed_mobileconfig_files_are_refused() {
    let e = mobileconfig_error("name = \"Office\"\n");
    assert!(e.starts_with("not an XML property list: "), "{e}");
    let e = mobileconfig_error(&EAP_MOBILECONFIG[..EAP_MOBILECONFIG.len() / 2]);
    assert!(e.starts_with("not an XML property list: "), "{e}");
    let e = mobileconfig_error(&EAP_MOBILECONFIG.replacen("</dict>", "</array>", 1));
    assert!(e.starts_with("not an XML property list: "), "{e}");
    let e = mobileconfig_error("bplist00\u{1}\u{2}");
    assert!(
        e.starts_with("a binary property list is not supported: "),
        "{e}"
    );
    let e = mobileconfig_error("<plist version=\"1.0\"><array></array></plist>");
    assert_eq!(
        e,
        "not a profile: the top level of a .mobileconfig file must be a dictionary"
    );

    // Deep nesting is refused before a value is built (and dropped).
    let depth = 60_000;
    let deep = format!(
        "<plist version=\"1.0\">{}{}</plist>",
        "<array>".repeat(depth),
        "</array>".repeat(depth)
    );
    assert!(deep.len() < MAX_FILE_SIZE);
    let e = mobileconfig_error(&deep);
    assert!(e.contains("nested deeper than 32 levels"), "{e}");
}

// ---- both ----

#[test]
fn files_over_1_mib_are_refused_before_parsing() {
    let big = vec![b' '; MAX_FILE_SIZE + 1];
    for format in [ImportFormat::Sswan, ImportFormat::MobileConfig] {
        let e = import(format, &big).unwrap_err();
        assert_eq!(
            e,
            ImportError::TooLarge {
                size: MAX_FILE_SIZE + 1
            }
        );
        assert!(
            e.to_string().starts_with("the file is larger than 1 MiB"),
            "{e}"
        );
    }
    // Exactly 1 MiB is parsed (and here found empty).
    let e = import(ImportFormat::Sswan, &big[1..]).unwrap_err();
    assert!(matches!(e, ImportError::NotJson(_)), "{e}");
}

#[test]
fn formats_come_from_file_names_and_serde() {
    assert_eq!(
        ImportFormat::from_file_name("office.sswan"),
        Some(ImportFormat::Sswan)
    );
    assert_eq!(
        ImportFormat::from_file_name("/home/alice/Downloads/Lab.MobileConfig"),
        Some(ImportFormat::MobileConfig)
    );
    assert_eq!(ImportFormat::from_file_name("office.toml"), None);
    assert_eq!(ImportFormat::from_file_name("sswan"), None);

    #[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
    struct Request {
        format: ImportFormat,
    }
    let text = toml::to_string(&Request {
        format: ImportFormat::MobileConfig,
    })
    .unwrap();
    assert_eq!(text.trim(), "format = \"mobile-config\"");
    for (text, format) in [
        ("format = \"sswan\"", ImportFormat::Sswan),
        ("format = \"mobile-config\"", ImportFormat::MobileConfig),
        ("format = \"mobileconfig\"", ImportFormat::MobileConfig),
    ] {
        assert_eq!(toml::from_str::<Request>(text).unwrap().format, format);
    }
}

#[test]
fn ranges_become_the_fewest_covering_prefixes() {
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    assert_eq!(
        range_prefixes(ip("0.0.0.0"), ip("255.255.255.255")).unwrap(),
        ["0.0.0.0/0"]
    );
    assert_eq!(
        range_prefixes(ip("::"), ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).unwrap(),
        ["::/0"]
    );
    assert_eq!(
        range_prefixes(ip("192.0.2.255"), ip("192.0.2.255")).unwrap(),
        ["192.0.2.255/32"]
    );
    assert_eq!(
        range_prefixes(ip("2001:db8::1"), ip("2001:db8::3")).unwrap(),
        ["2001:db8::1/128", "2001:db8::2/127"]
    );
    assert_eq!(
        range_prefixes(ip("255.255.255.254"), ip("255.255.255.255")).unwrap(),
        ["255.255.255.254/31"]
    );
    assert_eq!(range_prefixes(ip("192.0.2.2"), ip("192.0.2.1")), None);
    assert_eq!(range_prefixes(ip("192.0.2.1"), ip("2001:db8::1")), None);
}

#[test]
fn a_bare_vpn_payload_is_read_too() {
    let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
    <key>PayloadType</key><string>com.apple.vpn.managed</string>
    <key>VPNType</key><string>IKEv2</string>
    <key>UserDefinedName</key><string>Bare</string>
    <key>IKEv2</key>
    <dict>
        <key>AuthenticationMethod</key><string>None</string>
        <key>ExtendedAuthEnabled</key><true/>
        <key>RemoteAddress</key><string>2001:db8::443</string>
        <key>LocalIdentifier</key><string>carol@example.net</string>
        <key>IncludeAllNetworks</key><integer>1</integer>
        <key>MTU</key><integer>1380</integer>
    </dict>
</dict>
</plist>
"#;
    let imported = mobileconfig(text).unwrap();
    let p = &imported.profile;
    assert_eq!(p.name, "Bare");
    assert_eq!(p.sc.address, "2001:db8::443");
    assert_eq!(p.sc_identity(), "2001:db8::443");
    assert_eq!(p.auth.identity, "carol@example.net");
    assert_eq!(p.tunnel.mtu, Some(1380));
    assert_eq!(p.sc.ca.as_deref(), Some("system"));
    warning(&imported, "IKEv2.IncludeAllNetworks");
    assert_eq!(imported.warnings.len(), 2, "{:#?}", imported.warnings);
    store(&imported);
}
