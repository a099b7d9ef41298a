//! macOS: a `utunN` device through the tun crate. Addresses are not set
//! yet: [`DeviceError::Unsupported`].

use super::{DeviceError, Framing, Interface, Removal};
use crate::config::{IpPrefix, TunName};

const OS: &str = "macOS";

/// utun devices are always named `utunN`: a prefix lets the system pick.
pub(super) fn requested_name(name: &TunName) -> Option<String> {
    match name {
        TunName::Prefix(_) => None,
        TunName::Exact(name) => Some(name.clone()),
    }
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

    /// A utun device disappears when its file descriptor closes (with the
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
