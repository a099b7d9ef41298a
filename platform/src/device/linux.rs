//! Linux: `/dev/net/tun` through the tun crate, addresses through netlink.

use std::io;
use std::os::fd::AsRawFd;

use super::{DeviceError, Framing, Interface, Removal};
use crate::config::{IpPrefix, TunName};
use crate::netlink::{is_gone, Netlink};

/// The name handed to `TUNSETIFF`: a trailing `%d` makes the kernel pick
/// the first free number.
pub(super) fn requested_name(name: &TunName) -> Option<String> {
    Some(match name {
        TunName::Prefix(prefix) => format!("{prefix}%d"),
        TunName::Exact(name) => name.clone(),
    })
}

#[derive(Debug)]
pub(super) struct Control {
    netlink: Netlink,
}

impl Control {
    pub(super) fn open() -> Result<Self, DeviceError> {
        Ok(Self {
            netlink: Netlink::open().map_err(DeviceError::Control)?,
        })
    }

    pub(super) async fn add_address(
        &self,
        interface: &Interface,
        address: IpPrefix,
    ) -> Result<(), DeviceError> {
        self.netlink
            .add_address(interface, address)
            .await
            .map_err(|source| DeviceError::AddAddress {
                address,
                interface: interface.name.clone(),
                source,
            })
    }

    pub(super) async fn remove_address(
        &self,
        interface: &Interface,
        address: IpPrefix,
    ) -> Result<Removal, DeviceError> {
        match self.netlink.delete_address(interface, address).await {
            Ok(()) => Ok(Removal::Removed),
            Err(err) if is_gone(&err) => Ok(Removal::AlreadyGone),
            Err(source) => Err(DeviceError::RemoveAddress {
                address,
                interface: interface.name.clone(),
                source,
            }),
        }
    }

    pub(super) async fn remove_device(
        &self,
        interface: &Interface,
    ) -> Result<Removal, DeviceError> {
        let failed = |source| DeviceError::Remove {
            interface: interface.name.clone(),
            source,
        };
        let current = self
            .netlink
            .link_name(interface.index)
            .await
            .map_err(failed)?;
        if current.as_deref() != Some(interface.name.as_str()) {
            // Gone, or the index now belongs to another interface.
            return Ok(Removal::AlreadyGone);
        }
        match self.netlink.delete_link(interface.index).await {
            Ok(()) => Ok(Removal::Removed),
            Err(err) if is_gone(&err) => Ok(Removal::AlreadyGone),
            Err(source) => Err(failed(source)),
        }
    }
}

/// Whether devices carry a `virtio_net_hdr`: on little-endian hosts, whose
/// native order the header uses by default (a big-endian host would need
/// `TUNSETVNETLE` first; it gets bare packets instead).
const VNET: bool = cfg!(target_endian = "little");

/// Every device is opened with `IFF_VNET_HDR`: reads and writes carry a
/// `virtio_net_hdr`, which is what lets the kernel pass super-packets.
pub(super) fn configure(config: &mut tun::Configuration) {
    config.platform_config(|c| {
        c.vnet_hdr(VNET);
    });
}

/// Turns on checksum and TCP segmentation offload when `offload` is asked
/// for; the header stays either way.
pub(super) fn framing(device: &tun::AsyncDevice, offload: bool) -> Framing {
    if !VNET {
        return Framing::Plain;
    }
    Framing::Vnet {
        offload: offload && set_offload(device, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6).is_ok(),
    }
}

/// `TUNSETOFFLOAD`, `_IOW('T', 208, unsigned int)` in `linux/if_tun.h`.
const TUNSETOFFLOAD: libc::c_ulong = 0x4004_54d0;
/// The kernel may hand over packets whose checksum we complete.
const TUN_F_CSUM: libc::c_uint = 0x01;
/// ... and IPv4 TCP super-packets we segment.
const TUN_F_TSO4: libc::c_uint = 0x02;
/// ... and IPv6 TCP super-packets.
const TUN_F_TSO6: libc::c_uint = 0x04;

fn set_offload(device: &tun::AsyncDevice, flags: libc::c_uint) -> io::Result<()> {
    // SAFETY: TUNSETOFFLOAD takes its argument by value (the flags), and
    // the descriptor is the device's own, open for the whole call.
    #[allow(clippy::useless_conversion)]
    let rc = unsafe {
        libc::ioctl(
            device.as_raw_fd(),
            TUNSETOFFLOAD
                .try_into()
                .map_err(|_| io::Error::other("ioctl"))?,
            libc::c_ulong::from(flags),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
