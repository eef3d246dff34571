//! Leader election against the real kube-apiserver of the test environment
//! (`scripts/test.sh` starts it and sets `KUBECONFIG`).
//!
//! Two electors on one Lease: one leads and the other stands by; a
//! graceful stop hands over at once (long before the lease could expire);
//! a crashed leader (its task dropped, nothing released) is replaced only
//! after its lease expired; a leader whose Lease is taken by hand steps
//! down at once; a leader cut off from the API server steps down before
//! the standby can take the Lease. In every case the two are never
//! leaders at the same time.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, PostParams};
use operator::leader::{LeaderElector, LeaseConfig, LostReason, Outcome};
use serde_json::json;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

async fn client() -> Client {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            std::env::var("DECKMOD_LOG").unwrap_or_else(|_| "info".into()),
        ))
        .with_test_writer()
        .try_init();
    assert!(
        std::env::var("KUBECONFIG").is_ok(),
        "KUBECONFIG is not set: run the tests through scripts/test.sh, which starts the test environment"
    );
    operator::client().await.expect("a client from KUBECONFIG")
}

/// A namespace of this test run's own (the test API server never deletes
/// namespaces, so each run takes a fresh name).
async fn namespace(client: &Client, test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!("leader-{test}-{}", nanos % 1_000_000_000);
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    api.create(&PostParams::default(), &ns)
        .await
        .expect("namespace created");
    name
}

fn config(namespace: &str, identity: &str, lease_secs: u64) -> LeaseConfig {
    LeaseConfig {
        namespace: namespace.to_string(),
        name: "deckmod".to_string(),
        identity: identity.to_string(),
        lease_duration: Duration::from_secs(lease_secs),
        renew_deadline: Duration::from_millis(1500),
        retry_period: Duration::from_millis(250),
    }
}

/// A running elector: its "is leader" receiver, its stop, its task.
struct Candidate {
    leading: watch::Receiver<bool>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Outcome>,
}

fn start(client: Client, config: LeaseConfig) -> Candidate {
    let elector = LeaderElector::new(client, config).expect("valid config");
    let leading = elector.subscribe();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(elector.run(async move {
        let _ = stopped.await;
    }));
    Candidate {
        leading,
        stop: Some(stop),
        task,
    }
}

impl Candidate {
    fn is_leader(&self) -> bool {
        *self.leading.borrow()
    }

    async fn stop(mut self) -> Outcome {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.expect("elector task")
    }
}

/// Wait (at most `secs`) for `cond`, polling every 50 ms.
async fn eventually<F, Fut>(what: &str, secs: u64, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs}s waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks, on every change of either, that the two are never leaders at
/// once; returns how many changes it saw when stopped.
fn never_both(
    mut a: watch::Receiver<bool>,
    mut b: watch::Receiver<bool>,
) -> (oneshot::Sender<()>, JoinHandle<usize>) {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut changes = 0;
        loop {
            tokio::select! {
                _ = &mut stopped => return changes,
                r = a.changed() => if r.is_err() { return changes },
                r = b.changed() => if r.is_err() { return changes },
            }
            changes += 1;
            let (la, lb) = (*a.borrow(), *b.borrow());
            assert!(!(la && lb), "two leaders at once");
        }
    });
    (stop, task)
}

async fn lease(client: &Client, ns: &str) -> Lease {
    let api: Api<Lease> = Api::namespaced(client.clone(), ns);
    api.get("deckmod").await.expect("the Lease exists")
}

fn holder(l: &Lease) -> Option<String> {
    l.spec.as_ref().and_then(|s| s.holder_identity.clone())
}

fn micros(t: &Option<MicroTime>) -> i64 {
    t.as_ref().expect("a time").0.as_microsecond()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_leads_and_a_graceful_stop_hands_over_at_once() {
    let client = client().await;
    let ns = namespace(&client, "graceful").await;
    // A lease of an hour: the standby can only lead within this test if
    // the leader released it.
    let a = start(client.clone(), config(&ns, "a", 3600));
    eventually("a leads", 30, || async { a.is_leader() }).await;
    let b = start(client.clone(), config(&ns, "b", 3600));
    let (stop_check, check) = never_both(a.leading.clone(), b.leading.clone());

    let held = lease(&client, &ns).await;
    assert_eq!(holder(&held).as_deref(), Some("a"));
    assert_eq!(
        held.spec.as_ref().unwrap().lease_duration_seconds,
        Some(3600)
    );
    // The leader renews: renewTime moves while b stands by.
    let first = micros(&held.spec.as_ref().unwrap().renew_time);
    eventually("a renews", 30, || {
        let client = client.clone();
        let ns = ns.clone();
        async move {
            let l = lease(&client, &ns).await;
            micros(&l.spec.as_ref().unwrap().renew_time) > first
        }
    })
    .await;
    assert!(a.is_leader());
    assert!(!b.is_leader(), "b must stand by while a renews");

    assert_eq!(a.stop().await, Outcome::Stopped { released: true });
    eventually("b leads after a released", 60, || async { b.is_leader() }).await;
    let taken = lease(&client, &ns).await;
    assert_eq!(holder(&taken).as_deref(), Some("b"));
    assert_eq!(taken.spec.as_ref().unwrap().lease_transitions, Some(1));

    assert_eq!(b.stop().await, Outcome::Stopped { released: true });
    let released = lease(&client, &ns).await;
    assert_eq!(holder(&released), None, "a graceful stop clears the holder");
    let _ = stop_check.send(());
    assert!(check.await.unwrap() >= 2, "the checker saw the hand-over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_leader_is_replaced_after_its_lease_expires() {
    let client = client().await;
    let ns = namespace(&client, "crash").await;
    let a = start(client.clone(), config(&ns, "a", 3));
    eventually("a leads", 30, || async { a.is_leader() }).await;
    let b = start(client.clone(), config(&ns, "b", 3));

    // A crash: the elector is gone without a word to the API server.
    a.task.abort();
    let _ = a.task.await;
    let last = lease(&client, &ns).await;
    assert_eq!(holder(&last).as_deref(), Some("a"));
    let last_renewal = micros(&last.spec.as_ref().unwrap().renew_time);

    eventually("b leads after a's lease expired", 60, || async {
        b.is_leader()
    })
    .await;
    let taken = lease(&client, &ns).await;
    assert_eq!(holder(&taken).as_deref(), Some("b"));
    let acquired = micros(&taken.spec.as_ref().unwrap().acquire_time);
    // Both times come from this machine's clock.
    assert!(
        acquired - last_renewal >= 3_000_000,
        "b took the Lease {} µs after a's last renewal, before its 3 s lease expired",
        acquired - last_renewal
    );
    assert_eq!(b.stop().await, Outcome::Stopped { released: true });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_whose_lease_is_taken_by_hand_steps_down() {
    let client = client().await;
    let ns = namespace(&client, "stolen").await;
    let a = start(client.clone(), config(&ns, "a", 3));
    eventually("a leads", 30, || async { a.is_leader() }).await;
    let b = start(client.clone(), config(&ns, "b", 3));
    let (stop_check, check) = never_both(a.leading.clone(), b.leading.clone());

    // Someone (kubectl edit) gives the Lease to "intruder" for an hour.
    let api: Api<Lease> = Api::namespaced(client.clone(), &ns);
    let mut stolen = lease(&client, &ns).await;
    {
        let spec = stolen.spec.as_mut().unwrap();
        spec.holder_identity = Some("intruder".into());
        spec.lease_duration_seconds = Some(3600);
        spec.renew_time = Some(MicroTime(Timestamp::now()));
    }
    // The leader may renew in between (409): read again and retry.
    loop {
        match api
            .replace("deckmod", &PostParams::default(), &stolen)
            .await
        {
            Ok(_) => break,
            Err(kube::Error::Api(s)) if s.code == 409 => {
                let spec = stolen.spec.clone();
                stolen = lease(&client, &ns).await;
                stolen.spec = spec;
            }
            Err(e) => panic!("replace the Lease: {e}"),
        }
    }

    let outcome = tokio::time::timeout(Duration::from_secs(30), a.task)
        .await
        .expect("a steps down")
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::Lost(LostReason::TakenBy(Some("intruder".into())))
    );
    assert!(!*a.leading.borrow(), "a reports not-leader");
    // b respects the intruder's hour: after several of its polls it still
    // stands by, and the Lease is the intruder's.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!b.is_leader(), "b must not take a Lease held for an hour");
    assert_eq!(
        holder(&lease(&client, &ns).await).as_deref(),
        Some("intruder")
    );

    // The intruder lets go (holder cleared): b takes over.
    let mut freed = lease(&client, &ns).await;
    freed.spec.as_mut().unwrap().holder_identity = None;
    api.replace("deckmod", &PostParams::default(), &freed)
        .await
        .expect("free the Lease");
    eventually("b leads after the intruder let go", 30, || async {
        b.is_leader()
    })
    .await;
    assert_eq!(b.stop().await, Outcome::Stopped { released: true });
    let _ = stop_check.send(());
    let _ = check.await.unwrap();
}

/// A TCP relay to the API server that can be cut: from then on it keeps
/// every connection open and forwards nothing (a network partition, not a
/// refused connection).
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
}

impl Relay {
    fn start(upstream: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let flag = cut.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(down) = conn else { return };
                let flag = flag.clone();
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    if flag.load(Ordering::SeqCst) {
                        hold(down);
                        return;
                    }
                    let Ok(up) = TcpStream::connect(&upstream) else {
                        return;
                    };
                    let (d2, u2) = (down.try_clone().unwrap(), up.try_clone().unwrap());
                    let f2 = flag.clone();
                    std::thread::spawn(move || pump(u2, d2, f2));
                    pump(down, up, flag);
                });
            }
        });
        Relay { port, cut }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }
}

/// Copy `from` → `to` until cut; then hold both open, silent.
fn pump(mut from: TcpStream, mut to: TcpStream, cut: Arc<AtomicBool>) {
    from.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if cut.load(Ordering::SeqCst) {
            hold(from);
            drop(to);
            return;
        }
        match from.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// Keep a connection open without reading from it.
fn hold(conn: TcpStream) {
    std::thread::sleep(Duration::from_secs(600));
    drop(conn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_cut_off_from_the_api_server_steps_down_before_the_standby_leads() {
    let client = client().await;
    let ns = namespace(&client, "cutoff").await;
    let mut kube_config = kube::Config::infer().await.expect("kubeconfig");
    let upstream = kube_config
        .cluster_url
        .authority()
        .expect("an API server address")
        .to_string();
    let relay = Relay::start(upstream);
    kube_config.cluster_url = format!("https://127.0.0.1:{}", relay.port).parse().unwrap();
    let relayed = Client::try_from(kube_config).expect("a client through the relay");

    let a = start(relayed, config(&ns, "a", 3));
    eventually("a leads", 30, || async { a.is_leader() }).await;
    let b = start(client.clone(), config(&ns, "b", 3));
    let (stop_check, check) = never_both(a.leading.clone(), b.leading.clone());
    let mut a_leading = a.leading.clone();

    relay.cut();
    let step_down = tokio::time::timeout(Duration::from_secs(30), async {
        a_leading.wait_for(|l| !*l).await.unwrap();
        Timestamp::now()
    })
    .await
    .expect("a steps down");
    let outcome = a.task.await.unwrap();
    assert!(
        matches!(outcome, Outcome::Lost(LostReason::RenewDeadline(_))),
        "{outcome:?}"
    );

    eventually("b leads after a's lease expired", 60, || async {
        b.is_leader()
    })
    .await;
    let taken = lease(&client, &ns).await;
    assert_eq!(holder(&taken).as_deref(), Some("b"));
    let acquired = micros(&taken.spec.as_ref().unwrap().acquire_time);
    assert!(
        step_down.as_microsecond() < acquired,
        "a reported not-leader at {step_down}, after b took the Lease ({acquired} µs)"
    );
    assert_eq!(b.stop().await, Outcome::Stopped { released: true });
    let _ = stop_check.send(());
    let _ = check.await.unwrap();
}
