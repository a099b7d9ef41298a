//! Generates the Tauri context (tauri.conf.json, capabilities, icons) and
//! a permission for each of the app's own commands, so that
//! capabilities/main-window.json grants them one by one.

// A build script reports its failure on stderr.
#![allow(clippy::print_stderr)]

/// The commands of docs/DESKTOP-IPC.md (src/commands.rs).
const COMMANDS: &[&str] = &[
    "service_state",
    "get_status",
    "list_profiles",
    "get_profile",
    "validate_profile",
    "save_profile",
    "import_profile",
    "remove_profile",
    "connect",
    "disconnect",
    "get_logs",
    "secret_saved",
    "forget_secret",
    "get_settings",
    "save_settings",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        eprintln!("softwire-desktop build: {e:#}");
        std::process::exit(1);
    }
}
