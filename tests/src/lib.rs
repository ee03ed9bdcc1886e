//! Support for the end-to-end tests in `tests/tests/`: real parts started on loopback and
//! stopped when the test ends, also when it fails.

pub mod http;
pub mod prometheus;
