//! Where the reaction benchmark's threads run. By default the kernel places them. With
//! `ROLLOUT_REACTION_PIN=1` the API side (the sim and the stand-in for the ReplicaSet
//! controller) runs on one CPU and everything else (the controller, the benchmark's own client
//! and watches, the stall probe) on the other, as an API server and a controller on machines
//! of their own would, instead of taking turns on the same two CPUs.

/// The CPU of the controller's side; threads started by the main thread inherit it.
pub const CONTROLLER_CPU: usize = 0;
/// The CPU of the API's side.
pub const API_CPU: usize = 1;

/// Whether `ROLLOUT_REACTION_PIN=1` asks for the two sides on a CPU each.
pub fn pinned() -> bool {
    std::env::var("ROLLOUT_REACTION_PIN").is_ok_and(|v| v == "1")
}

/// Binds the calling thread to `cpu`; panics (this is a benchmark) when the kernel refuses,
/// as on a machine with fewer CPUs.
pub fn pin_current_thread(cpu: usize) {
    // SAFETY: `cpu_set_t` is a plain bit set, valid when zeroed; the kernel reads `size` bytes of it.
    let result = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if result != 0 {
        panic!(
            "ROLLOUT_REACTION_PIN=1: cannot bind a thread to CPU {cpu}: {}",
            std::io::Error::last_os_error()
        );
    }
}
