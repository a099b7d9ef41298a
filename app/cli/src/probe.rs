//! `softwire probe`: one IKE_SA_INIT exchange with an SC over a blocking UDP
//! socket, following COOKIE and INVALID_KE_PAYLOAD replies, with
//! retransmission as RFC 7296 §2.1 asks.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};
use softwire_core::crypto::{CryptoError, DhGroup, KeyExchange};
use softwire_core::ike::proposals::IkeOffer;
use softwire_core::ike::sa_init::{
    read_sa_init_reply, SaInitAccepted, SaInitError, SaInitReply, SaInitRequest,
};
use softwire_core::ike::types::KeyExchangeId;
use softwire_core::ike::{DecodeError, EncodeError, Message};

/// How long to wait for each try before sending again (RFC 7296 §2.1:
/// retransmit with growing intervals).
pub const RETRANSMIT_WAITS: [Duration; 4] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// How many COOKIE / INVALID_KE_PAYLOAD round trips we follow before
/// deciding the SC is misbehaving.
const MAX_RESTARTS: usize = 3;

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// A socket operation failed.
    #[error("network error: {0}")]
    Io(#[from] io::Error),
    /// No answer after every retransmission.
    #[error("no answer to IKE_SA_INIT from {remote} after {tries} tries over {waited:.1?}: UDP port 500 may be blocked on this network, or the SC is down")]
    Timeout {
        /// The SC's address.
        remote: SocketAddr,
        /// How many requests were sent.
        tries: usize,
        /// How long we waited in all.
        waited: Duration,
    },
    /// Key generation failed.
    #[error("crypto error: {0}")]
    Crypto(#[from] CryptoError),
    /// Our request could not be encoded.
    #[error("could not encode IKE_SA_INIT: {0}")]
    Encode(#[from] EncodeError),
    /// The SC's answer was refused.
    #[error(transparent)]
    Reply(#[from] SaInitError),
    /// The SC kept asking for restarts.
    #[error("the SC asked for a new IKE_SA_INIT {0} times; giving up")]
    TooManyRestarts(usize),
    /// The SC asked for a group we do not offer.
    #[error("the SC wants key exchange group {0}, which Softwire does not offer")]
    UnsupportedGroup(KeyExchangeId),
}

/// A finished IKE_SA_INIT, with what IKE_AUTH needs next.
#[derive(Debug)]
pub struct ProbeResult {
    /// Our SPI.
    pub spi_i: [u8; 8],
    /// What the SC agreed to.
    pub accepted: SaInitAccepted,
    /// Our private key-exchange value.
    pub key_exchange: KeyExchange,
    /// Our nonce.
    pub nonce: Vec<u8>,
    /// The request bytes the SC answered (signed in our AUTH).
    pub request: Vec<u8>,
    /// The SC's reply bytes (signed in its AUTH).
    pub reply: Vec<u8>,
    /// Local address of the socket.
    pub local: SocketAddr,
    /// Time from the first request sent to the accepted reply.
    pub elapsed: Duration,
    /// Requests sent in all, retransmissions and restarts included.
    pub requests_sent: usize,
    /// Non-fatal events worth showing (cookie asked, group changed, junk dropped).
    pub notes: Vec<String>,
}

/// Runs IKE_SA_INIT on `socket`, which must be connected to the SC, with
/// the default proposals.
pub fn sa_init(socket: &UdpSocket, first_group: DhGroup) -> Result<ProbeResult, ProbeError> {
    sa_init_with(socket, first_group, |_| {})
}

/// Runs IKE_SA_INIT with the default proposals narrowed by `narrow` (for
/// trying one suite at a time).
pub fn sa_init_with(
    socket: &UdpSocket,
    first_group: DhGroup,
    narrow: impl Fn(&mut Vec<IkeOffer>),
) -> Result<ProbeResult, ProbeError> {
    let remote = socket.peer_addr()?;
    let local = socket.local_addr()?;
    let rng = SystemRandom::new();
    let mut spi_i = [0u8; 8];
    let mut nonce = vec![0u8; 32];
    fill(&rng, &mut spi_i)?;
    fill(&rng, &mut nonce)?;
    let mut group = first_group;
    let mut cookie: Option<Vec<u8>> = None;
    let mut notes = Vec::new();
    let started = Instant::now();
    let mut requests_sent = 0;
    for _ in 0..=MAX_RESTARTS {
        let key_exchange = KeyExchange::generate(group)?;
        let mut offers = IkeOffer::defaults(group);
        narrow(&mut offers);
        let request = SaInitRequest {
            spi_i,
            offers: &offers,
            group,
            public_key: key_exchange.public_key(),
            nonce: &nonce,
            cookie: cookie.as_deref(),
            local,
            remote,
            force_udp_encapsulation: false,
        };
        let request_bytes = request.to_message().encode()?;
        let (reply_bytes, reply, sent) = exchange(socket, &request_bytes, spi_i, &mut notes)?;
        requests_sent += sent;
        match read_sa_init_reply(&request, &reply, local, remote)? {
            SaInitReply::Accepted(accepted) => {
                return Ok(ProbeResult {
                    spi_i,
                    accepted: *accepted,
                    key_exchange,
                    nonce,
                    request: request_bytes,
                    reply: reply_bytes,
                    local,
                    elapsed: started.elapsed(),
                    requests_sent,
                    notes,
                });
            }
            SaInitReply::Cookie(data) => {
                notes.push(format!(
                    "the SC asked for a cookie ({} bytes); sent it back",
                    data.len()
                ));
                cookie = Some(data);
            }
            SaInitReply::InvalidKe(wanted) => {
                group =
                    DhGroup::from_iana(wanted.raw()).ok_or(ProbeError::UnsupportedGroup(wanted))?;
                notes.push(format!("the SC asked for group {wanted}; retried with it"));
            }
        }
    }
    Err(ProbeError::TooManyRestarts(MAX_RESTARTS))
}

/// Sends `request` and waits for a reply with our SPI, retransmitting.
/// Datagrams that do not decode or belong to another SA are skipped.
fn exchange(
    socket: &UdpSocket,
    request: &[u8],
    spi_i: [u8; 8],
    notes: &mut Vec<String>,
) -> Result<(Vec<u8>, Message, usize), ProbeError> {
    let started = Instant::now();
    let mut buf = vec![0u8; 65_536];
    for (try_index, wait) in RETRANSMIT_WAITS.iter().enumerate() {
        socket.send(request)?;
        let deadline = Instant::now() + *wait;
        loop {
            let now = Instant::now();
            let Some(left) = deadline
                .checked_duration_since(now)
                .filter(|d| !d.is_zero())
            else {
                break;
            };
            socket.set_read_timeout(Some(left))?;
            let n = match socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    // ICMP port unreachable: nothing listens there. Keep
                    // trying, an SC may be starting.
                    notes.push("ICMP port unreachable from the SC".to_owned());
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            let datagram = buf.get(..n).unwrap_or_default();
            match Message::decode(datagram) {
                Ok(m) if m.header.spi_i == spi_i && m.header.flags.response() => {
                    return Ok((datagram.to_vec(), m, try_index + 1));
                }
                Ok(_) => notes.push("dropped a reply for another IKE SA".to_owned()),
                Err(e) => notes.push(format!("dropped a malformed datagram: {}", describe(&e))),
            }
        }
    }
    Err(ProbeError::Timeout {
        remote: socket.peer_addr()?,
        tries: RETRANSMIT_WAITS.len(),
        waited: started.elapsed(),
    })
}

fn describe(e: &DecodeError) -> String {
    e.to_string()
}

fn fill(rng: &SystemRandom, out: &mut [u8]) -> Result<(), ProbeError> {
    rng.fill(out)
        .map_err(|_| ProbeError::Io(io::Error::other("the system random generator failed")))
}
