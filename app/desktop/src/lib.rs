//! The Softwire desktop app's shell: a Tauri 2 app running as the user,
//! around the web front end in `ui/`. It holds no privilege: the tunnel
//! belongs to `softwired`, which the shell talks to over its socket
//! (`softwire_api`), and passwords live in the user's OS keychain. The
//! front end reaches both only through the shell's commands and events,
//! as docs/DESKTOP-IPC.md lays down.
//!
//! - [`commands`]: every command of the contract;
//! - [`service`]: the socket, the short calls, and the watcher that
//!   forwards the service's events;
//! - [`tray`], [`notify`]: the tray icon and desktop notifications;
//! - [`profiles`], [`secrets`], [`settings`], [`errors`]: the rest.
//!
//! Run as `softwire-desktop [--socket PATH]` (else `$SOFTWIRE_SOCKET`,
//! else the service's default socket).

#[cfg(target_os = "linux")]
pub mod bus;
pub mod commands;
pub mod errors;
pub mod logging;
pub mod notify;
pub mod profiles;
pub mod secrets;
pub mod service;
pub mod settings;
pub mod state;
pub mod tray;

use tauri::{AppHandle, Manager, WindowEvent};

use crate::state::AppState;

/// The main window's label (tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";

/// Runs the app until it quits.
pub fn run() {
    let socket = service::socket_path(
        std::env::args().skip(1),
        std::env::var_os("SOFTWIRE_SOCKET"),
    );
    info!(
        "Softwire desktop {} starting; the service's socket: {}",
        env!("CARGO_PKG_VERSION"),
        socket.display()
    );
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .manage(AppState::new(socket))
        .invoke_handler(tauri::generate_handler![
            commands::service_state,
            commands::get_status,
            commands::list_profiles,
            commands::get_profile,
            commands::validate_profile,
            commands::save_profile,
            commands::import_profile,
            commands::remove_profile,
            commands::connect,
            commands::disconnect,
            commands::get_logs,
            commands::secret_saved,
            commands::forget_secret,
            commands::get_settings,
            commands::save_settings,
        ])
        .setup(|app| {
            setup(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == MAIN_WINDOW && tray::available(window.app_handle()) {
                    api.prevent_close();
                    if let Err(e) = window.hide() {
                        warn!("could not hide the window: {e}");
                    }
                }
            }
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        error!("the app failed: {e}");
        std::process::exit(1);
    }
    info!("quit");
}

fn setup(app: &AppHandle) {
    let state = app.state::<AppState>();
    match app.path().app_config_dir() {
        Ok(dir) => {
            let path = dir.join(settings::FILE_NAME);
            let (loaded, why) = settings::load(&path);
            if let Some(why) = why {
                warn!("{why}");
            }
            state.set_settings(loaded);
            state.set_settings_path(path);
        }
        Err(e) => warn!(
            "no configuration directory ({e}); the settings are the defaults and cannot be saved"
        ),
    }
    let settings = state.settings();
    // On Linux the tray library is loaded at run time, and its absence
    // panics inside the tray crates: that must not take the app down.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tray::build(app)));
    match built {
        Ok(Ok(())) => state.set_tray_built(),
        Ok(Err(e)) => warn!("no tray icon: {e}"),
        Err(_) => warn!(
            "no tray icon: the tray library could not be loaded \
             (on Debian and Ubuntu: install libayatana-appindicator3-1)"
        ),
    }
    let tray = tray::available(app);
    info!(
        "tray: {}",
        if tray {
            "shown; closing the window hides it there"
        } else {
            "no tray host; closing the window quits"
        }
    );
    apply_theme(app, settings.theme);
    if settings.start_hidden && tray {
        info!("starting hidden in the tray");
    } else {
        show_main_window(app);
    }
    service::spawn_watcher(app.clone());
}

/// Shows, unminimizes and focuses the main window.
pub fn show_main_window(app: &AppHandle) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        return;
    };
    let shown = window
        .show()
        .and_then(|()| window.unminimize())
        .and_then(|()| window.set_focus());
    if let Err(e) = shown {
        warn!("could not show the window: {e}");
    }
}

/// Applies the colour scheme to the window (its frame and the
/// front end's `prefers-color-scheme`).
pub fn apply_theme(app: &AppHandle, theme: settings::Theme) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        return;
    };
    let theme = match theme {
        settings::Theme::System => None,
        settings::Theme::Light => Some(tauri::Theme::Light),
        settings::Theme::Dark => Some(tauri::Theme::Dark),
    };
    if let Err(e) = window.set_theme(theme) {
        warn!("could not set the window's theme: {e}");
    }
}
