//! macOS and Windows: not yet; every call says so.

use std::io;

use softwire_core::discovery::{DatagramPort, DhcpPorts, LocalNetwork, LookupError, NetworkView};

const WHAT: &str = "finding the SC on the network";

/// The network of the default route (not yet on this OS).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemNetwork;

impl SystemNetwork {
    /// As on Linux; the tunnel's device is never the answer.
    pub fn new(_exclude_interface: Option<u32>) -> Self {
        Self
    }
}

impl NetworkView for SystemNetwork {
    async fn current(&self) -> Result<LocalNetwork, LookupError> {
        Err(LookupError::Unsupported(WHAT))
    }
}

/// A DHCP client socket (not yet on this OS).
#[derive(Debug)]
pub struct DhcpSocket;

impl DatagramPort for DhcpSocket {
    async fn send(&self, _: &[u8]) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, WHAT))
    }

    async fn recv(&self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::Unsupported, WHAT))
    }

    fn local_port(&self) -> u16 {
        0
    }
}

/// DHCP client sockets (not yet on this OS).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemDhcpPorts;

impl SystemDhcpPorts {
    /// The sockets.
    pub fn new() -> Self {
        Self
    }
}

impl DhcpPorts for SystemDhcpPorts {
    type Port = DhcpSocket;

    async fn open_v4(&self, _: &LocalNetwork) -> Result<DhcpSocket, LookupError> {
        Err(LookupError::Unsupported(WHAT))
    }

    async fn open_v6(&self, _: &LocalNetwork) -> Result<DhcpSocket, LookupError> {
        Err(LookupError::Unsupported(WHAT))
    }
}
