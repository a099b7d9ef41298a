//! Softwire's operating-system shims.
//!
//! Each OS concern (packet device, routes, DNS, leak protection, network
//! changes, DHCP socket, keychain, trust store) sits behind one facade here,
//! with `cfg(target_os)` code kept inside it. Today: the system trust store.
//! The packet device, routes and DNS arrive with the first tunnel.

pub mod trust_store;
