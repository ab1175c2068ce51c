//! Reporting: one status line per test, the failure details, the closing
//! `N passed, N failed[, N skipped]` line, JSON lines (`--json`) and JUnit XML (`--junit`,
//! through the quick-junit crate).

use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase as JCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use super::{Status, TestResult};

/// Thousands separators: `12,345`.
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `PASS  examples/gemm_check  (12,345 cycles, 0.03 s)` and, for non-passing tests, the
/// reason on the same line.
pub fn status_line(r: &TestResult) -> String {
    let mut s = format!("{:<7} {}", r.status.label(), r.name);
    let mut extra = Vec::new();
    if let Some(c) = r.cycles {
        extra.push(format!("{} cycles", thousands(c)));
    }
    extra.push(format!("{:.2} s", r.wall.as_secs_f64()));
    let _ = write!(s, "  ({})", extra.join(", "));
    if r.status != Status::Pass && !r.reason.is_empty() {
        let _ = write!(s, ": {}", r.reason);
    }
    s
}

/// Counts by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// PASS.
    pub passed: usize,
    /// FAIL.
    pub failed: usize,
    /// TIMEOUT.
    pub timeout: usize,
    /// ERROR.
    pub error: usize,
    /// SKIP.
    pub skipped: usize,
}

impl Counts {
    /// Count `results`.
    pub fn of(results: &[TestResult]) -> Counts {
        let mut c = Counts::default();
        for r in results {
            match r.status {
                Status::Pass => c.passed += 1,
                Status::Fail => c.failed += 1,
                Status::Timeout => c.timeout += 1,
                Status::Error => c.error += 1,
                Status::Skip => c.skipped += 1,
            }
        }
        c
    }

    /// Tests that did not pass and were not skipped.
    pub fn not_passed(&self) -> usize {
        self.failed + self.timeout + self.error
    }

    /// `N passed, N failed` (`, N skipped` when any): FAIL, TIMEOUT and ERROR all count as
    /// failed.
    pub fn summary(&self) -> String {
        let mut s = format!("{} passed, {} failed", self.passed, self.not_passed());
        if self.skipped > 0 {
            let _ = write!(s, ", {} skipped", self.skipped);
        }
        s
    }
}

/// The text printed after all tests ran: details of every test that did not pass (in name
/// order), a breakdown of the failures, and the closing summary line.
pub fn closing(results: &[TestResult], wall: Duration) -> String {
    let mut out = String::new();
    let bad: Vec<&TestResult> = results
        .iter()
        .filter(|r| !matches!(r.status, Status::Pass | Status::Skip))
        .collect();
    if !bad.is_empty() {
        let _ = writeln!(out, "\nfailures:");
        for r in &bad {
            let _ = writeln!(
                out,
                "\n---- {} [{}] ({})",
                r.name,
                r.status.label(),
                r.program.display()
            );
            if !r.details.contains(r.reason.as_str()) {
                let _ = writeln!(out, "  {}", r.reason);
            }
            if !r.details.is_empty() {
                out.push_str(&r.details);
                if !r.details.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        let _ = writeln!(out, "\nfailed tests:");
        for r in &bad {
            let _ = writeln!(out, "    {} [{}]", r.name, r.status.label());
        }
    }
    let c = Counts::of(results);
    let _ = writeln!(
        out,
        "\n{} test{} in {:.2} s ({} FAIL, {} TIMEOUT, {} ERROR)",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        wall.as_secs_f64(),
        c.failed,
        c.timeout,
        c.error
    );
    let _ = writeln!(out, "{}", c.summary());
    out
}

/// Version of a `bitloom test --json` record (its `schema` field). Bumped when a field is
/// removed or renamed or its meaning changes; adding a field does not bump it
/// (docs/TESTING.md).
pub const TEST_RECORD_SCHEMA: u32 = 1;

#[derive(Serialize)]
struct JsonRecord<'a> {
    schema: u32,
    name: &'a str,
    program: String,
    status: &'static str,
    reason: &'a str,
    details: &'a str,
    cycles: Option<u64>,
    instructions: Option<u64>,
    wall_ms: f64,
}

/// One JSON line for a test (`--json`).
pub fn json_line(r: &TestResult) -> String {
    let rec = JsonRecord {
        schema: TEST_RECORD_SCHEMA,
        name: &r.name,
        program: r.program.display().to_string(),
        status: r.status.label(),
        reason: &r.reason,
        details: &r.details,
        cycles: r.cycles,
        instructions: r.instructions,
        wall_ms: (r.wall.as_secs_f64() * 1e6).round() / 1e3,
    };
    serde_json::to_string(&rec).unwrap_or_default()
}

/// A JUnit XML report: one test suite named `suite`; a test's class name is its folder
/// (`examples`), its name the file stem. FAIL is a `<failure>`, TIMEOUT and ERROR are
/// `<error>`s (type `timeout`/`error`), SKIP is `<skipped>`.
pub fn junit(results: &[TestResult], suite: &str, wall: Duration) -> Result<String, String> {
    let mut report = Report::new("bitloom test");
    let mut ts = TestSuite::new(suite);
    for r in results {
        let status = match r.status {
            Status::Pass => TestCaseStatus::success(),
            Status::Skip => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(r.reason.clone());
                s
            }
            st => {
                let kind = if st == Status::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut s = TestCaseStatus::non_success(kind);
                s.set_message(r.reason.clone());
                s.set_type(st.label().to_ascii_lowercase());
                s.set_description(r.details.clone());
                s
            }
        };
        let (class, name) = match r.name.rsplit_once('/') {
            Some((c, n)) => (c.replace('/', "."), n.to_string()),
            None => (suite.to_string(), r.name.clone()),
        };
        let mut tc = JCase::new(name, status);
        tc.set_classname(class);
        tc.set_time(r.wall);
        if let Some(c) = r.cycles {
            tc.add_property(quick_junit::Property::new("cycles", c.to_string()));
        }
        ts.add_test_case(tc);
    }
    ts.set_time(wall);
    report.add_test_suite(ts);
    report.set_time(wall);
    report.to_string().map_err(|e| e.to_string())
}
