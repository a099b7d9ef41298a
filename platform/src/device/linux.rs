//! Linux: `/dev/net/tun` through the tun crate, addresses through netlink.

use super::{DeviceError, Interface, Removal};
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
