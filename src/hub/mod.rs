//! The WebSocket hub: workers connect back to it, clients drive it, tasks live in it.
//!
//! Every connection goes through the same gate ([`Hub::handle_connection`]): read the HTTP head
//! within the handshake timeout, answer `/healthz`, refuse a foreign `Origin` (403) or a missing
//! or wrong token (401), then upgrade. A connection limit (a semaphore) bounds how many are open.

pub mod auth;
mod client_conn;
mod client_queue;
pub mod containment;
mod frames;
/// The HTTP request-head parser the hub runs on every new connection, before authentication.
/// Public only so the fuzz targets in `fuzz/` can reach it; not meant as API.
#[doc(hidden)]
pub mod http;
mod lane;
mod reload;
mod spawner;
mod waiting;
mod worker_conn;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;

use auth::Token;
pub use frames::encode;
use http::{read_head, respond, Replay};
use lane::BulkLane;
pub use reload::watch_rules;
pub use spawner::{keep_inherited_descriptors_from_tasks, SpawnError, SpawnRequest};

use crate::tasks::{Retention, Tasks};

/// A WebSocket connection as the hub holds it.
type Socket = WebSocketStream<Replay<TcpStream>>;

#[derive(Debug, Clone)]
pub struct HubConfig {
    pub listen: SocketAddr,
    /// `Origin` values allowed to connect; requests without `Origin` (native clients) always are.
    pub allow_origins: Vec<String>,
    /// Largest message accepted; a larger one closes the socket with 1009.
    pub max_message_size: usize,
    pub handshake_timeout: Duration,
    /// Client connections at once (`--max-clients`; workers are counted per task instead).
    pub max_connections: usize,
    /// Keepalive: a ping this often; a peer silent for three intervals is dropped.
    pub ping_interval: Duration,
    /// The program run as `PROGRAM worker ...` for each task (normally this very binary).
    pub worker_exe: PathBuf,
    /// A running task whose worker stays away this long is marked lost.
    pub lost_after: Duration,
    /// A session supervised through `axiom hook` that sends nothing for this long is marked lost.
    pub session_idle: Duration,
    /// How long the workers this hub starts keep their child running while the hub is unreachable.
    /// Zero for a hub that can never come back (`axiom run`'s in-process hub).
    pub worker_reconnect_window: Duration,
    /// Finished task histories to drop while running (checked every minute); `None` keeps all.
    pub retention: Option<Retention>,
    /// Make this process a child subreaper and end whatever a worker killed with `SIGKILL` leaves
    /// behind (see [`crate::worker::tree::end_strays`]). Only for a process whose only children
    /// are the hub's workers: `serve`, `run`, `mcp`.
    pub adopt_orphans: bool,
    /// Where each task gets a cgroup of its own (see [`containment`]); `None`: tasks are contained
    /// by their process tree only.
    pub containment: Option<Arc<containment::Containment>>,
}

impl HubConfig {
    pub fn new(listen: SocketAddr) -> Self {
        HubConfig {
            listen,
            allow_origins: Vec::new(),
            max_message_size: 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
            max_connections: 4096,
            ping_interval: Duration::from_secs(20),
            // `AXIOM_WORKER_EXE` names another program to run as `axiom worker` (packaging, and the
            // tests that play a thief holding a worker's token); this binary by default.
            worker_exe: std::env::var_os("AXIOM_WORKER_EXE")
                .filter(|exe| !exe.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| std::env::current_exe().unwrap_or_else(|_| PathBuf::from("axiom"))),
            lost_after: Duration::from_secs(60),
            session_idle: Duration::from_secs(12 * 60 * 60),
            worker_reconnect_window: Duration::from_secs(60),
            retention: None,
            adopt_orphans: false,
            containment: None,
        }
    }

    fn websocket(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_message_size))
    }
}

pub struct Hub {
    pub tasks: Arc<Tasks>,
    pub config: HubConfig,
    client_token: Token,
    local_addr: SocketAddr,
    /// Places for client connections that have said who they are.
    client_places: Arc<Semaphore>,
    /// The bytes all clients' queues may hold together (see [`client_queue`]).
    client_bytes: Arc<Semaphore>,
    /// Connections whose request has not been read yet.
    waiting: waiting::WaitingRoom,
    /// Where output from flooding workers is processed, in turn (see [`lane`]).
    bulk: BulkLane,
    shutdown: watch::Sender<bool>,
    /// mini-redis's `shutdown_complete`: every connection holds a clone of this sender, so once
    /// the hub's own copy is dropped, the receiver's `recv` returns `None` exactly when the last
    /// connection has ended.
    shutdown_complete: std::sync::Mutex<Option<mpsc::Sender<()>>>,
    all_closed: tokio::sync::Mutex<mpsc::Receiver<()>>,
    /// Pids of the worker processes this hub started and has not reaped yet.
    workers: std::sync::Mutex<std::collections::HashSet<u32>>,
}

/// How often finished tasks' output rings are handed over to their histories.
const RELEASE_INTERVAL: Duration = Duration::from_secs(5);
/// How often retention runs while the hub is up.
const RETENTION_INTERVAL: Duration = Duration::from_secs(60);
/// At shutdown, how long to wait for connections to close and histories to be written.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);

impl Hub {
    /// Binds the listener. Nothing is served until [`serve`](Self::serve).
    pub async fn bind(
        config: HubConfig,
        tasks: Arc<Tasks>,
        client_token: Token,
    ) -> std::io::Result<(Arc<Hub>, TcpListener)> {
        let listener = TcpListener::bind(config.listen).await?;
        let local_addr = listener.local_addr()?;
        let client_places = Arc::new(Semaphore::new(config.max_connections));
        let shutdown = watch::Sender::new(false);
        let bulk = BulkLane::for_this_machine()?;
        if config.adopt_orphans {
            crate::worker::tree::become_subreaper()?;
        }
        let (complete, all_closed) = mpsc::channel(1);
        let hub = Hub {
            tasks,
            config,
            client_token,
            local_addr,
            client_places,
            client_bytes: client_queue::all_clients_budget(),
            waiting: waiting::WaitingRoom::default(),
            bulk,
            shutdown,
            shutdown_complete: std::sync::Mutex::new(Some(complete)),
            all_closed: tokio::sync::Mutex::new(all_closed),
            workers: Default::default(),
        };
        Ok((Arc::new(hub), listener))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where workers and clients connect: `ws://HOST:PORT`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.local_addr)
    }

    pub fn client_token(&self) -> &Token {
        &self.client_token
    }

    /// Binds and serves in the background, and keeps house: marks lost the tasks whose workers
    /// stay away, frees finished tasks' output rings once their histories hold everything, and
    /// applies retention.
    pub async fn start(config: HubConfig, tasks: Arc<Tasks>, client_token: Token) -> std::io::Result<Arc<Hub>> {
        let (hub, listener) = Hub::bind(config, tasks, client_token).await?;
        tokio::spawn(Arc::clone(&hub).serve(listener));
        tokio::spawn(Arc::clone(&hub).keep_house());
        let cleaner = Arc::clone(&hub);
        tokio::spawn(async move { cleaner.end_leftover_cgroups().await });
        Ok(hub)
    }

    async fn keep_house(self: Arc<Self>) {
        let mut shutdown = self.shutdown_signal();
        let mut sweep = tokio::time::interval(Duration::from_secs(1));
        let mut release = tokio::time::interval(RELEASE_INTERVAL);
        let mut retention = tokio::time::interval(RETENTION_INTERVAL);
        for timer in [&mut sweep, &mut release, &mut retention] {
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        retention.reset();
        let mut releasing: Option<tokio::task::JoinHandle<()>> = None;
        loop {
            tokio::select! {
                _ = sweep.tick() => {
                    self.end_cgroups_of_finished_tasks(Instant::now());
                    let abandoned = self.tasks.sweep(Instant::now(), self.config.lost_after, self.config.session_idle);
                    if !abandoned.is_empty() {
                        // Ending a tree may take seconds: the sweeps, releases and shutdown go on.
                        let hub = Arc::clone(&self);
                        tokio::spawn(async move { hub.end_abandoned_workers(abandoned).await });
                    }
                }
                _ = release.tick() => {
                    if self.tasks.journal().is_none() {
                        continue;
                    }
                    // One release at a time, waited for aside: on a full disk the journal may not
                    // be written for long, and the sweeps and retention (which frees the disk)
                    // must go on meanwhile.
                    if releasing.as_ref().is_some_and(|release| !release.is_finished()) {
                        continue;
                    }
                    let finished: Vec<_> =
                        self.tasks.unordered().into_iter().filter(|task| task.status().is_finished()).collect();
                    let hub = Arc::clone(&self);
                    let mut shutdown = shutdown.clone();
                    // Everything these tasks printed was queued before they finished: once the
                    // journal has written what is queued now, their histories hold all of it.
                    releasing = Some(tokio::spawn(async move {
                        let Some(journal) = hub.tasks.journal() else { return };
                        tokio::select! {
                            () = journal.flushed() => { hub.tasks.release_finished(&finished); }
                            _ = shutdown.changed() => {}
                        }
                    }));
                }
                _ = retention.tick() => {
                    if let Some(policy) = self.config.retention {
                        let removed = self.tasks.apply_retention(policy);
                        if removed > 0 {
                            tracing::info!(removed, "retention removed finished tasks");
                        }
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Stops accepting connections, closes every open one (workers hear "going away" and
    /// reconnect to the next hub on the same address) and waits until they have all ended, then
    /// until the task histories are written — each wait bounded, none blocking a runtime thread.
    pub async fn shutdown(&self) {
        self.shutdown.send_replace(true);
        drop(self.shutdown_complete.lock().unwrap_or_else(|p| p.into_inner()).take());
        let mut all_closed = self.all_closed.lock().await;
        if tokio::time::timeout(SHUTDOWN_LIMIT, all_closed.recv()).await.is_err() {
            tracing::warn!("some connections did not close in time");
        }
        if let Some(journal) = self.tasks.journal() {
            if tokio::time::timeout(SHUTDOWN_LIMIT, journal.flushed()).await.is_err() {
                crate::logging::note!(
                    "axiom: warning: task histories could not all be written (is the disk full?): a running \
                     task's worker still holds what was not written and sends it to the next hub, but what an \
                     ended task printed last may be lost"
                );
            }
        }
        // The cgroups of running tasks stay, for the next hub; with none, the place goes too.
        if let Some(place) = &self.config.containment {
            place.remove_if_empty();
        }
    }

    /// Resolves when [`shutdown`](Self::shutdown) is called.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Accepts connections until the listener fails or the hub shuts down.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        let mut shutdown = self.shutdown_signal();
        let Some(complete) = self.shutdown_complete.lock().unwrap_or_else(|p| p.into_inner()).clone() else {
            return;
        };
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = shutdown.changed() => return,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Running out of file descriptors is temporary; back off instead of spinning.
                    tracing::warn!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let hub = Arc::clone(&self);
            let complete = complete.clone();
            tokio::spawn(async move {
                hub.handle_connection(stream, peer).await;
                drop(complete);
            });
        }
    }

    async fn handle_connection(self: Arc<Self>, mut stream: TcpStream, peer: SocketAddr) {
        // Interventions are small and latency-bound.
        let _ = stream.set_nodelay(true);
        let mut shutdown = self.shutdown_signal();
        let seat = self.waiting.enter();
        let read = tokio::select! {
            // A request that has arrived is read, even if the room was full meanwhile.
            biased;
            read = tokio::time::timeout(self.config.handshake_timeout, read_head(&mut stream)) => read,
            _ = shutdown.changed() => return,
            () = seat.dropped.notified() => {
                tracing::debug!(%peer, "dropped a connection that waited longest to send its request");
                return;
            }
        };
        drop(seat);
        let head = match read {
            Ok(Ok(Some(head))) => head,
            Ok(Ok(None)) => return,
            Ok(Err(err)) => {
                let _ = respond(&mut stream, 400, "Bad Request", &format!("{err}\n")).await;
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "handshake timed out");
                let _ = respond(&mut stream, 408, "Request Timeout", "handshake timed out\n").await;
                return;
            }
        };
        if let Some(origin) = &head.origin {
            if !self.config.allow_origins.iter().any(|allowed| allowed == origin) {
                tracing::warn!(%peer, %origin, "refused a request from a web origin");
                let _ = respond(&mut stream, 403, "Forbidden", "origin not allowed\n").await;
                return;
            }
        }
        match (head.method.as_str(), head.path.as_str()) {
            ("GET", "/healthz") => {
                let _ = respond(&mut stream, 200, "OK", "ok\n").await;
            }
            ("GET", "/worker") => {
                let task = head.query_param("task_id").and_then(|id| self.tasks.get(id));
                let Some(task) = task.filter(|task| task.worker_key.authorizes(head.authorization.as_deref())) else {
                    let _ = respond(&mut stream, 401, "Unauthorized", "unknown task or wrong token\n").await;
                    return;
                };
                // A task's token dies with the task: its history can never be appended to again.
                if task.status().is_finished() {
                    let _ = respond(&mut stream, 410, "Gone", "the task has ended\n").await;
                    return;
                }
                let Some(_place) = task.worker_place() else {
                    tracing::warn!(%peer, task = %task.id, "refused a worker connection: the task has too many");
                    let _ =
                        respond(&mut stream, 503, "Service Unavailable", "too many connections for this task\n").await;
                    return;
                };
                if let Some(socket) = self.upgrade(stream, head).await {
                    worker_conn::run(self, task, socket).await;
                }
            }
            ("GET", "/client") => {
                if !self.client_token.authorizes(head.authorization.as_deref()) {
                    let _ = respond(&mut stream, 401, "Unauthorized", "missing or wrong token\n").await;
                    return;
                }
                // Only clients take the hub's places. A worker's connection is its task's one
                // (a second replaces the first), so clients holding every place (a task can read
                // the client token) never keep a worker from reconnecting: its task would be lost.
                let Ok(_permit) = Arc::clone(&self.client_places).try_acquire_owned() else {
                    tracing::warn!(%peer, "refused a client: {} are connected", self.config.max_connections);
                    let _ = respond(&mut stream, 503, "Service Unavailable", "too many connections\n").await;
                    return;
                };
                if let Some(socket) = self.upgrade(stream, head).await {
                    client_conn::run(self, socket).await;
                }
            }
            _ => {
                let _ = respond(&mut stream, 404, "Not Found", "try /worker, /client or /healthz\n").await;
            }
        }
    }

    async fn upgrade(&self, mut stream: TcpStream, head: http::RequestHead) -> Option<Socket> {
        if !head.upgrade_websocket {
            let _ = respond(&mut stream, 426, "Upgrade Required", "this endpoint speaks WebSocket\n").await;
            return None;
        }
        let replay = Replay::new(head.raw, stream);
        let handshake = tokio_tungstenite::accept_async_with_config(replay, Some(self.config.websocket()));
        match tokio::time::timeout(self.config.handshake_timeout, handshake).await {
            Ok(Ok(socket)) => Some(socket),
            Ok(Err(err)) => {
                tracing::debug!("websocket handshake failed: {err}");
                None
            }
            Err(_) => None,
        }
    }
}
