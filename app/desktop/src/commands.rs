//! The commands the front end calls with `invoke`: every command of the
//! contract between the shell and the front end, docs/DESKTOP-IPC.md
//! (names, arguments and results as it says; arguments are camelCase in
//! JavaScript). Every failure rejects with an [`AppError`].

use serde::Serialize;
use softwire_api::{
    DownReason, ImportFormat, LogLine, ProfileSummary, Reply, Request, Secret, State as ConnState,
    Status, Step,
};
use softwire_core::profile::Profile;
use softwire_platform::keychain::KeychainError;
use tauri::{AppHandle, Manager};

use crate::errors::{code, AppError};
use crate::profiles::{self, FieldProblem};
use crate::service::{self, ServiceState, CALL_TIMEOUT, DISCONNECT_TIMEOUT};
use crate::settings::{self, Settings};
use crate::state::AppState;
use crate::{info, notify, secrets, tray, warn};

/// The most log lines one `get_logs` asks for.
const MAX_LOG_LINES: usize = 10_000;

/// `Saved` of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Saved {
    /// The name it was saved under.
    pub name: String,
    /// What could not be carried over, in words.
    pub warnings: Vec<String>,
}

/// The answer to `disconnect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Disconnected {
    /// Whether a connection was there to end.
    pub was_connected: bool,
}

fn socket(app: &AppHandle) -> std::path::PathBuf {
    app.state::<AppState>().socket.clone()
}

async fn call(app: &AppHandle, request: Request) -> Result<Reply, AppError> {
    service::call(&socket(app), request, CALL_TIMEOUT).await
}

fn saved(reply: Reply) -> Result<Saved, AppError> {
    match reply {
        Reply::Saved { name, warnings } => Ok(Saved { name, warnings }),
        other => Err(service::unexpected(&other)),
    }
}

/// Brings the tray's profile list up to date after a change.
async fn refresh_profiles(app: &AppHandle) {
    match service::list_profiles(&socket(app)).await {
        Ok(list) => tray::set_profiles(app, list),
        Err(e) => warn!("could not list the profiles for the tray: {e}"),
    }
}

/// `service_state`: whether the service answers now.
#[tauri::command]
pub async fn service_state(app: AppHandle) -> Result<ServiceState, AppError> {
    Ok(service::probe(&socket(&app)).await)
}

/// `get_status`: the connection's status.
#[tauri::command]
pub async fn get_status(app: AppHandle) -> Result<Status, AppError> {
    service::status(&socket(&app)).await
}

/// `list_profiles`: the saved profiles, in name order.
#[tauri::command]
pub async fn list_profiles(app: AppHandle) -> Result<Vec<ProfileSummary>, AppError> {
    let list = service::list_profiles(&socket(&app)).await?;
    tray::set_profiles(&app, list.clone());
    Ok(list)
}

/// `get_profile`: one profile as the editor's object.
#[tauri::command]
pub async fn get_profile(app: AppHandle, name: String) -> Result<Profile, AppError> {
    match call(&app, Request::ShowProfile { name }).await? {
        Reply::Profile { toml, .. } => {
            Profile::from_toml(&toml).map_err(|e| AppError::from(FieldProblem::from(e)))
        }
        other => Err(service::unexpected(&other)),
    }
}

/// `validate_profile`: `null` when the profile is valid, else the field
/// at fault and what is wrong, by the service's own checks. An optional
/// `caPem` (as for `save_profile`) counts as a CA.
#[tauri::command]
pub async fn validate_profile(
    profile: serde_json::Value,
    ca_pem: Option<String>,
) -> Result<Option<FieldProblem>, AppError> {
    Ok(profiles::check(&profile, ca_pem.is_some()).err())
}

/// `save_profile`: saves a new or edited profile. With `previousName`
/// different from the profile's name (a rename), the profile is saved
/// under the new name first (never replacing another), then the old one
/// is removed, and its keychain entry and CA file move along.
#[tauri::command]
pub async fn save_profile(
    app: AppHandle,
    profile: serde_json::Value,
    replace: bool,
    previous_name: Option<String>,
    ca_pem: Option<String>,
) -> Result<Saved, AppError> {
    let profile = profiles::check(&profile, ca_pem.is_some())?;
    let result = match previous_name.filter(|old| *old != profile.name) {
        None => {
            let toml = profile.to_toml().map_err(FieldProblem::from)?;
            saved(
                call(
                    &app,
                    Request::SaveProfile {
                        toml,
                        replace,
                        ca_pem,
                    },
                )
                .await?,
            )
        }
        Some(old) => rename(&app, profile, old, ca_pem).await,
    };
    refresh_profiles(&app).await;
    let done = result?;
    info!("saved the profile \"{}\"", done.name);
    Ok(done)
}

async fn rename(
    app: &AppHandle,
    profile: Profile,
    old: String,
    mut ca_pem: Option<String>,
) -> Result<Saved, AppError> {
    let status = service::status(&socket(app)).await?;
    let busy = matches!(
        status.state,
        ConnState::Connecting | ConnState::Up | ConnState::Reconnecting | ConnState::Disconnecting
    );
    if busy && status.profile.as_deref() == Some(old.as_str()) {
        return Err(AppError::new(
            code::IN_USE,
            format!("the profile \"{old}\" is connected, so it cannot be renamed"),
        )
        .with_hint("disconnect first"));
    }
    // The service removes the CA file it keeps for a profile with the
    // profile: send its certificates along so the new name gets its own.
    if ca_pem.is_none() {
        if let Some(ca) = profile
            .sc
            .ca
            .clone()
            .filter(|ca| profiles::is_service_ca_of(ca, &old))
        {
            let read = tauri::async_runtime::spawn_blocking({
                let ca = ca.clone();
                move || std::fs::read_to_string(ca)
            })
            .await;
            match read {
                Ok(Ok(pem)) => ca_pem = Some(pem),
                Ok(Err(e)) => {
                    return Err(AppError::new(
                        code::INVALID_INPUT,
                        format!(
                            "cannot read the CA certificate {ca} to keep it for the new name: {e}"
                        ),
                    )
                    .with_field("sc.ca")
                    .with_hint("choose the CA certificate again"))
                }
                Err(e) => return Err(AppError::new(code::SERVICE, e.to_string())),
            }
        }
    }
    let toml = profile.to_toml().map_err(FieldProblem::from)?;
    let mut done = saved(
        call(
            app,
            Request::SaveProfile {
                toml,
                replace: false,
                ca_pem,
            },
        )
        .await?,
    )?;
    info!("renamed the profile \"{old}\" to \"{}\"", done.name);
    if let Err(e) = call(app, Request::RemoveProfile { name: old.clone() }).await {
        done.warnings.push(format!(
            "the profile was saved as \"{}\", but \"{old}\" could not be removed: {}",
            done.name, e.message
        ));
    }
    match secrets::rename(old.clone(), done.name.clone()).await {
        Ok(_) | Err(KeychainError::NoBackend(_)) => {}
        Err(e) => done.warnings.push(format!(
            "the password saved for \"{old}\" could not be moved to \"{}\": {e}",
            done.name
        )),
    }
    Ok(done)
}

/// `import_profile`: converts a strongSwan `.sswan` or Apple
/// `.mobileconfig` file and saves it. Files over 60 KiB are refused here
/// (the service's requests are at most 64 KiB).
#[tauri::command]
pub async fn import_profile(
    app: AppHandle,
    format: serde_json::Value,
    content: String,
    name: Option<String>,
    replace: bool,
) -> Result<Saved, AppError> {
    let format: ImportFormat = serde_json::from_value(format).map_err(|_| {
        AppError::new(
            code::INVALID_INPUT,
            "the format must be \"sswan\" or \"mobileconfig\"",
        )
    })?;
    profiles::check_import_size(format, &content, name.as_deref())?;
    if let Some(name) = &name {
        profiles::check_name(name).map_err(|problem| {
            AppError::new(code::INVALID_INPUT, format!("name: {problem}")).with_field("name")
        })?;
    }
    let request = Request::ImportProfile {
        format,
        content,
        name,
        replace,
    };
    let result = call(&app, request).await.and_then(saved);
    refresh_profiles(&app).await;
    let done = result?;
    info!("imported the profile \"{}\"", done.name);
    Ok(done)
}

/// `remove_profile`: removes a profile, and its password from the
/// keychain.
#[tauri::command]
pub async fn remove_profile(app: AppHandle, name: String) -> Result<(), AppError> {
    let result = call(&app, Request::RemoveProfile { name: name.clone() }).await;
    refresh_profiles(&app).await;
    match result? {
        Reply::Removed { .. } => {}
        other => return Err(service::unexpected(&other)),
    }
    info!("removed the profile \"{name}\"");
    match secrets::clear(name.clone()).await {
        Ok(_) | Err(KeychainError::NoBackend(_)) => {}
        Err(e) => warn!("could not remove the password of \"{name}\" from the keychain: {e}"),
    }
    Ok(())
}

/// `connect`: connects with a profile. With `secret` and `remember`, the
/// secret is saved in the keychain first; with `secret` alone it serves
/// this attempt only; without one, the keychain's is used when the
/// profile needs one (none: `secret_needed`). Progress comes as events.
#[tauri::command]
pub async fn connect(
    app: AppHandle,
    profile: String,
    secret: Option<Secret>,
    remember: bool,
) -> Result<(), AppError> {
    connect_profile(&app, profile, secret, remember).await
}

fn secret_needed(profile: &str, keychain: Option<KeychainError>) -> AppError {
    let message = match keychain {
        None => format!("the profile \"{profile}\" needs a password or pre-shared key, and the keychain has none for it"),
        Some(e) => format!("the profile \"{profile}\" needs a password or pre-shared key, and the keychain could not be read: {e}"),
    };
    AppError::new(code::SECRET_NEEDED, message).with_hint("enter it to connect")
}

async fn connect_profile(
    app: &AppHandle,
    profile: String,
    secret: Option<Secret>,
    remember: bool,
) -> Result<(), AppError> {
    let (secret, source) = match secret.filter(|s| !s.is_empty()) {
        Some(secret) if remember => {
            secrets::store(profile.clone(), secret.clone()).await?;
            (Some(secret), "given, and saved in the keychain")
        }
        Some(secret) => (Some(secret), "given for this attempt"),
        None => {
            let needs = service::list_profiles(&socket(app))
                .await?
                .into_iter()
                .find(|p| p.name == profile)
                .is_some_and(|p| p.needs_secret);
            if needs {
                match secrets::read(profile.clone()).await {
                    Ok(Some(secret)) => (Some(secret), "from the keychain"),
                    Ok(None) => return Err(secret_needed(&profile, None)),
                    Err(e) => return Err(secret_needed(&profile, Some(e))),
                }
            } else {
                (None, "none")
            }
        }
    };
    info!("connect requested: \"{profile}\" (secret: {source})");
    match call(app, Request::Connect { profile, secret }).await? {
        Reply::Connecting { .. } => Ok(()),
        other => Err(service::unexpected(&other)),
    }
}

/// Connects from the tray menu. A profile whose secret the keychain
/// lacks brings the window up with a `down` step whose reason is
/// `secret_needed`, so that the front end asks for it.
pub fn connect_from_tray(app: AppHandle, profile: String) {
    tauri::async_runtime::spawn(async move {
        match connect_profile(&app, profile.clone(), None, false).await {
            Ok(()) => {}
            Err(e) if e.code == code::SECRET_NEEDED => {
                crate::show_main_window(&app);
                let step = Step::Down {
                    error: Some(e.message),
                    hint: e.hint,
                    reason: Some(DownReason::SecretNeeded),
                    up_for_s: None,
                };
                service::emit_progress(&app, &profile, &step);
            }
            Err(e) => {
                warn!("connecting \"{profile}\" from the tray failed: {e}");
                notify::failed(&app, &format!("Cannot connect {profile}"), &e.message);
            }
        }
    });
}

/// `disconnect`: ends the connection once every OS change is undone.
#[tauri::command]
pub async fn disconnect(app: AppHandle) -> Result<Disconnected, AppError> {
    info!("disconnect requested");
    match service::call(&socket(&app), Request::Disconnect, DISCONNECT_TIMEOUT).await? {
        Reply::Disconnected { was_connected } => Ok(Disconnected { was_connected }),
        other => Err(service::unexpected(&other)),
    }
}

/// Disconnects from the tray menu.
pub fn disconnect_from_tray(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        if let Err(e) = disconnect(app.clone()).await {
            warn!("disconnecting from the tray failed: {e}");
            notify::failed(&app, "Cannot disconnect", &e.message);
        }
    });
}

/// `get_logs`: the service's last `lines` log lines, oldest first.
#[tauri::command]
pub async fn get_logs(app: AppHandle, lines: usize) -> Result<Vec<LogLine>, AppError> {
    let lines = lines.min(MAX_LOG_LINES);
    match call(&app, Request::Logs { lines }).await? {
        Reply::Logs { lines } => Ok(lines),
        other => Err(service::unexpected(&other)),
    }
}

/// `secret_saved`: whether the keychain holds the profile's password
/// (false also when there is no keychain at all).
#[tauri::command]
pub async fn secret_saved(profile: String) -> Result<bool, AppError> {
    Ok(secrets::saved(profile).await?)
}

/// `forget_secret`: removes the profile's password from the keychain.
#[tauri::command]
pub async fn forget_secret(profile: String) -> Result<(), AppError> {
    if secrets::clear(profile.clone()).await? {
        info!("removed the password of \"{profile}\" from the keychain");
    }
    Ok(())
}

/// `get_settings`: the settings in force.
#[tauri::command]
pub async fn get_settings(app: AppHandle) -> Result<Settings, AppError> {
    Ok(app.state::<AppState>().settings())
}

/// `save_settings`: saves the settings and puts them in force.
#[tauri::command]
pub async fn save_settings(app: AppHandle, settings: serde_json::Value) -> Result<(), AppError> {
    let settings: Settings = serde_json::from_value(settings)
        .map_err(|e| AppError::new(code::INVALID_INPUT, format!("settings: {e}")))?;
    let state = app.state::<AppState>();
    let Some(path) = state.settings_path() else {
        return Err(AppError::new(
            "internal",
            "the settings cannot be saved: there is no configuration directory",
        ));
    };
    let to_save = settings.clone();
    let written = tauri::async_runtime::spawn_blocking(move || settings::save(&path, &to_save))
        .await
        .map_err(|e| AppError::new("internal", e.to_string()))?;
    written
        .map_err(|e| AppError::new("internal", format!("the settings could not be saved: {e}")))?;
    crate::apply_theme(&app, settings.theme);
    state.set_settings(settings);
    Ok(())
}
