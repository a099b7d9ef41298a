//! The anti-replay window (RFC 4303 §3.4.3, Appendix A) on its own and
//! through the inbound SA.

use std::collections::BTreeSet;

use super::*;
use crate::esp::replay::ReplayWindow;
use crate::esp::{Drop, REPLAY_WINDOW};

fn accept(window: &mut ReplayWindow, seq: u64) -> Result<(), Drop> {
    window.check(seq)?;
    window.update(seq);
    Ok(())
}

#[test]
fn in_order_then_duplicates() {
    let mut w = ReplayWindow::new();
    for seq in 1..=10_000 {
        assert_eq!(accept(&mut w, seq), Ok(()), "{seq}");
    }
    assert_eq!(w.top(), 10_000);
    assert_eq!(accept(&mut w, 10_000), Err(Drop::Replayed));
    assert_eq!(accept(&mut w, 10_000 - 4095), Err(Drop::Replayed));
    assert_eq!(accept(&mut w, 10_000 - 4096), Err(Drop::TooOld));
    assert_eq!(accept(&mut w, 0), Err(Drop::TooOld));
}

#[test]
fn reordered_within_window() {
    let mut w = ReplayWindow::new();
    assert_eq!(accept(&mut w, 4097), Ok(()));
    // Every earlier number from 2 up is still inside the window.
    for seq in (2..4097).rev() {
        assert_eq!(accept(&mut w, seq), Ok(()), "{seq}");
    }
    assert_eq!(accept(&mut w, 1), Err(Drop::TooOld));
    for seq in 2..=4097 {
        assert_eq!(accept(&mut w, seq), Err(Drop::Replayed), "{seq}");
    }
}

#[test]
fn edges_of_the_window() {
    let mut w = ReplayWindow::new();
    accept(&mut w, 100_000).unwrap();
    let oldest = 100_000 - (REPLAY_WINDOW - 1);
    assert_eq!(w.check(oldest), Ok(()));
    assert_eq!(w.check(oldest - 1), Err(Drop::TooOld));
    // Moving the top by one word keeps the bits of the words still inside.
    accept(&mut w, oldest + 64).unwrap();
    accept(&mut w, 100_064).unwrap();
    assert_eq!(w.check(oldest + 64), Err(Drop::Replayed));
    assert_eq!(w.check(100_000), Err(Drop::Replayed));
    assert_eq!(w.check(100_063), Ok(()));
}

#[test]
fn far_future_jump_clears_the_window() {
    let mut w = ReplayWindow::new();
    for seq in 1..=10 {
        accept(&mut w, seq).unwrap();
    }
    accept(&mut w, 1_000_000).unwrap();
    assert_eq!(accept(&mut w, 11), Err(Drop::TooOld));
    assert_eq!(accept(&mut w, 999_999), Ok(()));
    assert_eq!(accept(&mut w, 1_000_000 - 4095), Ok(()));
    assert_eq!(accept(&mut w, 1_000_000), Err(Drop::Replayed));
    // A jump of exactly the window, and of one word more.
    accept(&mut w, 1_000_000 + REPLAY_WINDOW).unwrap();
    assert_eq!(w.check(1_000_001), Ok(()));
    accept(&mut w, 1_000_000 + 2 * REPLAY_WINDOW + 64).unwrap();
    assert_eq!(w.check(1_000_000 + REPLAY_WINDOW), Err(Drop::TooOld));
}

/// The window against a set of everything received, over random walks
/// with small and large steps in both directions.
#[test]
fn matches_a_reference_model() {
    let mut rng = Rng::new(42);
    for round in 0..20 {
        let mut w = ReplayWindow::new();
        let mut seen = BTreeSet::new();
        let mut top = 0u64;
        let mut cursor = 1u64 + rng.below(1 << 20) as u64 * round;
        for _ in 0..20_000 {
            let step = match rng.below(10) {
                0 => rng.below(20_000) as u64,
                1..=3 => rng.below(200) as u64,
                _ => rng.below(3) as u64,
            };
            cursor = if rng.below(3) == 0 {
                cursor.saturating_sub(step).max(1)
            } else {
                cursor + step
            };
            let expected = if cursor > top {
                Ok(())
            } else if top - cursor >= REPLAY_WINDOW {
                Err(Drop::TooOld)
            } else if seen.contains(&cursor) {
                Err(Drop::Replayed)
            } else {
                Ok(())
            };
            assert_eq!(accept(&mut w, cursor), expected, "seq {cursor} top {top}");
            if expected.is_ok() {
                seen.insert(cursor);
                top = top.max(cursor);
            }
        }
    }
}

/// RFC 4303 Appendix A2.2: the high half follows the window.
#[test]
fn esn_inference() {
    let mut w = ReplayWindow::new();
    // Case B near zero: numbers "before" the window would be negative.
    assert_eq!(w.infer_esn(1), Some(1));
    assert_eq!(w.infer_esn(u32::MAX), None);
    accept(&mut w, 5).unwrap();
    assert_eq!(w.infer_esn(u32::MAX - 10), None);
    assert_eq!(w.infer_esn(3), Some(3));
    assert_eq!(w.infer_esn(1 << 31), Some(1 << 31));

    // Case A: the window lies inside subspace 7.
    let base = 7u64 << 32;
    accept(&mut w, base + 100_000).unwrap();
    assert_eq!(w.infer_esn(100_000 - 4095), Some(base + 100_000 - 4095));
    assert_eq!(w.infer_esn(100_001), Some(base + 100_001));
    assert_eq!(w.infer_esn(u32::MAX), Some(base + u64::from(u32::MAX)));
    // Below the window: taken to be in the next subspace.
    assert_eq!(
        w.infer_esn(100_000 - 4096),
        Some(base + (1 << 32) + 100_000 - 4096)
    );

    // Case B: the window straddles subspaces 7 and 8.
    let mut w = ReplayWindow::new();
    accept(&mut w, (8u64 << 32) + 10).unwrap();
    assert_eq!(w.infer_esn(5), Some((8 << 32) + 5));
    assert_eq!(w.infer_esn(u32::MAX), Some((8 << 32) - 1));
    assert_eq!(w.infer_esn(u32::MAX - 4084), Some((8 << 32) - 4085));
    assert_eq!(
        w.infer_esn(u32::MAX - 4085),
        Some((8 << 32) + u64::from(u32::MAX - 4085))
    );
}

#[test]
fn through_the_sa_window_moves_only_for_authentic_packets() {
    for suite in all_suites() {
        let (mut out, mut inbound, _) = downlink(suite, 11);
        let inner = ipv4_packet(THEIR_V4, OUR_V4, 17, 20);
        let mut packets = Vec::new();
        for _ in 0..6000 {
            let mut wire = Vec::new();
            out.seal(&inner, &mut wire).unwrap();
            packets.push(wire);
        }
        let mut plain = Vec::new();
        // A forgery far ahead is refused and does not move the window.
        let mut forged = packets[5999].clone();
        let last = forged.len() - 1;
        forged[last] ^= 0x80;
        assert_eq!(
            inbound.open(&forged, None, &mut plain),
            Err(Drop::IntegrityFailed)
        );
        assert_eq!(inbound.highest_seq(), 0);

        // Reordered within the window.
        for i in [9, 3, 0, 5, 1, 2, 4, 8, 7, 6] {
            let d = inbound.open(&packets[i], None, &mut plain).unwrap();
            assert_eq!(d.seq, i as u64 + 1);
        }
        // Duplicates, even with a broken ICV, are refused before the ICV
        // is checked.
        assert_eq!(
            inbound.open(&packets[3], None, &mut plain),
            Err(Drop::Replayed)
        );
        let mut broken = packets[3].clone();
        let last = broken.len() - 1;
        broken[last] ^= 1;
        assert_eq!(inbound.open(&broken, None, &mut plain), Err(Drop::Replayed));
        // Far ahead, then the old ones are too old.
        inbound.open(&packets[5999], None, &mut plain).unwrap();
        // With ESN a number below the window is taken to be in the next
        // 2^32 subspace (RFC 4303 Appendix A2.2), and its ICV then fails.
        let old = if suite.esn {
            Drop::IntegrityFailed
        } else {
            Drop::TooOld
        };
        assert_eq!(inbound.open(&packets[10], None, &mut plain), Err(old));
        inbound
            .open(&packets[5999 - 4095], None, &mut plain)
            .unwrap();
        let c = inbound.counters();
        assert_eq!(
            (c.packets_in, c.replayed, c.too_old + c.integrity_failed),
            (12, 2, 2)
        );
    }
}

#[test]
fn sequence_number_zero_is_never_accepted() {
    for suite in all_suites().into_iter().filter(|s| !s.esn) {
        let (mut out, mut inbound, _) = downlink(suite, 12);
        let mut wire = Vec::new();
        out.seal(&ipv4_packet(THEIR_V4, OUR_V4, 17, 0), &mut wire)
            .unwrap();
        wire[4..8].copy_from_slice(&[0; 4]);
        let mut plain = Vec::new();
        assert_eq!(inbound.open(&wire, None, &mut plain), Err(Drop::TooOld));
    }
}
