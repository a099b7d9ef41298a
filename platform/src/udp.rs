//! The UDP socket of the data path, driven with the OS's batching
//! (through `quinn-udp`): on Linux one `sendmsg` carries up to 64
//! equal-sized datagrams (UDP GSO, `UDP_SEGMENT`) and one `recvmmsg` returns
//! several buffers, each holding a run of equal-sized datagrams the kernel
//! coalesced (UDP GRO, `UDP_GRO`). Windows (USO/URO) and macOS go through the
//! same calls with whatever the OS offers, down to one datagram per call.
//! The outer ECN codepoint of each received datagram is reported, for
//! RFC 6040 decapsulation.
//!
//! **Every receive on a socket wrapped here must go through
//! [`BatchSocket::recv`]**: with GRO on, a plain `recv_from` could return
//! several datagrams glued together.
//!
//! Path MTU discovery is left as the socket had it: `quinn-udp` turns it to
//! "probe" (never fragment, ignore ICMP) for QUIC, which would black-hole
//! full-size ESP on a path with a smaller MTU until Softwire probes the path
//! itself.

use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::sync::Arc;

use quinn_udp::{RecvMeta, Transmit, UdpSocketState};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagram buffers for one [`BatchSocket::recv`] call.
#[derive(Debug)]
pub struct RecvBatch {
    buffers: Vec<Vec<u8>>,
    meta: Vec<RecvMeta>,
    filled: usize,
}

/// One received buffer: a run of datagrams from one sender, all `stride`
/// octets long except possibly the last.
#[derive(Debug)]
pub struct Received<'a> {
    /// The sender.
    pub from: SocketAddr,
    /// The outer ECN codepoint (two bits), if the OS reported it.
    pub ecn: Option<u8>,
    /// The length of each datagram but the last.
    pub stride: usize,
    /// The datagrams, back to back.
    pub data: &'a mut [u8],
}

impl Received<'_> {
    /// The datagrams one by one.
    pub fn datagrams(&mut self) -> std::slice::ChunksMut<'_, u8> {
        self.data.chunks_mut(self.stride.max(1))
    }
}

impl RecvBatch {
    /// Room for one call of `socket`'s batch size: as many buffers as one
    /// `recvmmsg` fills, each large enough for a full GRO run.
    pub fn for_socket(socket: &BatchSocket) -> Self {
        let count = quinn_udp::BATCH_SIZE.clamp(1, 8);
        let size = 65_535usize.saturating_mul(socket.state.gro_segments().max(1));
        // A GRO run never exceeds 64 KiB of payload; one maximal datagram
        // per buffer otherwise.
        let size = size.min(u16::MAX as usize + 1);
        Self {
            buffers: (0..count).map(|_| vec![0; size]).collect(),
            meta: vec![RecvMeta::default(); count],
            filled: 0,
        }
    }

    /// How many buffers the last receive filled.
    pub fn len(&self) -> usize {
        self.filled
    }

    /// Whether the last receive filled nothing.
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// The `index`th filled buffer.
    pub fn get_mut(&mut self, index: usize) -> Option<Received<'_>> {
        if index >= self.filled {
            return None;
        }
        let meta = self.meta.get(index)?;
        let data = self.buffers.get_mut(index)?.get_mut(..meta.len)?;
        Some(Received {
            from: meta.addr,
            ecn: meta.ecn.map(|e| e as u8),
            stride: meta.stride,
            data,
        })
    }
}

/// A tokio UDP socket with batched sending and receiving.
#[derive(Debug)]
pub struct BatchSocket {
    socket: Arc<UdpSocket>,
    state: UdpSocketState,
}

impl BatchSocket {
    /// Wraps `socket` (turning GRO on where the OS has it). From now on
    /// receive only through [`BatchSocket::recv`]; sending through the
    /// socket itself stays fine.
    pub fn new(socket: Arc<UdpSocket>) -> io::Result<Self> {
        let saved = os::PmtuSetting::read(&socket);
        let state = UdpSocketState::new((&*socket).into())?;
        if let Some(saved) = saved {
            saved.restore(&socket)?;
        }
        Ok(Self { socket, state })
    }

    /// The socket underneath.
    pub fn socket(&self) -> &Arc<UdpSocket> {
        &self.socket
    }

    /// How many datagrams one [`BatchSocket::send`] may carry (1 where the
    /// OS has no segmentation offload, or after it failed once).
    pub fn max_segments(&self) -> usize {
        self.state.max_gso_segments().max(1)
    }

    /// Sends `contents` to `to`: one datagram, or with `segment_size` a run
    /// of datagrams of that size (the last may be shorter). The run must not
    /// exceed [`BatchSocket::max_segments`] datagrams.
    pub async fn send(
        &self,
        to: SocketAddr,
        contents: &[u8],
        segment_size: Option<usize>,
    ) -> io::Result<()> {
        let transmit = Transmit {
            destination: to,
            ecn: None,
            contents,
            segment_size: segment_size.filter(|&s| s < contents.len()),
            src_ip: None,
        };
        self.socket
            .async_io(Interest::WRITABLE, || {
                self.state.try_send((&*self.socket).into(), &transmit)
            })
            .await
    }

    /// Waits for datagrams and fills `batch` with as many as one call
    /// returns.
    pub async fn recv(&self, batch: &mut RecvBatch) -> io::Result<()> {
        batch.filled = 0;
        let RecvBatch {
            buffers,
            meta,
            filled,
        } = batch;
        let mut slices: Vec<IoSliceMut<'_>> =
            buffers.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        *filled = self
            .socket
            .async_io(Interest::READABLE, || {
                self.state.recv((&*self.socket).into(), &mut slices, meta)
            })
            .await?;
        Ok(())
    }
}

/// Whether a failed send only lost its datagrams and the socket stays
/// usable: no buffer space, too large for the path, or a segmented send
/// the driver refused (after which [`BatchSocket::max_segments`] is 1).
pub fn is_lost_send(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock || os::is_lost_send(e)
}

#[cfg(target_os = "linux")]
mod os {
    //! Saving and restoring the path-MTU-discovery mode around
    //! `UdpSocketState::new`.
    use std::io;
    use std::os::fd::AsRawFd;

    use tokio::net::UdpSocket;

    pub(super) fn is_lost_send(e: &io::Error) -> bool {
        matches!(
            e.raw_os_error(),
            Some(libc::ENOBUFS | libc::EMSGSIZE | libc::EIO | libc::EINVAL)
        )
    }

    #[derive(Debug, Clone, Copy)]
    pub(super) struct PmtuSetting {
        v4: libc::c_int,
        v6: Option<(libc::c_int, libc::c_int)>,
    }

    impl PmtuSetting {
        pub(super) fn read(socket: &UdpSocket) -> Option<Self> {
            let v6 = socket.local_addr().ok()?.is_ipv6();
            Some(Self {
                v4: get(socket, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER).ok()?,
                v6: if v6 {
                    Some((
                        get(socket, libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER).ok()?,
                        get(socket, libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG).ok()?,
                    ))
                } else {
                    None
                },
            })
        }

        pub(super) fn restore(self, socket: &UdpSocket) -> io::Result<()> {
            set(socket, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, self.v4)?;
            if let Some((discover, dontfrag)) = self.v6 {
                set(
                    socket,
                    libc::IPPROTO_IPV6,
                    libc::IPV6_MTU_DISCOVER,
                    discover,
                )?;
                set(socket, libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG, dontfrag)?;
            }
            Ok(())
        }
    }

    fn get(socket: &UdpSocket, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
        let mut value: libc::c_int = 0;
        let mut len = libc::socklen_t::try_from(size_of::<libc::c_int>())
            .map_err(|_| io::Error::other("socklen"))?;
        // SAFETY: the descriptor is the socket's own, borrowed for the
        // call; `value` and `len` are live locals of the sizes passed.
        let rc = unsafe {
            libc::getsockopt(
                socket.as_raw_fd(),
                level,
                name,
                (&raw mut value).cast(),
                &raw mut len,
            )
        };
        if rc == 0 {
            Ok(value)
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn set(
        socket: &UdpSocket,
        level: libc::c_int,
        name: libc::c_int,
        value: libc::c_int,
    ) -> io::Result<()> {
        let len = libc::socklen_t::try_from(size_of::<libc::c_int>())
            .map_err(|_| io::Error::other("socklen"))?;
        // SAFETY: as in `get`; `value` is read by the kernel only.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                level,
                name,
                (&raw const value).cast(),
                len,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    //! Nothing to restore: `quinn-udp` only sets "don't fragment" here,
    //! which the OS would report through ICMP anyway.
    use std::io;

    use tokio::net::UdpSocket;

    pub(super) fn is_lost_send(e: &io::Error) -> bool {
        e.kind() == io::ErrorKind::OutOfMemory
    }

    #[derive(Debug, Clone, Copy)]
    pub(super) struct PmtuSetting;

    impl PmtuSetting {
        pub(super) fn read(_socket: &UdpSocket) -> Option<Self> {
            None
        }

        pub(super) fn restore(self, _socket: &UdpSocket) -> io::Result<()> {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loopback only: a run sent with segmentation arrives as the same
    /// datagrams, and the receiver sees their boundaries.
    #[tokio::test]
    async fn a_segmented_send_arrives_as_its_datagrams() {
        let rx = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let tx = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let to = rx.local_addr().unwrap();
        let rx = BatchSocket::new(rx).unwrap();
        let tx = BatchSocket::new(tx).unwrap();
        let segments = tx.max_segments().min(5);
        let mut contents = Vec::new();
        for i in 0..segments {
            contents.extend(std::iter::repeat_n(u8::try_from(i).unwrap(), 1000));
        }
        contents.extend_from_slice(&[0xAB; 300]); // a shorter last one
        let runs: Vec<&[u8]> = if segments > 1 {
            vec![&contents]
        } else {
            contents.chunks(1000).collect()
        };
        for run in &runs {
            tx.send(to, run, Some(1000)).await.unwrap();
        }
        let mut batch = RecvBatch::for_socket(&rx);
        let mut got: Vec<Vec<u8>> = Vec::new();
        while got.len() < segments + 1 {
            rx.recv(&mut batch).await.unwrap();
            for i in 0..batch.len() {
                let mut received = batch.get_mut(i).unwrap();
                assert_eq!(received.from, tx.socket().local_addr().unwrap());
                got.extend(received.datagrams().map(|d| d.to_vec()));
            }
        }
        let expected: Vec<Vec<u8>> = contents.chunks(1000).map(<[u8]>::to_vec).collect();
        assert_eq!(got, expected);
    }
}
