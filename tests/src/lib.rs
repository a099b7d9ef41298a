//! Helpers for the end-to-end tests: bringing the network-namespace lab up
//! and down, and reading what tcpdump captured in it.

pub mod client;
pub mod lab;
pub mod pair;
pub mod pair_lab;
pub mod pcap;
pub mod session;
