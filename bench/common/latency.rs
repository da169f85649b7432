//! What the latency benchmarks share: the CPU clocks and the p50 / p99 / max summary of a run.
//! bench/search and bench/v3 belong to different crates, so each includes this file as a module
//! (`#[path = "../common/latency.rs"] mod latency;`) rather than through a crate of its own.

use std::time::Duration;

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): unlike wall time it leaves out
/// the time the scheduler gave to other processes, which on a shared 2-core machine is most of
/// the wall-clock tail.
pub fn thread_cpu() -> Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

pub fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes into the timespec we own.
    unsafe { libc::clock_gettime(id, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A run's wall-time quantiles and its CPU-time quantiles, per operation.
pub struct Latency {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub cpu_p50: Duration,
    pub cpu_p99: Duration,
}

impl Latency {
    /// From each operation's wall and CPU time (the two lists in any order; at least one each).
    pub fn of(wall: Vec<Duration>, cpu: Vec<Duration>) -> Latency {
        let n = wall.len();
        let (p50, p99, max) = quantiles(wall);
        let (cpu_p50, cpu_p99, _) = quantiles(cpu);
        Latency {
            n,
            p50,
            p99,
            max,
            cpu_p50,
            cpu_p99,
        }
    }

    /// The markdown cells `p50 | p99 | max | CPU p50 | CPU p99`, written by `unit`.
    pub fn cells(&self, unit: fn(Duration) -> String) -> String {
        [self.p50, self.p99, self.max, self.cpu_p50, self.cpu_p99]
            .map(unit)
            .join(" | ")
    }
}

/// p50, p99 (nearest rank) and max.
fn quantiles(mut xs: Vec<Duration>) -> (Duration, Duration, Duration) {
    xs.sort();
    let at = |q: f64| xs[((xs.len() as f64 * q).ceil() as usize).clamp(1, xs.len()) - 1];
    (at(0.50), at(0.99), *xs.last().expect("at least one sample"))
}
