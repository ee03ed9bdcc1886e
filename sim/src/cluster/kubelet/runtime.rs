//! The kubelet's own memory, as a container runtime keeps it: when each pod's containers
//! started and which IP its sandbox has. Rebuilt from pod status after a restart.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::Pod;
use tokio::time::Instant;

use super::status::Started;

/// Pod IPs come from 10.244.0.0/16, as on a single-node kind cluster.
const POD_NETWORK: u32 = u32::from_be_bytes([10, 244, 0, 0]);
const POD_NETWORK_SIZE: u32 = 1 << 16;

#[derive(Debug, Default)]
pub struct Runtime {
    started: HashMap<String, (Instant, Started)>,
    ips_in_use: HashSet<Ipv4Addr>,
    next_ip: u32,
    /// Pods whose final delete was sent, so it is sent once.
    deleted: HashSet<String>,
}

impl Runtime {
    /// The start of a pod's containers: remembered, rebuilt from its status, or now.
    pub fn start(&mut self, uid: &str, pod: &Pod, now: Instant, wall: jiff::Timestamp) -> (Instant, Started) {
        if let Some(known) = self.started.get(uid) {
            return *known;
        }
        let status = pod.status.as_ref();
        let recorded_start = status.and_then(|s| s.start_time.as_ref()).map(|t| t.0);
        let recorded_ip = status
            .and_then(|s| s.pod_ip.as_deref())
            .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
            .filter(|ip| !self.ips_in_use.contains(ip));
        let (instant, start_wall) = match recorded_start {
            Some(start) => {
                let ago = wall.duration_since(start).try_into().unwrap_or_default();
                (now.checked_sub(ago).unwrap_or(now), start)
            }
            None => (now, wall),
        };
        let ip = recorded_ip.unwrap_or_else(|| self.allocate_ip());
        self.ips_in_use.insert(ip);
        let entry = (instant, Started { wall: start_wall, ip });
        self.started.insert(uid.to_string(), entry);
        entry
    }

    fn allocate_ip(&mut self) -> Ipv4Addr {
        for _ in 0..POD_NETWORK_SIZE {
            // Skip .0 and .1 of the range (network and gateway).
            let offset = 2 + self.next_ip % (POD_NETWORK_SIZE - 2);
            self.next_ip = self.next_ip.wrapping_add(1);
            let ip = Ipv4Addr::from(POD_NETWORK + offset);
            if !self.ips_in_use.contains(&ip) {
                return ip;
            }
        }
        // Every address is taken (65k pods): share one rather than fail.
        Ipv4Addr::from(POD_NETWORK + 2)
    }

    /// Whether the final delete of a pod still has to be sent; marks it sent.
    pub fn first_delete(&mut self, uid: &str) -> bool {
        self.deleted.insert(uid.to_string())
    }

    /// Forgets pods that no longer exist, freeing their IPs.
    pub fn retain(&mut self, live: &HashSet<&str>) {
        let gone: Vec<String> = self
            .started
            .keys()
            .filter(|uid| !live.contains(uid.as_str()))
            .cloned()
            .collect();
        for uid in gone {
            if let Some((_, started)) = self.started.remove(&uid) {
                self.ips_in_use.remove(&started.ip);
            }
        }
        self.deleted.retain(|uid| live.contains(uid.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pod_fixtures::{now, pod};

    #[test]
    fn ips_are_unique_and_freed_with_their_pod() {
        let mut runtime = Runtime::default();
        let instant = Instant::now();
        let (_, a) = runtime.start("a", &pod("a"), instant, now());
        let (_, b) = runtime.start("b", &pod("b"), instant, now());
        assert_ne!(a.ip, b.ip);
        assert_eq!(a.ip, Ipv4Addr::new(10, 244, 0, 2));
        assert_eq!(runtime.start("a", &pod("a"), instant, now()).1, a, "remembered");
        runtime.retain(&["b"].into_iter().collect());
        assert!(!runtime.ips_in_use.contains(&a.ip));
    }

    #[test]
    fn a_pod_started_before_a_restart_keeps_its_start_and_ip() {
        let mut runtime = Runtime::default();
        let mut running = pod("a");
        if let Some(status) = running.status.as_mut() {
            status.start_time = Some(crate::cluster::pod_fixtures::at(-10));
            status.pod_ip = Some("10.244.3.4".into());
        }
        let instant = Instant::now();
        let (started_at, started) = runtime.start("a", &running, instant, now());
        assert_eq!(started.ip, Ipv4Addr::new(10, 244, 3, 4));
        assert_eq!(started.wall, crate::cluster::pod_fixtures::at(-10).0);
        assert!(instant.duration_since(started_at) >= std::time::Duration::from_secs(9));
    }
}
