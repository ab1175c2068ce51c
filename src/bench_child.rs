//! Measuring one child process of a benchmark: wall time, CPU time (user + system) and
//! peak resident memory, the last two from the kernel's own accounting of that child
//! (`wait4(2)`'s `rusage`, through the `wait4` crate), so neither the bench process
//! itself nor other children are counted.

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

    /// A child that touches 64 MiB has a peak of at least that, and the bench process's
    /// own memory is not counted in a small child's peak.
    #[test]
    fn peak_is_the_childs() {
        let me = std::env::current_exe().unwrap();
        let big = std::hint::black_box(vec![1u8; 200 << 20]);
        // `--list` makes the test binary print its tests and exit: a small process.
        let small = measure(Command::new(&me).arg("--list")).unwrap();
        assert!(small.peak < 100 << 20, "{} bytes", small.peak);
        assert!(small.wall >= small.cpu / 4);
        drop(big);
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
