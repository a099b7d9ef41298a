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

const DISCOVER: &str = r#"
name = "Anywhere"
[sc]
address = "discover"
identity = "sc.example.net"
ca = "system"
[auth]
method = "eap-mschapv2"
identity = "alice@eap.example.net"
"#;

#[test]
fn discover_alone_asks_dns_then_dhcp() {
    let p = Profile::from_toml(DISCOVER).unwrap();
    let policy = p.discovery_policy().unwrap();
    assert_eq!(
        policy.sources,
        [
            crate::discovery::Source::Dns {
                label: "softwire".into()
            },
            crate::discovery::Source::Dhcp4 { code: 224 },
            crate::discovery::Source::Dhcp6Aftr,
        ]
    );
    assert_eq!(policy.timeout, std::time::Duration::from_secs(3));
    assert_eq!(Profile::from_toml(&p.to_toml().unwrap()).unwrap(), p);
    // A profile with an address and no table does not discover.
    assert_eq!(Profile::from_toml(EAP).unwrap().discovery_policy(), None);
}

#[test]
fn a_named_sc_with_a_discovery_table_is_tried_first() {
    let p = Profile::from_toml(&format!(
        "{EAP}[sc.discovery]\nanycast = [\"203.0.113.77\"]\n"
    ))
    .unwrap();
    let sources = p.discovery_policy().unwrap().sources;
    assert_eq!(
        sources.first(),
        Some(&crate::discovery::Source::Address("198.51.100.1".into()))
    );
    assert_eq!(
        sources.last(),
        Some(&crate::discovery::Source::Anycast(vec!["203.0.113.77"
            .parse()
            .unwrap()]))
    );
}

#[test]
fn discovery_refuses_what_would_trust_a_hint() {
    let no_identity = DISCOVER.replace("identity = \"sc.example.net\"\n", "");
    let e = error(&no_identity);
    assert!(
        e.contains("`sc.identity`") && e.contains("only a hint"),
        "{e}"
    );
    let psk = DISCOVER
        .replace("eap-mschapv2", "psk")
        .replace("ca = \"system\"\n", "");
    let e = error(&psk);
    assert!(
        e.contains("`auth.method`") && e.contains("discovery"),
        "{e}"
    );
}

#[test]
fn discovery_settings_are_checked_field_by_field() {
    let cases = [
        ("dhcp_option = 200", "`sc.discovery.dhcp_option`"),
        ("label = \"soft.wire\"", "`sc.discovery.label`"),
        ("srv = \"isakmp.udp\"", "`sc.discovery.srv`"),
        ("timeout_seconds = 0", "`sc.discovery.timeout_seconds`"),
        ("sources = [\"dns\", \"dns\"]", "`sc.discovery.sources`"),
        ("sources = [\"address\"]", "`sc.discovery.sources`"),
        ("sources = [\"anycast\"]", "`sc.discovery.anycast`"),
        ("anycast = [\"224.0.0.1\"]", "`sc.discovery.anycast`"),
    ];
    for (line, named) in cases {
        let e = error(&format!("{DISCOVER}[sc.discovery]\n{line}\n"));
        assert!(e.contains(named), "{line}: {e}");
    }
    let e = error(&format!(
        "{DISCOVER}[sc.discovery]\nsources = [\"carrier-pigeon\"]\n"
    ));
    assert!(e.contains("syntax"), "{e}");
}
