//! The anti-replay window (RFC 4303 §3.4.3, Appendix A) with the ring
//! bitmap of RFC 6479.

use super::Drop;

/// Size of the anti-replay window in packets. RFC 4303 §3.4.3 asks for at
/// least 32 and recommends 64; a tunnel carrying reordered high-rate
/// traffic needs far more, so 4096.
pub const REPLAY_WINDOW: u64 = 4096;

const WORD_BITS: u64 = 64;
/// One word more than the window needs, so that advancing the window clears
/// whole words without ever clearing bits still inside it (RFC 6479 §2).
const WORDS: u64 = REPLAY_WINDOW / WORD_BITS + 1;
const WORDS_USIZE: usize = 65;
const _: () = assert!(WORDS_USIZE as u64 == WORDS);

/// Received sequence numbers: the highest one (`top`) and a bitmap of the
/// [`REPLAY_WINDOW`] numbers up to it. Sequence numbers are 64-bit; without
/// ESN they simply never exceed 2^32 - 1.
#[derive(Clone)]
pub(crate) struct ReplayWindow {
    top: u64,
    bitmap: [u64; WORDS_USIZE],
}

impl core::fmt::Debug for ReplayWindow {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReplayWindow")
            .field("top", &self.top)
            .finish_non_exhaustive()
    }
}

impl ReplayWindow {
    pub(crate) fn new() -> Self {
        Self {
            top: 0,
            bitmap: [0; WORDS_USIZE],
        }
    }

    /// The highest sequence number accepted so far (0 before the first).
    pub(crate) fn top(&self) -> u64 {
        self.top
    }

    /// The full 64-bit sequence number of a packet that carries `low` on the
    /// wire, by RFC 4303 Appendix A2.2: a number within the window keeps the
    /// window's high half (or the one before it, if the window straddles a
    /// 2^32 boundary); anything else is taken to be ahead of the window.
    /// `None` when the result would lie before sequence number 0.
    pub(crate) fn infer_esn(&self, low: u32) -> Option<u64> {
        let (th, tl) = split(self.top);
        // W - 1, the distance from the bottom of the window to its top.
        let span = u32::try_from(REPLAY_WINDOW - 1).unwrap_or(u32::MAX);
        let high = if tl >= span {
            // Case A: the window lies within one 2^32 subspace.
            if low >= tl - span {
                Some(th)
            } else {
                th.checked_add(1)
            }
        } else if low >= tl.wrapping_sub(span) {
            // Case B: the window straddles two subspaces and `low` is in
            // the lower one.
            th.checked_sub(1)
        } else {
            Some(th)
        };
        high.map(|h| (u64::from(h) << 32) | u64::from(low))
    }

    /// The pre-check before integrity verification (RFC 4303 §3.4.3): new,
    /// or inside the window and not yet seen.
    pub(crate) fn check(&self, seq: u64) -> Result<(), Drop> {
        if seq == 0 {
            // The first packet carries 1 (RFC 4303 §3.3.3).
            return Err(Drop::TooOld);
        }
        if seq > self.top {
            return Ok(());
        }
        if self.top - seq >= REPLAY_WINDOW {
            return Err(Drop::TooOld);
        }
        let (word, bit) = position(seq);
        match self.bitmap.get(word) {
            Some(w) if w & bit == 0 => Ok(()),
            _ => Err(Drop::Replayed),
        }
    }

    /// Records `seq` as received, advancing the window if it is new. Only
    /// called after the packet passed its integrity check (RFC 4303
    /// §3.4.3) and [`ReplayWindow::check`].
    pub(crate) fn update(&mut self, seq: u64) {
        if seq > self.top {
            let old_word = self.top / WORD_BITS;
            let new_word = seq / WORD_BITS;
            let advance = new_word - old_word;
            if advance >= WORDS {
                self.bitmap = [0; WORDS_USIZE];
            } else {
                for step in 1..=advance {
                    let index = ring_index(old_word + step);
                    if let Some(w) = self.bitmap.get_mut(index) {
                        *w = 0;
                    }
                }
            }
            self.top = seq;
        }
        let (word, bit) = position(seq);
        if let Some(w) = self.bitmap.get_mut(word) {
            *w |= bit;
        }
    }
}

fn split(seq: u64) -> (u32, u32) {
    let [a, b, c, d, e, f, g, h] = seq.to_be_bytes();
    (
        u32::from_be_bytes([a, b, c, d]),
        u32::from_be_bytes([e, f, g, h]),
    )
}

fn ring_index(word: u64) -> usize {
    // Always < WORDS, so the conversion cannot fail.
    usize::try_from(word % WORDS).unwrap_or(0)
}

fn position(seq: u64) -> (usize, u64) {
    (ring_index(seq / WORD_BITS), 1u64 << (seq % WORD_BITS))
}
