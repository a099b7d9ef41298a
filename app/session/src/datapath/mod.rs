//! The data path once the SAs are up: packets from the tunnel device are
//! sealed into ESP and sent UDP-encapsulated to the SC (RFC 3948); ESP from
//! the SC is opened, checked and written to the device. IKE messages that
//! arrive on the same socket go to the initiator.
//!
//! Two tasks: the uplink (device → ESP → socket, [`uplink`]) owns the
//! outbound SA; the control task (socket → ESP → device, [`downlink`], IKE,
//! timers) owns the inbound SA and the initiator, so neither waits for the
//! other on the hot path. Both move packets in batches: a device read with
//! offloads holds up to 64 KiB of TCP segments, which leave in one
//! segmented UDP send; one receive returns several runs of datagrams, whose
//! inner packets reach the device in one batch.

mod downlink;
mod uplink;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use softwire_core::esp::{
    keepalive_datagram, EspCounters, EspInbound, EspOutbound, NAT_KEEPALIVE_INTERVAL,
};
use softwire_core::ike::initiator::{Event, InitiatorError};
use softwire_platform::device::WriteBatch;
use softwire_platform::offload::Packets;
use softwire_platform::udp::{BatchSocket, RecvBatch};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

use crate::ike_io::{is_transient, IkeIo};
use crate::roaming::{PathCheck, Roam};
use crate::{Progress, ProgressFn, SessionError};
use downlink::{Downlink, InboundSas};
use uplink::{Uplink, UplinkChange};

/// Reads packets from the tunnel device.
pub trait PacketRead: Send + 'static {
    /// Waits for the next read and puts its IP packets into `out` (cleared
    /// first), returning how many. An [`io::ErrorKind::InvalidData`] error
    /// loses one read; any other ends the data path.
    fn read_packets(&mut self, out: &mut Packets)
        -> impl Future<Output = io::Result<usize>> + Send;
}

/// Writes packets to the tunnel device.
pub trait PacketWrite: Send {
    /// An empty batch for this device.
    fn batch(&self) -> WriteBatch;
    /// Writes every packet of `batch` and empties it.
    fn write_batch(
        &mut self,
        batch: &mut WriteBatch,
    ) -> impl Future<Output = io::Result<()>> + Send;
}

/// Traffic counters shared between the tasks.
#[derive(Debug, Default)]
pub struct Counters {
    /// The outbound SA's counters (updated by the uplink).
    pub outbound: Mutex<EspCounters>,
    /// The inbound SA's counters (updated by the control task).
    pub inbound: Mutex<EspCounters>,
    /// Device packets that are not IPv4/IPv6 we can carry (kernel noise),
    /// and device reads that could not be split.
    pub device_skipped: AtomicU64,
    /// NAT keepalives sent.
    pub keepalives: AtomicU64,
    /// CHILD_SA rekeys installed.
    pub rekeys: AtomicU64,
    /// IKE SA rekeys completed.
    pub ike_rekeys: AtomicU64,
    /// Seconds since the Unix epoch of the last CHILD_SA or IKE SA rekey;
    /// 0 before the first.
    pub last_rekey_unix: AtomicU64,
    /// Liveness checks sent after silence from the SC.
    pub liveness_checks: AtomicU64,
    /// CHILD_SA rekeys of the SC that crossed one of ours.
    pub rekey_collisions: AtomicU64,
    /// Moves to a new path the SC confirmed (MOBIKE).
    pub moves: AtomicU64,
    /// NAT mapping changes found by NAT detection.
    pub nat_rebindings: AtomicU64,
    /// Network changes that could not be followed (route or address
    /// lookups that failed); the last reason is in `last_roam_error`.
    pub roam_errors: AtomicU64,
    /// Why following the network last failed.
    pub last_roam_error: Mutex<Option<String>>,
    /// System calls on the hot path, to tell how well batching works.
    pub calls: CallCounters,
}

impl Counters {
    /// Records that an SA was just rekeyed.
    fn note_rekey(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.last_rekey_unix.store(now, Ordering::Relaxed);
    }
}

/// System calls of the data path: packets per call is the batching factor
/// (1 without offloads).
#[derive(Debug, Default)]
pub struct CallCounters {
    /// Reads from the tunnel device that returned packets.
    pub device_reads: AtomicU64,
    /// UDP sends of ESP (each one datagram or a segmented run).
    pub udp_sends: AtomicU64,
    /// UDP receives (each one or more runs of datagrams).
    pub udp_receives: AtomicU64,
    /// Writes to the tunnel device (each one packet or a merged one).
    pub device_writes: AtomicU64,
}

impl CallCounters {
    /// Name and value of each counter.
    pub fn entries(&self) -> [(&'static str, u64); 4] {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("device-reads", get(&self.device_reads)),
            ("udp-sends", get(&self.udp_sends)),
            ("udp-receives", get(&self.udp_receives)),
            ("device-writes", get(&self.device_writes)),
        ]
    }
}

impl Counters {
    /// Both directions together.
    pub fn snapshot(&self) -> EspCounters {
        let mut all = EspCounters::default();
        if let Ok(o) = self.outbound.lock() {
            all.add(&o);
        }
        if let Ok(i) = self.inbound.lock() {
            all.add(&i);
        }
        all
    }
}

/// Milliseconds since `origin` of the last datagram we sent to the SC.
#[derive(Debug)]
struct LastSent {
    origin: Instant,
    millis: AtomicU64,
}

impl LastSent {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            origin: Instant::now(),
            millis: AtomicU64::new(0),
        })
    }

    fn mark(&self) {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.millis.store(ms, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.millis.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(last)
    }
}

/// The halves both data paths share: the batched socket, the uplink task
/// and the downlink's state.
/// The uplink task: its result and the device reader it hands back.
type UplinkTask<R> = tokio::task::JoinHandle<(Result<(), SessionError>, R)>;

struct Halves<R> {
    socket: Arc<BatchSocket>,
    uplink: UplinkTask<R>,
    /// Tells the uplink to stop and hand the reader back.
    stop_uplink: watch::Sender<bool>,
    /// Hands the uplink a rekeyed outbound SA or a new path.
    to_uplink: mpsc::UnboundedSender<UplinkChange>,
    downlink: Downlink,
}

#[allow(clippy::too_many_arguments)]
fn start<R: PacketRead, W: PacketWrite>(
    socket: Arc<UdpSocket>,
    peer: SocketAddr,
    reader: R,
    writer: &W,
    outbound: EspOutbound,
    inbound: EspInbound,
    counters: &Arc<Counters>,
    last_sent: &Arc<LastSent>,
) -> Result<Halves<R>, (SessionError, R)> {
    let socket = match BatchSocket::new(socket) {
        Ok(s) => Arc::new(s),
        Err(e) => return Err((e.into(), reader)),
    };
    let (to_uplink, replacements) = mpsc::unbounded_channel();
    let (stop_uplink, stop) = watch::channel(false);
    let uplink = Uplink {
        socket: socket.clone(),
        esp: outbound,
        peer,
        counters: counters.clone(),
        last_sent: last_sent.clone(),
        replacements,
    };
    Ok(Halves {
        uplink: tokio::spawn(uplink.run(reader, stop)),
        stop_uplink,
        to_uplink,
        downlink: Downlink {
            inbound: InboundSas::new(inbound),
            received: RecvBatch::for_socket(&socket),
            writes: writer.batch(),
            counters: counters.clone(),
        },
        socket,
    })
}

/// Why the uplink ended by itself, and the reader it handed back.
fn uplink_ended<R>(
    joined: Result<(Result<(), SessionError>, R), tokio::task::JoinError>,
) -> (SessionError, Option<R>) {
    match joined {
        Ok((Err(e), reader)) => (e, Some(reader)),
        Ok((Ok(()), reader)) => (
            SessionError::Platform("the tunnel device closed".to_owned()),
            Some(reader),
        ),
        Err(e) => (
            SessionError::Platform(format!("the uplink task failed: {e}")),
            None,
        ),
    }
}

/// The staged outbound SA if it is the one with inbound SPI `spi_in`.
fn take_staged(staged: &mut Option<(u32, EspOutbound)>, spi_in: u32) -> Option<EspOutbound> {
    match staged.take() {
        Some((spi, outbound)) if spi == spi_in => Some(outbound),
        other => {
            *staged = other;
            None
        }
    }
}

/// Stops the uplink and takes its reader back.
async fn stop<R>(stop_uplink: &watch::Sender<bool>, task: UplinkTask<R>) -> Option<R> {
    let _ = stop_uplink.send(true);
    task.await.ok().map(|(_, reader)| reader)
}

/// Why the tunnel stopped.
#[derive(Debug)]
pub enum Ended {
    /// The user asked; the IKE SA was deleted (or the SC did not answer the DELETE).
    ByUser,
    /// The SC or the network ended it.
    Failed(SessionError),
}

/// Sending for this long without hearing anything back calls for a
/// liveness check at once, instead of after the idle interval: a restarted
/// or vanished SC is noticed within seconds while traffic flows.
const SILENT_WHILE_SENDING: Duration = Duration::from_secs(2);

/// Runs the data path until shutdown or failure; hands back the device's
/// reader (unless its task died) and writer, for a reconnect.
#[allow(clippy::too_many_arguments)]
pub async fn run<R: PacketRead, W: PacketWrite>(
    ike: &mut IkeIo,
    reader: R,
    mut writer: W,
    outbound: EspOutbound,
    inbound: EspInbound,
    counters: Arc<Counters>,
    shutdown: &mut watch::Receiver<bool>,
    roam: &mut impl Roam,
    progress: &ProgressFn,
    mut on_tick: impl FnMut(&Counters),
) -> (Ended, Option<R>, W) {
    let mut sc = ike.initiator_sc();
    let last_sent = LastSent::new();
    let Halves {
        mut socket,
        uplink: mut uplink_task,
        stop_uplink,
        to_uplink,
        mut downlink,
    } = match start(
        ike.socket.clone(),
        sc,
        reader,
        &writer,
        outbound,
        inbound,
        &counters,
        &last_sent,
    ) {
        Ok(h) => h,
        Err((e, reader)) => return (Ended::Failed(e), Some(reader), writer),
    };
    let mut uplink_reader = None;
    // A rekeyed outbound SA waiting to be sent on (by its inbound SPI).
    let mut staged: Option<(u32, EspOutbound)> = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut closing = false;
    // When we noticed the network change the SC has yet to confirm.
    let mut moving_since: Option<Instant> = None;
    let ended = loop {
        if let Err(e) = ike.flush().await {
            break Ended::Failed(e);
        }
        let mut finished = None;
        while let Some(event) = ike.initiator.poll_event() {
            match event {
                Event::Closed(result) => {
                    finished = Some(match result {
                        Ok(()) => Ended::ByUser,
                        Err(_) if closing => Ended::ByUser,
                        Err(e) => Ended::Failed(e.into()),
                    });
                }
                Event::ChildRekeyed(child) => {
                    match (
                        EspOutbound::from_child(&child),
                        EspInbound::from_child(&child),
                    ) {
                        (Ok(outbound), Ok(inbound)) => {
                            // Inbound at once: the SC may already send on
                            // it. Outbound when the engine says so.
                            downlink.inbound.add(inbound);
                            staged = Some((child.spi_in, outbound));
                            counters.rekeys.fetch_add(1, Ordering::Relaxed);
                            counters.note_rekey();
                        }
                        (Err(e), _) | (_, Err(e)) => {
                            finished = Some(Ended::Failed(SessionError::Platform(format!(
                                "the rekeyed CHILD_SA cannot be used: {e}"
                            ))));
                        }
                    }
                }
                Event::ChildOutbound { spi_in } => {
                    if let Some(outbound) = take_staged(&mut staged, spi_in) {
                        let _ = to_uplink.send(UplinkChange::Outbound(Box::new(outbound)));
                    }
                }
                Event::PathUpdated {
                    local,
                    sc,
                    behind_nat,
                } => {
                    let took = moving_since.take().map(|t| t.elapsed());
                    progress(Progress::Moved {
                        local,
                        sc,
                        behind_nat,
                        took,
                    });
                }
                Event::ChildRetired { spi_in } => downlink.inbound.retire(spi_in),
                Event::Phase(_) | Event::Established(_) | Event::ScProven { .. } => {}
            }
        }
        let stats = ike.initiator.stats();
        if counters
            .ike_rekeys
            .swap(stats.ike_rekeys, Ordering::Relaxed)
            != stats.ike_rekeys
        {
            counters.note_rekey();
        }
        counters
            .liveness_checks
            .store(stats.liveness_checks, Ordering::Relaxed);
        counters
            .rekey_collisions
            .store(stats.rekey_collisions, Ordering::Relaxed);
        counters.moves.store(stats.path_updates, Ordering::Relaxed);
        counters
            .nat_rebindings
            .store(stats.nat_rebindings, Ordering::Relaxed);
        // The SC may have moved us to another of its addresses.
        if ike.initiator_sc() != sc {
            sc = ike.initiator_sc();
            let _ = to_uplink.send(UplinkChange::Path(socket.clone(), sc));
        }
        if let Some(f) = finished {
            break f;
        }
        let deadline = ike.initiator.poll_timeout();
        let ike_timer = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        let keepalive_in = NAT_KEEPALIVE_INTERVAL.saturating_sub(last_sent.idle());
        tokio::select! {
            received = socket.recv(&mut downlink.received) => {
                match received {
                    Ok(()) => {}
                    Err(e) if is_transient(&e) => continue,
                    Err(e) => break Ended::Failed(e.into()),
                }
                let now = Instant::now();
                let initiator = &mut ike.initiator;
                let delivered = downlink.open_received(Some(sc), |from, datagram| {
                    initiator.handle_datagram(now, from, datagram);
                });
                if delivered > 0 {
                    // ESP from the SC: it is alive, no liveness check due.
                    ike.initiator.note_inbound(now);
                    // ESP on a staged SA: the SC has it, we may send on it.
                    let arrived = staged
                        .as_ref()
                        .map(|(spi, _)| *spi)
                        .filter(|spi| downlink.inbound.has_traffic(*spi));
                    if let Some(outbound) = arrived.and_then(|spi| take_staged(&mut staged, spi)) {
                        let _ = to_uplink.send(UplinkChange::Outbound(Box::new(outbound)));
                    }
                }
                if let Err(e) = writer.write_batch(&mut downlink.writes).await {
                    break Ended::Failed(e.into());
                }
            }
            () = ike_timer => ike.initiator.handle_timeout(Instant::now()),
            () = roam.changed(), if !closing => {
                let noticed = Instant::now();
                let local = ike.initiator.local_address();
                match roam.check(sc.ip(), local.ip()).await {
                    PathCheck::Same | PathCheck::NoPath => {}
                    PathCheck::NewAddress(ip) if ike.initiator.mobike() => {
                        match ike.rebind(ip).await.and_then(|local| {
                            BatchSocket::new(ike.socket.clone()).map(|s| (local, s))
                        }) {
                            Ok((local, batch)) => {
                                socket = Arc::new(batch);
                                let _ = to_uplink.send(UplinkChange::Path(socket.clone(), sc));
                                ike.initiator.move_to(noticed, local);
                                moving_since = Some(noticed);
                            }
                            Err(e) => note_roam_error(&counters, format!("no socket on {ip}: {e}")),
                        }
                    }
                    PathCheck::NewRoute if ike.initiator.mobike() => {
                        // Same address on another network: tell the SC
                        // where it sees us now.
                        ike.initiator.move_to(noticed, local);
                        moving_since = Some(noticed);
                    }
                    PathCheck::NewAddress(ip) => {
                        break Ended::Failed(SessionError::NetworkChanged(format!(
                            "our address is now {ip}"
                        )));
                    }
                    PathCheck::NewRoute => {
                        break Ended::Failed(SessionError::NetworkChanged(
                            "the route to the SC moved".to_owned(),
                        ));
                    }
                    PathCheck::Failed(e) => note_roam_error(&counters, e),
                }
            }
            () = tokio::time::sleep(keepalive_in) => {
                // RFC 3948 §2.3: keep the NAT mapping alive when idle.
                if last_sent.idle() >= NAT_KEEPALIVE_INTERVAL
                    && ike.socket.send_to(&keepalive_datagram(), sc).await.is_ok()
                {
                    last_sent.mark();
                    counters.keepalives.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ = tick.tick() => {
                if last_sent.idle() < Duration::from_secs(1) {
                    ike.initiator
                        .check_liveness_if_silent(Instant::now(), SILENT_WHILE_SENDING);
                }
                on_tick(&counters);
            }
            joined = &mut uplink_task => {
                let (e, reader) = uplink_ended(joined);
                uplink_reader = Some(reader);
                break Ended::Failed(e);
            }
            changed = shutdown.changed(), if !closing => {
                if changed.is_err() || *shutdown.borrow() {
                    closing = true;
                    ike.initiator.close(Instant::now());
                }
            }
        }
    };
    let reader = match uplink_reader {
        Some(reader) => reader,
        None => stop(&stop_uplink, uplink_task).await,
    };
    let _ = ike.flush().await;
    on_tick(&counters);
    (ended, reader, writer)
}

/// Runs the data path with fixed SAs and no IKE (for benchmarks and
/// tamper tests of the data path against itself): until `shutdown`. ESP is
/// accepted from any sender.
#[allow(clippy::too_many_arguments)]
pub async fn run_static<R: PacketRead, W: PacketWrite>(
    socket: Arc<UdpSocket>,
    peer: SocketAddr,
    reader: R,
    mut writer: W,
    outbound: EspOutbound,
    inbound: EspInbound,
    counters: Arc<Counters>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), SessionError> {
    let last_sent = LastSent::new();
    let Halves {
        socket,
        uplink: mut uplink_task,
        stop_uplink,
        to_uplink: _,
        mut downlink,
    } = start(
        socket, peer, reader, &writer, outbound, inbound, &counters, &last_sent,
    )
    .map_err(|(e, _)| e)?;
    let mut finished = false;
    let result = loop {
        tokio::select! {
            received = socket.recv(&mut downlink.received) => {
                match received {
                    Ok(()) => {}
                    Err(e) if is_transient(&e) => continue,
                    Err(e) => break Err(e.into()),
                }
                downlink.open_received(None, |_, _| {});
                if let Err(e) = writer.write_batch(&mut downlink.writes).await {
                    break Err(e.into());
                }
            }
            joined = &mut uplink_task => {
                finished = true;
                break Err(uplink_ended(joined).0);
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break Ok(());
                }
            }
        }
    };
    if !finished {
        let _ = stop(&stop_uplink, uplink_task).await;
    }
    result
}

impl From<InitiatorError> for Ended {
    fn from(e: InitiatorError) -> Self {
        Ended::Failed(e.into())
    }
}

/// Counts a network change we could not follow and keeps its reason for
/// the status file.
fn note_roam_error(counters: &Counters, reason: String) {
    counters.roam_errors.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut last) = counters.last_roam_error.lock() {
        *last = Some(reason);
    }
}
