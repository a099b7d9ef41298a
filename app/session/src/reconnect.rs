//! When the connection is lost (the SC stopped answering, deleted our SAs,
//! or the network went away), a new one is negotiated while the tunnel's
//! device, routes and DNS stay in place, so traffic waits in the tunnel
//! instead of leaking out of it. Attempts are spaced by a jittered
//! exponential back-off; errors that another attempt cannot fix (a refused
//! password, a certificate problem) end the session instead.

use std::time::Duration;

use softwire_core::ike::initiator::InitiatorError;

use crate::SessionError;

/// The first wait before reconnecting.
pub const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait between attempts.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// The wait before attempt `attempt` after `error`: none for the first
/// attempt after a network change (the new network is there now), else
/// [`backoff`].
pub fn wait_before(attempt: u32, error: &SessionError, random: u32) -> Duration {
    if attempt == 1 && matches!(error, SessionError::NetworkChanged(_)) {
        Duration::ZERO
    } else {
        backoff(attempt, random)
    }
}

/// The wait before attempt `attempt` (1-based): 1, 2, 4, ... s up to
/// [`MAX_WAIT`], each scaled by a factor in 0.8-1.2 from `random`
/// (`0..=u32::MAX`) so that many clients of one SC do not return in step.
pub fn backoff(attempt: u32, random: u32) -> Duration {
    let doubling = attempt.saturating_sub(1).min(16);
    let base = FIRST_WAIT.saturating_mul(1u32 << doubling).min(MAX_WAIT);
    let factor = 0.8 + 0.4 * (f64::from(random) / f64::from(u32::MAX));
    base.mul_f64(factor)
}

/// Whether another negotiation may succeed where this failure happened.
pub fn is_recoverable(error: &SessionError) -> bool {
    match error {
        SessionError::Ike(e) => matches!(
            e,
            InitiatorError::Timeout { .. }
                | InitiatorError::ScDeleted
                | InitiatorError::Protocol(_)
                | InitiatorError::ScRefused {
                    phase: softwire_core::ike::initiator::Phase::Roaming,
                    ..
                }
        ),
        SessionError::Io(_)
        | SessionError::Resolve(_)
        | SessionError::Discovery(_)
        | SessionError::NetworkChanged(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use softwire_core::ike::initiator::Phase;

    #[test]
    fn waits_double_up_to_the_cap_with_bounded_jitter() {
        let middle = u32::MAX / 2;
        let waits: Vec<u128> = (1..=7)
            .map(|a| (backoff(a, middle).as_millis() + 500) / 1000)
            .collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30]);
        for attempt in 1..=40 {
            let low = backoff(attempt, 0);
            let high = backoff(attempt, u32::MAX);
            let nominal = backoff(attempt, middle);
            assert!(low >= nominal.mul_f64(0.79) && high <= nominal.mul_f64(1.21));
            assert!(high <= MAX_WAIT.mul_f64(1.2));
        }
    }

    #[test]
    fn a_network_change_reconnects_at_once_then_backs_off() {
        let changed = SessionError::NetworkChanged("our address is now 192.0.2.7".into());
        assert!(is_recoverable(&changed));
        assert_eq!(wait_before(1, &changed, 0), Duration::ZERO);
        assert_eq!(wait_before(2, &changed, 0), backoff(2, 0));
        let lost = SessionError::Ike(InitiatorError::ScDeleted);
        assert_eq!(wait_before(1, &lost, 0), backoff(1, 0));
        let refused_move = SessionError::Ike(InitiatorError::ScRefused {
            phase: Phase::Roaming,
            notify: softwire_core::ike::types::NotifyType::UnacceptableAddresses,
        });
        assert!(is_recoverable(&refused_move));
    }

    #[test]
    fn only_failures_a_new_attempt_can_fix_are_retried() {
        let timeout = SessionError::Ike(InitiatorError::Timeout {
            phase: Phase::Liveness,
            tries: 4,
            waited: Duration::from_secs(7),
        });
        assert!(is_recoverable(&timeout));
        assert!(is_recoverable(&SessionError::Ike(
            InitiatorError::ScDeleted
        )));
        assert!(is_recoverable(&SessionError::Io(std::io::Error::other(
            "down"
        ))));
        assert!(!is_recoverable(&SessionError::Ike(
            InitiatorError::AuthenticationFailed
        )));
        assert!(!is_recoverable(&SessionError::Cancelled));
        assert!(!is_recoverable(&SessionError::Platform(
            "device gone".into()
        )));
    }
}
