//! Following the network, our half of MOBIKE: the platform's monitor says
//! when addresses, routes or links change; then the SC's host route is
//! pinned again around the tunnel (a renumbering flushes it, and without it
//! the SC's packets would loop into the tunnel) and the source address the
//! OS now uses towards the SC is looked up. The data path moves its socket
//! there and the engine tells the SC (UPDATE_SA_ADDRESSES), or, without
//! MOBIKE at the SC, the session connects again at once.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};

use softwire_platform::netmon::NetworkMonitor;
use softwire_platform::OuterRoute;
use tokio::net::UdpSocket;

use crate::tunnel::Handle;

/// What a look at the network found, for the path to the SC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathCheck {
    /// Nothing that concerns us changed.
    Same,
    /// The OS now reaches the SC from another local address.
    NewAddress(IpAddr),
    /// Same local address, but through another gateway or interface (a
    /// new network that hands out the same private address): the NAT in
    /// front of us, and so our public address, has probably changed.
    NewRoute,
    /// The SC cannot be reached now (no address, no route): wait.
    NoPath,
    /// The route could not be fixed or looked up.
    Failed(String),
}

/// What the data path needs to follow the network.
pub trait Roam {
    /// Resolves when the network changed; cancel-safe (used in `select!`).
    fn changed(&mut self) -> impl Future<Output = ()> + Send;
    /// After a change: pins the SC's host route where it now belongs and
    /// says how the path to `sc` from `local` changed.
    fn check(&mut self, sc: IpAddr, local: IpAddr) -> impl Future<Output = PathCheck> + Send;
}

/// [`Roam`] through the platform's monitor and the tunnel's configurator.
pub struct Roamer<'a> {
    monitor: Option<NetworkMonitor>,
    handle: &'a mut Handle,
    /// Why the monitor is not running, if it is not.
    pub monitor_error: Option<String>,
}

impl std::fmt::Debug for Roamer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roamer")
            .field("monitoring", &self.monitor.is_some())
            .field("monitor_error", &self.monitor_error)
            .finish_non_exhaustive()
    }
}

impl<'a> Roamer<'a> {
    /// Starts the network monitor (changes of our own tunnel device are
    /// ignored). Without one (an OS without support, or an error) roaming
    /// is noticed only by liveness checks, as before MOBIKE.
    pub fn new(handle: &'a mut Handle) -> Self {
        let (monitor, monitor_error) = match NetworkMonitor::start() {
            Ok(mut m) => {
                m.ignore_interface(handle.interface_index());
                (Some(m), None)
            }
            Err(e) => (None, Some(e.to_string())),
        };
        Self {
            monitor,
            handle,
            monitor_error,
        }
    }
}

impl Roam for Roamer<'_> {
    async fn changed(&mut self) {
        let Some(monitor) = self.monitor.as_mut() else {
            return std::future::pending().await;
        };
        if let Err(e) = monitor.changed().await {
            // The monitor broke: say why once, and stop listening.
            self.monitor_error = Some(e.to_string());
            self.monitor = None;
        }
    }

    async fn check(&mut self, sc: IpAddr, local: IpAddr) -> PathCheck {
        let route = match self.handle.refresh_outer_route(sc).await {
            Ok(route) => route,
            Err(e) => return PathCheck::Failed(e.to_string()),
        };
        if matches!(route, OuterRoute::NoPath) {
            return PathCheck::NoPath;
        }
        match source_towards(sc).await {
            Ok(now) if now != local => PathCheck::NewAddress(now),
            Ok(_) if matches!(route, OuterRoute::Moved(_)) => PathCheck::NewRoute,
            Ok(_) => PathCheck::Same,
            Err(e) if is_unreachable(&e) => PathCheck::NoPath,
            Err(e) => PathCheck::Failed(e.to_string()),
        }
    }
}

/// The source address the OS picks for datagrams to `destination` now
/// (a connected UDP socket sends nothing).
pub async fn source_towards(destination: IpAddr) -> io::Result<IpAddr> {
    let any: SocketAddr = if destination.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let probe = UdpSocket::bind(any).await?;
    probe.connect(SocketAddr::new(destination, 9)).await?;
    Ok(probe.local_addr()?.ip())
}

fn is_unreachable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable
    )
}
