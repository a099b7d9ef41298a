//! A client of the service's socket, for the CLI and the desktop app.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};

use tokio::io::BufReader;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;

use crate::framing::{read_line, write_message, FrameError, MAX_SERVER_MESSAGE};
use crate::{ApiError, ClientMessage, Event, Reply, Request, ServerMessage, API_VERSION};

/// Why talking to the service failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens at the socket.
    #[error("the Softwire service is not running (nothing at {path})")]
    NotRunning {
        /// The socket.
        path: PathBuf,
    },
    /// The socket's permissions keep this user out.
    #[error("no permission to open {path}: only root and members of the \"softwire\" group may use the service")]
    PermissionDenied {
        /// The socket.
        path: PathBuf,
    },
    /// The service refused this user or closed the connection.
    #[error("the service refused: {0}")]
    Refused(ApiError),
    /// The request failed.
    #[error(transparent)]
    Api(ApiError),
    /// Client and service speak different API versions.
    #[error("the service speaks API version {service}, this program {API_VERSION}: update both together")]
    Version {
        /// The service's.
        service: u32,
    },
    /// The service sent something that is not a message.
    #[error("unexpected message from the service: {0}")]
    Protocol(String),
    /// The service closed the connection.
    #[error("the service closed the connection")]
    Closed,
    /// Socket trouble.
    #[error("talking to the service: {0}")]
    Io(#[from] io::Error),
}

impl ClientError {
    /// What the user can do about it, when something can be done.
    pub fn hint(&self) -> Option<String> {
        match self {
            ClientError::NotRunning { .. } => {
                Some("start it: sudo systemctl start softwired".to_owned())
            }
            ClientError::PermissionDenied { .. } => Some(
                "add your user to the group (sudo usermod -aG softwire $USER), then log in again"
                    .to_owned(),
            ),
            ClientError::Refused(e) | ClientError::Api(e) => e.hint.clone(),
            _ => None,
        }
    }
}

/// One connection to the service.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    next_id: u64,
    events: VecDeque<Event>,
    /// The service's version, from its welcome.
    pub service_version: String,
}

impl Client {
    /// Connects and reads the service's welcome (or refusal).
    pub async fn connect(path: &Path) -> Result<Client, ClientError> {
        let stream = UnixStream::connect(path)
            .await
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
                    ClientError::NotRunning {
                        path: path.to_owned(),
                    }
                }
                io::ErrorKind::PermissionDenied => ClientError::PermissionDenied {
                    path: path.to_owned(),
                },
                _ => ClientError::Io(e),
            })?;
        let (read, writer) = stream.into_split();
        let mut client = Client {
            reader: BufReader::new(read),
            writer,
            next_id: 1,
            events: VecDeque::new(),
            service_version: String::new(),
        };
        match client.read().await? {
            ServerMessage::Welcome { api, service } if api == API_VERSION => {
                client.service_version = service;
                Ok(client)
            }
            ServerMessage::Welcome { api, .. } => Err(ClientError::Version { service: api }),
            ServerMessage::Error { error, .. } => Err(ClientError::Refused(error)),
            other => Err(ClientError::Protocol(format!("{other:?}"))),
        }
    }

    /// Sends `request` and waits for its reply; events that arrive
    /// meanwhile are kept for [`Client::next_event`].
    pub async fn call(&mut self, request: Request) -> Result<Reply, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        write_message(&mut self.writer, &ClientMessage { id, request }).await?;
        loop {
            match self.read().await? {
                ServerMessage::Reply { id: got, reply } if got == id => return Ok(reply),
                ServerMessage::Error {
                    id: Some(got),
                    error,
                } if got == id => return Err(ClientError::Api(error)),
                ServerMessage::Error { id: None, error } => {
                    return Err(ClientError::Refused(error))
                }
                ServerMessage::Event { event } => self.events.push_back(event),
                ServerMessage::Reply { .. }
                | ServerMessage::Error { .. }
                | ServerMessage::Welcome { .. } => {}
            }
        }
    }

    /// The next event (after a `subscribe`).
    pub async fn next_event(&mut self) -> Result<Event, ClientError> {
        if let Some(e) = self.events.pop_front() {
            return Ok(e);
        }
        loop {
            match self.read().await? {
                ServerMessage::Event { event } => return Ok(event),
                ServerMessage::Error { id: None, error } => {
                    return Err(ClientError::Refused(error))
                }
                _ => {}
            }
        }
    }

    async fn read(&mut self) -> Result<ServerMessage, ClientError> {
        let mut line = Vec::new();
        match read_line(&mut self.reader, &mut line, MAX_SERVER_MESSAGE).await {
            Ok(true) => {
                serde_json::from_slice(&line).map_err(|e| ClientError::Protocol(format!("{e}")))
            }
            Ok(false) => Err(ClientError::Closed),
            Err(FrameError::TooLong(n)) => Err(ClientError::Protocol(format!(
                "a message longer than {n} bytes"
            ))),
            Err(FrameError::Io(e)) => Err(ClientError::Io(e)),
        }
    }
}
