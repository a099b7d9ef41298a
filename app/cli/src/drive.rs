//! Drives the sans-IO initiator over one blocking UDP socket until the
//! connection is up or has failed. The service's tokio driver replaces this
//! for long-lived tunnels; this one serves the CLI's one-shot commands and
//! the lab tools.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use softwire_core::ike::initiator::{Established, Event, Initiator, InitiatorError, Phase};

/// How a drive ended.
#[derive(Debug)]
pub enum Outcome {
    /// The tunnel is up.
    Established(Box<Established>),
    /// The attempt failed or was closed.
    Closed(Result<(), InitiatorError>),
}

/// A socket bound to the address the system would use to reach `remote`,
/// so NAT detection hashes the real source address (RFC 7296 §2.23).
pub fn bind_towards(remote: IpAddr) -> io::Result<UdpSocket> {
    let any: SocketAddr = match remote {
        IpAddr::V4(_) => "0.0.0.0:0".parse().map_err(io::Error::other)?,
        IpAddr::V6(_) => "[::]:0".parse().map_err(io::Error::other)?,
    };
    let probe = UdpSocket::bind(any)?;
    probe.connect(SocketAddr::new(remote, 500))?;
    let local_ip = probe.local_addr()?.ip();
    UdpSocket::bind(SocketAddr::new(local_ip, 0))
}

/// Runs `initiator` on `socket` until it is established, closed, or
/// `phase_changed` has been told of every phase. Sends every transmit,
/// feeds every datagram, and calls `handle_timeout` at its deadlines.
pub fn drive(
    initiator: &mut Initiator,
    socket: &UdpSocket,
    mut phase_changed: impl FnMut(Phase, Duration),
) -> io::Result<Outcome> {
    let started = Instant::now();
    let mut buf = vec![0u8; 65_536];
    loop {
        while let Some(t) = initiator.poll_transmit() {
            socket.send_to(&t.payload, t.destination)?;
        }
        while let Some(event) = initiator.poll_event() {
            match event {
                Event::Phase(p) => phase_changed(p, started.elapsed()),
                Event::Established(e) => return Ok(Outcome::Established(e)),
                Event::Closed(r) => return Ok(Outcome::Closed(r)),
                // Only with confirm_sc, which this driver does not set.
                Event::ScProven { .. } => initiator.proceed(Instant::now()),
                // Only once established, which ends this driver.
                Event::ChildRekeyed(_)
                | Event::ChildOutbound { .. }
                | Event::ChildRetired { .. }
                | Event::PathUpdated { .. } => {}
            }
        }
        let now = Instant::now();
        let wait = initiator
            .poll_timeout()
            .map(|d| d.saturating_duration_since(now))
            .unwrap_or(Duration::from_secs(1))
            .max(Duration::from_millis(1));
        socket.set_read_timeout(Some(wait))?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                initiator.handle_datagram(Instant::now(), from, buf.get(..n).unwrap_or_default())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                initiator.handle_timeout(Instant::now());
            }
            // ICMP errors surface on the next receive; retransmission copes.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::HostUnreachable
                        | io::ErrorKind::NetworkUnreachable
                ) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Closes an established connection: DELETE, then waits for its answer.
pub fn close(
    initiator: &mut Initiator,
    socket: &UdpSocket,
) -> io::Result<Result<(), InitiatorError>> {
    initiator.close(Instant::now());
    match drive(initiator, socket, |_, _| {})? {
        Outcome::Closed(r) => Ok(r),
        Outcome::Established(_) => Ok(Ok(())),
    }
}
