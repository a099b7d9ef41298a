//! The packet device (TUN): created through the `tun` crate, read and
//! written in batches of IP packets.
//!
//! - **Linux**: a `/dev/net/tun` device named `swtun0`, `swtun1`, ... (the
//!   kernel picks the first free number), MTU set and brought up at
//!   creation; addresses are added through rtnetlink, IPv6 ones with
//!   `nodad` (the `tun` crate cannot set IPv6 addresses: `EINVAL`).
//! - **Windows**: a Wintun adapter (through `wintun-bindings`; `wintun.dll`
//!   ships inside that crate and must sit beside the executable). Adding
//!   addresses returns [`DeviceError::Unsupported`] for now.
//! - **macOS**: a `utunN` device. Adding addresses returns
//!   [`DeviceError::Unsupported`] for now.
//!
//! The device must be created inside a tokio runtime.
//!
//! **What a read returns**: every packet the OS routes into the device,
//! including the kernel's own IPv6 control traffic (router solicitations,
//! MLD reports) sent once the device is up. Nothing is filtered here: the
//! caller drops what it does not tunnel.
//!
//! **Closing**: when a TUN device is deleted while open, Linux reports it to
//! pollers only as an error condition, which tokio's read readiness
//! ignores: a read blocked on it would wait forever. [`DeviceCloser::close`]
//! (which [`crate::TunnelConfigurator::undo`] calls first) makes pending
//! and later reads and writes fail with [`io::ErrorKind::NotConnected`]. A
//! device deleted by someone else (`ip link del`) is not noticed by a
//! pending read.
//!
//! **Batching** (Linux): the device is opened with `IFF_VNET_HDR` and, when
//! asked for, `TUNSETOFFLOAD` (checksum and TCP segmentation offload for
//! IPv4 and IPv6). The kernel then hands over a flow's TCP segments as one
//! super-packet of up to 64 KiB, which [`DeviceReader::read_packets`]
//! splits; [`DeviceWriter::write_batch`] merges consecutive segments back
//! (generic receive offload), so one system call and one pass of the
//! kernel's stack carry dozens of packets. The device still has one queue
//! (tun 0.8 refuses `IFF_MULTI_QUEUE`). On macOS and Windows each read and
//! write is one packet.
//!
//! **Unverified at run time**: the macOS and Windows paths are only
//! type-checked here.

use std::fmt;
use std::io;

use serde::{Deserialize, Serialize};
use tun::AbstractDevice;

mod halves;
use halves::Framing;
pub use halves::{DeviceCloser, DeviceReader, DeviceWriter, WriteBatch};

use crate::config::{ConfigError, IpPrefix, TunName};

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod os;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod os;
#[cfg(target_os = "windows")]
#[path = "windows.rs"]
mod os;

/// A network interface: its name and the OS's index for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Interface {
    /// The name, e.g. `swtun0`.
    pub name: String,
    /// The OS's interface index.
    pub index: u32,
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// The outcome of removing something that may already be gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// It was there and has been removed.
    Removed,
    /// It was already gone (nothing to do).
    AlreadyGone,
}

/// Why a packet-device operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The requested name or MTU is invalid.
    #[error("the packet device's settings are invalid: {0}")]
    Config(#[from] ConfigError),
    /// Called outside a tokio runtime.
    #[error("the packet device must be created inside a tokio runtime")]
    NoRuntime,
    /// The OS refused to create the device.
    #[error("could not create the packet device {name}: {source}")]
    Create {
        /// The name asked for.
        name: String,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// The device was created but could not be inspected or split.
    #[error("could not {what} of the packet device {name}: {source}")]
    Query {
        /// What was being done, e.g. "read the name".
        what: &'static str,
        /// The device's name as far as known.
        name: String,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// The OS's network configuration channel (netlink) could not be
    /// opened.
    #[error("could not open the network configuration channel: {0}")]
    Control(#[source] io::Error),
    /// Adding an address failed.
    #[error("could not add address {address} to {interface}: {source}")]
    AddAddress {
        /// The address.
        address: IpPrefix,
        /// The interface's name.
        interface: String,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// Removing an address failed.
    #[error("could not remove address {address} from {interface}: {source}")]
    RemoveAddress {
        /// The address.
        address: IpPrefix,
        /// The interface's name.
        interface: String,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// Removing the device failed.
    #[error("could not remove the packet device {interface}: {source}")]
    Remove {
        /// The interface's name.
        interface: String,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// Not implemented on this OS yet.
    #[error("{what} is not supported on {os} yet")]
    Unsupported {
        /// What was asked.
        what: &'static str,
        /// This OS.
        os: &'static str,
    },
}

fn tun_io(err: tun::Error) -> io::Error {
    match err {
        tun::Error::Io(err) => err,
        other => io::Error::other(other.to_string()),
    }
}

/// A packet device, up and with its MTU set, not yet split.
pub struct PacketDevice {
    inner: tun::AsyncDevice,
    interface: Interface,
    mtu: u16,
    closer: DeviceCloser,
    framing: Framing,
}

impl fmt::Debug for PacketDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketDevice")
            .field("interface", &self.interface)
            .field("mtu", &self.mtu)
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

impl PacketDevice {
    /// Creates the device, sets its MTU and brings it up. Must be called
    /// inside a tokio runtime. The device disappears when both halves of
    /// it (see [`PacketDevice::split`]) are dropped, or when the process
    /// ends. With `offload`, segmentation offloads are asked for where the
    /// OS has them (Linux); a refusal is not an error, the device then moves
    /// one packet at a time ([`PacketDevice::offload`] tells).
    pub fn create(name: &TunName, mtu: u16, offload: bool) -> Result<Self, DeviceError> {
        name.validate()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(DeviceError::NoRuntime);
        }
        let requested = os::requested_name(name);
        let mut config = tun::Configuration::default();
        if let Some(requested) = &requested {
            config.tun_name(requested);
        }
        config.mtu(mtu).up();
        os::configure(&mut config);
        // "swtun%d" reads as "swtunN" in messages.
        let shown = requested
            .as_deref()
            .map_or_else(|| "(system-named)".to_owned(), |n| n.replace("%d", "N"));
        let inner = tun::create_as_async(&config).map_err(|e| DeviceError::Create {
            name: shown.clone(),
            source: tun_io(e),
        })?;
        let name = inner.tun_name().map_err(|e| DeviceError::Query {
            what: "read the name",
            name: shown.clone(),
            source: tun_io(e),
        })?;
        let index = inner
            .tun_index()
            .map_err(tun_io)
            .and_then(|i| {
                u32::try_from(i).map_err(|_| io::Error::other(format!("negative index {i}")))
            })
            .map_err(|source| DeviceError::Query {
                what: "read the index",
                name: name.clone(),
                source,
            })?;
        let framing = os::framing(&inner, offload);
        Ok(Self {
            inner,
            interface: Interface { name, index },
            mtu,
            closer: DeviceCloser::default(),
            framing,
        })
    }

    /// The device's interface (name and index).
    pub fn interface(&self) -> &Interface {
        &self.interface
    }

    /// Whether the OS hands over and takes TCP super-packets (Linux TSO
    /// and checksum offload were accepted).
    pub fn offload(&self) -> bool {
        self.framing == Framing::Vnet { offload: true }
    }

    /// The MTU set at creation.
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    /// A handle that closes both halves of the device (see the module
    /// documentation).
    pub fn closer(&self) -> DeviceCloser {
        self.closer.clone()
    }

    /// Splits the device into a reader and a writer that can be used from
    /// different tasks.
    pub fn split(self) -> Result<(DeviceReader, DeviceWriter), DeviceError> {
        let interface = self.interface;
        let closer = self.closer;
        // tun 0.8 returns the writer first.
        let (writer, reader) = self.inner.split().map_err(|source| DeviceError::Query {
            what: "split",
            name: interface.name.clone(),
            source,
        })?;
        Ok((
            DeviceReader::new(reader, interface.clone(), closer.clone(), self.framing),
            DeviceWriter::new(writer, interface, closer, self.framing),
        ))
    }
}

/// Changes to interfaces beyond what creation does: addresses, removal.
#[derive(Debug)]
pub struct InterfaceControl {
    os: os::Control,
}

impl InterfaceControl {
    /// Opens the OS's configuration channel (netlink on Linux; needs a
    /// tokio runtime there).
    pub fn open() -> Result<Self, DeviceError> {
        Ok(Self {
            os: os::Control::open()?,
        })
    }

    /// Adds an address (host bits kept, e.g. `192.0.2.10/24`). On Linux
    /// IPv6 addresses are added with `nodad`, usable at once.
    pub async fn add_address(
        &self,
        interface: &Interface,
        address: IpPrefix,
    ) -> Result<(), DeviceError> {
        self.os.add_address(interface, address).await
    }

    /// Removes an address; one already gone (or whose interface is gone) is
    /// [`Removal::AlreadyGone`].
    pub async fn remove_address(
        &self,
        interface: &Interface,
        address: IpPrefix,
    ) -> Result<Removal, DeviceError> {
        self.os.remove_address(interface, address).await
    }

    /// Removes a packet device, but only if the index still names it; a
    /// device already gone is [`Removal::AlreadyGone`]. Anyone still
    /// reading or writing it gets errors afterwards.
    pub async fn remove_device(&self, interface: &Interface) -> Result<Removal, DeviceError> {
        self.os.remove_device(interface).await
    }
}
