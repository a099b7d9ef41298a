//! The user and group databases: `getgrnam_r` and `getpwuid_r`.

use std::ffi::{CStr, CString};
use std::io;

/// Room for the records' strings at first; doubled on `ERANGE`.
const FIRST_BUFFER: usize = 1024;
/// No record needs more (a group with thousands of members may need a
/// few hundred KiB).
const MAX_BUFFER: usize = 16 << 20;

/// The group id named `name`: a number is taken as a gid as it is;
/// otherwise the group database is asked. `None` when there is no such
/// group.
pub fn group_id(name: &str) -> io::Result<Option<u32>> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return match name.parse::<u32>() {
            // (gid_t)-1 means "no change" to the system calls: never a group.
            Ok(gid) if gid != u32::MAX => Ok(Some(gid)),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("group id {name} is out of range"),
            )),
        };
    }
    let Ok(c_name) = CString::new(name) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a group name cannot contain a NUL byte",
        ));
    };
    with_buffer(|buf| {
        // SAFETY: all-zero bytes are a valid `group` (integers and null
        // pointers); it is only written by getgrnam_r.
        let mut group: libc::group = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::group = std::ptr::null_mut();
        // SAFETY: `c_name` is a NUL-terminated string; `group`, `buf` (of
        // the length passed) and `found` are live and writable for the
        // call. The strings `group` points to live in `buf`, and only the
        // gid is read.
        let rc = unsafe {
            libc::getgrnam_r(
                c_name.as_ptr(),
                &raw mut group,
                buf.as_mut_ptr(),
                buf.len(),
                &raw mut found,
            )
        };
        lookup_result(rc, !found.is_null()).map(|hit| hit.then_some(group.gr_gid))
    })
}

/// The name of user `uid`, for messages; `None` when the user database
/// has no such user (or cannot be read).
pub fn user_name(uid: u32) -> Option<String> {
    with_buffer(|buf| {
        // SAFETY: all-zero bytes are a valid `passwd` (integers and null
        // pointers); it is only written by getpwuid_r.
        let mut passwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `passwd`, `buf` (of the length passed) and `found` are
        // live and writable for the call.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &raw mut passwd,
                buf.as_mut_ptr(),
                buf.len(),
                &raw mut found,
            )
        };
        if !lookup_result(rc, !found.is_null())? || passwd.pw_name.is_null() {
            return Ok(None);
        }
        // SAFETY: on success `pw_name` points to a NUL-terminated string
        // inside `buf`, which is still alive here; it is copied out.
        let name = unsafe { CStr::from_ptr(passwd.pw_name) };
        Ok(Some(name.to_string_lossy().into_owned()))
    })
    .ok()
    .flatten()
}

/// Whether a `get*_r` call found its record: `Ok(false)` for "no such
/// entry" (a zero return with no result, or one of the errors the manual
/// lists for it), `Err` for a real error, with `ERANGE` kept for
/// [`with_buffer`].
fn lookup_result(rc: libc::c_int, found: bool) -> io::Result<bool> {
    match rc {
        0 => Ok(found),
        libc::ENOENT | libc::ESRCH => Ok(false),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

/// Runs a `get*_r` lookup with a buffer that grows on `ERANGE`.
fn with_buffer<T>(mut lookup: impl FnMut(&mut [libc::c_char]) -> io::Result<T>) -> io::Result<T> {
    let mut buf: Vec<libc::c_char> = vec![0; FIRST_BUFFER];
    loop {
        match lookup(&mut buf) {
            Err(e) if e.raw_os_error() == Some(libc::ERANGE) && buf.len() < MAX_BUFFER => {
                buf.resize(buf.len() * 2, 0);
            }
            other => return other,
        }
    }
}
