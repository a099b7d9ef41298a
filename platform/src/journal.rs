//! The undo journal: a small JSON state file listing every change made to
//! the system, written *before* each change, so that the next start can
//! undo what a crashed run left behind.
//!
//! Format (version 1):
//!
//! ```json
//! {
//!   "format": "softwire-network-journal",
//!   "version": 1,
//!   "pid": 4242,
//!   "changes": [
//!     { "device": { "interface": { "name": "swtun0", "index": 7 } } },
//!     { "address": { "interface": { "name": "swtun0", "index": 7 }, "address": "192.0.2.10/32" } },
//!     { "route": { "route": { "destination": "203.0.113.1/32", "gateway": "198.51.100.1",
//!                              "interface": { "name": "eth0", "index": 2 } } } },
//!     { "route": { "route": { "destination": "0.0.0.0/1", "interface": { "name": "swtun0", "index": 7 } } } },
//!     { "resolv_conf": { "edit": { "path": "/etc/resolv.conf",
//!                                  "original": "nameserver 198.51.100.53\n",
//!                                  "written": "# Written by Softwire ...\nnameserver 192.0.2.53\n" } } },
//!     { "resolved_link": { "interface": { "name": "swtun0", "index": 7 } } }
//!   ]
//! }
//! ```
//!
//! Changes are undone last first. After a network change the SC's host
//! route may be moved ([`crate::TunnelConfigurator::refresh_outer_route`]):
//! its entry is then replaced in place by the new route once the old one
//! is gone from the system, and before the new one is added. File contents are JSON strings when they
//! are UTF-8 and `{"hex": "..."}` otherwise, so they come back byte for
//! byte. The file is replaced atomically (written beside it, then renamed)
//! and synced on every update.

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::IpPrefix;
use crate::device::Interface;
use crate::dns::ResolvConfEdit;
use crate::routes::Route;
use crate::tunnel::TunnelError;

/// The `format` field's value.
pub const STATE_FORMAT: &str = "softwire-network-journal";
/// The format version written.
pub const STATE_VERSION: u32 = 1;

/// One change made to the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A packet device was created.
    Device {
        /// The device.
        interface: Interface,
    },
    /// An address was added.
    Address {
        /// Where.
        interface: Interface,
        /// The address.
        address: IpPrefix,
    },
    /// A route was added.
    Route {
        /// The route.
        route: Route,
    },
    /// A resolver file was rewritten.
    ResolvConf {
        /// What it held and what was written.
        edit: ResolvConfEdit,
    },
    /// A link's DNS settings were set in systemd-resolved.
    ResolvedLink {
        /// The link.
        interface: Interface,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Device { interface } => write!(f, "packet device {interface}"),
            Self::Address { interface, address } => write!(f, "address {address} on {interface}"),
            Self::Route { route } => write!(f, "route {route}"),
            Self::ResolvConf { edit } => write!(f, "DNS settings in {}", edit.path.display()),
            Self::ResolvedLink { interface } => {
                write!(f, "systemd-resolved DNS settings of {interface}")
            }
        }
    }
}

/// The state file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFile {
    /// Always [`STATE_FORMAT`].
    pub format: String,
    /// [`STATE_VERSION`] when written by this version.
    pub version: u32,
    /// The process that made the changes.
    pub pid: u32,
    /// The changes, in the order they were made.
    pub changes: Vec<Change>,
}

/// Reads a state file; `None` when there is none.
pub fn read_state(path: &Path) -> Result<Option<StateFile>, TunnelError> {
    let text = match fs::read(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(TunnelError::StateRead {
                path: path.to_owned(),
                source,
            })
        }
    };
    let corrupt = |detail: String| TunnelError::StateCorrupt {
        path: path.to_owned(),
        detail,
    };
    let state: StateFile = serde_json::from_slice(&text).map_err(|e| corrupt(e.to_string()))?;
    if state.format != STATE_FORMAT {
        return Err(corrupt(format!("its format is '{}'", state.format)));
    }
    if state.version != STATE_VERSION {
        return Err(corrupt(format!(
            "its version is {} (this build reads {STATE_VERSION})",
            state.version
        )));
    }
    Ok(Some(state))
}

/// A state file being kept up to date.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    state: StateFile,
    /// Whether the file exists (it is deleted once everything is undone).
    on_disk: bool,
}

impl Journal {
    /// Starts a new journal; refuses when the file exists already (a
    /// previous run's changes are still to be recovered).
    pub(crate) fn create(path: &Path) -> Result<Self, TunnelError> {
        let state = StateFile {
            format: STATE_FORMAT.to_owned(),
            version: STATE_VERSION,
            pid: std::process::id(),
            changes: Vec::new(),
        };
        let write_failed = |source| TunnelError::StateWrite {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(write_failed)?;
        }
        let mut file = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                return Err(TunnelError::StateExists {
                    path: path.to_owned(),
                })
            }
            Err(err) => return Err(write_failed(err)),
        };
        let text =
            serde_json::to_vec_pretty(&state).map_err(|e| write_failed(io::Error::other(e)))?;
        file.write_all(&text)
            .and_then(|()| file.sync_all())
            .map_err(write_failed)?;
        Ok(Self {
            path: path.to_owned(),
            state,
            on_disk: true,
        })
    }

    /// Opens an existing journal (for recovery).
    pub(crate) fn open(path: &Path) -> Result<Option<Self>, TunnelError> {
        Ok(read_state(path)?.map(|state| Self {
            path: path.to_owned(),
            state,
            on_disk: true,
        }))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn changes(&self) -> &[Change] {
        &self.state.changes
    }

    /// Whether the file still exists (changes may remain).
    pub(crate) fn is_live(&self) -> bool {
        self.on_disk
    }

    /// Records a change about to be made.
    pub(crate) fn record(&mut self, change: Change) -> Result<(), TunnelError> {
        self.state.changes.push(change);
        self.save()
    }

    /// Where `change` is in the journal (its last occurrence).
    pub(crate) fn find(&self, change: &Change) -> Option<usize> {
        self.state.changes.iter().rposition(|c| c == change)
    }

    /// Replaces the change at `index` (one that was reverted) by one about
    /// to be made; the journal is left as it was if it cannot be saved.
    pub(crate) fn replace(&mut self, index: usize, change: Change) -> Result<(), TunnelError> {
        let Some(slot) = self.state.changes.get_mut(index) else {
            return self.record(change);
        };
        let old = std::mem::replace(slot, change);
        let saved = self.save();
        if saved.is_err() {
            if let Some(slot) = self.state.changes.get_mut(index) {
                *slot = old;
            }
        }
        saved
    }

    /// Forgets the last change (it turned out not to be ours to undo).
    pub(crate) fn forget_last(&mut self) -> Result<(), TunnelError> {
        self.state.changes.pop();
        self.save()
    }

    /// Forgets the change at `index` (it has been undone).
    pub(crate) fn forget(&mut self, index: usize) -> Result<(), TunnelError> {
        if index < self.state.changes.len() {
            self.state.changes.remove(index);
        }
        self.save()
    }

    /// Deletes the file: nothing is left to undo.
    pub(crate) fn finish(&mut self) -> Result<(), TunnelError> {
        match fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(TunnelError::StateWrite {
                    path: self.path.clone(),
                    source,
                })
            }
        }
        self.on_disk = false;
        Ok(())
    }

    fn save(&self) -> Result<(), TunnelError> {
        let failed = |source| TunnelError::StateWrite {
            path: self.path.clone(),
            source,
        };
        let text =
            serde_json::to_vec_pretty(&self.state).map_err(|e| failed(io::Error::other(e)))?;
        let mut temp_name = self.path.file_name().unwrap_or_default().to_os_string();
        temp_name.push(".new");
        let temp = self.path.with_file_name(temp_name);
        let mut file = fs::File::create(&temp).map_err(failed)?;
        file.write_all(&text)
            .and_then(|()| file.sync_all())
            .map_err(failed)?;
        fs::rename(&temp, &self.path).map_err(failed)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable; not every file system lets a
            // directory be synced, and the data is already safe.
            if let Ok(dir) = fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_state(name: &str) -> PathBuf {
        std::env::temp_dir()
            .join(format!("swp-journal-{}-{name}", std::process::id()))
            .join("state.json")
    }

    fn interface() -> Interface {
        Interface {
            name: "swtun0".into(),
            index: 7,
        }
    }

    #[test]
    fn a_journal_is_written_before_and_refuses_to_start_twice() {
        let path = temp_state("twice");
        let mut journal = Journal::create(&path).unwrap();
        assert_eq!(read_state(&path).unwrap().unwrap().changes, []);

        journal
            .record(Change::Device {
                interface: interface(),
            })
            .unwrap();
        journal
            .record(Change::Address {
                interface: interface(),
                address: "2001:db8::10/64".parse().unwrap(),
            })
            .unwrap();
        let state = read_state(&path).unwrap().unwrap();
        assert_eq!(state.format, STATE_FORMAT);
        assert_eq!(state.version, STATE_VERSION);
        assert_eq!(state.pid, std::process::id());
        assert_eq!(state.changes, journal.changes());
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""address": "2001:db8::10/64""#), "{text}");

        assert!(matches!(
            Journal::create(&path),
            Err(TunnelError::StateExists { .. })
        ));

        let route = |gateway: &str| Change::Route {
            route: Route {
                destination: "203.0.113.1/32".parse().unwrap(),
                gateway: Some(gateway.parse().unwrap()),
                interface: interface(),
            },
        };
        journal.record(route("198.51.100.1")).unwrap();
        assert_eq!(journal.find(&route("198.51.100.1")), Some(2));
        journal.replace(2, route("203.0.113.129")).unwrap();
        assert_eq!(journal.find(&route("198.51.100.1")), None);
        assert_eq!(
            read_state(&path).unwrap().unwrap().changes.get(2),
            Some(&route("203.0.113.129"))
        );
        journal.forget_last().unwrap();

        journal.forget_last().unwrap();
        assert_eq!(read_state(&path).unwrap().unwrap().changes.len(), 1);
        journal.forget(0).unwrap();
        journal.finish().unwrap();
        assert!(!path.exists());
        assert!(read_state(&path).unwrap().is_none());
        fs::remove_dir(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn foreign_or_future_state_files_are_refused() {
        let path = temp_state("foreign");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        for (text, expected) in [
            (
                r#"{"format":"other","version":1,"pid":1,"changes":[]}"#,
                "its format is 'other'",
            ),
            (
                r#"{"format":"softwire-network-journal","version":2,"pid":1,"changes":[]}"#,
                "its version is 2",
            ),
            ("not json", "expected"),
        ] {
            fs::write(&path, text).unwrap();
            let err = read_state(&path).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
        fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
