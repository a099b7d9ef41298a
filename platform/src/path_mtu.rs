//! The path MTU towards a host as the OS knows it: the outgoing
//! interface's MTU, or less once the kernel learned a smaller one from an
//! ICMP "fragmentation needed" / "packet too big" (RFC 1191, RFC 8201).
//! IKE sizes its fragments from it (RFC 7383 §2.5.1).
//!
//! - **Linux**: `IP_MTU` / `IPV6_MTU` on a connected UDP socket (nothing
//!   is sent). Verified at run time.
//! - **Windows, macOS**: not implemented; [`path_mtu`] returns
//!   `ErrorKind::Unsupported` and callers keep their default.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};

/// The path MTU (IP packet octets) the OS would use towards `destination`.
pub fn path_mtu(destination: IpAddr) -> io::Result<usize> {
    let any: SocketAddr = if destination.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = UdpSocket::bind(any)?;
    // Any port: connecting only picks the route.
    socket.connect(SocketAddr::new(destination, 9))?;
    os::connected_mtu(&socket, destination.is_ipv4())
}

#[cfg(target_os = "linux")]
mod os {
    use std::io;
    use std::net::UdpSocket;
    use std::os::fd::AsRawFd;

    pub(super) fn connected_mtu(socket: &UdpSocket, ipv4: bool) -> io::Result<usize> {
        let (level, name) = if ipv4 {
            (libc::IPPROTO_IP, libc::IP_MTU)
        } else {
            (libc::IPPROTO_IPV6, libc::IPV6_MTU)
        };
        let mut mtu: libc::c_int = 0;
        let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>())
            .map_err(|_| io::Error::other("socklen"))?;
        // SAFETY: the descriptor is open for the call (borrowed from
        // `socket`); `mtu` and `len` are valid, writable, and `len` holds
        // the size of `mtu`, which the kernel does not exceed.
        let rc = unsafe {
            libc::getsockopt(
                socket.as_raw_fd(),
                level,
                name,
                (&raw mut mtu).cast::<libc::c_void>(),
                &raw mut len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        usize::try_from(mtu).map_err(|_| io::Error::other("negative MTU"))
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    use std::io;
    use std::net::UdpSocket;

    pub(super) fn connected_mtu(_socket: &UdpSocket, _ipv4: bool) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the path MTU is read on Linux only",
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn loopback_reports_its_interface_mtu() {
        let mtu = path_mtu(IpAddr::from([127, 0, 0, 1])).unwrap();
        let expected: usize = std::fs::read_to_string("/sys/class/net/lo/mtu")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // An IPv4 packet is at most 65535 octets, whatever the device says.
        assert_eq!(mtu, expected.min(65_535));
    }
}
