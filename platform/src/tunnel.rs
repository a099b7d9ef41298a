//! Bringing the tunnel's network configuration up and down as one unit,
//! with every change journalled (see [`crate::journal`]) before it is made.
//!
//! [`TunnelConfigurator::apply`] creates the packet device and adds, in
//! order: addresses, the host route keeping the SC's outer address outside
//! the tunnel, the tunnel's routes, DNS. If a step fails, what was done is
//! undone and the error returned. [`TunnelConfigurator::undo`] (or dropping
//! the configurator) undoes everything, last change first; [`recover`] does
//! the same from the state file a crashed run left. Undoing is idempotent:
//! a route, address or device already gone counts as undone.
//!
//! After a network change, [`TunnelConfigurator::refresh_outer_route`]
//! moves the SC's host route to wherever the OS now reaches the SC outside
//! the tunnel, keeping the journal in step.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::config::{ConfigError, IpPrefix, NetworkConfig};
use crate::device::{
    DeviceCloser, DeviceError, Interface, InterfaceControl, PacketDevice, Removal,
};
use crate::dns::{self, DnsBackend, DnsChoice, DnsError, ResolvConfEdit, Restore};
use crate::journal::{Change, Journal};
use crate::routes::outer::{self, Plan};
use crate::routes::{Family, PathToHost, Route, RouteError, RouteTable};

/// Where the state file lives unless the caller says otherwise.
pub const DEFAULT_STATE_FILE: &str = "/run/softwire/state.json";

/// Why configuring or unconfiguring the tunnel failed.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    /// The settings are invalid.
    #[error("the tunnel's network settings are invalid: {0}")]
    Config(#[from] ConfigError),
    /// A previous run's state file is still there.
    #[error(
        "the state file {path} exists: a previous run did not clean up; recover from it first"
    )]
    StateExists {
        /// The state file.
        path: PathBuf,
    },
    /// The state file could not be written or removed.
    #[error("could not write the state file {path}: {source}")]
    StateWrite {
        /// The state file.
        path: PathBuf,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// The state file could not be read.
    #[error("could not read the state file {path}: {source}")]
    StateRead {
        /// The state file.
        path: PathBuf,
        /// The OS's error.
        #[source]
        source: io::Error,
    },
    /// The state file is not one this build understands.
    #[error("the state file {path} cannot be used: {detail}")]
    StateCorrupt {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A packet-device step failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// A route step failed.
    #[error(transparent)]
    Route(#[from] RouteError),
    /// A DNS step failed.
    #[error(transparent)]
    Dns(#[from] DnsError),
    /// Some changes could not be undone; they stay in the state file for
    /// the next [`recover`].
    #[error("could not undo {count} change(s), kept in {path}: {details}")]
    Undo {
        /// The state file still listing them.
        path: PathBuf,
        /// How many.
        count: usize,
        /// What failed, one message per change.
        details: String,
    },
    /// The configuration was undone already; there is nothing to adjust.
    #[error("the tunnel's network configuration has been undone")]
    Undone,
    /// Applying failed, and so did undoing the part already applied.
    #[error("{error}; undoing the part already applied failed too: {undo}")]
    PartlyRolledBack {
        /// Why applying failed.
        error: Box<TunnelError>,
        /// Why undoing failed.
        undo: Box<TunnelError>,
    },
}

/// Where state lives and which DNS mechanism to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguratorOptions {
    /// The undo journal, e.g. [`DEFAULT_STATE_FILE`]. Its directory is
    /// created if missing.
    pub state_file: PathBuf,
    /// The resolver file edited when systemd-resolved is not in charge.
    pub resolv_conf: PathBuf,
    /// Which DNS mechanism to use.
    pub dns: DnsChoice,
    /// Ask the OS for segmentation offloads on the packet device (on by
    /// default; off only to compare).
    pub offload: bool,
}

impl ConfiguratorOptions {
    /// The given state file, `/etc/resolv.conf`, DNS mechanism detected.
    pub fn new(state_file: impl Into<PathBuf>) -> Self {
        Self {
            state_file: state_file.into(),
            resolv_conf: PathBuf::from(dns::RESOLV_CONF),
            dns: DnsChoice::Auto,
            offload: true,
        }
    }
}

impl Default for ConfiguratorOptions {
    fn default() -> Self {
        Self::new(DEFAULT_STATE_FILE)
    }
}

/// What undoing did, change by change (as text, e.g. `route 0.0.0.0/1 dev
/// swtun0`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UndoReport {
    /// Changes reverted.
    pub undone: Vec<String>,
    /// Changes already gone (e.g. routes that vanished with the device).
    pub already_gone: Vec<String>,
    /// Changes deliberately left: a resolver file someone else rewrote
    /// meanwhile keeps their version.
    pub left_alone: Vec<String>,
}

impl UndoReport {
    /// Whether there was nothing at all to undo.
    pub fn is_empty(&self) -> bool {
        self.undone.is_empty() && self.already_gone.is_empty() && self.left_alone.is_empty()
    }
}

/// What [`TunnelConfigurator::refresh_outer_route`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OuterRoute {
    /// The host route is in place and still where the OS would send the
    /// SC's packets (or a host route the OS holds for the SC, not ours,
    /// keeps doing that).
    Unchanged,
    /// The SC is now reached this way: the host route was replaced (or the
    /// one the OS holds for the SC took over from ours).
    Moved(Route),
    /// Nothing outside the tunnel reaches the SC now (no default route):
    /// everything was left as it was.
    NoPath,
    /// The tunnel's routes do not capture the SC: no host route is needed
    /// (one left from an earlier SC address was removed).
    NotNeeded,
}

/// The tunnel's network configuration, applied and journalled. Undone by
/// [`TunnelConfigurator::undo`], or on drop.
#[derive(Debug)]
pub struct TunnelConfigurator {
    journal: Journal,
    interface: Interface,
    dns: Option<DnsBackend>,
    closer: DeviceCloser,
    /// The destinations routed into the tunnel.
    tunnel_prefixes: Vec<IpPrefix>,
    /// The journalled host route keeping the SC outside the tunnel.
    outer: Option<Route>,
}

impl TunnelConfigurator {
    /// Creates the packet device and applies `config` (see the module
    /// documentation for the order). Needs a tokio runtime. Refuses with
    /// [`TunnelError::StateExists`] when the state file exists: call
    /// [`recover`] first.
    pub async fn apply(
        config: &NetworkConfig,
        options: &ConfiguratorOptions,
    ) -> Result<(Self, PacketDevice), TunnelError> {
        config.validate()?;
        let mut journal = Journal::create(&options.state_file)?;
        match apply_steps(config, options, &mut journal).await {
            Ok(Applied { device, dns, outer }) => {
                let interface = device.interface().clone();
                Ok((
                    Self {
                        journal,
                        interface,
                        dns,
                        closer: device.closer(),
                        tunnel_prefixes: config.tunnel_prefixes(),
                        outer,
                    },
                    device,
                ))
            }
            // The device, if created, is closed by now (and gone with it
            // its addresses and routes); undo the rest.
            Err(error) => match undo_all(&mut journal).await {
                Ok(_) => Err(error),
                Err(undo) => Err(TunnelError::PartlyRolledBack {
                    error: Box::new(error),
                    undo: Box::new(undo),
                }),
            },
        }
    }

    /// The packet device's interface.
    pub fn interface(&self) -> &Interface {
        &self.interface
    }

    /// The state file.
    pub fn state_file(&self) -> &Path {
        self.journal.path()
    }

    /// The DNS mechanism used, if DNS was configured.
    pub fn dns_backend(&self) -> Option<&DnsBackend> {
        self.dns.as_ref()
    }

    /// The changes still in force, in the order they were made.
    pub fn changes(&self) -> &[Change] {
        self.journal.changes()
    }

    /// The host route keeping the SC outside the tunnel, if one of ours is
    /// in force.
    pub fn outer_route(&self) -> Option<&Route> {
        self.outer.as_ref()
    }

    /// After a network change: finds how the OS now reaches `peer` (the
    /// SC's outer address, which may have changed) outside the tunnel and
    /// moves the journalled host route there.
    ///
    /// The main table's routes of `peer`'s family are listed, those through
    /// the packet device and our own host route left out, and the longest
    /// prefix containing `peer` picked (then the lowest metric). The old
    /// host route is removed (one already gone is fine) and the new one
    /// added, the journal entry replaced in between, so that undoing or
    /// [`recover`] removes the new one. Needs a tokio runtime.
    pub async fn refresh_outer_route(&mut self, peer: IpAddr) -> Result<OuterRoute, TunnelError> {
        if !self.journal.is_live() {
            return Err(TunnelError::Undone);
        }
        let table = RouteTable::open()?;
        if !self.tunnel_prefixes.iter().any(|p| p.contains(peer)) {
            self.drop_outer(&table).await?;
            return Ok(OuterRoute::NotNeeded);
        }
        let routes = table.main_routes(Family::of(peer)).await?;
        match outer::plan(&routes, peer, self.interface.index, self.outer.as_ref()) {
            Plan::NoPath => Ok(OuterRoute::NoPath),
            Plan::Keep => Ok(OuterRoute::Unchanged),
            Plan::Foreign(theirs) => {
                if !self.drop_outer(&table).await? {
                    return Ok(OuterRoute::Unchanged);
                }
                let interface = named(&table, theirs.interface_index).await?;
                Ok(OuterRoute::Moved(Route {
                    destination: theirs.destination,
                    gateway: theirs.gateway,
                    interface,
                }))
            }
            Plan::Pin {
                gateway,
                interface_index,
            } => {
                let route = Route {
                    destination: IpPrefix::host(peer),
                    gateway,
                    interface: named(&table, interface_index).await?,
                };
                self.replace_outer(&table, route.clone()).await?;
                Ok(OuterRoute::Moved(route))
            }
        }
    }

    /// Removes our host route, if any, and its journal entry; whether
    /// there was one.
    async fn drop_outer(&mut self, table: &RouteTable) -> Result<bool, TunnelError> {
        let Some(old) = self.outer.clone() else {
            return Ok(false);
        };
        table.remove(&old).await?;
        self.outer = None;
        if let Some(index) = self.journal.find(&Change::Route { route: old }) {
            self.journal.forget(index)?;
        }
        Ok(true)
    }

    /// Replaces our host route (if any) by `new`: the old one removed, its
    /// journal entry replaced by the new one (or the new one appended),
    /// then the new one added.
    async fn replace_outer(&mut self, table: &RouteTable, new: Route) -> Result<(), TunnelError> {
        let mut index = None;
        if let Some(old) = self.outer.clone() {
            table.remove(&old).await?;
            index = self.journal.find(&Change::Route { route: old });
        }
        self.outer = None;
        let change = Change::Route { route: new.clone() };
        let index = match index {
            Some(index) => {
                self.journal.replace(index, change)?;
                index
            }
            None => {
                self.journal.record(change)?;
                self.journal.changes().len().saturating_sub(1)
            }
        };
        match table.add(&new).await {
            Ok(()) => {
                self.outer = Some(new);
                Ok(())
            }
            // Someone added it meanwhile: theirs to keep.
            Err(RouteError::AlreadyExists { .. }) => self.journal.forget(index),
            Err(err) => {
                self.journal.forget(index)?;
                Err(err.into())
            }
        }
    }

    /// Closes the packet device's reader and writer (their pending and
    /// later calls fail with `NotConnected`), then undoes every change,
    /// last first, and deletes the state file. Can be called again (it
    /// then does nothing).
    pub async fn undo(&mut self) -> Result<UndoReport, TunnelError> {
        self.closer.close();
        let result = undo_all(&mut self.journal).await;
        if let Some(route) = self.outer.clone() {
            if !self.journal.is_live() || self.journal.find(&Change::Route { route }).is_none() {
                self.outer = None;
            }
        }
        result
    }
}

impl Drop for TunnelConfigurator {
    /// Closes the packet device's halves and undoes whatever
    /// [`TunnelConfigurator::undo`] did not, blocking until
    /// done (on a helper thread with its own runtime, since `drop` cannot
    /// await). Failures leave the state file for [`recover`].
    fn drop(&mut self) {
        self.closer.close();
        if !self.journal.is_live() {
            return;
        }
        let journal = &mut self.journal;
        std::thread::scope(|scope| {
            let undo = scope.spawn(|| {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    // Nothing to report to from here; leftovers stay in
                    // the state file.
                    let _ = runtime.block_on(undo_all(journal));
                }
            });
            let _ = undo.join();
        });
    }
}

/// The interface with this index; one that vanished is an error.
async fn named(table: &RouteTable, index: u32) -> Result<Interface, TunnelError> {
    table.interface(index).await?.ok_or_else(|| {
        TunnelError::Route(RouteError::Interface {
            index,
            source: io::Error::new(io::ErrorKind::NotFound, "no such interface"),
        })
    })
}

/// Undoes what a previous run left in `state_file` (after a crash), then
/// deletes the file. No file: nothing to do (an empty report). Needs a
/// tokio runtime.
pub async fn recover(state_file: &Path) -> Result<UndoReport, TunnelError> {
    match Journal::open(state_file)? {
        Some(mut journal) => undo_all(&mut journal).await,
        None => Ok(UndoReport::default()),
    }
}

/// What [`apply_steps`] set up.
struct Applied {
    device: PacketDevice,
    dns: Option<DnsBackend>,
    /// The SC's host route, when one of ours was added.
    outer: Option<Route>,
}

async fn apply_steps(
    config: &NetworkConfig,
    options: &ConfiguratorOptions,
    journal: &mut Journal,
) -> Result<Applied, TunnelError> {
    // The device is journalled once it exists (its name is the kernel's
    // choice); if the process dies in between, the device dies with it.
    let device = PacketDevice::create(&config.tun_name, config.mtu, options.offload)?;
    let interface = device.interface().clone();
    journal.record(Change::Device {
        interface: interface.clone(),
    })?;

    let control = InterfaceControl::open()?;
    for address in [config.ipv4, config.ipv6].into_iter().flatten() {
        journal.record(Change::Address {
            interface: interface.clone(),
            address,
        })?;
        control.add_address(&interface, address).await?;
    }

    let prefixes = config.tunnel_prefixes();
    let mut outer = None;
    if !prefixes.is_empty() || config.needs_outer_host_route().is_some() {
        let table = RouteTable::open()?;
        if let Some(peer) = config.needs_outer_host_route() {
            match table.path_to(peer).await? {
                PathToHost::Local => {}
                PathToHost::Via {
                    gateway,
                    interface: outer_interface,
                } => {
                    let route = Route {
                        destination: IpPrefix::host(peer),
                        gateway,
                        interface: outer_interface,
                    };
                    if add_route(&table, journal, route.clone()).await? {
                        outer = Some(route);
                    }
                }
            }
        }
        for prefix in prefixes {
            add_route(&table, journal, Route::through(prefix, &interface)).await?;
        }
    }

    if config.dns_servers.is_empty() {
        return Ok(Applied {
            device,
            dns: None,
            outer,
        });
    }
    let backend = dns::detect(options.dns, &options.resolv_conf)?;
    match &backend {
        DnsBackend::ResolvConf(path) => {
            let edit = ResolvConfEdit::prepare(
                path,
                &config.dns_servers,
                &config.search_domains,
                &interface.name,
            )?;
            journal.record(Change::ResolvConf { edit: edit.clone() })?;
            edit.write()?;
        }
        DnsBackend::Resolved => {
            journal.record(Change::ResolvedLink {
                interface: interface.clone(),
            })?;
            dns::set_link_dns(&interface, &config.dns_servers, &config.search_domains).await?;
        }
    }
    Ok(Applied {
        device,
        dns: Some(backend),
        outer,
    })
}

/// Adds a route, journalled first; one that already exists was not ours
/// and is dropped from the journal again (so undo leaves it). Whether the
/// route is ours.
async fn add_route(
    table: &RouteTable,
    journal: &mut Journal,
    route: Route,
) -> Result<bool, TunnelError> {
    journal.record(Change::Route {
        route: route.clone(),
    })?;
    match table.add(&route).await {
        Ok(()) => Ok(true),
        Err(RouteError::AlreadyExists { .. }) => journal.forget_last().map(|()| false),
        Err(err) => Err(err.into()),
    }
}

enum Outcome {
    Undone,
    AlreadyGone,
    LeftAlone,
}

/// Opens the OS handles on first use.
#[derive(Default)]
struct Undoer {
    control: Option<InterfaceControl>,
    routes: Option<RouteTable>,
}

impl fmt::Debug for Undoer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Undoer")
    }
}

fn removal(removal: Removal) -> Outcome {
    match removal {
        Removal::Removed => Outcome::Undone,
        Removal::AlreadyGone => Outcome::AlreadyGone,
    }
}

impl Undoer {
    fn control(&mut self) -> Result<&InterfaceControl, TunnelError> {
        if self.control.is_none() {
            self.control = Some(InterfaceControl::open()?);
        }
        self.control
            .as_ref()
            .ok_or_else(|| TunnelError::Device(DeviceError::Control(io::Error::other("not open"))))
    }

    fn routes(&mut self) -> Result<&RouteTable, TunnelError> {
        if self.routes.is_none() {
            self.routes = Some(RouteTable::open()?);
        }
        self.routes
            .as_ref()
            .ok_or_else(|| TunnelError::Route(RouteError::Control(io::Error::other("not open"))))
    }

    async fn undo(&mut self, change: &Change) -> Result<Outcome, TunnelError> {
        Ok(match change {
            Change::Device { interface } => {
                removal(self.control()?.remove_device(interface).await?)
            }
            Change::Address { interface, address } => {
                removal(self.control()?.remove_address(interface, *address).await?)
            }
            Change::Route { route } => removal(self.routes()?.remove(route).await?),
            Change::ResolvConf { edit } => match edit.restore()? {
                Restore::Restored => Outcome::Undone,
                Restore::AlreadyOriginal => Outcome::AlreadyGone,
                Restore::ChangedSince | Restore::Missing => Outcome::LeftAlone,
            },
            Change::ResolvedLink { interface } => removal(dns::revert_link_dns(interface).await?),
        })
    }
}

/// Undoes every journalled change, last first. Each change undone is
/// dropped from the journal at once; failures are collected and the rest
/// still tried. With nothing left the state file is deleted.
async fn undo_all(journal: &mut Journal) -> Result<UndoReport, TunnelError> {
    let mut report = UndoReport::default();
    if !journal.is_live() {
        return Ok(report);
    }
    let mut undoer = Undoer::default();
    let mut failures = Vec::new();
    let mut index = journal.changes().len();
    while index > 0 {
        index -= 1;
        let Some(change) = journal.changes().get(index).cloned() else {
            continue;
        };
        match undoer.undo(&change).await {
            Ok(outcome) => {
                let text = change.to_string();
                match outcome {
                    Outcome::Undone => report.undone.push(text),
                    Outcome::AlreadyGone => report.already_gone.push(text),
                    Outcome::LeftAlone => report.left_alone.push(text),
                }
                journal.forget(index)?;
            }
            Err(err) => failures.push(format!("{change}: {err}")),
        }
    }
    if failures.is_empty() {
        journal.finish()?;
        Ok(report)
    } else {
        Err(TunnelError::Undo {
            path: journal.path().to_owned(),
            count: failures.len(),
            details: failures.join("; "),
        })
    }
}
