//! Measuring one child process of a benchmark: wall time, CPU time (user + system) and
//! peak resident memory, the last two from the kernel's own accounting of that child
//! (`wait4(2)`'s `rusage`, through the `wait4` crate), so other children are not counted.
//! Linux reports a child's peak as at least the parent's own peak at the time of the
//! spawn (the child starts in the parent's address space), so a parent that measures
//! must stay small.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wait4::Wait4 as _;

/// What one run of a command cost.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Wall-clock time from spawn to exit.
    pub wall: Duration,
    /// User plus system CPU time of the child.
    pub cpu: Duration,
    /// Peak resident set size of the child, bytes.
    pub peak: u64,
}

/// Run `cmd` to completion (output discarded except stderr, shown if it fails).
pub fn measure(cmd: &mut Command) -> Result<Sample, String> {
    let t = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    // The child's stderr is read only after it exits: fine for the little an assembler
    // prints on success; a failure's message is cut at the pipe's buffer (64 KiB).
    let r = child.wait4().map_err(|e| format!("{cmd:?}: {e}"))?;
    let wall = t.elapsed();
    if !r.status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        return Err(format!("{cmd:?} failed ({}):\n{err}", r.status));
    }
    Ok(Sample {
        wall,
        cpu: r.rusage.utime + r.rusage.stime,
        peak: r.rusage.maxrss,
    })
}

/// Medians of each measure over `runs` (not empty) taken separately.
pub fn median(runs: &[Sample]) -> Sample {
    fn mid<T: Ord + Copy>(mut v: Vec<T>) -> T {
        v.sort_unstable();
        v[v.len() / 2]
    }
    Sample {
        wall: mid(runs.iter().map(|s| s.wall).collect()),
        cpu: mid(runs.iter().map(|s| s.cpu).collect()),
        peak: mid(runs.iter().map(|s| s.peak).collect()),
    }
}

/// Mebibytes, for reports.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child that fills a 64 MiB buffer (`dd` with one 64 MiB block) has a peak of at
    /// least that; its CPU time is its own (at most its wall time, give or take a tick).
    #[test]
    fn peak_and_cpu_are_the_childs() {
        let s =
            measure(Command::new("dd").args(["if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]))
                .unwrap();
        assert!(s.peak >= 64 << 20, "{} bytes", s.peak);
        assert!(s.cpu <= s.wall + Duration::from_millis(20), "{s:?}");
    }

    #[test]
    fn failure_is_an_error() {
        let e = measure(Command::new("sh").args(["-c", "echo oops >&2; exit 3"])).unwrap_err();
        assert!(e.contains("oops"), "{e}");
    }

    #[test]
    fn median_of_each_measure() {
        let s = |w: u64, c: u64, p: u64| Sample {
            wall: Duration::from_millis(w),
            cpu: Duration::from_millis(c),
            peak: p,
        };
        let m = median(&[s(3, 1, 9), s(1, 2, 7), s(2, 3, 8)]);
        assert_eq!((m.wall.as_millis(), m.cpu.as_millis(), m.peak), (2, 2, 8));
    }
}
