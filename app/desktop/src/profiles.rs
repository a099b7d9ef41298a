//! Profiles in the editor: the same checks the service makes before it
//! saves one, so the front end can name the field at fault while the user
//! types, and the limits of the service's requests.

use serde::Serialize;
use softwire_api::{
    profile_name_problem, ClientMessage, ImportFormat, Request, MAX_PROFILE_NAME, MAX_REQUEST,
};
use softwire_core::profile::{Profile, ProfileError};

use crate::errors::{code, AppError};

/// What `sc.ca` holds while a profile whose CA travels as PEM
/// (`caPem`) is checked: the service writes the file and puts its real
/// path there.
pub const CA_PLACEHOLDER: &str = "(the chosen CA file)";

/// The longest profile name.
pub const MAX_NAME: usize = MAX_PROFILE_NAME;

/// The largest file `import_profile` sends. The service reads requests of
/// at most [`MAX_REQUEST`] (64 KiB) bytes, and JSON escaping makes the
/// file's text longer in the request.
pub const MAX_IMPORT: usize = 60 * 1024;

/// A problem with one field of a profile (`field` is null for a problem
/// with the whole text, such as an unknown field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The field, as a TOML path (`sc.address`), or `None`.
    pub field: Option<String>,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl From<ProfileError> for FieldProblem {
    fn from(e: ProfileError) -> Self {
        match e {
            ProfileError::Field { field, problem } => FieldProblem {
                field: Some(field.to_owned()),
                message: problem,
            },
            ProfileError::Syntax(message) => FieldProblem {
                field: None,
                message,
            },
        }
    }
}

impl From<FieldProblem> for AppError {
    fn from(p: FieldProblem) -> Self {
        let message = match &p.field {
            Some(field) => format!("{field}: {}", p.message),
            None => p.message.clone(),
        };
        AppError {
            code: code::INVALID_PROFILE.to_owned(),
            message,
            hint: None,
            field: p.field,
        }
    }
}

/// Checks a profile name with the service's own rules
/// ([`softwire_api::profile_name_problem`]), so that the editor can say
/// so before saving; the service checks again.
pub fn check_name(name: &str) -> Result<(), String> {
    profile_name_problem(name).map_or(Ok(()), Err)
}

/// Parses the editor's JSON into a [`Profile`] and checks it as the
/// service will: unknown fields are refused, then the name rules, then
/// [`Profile::validate`]. With `ca_pem`, `sc.ca` is set to
/// [`CA_PLACEHOLDER`] first, since the service fills in the real path.
pub fn check(json: &serde_json::Value, ca_pem: bool) -> Result<Profile, FieldProblem> {
    let mut profile: Profile = serde_json::from_value(json.clone()).map_err(|e| FieldProblem {
        field: None,
        message: format!("profile: {e}"),
    })?;
    if ca_pem {
        profile.sc.ca = Some(CA_PLACEHOLDER.to_owned());
    }
    profile.validate()?;
    check_name(&profile.name).map_err(|message| FieldProblem {
        field: Some("name".to_owned()),
        message,
    })?;
    Ok(profile)
}

/// Refuses a file to import that the service could not take in one
/// request, with a message that says so.
pub fn check_import_size(
    format: ImportFormat,
    content: &str,
    name: Option<&str>,
) -> Result<(), AppError> {
    let too_large = |size: usize| {
        AppError::new(
            code::TOO_LARGE,
            format!(
                "the file is {} KiB; profiles larger than {} KiB cannot be imported",
                size.div_ceil(1024),
                MAX_IMPORT / 1024
            ),
        )
        .with_hint("a profile file is a few KiB: check that this is the right file")
    };
    if content.len() > MAX_IMPORT {
        return Err(too_large(content.len()));
    }
    // Escaping (quotes, newlines) can still take the request past the
    // service's limit.
    let request = ClientMessage {
        id: u64::MAX,
        request: Request::ImportProfile {
            format,
            content: content.to_owned(),
            name: name.map(str::to_owned),
            replace: true,
        },
    };
    let encoded = serde_json::to_vec(&request)
        .map_err(|e| AppError::new(code::INVALID_INPUT, format!("the file: {e}")))?;
    if encoded.len() + 1 > MAX_REQUEST {
        return Err(too_large(content.len()).with_hint(
            "the file has too many characters that need escaping to fit one request \
             to the service",
        ));
    }
    Ok(())
}

/// Whether `ca` is the CA file the service keeps for the profile `name`
/// (`<config>/ca/NAME.pem`), which it removes with that profile.
pub fn is_service_ca_of(ca: &str, name: &str) -> bool {
    let path = std::path::Path::new(ca);
    path.file_name()
        .is_some_and(|f| f.to_string_lossy() == format!("{name}.pem"))
        && path
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|d| d == "ca")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn office() -> serde_json::Value {
        json!({
            "name": "Office",
            "sc": {"address": "203.0.113.10", "port": 500, "identity": null, "ca": "system"},
            "auth": {"method": "eap-mschapv2", "identity": "alice@example.net",
                     "certificate": null, "private_key": null},
            "tunnel": {"mode": "full", "routes": [], "mtu": null, "use_sc_dns": true},
            "rekey": {"child_seconds": 3600, "ike_seconds": 14400, "jitter_percent": 10,
                      "pfs": false, "dpd_seconds": 30}
        })
    }

    fn problem(json: &serde_json::Value, ca_pem: bool) -> FieldProblem {
        check(json, ca_pem).expect_err("should be refused")
    }

    #[test]
    fn the_contracts_example_is_valid_and_round_trips() {
        let p = check(&office(), false).unwrap();
        assert_eq!(p.name, "Office");
        assert_eq!(serde_json::to_value(&p).unwrap(), office());
        let toml = p.to_toml().unwrap();
        assert_eq!(Profile::from_toml(&toml).unwrap(), p);
    }

    #[test]
    fn unknown_fields_are_refused_without_a_field() {
        let mut j = office();
        j["sc"]["adress"] = json!("203.0.113.10");
        let p = problem(&j, false);
        assert_eq!(p.field, None);
        assert!(
            p.message.contains("unknown field `adress`"),
            "{}",
            p.message
        );
    }

    #[test]
    fn a_bad_address_names_sc_address() {
        let mut j = office();
        j["sc"]["address"] = json!("not an address!");
        let p = problem(&j, false);
        assert_eq!(p.field.as_deref(), Some("sc.address"));
        assert!(p.message.contains("neither an IP address"), "{}", p.message);
    }

    #[test]
    fn split_tunnels_need_good_routes() {
        let mut j = office();
        j["tunnel"]["mode"] = json!("split");
        assert_eq!(problem(&j, false).field.as_deref(), Some("tunnel.routes"));
        j["tunnel"]["routes"] = json!(["203.0.113.0/25", "2001:db8::/32"]);
        check(&j, false).unwrap();
        j["tunnel"]["routes"] = json!(["198.51.100.0/33"]);
        let p = problem(&j, false);
        assert_eq!(p.field.as_deref(), Some("tunnel.routes"));
        assert!(p.message.contains("33"), "{}", p.message);
        let mut full = office();
        full["tunnel"]["routes"] = json!(["192.0.2.0/24"]);
        assert_eq!(
            problem(&full, false).field.as_deref(),
            Some("tunnel.routes")
        );
    }

    #[test]
    fn names_follow_the_services_rules() {
        for good in ["Office", "Home VPN (backup)", "Büro", "a-b_c.d@e+f"] {
            check_name(good).unwrap_or_else(|e| panic!("{good:?}: {e}"));
        }
        for bad in [
            "", ".hidden", " lead", "trail ", "dot.", "a/b", "a\\b", "x:y", "tab\t",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"x".repeat(MAX_NAME)).is_ok());
        assert!(check_name(&"x".repeat(MAX_NAME + 1)).is_err());

        let mut j = office();
        j["name"] = json!("a/b");
        assert_eq!(problem(&j, false).field.as_deref(), Some("name"));
        j["name"] = json!("   ");
        assert_eq!(problem(&j, false).field.as_deref(), Some("name"));
    }

    #[test]
    fn a_ca_sent_as_pem_counts_as_set() {
        let mut j = office();
        j["sc"]["ca"] = json!(null);
        assert_eq!(problem(&j, false).field.as_deref(), Some("sc.ca"));
        let p = check(&j, true).unwrap();
        assert_eq!(p.sc.ca.as_deref(), Some(CA_PLACEHOLDER));
        // A PSK profile takes no CA, however it comes.
        j["auth"]["method"] = json!("psk");
        check(&j, false).unwrap();
        assert_eq!(problem(&j, true).field.as_deref(), Some("sc.ca"));
    }

    #[test]
    fn problems_become_invalid_profile_errors() {
        let mut j = office();
        j["sc"]["port"] = json!(0);
        let e = AppError::from(problem(&j, false));
        assert_eq!(e.code, "invalid_profile");
        assert_eq!(e.field.as_deref(), Some("sc.port"));
        assert!(e.message.starts_with("sc.port: "), "{}", e.message);
    }

    #[test]
    fn imports_over_the_limit_are_refused_here() {
        let small = "{\"uuid\":\"x\"}";
        check_import_size(ImportFormat::Sswan, small, None).unwrap();
        let big = "x".repeat(MAX_IMPORT + 1);
        let e = check_import_size(ImportFormat::Sswan, &big, None).unwrap_err();
        assert_eq!(e.code, "too_large");
        assert!(e.message.contains("60 KiB"), "{}", e.message);
        check_import_size(ImportFormat::Mobileconfig, &"y".repeat(MAX_IMPORT), None).unwrap();
        // Under 60 KiB, but escaping doubles it past the request limit.
        let quoted = "\"".repeat(40 * 1024);
        let e = check_import_size(ImportFormat::Mobileconfig, &quoted, None).unwrap_err();
        assert_eq!(e.code, "too_large");
    }

    #[test]
    fn the_services_ca_file_is_recognised() {
        assert!(is_service_ca_of("/etc/softwire/ca/Office.pem", "Office"));
        assert!(!is_service_ca_of("/etc/softwire/ca/Office.pem", "Home"));
        assert!(!is_service_ca_of("/home/alice/Office.pem", "Office"));
        assert!(!is_service_ca_of("system", "Office"));
    }
}
