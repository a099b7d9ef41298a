//! Finding the SC's address from the profile (explicit address or name).

use std::net::{IpAddr, SocketAddr};

use crate::SessionError;

/// The SC's socket address: the profile's IP address, or the first
/// address its host name resolves to through the system resolver.
pub async fn resolve_sc(address: &str, port: u16) -> Result<SocketAddr, SessionError> {
    if let Ok(ip) = address.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let mut addresses = tokio::net::lookup_host((address, port))
        .await
        .map_err(|e| SessionError::Resolve(format!("{address}: {e}")))?;
    addresses
        .next()
        .ok_or_else(|| SessionError::Resolve(format!("{address}: no addresses")))
}
