//! Linux: an rtnetlink socket subscribed to the link, address and route
//! multicast groups of both families.

use futures_util::stream::{BoxStream, StreamExt};
use futures_util::FutureExt;
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload};
use rtnetlink::packet_route::route::{RouteAttribute, RouteFlags, RouteMessage};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::MulticastGroup;

use super::{Event, Kind, NetMonError};

/// The groups `ip monitor link address route` listens to.
const GROUPS: [MulticastGroup; 5] = [
    MulticastGroup::Link,
    MulticastGroup::Ipv4Ifaddr,
    MulticastGroup::Ipv6Ifaddr,
    MulticastGroup::Ipv4Route,
    MulticastGroup::Ipv6Route,
];

pub(super) struct Monitor {
    /// The notifications, each already turned into an event (or `None`
    /// for one that is not about a change).
    events: BoxStream<'static, Option<Event>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Monitor(rtnetlink)")
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Monitor {
    /// Called inside a tokio runtime (checked by the facade).
    pub(super) fn start() -> Result<Self, NetMonError> {
        let (connection, _handle, messages) =
            rtnetlink::new_multicast_connection(&GROUPS).map_err(NetMonError::Subscribe)?;
        // The connection runs until its message receiver is dropped (it
        // needs no request handle for that).
        let task = tokio::spawn(connection);
        let events = messages.map(|(message, _from)| event(message)).boxed();
        Ok(Self { events, task })
    }

    /// The next event; cancel-safe.
    pub(super) async fn next(&mut self) -> Result<Event, NetMonError> {
        loop {
            match self.events.next().await {
                Some(Some(event)) => return Ok(event),
                Some(None) => {}
                None => return Err(NetMonError::Closed),
            }
        }
    }

    /// An event already received, if any.
    pub(super) fn try_next(&mut self) -> Result<Option<Event>, NetMonError> {
        loop {
            match self.events.next().now_or_never() {
                None => return Ok(None),
                Some(Some(Some(event))) => return Ok(Some(event)),
                Some(Some(None)) => {}
                Some(None) => return Err(NetMonError::Closed),
            }
        }
    }
}

/// What a notification is about; `None` when it is not about a change.
fn event(message: NetlinkMessage<RouteNetlinkMessage>) -> Option<Event> {
    let inner = match message.payload {
        NetlinkPayload::InnerMessage(inner) => inner,
        // The socket's buffer overflowed (ENOBUFS): notifications lost.
        NetlinkPayload::Overrun(_) => return Some(Event::Lost),
        _ => return None,
    };
    match inner {
        RouteNetlinkMessage::NewAddress(m) | RouteNetlinkMessage::DelAddress(m) => {
            Some(Event::on(Kind::Address, Some(m.header.index)))
        }
        RouteNetlinkMessage::NewLink(m) | RouteNetlinkMessage::DelLink(m) => {
            Some(Event::on(Kind::Link, Some(m.header.index)))
        }
        RouteNetlinkMessage::NewRoute(m) | RouteNetlinkMessage::DelRoute(m) => route_event(&m),
        _ => None,
    }
}

fn route_event(message: &RouteMessage) -> Option<Event> {
    // Cache entries (IPv6 exceptions such as a learnt path MTU) are not
    // routes anyone configured.
    if message.header.flags.contains(RouteFlags::Cloned) {
        return None;
    }
    let mut interfaces = Vec::new();
    for attribute in &message.attributes {
        match attribute {
            RouteAttribute::Oif(index) => interfaces.push(*index),
            RouteAttribute::MultiPath(hops) => {
                interfaces.extend(hops.iter().map(|hop| hop.interface_index));
            }
            _ => {}
        }
    }
    Some(Event::Change {
        kind: Kind::Route,
        interfaces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtnetlink::packet_route::address::AddressMessage;
    use rtnetlink::packet_route::link::LinkMessage;

    #[test]
    fn notifications_become_events() {
        let mut address = AddressMessage::default();
        address.header.index = 3;
        let message = NetlinkMessage::from(RouteNetlinkMessage::DelAddress(address));
        assert_eq!(event(message), Some(Event::on(Kind::Address, Some(3))));

        let mut link = LinkMessage::default();
        link.header.index = 4;
        let message = NetlinkMessage::from(RouteNetlinkMessage::NewLink(link));
        assert_eq!(event(message), Some(Event::on(Kind::Link, Some(4))));

        let mut route = RouteMessage::default();
        route.attributes.push(RouteAttribute::Oif(5));
        let message = NetlinkMessage::from(RouteNetlinkMessage::NewRoute(route.clone()));
        assert_eq!(event(message), Some(Event::on(Kind::Route, Some(5))));

        route.header.flags.insert(RouteFlags::Cloned);
        let message = NetlinkMessage::from(RouteNetlinkMessage::NewRoute(route));
        assert_eq!(event(message), None);

        let message = NetlinkMessage::<RouteNetlinkMessage>::new(
            Default::default(),
            NetlinkPayload::Overrun(Vec::new()),
        );
        assert_eq!(event(message), Some(Event::Lost));
    }
}
