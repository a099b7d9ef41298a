//! Apple configuration profiles (`.mobileconfig`): an XML property list
//! whose `PayloadContent` array holds payloads. The IKEv2 settings are in a
//! payload with `PayloadType` "com.apple.vpn.managed" (or
//! "com.apple.vpn.managed.applayer") and `VPNType` "IKEv2", under its
//! `IKEv2` dictionary (Apple's Device Management reference, "VPN.IKEv2");
//! CA certificates come in "com.apple.security.root", "…pem" and "…pkcs1"
//! payloads.
//!
//! Signed profiles (CMS) are refused: they must be exported unsigned. When
//! a file holds several IKEv2 payloads, the first is imported and a warning
//! names the others (a file usually holds one; refusing would leave the
//! user nothing to import).
//!
//! Authentication, from `AuthenticationMethod` and `ExtendedAuthEnabled`:
//! "SharedSecret", or "None" without EAP → `psk`; "Certificate" or "None"
//! with EAP → `eap-mschapv2`, unless a client certificate
//! (`PayloadCertificateUUID`) makes it EAP-TLS; "Certificate" without EAP
//! (a client certificate) and EAP-TLS are refused, as Softwire does not read
//! PKCS#12 yet; "SharedSecret" with EAP is refused.

use plist::{Dictionary, Value};

use super::{
    certificates, clean_name, finish, pkcs12_advice, secret_warning, ImportError, Imported,
};
use crate::profile::{
    AuthMethodSetting, AuthSettings, Profile, RekeySettings, ScSettings, TunnelSettings,
};

/// XML elements nested deeper than this are refused before a value is
/// built (a deep value would overflow the stack when dropped). Real
/// profiles nest under 10 (`plist`, the payload array and dictionaries,
/// OnDemandRules).
const MAX_DEPTH: usize = 32;

/// Profile fields and the IKEv2 keys they come from, for validation errors.
const FIELDS: &[(&str, &str)] = &[
    ("name", "UserDefinedName"),
    ("sc.address", "IKEv2.RemoteAddress"),
    ("sc.identity", "IKEv2.RemoteIdentifier"),
    ("auth.identity", "IKEv2.LocalIdentifier"),
    ("tunnel.mtu", "IKEv2.MTU"),
    (
        "rekey.ike_seconds",
        "IKEv2.IKESecurityAssociationParameters.LifeTimeInMinutes",
    ),
    (
        "rekey.child_seconds",
        "IKEv2.ChildSecurityAssociationParameters.LifeTimeInMinutes",
    ),
];

const VPN: &str = "com.apple.vpn.managed";
const VPN_APPLAYER: &str = "com.apple.vpn.managed.applayer";
const CA_PAYLOADS: &[&str] = &[
    "com.apple.security.root",
    "com.apple.security.pem",
    "com.apple.security.pkcs1",
];
const IDENTITY_PAYLOAD: &str = "com.apple.security.pkcs12";

/// Keys every payload may carry, which say nothing about the connection.
const PAYLOAD_KEYS: &[&str] = &[
    "PayloadType",
    "PayloadVersion",
    "PayloadIdentifier",
    "PayloadUUID",
    "PayloadDisplayName",
    "PayloadDescription",
    "PayloadOrganization",
    "PayloadEnabled",
];

/// VPN payload keys read here (or that carry nothing to import).
const VPN_KEYS: &[&str] = &[
    "UserDefinedName",
    "VPNType",
    "VPNSubType",
    "IKEv2",
    "IPv4",
    "IPv6",
    "DNS",
    "Proxies",
    "OnDemandEnabled",
    "OnDemandRules",
];

/// IKEv2 keys read here; others are listed in one warning.
const IKEV2_KEYS: &[&str] = &[
    "RemoteAddress",
    "RemoteIdentifier",
    "LocalIdentifier",
    "AuthenticationMethod",
    "ExtendedAuthEnabled",
    "AuthName",
    "AuthPassword",
    "SharedSecret",
    "PayloadCertificateUUID",
    "CertificateType",
    "ServerCertificateIssuerCommonName",
    "ServerCertificateCommonName",
    "DeadPeerDetectionRate",
    "IKESecurityAssociationParameters",
    "ChildSecurityAssociationParameters",
    "EnablePFS",
    "MTU",
    "OnDemandEnabled",
    "OnDemandRules",
    "IncludeAllNetworks",
];

/// Reads a `.mobileconfig` file (at most [`super::MAX_FILE_SIZE`], checked
/// by the caller).
pub(super) fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = text.trim_ascii_start();
    if start.starts_with(b"bplist") {
        return Err(ImportError::Unsupported {
            what: "a binary property list".to_owned(),
            reason: "convert it to XML with `plutil -convert xml1 FILE`".to_owned(),
        });
    }
    if !start.starts_with(b"<") {
        // CMS SignedData is a DER SEQUENCE (0x30), or that in base64 ("MI")
        // or PEM.
        let signed = start.first() == Some(&0x30)
            || start.starts_with(b"MI")
            || start.starts_with(b"-----BEGIN PKCS7")
            || start.starts_with(b"-----BEGIN CMS");
        return Err(if signed {
            ImportError::Signed
        } else {
            ImportError::NotPlist("the file does not start with \"<?xml\" or \"<plist\"".into())
        });
    }
    check_depth(text)?;
    let root = Value::from_reader_xml(text).map_err(|e| ImportError::NotPlist(e.to_string()))?;
    let root = root.as_dictionary().ok_or_else(|| {
        ImportError::NotAProfile(
            "the top level of a .mobileconfig file must be a dictionary".into(),
        )
    })?;

    // Sort the payloads. A bare VPN payload (no Configuration wrapper) is
    // taken as the only payload.
    let root_type = root.get("PayloadType").and_then(Value::as_string);
    let payloads: Vec<(String, &Dictionary)> = if matches!(root_type, Some(VPN | VPN_APPLAYER)) {
        vec![(String::new(), root)]
    } else {
        let content = root
            .get("PayloadContent")
            .ok_or(ImportError::NoVpnPayload)?
            .as_array()
            .ok_or_else(|| ImportError::Field {
                field: "PayloadContent".to_owned(),
                problem: "must be an array of payloads".to_owned(),
            })?;
        content
            .iter()
            .enumerate()
            .map(|(i, payload)| {
                let field = format!("PayloadContent[{i}]");
                match payload.as_dictionary() {
                    Some(dict) => Ok((field, dict)),
                    None => Err(ImportError::Field {
                        field,
                        problem: "must be a dictionary".to_owned(),
                    }),
                }
            })
            .collect::<Result<_, _>>()?
    };
    let mut ikev2 = Vec::new();
    let mut other_vpn = Vec::new();
    let mut cas = Vec::new();
    let mut identities = 0usize;
    let mut skipped = Vec::new();
    for (field, payload) in &payloads {
        let kind = payload
            .get("PayloadType")
            .and_then(Value::as_string)
            .unwrap_or("");
        if kind == VPN || kind == VPN_APPLAYER {
            match payload.get("VPNType").and_then(Value::as_string) {
                Some("IKEv2") => ikev2.push((field.as_str(), kind, *payload)),
                other => other_vpn.push(other.unwrap_or("(none)").to_owned()),
            }
        } else if CA_PAYLOADS.contains(&kind) {
            cas.push((field.as_str(), *payload));
        } else if kind == IDENTITY_PAYLOAD {
            identities = identities.saturating_add(1);
        } else {
            skipped.push(
                if kind.is_empty() {
                    "(no PayloadType)"
                } else {
                    kind
                }
                .to_owned(),
            );
        }
    }
    let mut warnings = Vec::new();
    let mut ikev2 = ikev2.into_iter();
    let Some((_, vpn_kind, vpn)) = ikev2.next() else {
        return Err(match other_vpn.first() {
            Some(kind) => ImportError::Unsupported {
                what: format!("VPNType \"{kind}\""),
                reason: "Softwire imports IKEv2 VPN payloads only".to_owned(),
            },
            None => ImportError::NoVpnPayload,
        });
    };
    let more: Vec<String> = ikev2
        .map(|(field, _, payload)| {
            let name = payload
                .get("UserDefinedName")
                .and_then(Value::as_string)
                .unwrap_or("unnamed");
            format!("{field} (\"{}\")", clean_name(name))
        })
        .collect();
    if !more.is_empty() {
        warnings.push(format!(
            "the file holds {} IKEv2 VPN payloads; only the first was imported, not {}",
            more.len().saturating_add(1),
            more.join(", ")
        ));
    }
    if !other_vpn.is_empty() {
        warnings.push(format!(
            "VPN payloads of VPNType {} were not imported: Softwire speaks IKEv2 only",
            other_vpn.join(", ")
        ));
    }
    if vpn_kind == VPN_APPLAYER {
        warnings.push(
            "per-app VPN (com.apple.vpn.managed.applayer) is not imported as such: the tunnel \
             carries the traffic of all applications"
                .to_owned(),
        );
    }
    if !skipped.is_empty() {
        warnings.push(format!(
            "payloads that are not VPN settings were not imported: {}",
            skipped.join(", ")
        ));
    }

    let vpn = Dict {
        dict: vpn,
        path: String::new(),
    };
    let ike = vpn.dict("IKEv2")?.ok_or_else(|| ImportError::Missing {
        field: "IKEv2".to_owned(),
        what: "the IKEv2 settings dictionary of the VPN payload",
    })?;

    // Secrets: noted, never read.
    if ike.dict.contains_key("AuthPassword") {
        warnings.push(secret_warning("the EAP password (IKEv2.AuthPassword)"));
    }
    if ike.dict.contains_key("SharedSecret") {
        warnings.push(secret_warning("a pre-shared key (IKEv2.SharedSecret)"));
    }

    // Authentication.
    let method = ike.required_string(
        "AuthenticationMethod",
        "how the client authenticates: \"SharedSecret\", \"Certificate\" or \"None\"",
    )?;
    let eap = ike.flag("ExtendedAuthEnabled")?.unwrap_or(false);
    let client_certificate = ike
        .string("PayloadCertificateUUID")?
        .is_some_and(|u| !u.trim().is_empty());
    let refuse = |reason: String| ImportError::Unsupported {
        what: format!(
            "AuthenticationMethod \"{method}\"{}",
            if eap { " with ExtendedAuthEnabled" } else { "" }
        ),
        reason,
    };
    let method = match (method, eap) {
        ("SharedSecret", false) | ("None", false) => AuthMethodSetting::Psk,
        ("Certificate", true) if client_certificate => {
            return Err(refuse(format!(
                "with a client certificate (PayloadCertificateUUID) it is EAP-TLS; {}",
                pkcs12_advice("the com.apple.security.pkcs12 payload")
            )))
        }
        ("Certificate", true) | ("None", true) => AuthMethodSetting::EapMschapv2,
        ("Certificate", false) => {
            return Err(refuse(pkcs12_advice(
                "the com.apple.security.pkcs12 payload",
            )))
        }
        ("SharedSecret", true) => {
            return Err(refuse(
                "Softwire does EAP only with an SC that proves itself with a certificate; \
                 set AuthenticationMethod to \"Certificate\" (or \"None\") if the SC allows it"
                    .to_owned(),
            ))
        }
        (other, _) => {
            return Err(ImportError::Unsupported {
                what: format!("AuthenticationMethod \"{other}\""),
                reason: "expected \"SharedSecret\", \"Certificate\" or \"None\"".to_owned(),
            })
        }
    };
    let local_id = ike
        .string("LocalIdentifier")?
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let user = match method {
        AuthMethodSetting::EapMschapv2 => {
            let name = ike
                .string("AuthName")?
                .map(str::trim)
                .filter(|s| !s.is_empty());
            match (name, local_id) {
                (Some(name), Some(id)) if name != id => {
                    warnings.push(format!(
                        "IKEv2.LocalIdentifier (\"{id}\") is not imported: Softwire uses the EAP \
                         user name (IKEv2.AuthName, \"{name}\") for IKE too"
                    ));
                    name
                }
                (Some(name), _) => name,
                (None, Some(id)) => id,
                (None, None) => {
                    return Err(ImportError::Missing {
                        field: "IKEv2.AuthName".to_owned(),
                        what: "the EAP user name (IKEv2.LocalIdentifier is not set either)",
                    })
                }
            }
        }
        _ => local_id.ok_or_else(|| ImportError::Missing {
            field: "IKEv2.LocalIdentifier".to_owned(),
            what: "the identity the client presents",
        })?,
    }
    .to_owned();
    if identities > 0 {
        warnings.push(
            "the client identity (com.apple.security.pkcs12 payload) was not imported: it is \
             not used with this authentication method"
                .to_owned(),
        );
    }

    // The SC.
    let address = ike
        .required_string("RemoteAddress", "the SC's host name or IP address")?
        .trim()
        .to_owned();
    let identity = ike
        .string("RemoteIdentifier")?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let mut ca_certificates = Vec::new();
    for (field, payload) in cas {
        let field = format!("{field}.PayloadContent");
        let data = match payload.get("PayloadContent") {
            Some(Value::Data(data)) => data,
            Some(_) => {
                return Err(ImportError::Field {
                    field,
                    problem: "must be certificate data".to_owned(),
                })
            }
            None => {
                return Err(ImportError::Missing {
                    field,
                    what: "the certificate",
                })
            }
        };
        ca_certificates.extend(certificates(&field, data, &mut warnings)?);
    }
    let mut names = Vec::new();
    for key in [
        "ServerCertificateIssuerCommonName",
        "ServerCertificateCommonName",
    ] {
        if let Some(value) = ike.string(key)? {
            names.push(format!("{} (\"{value}\")", ike.field(key)));
        }
    }
    if method != AuthMethodSetting::Psk && !names.is_empty() {
        warnings.push(format!(
            "{} {} not checked as such: Softwire requires the SC's certificate to chain to sc.ca \
             and to name sc.identity (\"{}\")",
            names.join(" and "),
            if names.len() == 1 { "is" } else { "are" },
            identity.as_deref().unwrap_or(&address)
        ));
    }

    // Rekeying and liveness.
    let mut rekey = RekeySettings::default();
    match ike.string("DeadPeerDetectionRate")? {
        None => {}
        Some("None") => rekey.dpd_seconds = 0,
        Some("Low") => rekey.dpd_seconds = 1800,
        Some("Medium") => rekey.dpd_seconds = 600,
        Some("High") => rekey.dpd_seconds = 60,
        Some(other) => warnings.push(format!(
            "IKEv2.DeadPeerDetectionRate \"{other}\" is not imported: expected None, Low, Medium \
             or High; Softwire checks the SC after {} s of silence",
            rekey.dpd_seconds
        )),
    }
    let mut algorithms = Vec::new();
    for (key, range, target) in [
        (
            "IKESecurityAssociationParameters",
            30..=172_800u64,
            &mut rekey.ike_seconds,
        ),
        (
            "ChildSecurityAssociationParameters",
            10..=86_400u64,
            &mut rekey.child_seconds,
        ),
    ] {
        let Some(params) = ike.dict(key)? else {
            continue;
        };
        if let Some(minutes) = params.number("LifeTimeInMinutes")? {
            match u64::try_from(minutes).ok().and_then(|m| m.checked_mul(60)) {
                Some(seconds) if range.contains(&seconds) => *target = seconds,
                _ => warnings.push(format!(
                    "IKEv2.{key}.LifeTimeInMinutes {minutes} is not imported: Softwire takes {} \
                     to {} minutes; it keeps {} minutes",
                    range.start().div_ceil(60),
                    range.end() / 60,
                    *target / 60
                )),
            }
        }
        algorithms.extend(
            params
                .dict
                .keys()
                .filter(|k| *k != "LifeTimeInMinutes")
                .map(|k| params.field(k)),
        );
    }
    if !algorithms.is_empty() {
        warnings.push(format!(
            "the algorithm settings ({}) are not imported: Softwire proposes its own algorithms",
            algorithms.join(", ")
        ));
    }
    if let Some(pfs) = ike.flag("EnablePFS")? {
        rekey.pfs = pfs;
    }

    // The tunnel.
    let mut tunnel = TunnelSettings::default();
    if let Some(mtu) = ike.number("MTU")? {
        match u16::try_from(mtu) {
            Ok(mtu) if (1280..=9000).contains(&mtu) => tunnel.mtu = Some(mtu),
            _ => warnings.push(format!(
                "IKEv2.MTU {mtu} is not imported: Softwire's tunnel MTU must be 1280 to 9000; it \
                 derives one from the path instead"
            )),
        }
    }
    if ike.flag("IncludeAllNetworks")? == Some(true) {
        warnings.push(
            "IKEv2.IncludeAllNetworks (all traffic through the tunnel, none outside it) is not \
             imported as such: the profile tunnels all traffic (tunnel.mode = \"full\"), and \
             blocking traffic while disconnected is Softwire's leak protection, not a profile \
             setting"
                .to_owned(),
        );
    }
    let on_demand = [&ike, &vpn].iter().any(|d| {
        d.dict.get("OnDemandRules").is_some() || matches!(d.flag("OnDemandEnabled"), Ok(Some(true)))
    });
    if on_demand {
        warnings.push(
            "connect on demand (OnDemandEnabled, OnDemandRules) is not imported: Softwire \
             connects when asked"
                .to_owned(),
        );
    }
    if vpn.dict.get("DNS").is_some() {
        warnings.push(
            "the DNS settings (DNS) are not imported: Softwire uses the DNS servers the SC \
             assigns"
                .to_owned(),
        );
    }
    if vpn.dict.get("Proxies").is_some() {
        warnings
            .push("Proxies is not imported: Softwire does not configure HTTP proxies".to_owned());
    }
    let mut others = ike.unread(IKEV2_KEYS, &[]);
    others.extend(vpn.unread(VPN_KEYS, PAYLOAD_KEYS));
    for family in ["IPv4", "IPv6"] {
        // OverridePrimary (everything through the tunnel) is Softwire's
        // full tunnel already.
        if let Some(settings) = vpn.dict(family)? {
            others.extend(settings.unread(&["OverridePrimary"], &[]));
        }
    }
    if !others.is_empty() {
        warnings.push(format!(
            "these settings are not imported: {}",
            others.join(", ")
        ));
    }

    let name = [
        vpn.string("UserDefinedName")?,
        vpn.string("PayloadDisplayName")?,
        root.get("PayloadDisplayName").and_then(Value::as_string),
    ]
    .into_iter()
    .flatten()
    .map(clean_name)
    .find(|n| !n.is_empty())
    .unwrap_or_else(|| address.clone());

    let profile = Profile {
        name,
        sc: ScSettings {
            address,
            port: 500,
            identity,
            ca: None,
            discovery: None,
        },
        auth: AuthSettings {
            method,
            identity: user,
            certificate: None,
            private_key: None,
        },
        tunnel,
        rekey,
    };
    finish(profile, ca_certificates, warnings, FIELDS)
}

/// Refuses XML nested deeper than [`MAX_DEPTH`] elements, reading the
/// file once with the tokenizer `plist` itself uses (end tags must match,
/// as `plist` requires), before any value is built.
fn check_depth(text: &[u8]) -> Result<(), ImportError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(text);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Err(e) => {
                return Err(ImportError::NotPlist(format!(
                    "{e} (at byte {})",
                    reader.error_position()
                )))
            }
            Ok(Event::Start(_)) => {
                depth = depth.saturating_add(1);
                if depth > MAX_DEPTH {
                    return Err(ImportError::NotPlist(format!(
                        "elements nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// One dictionary and its dotted path in the VPN payload, for messages.
struct Dict<'a> {
    dict: &'a Dictionary,
    path: String,
}

impl<'a> Dict<'a> {
    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn wrong(&self, key: &str, problem: &str) -> ImportError {
        ImportError::Field {
            field: self.field(key),
            problem: problem.to_owned(),
        }
    }

    fn string(&self, key: &str) -> Result<Option<&'a str>, ImportError> {
        match self.dict.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(key, "must be a string")),
        }
    }

    fn required_string(&self, key: &str, what: &'static str) -> Result<&'a str, ImportError> {
        match self.string(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(ImportError::Missing {
                field: self.field(key),
                what,
            }),
        }
    }

    /// Apple's flags: the integers 0 and 1, or a boolean.
    fn flag(&self, key: &str) -> Result<Option<bool>, ImportError> {
        match self.dict.get(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(Value::Integer(i)) => match i.as_signed() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(self.wrong(key, "must be 0 or 1")),
            },
            Some(_) => Err(self.wrong(key, "must be 0 or 1")),
        }
    }

    fn number(&self, key: &str) -> Result<Option<i64>, ImportError> {
        match self.dict.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) => i
                .as_signed()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "must be a number")),
            Some(_) => Err(self.wrong(key, "must be a number")),
        }
    }

    fn dict(&self, key: &str) -> Result<Option<Dict<'a>>, ImportError> {
        match self.dict.get(key) {
            None => Ok(None),
            Some(Value::Dictionary(dict)) => Ok(Some(Dict {
                dict,
                path: self.field(key),
            })),
            Some(_) => Err(self.wrong(key, "must be a dictionary")),
        }
    }

    /// The keys not in `known` or `quiet`, as dotted names, leaving out
    /// those set to 0 or false (the defaults, which change nothing).
    fn unread(&self, known: &[&str], quiet: &[&str]) -> Vec<String> {
        self.dict
            .iter()
            .filter(|(k, _)| !known.contains(&k.as_str()) && !quiet.contains(&k.as_str()))
            .filter(|(_, v)| {
                !matches!(v, Value::Boolean(false))
                    && !matches!(v, Value::Integer(i) if i.as_signed() == Some(0))
            })
            .map(|(k, _)| self.field(k))
            .collect()
    }
}
