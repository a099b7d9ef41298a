//! `softwire`, the command-line client.
#![allow(clippy::print_stdout, clippy::print_stderr)]

fn main() {
    println!("softwire {}", env!("CARGO_PKG_VERSION"));
}
