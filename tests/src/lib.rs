//! Helpers for the end-to-end tests: bringing the network-namespace lab up
//! and down, reading what tcpdump captured in it, and measuring traffic
//! through a tunnel while the lab changes under it.

pub mod client;
pub mod desktop;
pub mod lab;
pub mod pair;
pub mod pair_lab;
pub mod pcap;
pub mod roam;
pub mod service;
pub mod session;
pub mod traffic;
pub mod user;
