//! Trying discovered SCs, several at once when one is slow (RFC 8305 in
//! spirit): the first candidate starts at once; the next one starts when
//! the last has not answered IKE_SA_INIT within [`STAGGER`], has answered
//! but not proven its identity within [`AUTH_PATIENCE`], or has failed.
//!
//! Every attempt runs with the initiator's `confirm_sc` step: it stops as
//! soon as its SC has proven the profile's identity, before any EAP
//! response. The first proven SC is told to go on; every other attempt is
//! abandoned with a DELETE, so the user's secret reaches one proven SC
//! only, and never one that failed to prove itself.

use std::time::{Duration, Instant};

use softwire_core::discovery::Candidate;
use softwire_core::ike::initiator::{Established, Event, InitiatorConfig, Phase};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::ike_io::{is_transient, IkeIo};
use crate::{Progress, ProgressFn, SessionError};

/// How long an attempt may go without an IKE_SA_INIT answer before the
/// next candidate starts too (RFC 8305 §5's Connection Attempt Delay).
pub const STAGGER: Duration = Duration::from_millis(250);

/// How long an SC that answered IKE_SA_INIT may take to prove itself
/// before the next candidate starts too: a rogue that answers quickly
/// and then stalls must not hold the connection up.
pub const AUTH_PATIENCE: Duration = Duration::from_secs(2);

/// How long abandoned attempts get to send their DELETE.
const ABANDON_GRACE: Duration = Duration::from_secs(2);

/// The SC that proved itself first, now authenticated and up.
pub(crate) struct Winner {
    pub ike: IkeIo,
    pub established: Box<Established>,
    pub candidate: Candidate,
}

/// Why no candidate won.
#[derive(Debug)]
pub(crate) enum TrialError {
    /// The user stopped it.
    Cancelled,
    /// The SC that proved itself then failed (a refused password, say):
    /// no other candidate is tried with the same secret.
    Winner(SessionError),
    /// Every candidate failed; each with its reason.
    AllFailed(Vec<(Candidate, SessionError)>),
}

enum Report {
    /// Attempt `i` has its IKE_SA_INIT answer.
    InitAnswered(usize),
    /// Attempt `i` ended.
    Done(usize, Box<AttemptEnd>),
}

enum AttemptEnd {
    /// Proven, paused before the EAP response.
    Proven(IkeIo),
    /// Up already (certificate authentication needs no pause).
    Established(IkeIo, Box<Established>),
    /// Failed, or abandoned.
    Failed(SessionError),
}

/// Tries `candidates` in order; `config` makes each attempt's initiator
/// configuration.
pub(crate) async fn race(
    candidates: &[Candidate],
    config: &(dyn Fn() -> Result<InitiatorConfig, SessionError> + Sync),
    progress: &ProgressFn,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Winner, TrialError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut started: Vec<Instant> = Vec::new();
    let mut running = 0usize;
    let mut next_start = Instant::now();
    let mut failures = Vec::new();
    let winner = loop {
        let next = started.len();
        if let Some(candidate) = candidates.get(next) {
            if running == 0 || Instant::now() >= next_start {
                let mut attempt_config = match config() {
                    Ok(c) => c,
                    Err(e) => return Err(TrialError::Winner(e)),
                };
                attempt_config.confirm_sc = true;
                progress(Progress::Trying(candidate.clone()));
                tasks.spawn(attempt(
                    next,
                    attempt_config,
                    candidate.clone(),
                    tx.clone(),
                    stopped.clone(),
                ));
                started.push(Instant::now());
                running += 1;
                next_start = Instant::now() + STAGGER;
                continue;
            }
        }
        let more = started.len() < candidates.len();
        tokio::select! {
            report = rx.recv() => match report {
                Some(Report::InitAnswered(i)) => {
                    if i + 1 == started.len() {
                        if let Some(at) = started.get(i) {
                            next_start = *at + AUTH_PATIENCE;
                        }
                    }
                }
                Some(Report::Done(i, end)) => {
                    running = running.saturating_sub(1);
                    let Some(candidate) = candidates.get(i) else { continue };
                    match *end {
                        AttemptEnd::Proven(ike) => break (candidate.clone(), ike, None),
                        AttemptEnd::Established(ike, e) => break (candidate.clone(), ike, Some(e)),
                        AttemptEnd::Failed(e) => {
                            progress(Progress::CandidateFailed {
                                candidate: candidate.clone(),
                                reason: e.to_string(),
                            });
                            failures.push((candidate.clone(), e));
                            if running == 0 && !more {
                                return Err(TrialError::AllFailed(failures));
                            }
                        }
                    }
                }
                // Unreachable: this function holds a sender.
                None => return Err(TrialError::AllFailed(failures)),
            },
            () = tokio::time::sleep_until(next_start.into()), if more => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    let _ = stop.send(true);
                    wind_down(tasks, rx);
                    return Err(TrialError::Cancelled);
                }
            }
        }
    };
    // Everyone else stops (with a DELETE) before the winner goes on.
    let _ = stop.send(true);
    drop(tx);
    wind_down(tasks, rx);
    let (candidate, mut ike, established) = winner;
    let established = match established {
        Some(e) => e,
        None => {
            ike.initiator.proceed(Instant::now());
            match ike.establish(progress, shutdown).await {
                Ok(e) => e,
                Err(SessionError::Cancelled) => return Err(TrialError::Cancelled),
                Err(e) => return Err(TrialError::Winner(e)),
            }
        }
    };
    Ok(Winner {
        ike,
        established,
        candidate,
    })
}

/// Lets the other attempts finish abandoning in the background, and
/// abandons any that proved themselves too late.
fn wind_down(mut tasks: JoinSet<()>, mut rx: mpsc::UnboundedReceiver<Report>) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(ABANDON_GRACE, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        rx.close();
        while let Some(report) = rx.recv().await {
            if let Report::Done(_, end) = report {
                match *end {
                    AttemptEnd::Proven(mut ike) | AttemptEnd::Established(mut ike, _) => {
                        ike.initiator.abandon(Instant::now());
                        let _ = tokio::time::timeout(ABANDON_GRACE, ike.flush()).await;
                    }
                    AttemptEnd::Failed(_) => {}
                }
            }
        }
    });
}

/// One candidate: IKE_SA_INIT and IKE_AUTH up to the SC's proof.
async fn attempt(
    index: usize,
    config: InitiatorConfig,
    candidate: Candidate,
    reports: mpsc::UnboundedSender<Report>,
    mut stop: watch::Receiver<bool>,
) {
    let end = match IkeIo::start(config, candidate.address).await {
        Ok(mut ike) => match prove(&mut ike, index, &reports, &mut stop).await {
            Ok(None) => AttemptEnd::Proven(ike),
            Ok(Some(established)) => AttemptEnd::Established(ike, established),
            Err(e) => AttemptEnd::Failed(e),
        },
        Err(e) => AttemptEnd::Failed(e),
    };
    let _ = reports.send(Report::Done(index, Box::new(end)));
}

/// Runs the exchange until the SC has proven itself (`Ok(None)`), the
/// SAs are up (`Ok(Some)`), it fails, or `stop` abandons it.
async fn prove(
    ike: &mut IkeIo,
    index: usize,
    reports: &mpsc::UnboundedSender<Report>,
    stop: &mut watch::Receiver<bool>,
) -> Result<Option<Box<Established>>, SessionError> {
    let mut buf = vec![0u8; 65_536];
    let mut abandoned: Option<Instant> = None;
    loop {
        ike.flush().await?;
        while let Some(event) = ike.initiator.poll_event() {
            match event {
                Event::Phase(Phase::Authenticating) => {
                    let _ = reports.send(Report::InitAnswered(index));
                }
                Event::ScProven { .. } => return Ok(None),
                Event::Established(e) => return Ok(Some(e)),
                Event::Closed(Err(e)) => return Err(e.into()),
                Event::Closed(Ok(())) => return Err(SessionError::Cancelled),
                Event::Phase(_)
                | Event::ChildRekeyed(_)
                | Event::ChildOutbound { .. }
                | Event::ChildRetired { .. }
                | Event::PathUpdated { .. } => {}
            }
        }
        let deadline = match (ike.initiator.poll_timeout(), abandoned) {
            (Some(d), Some(a)) => Some(d.min(a + ABANDON_GRACE)),
            (d, None) => d,
            (None, Some(a)) => Some(a + ABANDON_GRACE),
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = ike.socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    let datagram = buf.get(..n).unwrap_or_default();
                    ike.initiator.handle_datagram(Instant::now(), from, datagram);
                }
                Err(e) if is_transient(&e) => {}
                Err(e) => return Err(e.into()),
            },
            () = sleep => {
                if abandoned.is_some_and(|a| a.elapsed() >= ABANDON_GRACE) {
                    return Err(SessionError::Cancelled);
                }
                ike.initiator.handle_timeout(Instant::now());
            }
            changed = stop.changed(), if abandoned.is_none() => {
                if changed.is_err() || *stop.borrow() {
                    abandoned = Some(Instant::now());
                    ike.initiator.abandon(Instant::now());
                }
            }
        }
    }
}
