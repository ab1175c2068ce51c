//! The sweep library: spec errors name file:line, points are the cartesian product in
//! order, hardware keys reach the timing model, shards cover every point exactly once and
//! merge back to the full run, merging rejects overlaps and gaps, and a report's claims are
//! recomputed from the records independently of the report code.

use std::path::{Path, PathBuf};

use bitloom_programs::runner::Partition;
use bitloom_programs::sweep::{self, run, spec, SweepError};

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bitloom-sweep-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gemm() -> PathBuf {
    bitloom_programs::programs_dir().join("sweeps/include/gemm.s")
}

/// A small GEMM sweep: 3 models x 2 weight precisions x 2 seeds = 12 points.
fn small_spec(dir: &Path) -> PathBuf {
    let text = format!(
        r#"name = "small"
program = {:?}
metrics = ["cycles", "units.mac.busy_cycles", "mac.macs", "mac_tops"]

[hw.mac]
model = ["stripes", "bit-parallel", "loom"]
zero_bit_skip = false

[params]
M = 16
K = 64
N = 16
WPREC = [8, 2]
WFMT = 0
CK = 2
APREC = 8
AFMT = 0
SERIAL = 0
SEED = [1, 2]

[data.weights]
source = "codes"
seed = "$SEED"
rows = "$M"
cols = "$K"
bits = "$WPREC"

[data.acts]
source = "codes"
seed = 9
rows = "$K"
cols = "$N"
bits = 8
density_pct = 70
"#,
        gemm()
    );
    let p = dir.join("small.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn spec_err(text: &str) -> String {
    let dir = scratch("err");
    let p = dir.join("bad.toml");
    std::fs::write(&p, text).unwrap();
    match sweep::load(&p) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => {
            let s = e.to_string();
            let _ = std::fs::remove_dir_all(&dir);
            s.replace(&p.display().to_string(), "bad.toml")
        }
    }
}

#[test]
fn spec_errors_name_file_and_line() {
    let cases: &[(&str, &str)] = &[
        (
            "program = \"g.s\"\n\n[hw.mac]\nrowz = 4\n",
            "bad.toml:4: unknown hardware key `hw.mac.rowz` (did you mean `hw.mac.rows`?)",
        ),
        (
            "program = \"g.s\"\n[hw.macc]\nrows = 4\n",
            "bad.toml:3: unknown hardware key `hw.macc.rows` (did you mean `hw.mac.rows`?)",
        ),
        (
            "program = \"g.s\"\nprogramme = \"x\"\n",
            "bad.toml:2: unknown key `programme`",
        ),
        (
            "program = \"g.s\"\nmetrics = [\"cycles\",\n  \"tops_per_wat\"]\n",
            "bad.toml:3: unknown metric `tops_per_wat`",
        ),
        (
            "program = \"g.s\"\n[params]\nP = [1, 2.5]\n",
            "bad.toml:3: parameter `P`: program parameters are integers",
        ),
        (
            "program = \"g.s\"\n[params]\nP = []\n",
            "bad.toml:3: empty array",
        ),
        (
            "program = \"g.s\"\n[params]\nP = 1\n[data.w]\nsource = \"codes\"\nbits = \"$Q\"\n",
            "bad.toml:6: data `w`: `bits` refers to unknown parameter `Q`",
        ),
        (
            "program = \"g.s\"\n[params]\nP = [1, 2]\n[report]\nx = \"P\"\ntable = [\"cycles\"]\n\n[[report.claim]]\nwhat = \"w\"\nmetric = \"cycles\"\nat = { R = 1 }\n",
            "bad.toml:8: claim `w`: `R` is not an axis of this spec",
        ),
        ("program = \"g.s\"\n[params\n", "bad.toml:2: "),
        ("[params]\nP = 1\n", "bad.toml:1: missing `program"),
    ];
    for (text, want) in cases {
        let got = spec_err(text);
        assert!(got.starts_with(want), "got `{got}`\nwant prefix `{want}`");
    }
}

#[test]
fn data_and_hardware_errors_before_running() {
    let dir = scratch("pre");
    let p = dir.join("s.toml");
    // An unknown data field (line 5) and a hardware value out of range.
    std::fs::write(
        &p,
        format!(
            "program = {:?}\n[params]\nM = 1\n[data.w]\nsorce = \"codes\"\n",
            gemm()
        ),
    )
    .unwrap();
    let s = sweep::load(&p).unwrap();
    let e = run::preflight(&s).unwrap_err().to_string();
    assert!(e.ends_with("s.toml:5: data `w`: unknown field `sorce` (expected one of source, path, seed, rows, cols, scale, format, bits, k, axis, rule, density_pct, encoding, runbits)"), "{e}");
    std::fs::write(
        &p,
        format!("program = {:?}\n[hw.mac]\ngroup = [16, 3]\n", gemm()),
    )
    .unwrap();
    let s = sweep::load(&p).unwrap();
    let e = run::preflight(&s).unwrap_err();
    assert!(matches!(e, SweepError::Hw(_)), "{e:?}");
    let e = e.to_string();
    assert!(
        e.contains("point s[hw.mac.group=3]") && e.contains("mac.group"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn points_are_the_ordered_cartesian_product() {
    let dir = scratch("points");
    let s = sweep::load(&small_spec(&dir)).unwrap();
    let pts = sweep::points(&s).unwrap();
    assert_eq!(pts.len(), 12);
    // Last axis fastest, in file order: hw first, then params.
    let names: Vec<String> = pts.iter().map(|p| sweep::point_name(&s, p)).collect();
    assert_eq!(names[0], "small[hw.mac.model=stripes,WPREC=8,SEED=1]");
    assert_eq!(names[1], "small[hw.mac.model=stripes,WPREC=8,SEED=2]");
    assert_eq!(names[2], "small[hw.mac.model=stripes,WPREC=2,SEED=1]");
    assert_eq!(names[11], "small[hw.mac.model=loom,WPREC=2,SEED=2]");
    let mut uniq = names.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 12, "names are unique");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shards_cover_every_point_once_and_merge_to_the_full_run() {
    let dir = scratch("shards");
    let s = sweep::load(&small_spec(&dir)).unwrap();
    let full = run::run(&s, None, 2, &|_| {}).unwrap();
    assert_eq!(full.len(), 12);
    assert!(full.iter().all(|r| r.error.is_none()), "{full:?}");
    for kind in ["count", "hash"] {
        for n in [1u64, 2, 3, 5, 13] {
            let mut parts = Vec::new();
            let mut seen = vec![0; full.len()];
            for k in 1..=n {
                let part: Partition = format!("{kind}:{k}/{n}").parse().unwrap();
                let recs = run::run(&s, Some(part), 1, &|_| {}).unwrap();
                let mut text = String::new();
                for r in &recs {
                    seen[r.index] += 1;
                    text.push_str(&r.to_json());
                    text.push('\n');
                }
                parts.push((format!("part{k}"), text));
            }
            assert!(seen.iter().all(|&c| c == 1), "{kind}/{n}: {seen:?}");
            let merged = sweep::merge(&s, &parts).unwrap();
            assert_eq!(merged, full, "{kind}/{n}: merged shards equal the full run");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merge_rejects_overlaps_gaps_and_foreign_records() {
    let dir = scratch("merge");
    let s = sweep::load(&small_spec(&dir)).unwrap();
    let recs = run::run(&s, Some("count:1/2".parse().unwrap()), 2, &|_| {}).unwrap();
    let text: String = recs.iter().map(|r| r.to_json() + "\n").collect();
    let e = sweep::merge(&s, &[("a".into(), text.clone())])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("6 of 12 points missing"), "{e}");
    let e = sweep::merge(
        &s,
        &[("a".into(), text.clone()), ("b".into(), text.clone())],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("b:1: point small[") && e.ends_with("also in a:1: overlapping shards"),
        "{e}"
    );
    let foreign = text.replacen("\"sweep\":\"small\"", "\"sweep\":\"other\"", 1);
    let e = sweep::merge(&s, &[("a".into(), foreign)])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("a:1: record of sweep `other`"), "{e}");
    let edited = text.replacen("\"WPREC\":8", "\"WPREC\":7", 1);
    let e = sweep::merge(&s, &[("a".into(), edited)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not match the spec's point"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hardware_keys_reach_the_timing_model() {
    // Stripes: every pass costs P_a + overhead regardless of the weights; bit-parallel one
    // cycle per pass. Independent formula (docs/TIMING.md §5) for a 16x64x16 layer on the
    // default 16x16 array with 32 lanes in groups of 16: each PE holds one output of
    // ⌈64/16⌉ = 4 passes, and the two lane groups share them: 4 / 2 = 2 pass-times.
    let dir = scratch("hw");
    let s = sweep::load(&small_spec(&dir)).unwrap();
    let recs = run::run(&s, None, 2, &|_| {}).unwrap();
    let hw = bitloom_emu::hw::HwConfig::default();
    let fixed = hw.mac.fixed_latency as f64;
    let o = hw.mac.pass_overhead;
    for r in &recs {
        let model = r.param("hw.mac.model").unwrap().plain();
        let busy = r.metric("units.mac.busy_cycles").unwrap();
        assert_eq!(r.metric("mac.macs"), Some((16 * 64 * 16) as f64));
        match model.as_str() {
            "stripes" => assert_eq!(busy, fixed + (2.0 * (8.0 + o)).ceil(), "{}", r.name),
            "bit-parallel" => assert_eq!(busy, fixed + 2.0, "{}", r.name),
            _ => {}
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn claims_match_the_records() {
    // Each claim of every bundled report spec recomputed from the records by hand: the
    // metric at the named point (or the ratio of two points).
    let dir = bitloom_programs::programs_dir().join("sweeps");
    let specs = sweep::report::specs_in(&dir).unwrap();
    assert!(specs.len() >= 4);
    for s in specs.iter().filter(|s| s.name == "bitcluster") {
        let recs = run::run(s, None, 2, &|_| {}).unwrap();
        let rep = s.report.as_ref().unwrap();
        for c in &rep.claims {
            let find = |sel: &[(String, spec::Scalar)]| {
                let hits: Vec<_> = recs
                    .iter()
                    .filter(|r| {
                        sel.iter().all(|(k, v)| {
                            r.params
                                .iter()
                                .any(|(n, x)| n == k && x.plain() == v.plain())
                        })
                    })
                    .collect();
                assert_eq!(hits.len(), 1, "{}", c.what);
                hits[0].metric(&c.metric).unwrap()
            };
            let want = match &c.over {
                None => find(&c.at),
                Some(o) => find(o) / find(&c.at),
            };
            assert_eq!(sweep::report::claim_value(s, &recs, c).unwrap(), want);
        }
    }
}
