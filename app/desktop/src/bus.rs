//! Questions to the session's D-Bus (Linux): is there a tray host, is
//! there a notification server. Blocking: call them off the async
//! runtime's threads, or where a few milliseconds do not matter.

/// The StatusNotifierItem host registry that tray icons need
/// (libayatana-appindicator registers with it).
pub const TRAY_WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// Desktop notifications (the Desktop Notifications Specification).
pub const NOTIFICATIONS: &str = "org.freedesktop.Notifications";

/// Whether `name` has an owner on the session bus now, or (with
/// `activatable`) the bus would start one on demand.
pub fn name_present(name: &str, activatable: bool) -> Result<bool, String> {
    let connection =
        zbus::blocking::Connection::session().map_err(|e| format!("no session bus: {e}"))?;
    let bus = zbus::blocking::fdo::DBusProxy::new(&connection)
        .map_err(|e| format!("the session bus: {e}"))?;
    let bus_name = zbus::names::BusName::try_from(name).map_err(|e| e.to_string())?;
    if bus.name_has_owner(bus_name).map_err(|e| e.to_string())? {
        return Ok(true);
    }
    if activatable {
        let names = bus.list_activatable_names().map_err(|e| e.to_string())?;
        return Ok(names.iter().any(|n| n.as_str() == name));
    }
    Ok(false)
}
