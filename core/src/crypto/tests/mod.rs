//! Known-answer and negative tests for the crypto module.
//!
//! Every vector is copied from a published source named next to it.

mod dh;
mod kdf;
mod prf_integ;
mod sk;
mod symmetric;

/// Decodes hex, ignoring whitespace (vectors are kept in their published
/// grouping).
pub(super) fn h(s: &str) -> Vec<u8> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(compact).unwrap()
}
