//! The app's settings (`Settings` in docs/DESKTOP-IPC.md): a JSON file in
//! the user's config directory, `app_config_dir()/settings.json`, written
//! whole (a temporary file, then a rename). Nothing secret is ever in it.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name in the app's config directory.
pub const FILE_NAME: &str = "settings.json";

/// The window's colour scheme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the desktop's.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// What the user chose. Absent fields take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The colour scheme.
    pub theme: Theme,
    /// Desktop notifications when a connection fails, reconnects or is
    /// back up.
    pub notifications: bool,
    /// Start with the window hidden in the tray (only when there is a
    /// tray).
    pub start_hidden: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: Theme::System,
            notifications: true,
            start_hidden: false,
        }
    }
}

/// Reads the settings at `path`; the defaults when the file is absent,
/// and (with the reason, for the log) when it cannot be read or parsed.
pub fn load(path: &Path) -> (Settings, Option<String>) {
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(settings) => (settings, None),
            Err(e) => (
                Settings::default(),
                Some(format!(
                    "{} is not valid settings ({e}); using the defaults",
                    path.display()
                )),
            ),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => (Settings::default(), None),
        Err(e) => (
            Settings::default(),
            Some(format!(
                "cannot read {} ({e}); using the defaults",
                path.display()
            )),
        ),
    }
}

/// Writes the settings to `path` whole: a temporary file beside it, then
/// a rename, so a crash never leaves half a file. Creates the directory.
pub fn save(path: &Path, settings: &Settings) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = serde_json::to_vec_pretty(settings).map_err(io::Error::other)?;
    text.push(b'\n');
    let tmp = temporary(path);
    std::fs::write(&tmp, &text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn temporary(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/settings.json");
        let chosen = Settings {
            theme: Theme::Dark,
            notifications: false,
            start_hidden: true,
        };
        save(&path, &chosen).unwrap();
        assert_eq!(load(&path), (chosen.clone(), None));
        assert!(!temporary(&path).exists());
        let text = std::fs::read_to_string(&path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"theme":"dark","notifications":false,"start_hidden":true})
        );
    }

    #[test]
    fn defaults_when_absent_or_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        assert_eq!(load(&path), (Settings::default(), None));
        assert!(Settings::default().notifications);
        assert!(!Settings::default().start_hidden);

        std::fs::write(&path, b"\x00not json{").unwrap();
        let (settings, why) = load(&path);
        assert_eq!(settings, Settings::default());
        assert!(why.unwrap().contains("not valid settings"));

        std::fs::write(&path, br#"{"theme":"purple"}"#).unwrap();
        assert_eq!(load(&path).0, Settings::default());

        // Fields added later are filled in.
        std::fs::write(&path, br#"{"theme":"light"}"#).unwrap();
        let (settings, why) = load(&path);
        assert_eq!(why, None);
        assert_eq!(settings.theme, Theme::Light);
        assert!(settings.notifications);

        // A directory where the file should be: defaults, and why.
        let dir_path = dir.path().join("adir");
        std::fs::create_dir(&dir_path).unwrap();
        let (settings, why) = load(&dir_path);
        assert_eq!(settings, Settings::default());
        assert!(why.is_some());
    }
}
