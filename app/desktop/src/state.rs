//! What the shell keeps while it runs (Tauri's managed state).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::notify::Notifier;
use crate::service::ServiceState;
use crate::settings::Settings;
use crate::tray::TrayModel;

/// The shell's state, shared by the commands, the watcher and the tray.
#[derive(Debug)]
pub struct AppState {
    /// The service's socket.
    pub socket: PathBuf,
    service: Mutex<Option<ServiceState>>,
    settings: Mutex<Settings>,
    settings_path: Mutex<Option<PathBuf>>,
    /// What the tray shows.
    pub tray: Mutex<TrayModel>,
    tray_built: AtomicBool,
    /// Notification bookkeeping.
    pub notifier: Notifier,
}

/// Locks `mutex`, also after a panic elsewhere poisoned it (the data
/// here stays consistent: every update is a single assignment).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    /// The state at start, talking to `socket`.
    pub fn new(socket: PathBuf) -> Self {
        Self {
            socket,
            service: Mutex::new(None),
            settings: Mutex::new(Settings::default()),
            settings_path: Mutex::new(None),
            tray: Mutex::new(TrayModel::default()),
            tray_built: AtomicBool::new(false),
            notifier: Notifier::default(),
        }
    }

    /// Records the service's state; returns the one before.
    pub fn replace_service(&self, next: ServiceState) -> Option<ServiceState> {
        lock(&self.service).replace(next)
    }

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Puts `settings` in force (after they were saved).
    pub fn set_settings(&self, settings: Settings) {
        *lock(&self.settings) = settings;
    }

    /// Where the settings live, once known.
    pub fn settings_path(&self) -> Option<PathBuf> {
        lock(&self.settings_path).clone()
    }

    /// Records where the settings live.
    pub fn set_settings_path(&self, path: PathBuf) {
        *lock(&self.settings_path) = Some(path);
    }

    /// Whether the tray icon was made.
    pub fn tray_built(&self) -> bool {
        self.tray_built.load(Ordering::Relaxed)
    }

    /// Records that the tray icon was made.
    pub fn set_tray_built(&self) {
        self.tray_built.store(true, Ordering::Relaxed);
    }
}
