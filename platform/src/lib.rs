//! Softwire's operating-system shims.
//!
//! Each OS concern (packet device, routes, DNS, leak protection, network
//! changes, DHCP socket, keychain) will sit behind one trait here, with
//! `cfg(target_os)` modules for Linux, Windows and macOS. Nothing is
//! implemented yet: the first shim (the Linux TUN device, routes and DNS)
//! arrives with the first tunnel. This crate exists now so the workspace
//! already shows where OS code goes and so CI type-checks it from day one.
