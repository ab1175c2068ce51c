//! The program test runner end to end through its library API: the bundled suite passes;
//! broken expectations fail with a readable diff; `--update` repairs them keeping
//! comments; timeouts (step budget and wall clock); expected traps; bad expectation files
//! are errors naming file:line:col; JUnit XML parses; partitions cover every test once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bitloom_programs::programs_dir;
use bitloom_programs::runner::{
    self, discover, report, update, Partition, Status, SuiteOptions, TestCase, TestResult,
};

/// A scratch folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("bitloom-runner-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_dir(dir: &Path, opts: &SuiteOptions) -> Vec<TestResult> {
    let tests = discover(&[dir.to_path_buf()]).unwrap();
    runner::run_suite(&tests, opts, &mut |_| {})
}

fn one(dir: &Path, opts: &SuiteOptions) -> TestResult {
    let mut r = run_dir(dir, opts);
    assert_eq!(r.len(), 1, "{r:?}");
    r.remove(0)
}

fn opts() -> SuiteOptions {
    SuiteOptions {
        jobs: 2,
        ..SuiteOptions::default()
    }
}

/// conformance/store.s with its include, in a scratch folder.
fn store_program(s: &Scratch) {
    let conf = programs_dir().join("conformance");
    s.write(
        "include/conf.inc",
        &std::fs::read_to_string(conf.join("include/conf.inc")).unwrap(),
    );
    s.write(
        "store.s",
        &std::fs::read_to_string(conf.join("store.s")).unwrap(),
    );
}

#[test]
fn bundled_suite_passes_in_checked_mode() {
    let tests = discover(&[programs_dir()]).unwrap();
    assert!(tests.len() >= 25, "only {} programs", tests.len());
    // Checked mode: every accelerator instruction is also computed by the reference.
    let o = SuiteOptions {
        checked: true,
        ..opts()
    };
    let results = runner::run_suite(&tests, &o, &mut |_| {});
    let bad: Vec<String> = results
        .iter()
        .filter(|r| r.status != Status::Pass)
        .map(report::status_line)
        .collect();
    assert!(
        bad.is_empty(),
        "{}",
        report::closing(&results, Duration::ZERO)
    );
    let c = runner::Counts::of(&results);
    assert_eq!(c.summary(), format!("{} passed, 0 failed", tests.len()));
}

#[test]
fn broken_expectation_fails_with_a_readable_diff() {
    let s = Scratch::new("broken");
    store_program(&s);
    // byte 5 is really 0x00 and byte 9 0x00; claim 0x11 and 0x22.
    s.write(
        "store.expect.toml",
        "# a deliberately broken expectation\n[[mem]]\nsymbol = \"buf\"\ntype = \"u8\"\nvalues = [0x78, 0xff, 0x34, 0x12, 0x78, 0x11, 0x78, 0x56,\n          0xff, 0x22, 0xff, 0xff, 0, 0, 0, 0]\n\n[regs]\nr6 = 0x12345679\n",
    );
    let r = one(&s.0, &opts());
    assert_eq!(r.status, Status::Fail);
    assert!(
        r.reason.starts_with(
            "register r6: expected 305419897 (0x12345679), got 305419896 (0x12345678)"
        ),
        "{}",
        r.reason
    );
    let d = &r.details;
    assert!(d.contains("mem[0] (buf): 2 of 16 elements differ"), "{d}");
    // element index, symbol + offset, expected and actual on one row
    let row5 = d
        .lines()
        .find(|l| l.trim_start().starts_with("[5]"))
        .expect(d);
    assert!(
        row5.contains("buf+0x5") && row5.contains("17") && row5.trim_end().ends_with('0'),
        "{row5}"
    );
    let row9 = d
        .lines()
        .find(|l| l.trim_start().starts_with("[9]"))
        .expect(d);
    assert!(row9.contains("buf+0x9") && row9.contains("34"), "{row9}");
    let closing = report::closing(std::slice::from_ref(&r), Duration::ZERO);
    assert!(
        closing.trim_end().ends_with("0 passed, 1 failed"),
        "{closing}"
    );
}

#[test]
fn update_rewrites_failing_expectations_and_keeps_comments() {
    let s = Scratch::new("update");
    store_program(&s);
    let exp = s.write(
        "store.expect.toml",
        "# keep this comment\nexit = 3   # and this one\n\n[[mem]]\nsymbol = \"buf\"\ntype = \"u8\"\nvalues = [1, 2]\n\n[regs]\nr6 = 5\n\n[cycles]\nmax = 2 # too tight\n",
    );
    let r = one(&s.0, &opts());
    assert_eq!(r.status, Status::Fail);
    assert!(r.updatable);
    let (done, errors) = update::apply(&r.updates);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(done.len(), 4, "{done:?}");
    assert!(done.iter().any(|d| d.ends_with("exit: 3 -> 0")), "{done:?}");
    assert!(
        done.iter().any(|d| d.ends_with("regs.r6: 5 -> 305419896")),
        "{done:?}"
    );
    let text = std::fs::read_to_string(&exp).unwrap();
    assert!(
        text.contains("# keep this comment") && text.contains("# and this one"),
        "{text}"
    );
    assert!(text.contains("values = [120, 255]"), "{text}");
    let again = one(&s.0, &opts());
    assert_eq!(again.status, Status::Pass, "{}", again.details);
}

#[test]
fn timeouts_by_step_budget_and_wall_clock() {
    let s = Scratch::new("timeout");
    s.write("spin.s", "        .text\n_start:\n1:      j 1b\n");
    let mut o = opts();
    o.max_steps = 10_000;
    let r = one(&s.0, &o);
    assert_eq!(r.status, Status::Timeout);
    assert!(
        r.reason.contains("no halt within 10000 instructions"),
        "{}",
        r.reason
    );
    assert!(r.details.contains("spin.s:3"), "{}", r.details);

    o.max_steps = u64::MAX;
    o.timeout = Duration::from_millis(200);
    let t0 = std::time::Instant::now();
    let r = one(&s.0, &o);
    assert_eq!(r.status, Status::Timeout);
    assert!(
        r.reason.contains("wall-clock limit of 0.2 s"),
        "{}",
        r.reason
    );
    assert!(t0.elapsed() < Duration::from_secs(20));

    // An expectation's own budget wins over the suite's.
    s.write("spin.expect.toml", "max_steps = 500\n");
    o.timeout = Duration::from_secs(60);
    let r = one(&s.0, &o);
    assert!(
        r.reason.contains("no halt within 500 instructions"),
        "{}",
        r.reason
    );
}

#[test]
fn expected_traps_are_checked_by_kind_symbol_and_line() {
    let s = Scratch::new("trap");
    s.write(
        "t.s",
        "        .text\n_start:\n        li r5, 3\nbad:    cfg wprec, r5\n        li r5, 9\nworse:  cfg wprec, r5\n        halt zero\n",
    );
    s.write(
        "t.expect.toml",
        "[trap]\nkind = \"CsrWrite\"\nsymbol = \"worse\"\nline = 6\n",
    );
    assert_eq!(one(&s.0, &opts()).status, Status::Pass);

    s.write(
        "t.expect.toml",
        "[trap]\nkind = \"LutIndex\"\nsymbol = \"bad\"\nline = 4\n",
    );
    let r = one(&s.0, &opts());
    assert_eq!(r.status, Status::Fail);
    assert!(
        r.reason.contains("kind CsrWrite, expected LutIndex"),
        "{}",
        r.reason
    );
    assert!(r.reason.contains("expected `bad`"), "{}", r.reason);
    assert!(r.reason.contains("t.s:6, expected line 4"), "{}", r.reason);
    let (done, _) = update::apply(&r.updates);
    assert_eq!(done.len(), 1, "only the kind is rewritten: {done:?}");

    // A program that halts although a trap is expected.
    s.write("t.s", "        .text\n_start: halt zero\n");
    let r = one(&s.0, &opts());
    assert!(
        r.reason.contains("but the program exited with code 0"),
        "{}",
        r.reason
    );
}

#[test]
fn bad_expectation_files_are_errors_naming_the_place() {
    let s = Scratch::new("badexp");
    s.write("p.s", "        .text\n_start: halt zero\n");
    s.write(
        "p.expect.toml",
        "exit = 0\n[[mem]]\nsymbol = \"nowhere\"\nvalues = [1]\n",
    );
    let r = one(&s.0, &opts());
    assert_eq!(r.status, Status::Error);
    assert!(
        r.reason.contains("p.expect.toml:3:10: no symbol `nowhere`"),
        "{}",
        r.reason
    );

    s.write(
        "p.expect.toml",
        "exit = 0\n[stats]\n\"mac.nonsense\" = { max = 1 }\n",
    );
    let r = one(&s.0, &opts());
    assert_eq!(r.status, Status::Error);
    assert!(
        r.reason.contains("p.expect.toml:3:") && r.reason.contains("no statistic"),
        "{}",
        r.reason
    );

    s.write("p.expect.toml", "exit = \"zero\"\n");
    let r = one(&s.0, &opts());
    assert_eq!(r.status, Status::Error);
    assert!(r.reason.contains("p.expect.toml:1:8"), "{}", r.reason);

    // An orphan expectation file is reported, not ignored.
    s.write("gone.expect.toml", "exit = 0\n");
    let rs = run_dir(&s.0, &opts());
    let orphan = rs.iter().find(|r| r.name == "gone").unwrap();
    assert_eq!(orphan.status, Status::Error);
    assert!(
        orphan.reason.contains("without a program"),
        "{}",
        orphan.reason
    );
}

#[test]
fn tolerance_sqnr_asserts_and_stats() {
    let s = Scratch::new("tol");
    s.write(
        "q.s",
        "        .text\n_start: halt zero\n        .data\n        .align 4\nout:    .word 10, 20, 30, -40\n",
    );
    // Dequantised with scale 0.1: [1, 2, 3, -4] against a float reference.
    s.write(
        "q.expect.toml",
        "[[mem]]\nsymbol = \"out\"\nvalues = [1.02, 1.97, 3.0, -4.05]\nscale = 0.1\nmax_abs = 0.06\nsqnr_db = 30\n\n[[assert]]\nexpr = \"mem.out[1] - mem.out == 10\"\n",
    );
    let r = one(&s.0, &opts());
    assert_eq!(r.status, Status::Pass, "{}", r.details);

    s.write(
        "q.expect.toml",
        "[[mem]]\nsymbol = \"out\"\nvalues = [1.5, 2, 3, -4]\nscale = 0.1\nsqnr_db = 30\n\n[[assert]]\nexpr = \"mem.out[3] * 2 > cycles + 1000\"\nmessage = \"why\"\n",
    );
    let r = one(&s.0, &opts());
    assert_eq!(r.status, Status::Fail);
    assert!(
        r.details.contains("SQNR 20.97 dB < required 30 dB"),
        "{}",
        r.details
    );
    let worst = r
        .details
        .lines()
        .find(|l| l.trim_start().starts_with("[0]"))
        .expect(&r.details);
    assert!(worst.contains("1.5") && worst.contains("(10)"), "{worst}");
    assert!(
        r.details
            .contains("assert failed: mem.out[3] * 2 > cycles + 1000"),
        "{}",
        r.details
    );
    assert!(r.details.contains("mem.out[3] = -40"), "{}", r.details);
    assert!(r.details.contains("(why)"), "{}", r.details);
    assert!(!r.updatable, "float references are never rewritten");
}

#[test]
fn perf_bounds_skip_on_foreign_hw_and_without_timing() {
    let s = Scratch::new("perf");
    s.write(
        "p.s",
        "        .text\n_start: nop\n        nop\n        halt zero\n",
    );
    s.write("p.expect.toml", "[cycles]\nmax = 1\n");
    assert_eq!(one(&s.0, &opts()).status, Status::Fail);
    let mut o = opts();
    o.timing = false;
    let r = one(&s.0, &o);
    assert_eq!(r.status, Status::Pass);
    assert!(r.details.contains("not checked without the timing model"));
    let mut o = opts();
    o.hw = Some(std::sync::Arc::new(bitloom_emu::hw::HwConfig::default()));
    let r = one(&s.0, &o);
    assert_eq!(r.status, Status::Pass);
    // A test pinning its hardware keeps its bounds under --hw.
    s.write(
        "p.expect.toml",
        "[cycles]\nmax = 1\n[hw.clock]\nfreq_mhz = 100.0\n",
    );
    assert_eq!(one(&s.0, &o).status, Status::Fail);
    // A test that needs timing is skipped without it.
    s.write("p.expect.toml", "needs = [\"timing\"]\n");
    let mut o = opts();
    o.timing = false;
    assert_eq!(one(&s.0, &o).status, Status::Skip);
}

#[test]
fn self_check_failures_and_assembly_errors() {
    let s = Scratch::new("self");
    s.write("a.s", "        .text\n_start: li r5, 7\n        halt r5\n");
    s.write("b.s", "        .text\n_start: bogus r1\n");
    let rs = run_dir(&s.0, &opts());
    assert_eq!(rs[0].status, Status::Fail);
    assert!(
        rs[0].reason.contains("self-check failed: exit code 7"),
        "{}",
        rs[0].reason
    );
    assert_eq!(rs[1].status, Status::Error);
    assert!(rs[1].details.contains("bogus"), "{}", rs[1].details);
}

#[test]
fn junit_xml_parses_back() {
    let s = Scratch::new("junit");
    s.write("ok.s", "        .text\n_start: halt zero\n");
    s.write(
        "sub/bad.s",
        "        .text\n_start: li r5, 2\n        halt r5\n",
    );
    s.write(
        "slow.s",
        "; needs: timing\n        .text\n_start: halt zero\n",
    );
    let mut o = opts();
    o.timing = false;
    let rs = run_dir(&s.0, &o);
    let xml = report::junit(&rs, "bitloom", Duration::from_millis(5)).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("valid XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suite = root
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("name"), Some("bitloom"));
    assert_eq!(suite.attribute("tests"), Some("3"));
    assert_eq!(suite.attribute("failures"), Some("1"));
    assert_eq!(suite.attribute("disabled"), Some("1"));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    let bad = cases
        .iter()
        .find(|c| c.attribute("name") == Some("bad"))
        .unwrap();
    assert_eq!(bad.attribute("classname"), Some("sub"));
    let f = bad.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert!(f.attribute("message").unwrap().contains("exit code 2"));
    assert!(cases
        .iter()
        .any(|c| c.children().any(|n| n.has_tag_name("skipped"))));
    // JSON lines carry the same records.
    let v: serde_json::Value = serde_json::from_str(&report::json_line(&rs[1])).unwrap();
    assert_eq!(v["status"], "SKIP");
    assert_eq!(v["name"], "slow");
    assert_eq!(v["schema"], report::TEST_RECORD_SCHEMA);
    assert!(report::json_line(&rs[1]).starts_with("{\"schema\":1,"));
}

#[test]
fn partitions_cover_every_bundled_test_exactly_once() {
    let tests: Vec<TestCase> = discover(&[programs_dir()]).unwrap();
    for kind in ["count", "hash"] {
        let mut seen: Vec<String> = Vec::new();
        for k in 1..=3 {
            let p: Partition = format!("{kind}:{k}/3").parse().unwrap();
            let shard = p.select(tests.clone(), |t| t.name.as_str());
            assert!(!shard.is_empty(), "{kind}:{k}/3 is empty");
            seen.extend(shard.into_iter().map(|t| t.name));
        }
        seen.sort();
        let all: Vec<String> = tests.iter().map(|t| t.name.clone()).collect();
        assert_eq!(seen, all, "{kind}");
    }
}

#[test]
fn parallel_results_keep_discovery_order() {
    let tests = discover(&[programs_dir().join("conformance")]).unwrap();
    let mut finished = 0;
    let rs = runner::run_suite(&tests, &opts(), &mut |e| {
        if let runner::Event::Finished(_) = e {
            finished += 1
        }
    });
    assert_eq!(finished, tests.len());
    let names: Vec<&str> = rs.iter().map(|r| r.name.as_str()).collect();
    let want: Vec<&str> = tests.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, want);
}
