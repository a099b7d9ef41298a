//! Editing a resolver file (`/etc/resolv.conf`) in place, and putting the
//! original bytes back.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::DnsError;

/// One edit of a resolver file: what it held before and what was written.
/// Serialisable, so that the undo journal can restore it after a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvConfEdit {
    /// The file.
    pub path: PathBuf,
    /// Its content before the edit.
    #[serde(with = "text_or_hex")]
    pub original: Vec<u8>,
    /// The content written.
    #[serde(with = "text_or_hex")]
    pub written: Vec<u8>,
}

/// What [`ResolvConfEdit::restore`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    /// The original content is back.
    Restored,
    /// The file already held the original content.
    AlreadyOriginal,
    /// Someone else rewrote the file since the edit: their version is
    /// left alone.
    ChangedSince,
    /// The file no longer exists: nothing was written.
    Missing,
}

impl ResolvConfEdit {
    /// Reads the file and computes the new content (see
    /// [`ResolvConfEdit::render`]); writes nothing yet.
    pub fn prepare(
        path: &Path,
        servers: &[IpAddr],
        search_domains: &[String],
        interface_name: &str,
    ) -> Result<Self, DnsError> {
        let original = fs::read(path).map_err(|source| DnsError::Read {
            path: path.to_owned(),
            source,
        })?;
        let written = Self::render(&original, servers, search_domains, interface_name);
        Ok(Self {
            path: path.to_owned(),
            original,
            written,
        })
    }

    /// The tunnel's resolver file: a comment saying who wrote it, the
    /// tunnel's `nameserver`s and `search` domains, and the original's
    /// `options` lines (other lines of the original are dropped: its
    /// servers and domains are the ones being replaced).
    pub fn render(
        original: &[u8],
        servers: &[IpAddr],
        search_domains: &[String],
        interface_name: &str,
    ) -> Vec<u8> {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "# Written by Softwire for the tunnel on {interface_name}; the previous\n\
             # content is put back when the tunnel closes."
        );
        for server in servers {
            let _ = writeln!(out, "nameserver {server}");
        }
        if !search_domains.is_empty() {
            let _ = writeln!(out, "search {}", search_domains.join(" "));
        }
        for line in String::from_utf8_lossy(original).lines() {
            let mut words = line.split_whitespace();
            if words.next() == Some("options") {
                let _ = writeln!(out, "{}", line.trim());
            }
        }
        out.into_bytes()
    }

    /// Writes the new content in place: truncate and write, never a rename
    /// (the file may be a bind mount, where a rename fails with `EBUSY`).
    pub fn write(&self) -> Result<(), DnsError> {
        write_in_place(&self.path, &self.written).map_err(|source| DnsError::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// Puts the original bytes back, in place, if the file still holds
    /// what [`ResolvConfEdit::write`] wrote.
    pub fn restore(&self) -> Result<Restore, DnsError> {
        let current = match fs::read(&self.path) {
            Ok(current) => current,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Restore::Missing),
            Err(source) => {
                return Err(DnsError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        if current == self.original {
            return Ok(Restore::AlreadyOriginal);
        }
        if current != self.written {
            return Ok(Restore::ChangedSince);
        }
        write_in_place(&self.path, &self.original).map_err(|source| DnsError::Write {
            path: self.path.clone(),
            source,
        })?;
        Ok(Restore::Restored)
    }
}

fn write_in_place(path: &Path, content: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?;
    file.write_all(content)?;
    file.sync_all()
}

/// Bytes as a JSON string when they are UTF-8 (readable in the state
/// file), as `{"hex": "..."}` otherwise.
mod text_or_hex {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Text(String),
        Hex { hex: String },
    }

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Stored::Text(text.to_owned()),
            Err(_) => Stored::Hex {
                hex: hex::encode(bytes),
            },
        }
        .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Stored::deserialize(d)? {
            Stored::Text(text) => Ok(text.into_bytes()),
            Stored::Hex { hex } => hex::decode(hex).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_keeps_options_and_replaces_the_rest() {
        let original =
            b"# lab\nnameserver 198.51.100.53\nsearch lab.example\noptions ndots:2 edns0\n";
        let servers: Vec<IpAddr> = vec![
            "192.0.2.53".parse().unwrap(),
            "2001:db8::53".parse().unwrap(),
        ];
        let out = ResolvConfEdit::render(
            original,
            &servers,
            &["corp.example".into(), "example.net".into()],
            "swtun0",
        );
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("# Written by Softwire for the tunnel on swtun0"));
        assert!(out.contains("\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n"));
        assert!(out.contains("\nsearch corp.example example.net\n"));
        assert!(out.ends_with("options ndots:2 edns0\n"));
        assert!(!out.contains("198.51.100.53"));
        assert!(!out.contains("lab.example"));
    }

    #[test]
    fn edits_survive_the_journal_byte_for_byte() {
        let edit = ResolvConfEdit {
            path: "/etc/resolv.conf".into(),
            original: vec![b'n', 0xff, 0xfe, b'\n'],
            written: b"nameserver 192.0.2.53\n".to_vec(),
        };
        let json = serde_json::to_string(&edit).unwrap();
        assert!(json.contains(r#""original":{"hex":"6efffe0a"}"#), "{json}");
        assert!(
            json.contains(r#""written":"nameserver 192.0.2.53\n""#),
            "{json}"
        );
        let back: ResolvConfEdit = serde_json::from_str(&json).unwrap();
        assert_eq!(back, edit);
    }

    #[test]
    fn restore_leaves_a_file_someone_else_rewrote() {
        let dir = std::env::temp_dir().join(format!("swp-resolv-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("resolv.conf");
        let original = b"nameserver 198.51.100.53\r\noptions  rotate \n\n".to_vec();
        fs::write(&path, &original).unwrap();

        let servers = ["192.0.2.53".parse().unwrap()];
        let edit = ResolvConfEdit::prepare(&path, &servers, &[], "swtun0").unwrap();
        edit.write().unwrap();
        assert_eq!(fs::read(&path).unwrap(), edit.written);
        assert_eq!(edit.restore().unwrap(), Restore::Restored);
        assert_eq!(fs::read(&path).unwrap(), original);
        assert_eq!(edit.restore().unwrap(), Restore::AlreadyOriginal);

        edit.write().unwrap();
        fs::write(&path, b"nameserver 203.0.113.53\n").unwrap();
        assert_eq!(edit.restore().unwrap(), Restore::ChangedSince);
        assert_eq!(fs::read(&path).unwrap(), b"nameserver 203.0.113.53\n");

        fs::remove_file(&path).unwrap();
        assert_eq!(edit.restore().unwrap(), Restore::Missing);
        fs::remove_dir(&dir).unwrap();
    }
}
