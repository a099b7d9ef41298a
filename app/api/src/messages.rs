//! Requests, replies and events: one JSON object per line.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::{Secret, Status};

/// A request with the number its reply will carry.
///
/// ```json
/// {"id":1,"request":{"type":"status"}}
/// {"id":2,"request":{"type":"connect","profile":"Office","secret":"..."}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientMessage {
    /// Chosen by the client; the reply carries it back.
    pub id: u64,
    /// What is asked.
    pub request: Request,
}

/// What a client can ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// The connection's state: [`Reply::Status`].
    Status,
    /// The saved profiles: [`Reply::Profiles`].
    ListProfiles,
    /// One profile as TOML: [`Reply::Profile`].
    ShowProfile {
        /// Its name.
        name: String,
    },
    /// Adds a profile from TOML (its `name` names it), or replaces one
    /// when `replace` is set: [`Reply::Saved`].
    SaveProfile {
        /// The profile text.
        toml: String,
        /// Overwrite a profile of the same name.
        #[serde(default)]
        replace: bool,
        /// CA certificates (PEM) the SC's certificate must chain to: the
        /// service keeps them beside the profile and points `sc.ca` at
        /// them, so a client need not put a file where the service can
        /// read it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ca_pem: Option<String>,
    },
    /// Converts another client's profile and saves it: [`Reply::Saved`].
    ImportProfile {
        /// The file's format.
        format: ImportFormat,
        /// The file's text.
        content: String,
        /// Save under this name instead of the file's.
        #[serde(default)]
        name: Option<String>,
        /// Overwrite a profile of the same name.
        #[serde(default)]
        replace: bool,
    },
    /// Removes a profile: [`Reply::Removed`].
    RemoveProfile {
        /// Its name.
        name: String,
    },
    /// Connects with a profile, replacing any other connection; progress
    /// comes as events: [`Reply::Connecting`].
    Connect {
        /// The profile's name.
        profile: String,
        /// The password or pre-shared key for this attempt only; the
        /// service keeps it no longer than the connection.
        #[serde(default)]
        secret: Option<Secret>,
    },
    /// Disconnects; the reply comes once every OS change is undone:
    /// [`Reply::Disconnected`].
    Disconnect,
    /// Sends [`Event`]s on this connection from now on:
    /// [`Reply::Subscribed`].
    Subscribe {
        /// Include log lines.
        #[serde(default)]
        logs: bool,
    },
    /// The last log lines: [`Reply::Logs`].
    Logs {
        /// At most this many (the service keeps a bounded number).
        #[serde(default = "default_log_lines")]
        lines: usize,
    },
}

fn default_log_lines() -> usize {
    100
}

/// Profile formats of other clients that can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    /// strongSwan's `.sswan` (JSON; Android and NetworkManager clients).
    Sswan,
    /// The IKEv2 payload of an Apple `.mobileconfig` (XML property list).
    Mobileconfig,
}

/// What the service sends: one per line.
///
/// ```json
/// {"type":"welcome","api":1,"service":"0.1.0"}
/// {"type":"reply","id":1,"reply":{"kind":"status","status":{"state":"idle", ...}}}
/// {"type":"error","id":2,"error":{"code":"no_such_profile","message":"no profile named \"Ofice\"","hint":"softwire profiles lists them"}}
/// {"type":"event","event":{"kind":"progress","profile":"Office","step":{"step":"authenticating"}}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First on every connection the service accepts.
    Welcome {
        /// [`crate::API_VERSION`] of the service.
        api: u32,
        /// The service's version.
        service: String,
    },
    /// The answer to request `id`.
    Reply {
        /// The request's number.
        id: u64,
        /// The answer.
        reply: Reply,
    },
    /// Request `id` failed, or (without `id`) the connection is refused
    /// or closed; the message says why.
    Error {
        /// The request's number, when the error answers one.
        #[serde(default)]
        id: Option<u64>,
        /// What went wrong.
        error: ApiError,
    },
    /// Something happened (after `subscribe`).
    Event {
        /// What.
        event: Event,
    },
}

/// Answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// To `status`.
    Status {
        /// The connection.
        status: Box<Status>,
    },
    /// To `list_profiles`.
    Profiles {
        /// In name order.
        profiles: Vec<ProfileSummary>,
    },
    /// To `show_profile`.
    Profile {
        /// Its name.
        name: String,
        /// The profile as saved.
        toml: String,
    },
    /// To `save_profile` and `import_profile`.
    Saved {
        /// The name it was saved under.
        name: String,
        /// What could not be carried over, in words.
        warnings: Vec<String>,
    },
    /// To `remove_profile`.
    Removed {
        /// Its name.
        name: String,
    },
    /// To `connect`: the attempt started.
    Connecting {
        /// The profile.
        profile: String,
    },
    /// To `disconnect`.
    Disconnected {
        /// Whether a connection was there to end.
        was_connected: bool,
    },
    /// To `subscribe`.
    Subscribed,
    /// To `logs`.
    Logs {
        /// Oldest first.
        lines: Vec<LogLine>,
    },
}

/// A saved profile, briefly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSummary {
    /// Its name.
    pub name: String,
    /// The SC's address.
    pub sc: String,
    /// "eap-mschapv2", "psk" or "certificate".
    pub method: String,
    /// The user's identity.
    pub identity: String,
    /// Whether a connection needs a password or pre-shared key.
    pub needs_secret: bool,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// For programs.
    pub code: ErrorCode,
    /// For people.
    pub message: String,
    /// What to do next, when there is something to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ApiError {
    /// An error without a hint.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds what to do next.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Kinds of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not a request.
    Malformed,
    /// A request type this service does not know.
    UnknownRequest,
    /// Longer than [`crate::MAX_REQUEST`].
    TooLarge,
    /// A request did not arrive in time.
    Timeout,
    /// This user may not use the service.
    NotAllowed,
    /// Too many clients at once.
    Busy,
    /// No such profile.
    NoSuchProfile,
    /// A profile of that name exists.
    ProfileExists,
    /// The profile is not valid.
    InvalidProfile,
    /// An import failed.
    ImportFailed,
    /// The profile needs a password or pre-shared key.
    SecretNeeded,
    /// Not while a connection uses it.
    InUse,
    /// The service's own failure (disk, OS).
    Internal,
}

/// Something that happened in the service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A connection moved on.
    Progress {
        /// Its profile.
        profile: String,
        /// Where it is now.
        step: Step,
    },
    /// The connection's status, on every change of state and every second
    /// while up.
    Status {
        /// The status.
        status: Box<Status>,
    },
    /// A line of the service's log (with `subscribe` `logs`).
    Log {
        /// The line.
        line: LogLine,
    },
}

/// Steps of a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Looking up the SC's name.
    ResolvingSc {
        /// The name.
        name: String,
    },
    /// IKE_SA_INIT sent.
    SaInit {
        /// To this address.
        sc: SocketAddr,
    },
    /// Asking the network where the SC is (the profile says "discover").
    Discovering {
        /// The sources asked, such as "DHCP option 224".
        sources: Vec<String>,
    },
    /// IKE_SA_INIT sent to a discovered candidate.
    Trying {
        /// Its address.
        sc: SocketAddr,
        /// How it was found, such as "via DNS softwire.example.net (A)".
        via: String,
    },
    /// A discovered candidate failed or did not prove itself; the next
    /// one is tried.
    CandidateFailed {
        /// Its address.
        sc: SocketAddr,
        /// How it was found.
        via: String,
        /// Why it was refused.
        reason: String,
    },
    /// IKE_AUTH under way.
    Authenticating,
    /// Setting up the device, routes and DNS.
    Configuring,
    /// Up (again, when `status.reconnects` > 0).
    Up {
        /// The details.
        status: Box<Status>,
    },
    /// Lost; negotiating again with the tunnel in place.
    Reconnecting {
        /// 1 for the first attempt.
        attempt: u32,
        /// Seconds before it.
        next_in_s: f64,
        /// Why the last connection or attempt ended.
        reason: String,
    },
    /// Moved to another path without a new negotiation (MOBIKE).
    Moved {
        /// Our address now.
        local: SocketAddr,
        /// The SC's.
        sc: SocketAddr,
        /// Behind a NAT.
        behind_nat: bool,
        /// From noticing the change to the SC's confirmation; absent when
        /// a NAT changed our public address.
        #[serde(default)]
        took_ms: Option<f64>,
    },
    /// Closing.
    Disconnecting,
    /// Ended: by the user (`error` absent) or by a failure.
    Down {
        /// What went wrong.
        #[serde(default)]
        error: Option<String>,
        /// What to do about it.
        #[serde(default)]
        hint: Option<String>,
        /// The kind of failure, for a program's next step.
        #[serde(default)]
        reason: Option<DownReason>,
        /// Seconds the tunnel was up.
        #[serde(default)]
        up_for_s: Option<f64>,
    },
}

/// Kinds of connection failure, so a client can offer the right next
/// step (ask for the password again, edit the profile, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DownReason {
    /// The SC refused the password, key or certificate.
    Authentication,
    /// No answer from the SC, or its name did not resolve.
    Unreachable,
    /// The SC proved another identity, or its certificate is not trusted.
    ScIdentity,
    /// The profile needs a password or key and none was given.
    SecretNeeded,
    /// Anything else (the message says what).
    Other,
}

/// One line of the service's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Milliseconds since the Unix epoch.
    pub unix_ms: u64,
    /// How much it matters.
    pub level: LogLevel,
    /// The text.
    pub message: String,
}

/// Log levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Details.
    Debug,
    /// Normal events.
    Info,
    /// Something to look at.
    Warn,
    /// A failure.
    Error,
}
