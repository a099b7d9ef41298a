//! The local API of `softwired`, the Softwire service, and a client for it.
//!
//! The service owns the tunnel and runs privileged; the CLI and the desktop
//! app talk to it over a Unix domain socket ([`DEFAULT_SOCKET`]). Each side
//! sends one compact JSON object per line ([`framing`]).
//!
//! A session, as `socat - UNIX-CONNECT:/run/softwire/softwired.sock` shows
//! it (`>` sent by the client):
//!
//! ```text
//! {"type":"welcome","api":1,"service":"0.1.0"}
//! > {"id":1,"request":{"type":"subscribe","logs":false}}
//! {"type":"reply","id":1,"reply":{"kind":"subscribed"}}
//! > {"id":2,"request":{"type":"connect","profile":"Office","secret":"correct horse"}}
//! {"type":"reply","id":2,"reply":{"kind":"connecting","profile":"Office"}}
//! {"type":"event","event":{"kind":"progress","profile":"Office","step":{"step":"sa_init","sc":"203.0.113.10:500"}}}
//! {"type":"event","event":{"kind":"progress","profile":"Office","step":{"step":"authenticating"}}}
//! {"type":"event","event":{"kind":"progress","profile":"Office","step":{"step":"configuring"}}}
//! {"type":"event","event":{"kind":"progress","profile":"Office","step":{"step":"up","status":{"state":"up", ...}}}}
//! > {"id":3,"request":{"type":"disconnect"}}
//! {"type":"event","event":{"kind":"progress","profile":"Office","step":{"step":"disconnecting"}}}
//! {"type":"event","event":{"kind":"progress","profile":"Office","step":{"step":"down","up_for_s":42.0}}}
//! {"type":"reply","id":3,"reply":{"kind":"disconnected","was_connected":true}}
//! > {"id":4,"request":{"type":"nonsense"}}
//! {"type":"error","id":4,"error":{"code":"unknown_request","message":"unknown request type \"nonsense\""}}
//! ```
//!
//! Rules the service enforces: only root and members of the `softwire`
//! group are served (peer credentials); a request is at most
//! [`MAX_REQUEST`] bytes and must arrive whole within a few seconds of its
//! first byte; a bounded number of clients at once. Every line is bad input
//! until parsed. Secrets travel only in `connect`, for that attempt.

#[cfg(unix)]
mod client;
pub mod framing;
mod messages;
mod names;
mod secret;
mod status;

#[cfg(unix)]
pub use client::{Client, ClientError};
pub use framing::{MAX_REQUEST, MAX_SERVER_MESSAGE};
pub use messages::{
    ApiError, ClientMessage, DownReason, ErrorCode, Event, ImportFormat, LogLevel, LogLine,
    ProfileSummary, Reply, Request, ServerMessage, Step,
};
pub use names::{profile_name_problem, MAX_PROFILE_NAME};
pub use secret::Secret;
pub use status::{State, Status};

/// The API version; clients refuse a service with another.
pub const API_VERSION: u32 = 1;

/// Where the service listens by default.
pub const DEFAULT_SOCKET: &str = "/run/softwire/softwired.sock";

/// The group whose members may use the service (besides root).
pub const DEFAULT_GROUP: &str = "softwire";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples_parse() {
        let m: ClientMessage = serde_json::from_str(
            r#"{"id":2,"request":{"type":"connect","profile":"Office","secret":"x"}}"#,
        )
        .unwrap();
        assert!(
            matches!(m.request, Request::Connect { ref profile, secret: Some(_) } if profile == "Office")
        );
        let m: ServerMessage = serde_json::from_str(
            r#"{"type":"event","event":{"kind":"progress","profile":"Office","step":{"step":"sa_init","sc":"203.0.113.10:500"}}}"#,
        )
        .unwrap();
        assert!(matches!(
            m,
            ServerMessage::Event {
                event: Event::Progress {
                    step: Step::SaInit { .. },
                    ..
                }
            }
        ));
        let e = serde_json::from_str::<ClientMessage>(r#"{"id":4,"request":{"type":"nonsense"}}"#)
            .unwrap_err();
        assert!(e.to_string().contains("unknown variant"), "{e}");
        let e = serde_json::from_str::<ClientMessage>(
            r#"{"id":4,"request":{"type":"show_profile","name":"a","x":1}}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
    }

    #[test]
    fn status_round_trips() {
        let s = Status {
            state: State::Up,
            profile: Some("Office".into()),
            sc: Some("203.0.113.10:4500".parse().unwrap()),
            dns: vec!["198.51.100.53".parse().unwrap()],
            ..Status::default()
        };
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains(r#""sc":"203.0.113.10:4500""#), "{text}");
        assert_eq!(serde_json::from_str::<Status>(&text).unwrap(), s);
    }
}
