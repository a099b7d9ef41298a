//! The tunnel's OS side through `softwire-platform`: the packet device,
//! inner addresses, MTU, routes and DNS, journalled so that a crash is
//! undone at the next start.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use softwire_core::esp::inner_mtu;
use softwire_core::ike::initiator::Established;
use softwire_core::ike::payload::AddressRange;
use softwire_core::profile::{Profile, TunnelMode};
use softwire_platform::{
    recover as platform_recover, ConfiguratorOptions, DeviceReader, DeviceWriter, IpPrefix,
    NetworkConfig, RouteMode, TunnelConfigurator,
};

use softwire_platform::device::WriteBatch;
use softwire_platform::offload::Packets;

use crate::datapath::{PacketRead, PacketWrite};
use crate::SessionError;

/// The path MTU assumed towards the SC when nothing better is known.
const DEFAULT_PATH_MTU: usize = 1500;

fn state_file(state_dir: &Path) -> PathBuf {
    state_dir.join("tunnel-state.json")
}

/// Undoes what a crashed run left behind (device, routes, resolver).
pub async fn recover(state_dir: &Path) {
    // Nothing recorded is the normal case; a failed recovery will show
    // up again as StateExists when applying, with the reason.
    let _ = recover_leftovers(state_dir).await;
}

/// Undoes what a crashed run left in `state_dir` and says what it did:
/// the changes reverted (empty when nothing was left).
pub async fn recover_leftovers(state_dir: &Path) -> Result<Vec<String>, SessionError> {
    let report = platform_recover(&state_file(state_dir))
        .await
        .map_err(|e| SessionError::Platform(e.to_string()))?;
    Ok(report
        .undone
        .into_iter()
        .chain(
            report
                .left_alone
                .into_iter()
                .map(|c| format!("{c} (left alone: changed by someone else)")),
        )
        .collect())
}

/// The configured tunnel: its device and the undo record.
pub struct Device {
    configurator: TunnelConfigurator,
    device: softwire_platform::PacketDevice,
}

/// Undoes the configuration.
#[derive(Debug)]
pub struct Handle {
    configurator: TunnelConfigurator,
}

impl Handle {
    /// The tunnel device's interface index.
    pub fn interface_index(&self) -> u32 {
        self.configurator.interface().index
    }

    /// After a network change: moves the SC's host route to where the OS
    /// now reaches `peer` outside the tunnel.
    pub async fn refresh_outer_route(
        &mut self,
        peer: std::net::IpAddr,
    ) -> Result<softwire_platform::OuterRoute, SessionError> {
        self.configurator
            .refresh_outer_route(peer)
            .await
            .map_err(|e| SessionError::Platform(e.to_string()))
    }

    /// Removes routes, DNS, addresses and the device, in reverse order.
    pub async fn undo(mut self) -> Result<(), SessionError> {
        self.configurator
            .undo()
            .await
            .map(|_| ())
            .map_err(|e| SessionError::Platform(e.to_string()))
    }
}

impl Device {
    /// The reader, the writer and the undo handle.
    pub fn split(self) -> (TunReader, TunWriter, Handle) {
        let handle = Handle {
            configurator: self.configurator,
        };
        match self.device.split() {
            Ok((reader, writer)) => (TunReader(Some(reader)), TunWriter(Some(writer)), handle),
            Err(_) => (TunReader(None), TunWriter(None), handle),
        }
    }
}

/// The device's read half (absent if splitting failed: reads then fail).
#[derive(Debug)]
pub struct TunReader(Option<DeviceReader>);
/// The device's write half.
#[derive(Debug)]
pub struct TunWriter(Option<DeviceWriter>);

impl From<DeviceReader> for TunReader {
    fn from(r: DeviceReader) -> Self {
        Self(Some(r))
    }
}

impl From<DeviceWriter> for TunWriter {
    fn from(w: DeviceWriter) -> Self {
        Self(Some(w))
    }
}

impl PacketRead for TunReader {
    async fn read_packets(&mut self, out: &mut Packets) -> io::Result<usize> {
        match &mut self.0 {
            Some(r) => r.read_packets(out).await,
            None => Err(not_split()),
        }
    }
}

impl PacketWrite for TunWriter {
    fn batch(&self) -> WriteBatch {
        match &self.0 {
            Some(w) => w.batch(),
            None => WriteBatch::plain(),
        }
    }

    async fn write_batch(&mut self, batch: &mut WriteBatch) -> io::Result<()> {
        match &mut self.0 {
            Some(w) => w.write_batch(batch).await,
            None => Err(not_split()),
        }
    }
}

fn not_split() -> io::Error {
    io::Error::other("the tunnel device could not be split")
}

/// Creates the device and applies addresses, MTU, routes and DNS.
pub async fn bring_up(
    profile: &Profile,
    established: &Established,
    sc: SocketAddr,
    state_dir: &Path,
) -> Result<Device, SessionError> {
    let child = &established.child;
    let mtu = match profile.tunnel.mtu {
        Some(m) => m,
        None => {
            let derived = inner_mtu(DEFAULT_PATH_MTU, &child.suite, sc.is_ipv6(), true);
            u16::try_from(derived).unwrap_or(1280)
        }
    };
    let routes = match profile.tunnel.mode {
        TunnelMode::Full => RouteMode::Full,
        // Only what the SC agreed to protect (the narrowed TSr).
        TunnelMode::Split => {
            RouteMode::Split(child.remote_ts.iter().flat_map(range_prefixes).collect())
        }
    };
    let mut config = NetworkConfig::full_tunnel(mtu);
    config.ipv4 = established.config.ipv4.map(|a| IpPrefix::host(a.into()));
    config.ipv6 = established
        .config
        .ipv6
        .map(|(a, _)| IpPrefix::host(a.into()));
    if profile.tunnel.use_sc_dns {
        config.dns_servers = established.config.dns.clone();
        config.search_domains = established.config.dns_domains.clone();
    }
    config.routes = routes;
    config.outer_peer = Some(sc.ip());
    let options = ConfiguratorOptions::new(state_file(state_dir));
    let (configurator, device) = TunnelConfigurator::apply(&config, &options)
        .await
        .map_err(|e| SessionError::Platform(e.to_string()))?;
    Ok(Device {
        configurator,
        device,
    })
}

/// The smallest set of prefixes covering an address range (RFC 4632 §3.1
/// style aggregation), for routes from traffic selectors.
pub fn range_prefixes(range: &AddressRange) -> Vec<IpPrefix> {
    use std::net::IpAddr;
    let (start, end, bits) = match (range.start, range.end) {
        (IpAddr::V4(s), IpAddr::V4(e)) => {
            (u128::from(u32::from(s)), u128::from(u32::from(e)), 32u32)
        }
        (IpAddr::V6(s), IpAddr::V6(e)) => (u128::from(s), u128::from(e), 128u32),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut cursor = start;
    while cursor <= end && out.len() <= 256 {
        // The largest block aligned at `cursor` that ends within `end`.
        let mut size_bits = if cursor == 0 {
            bits
        } else {
            cursor.trailing_zeros().min(bits)
        };
        let last_of = |size_bits: u32| match 1u128.checked_shl(size_bits) {
            Some(block) => cursor.checked_add(block - 1),
            None => Some(u128::MAX),
        };
        while size_bits > 0 && last_of(size_bits).is_none_or(|last| last > end) {
            size_bits -= 1;
        }
        let len = u8::try_from(bits - size_bits).unwrap_or(0);
        let address = if bits == 32 {
            IpAddr::V4(u32::try_from(cursor).unwrap_or(0).into())
        } else {
            IpAddr::V6(cursor.into())
        };
        if let Ok(p) = IpPrefix::new(address, len) {
            out.push(p);
        }
        match last_of(size_bits).and_then(|last| last.checked_add(1)) {
            Some(next) => cursor = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn text(range: AddressRange) -> Vec<String> {
        range_prefixes(&range)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn ranges_become_prefixes() {
        let r = |a: &str, b: &str| AddressRange::any(a.parse().unwrap(), b.parse().unwrap());
        assert_eq!(text(r("203.0.113.0", "203.0.113.127")), ["203.0.113.0/25"]);
        assert_eq!(
            text(r("203.0.113.129", "203.0.113.129")),
            ["203.0.113.129/32"]
        );
        assert_eq!(text(r("0.0.0.0", "255.255.255.255")), ["0.0.0.0/0"]);
        assert_eq!(
            text(r("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
            ["::/0"]
        );
        assert_eq!(
            text(r("2001:db8:5173::", "2001:db8:5173:0:ffff:ffff:ffff:ffff")),
            ["2001:db8:5173::/64"]
        );
        assert_eq!(
            text(r("203.0.113.1", "203.0.113.6")),
            [
                "203.0.113.1/32",
                "203.0.113.2/31",
                "203.0.113.4/31",
                "203.0.113.6/32"
            ]
        );
    }
}
