//! The data path once the SAs are up: packets from the tunnel device are
//! sealed into ESP and sent UDP-encapsulated to the SC (RFC 3948); ESP from
//! the SC is opened, checked and written to the device. IKE messages that
//! arrive on the same socket go to the initiator.
//!
//! Two tasks: the uplink (device → ESP → socket) owns the outbound SA; the
//! control task (socket → ESP → device, IKE, timers) owns the inbound SA and
//! the initiator, so neither waits for the other on the hot path.

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
use softwire_core::ike::natt::{classify_port_4500, Port4500};
use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::ike_io::{is_transient, IkeIo};
use crate::SessionError;

/// Reads one packet from the tunnel device.
pub trait PacketRead: Send + 'static {
    /// Reads the next packet into `buf`, returning its length.
    fn read_packet(&mut self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send;
}

/// Writes one packet to the tunnel device.
pub trait PacketWrite: Send {
    /// Writes `packet`.
    fn write_packet(&mut self, packet: &[u8]) -> impl Future<Output = io::Result<()>> + Send;
}

/// Traffic counters shared between the tasks.
#[derive(Debug, Default)]
pub struct Counters {
    /// The outbound SA's counters (updated by the uplink).
    pub outbound: Mutex<EspCounters>,
    /// The inbound SA's counters (updated by the control task).
    pub inbound: Mutex<EspCounters>,
    /// Device packets that are not IPv4/IPv6 we can carry (kernel noise).
    pub device_skipped: AtomicU64,
    /// NAT keepalives sent.
    pub keepalives: AtomicU64,
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
    fn mark(&self) {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.millis.store(ms, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.millis.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(last)
    }
}

/// Device → ESP → socket, until the device fails or the task is aborted.
async fn uplink<R: PacketRead>(
    mut device: R,
    socket: Arc<UdpSocket>,
    mut esp: EspOutbound,
    sc: SocketAddr,
    counters: Arc<Counters>,
    last_sent: Arc<LastSent>,
) -> Result<(), SessionError> {
    let mut packet = vec![0u8; 65_536];
    let mut sealed = Vec::with_capacity(65_536);
    loop {
        let n = device.read_packet(&mut packet).await?;
        let Some(inner) = packet.get(..n) else {
            continue;
        };
        if !carries(inner) {
            counters.device_skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if esp.seal(inner, &mut sealed).is_err() {
            // Sequence numbers exhausted or a packet we cannot carry:
            // counted by the SA, nothing to send.
            continue;
        }
        match socket.send_to(&sealed, sc).await {
            Ok(_) => last_sent.mark(),
            Err(e) if is_transient(&e) || e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.into()),
        }
        if let Ok(mut c) = counters.outbound.lock() {
            *c = *esp.counters();
        }
    }
}

/// Whether a device packet is one we carry: IPv4 or IPv6, not link-local
/// multicast noise the kernel sends on its own (router solicitations, MLD).
fn carries(packet: &[u8]) -> bool {
    match packet.first().map(|b| b >> 4) {
        Some(4) => packet.len() >= 20,
        Some(6) => {
            // ff02::/16 destinations stay on the link.
            packet.len() >= 40 && packet.get(24..26) != Some(&[0xff, 0x02])
        }
        _ => false,
    }
}

/// Why the tunnel stopped.
#[derive(Debug)]
pub enum Ended {
    /// The user asked; the IKE SA was deleted (or the SC did not answer the DELETE).
    ByUser,
    /// The SC or the network ended it.
    Failed(SessionError),
}

/// Runs the data path until shutdown or failure.
#[allow(clippy::too_many_arguments)]
pub async fn run<R: PacketRead, W: PacketWrite>(
    ike: &mut IkeIo,
    reader: R,
    mut writer: W,
    outbound: EspOutbound,
    mut inbound: EspInbound,
    counters: Arc<Counters>,
    shutdown: &mut watch::Receiver<bool>,
    mut on_tick: impl FnMut(&Counters),
) -> Ended {
    let sc = ike.initiator_sc();
    let last_sent = Arc::new(LastSent {
        origin: Instant::now(),
        millis: AtomicU64::new(0),
    });
    let mut uplink_task = tokio::spawn(uplink(
        reader,
        ike.socket.clone(),
        outbound,
        sc,
        counters.clone(),
        last_sent.clone(),
    ));
    let mut buf = vec![0u8; 65_536];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut closing = false;
    let ended = loop {
        if let Err(e) = ike.flush().await {
            break Ended::Failed(e);
        }
        let mut finished = None;
        while let Some(event) = ike.initiator.poll_event() {
            if let Event::Closed(result) = event {
                finished = Some(match result {
                    Ok(()) => Ended::ByUser,
                    Err(e) if closing => {
                        let _ = e;
                        Ended::ByUser
                    }
                    Err(e) => Ended::Failed(e.into()),
                });
            }
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
            received = ike.socket.recv_from(&mut buf) => {
                let (n, from) = match received {
                    Ok(r) => r,
                    Err(e) if is_transient(&e) => continue,
                    Err(e) => break Ended::Failed(e.into()),
                };
                let datagram = buf.get(..n).unwrap_or_default();
                match classify_port_4500(datagram) {
                    Port4500::Esp(_) if from == sc => {
                        // Decrypt where it landed: no copy on the hot path.
                        let packet = buf.get_mut(..n).unwrap_or_default();
                        match inbound.open_in_place(packet, None) {
                            Ok(d) => {
                                if let Some(p) = packet.get(d.range.clone()) {
                                    if let Err(e) = writer.write_packet(p).await {
                                        break Ended::Failed(e.into());
                                    }
                                }
                            }
                            Err(_drop) => {} // counted by the SA
                        }
                        if let Ok(mut c) = counters.inbound.lock() {
                            *c = *inbound.counters();
                        }
                    }
                    Port4500::Keepalive => {}
                    _ => ike.initiator.handle_datagram(Instant::now(), from, datagram),
                }
            }
            () = ike_timer => ike.initiator.handle_timeout(Instant::now()),
            () = tokio::time::sleep(keepalive_in) => {
                // RFC 3948 §2.3: keep the NAT mapping alive when idle.
                if last_sent.idle() >= NAT_KEEPALIVE_INTERVAL
                    && ike.socket.send_to(&keepalive_datagram(), sc).await.is_ok()
                {
                    last_sent.mark();
                    counters.keepalives.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ = tick.tick() => on_tick(&counters),
            result = &mut uplink_task => {
                break Ended::Failed(match result {
                    Ok(Err(e)) => e,
                    Ok(Ok(())) => SessionError::Platform("the tunnel device closed".to_owned()),
                    Err(e) => SessionError::Platform(format!("the uplink task failed: {e}")),
                });
            }
            changed = shutdown.changed(), if !closing => {
                if changed.is_err() || *shutdown.borrow() {
                    closing = true;
                    ike.initiator.close(Instant::now());
                }
            }
        }
    };
    uplink_task.abort();
    let _ = ike.flush().await;
    on_tick(&counters);
    ended
}

/// Runs the data path with fixed SAs and no IKE (for benchmarks and
/// tamper tests of the data path against itself): until `shutdown`.
#[allow(clippy::too_many_arguments)]
pub async fn run_static<R: PacketRead, W: PacketWrite>(
    socket: Arc<UdpSocket>,
    peer: SocketAddr,
    reader: R,
    mut writer: W,
    outbound: EspOutbound,
    mut inbound: EspInbound,
    counters: Arc<Counters>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), SessionError> {
    let last_sent = Arc::new(LastSent {
        origin: Instant::now(),
        millis: AtomicU64::new(0),
    });
    let mut uplink_task = tokio::spawn(uplink(
        reader,
        socket.clone(),
        outbound,
        peer,
        counters.clone(),
        last_sent,
    ));
    let mut buf = vec![0u8; 65_536];
    let result = loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let n = match received {
                    Ok((n, _)) => n,
                    Err(e) if is_transient(&e) => continue,
                    Err(e) => break Err(e.into()),
                };
                if let Port4500::Esp(_) = classify_port_4500(buf.get(..n).unwrap_or_default()) {
                    let packet = buf.get_mut(..n).unwrap_or_default();
                    if let Ok(d) = inbound.open_in_place(packet, None) {
                        if let Some(p) = packet.get(d.range.clone()) {
                            if let Err(e) = writer.write_packet(p).await {
                                break Err(e.into());
                            }
                        }
                    }
                    if let Ok(mut c) = counters.inbound.lock() {
                        *c = *inbound.counters();
                    }
                }
            }
            result = &mut uplink_task => {
                break match result {
                    Ok(r) => r,
                    Err(e) => Err(SessionError::Platform(format!("the uplink task failed: {e}"))),
                };
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break Ok(());
                }
            }
        }
    };
    uplink_task.abort();
    result
}

impl From<InitiatorError> for Ended {
    fn from(e: InitiatorError) -> Self {
        Ended::Failed(e.into())
    }
}
