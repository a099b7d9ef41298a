//! IKEv2 cryptographic suites (placeholder, filled in by the crypto work).
