//! The `softwire` command-line client's building blocks: the commands that
//! go through the service, the keychain side of passwords, status display,
//! the foreground `run` (no service) and the IKE_SA_INIT probe.

pub mod drive;
pub mod failure;
pub mod foreground;
pub mod probe;
pub mod secret;
pub mod service;
pub mod status;
