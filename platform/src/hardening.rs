//! Process hardening for the privileged service.
//!
//! [`no_core_dumps`] is called once at start, so that a crash cannot write
//! the process's memory (keys, passwords) to a core file.

use std::io;

/// Forbids core dumps of this process, and of what it starts later.
///
/// - **Linux**: `setrlimit(RLIMIT_CORE, 0)` (soft and hard limit, so it
///   cannot be raised again; inherited by child processes) and
///   `prctl(PR_SET_DUMPABLE, 0)`, which also covers a `core_pattern` pipe
///   (which ignores the limit) and keeps other processes of the same user
///   from attaching with ptrace or reading `/proc/<pid>/mem`. The kernel
///   resets dumpability on `execve` and on changes of credentials (e.g.
///   `setuid`): call this again after dropping privileges.
/// - **macOS**: `setrlimit(RLIMIT_CORE, 0)` only (there is no
///   `PR_SET_DUMPABLE`).
/// - **Windows**: nothing to do, returns `Ok`: a crashing process is not
///   dumped unless Windows Error Reporting's `LocalDumps` is configured for
///   it (a machine-wide administrator setting), which a process cannot turn
///   off for itself.
pub fn no_core_dumps() -> io::Result<()> {
    imp::no_core_dumps()
}

#[cfg(unix)]
mod imp {
    use std::io;

    pub(super) fn no_core_dumps() -> io::Result<()> {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `zero` is a valid, live `rlimit` the call only reads.
        if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const zero) } != 0 {
            return Err(io::Error::last_os_error());
        }
        #[cfg(target_os = "linux")]
        {
            let off: libc::c_ulong = 0;
            // SAFETY: PR_SET_DUMPABLE takes one integer argument and
            // touches no memory of ours.
            if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, off) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

#[cfg(windows)]
mod imp {
    use std::io;

    pub(super) fn no_core_dumps() -> io::Result<()> {
        Ok(())
    }
}
