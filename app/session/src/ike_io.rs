//! The IKE initiator on a tokio UDP socket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use softwire_core::ike::initiator::{Established, Event, Initiator, InitiatorConfig, Phase};
use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::{Progress, ProgressFn, SessionError};

/// The initiator and its socket.
#[derive(Debug)]
pub struct IkeIo {
    /// The engine.
    pub initiator: Initiator,
    /// The one UDP socket for IKE and ESP.
    pub socket: Arc<UdpSocket>,
    /// When the first IKE message went out.
    pub started: Instant,
    buf: Vec<u8>,
}

impl IkeIo {
    /// Binds a socket towards `sc` and starts IKE_SA_INIT.
    pub async fn start(config: InitiatorConfig, sc: SocketAddr) -> Result<Self, SessionError> {
        // Learn the source address routing picks, so NAT detection hashes
        // the real one (RFC 7296 §2.23).
        let local_ip = crate::roaming::source_towards(sc.ip()).await?;
        let socket = UdpSocket::bind(SocketAddr::new(local_ip, 0)).await?;
        size_buffers(&socket);
        let local = socket.local_addr()?;
        let started = Instant::now();
        let mut initiator = Initiator::new(config, started, local, sc)?;
        // IKE fragments sized to the path (RFC 7383 §2.5.1); where the OS
        // cannot say, the engine's default (1280) stays.
        if let Ok(mtu) = softwire_platform::path_mtu::path_mtu(sc.ip()) {
            initiator.set_path_mtu(mtu);
        }
        Ok(Self {
            initiator,
            socket: Arc::new(socket),
            started,
            buf: vec![0u8; 65_536],
        })
    }

    /// Where the SC is reached now.
    pub fn initiator_sc(&self) -> SocketAddr {
        self.initiator.sc_address()
    }

    /// A new socket on `ip` (any port) replaces the current one, for a
    /// move to another local address; returns its address.
    pub async fn rebind(&mut self, ip: std::net::IpAddr) -> std::io::Result<SocketAddr> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        size_buffers(&socket);
        let local = socket.local_addr()?;
        self.socket = Arc::new(socket);
        Ok(local)
    }

    /// Sends whatever the engine queued.
    pub async fn flush(&mut self) -> Result<(), SessionError> {
        while let Some(t) = self.initiator.poll_transmit() {
            match self.socket.send_to(&t.payload, t.destination).await {
                Ok(_) => {}
                // A route or neighbour problem now: retransmission will try again.
                Err(e) if is_transient(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Runs IKE until the SAs are up, reporting phases. Cancels (with a
    /// DELETE if anything exists at the SC) when `shutdown` turns true.
    pub async fn establish(
        &mut self,
        progress: &ProgressFn,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Box<Established>, SessionError> {
        let mut cancelled = false;
        loop {
            self.flush().await?;
            while let Some(event) = self.initiator.poll_event() {
                match event {
                    Event::Phase(Phase::SaInit) => {}
                    Event::Phase(Phase::Authenticating) => progress(Progress::Authenticating),
                    Event::Phase(_) => {}
                    Event::Established(e) => return Ok(e),
                    // Only with confirm_sc, whose attempts the trial drives
                    // (trial.rs); a paused one handed here goes on.
                    Event::ScProven { .. } => self.initiator.proceed(Instant::now()),
                    Event::Closed(Err(e)) if !cancelled => return Err(e.into()),
                    Event::Closed(_) => return Err(SessionError::Cancelled),
                    // Only once established, which ends this loop.
                    Event::ChildRekeyed(_)
                    | Event::ChildOutbound { .. }
                    | Event::ChildRetired { .. }
                    | Event::PathUpdated { .. } => {}
                }
            }
            let deadline = self.initiator.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = self.socket.recv_from(&mut self.buf) => match received {
                    Ok((n, from)) => {
                        let datagram = self.buf.get(..n).unwrap_or_default();
                        self.initiator.handle_datagram(Instant::now(), from, datagram);
                    }
                    Err(e) if is_transient(&e) => {}
                    Err(e) => return Err(e.into()),
                },
                () = sleep => self.initiator.handle_timeout(Instant::now()),
                changed = shutdown.changed(), if !cancelled => {
                    if changed.is_err() || *shutdown.borrow() {
                        cancelled = true;
                        self.initiator.close(Instant::now());
                    }
                }
            }
        }
    }
}

/// Socket buffers for a tunnel's bursts: with the kernel's default (about
/// 200 KB) a fast TCP flow overflows the receive buffer, and the loss makes
/// TCP back off. The kernel caps the request at net.core.rmem_max/wmem_max.
pub const SOCKET_BUFFER: usize = 4 << 20;

/// Asks for [`SOCKET_BUFFER`]-sized send and receive buffers; a smaller
/// grant is not an error.
pub fn size_buffers(socket: &UdpSocket) {
    let sock = socket2::SockRef::from(socket);
    let _ = sock.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = sock.set_send_buffer_size(SOCKET_BUFFER);
}

/// Errors a UDP socket reports from ICMP that retransmission copes with.
pub(crate) fn is_transient(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::HostUnreachable
            | std::io::ErrorKind::NetworkUnreachable
    )
}
