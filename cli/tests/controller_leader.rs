//! Two `linnet controller` processes against one sim: one takes the leader Lease and keeps it
//! while the other waits; on SIGTERM the leader exits cleanly and releases the Lease, and the
//! other takes over well before the Lease would have expired.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use linnet_crds::Kind;
use linnet_sim::{SimHandle, SimOptions};
use serde_json::json;
use tokio::time::Instant;

const NAMESPACE: &str = "ha";
const LEASE: Duration = Duration::from_secs(2);

/// A `linnet controller` process, killed on drop if still running.
struct Controller(Child);

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_controller(kubeconfig: &Path, identity: &str) -> Controller {
    let child = Command::new(env!("CARGO_BIN_EXE_linnet"))
        .args(["controller", "--namespace", NAMESPACE, "--lease-duration", "2"])
        .args(["--identity", identity])
        .env("KUBECONFIG", kubeconfig)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start linnet controller: {e}"));
    Controller(child)
}

/// The Lease's holder and transitions, read straight from the sim's store.
fn holder(sim: &SimHandle) -> Option<(String, i64)> {
    let lease = sim.get(
        "coordination.k8s.io",
        "leases",
        NAMESPACE,
        "linnet-controller-lock",
    )?;
    let spec = &lease["spec"];
    Some((
        spec["holderIdentity"].as_str().unwrap_or("").to_string(),
        spec["leaseTransitions"].as_i64().unwrap_or(0),
    ))
}

async fn eventually_held_by(sim: &SimHandle, identity: &str, timeout: Duration) -> i64 {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = holder(sim);
        if let Some((holder, transitions)) = &seen
            && holder == identity
        {
            return *transitions;
        }
        assert!(
            Instant::now() < deadline,
            "{identity} never held the Lease; last seen {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_controllers_elect_one_leader_and_hand_over_on_sigterm() {
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sim did not start: {e}"));
    let crd = serde_json::to_value(Kind::Rollout.crd()).unwrap_or_else(|e| panic!("bad CRD: {e}"));
    sim.create(crd)
        .unwrap_or_else(|e| panic!("cannot install the Rollout CRD: {e:?}"));
    sim.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
        .unwrap_or_else(|e| panic!("cannot create namespace: {e:?}"));

    // Given replica a leading, then replica b started
    let mut a = start_controller(sim.kubeconfig_path(), "replica-a");
    eventually_held_by(&sim, "replica-a", Duration::from_secs(30)).await;
    let _b = start_controller(sim.kubeconfig_path(), "replica-b");
    // Then a keeps the Lease for longer than its duration: it renews, b waits
    tokio::time::sleep(LEASE + LEASE / 2).await;
    assert_eq!(holder(&sim).map(|(h, _)| h).as_deref(), Some("replica-a"));

    // When a gets SIGTERM
    let asked = Instant::now();
    let signalled = Command::new("kill")
        .args(["-TERM", &a.0.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
    assert!(signalled.success());
    // Then it exits cleanly, having released the Lease, and b leads well within a lease duration
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = a.0.try_wait().unwrap_or_else(|e| panic!("cannot wait: {e}")) {
            break exit;
        }
        assert!(Instant::now() < deadline, "replica a did not exit on SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "replica a exited with {exit}");
    let transitions = eventually_held_by(&sim, "replica-b", Duration::from_secs(30)).await;
    let handover = asked.elapsed();
    println!("hand-over between two linnet controller processes after SIGTERM: {handover:?}");
    assert!(handover < LEASE, "hand-over took {handover:?}");
    assert_eq!(transitions, 1);
}
