//! UDP encapsulation of ESP (RFC 3948): NAT keepalives.
//!
//! ESP packets travel on the NAT-T port as the whole UDP payload, told
//! apart from IKE by their non-zero SPI where IKE has the four-zero-octet
//! marker (RFC 3948 §2.1–2.2); [`crate::ike::natt::classify_port_4500`]
//! does the receiving side of that.

use std::time::{Duration, Instant};

use crate::ike::natt::NAT_KEEPALIVE;

/// How long the sending side may stay silent before a NAT keepalive is
/// sent: RFC 3948 §4 gives 20 seconds as the default.
pub const NAT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(20);

/// The NAT-keepalive packet: a UDP payload of the single octet 0xFF
/// (RFC 3948 §2.3).
pub const fn keepalive_datagram() -> [u8; 1] {
    [NAT_KEEPALIVE]
}

/// A sans-IO NAT-keepalive timer (RFC 3948 §2.3, §4): a keepalive is due
/// when nothing was sent to the peer for one interval. The driver reports
/// every datagram it sends to the peer's NAT-T port (ESP, IKE or a
/// keepalive) with [`Keepalive::on_sent`], sleeps until
/// [`Keepalive::poll_timeout`], and sends [`keepalive_datagram`] if
/// [`Keepalive::due`].
#[derive(Debug, Clone)]
pub struct Keepalive {
    interval: Duration,
    last_sent: Instant,
}

impl Keepalive {
    /// A timer with the default 20 s interval, counting from `now`.
    pub fn new(now: Instant) -> Self {
        Self::with_interval(now, NAT_KEEPALIVE_INTERVAL)
    }

    /// A timer with another interval (RFC 3948 §4 lets it be configured).
    pub fn with_interval(now: Instant, interval: Duration) -> Self {
        Self {
            interval,
            last_sent: now,
        }
    }

    /// The interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Something was sent to the peer at `now`; times earlier than the last
    /// one reported are ignored.
    pub fn on_sent(&mut self, now: Instant) {
        if now > self.last_sent {
            self.last_sent = now;
        }
    }

    /// When the next keepalive is due if nothing else is sent. An interval
    /// too large for the clock saturates to the last send time plus as
    /// much as fits, in halves of the interval.
    pub fn poll_timeout(&self) -> Instant {
        let mut step = self.interval;
        loop {
            if let Some(deadline) = self.last_sent.checked_add(step) {
                return deadline;
            }
            step /= 2;
            if step.is_zero() {
                return self.last_sent;
            }
        }
    }

    /// Whether a keepalive is due at `now`.
    pub fn due(&self, now: Instant) -> bool {
        now >= self.poll_timeout()
    }
}
