//! The Softwire service: the connection manager, the profile store, the
//! access rule and the socket server behind `softwired`.

mod access;
mod log;
mod manager;
mod profiles;
mod server;
mod wire;

pub use access::Access;
pub use log::{Log, KEPT_LINES};
pub use manager::Manager;
pub use profiles::{check_name, ProfileStore};
pub use server::{serve, Shared, IDLE, WHOLE_REQUEST};

/// Clients served at once by default.
pub const MAX_CLIENTS: usize = 32;
