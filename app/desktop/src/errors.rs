//! What every failed command rejects with: [`AppError`], the contract's
//! `{code, message, hint, field}` (docs/DESKTOP-IPC.md).

use serde::Serialize;
use softwire_api::{ApiError, ClientError, ErrorCode};
use softwire_platform::keychain::KeychainError;

/// The shell's own error codes; the service's are its `ErrorCode` names.
pub mod code {
    /// Nothing listens at the service's socket.
    pub const SERVICE_NOT_RUNNING: &str = "service_not_running";
    /// The user may not open the socket (not in the `softwire` group).
    pub const PERMISSION_DENIED: &str = "permission_denied";
    /// The service speaks another API version.
    pub const VERSION_MISMATCH: &str = "version_mismatch";
    /// Any other trouble talking to the service.
    pub const SERVICE: &str = "service";
    /// The OS keychain failed.
    pub const KEYCHAIN: &str = "keychain";
    /// An argument the shell refuses before asking the service.
    pub const INVALID_INPUT: &str = "invalid_input";
    /// The service's codes the shell also uses itself.
    pub const INVALID_PROFILE: &str = "invalid_profile";
    /// See [`INVALID_PROFILE`].
    pub const SECRET_NEEDED: &str = "secret_needed";
    /// See [`INVALID_PROFILE`].
    pub const TOO_LARGE: &str = "too_large";
    /// See [`INVALID_PROFILE`].
    pub const IN_USE: &str = "in_use";
}

/// A failure as the front end sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppError {
    /// For programs: one of the service's error codes or the shell's own
    /// ([`code`]).
    pub code: String,
    /// For people.
    pub message: String,
    /// What to do next, when there is something to do.
    pub hint: Option<String>,
    /// The profile field at fault (`sc.address`, ...), when there is one.
    pub field: Option<String>,
}

impl AppError {
    /// An error without hint or field.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            hint: None,
            field: None,
        }
    }

    /// Adds what to do next.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Names the profile field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The service did not answer in time.
    pub fn timeout(seconds: u64) -> Self {
        Self::new(
            code::SERVICE,
            format!("the Softwire service did not answer within {seconds} s"),
        )
        .with_hint("try again; if it keeps happening, restart the service: sudo systemctl restart softwired")
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for AppError {}

/// The snake_case name the service gives an error code.
pub fn code_name(code: ErrorCode) -> String {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(name)) => name,
        _ => code::SERVICE.to_owned(),
    }
}

/// The field a service message names, from the form the service gives
/// profile problems: "profile field `sc.address`: ...".
fn field_in(message: &str) -> Option<String> {
    let rest = message.split_once("profile field `")?.1;
    let (field, _) = rest.split_once('`')?;
    (!field.is_empty()).then(|| field.to_owned())
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        AppError {
            code: code_name(e.code),
            field: field_in(&e.message),
            message: e.message,
            hint: e.hint,
        }
    }
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> Self {
        let hint = e.hint();
        let code = match &e {
            ClientError::NotRunning { .. } => code::SERVICE_NOT_RUNNING,
            ClientError::PermissionDenied { .. } => code::PERMISSION_DENIED,
            ClientError::Version { .. } => code::VERSION_MISMATCH,
            ClientError::Api(api) | ClientError::Refused(api) => {
                return AppError::from(api.clone());
            }
            ClientError::Protocol(_) | ClientError::Closed | ClientError::Io(_) => code::SERVICE,
        };
        AppError {
            code: code.to_owned(),
            message: e.to_string(),
            hint,
            field: None,
        }
    }
}

impl From<KeychainError> for AppError {
    fn from(e: KeychainError) -> Self {
        // Every keychain message says what to do.
        AppError::new(code::KEYCHAIN, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn client_errors_map_to_the_contracts_codes() {
        let path = PathBuf::from("/tmp/nonexistent.sock");
        let e = AppError::from(ClientError::NotRunning { path: path.clone() });
        assert_eq!(e.code, "service_not_running");
        assert!(e.message.contains("not running"), "{}", e.message);
        assert!(
            e.hint.as_deref().unwrap_or("").contains("systemctl"),
            "{e:?}"
        );
        assert_eq!(e.field, None);

        let e = AppError::from(ClientError::PermissionDenied { path });
        assert_eq!(e.code, "permission_denied");
        assert!(e.hint.as_deref().unwrap_or("").contains("usermod"), "{e:?}");

        let e = AppError::from(ClientError::Version { service: 2 });
        assert_eq!(e.code, "version_mismatch");

        for other in [
            ClientError::Closed,
            ClientError::Protocol("x".into()),
            ClientError::Io(std::io::Error::other("broken")),
        ] {
            assert_eq!(AppError::from(other).code, "service");
        }
    }

    #[test]
    fn service_errors_keep_their_code_hint_and_field() {
        let api = ApiError::new(ErrorCode::NoSuchProfile, "no profile named \"Ofice\"")
            .with_hint("list them");
        let e = AppError::from(ClientError::Api(api));
        assert_eq!(e.code, "no_such_profile");
        assert_eq!(e.message, "no profile named \"Ofice\"");
        assert_eq!(e.hint.as_deref(), Some("list them"));

        let e = AppError::from(ClientError::Refused(ApiError::new(
            ErrorCode::NotAllowed,
            "not a member",
        )));
        assert_eq!(e.code, "not_allowed");

        let e = AppError::from(ApiError::new(
            ErrorCode::InvalidProfile,
            "profile field `sc.address`: \"x y\" is neither an IP address nor a host name",
        ));
        assert_eq!(e.code, "invalid_profile");
        assert_eq!(e.field.as_deref(), Some("sc.address"));

        for (c, name) in [
            (ErrorCode::TooLarge, "too_large"),
            (ErrorCode::SecretNeeded, "secret_needed"),
            (ErrorCode::InUse, "in_use"),
            (ErrorCode::ProfileExists, "profile_exists"),
            (ErrorCode::ImportFailed, "import_failed"),
            (ErrorCode::UnknownRequest, "unknown_request"),
            (ErrorCode::Internal, "internal"),
            (ErrorCode::Busy, "busy"),
        ] {
            assert_eq!(code_name(c), name);
        }
    }

    #[test]
    fn serializes_as_the_contract_says() {
        let e = AppError::new(code::KEYCHAIN, "locked").with_field("auth.identity");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code":"keychain","message":"locked","hint":null,"field":"auth.identity"})
        );
        let e = AppError::from(KeychainError::NoBackend("no Secret Service".into()));
        assert_eq!(e.code, "keychain");
        assert_eq!(e.message, "no Secret Service");
    }
}
