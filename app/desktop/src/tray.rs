//! The tray icon: its colour and tooltip show the connection's state
//! (idle grey, connecting amber, up green, down or error red), and its
//! menu connects or disconnects each profile, shows the window or quits.
//! The icons are drawn here (the app icon's shield and tunnel,
//! icons/make-icons.py), not read from files.

use softwire_api::{ProfileSummary, State, Status};
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager};

use crate::service::ServiceState;
use crate::state::{lock, AppState};
use crate::{commands, info, warn};

/// The tray icon's id.
const TRAY_ID: &str = "main";

/// The tray icon's size in pixels (the desktop scales it).
pub const ICON_SIZE: u32 = 32;

/// How the icon looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// Not connected: grey.
    Idle,
    /// Connecting, reconnecting or disconnecting: amber.
    Busy,
    /// Up: green.
    Up,
    /// Down after a failure, or no service: red.
    Trouble,
}

impl Look {
    fn colour(self) -> [u8; 3] {
        match self {
            Look::Idle => [128, 128, 128],
            Look::Busy => [245, 158, 11],
            Look::Up => [22, 163, 74],
            Look::Trouble => [220, 38, 38],
        }
    }
}

/// What the tray knows.
#[derive(Debug, Clone, Default)]
pub struct TrayModel {
    /// Whether the service answers (`None` before the first try).
    pub service: Option<bool>,
    /// The connection's state.
    pub state: State,
    /// Its profile.
    pub profile: Option<String>,
    /// Why it is down.
    pub error: Option<String>,
    /// The saved profiles' names.
    pub profiles: Vec<String>,
    applied: Option<Applied>,
}

/// What the tray icon shows now.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Applied {
    look: Look,
    tooltip: String,
    menu: Vec<Entry>,
}

/// A menu entry: its id and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `connect:NAME`, `disconnect`, `show`, `quit`, or empty for a
    /// disabled line.
    pub id: String,
    /// What it says.
    pub label: String,
}

impl TrayModel {
    fn active(&self, name: &str) -> bool {
        matches!(
            self.state,
            State::Connecting | State::Up | State::Reconnecting
        ) && self.profile.as_deref() == Some(name)
    }

    /// The icon's look.
    pub fn look(&self) -> Look {
        if self.service == Some(false) {
            return Look::Trouble;
        }
        match self.state {
            State::Idle => Look::Idle,
            State::Connecting | State::Reconnecting | State::Disconnecting => Look::Busy,
            State::Up => Look::Up,
            State::Down if self.error.is_some() => Look::Trouble,
            State::Down => Look::Idle,
        }
    }

    /// The tooltip.
    pub fn tooltip(&self) -> String {
        let profile = self.profile.as_deref().unwrap_or("the VPN");
        let what = match (self.service, self.state) {
            (Some(false), _) => "the service is not running".to_owned(),
            (None, _) => "starting".to_owned(),
            (_, State::Idle) => "not connected".to_owned(),
            (_, State::Connecting) => format!("connecting to {profile}"),
            (_, State::Up) => format!("connected to {profile}"),
            (_, State::Reconnecting) => format!("reconnecting to {profile}"),
            (_, State::Disconnecting) => format!("disconnecting from {profile}"),
            (_, State::Down) => match &self.error {
                Some(error) => format!("{profile} is down: {error}"),
                None => "not connected".to_owned(),
            },
        };
        format!("Softwire: {what}")
    }

    /// The menu's entries.
    pub fn entries(&self) -> Vec<Entry> {
        let mut entries = Vec::new();
        if self.service == Some(false) {
            entries.push(Entry {
                id: String::new(),
                label: "The Softwire service is not running".to_owned(),
            });
        } else {
            for name in &self.profiles {
                // Labels treat & as a mnemonic marker (names never hold one).
                let shown = name.replace('&', "&&");
                entries.push(if self.active(name) {
                    Entry {
                        id: "disconnect".to_owned(),
                        label: format!("Disconnect {shown}"),
                    }
                } else {
                    Entry {
                        id: format!("connect:{name}"),
                        label: format!("Connect {shown}"),
                    }
                });
            }
        }
        entries.push(Entry {
            id: "show".to_owned(),
            label: "Show Softwire".to_owned(),
        });
        entries.push(Entry {
            id: "quit".to_owned(),
            label: "Quit".to_owned(),
        });
        entries
    }

    fn wanted(&self) -> Applied {
        Applied {
            look: self.look(),
            tooltip: self.tooltip(),
            menu: self.entries(),
        }
    }
}

/// Half the shield's width at height `v` (0 top, 1 bottom), as in
/// icons/make-icons.py.
fn shield_width(v: f64) -> Option<f64> {
    if !(0.06..=0.96).contains(&v) {
        return None;
    }
    if v < 0.45 {
        return Some(0.82);
    }
    let t = (v - 0.45) / 0.51;
    Some(0.82 * (t * std::f64::consts::FRAC_PI_2).cos().max(0.0).powf(0.8))
}

fn in_shield(u: f64, v: f64, inset: f64) -> bool {
    match shield_width(v) {
        Some(w) => v >= 0.06 + inset && v <= 0.96 - inset * 1.6 && u.abs() <= w - inset,
        None => false,
    }
}

fn in_arch(u: f64, v: f64, r: f64, top: f64, bottom: f64) -> bool {
    if (top..=bottom).contains(&v) {
        u.abs() <= r
    } else {
        v < top && u * u + (v - top) * (v - top) <= r * r
    }
}

/// Draws the tray icon: RGBA, `size` by `size` pixels, a shield in the
/// look's colour with a white tunnel portal.
pub fn draw(look: Look, size: u32) -> Vec<u8> {
    const SS: u32 = 4;
    let [r, g, b] = look.colour();
    let fill = [u32::from(r), u32::from(g), u32::from(b)];
    let rim = fill.map(|c| c * 2 / 3);
    let white = [255, 255, 255];
    let side = f64::from(size.max(1));
    let mut rgba = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let mut sum = [0u32; 3];
            let mut covered = 0u32;
            for sy in 0..SS {
                for sx in 0..SS {
                    let u =
                        (f64::from(x) + (f64::from(sx) + 0.5) / f64::from(SS)) / side * 2.0 - 1.0;
                    let v = (f64::from(y) + (f64::from(sy) + 0.5) / f64::from(SS)) / side;
                    if !in_shield(u, v, 0.0) {
                        continue;
                    }
                    let colour = if in_arch(u, v, 0.22, 0.50, 0.80) {
                        rim
                    } else if in_arch(u, v, 0.36, 0.50, 0.80) {
                        white
                    } else if in_shield(u, v, 0.09) {
                        fill
                    } else {
                        rim
                    };
                    covered += 1;
                    for (s, c) in sum.iter_mut().zip(colour) {
                        *s += c;
                    }
                }
            }
            if covered == 0 {
                rgba.extend_from_slice(&[0, 0, 0, 0]);
            } else {
                let channel = |total: u32| u8::try_from(total / covered).unwrap_or(u8::MAX);
                rgba.extend(sum.map(channel));
                rgba.push(u8::try_from(covered * 255 / (SS * SS)).unwrap_or(u8::MAX));
            }
        }
    }
    rgba
}

fn icon(look: Look) -> Image<'static> {
    Image::new_owned(draw(look, ICON_SIZE), ICON_SIZE, ICON_SIZE)
}

fn menu(app: &AppHandle, entries: &[Entry]) -> tauri::Result<Menu<tauri::Wry>> {
    let menu = Menu::new(app)?;
    let mut separated = false;
    for entry in entries {
        if entry.id == "show" && !separated {
            menu.append(&PredefinedMenuItem::separator(app)?)?;
            separated = true;
        }
        let enabled = !entry.id.is_empty();
        let item = MenuItem::with_id(app, entry.id.as_str(), &entry.label, enabled, None::<&str>)?;
        menu.append(&item)?;
    }
    Ok(menu)
}

/// Makes the tray icon. An error means there is none (the window then
/// closes the app).
pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let state = app.state::<AppState>();
    let wanted = lock(&state.tray).wanted();
    let menu = menu(app, &wanted.menu)?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(wanted.look))
        .tooltip(&wanted.tooltip)
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(on_menu)
        .on_tray_icon_event(on_click)
        .build(app)?;
    lock(&state.tray).applied = Some(wanted);
    Ok(())
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref();
    match id {
        "show" => crate::show_main_window(app),
        "quit" => {
            info!("quitting (tray menu)");
            app.exit(0);
        }
        "disconnect" => commands::disconnect_from_tray(app.clone()),
        other => {
            if let Some(name) = other.strip_prefix("connect:") {
                commands::connect_from_tray(app.clone(), name.to_owned());
            }
        }
    }
}

/// A left click shows the window (Windows and macOS: Linux trays report
/// no clicks, and show the menu).
fn on_click(tray: &TrayIcon, event: TrayIconEvent) {
    if let TrayIconEvent::Click {
        button: MouseButton::Left,
        button_state: MouseButtonState::Up,
        ..
    } = event
    {
        crate::show_main_window(tray.app_handle());
    }
}

/// Brings the tray icon up to date with the model, changing only what
/// differs.
fn refresh(app: &AppHandle) {
    let state = app.state::<AppState>();
    let (wanted, applied) = {
        let model = lock(&state.tray);
        (model.wanted(), model.applied.clone())
    };
    let Some(applied) = applied else {
        return; // no tray icon
    };
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let result = (|| -> tauri::Result<()> {
        if applied.look != wanted.look {
            tray.set_icon(Some(icon(wanted.look)))?;
        }
        if applied.tooltip != wanted.tooltip {
            tray.set_tooltip(Some(&wanted.tooltip))?;
        }
        if applied.menu != wanted.menu {
            tray.set_menu(Some(menu(app, &wanted.menu)?))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => lock(&state.tray).applied = Some(wanted),
        Err(e) => warn!("could not update the tray icon: {e}"),
    }
}

/// The connection's status changed.
pub fn set_status(app: &AppHandle, status: &Status) {
    {
        let state = app.state::<AppState>();
        let mut model = lock(&state.tray);
        model.state = status.state;
        model.profile.clone_from(&status.profile);
        model.error.clone_from(&status.error);
    }
    refresh(app);
}

/// The saved profiles changed.
pub fn set_profiles(app: &AppHandle, profiles: Vec<ProfileSummary>) {
    {
        let state = app.state::<AppState>();
        lock(&state.tray).profiles = profiles.into_iter().map(|p| p.name).collect();
    }
    refresh(app);
}

/// The service came or went.
pub fn set_service(app: &AppHandle, service: &ServiceState) {
    {
        let state = app.state::<AppState>();
        lock(&state.tray).service = Some(service.running);
    }
    refresh(app);
}

/// Whether closing the window should hide it in the tray: there is a
/// tray icon and something shows it (on Linux, a StatusNotifier host on
/// the session bus; without one the icon is invisible).
pub fn available(app: &AppHandle) -> bool {
    if !app.state::<AppState>().tray_built() {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        match crate::bus::name_present(crate::bus::TRAY_WATCHER, false) {
            Ok(present) => present,
            Err(e) => {
                warn!("cannot tell whether there is a tray: {e}");
                false
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alpha_at(rgba: &[u8], size: u32, x: u32, y: u32) -> u8 {
        rgba[((y * size + x) * 4 + 3) as usize]
    }

    #[test]
    fn icons_have_every_size_and_colour() {
        for size in [16, 22, 24, 32, 48, 64] {
            let rgba = draw(Look::Up, size);
            assert_eq!(rgba.len(), (size * size * 4) as usize, "{size}");
            // Corners transparent, the shield's middle opaque.
            assert_eq!(alpha_at(&rgba, size, 0, size - 1), 0, "{size}");
            assert_eq!(alpha_at(&rgba, size, size - 1, size - 1), 0, "{size}");
            assert_eq!(alpha_at(&rgba, size, size / 6, size / 3), 255, "{size}");
        }
        let looks = [Look::Idle, Look::Busy, Look::Up, Look::Trouble];
        let drawn: Vec<Vec<u8>> = looks.iter().map(|l| draw(*l, ICON_SIZE)).collect();
        for (i, a) in drawn.iter().enumerate() {
            for b in drawn.iter().skip(i + 1) {
                assert_ne!(a, b, "two looks drawn alike");
            }
        }
        // The body's colour is the look's.
        let rgba = draw(Look::Trouble, 64);
        let at = ((20 * 64 + 12) * 4) as usize;
        assert_eq!(&rgba[at..at + 4], &[220, 38, 38, 255]);
        assert!(draw(Look::Idle, 0).is_empty());
    }

    fn model(state: State, profile: Option<&str>) -> TrayModel {
        TrayModel {
            service: Some(true),
            state,
            profile: profile.map(str::to_owned),
            error: None,
            profiles: vec!["Home".into(), "Office".into()],
            applied: None,
        }
    }

    #[test]
    fn the_menu_follows_the_state() {
        let idle = model(State::Idle, None);
        let labels: Vec<String> = idle.entries().into_iter().map(|e| e.label).collect();
        assert_eq!(
            labels,
            ["Connect Home", "Connect Office", "Show Softwire", "Quit"]
        );
        assert_eq!(idle.look(), Look::Idle);
        assert_eq!(idle.tooltip(), "Softwire: not connected");

        let up = model(State::Up, Some("Office"));
        let entries = up.entries();
        assert_eq!(entries[0].id, "connect:Home");
        assert_eq!(entries[1].id, "disconnect");
        assert_eq!(entries[1].label, "Disconnect Office");
        assert_eq!(up.look(), Look::Up);
        assert_eq!(up.tooltip(), "Softwire: connected to Office");

        assert_eq!(
            model(State::Reconnecting, Some("Office")).look(),
            Look::Busy
        );
        let mut down = model(State::Down, Some("Office"));
        down.error = Some("no answer".into());
        assert_eq!(down.look(), Look::Trouble);
        assert!(down.tooltip().contains("no answer"));

        let mut away = model(State::Idle, None);
        away.service = Some(false);
        assert_eq!(away.look(), Look::Trouble);
        let entries = away.entries();
        assert_eq!(entries[0].id, "");
        assert_eq!(entries.len(), 3);
    }
}
