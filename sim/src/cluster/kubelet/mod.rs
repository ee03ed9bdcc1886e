//! The simulated kubelet: starts every pod (Pending → Running → Ready after its
//! `ready-after`), keeps crashing ones in CrashLoopBackOff, runs Job pods to completion and
//! removes pods whose deletion is due.

pub mod controller;
pub mod lifecycle;
pub mod runtime;
pub mod status;
