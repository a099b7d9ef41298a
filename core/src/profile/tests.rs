#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;

const EAP: &str = r#"
name = "Office"
[sc]
address = "198.51.100.1"
identity = "sc.example.net"
ca = "/etc/softwire/ca.pem"
[auth]
method = "eap-mschapv2"
identity = "alice@eap.example.net"
"#;

#[test]
fn a_complete_profile_parses_with_defaults() {
    let p = Profile::from_toml(EAP).unwrap();
    assert_eq!(p.sc.port, 500);
    assert_eq!(p.sc_identity(), "sc.example.net");
    assert_eq!(p.auth.method, AuthMethodSetting::EapMschapv2);
    assert_eq!(p.tunnel.mode, TunnelMode::Full);
    assert!(p.tunnel.use_sc_dns);
    assert_eq!(p.ca(), Some(CaSetting::File("/etc/softwire/ca.pem".into())));
    // And back.
    assert_eq!(Profile::from_toml(&p.to_toml().unwrap()).unwrap(), p);
}

fn error(text: &str) -> String {
    Profile::from_toml(text).unwrap_err().to_string()
}

#[test]
fn typos_and_missing_fields_are_named() {
    let typo = EAP.replace("address =", "adress =");
    let e = error(&typo);
    assert!(e.contains("adress") || e.contains("address"), "{e}");
    let e = error(&EAP.replace("method = \"eap-mschapv2\"", "method = \"eap-md5\""));
    assert!(e.contains("eap-md5"), "{e}");
    let e = error(&EAP.replace("ca = \"/etc/softwire/ca.pem\"\n", ""));
    assert!(e.contains("`sc.ca`") && e.contains("required"), "{e}");
    let e = error(&EAP.replace("198.51.100.1", "not a host!"));
    assert!(e.contains("`sc.address`"), "{e}");
}

#[test]
fn secrets_have_no_place_in_a_profile() {
    let e = error(&format!("{EAP}password = \"hunter2\"\n"));
    assert!(e.contains("password"), "{e}");
    let e = error(&EAP.replace("[auth]", "[auth]\npsk = \"x\""));
    assert!(e.contains("psk"), "{e}");
}

#[test]
fn split_tunnel_routes_are_checked() {
    let split = format!(
        "{EAP}[tunnel]\nmode = \"split\"\nroutes = [\"203.0.113.0/25\", \"2001:db8:5173::/64\"]\n"
    );
    let p = Profile::from_toml(&split).unwrap();
    let routes = p.split_routes().unwrap();
    assert_eq!(routes[1].length, 64);
    let e = error(&split.replace("203.0.113.0/25", "203.0.113.0/33"));
    assert!(e.contains("`tunnel.routes`") && e.contains("33"), "{e}");
    let e = error(&format!("{EAP}[tunnel]\nmode = \"split\"\n"));
    assert!(e.contains("at least one prefix"), "{e}");
    let e = error(&format!("{EAP}[tunnel]\nmtu = 500\n"));
    assert!(e.contains("`tunnel.mtu`"), "{e}");
}

#[test]
fn psk_profiles_need_no_ca_and_certificate_profiles_need_files() {
    let psk = EAP
        .replace("eap-mschapv2", "psk")
        .replace("ca = \"/etc/softwire/ca.pem\"\n", "");
    Profile::from_toml(&psk).unwrap();
    let cert = EAP.replace("eap-mschapv2", "certificate");
    let e = error(&cert);
    assert!(e.contains("`auth.certificate`"), "{e}");
    let cert = cert.replace(
        "[auth]",
        "[auth]\ncertificate = \"/c.pem\"\nprivate_key = \"/k.pem\"",
    );
    Profile::from_toml(&cert).unwrap();
}
