//! strongSwan's `.sswan` profiles: a JSON object as its Android client
//! imports (strongSwan documentation, "Android VPN client profiles").
//!
//! Only `"type": "ikev2-eap"` maps onto a Softwire method (EAP-MSCHAPv2 with
//! a certificate-authenticated SC); the certificate types carry the client
//! key as PKCS#12, which Softwire does not read yet, and are refused with
//! the way to convert it. Unknown keys draw a warning (newer clients add
//! keys); a known key of the wrong type is an error naming it.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::{
    certificates, clean_name, finish, pkcs12_advice, routes, secret_warning, ImportError, Imported,
};
use crate::profile::{
    AuthMethodSetting, AuthSettings, Profile, RekeySettings, ScSettings, TunnelMode, TunnelSettings,
};

/// Base64 as Android decodes it: the standard alphabet, padding optional.
/// (Whitespace is removed before decoding.)
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Profile fields and the `.sswan` keys they come from, for validation errors.
const FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("sc.address", "remote.addr"),
    ("sc.port", "remote.port"),
    ("sc.identity", "remote.id"),
    ("auth.identity", "local.eap_id"),
    ("tunnel.routes", "split-tunneling.subnets"),
    ("tunnel.mtu", "mtu"),
];

const TOP_KEYS: &[&str] = &[
    "uuid",
    "name",
    "type",
    "remote",
    "local",
    "ike-proposal",
    "esp-proposal",
    "dns-servers",
    "mtu",
    "nat-keepalive",
    "ipv6-transport",
    "proxy",
    "split-tunneling",
    "apps",
    "excluded-apps",
];
const REMOTE_KEYS: &[&str] = &["addr", "port", "id", "cert", "certreq", "revocation"];
const REVOCATION_KEYS: &[&str] = &["crl", "ocsp", "strict"];
/// `password` and `shared_secret` are not in strongSwan's format but some
/// derived clients write them; they are recognised only to be left out.
const LOCAL_KEYS: &[&str] = &[
    "id",
    "eap_id",
    "p12",
    "rsa-pss",
    "password",
    "shared_secret",
];
const LOCAL_SECRETS: &[&str] = &["password", "shared_secret"];
const SPLIT_KEYS: &[&str] = &["subnets", "excluded", "block-ipv4", "block-ipv6"];
const PROXY_KEYS: &[&str] = &["host", "port", "exclusions"];

/// Reads a `.sswan` file (at most [`super::MAX_FILE_SIZE`], checked by the caller).
pub(super) fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // serde_json bounds nesting (128 levels), so a deep file is an error,
    // not a stack overflow.
    let root: Value =
        serde_json::from_slice(bytes).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let root = Obj {
        map: root.as_object().ok_or_else(|| {
            ImportError::NotAProfile("the top level of a .sswan file must be a JSON object".into())
        })?,
        path: String::new(),
    };
    let mut warnings = Vec::new();
    let mut unknown = Vec::new();
    root.unknown(TOP_KEYS, &mut unknown);

    let kind = root.required_string(
        "type",
        "the kind of profile, such as \"ikev2-eap\" (user name and password)",
    )?;
    match kind {
        "ikev2-eap" => {}
        "ikev2-cert" | "ikev2-cert-eap" | "ikev2-eap-tls" => {
            return Err(ImportError::Unsupported {
                what: format!("type \"{kind}\""),
                reason: pkcs12_advice("local.p12"),
            })
        }
        "ikev2-byod-eap" => {
            return Err(ImportError::Unsupported {
                what: format!("type \"{kind}\""),
                reason: "it is strongSwan's BYOD EAP (EAP-TTLS with a TNC health check), which \
                         Softwire does not implement; Softwire imports \"ikev2-eap\" profiles \
                         (user name and password)"
                    .to_owned(),
            })
        }
        other => {
            return Err(ImportError::Unsupported {
                what: format!("type \"{other}\""),
                reason: "Softwire imports \"ikev2-eap\" profiles (user name and password)"
                    .to_owned(),
            })
        }
    }

    // The SC.
    let remote = root.object("remote")?.ok_or_else(|| ImportError::Missing {
        field: "remote".to_owned(),
        what: "the SC's address and identity",
    })?;
    remote.unknown(REMOTE_KEYS, &mut unknown);
    let address = remote
        .required_string("addr", "the SC's host name or IP address")?
        .trim()
        .to_owned();
    let port = remote
        .integer("port", 1, 65_535)?
        .and_then(|port| u16::try_from(port).ok())
        .unwrap_or(500);
    let identity = remote
        .string("id")?
        .map(str::trim)
        .filter(|id| !id.is_empty());
    let mut ca_certificates = Vec::new();
    if let Some(cert) = remote.string("cert")?.filter(|c| !c.trim().is_empty()) {
        let field = remote.field("cert");
        let bytes = if cert.trim_start().starts_with("-----BEGIN") {
            cert.as_bytes().to_vec()
        } else {
            let compact: String = cert.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            BASE64.decode(compact).map_err(|e| ImportError::Field {
                field: field.clone(),
                problem: format!("is not base64: {e}"),
            })?
        };
        ca_certificates = certificates(&field, &bytes, &mut warnings)?;
    }
    if remote.boolean("certreq")? == Some(false) {
        warnings.push(
            "remote.certreq = false is not imported: Softwire always asks the SC for its \
             certificate"
                .to_owned(),
        );
    }
    if let Some(revocation) = remote.object("revocation")? {
        revocation.unknown(REVOCATION_KEYS, &mut unknown);
        for key in REVOCATION_KEYS {
            revocation.boolean(key)?;
        }
        warnings.push(
            "remote.revocation is not imported: Softwire does not check CRLs or OCSP".to_owned(),
        );
    }

    // The user.
    let local = root.object("local")?;
    let (mut eap_id, mut local_id) = (None, None);
    if let Some(local) = &local {
        local.unknown(LOCAL_KEYS, &mut unknown);
        eap_id = local
            .string("eap_id")?
            .map(str::trim)
            .filter(|s| !s.is_empty());
        local_id = local.string("id")?.map(str::trim).filter(|s| !s.is_empty());
        for key in LOCAL_SECRETS {
            // Never read: its value must not reach the result or an error.
            if local.map.contains_key(*key) {
                warnings.push(secret_warning(&format!("a password (local.{key})")));
            }
        }
        if local.get("p12").is_some() {
            warnings.push(
                "local.p12 (a client certificate) is not used with type \"ikev2-eap\" and was \
                 not imported"
                    .to_owned(),
            );
        }
        local.boolean("rsa-pss")?;
    }
    let user = match (eap_id, local_id) {
        (Some(eap), Some(id)) if eap != id => {
            warnings.push(format!(
                "local.id (\"{id}\") is not imported: Softwire uses the EAP identity \
                 (local.eap_id, \"{eap}\") for IKE too"
            ));
            eap
        }
        (Some(eap), _) => eap,
        (None, Some(id)) => id,
        (None, None) => {
            return Err(ImportError::Missing {
                field: "local.eap_id".to_owned(),
                what: "the user name (strongSwan asks for it when importing; Softwire needs it \
                       in the file, or in local.id)",
            })
        }
    }
    .to_owned();

    // The tunnel.
    let mut tunnel = TunnelSettings::default();
    if let Some(mtu) = root.number("mtu")? {
        match u16::try_from(mtu) {
            Ok(mtu) if (1280..=9000).contains(&mtu) => tunnel.mtu = Some(mtu),
            _ => warnings.push(format!(
                "mtu {mtu} is not imported: Softwire's tunnel MTU must be 1280 to 9000; it \
                 derives one from the path instead"
            )),
        }
    }
    if let Some(split) = root.object("split-tunneling")? {
        split.unknown(SPLIT_KEYS, &mut unknown);
        let subnets = split.list("subnets")?;
        if !subnets.is_empty() {
            tunnel.mode = TunnelMode::Split;
            tunnel.routes = routes(&split.field("subnets"), &subnets)?;
        }
        let excluded = split.list("excluded")?;
        if !excluded.is_empty() {
            warnings.push(format!(
                "split-tunneling.excluded ({}) is not imported: Softwire cannot exclude subnets \
                 from the tunnel",
                excluded.join(", ")
            ));
        }
        for (key, family) in [("block-ipv4", "IPv4"), ("block-ipv6", "IPv6")] {
            if split.boolean(key)? == Some(true) {
                warnings.push(format!(
                    "split-tunneling.{key} (drop {family} traffic that does not go through the \
                     tunnel) is not imported"
                ));
            }
        }
    }

    // Settings Softwire chooses itself or does not have.
    for key in ["ike-proposal", "esp-proposal"] {
        if let Some(proposal) = root.string(key)?.filter(|p| !p.trim().is_empty()) {
            warnings.push(format!(
                "{key} \"{proposal}\" is not imported: Softwire proposes its own algorithms"
            ));
        }
    }
    let dns = root.list("dns-servers")?;
    if !dns.is_empty() {
        warnings.push(format!(
            "dns-servers ({}) is not imported: Softwire uses the DNS servers the SC assigns",
            dns.join(", ")
        ));
    }
    if root.number("nat-keepalive")?.is_some() {
        warnings.push(
            "nat-keepalive is not imported: Softwire chooses its own NAT keepalive interval"
                .to_owned(),
        );
    }
    if root.boolean("ipv6-transport")? == Some(true) {
        warnings.push(
            "ipv6-transport is not imported: Softwire reaches the SC at whatever address \
             remote.addr gives"
                .to_owned(),
        );
    }
    if let Some(proxy) = root.object("proxy")? {
        proxy.unknown(PROXY_KEYS, &mut unknown);
        warnings.push("proxy is not imported: Softwire does not configure HTTP proxies".to_owned());
    }
    for key in ["apps", "excluded-apps"] {
        if !root.list(key)?.is_empty() {
            warnings.push(format!(
                "{key} (per-app VPN) is not imported: the tunnel carries the traffic of all \
                 applications"
            ));
        }
    }
    if !unknown.is_empty() {
        warnings.push(format!("unknown keys ignored: {}", unknown.join(", ")));
    }

    let name = match root.string("name")?.map(clean_name) {
        Some(name) if !name.is_empty() => name,
        _ => address.clone(),
    };
    let profile = Profile {
        name,
        sc: ScSettings {
            address,
            port,
            identity: identity.map(str::to_owned),
            ca: None,
            discovery: None,
        },
        auth: AuthSettings {
            method: AuthMethodSetting::EapMschapv2,
            identity: user,
            certificate: None,
            private_key: None,
        },
        tunnel,
        rekey: RekeySettings::default(),
    };
    finish(profile, ca_certificates, warnings, FIELDS)
}

/// One JSON object and its dotted path in the file, for messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    /// The dotted name of `key` in the file.
    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value of `key`; JSON `null` counts as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn wrong(&self, key: &str, problem: &str) -> ImportError {
        ImportError::Field {
            field: self.field(key),
            problem: problem.to_owned(),
        }
    }

    /// Adds the keys not in `known` to `unknown`, as dotted names.
    fn unknown(&self, known: &[&str], unknown: &mut Vec<String>) {
        unknown.extend(
            self.map
                .keys()
                .filter(|k| !known.contains(&k.as_str()))
                .map(|k| self.field(k)),
        );
    }

    fn string(&self, key: &str) -> Result<Option<&'a str>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(key, "must be a string")),
        }
    }

    /// A string that must be present and not blank.
    fn required_string(&self, key: &str, what: &'static str) -> Result<&'a str, ImportError> {
        match self.string(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(ImportError::Missing {
                field: self.field(key),
                what,
            }),
        }
    }

    /// `true` or `false` (also as strings, which Android's parser accepts).
    fn boolean(&self, key: &str) -> Result<Option<bool>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(self.wrong(key, "must be true or false")),
        }
    }

    /// A whole number (also as a string of digits, which Android's parser
    /// accepts).
    fn number(&self, key: &str) -> Result<Option<i64>, ImportError> {
        let number = match self.get(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        number
            .map(Some)
            .ok_or_else(|| self.wrong(key, "must be a number"))
    }

    /// A whole number from `min` to `max`.
    fn integer(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ImportError> {
        let bad = || ImportError::Field {
            field: self.field(key),
            problem: format!("must be a number from {min} to {max}"),
        };
        match self.number(key).map_err(|_| bad())? {
            Some(n) if !(min..=max).contains(&n) => Err(bad()),
            n => Ok(n),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Obj<'a>>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                path: self.field(key),
            })),
            Some(_) => Err(self.wrong(key, "must be an object")),
        }
    }

    /// A list given as an array of strings (spaces inside an entry are
    /// removed, as in "203.0.113.10 - 203.0.113.20") or as one string
    /// separated by spaces.
    fn list(&self, key: &str) -> Result<Vec<String>, ImportError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(s.split_whitespace().map(str::to_owned).collect()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.chars().filter(|c| !c.is_whitespace()).collect()),
                    _ => Err(self.wrong(key, "must be a list of strings")),
                })
                .filter(|entry| !matches!(entry, Ok(s) if String::is_empty(s)))
                .collect(),
            Some(_) => Err(self.wrong(key, "must be a list of strings")),
        }
    }
}
