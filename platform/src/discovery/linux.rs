//! Linux: the network of the default route (rtnetlink), its link-local
//! address (`/proc/net/if_inet6`) and MAC (sysfs), the resolver's view of
//! it (systemd-resolved per link, or `/etc/resolv.conf`), and DHCP client
//! sockets bound to the interface.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::Path;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use softwire_core::discovery::{
    dhcp4, dhcp6, DatagramPort, DhcpPorts, LocalNetwork, LookupError, NetworkView,
};
use tokio::net::UdpSocket;

use super::resolvers::{parse_resolv_conf, parse_resolvectl, ResolverSettings};
use crate::dns::{detect, DnsBackend, DnsChoice};
use crate::routes::{Family, RouteTable, TableRoute};

/// The network of the default route, outside the tunnel.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemNetwork {
    exclude_interface: Option<u32>,
}

impl SystemNetwork {
    /// `exclude_interface`: the tunnel's own device, never the answer.
    pub fn new(exclude_interface: Option<u32>) -> Self {
        Self { exclude_interface }
    }

    fn default_route(&self, routes: Vec<TableRoute>) -> Option<TableRoute> {
        routes
            .into_iter()
            .filter(|r| r.destination.prefix_len() == 0)
            .filter(|r| Some(r.interface_index) != self.exclude_interface)
            .min_by_key(|r| r.metric)
    }
}

impl NetworkView for SystemNetwork {
    async fn current(&self) -> Result<LocalNetwork, LookupError> {
        let table = RouteTable::open().map_err(|e| LookupError::Io(e.to_string()))?;
        let v4 = table.main_routes(Family::V4).await.unwrap_or_default();
        let v6 = table.main_routes(Family::V6).await.unwrap_or_default();
        let default_v4 = self.default_route(v4);
        let default_v6 = self.default_route(v6);
        let route = default_v4
            .clone()
            .or_else(|| default_v6.clone())
            .ok_or_else(|| {
                LookupError::NotAvailable("no default route: not connected to a network".to_owned())
            })?;
        let index = route.interface_index;
        let interface = table
            .interface(index)
            .await
            .map_err(|e| LookupError::Io(e.to_string()))?
            .ok_or_else(|| LookupError::NotAvailable(format!("interface {index} is gone")))?;
        let gateway_v4 = default_v4
            .filter(|r| r.interface_index == index)
            .and_then(|r| match r.gateway {
                Some(IpAddr::V4(g)) => Some(g),
                _ => None,
            });
        let gateway_v6 = default_v6
            .filter(|r| r.interface_index == index)
            .and_then(|r| match r.gateway {
                Some(IpAddr::V6(g)) => Some(g),
                _ => None,
            });
        let ipv4 = match gateway_v4 {
            Some(g) => source_towards(IpAddr::V4(g)).and_then(|ip| match ip {
                IpAddr::V4(a) if !a.is_unspecified() => Some(a),
                _ => None,
            }),
            None => None,
        };
        let resolver = resolver_settings(&interface.name).await;
        Ok(LocalNetwork {
            interface: interface.name.clone(),
            index,
            ipv4,
            gateway_v4,
            mac: mac_address(&interface.name),
            ipv6_link_local: link_local(index),
            gateway_v6,
            search_domains: resolver.search,
            name_servers: resolver.servers,
        })
    }
}

/// The source address the OS picks towards `peer` (no packet is sent).
fn source_towards(peer: IpAddr) -> Option<IpAddr> {
    let any: SocketAddr = if peer.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let probe = std::net::UdpSocket::bind(any).ok()?;
    probe.connect((peer, 9)).ok()?;
    probe.local_addr().ok().map(|a| a.ip())
}

/// `aa:bb:cc:dd:ee:ff` from sysfs; `None` for links without one.
fn mac_address(interface: &str) -> Option<[u8; 6]> {
    let text = std::fs::read_to_string(Path::new("/sys/class/net").join(interface).join("address"))
        .ok()?;
    parse_mac(&text)
}

fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let octets: Vec<u8> = text
        .trim()
        .split(':')
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect::<Option<_>>()?;
    let mac = <[u8; 6]>::try_from(octets).ok()?;
    (mac != [0; 6]).then_some(mac)
}

/// The interface's link-local address from `/proc/net/if_inet6`.
fn link_local(index: u32) -> Option<Ipv6Addr> {
    let text = std::fs::read_to_string("/proc/net/if_inet6").ok()?;
    parse_if_inet6(&text, index)
}

/// Lines: address (32 hex digits), index, prefix length, scope, flags, name.
fn parse_if_inet6(text: &str, index: u32) -> Option<Ipv6Addr> {
    text.lines().find_map(|line| {
        let mut f = line.split_whitespace();
        let hex = f.next()?;
        let idx = u32::from_str_radix(f.next()?, 16).ok()?;
        let _prefix = f.next()?;
        let scope = u8::from_str_radix(f.next()?, 16).ok()?;
        if idx != index || scope != 0x20 || hex.len() != 32 {
            return None;
        }
        let bits = u128::from_str_radix(hex, 16).ok()?;
        Some(Ipv6Addr::from(bits))
    })
}

/// The resolver's domains and servers for `interface`.
async fn resolver_settings(interface: &str) -> ResolverSettings {
    let resolv_conf = Path::new("/etc/resolv.conf");
    match detect(DnsChoice::Auto, resolv_conf) {
        Ok(DnsBackend::Resolved) => {
            let run = |what: &'static str| {
                tokio::process::Command::new("resolvectl")
                    .args(["--no-pager", what, interface])
                    .output()
            };
            let (domains, servers) = tokio::join!(run("domain"), run("dns"));
            let text = |o: io::Result<std::process::Output>| {
                o.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .unwrap_or_default()
            };
            parse_resolvectl(&text(domains), &text(servers))
        }
        Ok(DnsBackend::ResolvConf(path)) => std::fs::read_to_string(path)
            .map(|t| parse_resolv_conf(&t))
            .unwrap_or_default(),
        Err(_) => std::fs::read_to_string(resolv_conf)
            .map(|t| parse_resolv_conf(&t))
            .unwrap_or_default(),
    }
}

/// A DHCP client socket and where its requests go.
#[derive(Debug)]
pub struct DhcpSocket {
    socket: UdpSocket,
    servers: SocketAddr,
    local_port: u16,
}

impl DatagramPort for DhcpSocket {
    async fn send(&self, datagram: &[u8]) -> io::Result<()> {
        self.socket
            .send_to(datagram, self.servers)
            .await
            .map(|_| ())
    }

    async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.recv_from(buf).await.map(|(n, _)| n)
    }

    fn local_port(&self) -> u16 {
        self.local_port
    }
}

/// DHCP client sockets on the interface of a [`LocalNetwork`].
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemDhcpPorts;

impl SystemDhcpPorts {
    /// The sockets.
    pub fn new() -> Self {
        Self
    }
}

fn udp_socket(domain: Domain, interface: &str) -> io::Result<Socket> {
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    // A DHCP client of the system may hold the port on the wildcard
    // address; our bind to the interface's own address is more specific.
    socket.set_reuse_address(true)?;
    // A socket's first bind to a device needs no CAP_NET_RAW (Linux 5.7+).
    socket.bind_device(Some(interface.as_bytes()))?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

fn into_tokio(socket: Socket) -> io::Result<(UdpSocket, u16)> {
    let socket = UdpSocket::from_std(socket.into())?;
    let port = socket.local_addr()?.port();
    Ok((socket, port))
}

impl DhcpPorts for SystemDhcpPorts {
    type Port = DhcpSocket;

    async fn open_v4(&self, network: &LocalNetwork) -> Result<DhcpSocket, LookupError> {
        let address = network.ipv4.ok_or_else(|| {
            LookupError::NotAvailable(format!("{} has no IPv4 address", network.interface))
        })?;
        let socket = udp_socket(Domain::IPV4, &network.interface)?;
        socket.set_broadcast(true)?;
        let client = SocketAddrV4::new(address, dhcp4::CLIENT_PORT);
        if let Err(e) = socket.bind(&SockAddr::from(client)) {
            // Without CAP_NET_BIND_SERVICE, or with the port taken: servers
            // that answer the source port (dnsmasq) still reach us.
            match e.kind() {
                io::ErrorKind::PermissionDenied | io::ErrorKind::AddrInUse => {
                    socket.bind(&SockAddr::from(SocketAddrV4::new(address, 0)))?;
                }
                _ => return Err(e.into()),
            }
        }
        let (socket, local_port) = into_tokio(socket)?;
        Ok(DhcpSocket {
            socket,
            servers: (Ipv4Addr::BROADCAST, dhcp4::SERVER_PORT).into(),
            local_port,
        })
    }

    async fn open_v6(&self, network: &LocalNetwork) -> Result<DhcpSocket, LookupError> {
        let address = network.ipv6_link_local.ok_or_else(|| {
            LookupError::NotAvailable(format!(
                "{} has no IPv6 link-local address",
                network.interface
            ))
        })?;
        let socket = udp_socket(Domain::IPV6, &network.interface)?;
        socket.set_multicast_if_v6(network.index)?;
        let client = SocketAddrV6::new(address, dhcp6::CLIENT_PORT, 0, network.index);
        socket.bind(&SockAddr::from(client)).map_err(|e| {
            LookupError::Io(format!(
                "cannot use the DHCPv6 client port 546 on {}: {e}",
                network.interface
            ))
        })?;
        let (socket, local_port) = into_tokio(socket)?;
        Ok(DhcpSocket {
            socket,
            servers: SocketAddrV6::new(
                dhcp6::ALL_DHCP_SERVERS,
                dhcp6::SERVER_PORT,
                0,
                network.index,
            )
            .into(),
            local_port,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn link_local_addresses_come_from_if_inet6() {
        let text = "20010db8000000000000000000000001 02 40 00 80     eth0\n\
                    fe800000000000000000000000000064 02 40 20 80     eth0\n\
                    fe800000000000000000000000000099 03 40 20 80     wlan0\n\
                    garbage line\n";
        assert_eq!(parse_if_inet6(text, 2), Some("fe80::64".parse().unwrap()));
        assert_eq!(parse_if_inet6(text, 3), Some("fe80::99".parse().unwrap()));
        assert_eq!(parse_if_inet6(text, 4), None);
        assert_eq!(parse_if_inet6("zz 1 2 3", 1), None);
    }

    #[test]
    fn macs_are_six_octets_and_not_zero() {
        assert_eq!(
            parse_mac("02:00:c0:00:02:64\n"),
            Some([2, 0, 0xc0, 0, 2, 0x64])
        );
        assert_eq!(parse_mac("00:00:00:00:00:00"), None);
        assert_eq!(parse_mac("02:00"), None);
        assert_eq!(parse_mac("zz:00:00:00:00:01"), None);
    }
}
