//! The saved profiles: one TOML file per profile in `<config>/profiles/`,
//! CA certificates that came with imports in `<config>/ca/`. Files are
//! written whole (temporary file, then rename), so a crash never leaves a
//! half-written profile. Profiles hold no secrets.

use std::io;
use std::path::{Path, PathBuf};

use softwire_api::{
    profile_name_problem, ApiError, ErrorCode, ImportFormat, ProfileSummary, MAX_PROFILE_NAME,
};
use softwire_core::pki::TrustAnchors;
use softwire_core::profile::{import, AuthMethodSetting, Profile, ProfileError};

/// The longest profile name.
pub const MAX_NAME: usize = MAX_PROFILE_NAME;

/// The profile directory.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    profiles: PathBuf,
    ca: PathBuf,
}

/// A profile file that does not parse: (file, problem).
pub type Unreadable = (String, String);

/// A profile saved, and what could not be carried over into it.
#[derive(Debug)]
pub struct Saved {
    /// Its name.
    pub name: String,
    /// Warnings from an import.
    pub warnings: Vec<String>,
}

impl ProfileStore {
    /// The store under `config_dir`, created if missing.
    pub fn open(config_dir: &Path) -> io::Result<Self> {
        let store = Self {
            profiles: config_dir.join("profiles"),
            ca: config_dir.join("ca"),
        };
        for dir in [&store.profiles, &store.ca] {
            std::fs::create_dir_all(dir)?;
            // Readable by all (profiles hold no secrets), whatever the
            // service's umask.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
            }
        }
        Ok(store)
    }

    /// The profiles that parse, in name order; the files that do not are
    /// returned as (file, problem).
    pub fn list(&self) -> io::Result<(Vec<ProfileSummary>, Vec<Unreadable>)> {
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for entry in std::fs::read_dir(&self.profiles)? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let file = path.display().to_string();
            match read_profile(&path) {
                Ok(p) => good.push(summary(&p)),
                Err(e) => bad.push((file, e.message)),
            }
        }
        good.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((good, bad))
    }

    /// One profile and its text.
    pub fn get(&self, name: &str) -> Result<(Profile, String), ApiError> {
        let path = self.path(name)?;
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                no_such(name)
            } else {
                internal(&path, &e)
            }
        })?;
        let profile = Profile::from_toml(&text).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidProfile,
                format!("{}: {e}", path.display()),
            )
        })?;
        Ok((profile, text))
    }

    /// Saves a profile given as TOML, with the CA certificates (PEM) its
    /// SC must chain to when they come along: those are checked, kept as
    /// `ca/NAME.pem` and named in `sc.ca`.
    pub fn save_toml(
        &self,
        text: &str,
        replace: bool,
        ca_pem: Option<&str>,
    ) -> Result<Saved, ApiError> {
        let invalid = |e: ProfileError| ApiError::new(ErrorCode::InvalidProfile, e.to_string());
        let mut profile: Profile =
            toml::from_str(text).map_err(|e| invalid(ProfileError::Syntax(e.to_string())))?;
        if ca_pem.is_none() {
            profile.validate().map_err(invalid)?;
        }
        if let Some(pem) = ca_pem {
            TrustAnchors::from_pem(pem.as_bytes()).map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidProfile,
                    format!("the CA certificate cannot be used: {e}"),
                )
                .with_hint("choose the CA's certificate in PEM form (BEGIN CERTIFICATE)")
            })?;
            if self.path(&profile.name)?.exists() && !replace {
                return Err(exists(&profile.name));
            }
            let ca_path = self.ca_path(&profile.name)?;
            profile.sc.ca = Some(ca_path.display().to_string());
            profile.validate().map_err(invalid)?;
            write_whole(&ca_path, pem.as_bytes()).map_err(|e| internal(&ca_path, &e))?;
        }
        self.save(&profile, replace)?;
        Ok(Saved {
            name: profile.name,
            warnings: Vec::new(),
        })
    }

    /// Converts another client's profile and saves it, with the CA
    /// certificate it carried.
    pub fn import(
        &self,
        format: ImportFormat,
        content: &[u8],
        name: Option<String>,
        replace: bool,
    ) -> Result<Saved, ApiError> {
        let format = match format {
            ImportFormat::Sswan => import::ImportFormat::Sswan,
            ImportFormat::Mobileconfig => import::ImportFormat::MobileConfig,
        };
        let imported = import::import(format, content)
            .map_err(|e| ApiError::new(ErrorCode::ImportFailed, e.to_string()))?;
        let mut profile = imported.profile;
        if let Some(name) = name {
            profile.name = name;
        }
        let path = self.path(&profile.name)?;
        if path.exists() && !replace {
            return Err(exists(&profile.name));
        }
        if !imported.ca_certificates.is_empty() {
            let ca_path = self.ca_path(&profile.name)?;
            let pem = to_pem(&imported.ca_certificates);
            write_whole(&ca_path, pem.as_bytes()).map_err(|e| internal(&ca_path, &e))?;
            profile.sc.ca = Some(ca_path.display().to_string());
        }
        profile
            .validate()
            .map_err(|e| ApiError::new(ErrorCode::ImportFailed, e.to_string()))?;
        self.save(&profile, true)?;
        Ok(Saved {
            name: profile.name,
            warnings: imported.warnings,
        })
    }

    /// Removes a profile (and the CA file an import left for it).
    pub fn remove(&self, name: &str) -> Result<(), ApiError> {
        let path = self.path(name)?;
        std::fs::remove_file(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                no_such(name)
            } else {
                internal(&path, &e)
            }
        })?;
        let ca = self.ca_path(name)?;
        match std::fs::remove_file(&ca) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(internal(&ca, &e)),
        }
    }

    fn save(&self, profile: &Profile, replace: bool) -> Result<(), ApiError> {
        let path = self.path(&profile.name)?;
        if path.exists() && !replace {
            return Err(exists(&profile.name));
        }
        let text = profile
            .to_toml()
            .map_err(|e| ApiError::new(ErrorCode::InvalidProfile, e.to_string()))?;
        write_whole(&path, text.as_bytes()).map_err(|e| internal(&path, &e))
    }

    fn path(&self, name: &str) -> Result<PathBuf, ApiError> {
        check_name(name)?;
        Ok(self.profiles.join(format!("{name}.toml")))
    }

    fn ca_path(&self, name: &str) -> Result<PathBuf, ApiError> {
        check_name(name)?;
        Ok(self.ca.join(format!("{name}.pem")))
    }
}

/// Refuses a name that would not make a plain file name on every OS
/// ([`softwire_api::profile_name_problem`] says why).
pub fn check_name(name: &str) -> Result<(), ApiError> {
    match profile_name_problem(name) {
        None => Ok(()),
        Some(problem) => Err(ApiError::new(
            ErrorCode::InvalidProfile,
            format!("profile name {:?} {problem}", truncate(name)),
        )),
    }
}

/// A name as far as messages show it.
fn truncate(s: &str) -> String {
    s.chars().take(MAX_NAME + 8).collect()
}

fn read_profile(path: &Path) -> Result<Profile, ApiError> {
    let text = std::fs::read_to_string(path).map_err(|e| internal(path, &e))?;
    Profile::from_toml(&text).map_err(|e| ApiError::new(ErrorCode::InvalidProfile, e.to_string()))
}

fn summary(p: &Profile) -> ProfileSummary {
    ProfileSummary {
        name: p.name.clone(),
        sc: p.sc.address.clone(),
        method: match p.auth.method {
            AuthMethodSetting::EapMschapv2 => "eap-mschapv2",
            AuthMethodSetting::Psk => "psk",
            AuthMethodSetting::Certificate => "certificate",
        }
        .to_owned(),
        identity: p.auth.identity.clone(),
        needs_secret: needs_secret(p),
    }
}

/// Whether connecting needs a password or pre-shared key.
pub fn needs_secret(p: &Profile) -> bool {
    p.auth.method != AuthMethodSetting::Certificate
}

fn no_such(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchProfile,
        format!("no profile named {:?}", truncate(name)),
    )
    .with_hint("`softwire profiles list` shows the saved ones")
}

fn exists(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ProfileExists,
        format!("a profile named {name:?} exists already"),
    )
    .with_hint("add --replace to overwrite it, or save it under another name")
}

fn internal(path: &Path, e: &io::Error) -> ApiError {
    ApiError::new(ErrorCode::Internal, format!("{}: {e}", path.display()))
}

/// Writes a file whole: a temporary file beside it, then a rename.
fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644))?;
    }
    std::fs::rename(&tmp, path)
}

fn to_pem(certificates: &[Vec<u8>]) -> String {
    use base64::Engine;
    let mut out = String::new();
    for der in certificates {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        for chunk in text.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("Office").is_ok());
        assert!(check_name("Home VPN (backup)").is_ok());
        assert!(check_name("Büro").is_ok());
        for bad in ["", ".hidden", "a/b", "../x", "a\\b", "x\n", "trailing "] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"x".repeat(MAX_NAME + 1)).is_err());
    }

    #[test]
    fn save_list_get_remove() {
        let dir = std::env::temp_dir().join(format!("softwire-store-{}", std::process::id()));
        let store = ProfileStore::open(&dir).unwrap();
        let text = "name = \"Lab\"\n[sc]\naddress = \"203.0.113.10\"\nca = \"system\"\n[auth]\nmethod = \"eap-mschapv2\"\nidentity = \"alice@example.net\"\n";
        let saved = store.save_toml(text, false, None).unwrap();
        assert_eq!(saved.name, "Lab");
        let e = store.save_toml(text, false, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::ProfileExists);
        assert!(store.save_toml(text, true, None).is_ok());
        std::fs::write(dir.join("profiles/broken.toml"), "name = 1").unwrap();
        let (list, bad) = store.list().unwrap();
        assert_eq!(list.len(), 1);
        assert!(list[0].needs_secret);
        assert_eq!(bad.len(), 1, "{bad:?}");
        let (p, _) = store.get("Lab").unwrap();
        assert_eq!(p.auth.identity, "alice@example.net");
        store.remove("Lab").unwrap();
        assert_eq!(store.get("Lab").unwrap_err().code, ErrorCode::NoSuchProfile);
        let e = store
            .save_toml("name = \"x\"\n[sc]\naddress = \"\"\n", false, None)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidProfile);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_ca_sent_with_a_profile_is_checked_and_kept_beside_it() {
        let dir = std::env::temp_dir().join(format!("softwire-store-ca-{}", std::process::id()));
        let store = ProfileStore::open(&dir).unwrap();
        let text = "name = \"Lab\"\n[sc]\naddress = \"203.0.113.10\"\n[auth]\nmethod = \"eap-mschapv2\"\nidentity = \"alice@example.net\"\n";
        let bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let e = store.save_toml(text, false, Some(bad)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidProfile);
        assert!(e.message.contains("CA certificate"), "{e:?}");
        let e = store.save_toml(text, false, Some("not PEM")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidProfile);
        assert!(store.get("Lab").is_err(), "nothing saved after a refusal");

        let ca = rcgen::generate_simple_self_signed(vec!["ca.example.net".to_owned()]).unwrap();
        let pem = ca.cert.pem();
        store.save_toml(text, false, Some(&pem)).unwrap();
        let (profile, _) = store.get("Lab").unwrap();
        let ca_path = dir.join("ca/Lab.pem");
        assert_eq!(profile.sc.ca.as_deref(), Some(ca_path.to_str().unwrap()));
        assert_eq!(std::fs::read_to_string(&ca_path).unwrap(), pem);
        store.remove("Lab").unwrap();
        assert!(!ca_path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
