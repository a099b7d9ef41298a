//! Talking to `softwired`: which socket, one short-lived connection per
//! command (with a time limit), and the watcher, one background task that
//! keeps a subscribed connection and forwards the service's events to the
//! front end as the Tauri events `status`, `progress` and `log`, and
//! reports the service's comings and goings as `service`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use softwire_api::{Client, Event, ProfileSummary, Reply, Request, Status, DEFAULT_SOCKET};
use tauri::{AppHandle, Emitter, Manager};

use crate::errors::{code, AppError};
use crate::state::AppState;
use crate::{info, notify, tray, warn};

/// How long a command waits for the service.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `disconnect` waits: the reply comes once every OS change is
/// undone.
pub const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the watcher tries again while the service is away.
const RETRY: Duration = Duration::from_secs(1);

/// The service's socket: `--socket PATH` (or `--socket=PATH`) among the
/// program's arguments, else `$SOFTWIRE_SOCKET`, else
/// [`DEFAULT_SOCKET`].
pub fn socket_path(args: impl IntoIterator<Item = String>, env: Option<OsString>) -> PathBuf {
    let mut args = args.into_iter();
    let mut chosen = None;
    while let Some(arg) = args.next() {
        if arg == "--socket" {
            chosen = args.next();
        } else if let Some(path) = arg.strip_prefix("--socket=") {
            chosen = Some(path.to_owned());
        }
    }
    if let Some(path) = chosen.filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    match env.filter(|e| !e.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(DEFAULT_SOCKET),
    }
}

/// `ServiceState` of the contract: whether the service answers, and if
/// not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceState {
    /// The service answered.
    pub running: bool,
    /// Its version, from its welcome.
    pub version: Option<String>,
    /// The socket tried.
    pub socket: String,
    /// Why it does not answer (`service_not_running`,
    /// `permission_denied`, ...).
    pub error: Option<AppError>,
}

impl ServiceState {
    /// Running, with this version.
    pub fn up(socket: &Path, version: String) -> Self {
        Self {
            running: true,
            version: Some(version),
            socket: socket.display().to_string(),
            error: None,
        }
    }

    /// Not reachable, for this reason.
    pub fn away(socket: &Path, error: AppError) -> Self {
        Self {
            running: false,
            version: None,
            socket: socket.display().to_string(),
            error: Some(error),
        }
    }

    /// Whether going from `self` to `next` is news for the front end: the
    /// service came or went, or is away for another reason now.
    pub fn differs(&self, next: &ServiceState) -> bool {
        self.running != next.running
            || self.error.as_ref().map(|e| &e.code) != next.error.as_ref().map(|e| &e.code)
    }
}

/// Connects, sends one request and reads its reply, within `limit`.
pub async fn call(socket: &Path, request: Request, limit: Duration) -> Result<Reply, AppError> {
    let exchange = async {
        let mut client = Client::connect(socket).await?;
        client.call(request).await
    };
    match tokio::time::timeout(limit, exchange).await {
        Ok(result) => result.map_err(AppError::from),
        Err(_) => Err(AppError::timeout(limit.as_secs())),
    }
}

/// A reply of another kind than the request asks for.
pub fn unexpected(reply: &Reply) -> AppError {
    AppError::new(
        code::SERVICE,
        format!("the service gave an unexpected answer: {reply:?}"),
    )
}

/// Asks whether the service answers, now.
pub async fn probe(socket: &Path) -> ServiceState {
    match tokio::time::timeout(CALL_TIMEOUT, Client::connect(socket)).await {
        Ok(Ok(client)) => ServiceState::up(socket, client.service_version),
        Ok(Err(e)) => ServiceState::away(socket, e.into()),
        Err(_) => ServiceState::away(socket, AppError::timeout(CALL_TIMEOUT.as_secs())),
    }
}

/// The saved profiles, from a fresh connection.
pub async fn list_profiles(socket: &Path) -> Result<Vec<ProfileSummary>, AppError> {
    match call(socket, Request::ListProfiles, CALL_TIMEOUT).await? {
        Reply::Profiles { profiles } => Ok(profiles),
        other => Err(unexpected(&other)),
    }
}

/// The connection's status, from a fresh connection.
pub async fn status(socket: &Path) -> Result<Status, AppError> {
    match call(socket, Request::Status, CALL_TIMEOUT).await? {
        Reply::Status { status } => Ok(*status),
        other => Err(unexpected(&other)),
    }
}

/// A subscribed connection and what the service said at its start.
struct Subscription {
    client: Client,
    status: Option<Status>,
    profiles: Option<Vec<ProfileSummary>>,
}

async fn subscribe(socket: &Path) -> Result<Subscription, AppError> {
    let start = async {
        let mut client = Client::connect(socket).await?;
        match client.call(Request::Subscribe { logs: true }).await? {
            Reply::Subscribed => {}
            other => return Err(unexpected(&other)),
        }
        let status = match client.call(Request::Status).await {
            Ok(Reply::Status { status }) => Some(*status),
            _ => None,
        };
        let profiles = match client.call(Request::ListProfiles).await {
            Ok(Reply::Profiles { profiles }) => Some(profiles),
            _ => None,
        };
        Ok::<_, AppError>(Subscription {
            client,
            status,
            profiles,
        })
    };
    match tokio::time::timeout(CALL_TIMEOUT, start).await {
        Ok(result) => result,
        Err(_) => Err(AppError::timeout(CALL_TIMEOUT.as_secs())),
    }
}

/// Starts the watcher on Tauri's async runtime.
pub fn spawn_watcher(app: AppHandle) {
    tauri::async_runtime::spawn(watch(app));
}

/// The payload of the `progress` event: `{profile, step}`.
#[derive(Clone, Serialize)]
struct Progress<'a> {
    profile: &'a str,
    step: &'a softwire_api::Step,
}

async fn watch(app: AppHandle) {
    let socket = app.state::<AppState>().socket.clone();
    loop {
        match subscribe(&socket).await {
            Ok(sub) => {
                let since = Instant::now();
                let version = sub.client.service_version.clone();
                info!(
                    "connected to the Softwire service {version} at {}",
                    socket.display()
                );
                publish(&app, ServiceState::up(&socket, version));
                if let Some(profiles) = sub.profiles {
                    tray::set_profiles(&app, profiles);
                }
                if let Some(status) = sub.status {
                    tray::set_status(&app, &status);
                    emit(&app, "status", &status);
                }
                let mut client = sub.client;
                let lost = loop {
                    match client.next_event().await {
                        Ok(event) => forward(&app, event),
                        Err(e) => break e,
                    }
                };
                info!("lost the connection to the service: {lost}");
                // A service that stopped is usually gone at once (say so
                // without waiting); one that restarts may be back at once.
                if since.elapsed() >= RETRY {
                    continue;
                }
            }
            Err(e) => publish(&app, ServiceState::away(&socket, e)),
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Records the service's state; tells the front end, the log and the
/// tray when it changed.
fn publish(app: &AppHandle, next: ServiceState) {
    let state = app.state::<AppState>();
    let previous = state.replace_service(next.clone());
    let news = previous.as_ref().is_none_or(|p| p.differs(&next)) || next.running;
    if !news {
        return;
    }
    if !next.running {
        let why = next
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        info!("the service is not available: {why}");
        if previous.is_some_and(|p| p.running) {
            notify::service_lost(app, &why);
        }
    }
    tray::set_service(app, &next);
    emit(app, "service", &next);
}

/// Forwards one of the service's events.
fn forward(app: &AppHandle, event: Event) {
    match event {
        Event::Progress { profile, step } => {
            notify::on_step(app, &profile, &step);
            if let softwire_api::Step::Up { status } = &step {
                tray::set_status(app, status);
            }
            emit_progress(app, &profile, &step);
        }
        Event::Status { status } => {
            tray::set_status(app, &status);
            emit(app, "status", status.as_ref());
        }
        Event::Log { line } => emit(app, "log", &line),
    }
}

/// Emits a `progress` event.
pub fn emit_progress(app: &AppHandle, profile: &str, step: &softwire_api::Step) {
    emit(app, "progress", &Progress { profile, step });
}

/// Emits an event to the front end; a failure is only logged.
pub fn emit<S: Serialize + Clone>(app: &AppHandle, event: &str, payload: &S) {
    if let Err(e) = app.emit(event, payload.clone()) {
        warn!("could not emit the {event} event: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_socket_comes_from_the_argument_then_the_environment() {
        let env = Some(OsString::from("/run/env.sock"));
        assert_eq!(
            socket_path(args(&["--socket", "/tmp/a.sock"]), env.clone()),
            PathBuf::from("/tmp/a.sock")
        );
        assert_eq!(
            socket_path(args(&["--socket=/tmp/b.sock"]), env.clone()),
            PathBuf::from("/tmp/b.sock")
        );
        assert_eq!(
            socket_path(args(&["--other"]), env),
            PathBuf::from("/run/env.sock")
        );
        assert_eq!(socket_path(args(&[]), None), PathBuf::from(DEFAULT_SOCKET));
        assert_eq!(
            socket_path(args(&["--socket"]), Some(OsString::new())),
            PathBuf::from(DEFAULT_SOCKET)
        );
    }

    #[test]
    fn service_state_changes() {
        let socket = Path::new("/tmp/x.sock");
        let up = ServiceState::up(socket, "0.1.0".into());
        let away = ServiceState::away(socket, AppError::new(code::SERVICE_NOT_RUNNING, "no"));
        let denied = ServiceState::away(socket, AppError::new(code::PERMISSION_DENIED, "no"));
        assert!(up.differs(&away));
        assert!(away.differs(&denied));
        assert!(!away.differs(&away.clone()));
        let json = serde_json::to_value(&away).unwrap();
        assert_eq!(json["running"], false);
        assert_eq!(json["version"], serde_json::Value::Null);
        assert_eq!(json["socket"], "/tmp/x.sock");
        assert_eq!(json["error"]["code"], "service_not_running");
    }

    /// A one-connection stand-in for the service: sends `welcome`, then
    /// answers the first request with `answer` (when given).
    async fn fake(welcome: &'static str, answer: Option<&'static str>) -> tempfile::TempDir {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::UnixListener::bind(dir.path().join("s.sock")).unwrap();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (read, mut write) = stream.into_split();
            write.write_all(welcome.as_bytes()).await.unwrap();
            let mut line = String::new();
            BufReader::new(read).read_line(&mut line).await.unwrap();
            if let Some(answer) = answer {
                write.write_all(answer.as_bytes()).await.unwrap();
            }
            // Stay silent until the client is gone.
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        dir
    }

    const WELCOME: &str = "{\"type\":\"welcome\",\"api\":1,\"service\":\"0.1.0\"}\n";

    #[tokio::test]
    async fn replies_errors_versions_and_silence() {
        let dir = fake(
            WELCOME,
            Some("{\"type\":\"reply\",\"id\":1,\"reply\":{\"kind\":\"profiles\",\"profiles\":[{\"name\":\"Office\",\"sc\":\"203.0.113.10\",\"method\":\"psk\",\"identity\":\"alice\",\"needs_secret\":true}]}}\n"),
        )
        .await;
        let list = list_profiles(&dir.path().join("s.sock")).await.unwrap();
        assert_eq!(list.len(), 1);
        assert!(list[0].needs_secret);

        let dir = fake(
            WELCOME,
            Some("{\"type\":\"error\",\"id\":1,\"error\":{\"code\":\"no_such_profile\",\"message\":\"no profile named \\\"Ofice\\\"\",\"hint\":\"list them\"}}\n"),
        )
        .await;
        let socket = dir.path().join("s.sock");
        let request = Request::ShowProfile {
            name: "Ofice".into(),
        };
        let e = call(&socket, request, CALL_TIMEOUT).await.unwrap_err();
        assert_eq!(e.code, "no_such_profile");
        assert_eq!(e.hint.as_deref(), Some("list them"));

        let dir = fake(
            "{\"type\":\"welcome\",\"api\":9,\"service\":\"9.0\"}\n",
            None,
        )
        .await;
        let state = probe(&dir.path().join("s.sock")).await;
        assert!(!state.running);
        assert_eq!(state.error.unwrap().code, "version_mismatch");

        let dir = fake(WELCOME, None).await;
        let socket = dir.path().join("s.sock");
        let e = call(&socket, Request::Status, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert_eq!(e.code, "service");
        assert!(e.message.contains("did not answer"), "{}", e.message);
    }

    #[tokio::test]
    async fn a_missing_socket_is_service_not_running() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("none.sock");
        let state = probe(&socket).await;
        assert!(!state.running);
        assert_eq!(state.error.unwrap().code, "service_not_running");
        let e = call(&socket, Request::Status, CALL_TIMEOUT)
            .await
            .unwrap_err();
        assert_eq!(e.code, "service_not_running");
    }
}
