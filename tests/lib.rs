//! Helpers shared by the end-to-end tests in `tests/tests/` and the load benchmark.

pub mod fault_support;
pub mod fuzz_gen;
pub mod load_gen;
pub mod serve;
pub mod spread;
