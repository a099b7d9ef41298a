//! Windows: a Wintun adapter through the tun crate (`wintun-bindings`).
//! Addresses are not set yet: [`DeviceError::Unsupported`].

use super::{DeviceError, Framing, Interface, Removal};
use crate::config::{IpPrefix, TunName};

const OS: &str = "Windows";

/// The Wintun adapter's name.
pub(super) fn requested_name(name: &TunName) -> Option<String> {
    Some(match name {
        TunName::Prefix(prefix) | TunName::Exact(prefix) => prefix.clone(),
    })
}

#[derive(Debug)]
pub(super) struct Control;

impl Control {
    pub(super) fn open() -> Result<Self, DeviceError> {
        Ok(Self)
    }

    pub(super) async fn add_address(
        &self,
        _interface: &Interface,
        _address: IpPrefix,
    ) -> Result<(), DeviceError> {
        Err(DeviceError::Unsupported {
            what: "adding an address to the packet device",
            os: OS,
        })
    }

    pub(super) async fn remove_address(
        &self,
        _interface: &Interface,
        _address: IpPrefix,
    ) -> Result<Removal, DeviceError> {
        Err(DeviceError::Unsupported {
            what: "removing an address from the packet device",
            os: OS,
        })
    }

    /// The adapter is removed when its session handle closes (with the
    /// process at the latest), so there is nothing left to remove.
    pub(super) async fn remove_device(
        &self,
        _interface: &Interface,
    ) -> Result<Removal, DeviceError> {
        Ok(Removal::AlreadyGone)
    }
}

/// Nothing to set: packets are bare on this OS.
pub(super) fn configure(_config: &mut tun::Configuration) {}

/// No offloads here: one packet per read and write.
pub(super) fn framing(_device: &tun::AsyncDevice, _offload: bool) -> Framing {
    Framing::Plain
}
