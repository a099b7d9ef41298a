//! The Softwire desktop app. See the library crate for what it does.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    softwire_desktop::run();
}
