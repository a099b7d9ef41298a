//! The socket: accepts clients up to a limit, checks who they are, reads
//! their requests (bounded in size and time), answers them, and streams
//! events to subscribers. A misbehaving client is answered with an error
//! and closed; it never holds up the tunnel or other clients for long.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use softwire_api::framing::write_message;
use softwire_api::{
    ApiError, ClientMessage, ErrorCode, Event, LogLine, Reply, Request, ServerMessage, API_VERSION,
    MAX_REQUEST,
};
use softwire_core::crypto::SecretBytes;
use softwire_platform::peer::{peer_credentials, user_name, PeerCredentials};
use tokio::io::AsyncWrite;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, Semaphore};

use crate::access::Access;
use crate::log::{Log, KEPT_LINES};
use crate::manager::Manager;
use crate::profiles::{needs_secret, ProfileStore};
use crate::wire::{LineReader, ReadError};

/// A client that sends nothing for this long is closed (subscribers are
/// exempt: they wait for events).
pub const IDLE: Duration = Duration::from_secs(60);
/// A request must arrive whole within this time of its first byte.
pub const WHOLE_REQUEST: Duration = Duration::from_secs(5);
/// A client that does not take a message within this time is closed.
const WRITE: Duration = Duration::from_secs(5);
/// Clients turned away at once beyond the limit get their "busy" answer
/// from at most this many tasks; further ones are closed without a word.
const MAX_REFUSING: usize = 64;

/// What every client's task shares.
#[derive(Debug)]
pub struct Shared {
    /// The connection.
    pub manager: Arc<Manager>,
    /// The profiles.
    pub store: ProfileStore,
    /// The log.
    pub log: Arc<Log>,
    /// Who may use the service.
    pub access: Access,
    /// Clients turned away because all slots were taken.
    pub busy_refusals: AtomicU64,
}

/// Serves clients on `listener`, at most `max_clients` at once.
pub async fn serve(listener: UnixListener, shared: Arc<Shared>, max_clients: usize) {
    let slots = Arc::new(Semaphore::new(max_clients));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, most likely: wait for some to
                // be closed rather than spin.
                shared.log.warn(format!("accepting a client failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Ok(slot) = Arc::clone(&slots).try_acquire_owned() {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                serve_client(stream, &shared).await;
                drop(slot);
            });
            continue;
        }
        let n = shared.busy_refusals.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            shared.log.warn(format!(
                "{n} clients turned away so far: all {max_clients} client slots are taken"
            ));
        }
        if let Ok(refusal) = Arc::clone(&refusing).try_acquire_owned() {
            tokio::spawn(async move {
                let mut stream = stream;
                let busy = ApiError::new(
                    ErrorCode::Busy,
                    format!("the service is serving {max_clients} clients already"),
                )
                .with_hint("try again in a moment");
                let _ = send(
                    &mut stream,
                    &ServerMessage::Error {
                        id: None,
                        error: busy,
                    },
                )
                .await;
                drop(refusal);
            });
        }
    }
}

async fn serve_client(stream: UnixStream, shared: &Shared) {
    let peer = match peer_credentials(&stream) {
        Ok(p) => p,
        Err(e) => {
            shared
                .log
                .warn(format!("a client's credentials could not be read: {e}"));
            return;
        }
    };
    let who = describe(&peer);
    let (read, mut write) = stream.into_split();
    if let Err(error) = shared.access.check(&peer) {
        shared
            .log
            .warn(format!("refused {who}: not root and not in the group"));
        let _ = send(&mut write, &ServerMessage::Error { id: None, error }).await;
        return;
    }
    let welcome = ServerMessage::Welcome {
        api: API_VERSION,
        service: env!("CARGO_PKG_VERSION").to_owned(),
    };
    if send(&mut write, &welcome).await.is_err() {
        return;
    }
    let mut client = Client {
        who,
        events: None,
        logs: None,
    };
    let mut reader = LineReader::new(read);
    loop {
        let idle = if client.events.is_some() || client.logs.is_some() {
            None
        } else {
            Some(IDLE)
        };
        let input = tokio::select! {
            line = reader.next_line(idle, WHOLE_REQUEST) => Input::Line(line),
            event = next(&mut client.events) => Input::Event(event),
            line = next(&mut client.logs) => Input::Log(line),
        };
        let out = match input {
            Input::Line(Ok(bytes)) => Some(client.answer(bytes, shared).await),
            Input::Line(Err(e)) => {
                if let Some(error) = read_error(&e) {
                    let _ = send(&mut write, &ServerMessage::Error { id: None, error }).await;
                }
                return;
            }
            Input::Event(event) => event.map(|event| ServerMessage::Event { event }),
            Input::Log(line) => line.map(|line| ServerMessage::Event {
                event: Event::Log { line },
            }),
        };
        if let Some(message) = out {
            if send(&mut write, &message).await.is_err() {
                return;
            }
        }
    }
}

/// What woke a client's task.
enum Input<'a> {
    Line(Result<&'a [u8], ReadError>),
    Event(Option<Event>),
    Log(Option<LogLine>),
}

/// One connected, allowed client.
struct Client {
    who: String,
    events: Option<broadcast::Receiver<Event>>,
    logs: Option<broadcast::Receiver<LogLine>>,
}

impl Client {
    async fn answer(&mut self, line: &[u8], shared: &Shared) -> ServerMessage {
        let message: ClientMessage = match serde_json::from_slice(line) {
            Ok(m) => m,
            Err(e) => {
                shared
                    .log
                    .warn(format!("{}: a request that could not be parsed", self.who));
                return refuse_unparsed(line, &e);
            }
        };
        let id = message.id;
        match self.dispatch(message.request, shared).await {
            Ok(reply) => ServerMessage::Reply { id, reply },
            Err(error) => ServerMessage::Error {
                id: Some(id),
                error,
            },
        }
    }

    async fn dispatch(&mut self, request: Request, shared: &Shared) -> Result<Reply, ApiError> {
        let who = &self.who;
        match request {
            Request::Status => Ok(Reply::Status {
                status: Box::new(shared.manager.status()),
            }),
            Request::ListProfiles => {
                let (profiles, bad) = shared.store.list().map_err(internal)?;
                for (file, problem) in bad {
                    shared.log.warn(format!("skipping {file}: {problem}"));
                }
                Ok(Reply::Profiles { profiles })
            }
            Request::ShowProfile { name } => {
                let (_, toml) = shared.store.get(&name)?;
                Ok(Reply::Profile { name, toml })
            }
            Request::SaveProfile {
                toml,
                replace,
                ca_pem,
            } => {
                let saved = shared.store.save_toml(&toml, replace, ca_pem.as_deref())?;
                shared
                    .log
                    .info(format!("{who} saved the profile \"{}\"", saved.name));
                Ok(Reply::Saved {
                    name: saved.name,
                    warnings: saved.warnings,
                })
            }
            Request::ImportProfile {
                format,
                content,
                name,
                replace,
            } => {
                let saved = shared
                    .store
                    .import(format, content.as_bytes(), name, replace)?;
                shared.log.info(format!(
                    "{who} imported the profile \"{}\" ({} warnings)",
                    saved.name,
                    saved.warnings.len()
                ));
                Ok(Reply::Saved {
                    name: saved.name,
                    warnings: saved.warnings,
                })
            }
            Request::RemoveProfile { name } => {
                if shared.manager.active_profile().await.as_deref() == Some(name.as_str()) {
                    return Err(ApiError::new(
                        ErrorCode::InUse,
                        format!("the profile \"{name}\" is connected"),
                    )
                    .with_hint("disconnect first: softwire disconnect"));
                }
                shared.store.remove(&name)?;
                shared
                    .log
                    .info(format!("{who} removed the profile \"{name}\""));
                Ok(Reply::Removed { name })
            }
            Request::Connect { profile, secret } => {
                let (profile, _) = shared.store.get(&profile)?;
                let secret = secret.filter(|s| !s.is_empty());
                if needs_secret(&profile) && secret.is_none() {
                    return Err(ApiError::new(
                        ErrorCode::SecretNeeded,
                        format!(
                            "the profile \"{}\" needs a password or pre-shared key",
                            profile.name
                        ),
                    )
                    .with_hint(format!(
                        "store it in your keychain: softwire password set \"{}\"",
                        profile.name
                    )));
                }
                let secret = secret.map(|s| SecretBytes::from_slice(s.expose().as_bytes()));
                let name = profile.name.clone();
                shared
                    .log
                    .info(format!("{who} asked to connect \"{name}\""));
                shared.manager.connect(profile, secret).await;
                Ok(Reply::Connecting { profile: name })
            }
            Request::Disconnect => {
                shared.log.info(format!("{who} asked to disconnect"));
                let was_connected = shared.manager.disconnect().await;
                Ok(Reply::Disconnected { was_connected })
            }
            Request::Subscribe { logs } => {
                self.events = Some(shared.manager.subscribe());
                self.logs = logs.then(|| shared.log.subscribe());
                Ok(Reply::Subscribed)
            }
            Request::Logs { lines } => Ok(Reply::Logs {
                lines: shared.log.last(lines.min(KEPT_LINES)),
            }),
        }
    }
}

/// The error for a line that is not a request: an unknown request type
/// when the envelope is right, else malformed. Parts of the input are not
/// echoed beyond a short, quoted type name.
fn refuse_unparsed(line: &[u8], error: &serde_json::Error) -> ServerMessage {
    #[derive(Deserialize)]
    struct Envelope {
        id: Option<u64>,
        request: Option<Kind>,
    }
    #[derive(Deserialize)]
    struct Kind {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    let Ok(envelope) = serde_json::from_slice::<Envelope>(line) else {
        let what = if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() {
            format!("not a request: {error}")
        } else {
            format!("not JSON: {error}")
        };
        return ServerMessage::Error {
            id: None,
            error: ApiError::new(ErrorCode::Malformed, what)
                .with_hint("send {\"id\":1,\"request\":{\"type\":\"status\"}} and a newline"),
        };
    };
    let kind = envelope.request.and_then(|r| r.kind);
    let error = match kind {
        Some(kind) if error.to_string().starts_with("unknown variant") => ApiError::new(
            ErrorCode::UnknownRequest,
            format!(
                "unknown request type {:?}",
                kind.chars().take(40).collect::<String>()
            ),
        )
        .with_hint(format!(
            "this service speaks API version {API_VERSION}; see the softwire-api documentation"
        )),
        _ => ApiError::new(ErrorCode::Malformed, format!("bad request: {error}")),
    };
    ServerMessage::Error {
        id: envelope.id,
        error,
    }
}

fn read_error(e: &ReadError) -> Option<ApiError> {
    match e {
        ReadError::Closed | ReadError::Io(_) => None,
        ReadError::TooLarge => Some(ApiError::new(
            ErrorCode::TooLarge,
            format!("a request longer than {MAX_REQUEST} bytes: closing the connection"),
        )),
        ReadError::Idle => Some(ApiError::new(
            ErrorCode::Timeout,
            format!(
                "nothing received for {} s: closing the connection",
                IDLE.as_secs()
            ),
        )),
        ReadError::TooSlow => Some(ApiError::new(
            ErrorCode::Timeout,
            format!(
                "a request did not arrive whole within {} s: closing the connection",
                WHOLE_REQUEST.as_secs()
            ),
        )),
    }
}

/// The next item of an optional subscription; pending forever without
/// one. A subscriber that fell behind skips what it missed.
async fn next<T: Clone>(rx: &mut Option<broadcast::Receiver<T>>) -> Option<T> {
    let Some(r) = rx.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        match r.recv().await {
            Ok(item) => return Some(item),
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => {
                *rx = None;
                return None;
            }
        }
    }
}

async fn send<W: AsyncWrite + Unpin>(writer: &mut W, message: &ServerMessage) -> Result<(), ()> {
    match tokio::time::timeout(WRITE, write_message(writer, message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

fn describe(peer: &PeerCredentials) -> String {
    let pid = peer.pid.map(|p| format!(", pid {p}")).unwrap_or_default();
    match user_name(peer.uid) {
        Some(name) => format!("{name} (uid {}{pid})", peer.uid),
        None => format!("uid {}{pid}", peer.uid),
    }
}

fn internal(e: std::io::Error) -> ApiError {
    ApiError::new(ErrorCode::Internal, e.to_string())
}
