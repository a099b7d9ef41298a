//! macOS: a `PF_ROUTE` socket, which receives every routing message the
//! kernel emits, read through tokio's `AsyncFd`. Only type-checked.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read as _};
use std::mem::offset_of;
use std::os::fd::{FromRawFd as _, OwnedFd};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::{Event, Kind, NetMonError};

/// Routing messages are far smaller; the kernel never splits one across
/// reads.
const BUFFER: usize = 8192;

#[derive(Debug)]
pub(super) struct Monitor {
    socket: AsyncFd<File>,
    /// Events parsed from a read but not yet returned.
    queued: VecDeque<Event>,
    buffer: Vec<u8>,
}

/// Opens a non-blocking, close-on-exec routing socket for every address
/// family.
fn route_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain system call with constant arguments; it returns a new
    // descriptor or -1.
    let fd = unsafe { libc::socket(libc::PF_ROUTE, libc::SOCK_RAW, libc::AF_UNSPEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket() and is owned by nobody
    // else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    for (get, set, flag) in [
        (libc::F_GETFD, libc::F_SETFD, libc::FD_CLOEXEC),
        (libc::F_GETFL, libc::F_SETFL, libc::O_NONBLOCK),
    ] {
        // SAFETY: fcntl on a descriptor we own, with integer arguments.
        let flags = unsafe { libc::fcntl(fd, get) };
        // SAFETY: as above.
        if flags < 0 || unsafe { libc::fcntl(fd, set, flags | flag) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(owned)
}

impl Monitor {
    /// Called inside a tokio runtime (checked by the facade).
    pub(super) fn start() -> Result<Self, NetMonError> {
        let socket = File::from(route_socket().map_err(NetMonError::Subscribe)?);
        // SAFETY: the `File` owns its descriptor, which stays open and the
        // same for as long as the `AsyncFd` holds the `File`.
        let socket = unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) }
            .map_err(|e| NetMonError::Subscribe(e.into()))?;
        Ok(Self {
            socket,
            queued: VecDeque::new(),
            buffer: vec![0; BUFFER],
        })
    }

    /// The next event; cancel-safe (a read's events are queued before
    /// anything awaits again).
    pub(super) async fn next(&mut self) -> Result<Event, NetMonError> {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return Ok(event);
            }
            let mut ready = self.socket.readable().await.map_err(NetMonError::Read)?;
            let buffer = &mut self.buffer;
            match ready.try_io(|socket| read(socket.get_ref(), buffer)) {
                Ok(result) => self.take(result)?,
                Err(_would_block) => continue,
            }
        }
    }

    /// An event already received, if any.
    pub(super) fn try_next(&mut self) -> Result<Option<Event>, NetMonError> {
        if self.queued.is_empty() {
            let result = read(self.socket.get_ref(), &mut self.buffer);
            if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
                return Ok(None);
            }
            self.take(result)?;
        }
        Ok(self.queued.pop_front())
    }

    fn take(&mut self, result: io::Result<usize>) -> Result<(), NetMonError> {
        match result {
            Ok(0) => Err(NetMonError::Closed),
            Ok(len) => {
                let bytes = self.buffer.get(..len).unwrap_or_default();
                self.queued.extend(events(bytes));
                Ok(())
            }
            // The socket's buffer overflowed: messages were dropped.
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                self.queued.push_back(Event::Lost);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(NetMonError::Read(e)),
        }
    }
}

fn read(mut socket: &File, buffer: &mut [u8]) -> io::Result<usize> {
    socket.read(buffer)
}

fn u16_at(bytes: &[u8], offset: usize) -> Option<u16> {
    let two = bytes.get(offset..offset.checked_add(2)?)?;
    Some(u16::from_ne_bytes([*two.first()?, *two.get(1)?]))
}

fn i32_at(bytes: &[u8], offset: usize) -> Option<i32> {
    let four: [u8; 4] = bytes.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
    Some(i32::from_ne_bytes(four))
}

/// The events in one read: whole routing messages, each starting with its
/// length (u16), version (u8) and type (u8).
fn events(mut bytes: &[u8]) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(len) = u16_at(bytes, 0).map(usize::from) {
        let Some(message) = bytes.get(..len).filter(|_| len >= 4) else {
            break;
        };
        if let Some(event) = event(message) {
            out.push(event);
        }
        bytes = bytes.get(len..).unwrap_or_default();
    }
    out
}

fn event(message: &[u8]) -> Option<Event> {
    let version = i32::from(*message.get(2)?);
    let kind = i32::from(*message.get(3)?);
    if version != libc::RTM_VERSION {
        return None;
    }
    match kind {
        libc::RTM_NEWADDR | libc::RTM_DELADDR => {
            let index = u16_at(message, offset_of!(libc::ifa_msghdr, ifam_index));
            Some(Event::on(Kind::Address, index.map(u32::from)))
        }
        libc::RTM_IFINFO => {
            let index = u16_at(message, offset_of!(libc::if_msghdr, ifm_index));
            Some(Event::on(Kind::Link, index.map(u32::from)))
        }
        libc::RTM_ADD | libc::RTM_DELETE | libc::RTM_CHANGE => {
            let flags = i32_at(message, offset_of!(libc::rt_msghdr, rtm_flags))?;
            // Neighbour (ARP/NDP) entries and clones come and go with
            // traffic; they are no configuration change.
            if flags & (libc::RTF_LLINFO | libc::RTF_WASCLONED) != 0 {
                return None;
            }
            let index = u16_at(message, offset_of!(libc::rt_msghdr, rtm_index));
            Some(Event::on(Kind::Route, index.map(u32::from)))
        }
        _ => None,
    }
}
