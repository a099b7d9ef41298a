//! The Linux rtnetlink calls shared by the device and route facades: one
//! connection, spawned on the current tokio runtime, and errors turned into
//! `io::Error`s carrying the kernel's errno.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use futures_util::stream::TryStreamExt;
use rtnetlink::packet_route::address::{AddressHeaderFlags, AddressMessage};
use rtnetlink::packet_route::link::LinkAttribute;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteProtocol, RouteScope,
    RouteType,
};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::{AddressMessageBuilder, Handle, RouteMessageBuilder};

use crate::config::IpPrefix;
use crate::device::Interface;
use crate::routes::{Family, TableRoute};

/// errno values that mean "what you wanted removed is not there": no such
/// route (`ESRCH`), interface (`ENODEV`), entry (`ENOENT`) or address
/// (`EADDRNOTAVAIL`).
const GONE: [i32; 4] = [libc::ESRCH, libc::ENODEV, libc::ENOENT, libc::EADDRNOTAVAIL];

/// Whether an error from a removal means the object was already gone.
pub(crate) fn is_gone(err: &io::Error) -> bool {
    err.raw_os_error().is_some_and(|code| GONE.contains(&code))
}

/// Whether an error from an addition means the object already existed.
pub(crate) fn is_exists(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::EEXIST)
}

fn to_io(err: rtnetlink::Error) -> io::Error {
    match err {
        rtnetlink::Error::NetlinkError(msg) => msg.to_io(),
        other => io::Error::other(other.to_string()),
    }
}

fn invalid(err: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, err.to_string())
}

/// What the kernel would do with a packet to one destination now
/// (`ip route get`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Sent out of `interface_index`, through `gateway` when there is one.
    Unicast {
        gateway: Option<IpAddr>,
        interface_index: u32,
    },
    /// Delivered locally: the destination is one of this machine's own.
    Local,
}

/// A netlink connection. Dropping it stops the connection task.
#[derive(Debug)]
pub(crate) struct Netlink {
    handle: Handle,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Netlink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Netlink {
    /// Opens a connection; needs a tokio runtime (with I/O enabled).
    pub(crate) fn open() -> io::Result<Self> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            io::Error::other("netlink needs a tokio runtime, and none is running here")
        })?;
        let (connection, handle, _messages) = rtnetlink::new_connection()?;
        let task = runtime.spawn(connection);
        Ok(Self { handle, task })
    }

    /// The name of the interface with this index, if there is one.
    pub(crate) async fn link_name(&self, index: u32) -> io::Result<Option<String>> {
        let mut links = self.handle.link().get().match_index(index).execute();
        match links.try_next().await {
            Ok(Some(link)) => Ok(link.attributes.into_iter().find_map(|a| match a {
                LinkAttribute::IfName(name) => Some(name),
                _ => None,
            })),
            Ok(None) => Ok(None),
            Err(err) => {
                let err = to_io(err);
                if is_gone(&err) {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// Deletes an interface.
    pub(crate) async fn delete_link(&self, index: u32) -> io::Result<()> {
        self.handle.link().del(index).execute().await.map_err(to_io)
    }

    fn address_message(interface: &Interface, address: IpPrefix) -> AddressMessage {
        match address.addr() {
            IpAddr::V4(a) => AddressMessageBuilder::<Ipv4Addr>::new()
                .index(interface.index)
                .address(a, address.prefix_len())
                .build(),
            IpAddr::V6(a) => {
                let mut message = AddressMessageBuilder::<Ipv6Addr>::new()
                    .index(interface.index)
                    .address(a, address.prefix_len())
                    .build();
                // No duplicate address detection: the address is the SC's
                // to hand out, and DAD would hold it "tentative" (unusable)
                // for about a second.
                message.header.flags.insert(AddressHeaderFlags::Nodad);
                message
            }
        }
    }

    /// Adds an address (IPv6 ones without DAD).
    pub(crate) async fn add_address(
        &self,
        interface: &Interface,
        address: IpPrefix,
    ) -> io::Result<()> {
        let mut request =
            self.handle
                .address()
                .add(interface.index, address.addr(), address.prefix_len());
        *request.message_mut() = Self::address_message(interface, address);
        request.execute().await.map_err(to_io)
    }

    /// Removes an address.
    pub(crate) async fn delete_address(
        &self,
        interface: &Interface,
        address: IpPrefix,
    ) -> io::Result<()> {
        let message = Self::address_message(interface, address);
        self.handle
            .address()
            .del(message)
            .execute()
            .await
            .map_err(to_io)
    }

    fn route_message(
        prefix: IpPrefix,
        gateway: Option<IpAddr>,
        interface_index: u32,
    ) -> io::Result<RouteMessage> {
        let network = prefix.network();
        let mut builder = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(network.addr(), network.prefix_len())
            .map_err(invalid)?
            .output_interface(interface_index)
            .protocol(RouteProtocol::Static);
        if let Some(gateway) = gateway {
            builder = builder.gateway(gateway).map_err(invalid)?;
        } else if prefix.is_ipv4() {
            // As `ip route add PREFIX dev DEV` does.
            builder = builder.scope(RouteScope::Link);
        }
        Ok(builder.build())
    }

    /// Adds a route in the main table.
    pub(crate) async fn add_route(
        &self,
        prefix: IpPrefix,
        gateway: Option<IpAddr>,
        interface_index: u32,
    ) -> io::Result<()> {
        let message = Self::route_message(prefix, gateway, interface_index)?;
        self.handle
            .route()
            .add(message)
            .execute()
            .await
            .map_err(to_io)
    }

    /// Deletes a route from the main table, matching destination,
    /// interface, gateway and protocol (any scope).
    pub(crate) async fn delete_route(
        &self,
        prefix: IpPrefix,
        gateway: Option<IpAddr>,
        interface_index: u32,
    ) -> io::Result<()> {
        let mut message = Self::route_message(prefix, gateway, interface_index)?;
        message.header.scope = RouteScope::NoWhere;
        self.handle
            .route()
            .del(message)
            .execute()
            .await
            .map_err(to_io)
    }

    /// `ip route get DESTINATION`.
    pub(crate) async fn route_get(&self, destination: IpAddr) -> io::Result<Lookup> {
        let mut message = RouteMessage::default();
        message.header.address_family = if destination.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        message.header.destination_prefix_length = IpPrefix::host(destination).prefix_len();
        message.header.table = RouteHeader::RT_TABLE_UNSPEC;
        message
            .attributes
            .push(RouteAttribute::Destination(RouteAddress::from(destination)));
        let mut answers = self.handle.route().get(message).execute();
        let answer = answers
            .try_next()
            .await
            .map_err(to_io)?
            .ok_or_else(|| io::Error::other("the kernel gave no answer"))?;
        match answer.header.kind {
            RouteType::Local => return Ok(Lookup::Local),
            RouteType::Unicast => {}
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::HostUnreachable,
                    format!("the route is of type {other:?}"),
                ))
            }
        }
        let mut gateway = None;
        let mut interface_index = None;
        for attribute in answer.attributes {
            match attribute {
                RouteAttribute::Gateway(RouteAddress::Inet(a)) => gateway = Some(IpAddr::V4(a)),
                RouteAttribute::Gateway(RouteAddress::Inet6(a)) => gateway = Some(IpAddr::V6(a)),
                RouteAttribute::Oif(index) => interface_index = Some(index),
                _ => {}
            }
        }
        let interface_index = interface_index
            .ok_or_else(|| io::Error::other("the kernel's answer names no interface"))?;
        Ok(Lookup::Unicast {
            gateway,
            interface_index,
        })
    }

    /// The main table's unicast routes of one family (`ip route show`),
    /// without dead or link-down ones and without those that cannot be
    /// followed as they are (no interface, or a next hop of the other
    /// family). Of a multipath route only the first hop is kept.
    pub(crate) async fn main_routes(&self, family: Family) -> io::Result<Vec<TableRoute>> {
        let mut request = RouteMessage::default();
        request.header.address_family = match family {
            Family::V4 => AddressFamily::Inet,
            Family::V6 => AddressFamily::Inet6,
        };
        // Without strict checking the kernel dumps every table whatever
        // the request says; the table is checked on each answer instead.
        let mut answers = self.handle.route().get(request).execute();
        let mut routes = Vec::new();
        while let Some(answer) = answers.try_next().await.map_err(to_io)? {
            if let Some(route) = table_route(answer, family) {
                routes.push(route);
            }
        }
        Ok(routes)
    }
}

fn route_address(address: &RouteAddress) -> Option<IpAddr> {
    match address {
        RouteAddress::Inet(a) => Some(IpAddr::V4(*a)),
        RouteAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

/// One dumped route as a [`TableRoute`], if it is a usable unicast route
/// of the main table.
fn table_route(message: RouteMessage, family: Family) -> Option<TableRoute> {
    let header = &message.header;
    let unusable = RouteFlags::Dead | RouteFlags::Linkdown | RouteFlags::Cloned;
    if header.kind != RouteType::Unicast || header.flags.intersects(unusable) {
        return None;
    }
    let mut table = u32::from(header.table);
    let mut destination = None;
    let mut gateway = None;
    let mut interface_index = None;
    let mut metric = 0;
    for attribute in &message.attributes {
        match attribute {
            RouteAttribute::Table(id) => table = *id,
            RouteAttribute::Destination(a) => destination = Some(route_address(a)?),
            RouteAttribute::Gateway(a) => gateway = Some(route_address(a)?),
            // A next hop of the other family (RTA_VIA).
            RouteAttribute::Via(_) => return None,
            RouteAttribute::Oif(index) => interface_index = Some(*index),
            RouteAttribute::Priority(p) => metric = *p,
            RouteAttribute::MultiPath(hops) => {
                let hop = hops.first()?;
                interface_index = Some(hop.interface_index);
                for attribute in &hop.attributes {
                    match attribute {
                        RouteAttribute::Gateway(a) => gateway = Some(route_address(a)?),
                        RouteAttribute::Via(_) => return None,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if table != u32::from(RouteHeader::RT_TABLE_MAIN) {
        return None;
    }
    let destination = destination.unwrap_or(match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    });
    if Family::of(destination) != family || gateway.is_some_and(|g| Family::of(g) != family) {
        return None;
    }
    Some(TableRoute {
        destination: IpPrefix::new(destination, header.destination_prefix_length).ok()?,
        gateway,
        interface_index: interface_index?,
        metric,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtnetlink::packet_route::route::RouteNextHop;

    fn unicast(table: u8, attributes: Vec<RouteAttribute>) -> RouteMessage {
        let mut message = RouteMessage::default();
        message.header.address_family = AddressFamily::Inet;
        message.header.kind = RouteType::Unicast;
        message.header.table = table;
        message.attributes = attributes;
        message
    }

    fn v4(s: &str) -> RouteAddress {
        RouteAddress::Inet(s.parse().unwrap())
    }

    #[test]
    fn dumped_routes_keep_only_usable_main_table_unicast_routes() {
        let main = RouteHeader::RT_TABLE_MAIN;
        let default = unicast(
            main,
            vec![
                RouteAttribute::Gateway(v4("198.51.100.1")),
                RouteAttribute::Oif(2),
                RouteAttribute::Priority(600),
            ],
        );
        assert_eq!(
            table_route(default.clone(), Family::V4),
            Some(TableRoute {
                destination: "0.0.0.0/0".parse().unwrap(),
                gateway: Some("198.51.100.1".parse().unwrap()),
                interface_index: 2,
                metric: 600,
            })
        );
        assert_eq!(table_route(default.clone(), Family::V6), None);

        let mut down = default.clone();
        down.header.flags.insert(RouteFlags::Linkdown);
        assert_eq!(table_route(down, Family::V4), None);

        let mut local = default.clone();
        local.header.kind = RouteType::Local;
        assert_eq!(table_route(local, Family::V4), None);

        // Another table, named by its attribute.
        let mut other = default;
        other.attributes.push(RouteAttribute::Table(100));
        assert_eq!(table_route(other, Family::V4), None);

        let mut hop = RouteNextHop::default();
        hop.interface_index = 3;
        hop.attributes
            .push(RouteAttribute::Gateway(v4("203.0.113.129")));
        let mut multipath = unicast(
            main,
            vec![
                RouteAttribute::Destination(v4("203.0.113.0")),
                RouteAttribute::MultiPath(vec![hop]),
            ],
        );
        multipath.header.destination_prefix_length = 24;
        assert_eq!(
            table_route(multipath, Family::V4),
            Some(TableRoute {
                destination: "203.0.113.0/24".parse().unwrap(),
                gateway: Some("203.0.113.129".parse().unwrap()),
                interface_index: 3,
                metric: 0,
            })
        );

        let no_interface = unicast(main, vec![RouteAttribute::Gateway(v4("198.51.100.1"))]);
        assert_eq!(table_route(no_interface, Family::V4), None);
    }
}
