//! Windows: IP Helper change notifications (addresses, routes, interfaces)
//! delivered to callbacks on system threads, which queue an event and wake
//! a tokio `Notify`. Only type-checked.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use windows_sys::Win32::Foundation::{HANDLE, NO_ERROR, WIN32_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    CancelMibChangeNotify2, NotifyIpInterfaceChange, NotifyRouteChange2,
    NotifyUnicastIpAddressChange, MIB_IPFORWARD_ROW2, MIB_IPINTERFACE_ROW, MIB_NOTIFICATION_TYPE,
    MIB_UNICASTIPADDRESS_ROW,
};
use windows_sys::Win32::Networking::WinSock::AF_UNSPEC;

use super::{Event, Kind, NetMonError};

/// Past this many unread events the queue is replaced by one
/// [`Event::Lost`].
const QUEUE_LIMIT: usize = 256;

/// What the callbacks share with the monitor.
#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    wake: Notify,
}

#[derive(Debug, Default)]
struct Queue {
    events: VecDeque<Event>,
    lost: bool,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding the lock cannot leave the queue
        // inconsistent in any way that matters here.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(&self, event: Event) {
        {
            let mut queue = self.queue();
            if queue.events.len() >= QUEUE_LIMIT {
                queue.events.clear();
                queue.lost = true;
            } else {
                queue.events.push_back(event);
            }
        }
        self.wake.notify_one();
    }

    fn pop(&self) -> Option<Event> {
        let mut queue = self.queue();
        if queue.lost {
            queue.lost = false;
            return Some(Event::Lost);
        }
        queue.events.pop_front()
    }
}

/// A notification registration's handle, only ever passed back to
/// `CancelMibChangeNotify2`.
struct Registration(HANDLE);

// SAFETY: the handle is an opaque token, not a pointer this code
// dereferences; the OS accepts it from any thread.
unsafe impl Send for Registration {}

/// The registrations, cancelled on drop before `context` is released.
struct Registrations {
    handles: Vec<Registration>,
    /// The callbacks' context; it outlives every registration.
    context: Arc<Shared>,
}

impl Drop for Registrations {
    fn drop(&mut self) {
        for Registration(handle) in self.handles.drain(..) {
            // SAFETY: the handle came from a successful Notify* call and is
            // cancelled once. The call waits for callbacks in progress, so
            // none runs once `context` is released after this.
            let _status = unsafe { CancelMibChangeNotify2(handle) };
            // Nothing to report a failure to from here.
        }
    }
}

pub(super) struct Monitor {
    registrations: Registrations,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Monitor(IP Helper notifications)")
    }
}

/// The shared state a callback's context points to.
///
/// # Safety
///
/// `context` must be the pointer registered, which stays valid while the
/// registration exists (see [`Registrations`]).
unsafe fn shared<'a>(context: *const c_void) -> Option<&'a Shared> {
    // SAFETY: per this function's contract.
    unsafe { context.cast::<Shared>().as_ref() }
}

/// `PUNICAST_IPADDRESS_CHANGE_CALLBACK`.
unsafe extern "system" fn address_changed(
    context: *const c_void,
    row: *const MIB_UNICASTIPADDRESS_ROW,
    _kind: MIB_NOTIFICATION_TYPE,
) {
    // SAFETY: `row` is null or valid for the duration of the call.
    let interface = unsafe { row.as_ref() }.map(|row| row.InterfaceIndex);
    // SAFETY: the context registered with this callback.
    if let Some(shared) = unsafe { shared(context) } {
        shared.push(Event::on(Kind::Address, interface));
    }
}

/// `PIPFORWARD_CHANGE_CALLBACK`.
unsafe extern "system" fn route_changed(
    context: *const c_void,
    row: *const MIB_IPFORWARD_ROW2,
    _kind: MIB_NOTIFICATION_TYPE,
) {
    // SAFETY: `row` is null or valid for the duration of the call.
    let interface = unsafe { row.as_ref() }.map(|row| row.InterfaceIndex);
    // SAFETY: the context registered with this callback.
    if let Some(shared) = unsafe { shared(context) } {
        shared.push(Event::on(Kind::Route, interface));
    }
}

/// `PIPINTERFACE_CHANGE_CALLBACK`.
unsafe extern "system" fn interface_changed(
    context: *const c_void,
    row: *const MIB_IPINTERFACE_ROW,
    _kind: MIB_NOTIFICATION_TYPE,
) {
    // SAFETY: `row` is null or valid for the duration of the call.
    let interface = unsafe { row.as_ref() }.map(|row| row.InterfaceIndex);
    // SAFETY: the context registered with this callback.
    if let Some(shared) = unsafe { shared(context) } {
        shared.push(Event::on(Kind::Link, interface));
    }
}

impl Registrations {
    /// Keeps the handle of a registration call that succeeded.
    fn keep(&mut self, status: WIN32_ERROR, handle: HANDLE) -> Result<(), NetMonError> {
        if status != NO_ERROR {
            // Win32 error codes fit an i32; the conversion keeps the code.
            let code = i32::try_from(status).unwrap_or(i32::MAX);
            return Err(NetMonError::Subscribe(io::Error::from_raw_os_error(code)));
        }
        self.handles.push(Registration(handle));
        Ok(())
    }

    fn register_all(&mut self) -> Result<(), NetMonError> {
        let context = Arc::as_ptr(&self.context).cast::<c_void>();
        let mut handle: HANDLE = std::ptr::null_mut();
        // SAFETY: the callback has the documented signature; `context`
        // stays valid until the registration is cancelled (on drop);
        // `handle` is a valid place for the result.
        let status = unsafe {
            NotifyUnicastIpAddressChange(
                AF_UNSPEC,
                Some(address_changed),
                context,
                false,
                &mut handle,
            )
        };
        self.keep(status, handle)?;
        let mut handle: HANDLE = std::ptr::null_mut();
        // SAFETY: as above.
        let status = unsafe {
            NotifyRouteChange2(AF_UNSPEC, Some(route_changed), context, false, &mut handle)
        };
        self.keep(status, handle)?;
        let mut handle: HANDLE = std::ptr::null_mut();
        // SAFETY: as above.
        let status = unsafe {
            NotifyIpInterfaceChange(
                AF_UNSPEC,
                Some(interface_changed),
                context,
                false,
                &mut handle,
            )
        };
        self.keep(status, handle)
    }
}

impl Monitor {
    /// Called inside a tokio runtime (checked by the facade).
    pub(super) fn start() -> Result<Self, NetMonError> {
        let mut registrations = Registrations {
            handles: Vec::new(),
            context: Arc::new(Shared::default()),
        };
        // On failure, dropping `registrations` cancels those made.
        registrations.register_all()?;
        Ok(Self { registrations })
    }

    /// The next event; cancel-safe (events stay queued until taken).
    pub(super) async fn next(&mut self) -> Result<Event, NetMonError> {
        let shared = &self.registrations.context;
        loop {
            if let Some(event) = shared.pop() {
                return Ok(event);
            }
            // A push after the pop above leaves a permit, so this returns
            // at once.
            shared.wake.notified().await;
        }
    }

    /// An event already received, if any.
    pub(super) fn try_next(&mut self) -> Result<Option<Event>, NetMonError> {
        Ok(self.registrations.context.pop())
    }
}
