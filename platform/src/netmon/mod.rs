//! Network-change notifications: the machine's addresses, routes or links
//! changed (a DHCP renumbering, a Wi-Fi roam, a cable pulled), so the
//! session re-pins the SC's host route and checks its own outer address
//! (MOBIKE).
//!
//! [`NetworkMonitor::changed`] waits for the next change and returns a
//! burst of them (what is already queued, plus whatever follows within
//! [`SETTLE`] of the first) as one [`NetworkChange`]. Changes that concern
//! only interfaces passed to [`NetworkMonitor::ignore_interface`] (the
//! tunnel's own packet device) are dropped; changes naming no interface
//! count. When the OS reports that notifications were lost (its queue
//! overflowed) every kind counts as changed.
//!
//! - **Linux**: an rtnetlink socket subscribed to the link, IPv4/IPv6
//!   address and IPv4/IPv6 route multicast groups, parsed with the
//!   `rtnetlink` crate's types. **Verified at run time** against the kernel
//!   in a network namespace (`platform/tests/netmon.rs`).
//! - **macOS**: a `PF_ROUTE` socket read through tokio's `AsyncFd`
//!   (`RTM_NEWADDR`, `RTM_DELADDR`, `RTM_ADD`, `RTM_DELETE`, `RTM_CHANGE`,
//!   `RTM_IFINFO`; neighbour-cache routes are skipped). **Only
//!   type-checked.**
//! - **Windows**: `NotifyUnicastIpAddressChange`, `NotifyRouteChange2` and
//!   `NotifyIpInterfaceChange` callbacks queueing events and waking a tokio
//!   `Notify`; cancelled with `CancelMibChangeNotify2` on drop. **Only
//!   type-checked.**

use std::io;
use std::time::Duration;

use tokio::time::Instant;

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod os;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod os;
#[cfg(target_os = "windows")]
#[path = "windows.rs"]
mod os;

/// How long after the first notification of a burst more are collected
/// into the same [`NetworkChange`]. The kernel sends a burst (an address
/// removed, its routes flushed) within microseconds.
pub const SETTLE: Duration = Duration::from_millis(10);

/// At most this many queued notifications are taken in one go (a flood
/// still returns once [`SETTLE`] has passed).
const DRAIN_LIMIT: usize = 1024;

/// Why monitoring failed.
#[derive(Debug, thiserror::Error)]
pub enum NetMonError {
    /// Called outside a tokio runtime.
    #[error("the network monitor must be started inside a tokio runtime")]
    NoRuntime,
    /// The OS refused the subscription.
    #[error("could not subscribe to network change notifications: {0}")]
    Subscribe(#[source] io::Error),
    /// Reading a notification failed.
    #[error("could not read network change notifications: {0}")]
    Read(#[source] io::Error),
    /// The notification channel closed; start a new monitor.
    #[error("the network change notifications stopped")]
    Closed,
}

/// What changed in a burst (at least one field is true).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetworkChange {
    /// An address was added, removed or changed.
    pub addresses: bool,
    /// A route was added, removed or changed.
    pub routes: bool,
    /// An interface appeared, vanished or changed state.
    pub links: bool,
}

impl NetworkChange {
    /// Whether anything changed.
    pub fn any(&self) -> bool {
        self.addresses || self.routes || self.links
    }

    fn everything() -> Self {
        Self {
            addresses: true,
            routes: true,
            links: true,
        }
    }
}

/// What one notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Address,
    Route,
    Link,
}

/// One notification, as the OS modules report it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    /// A change concerning these interfaces (none: not known, so it
    /// counts whatever is ignored).
    Change { kind: Kind, interfaces: Vec<u32> },
    /// Notifications were lost: anything may have changed.
    Lost,
}

impl Event {
    fn on(kind: Kind, interface: Option<u32>) -> Self {
        Self::Change {
            kind,
            interfaces: interface.into_iter().collect(),
        }
    }
}

/// Watches the OS for network changes. Dropping it unsubscribes.
#[derive(Debug)]
pub struct NetworkMonitor {
    os: os::Monitor,
    burst: Burst,
}

impl NetworkMonitor {
    /// Subscribes to the OS's notifications. Needs a tokio runtime.
    pub fn start() -> Result<Self, NetMonError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(NetMonError::NoRuntime);
        }
        Ok(Self {
            os: os::Monitor::start()?,
            burst: Burst::default(),
        })
    }

    /// Ignores changes that only concern this interface (the tunnel's own
    /// packet device).
    pub fn ignore_interface(&mut self, index: u32) {
        if !self.burst.ignored.contains(&index) {
            self.burst.ignored.push(index);
        }
    }

    /// Waits for the next change of addresses, routes or links on other
    /// interfaces; a burst is returned as one. Cancel-safe: a call dropped
    /// midway loses nothing (the next call returns it).
    pub async fn changed(&mut self) -> Result<NetworkChange, NetMonError> {
        loop {
            let Some(deadline) = self.burst.deadline else {
                let event = self.os.next().await?;
                self.burst.absorb(event, Instant::now());
                continue;
            };
            for _ in 0..DRAIN_LIMIT {
                match self.os.try_next()? {
                    Some(event) => self.burst.absorb(event, Instant::now()),
                    None => break,
                }
            }
            if Instant::now() >= deadline {
                return Ok(self.burst.finish());
            }
            match tokio::time::timeout_at(deadline, self.os.next()).await {
                Ok(event) => self.burst.absorb(event?, Instant::now()),
                Err(_elapsed) => return Ok(self.burst.finish()),
            }
        }
    }
}

/// Checked at compile time on every OS: the monitor, and the future of
/// [`NetworkMonitor::changed`], can move into a spawned task.
fn _monitor_is_send(monitor: &mut NetworkMonitor) {
    fn is_send<T: Send>(_: &T) {}
    is_send(monitor);
    is_send(&monitor.changed());
}

/// The burst being collected, kept in the monitor so that a cancelled
/// [`NetworkMonitor::changed`] loses nothing.
#[derive(Debug, Default)]
struct Burst {
    ignored: Vec<u32>,
    pending: NetworkChange,
    /// When the burst ends: [`SETTLE`] after its first relevant event.
    deadline: Option<Instant>,
}

impl Burst {
    fn absorb(&mut self, event: Event, now: Instant) {
        match event {
            Event::Lost => self.pending = NetworkChange::everything(),
            Event::Change { kind, interfaces } => {
                let relevant =
                    interfaces.is_empty() || interfaces.iter().any(|i| !self.ignored.contains(i));
                if !relevant {
                    return;
                }
                match kind {
                    Kind::Address => self.pending.addresses = true,
                    Kind::Route => self.pending.routes = true,
                    Kind::Link => self.pending.links = true,
                }
            }
        }
        if self.deadline.is_none() {
            self.deadline = Some(now + SETTLE);
        }
    }

    fn finish(&mut self) -> NetworkChange {
        self.deadline = None;
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: Kind, interfaces: &[u32]) -> Event {
        Event::Change {
            kind,
            interfaces: interfaces.to_vec(),
        }
    }

    #[test]
    fn a_burst_merges_kinds_and_skips_ignored_interfaces() {
        let start = Instant::now();
        let mut burst = Burst {
            ignored: vec![7],
            ..Burst::default()
        };
        burst.absorb(change(Kind::Address, &[7]), start);
        burst.absorb(change(Kind::Route, &[7]), start);
        assert_eq!(burst.deadline, None, "only ignored interfaces so far");
        assert!(!burst.pending.any());

        burst.absorb(change(Kind::Route, &[7, 2]), start);
        assert_eq!(burst.deadline, Some(start + SETTLE));
        let later = start + Duration::from_millis(5);
        burst.absorb(change(Kind::Link, &[]), later);
        burst.absorb(change(Kind::Link, &[7]), later);
        assert_eq!(burst.deadline, Some(start + SETTLE), "set by the first");
        assert_eq!(
            burst.finish(),
            NetworkChange {
                addresses: false,
                routes: true,
                links: true,
            }
        );
        assert_eq!(burst.deadline, None);
        assert!(!burst.pending.any());

        burst.absorb(change(Kind::Address, &[3]), later);
        burst.absorb(Event::Lost, later);
        assert_eq!(burst.finish(), NetworkChange::everything());
        assert_eq!(
            Event::on(Kind::Address, Some(4)),
            change(Kind::Address, &[4])
        );
        assert_eq!(Event::on(Kind::Link, None), change(Kind::Link, &[]));
    }
}
