//! The `softwire` command-line client's building blocks.
//!
//! Today it holds the IKE_SA_INIT probe, which asks an SC what it offers and
//! whether a NAT sits in between, without authenticating. The connect,
//! status and profile commands arrive with the service.

pub mod connect;
pub mod drive;
pub mod probe;
pub mod status;
