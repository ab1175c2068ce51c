//! Finding test programs: every `*.s` file under the given folders (recursively, in name
//! order; folders named `include` or `target` and hidden ones are skipped, since they hold
//! fragments and build output), or the files given. A program's expectations are the file
//! `NAME.expect.toml` beside `NAME.s`. An expectation file with no program beside it is
//! reported as a test in error, so a renamed program cannot silently drop its checks.

use std::path::{Path, PathBuf};

/// One test: a program and, optionally, its expectation file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// Name: the path relative to the folder it was found in, without `.s`, with `/`
    /// separators (`examples/gemm_check`); for a file given directly, its path as given.
    pub name: String,
    /// The program (`.s` or ELF).
    pub program: PathBuf,
    /// `NAME.expect.toml`, if present.
    pub expect: Option<PathBuf>,
    /// Set when discovery found something wrong (e.g. an orphan expectation file).
    pub problem: Option<String>,
    /// The `[[variant]]` of the expectation file this test runs (`NAME[VARIANT]`).
    pub variant: Option<String>,
}

/// Suffix of expectation files.
pub const EXPECT_SUFFIX: &str = ".expect.toml";

/// The expectation file of `program`, if there is one, and a problem when its name is
/// taken by something that is not a regular file (a folder, a device, a pipe, a broken
/// symlink): reported as an error rather than ignored, so the checks it was meant to hold
/// are not silently dropped.
fn expect_of(program: &Path) -> (Option<PathBuf>, Option<String>) {
    let Some(stem) = program.file_stem() else {
        return (None, None);
    };
    let p = program.with_file_name(format!("{}{EXPECT_SUFFIX}", stem.to_string_lossy()));
    match (std::fs::metadata(&p), std::fs::symlink_metadata(&p)) {
        (Ok(m), _) if m.is_file() => (Some(p), None),
        (Ok(_), _) => {
            let why = format!("{}: not a regular file", p.display());
            (Some(p), Some(why))
        }
        (Err(e), Ok(_)) => {
            let why = format!("{}: {e}", p.display());
            (Some(p), Some(why))
        }
        (Err(_), Err(_)) => (None, None),
    }
}

fn skip_dir(name: &str) -> bool {
    name.starts_with('.') || name == "include" || name == "target"
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, orphans: &mut Vec<PathBuf>) -> Result<(), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() {
            if !skip_dir(&name) {
                walk(&p, out, orphans)?;
            }
        } else if p.extension().is_some_and(|e| e == "s") {
            out.push(p);
        } else if let Some(stem) = name.strip_suffix(EXPECT_SUFFIX) {
            if !p.with_file_name(format!("{stem}.s")).exists() {
                orphans.push(p);
            }
        }
    }
    Ok(())
}

fn rel_name(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.last_mut() {
        if let Some(s) = last.strip_suffix(".s") {
            *last = s.to_string();
        }
    }
    parts.join("/")
}

/// Discover the tests under `paths` (folders or files), sorted by name, without
/// duplicates. A path that does not exist is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<TestCase>, String> {
    let mut tests: Vec<TestCase> = Vec::new();
    for root in paths {
        if root.is_dir() {
            let mut progs = Vec::new();
            let mut orphans = Vec::new();
            walk(root, &mut progs, &mut orphans)?;
            for p in progs {
                let (expect, problem) = expect_of(&p);
                tests.push(TestCase {
                    name: rel_name(root, &p),
                    expect,
                    program: p,
                    problem,
                    variant: None,
                });
            }
            for o in orphans {
                let name = rel_name(root, &o);
                let name = name.trim_end_matches(EXPECT_SUFFIX).to_string();
                let stem = name.rsplit('/').next().unwrap_or("").to_string();
                tests.push(TestCase {
                    problem: Some(format!(
                        "{}: expectation file without a program `{stem}.s`",
                        o.display()
                    )),
                    name,
                    program: o.clone(),
                    expect: Some(o),
                    variant: None,
                });
            }
        } else if root.is_file() {
            let s = root.to_string_lossy();
            let name = s.strip_suffix(".s").unwrap_or(&s).replace('\\', "/");
            let (expect, problem) = expect_of(root);
            tests.push(TestCase {
                name,
                expect,
                program: root.clone(),
                problem,
                variant: None,
            });
        } else {
            return Err(format!("{}: no such file or folder", root.display()));
        }
    }
    tests.sort_by(|a, b| a.name.cmp(&b.name).then(a.program.cmp(&b.program)));
    tests.dedup_by(|a, b| a.program == b.program);
    Ok(tests.into_iter().flat_map(expand_variants).collect())
}

/// A test whose expectation file has `[[variant]]`s, as one test per variant
/// (`NAME[VARIANT]`, in file order); any other test as it is.
fn expand_variants(t: TestCase) -> Vec<TestCase> {
    let names = match (&t.expect, &t.problem) {
        (Some(e), None) => super::variant::names(e),
        _ => Vec::new(),
    };
    if names.is_empty() {
        return vec![t];
    }
    names
        .into_iter()
        .map(|v| TestCase {
            name: format!("{}[{v}]", t.name),
            variant: Some(v),
            ..t.clone()
        })
        .collect()
}

/// Keep the tests whose name contains any of `filters` (all tests if there are none);
/// with `exact`, names must equal a filter.
pub fn filter(tests: Vec<TestCase>, filters: &[String], exact: bool) -> Vec<TestCase> {
    if filters.is_empty() {
        return tests;
    }
    tests
        .into_iter()
        .filter(|t| {
            filters.iter().any(|f| {
                if exact {
                    t.name == *f
                } else {
                    t.name.contains(f.as_str())
                }
            })
        })
        .collect()
}

/// Whether a program's source asks for the timing model with a `; needs: timing` line.
pub fn source_needs_timing(src: &str) -> bool {
    src.lines().any(|l| {
        l.trim()
            .strip_prefix(';')
            .and_then(|r| r.trim().strip_prefix("needs:"))
            .is_some_and(|r| r.split(',').any(|w| w.trim() == "timing"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_programs_expectations_and_orphans() {
        let d = std::env::temp_dir().join(format!("bitloom-disc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for f in [
            "a/x.s",
            "a/x.expect.toml",
            "b.s",
            "include/inc.s",
            ".hid/h.s",
            "c.expect.toml",
            "a/notes.md",
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        let t = discover(std::slice::from_ref(&d)).unwrap();
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a/x", "b", "c"]);
        assert!(t[0].expect.is_some());
        assert!(t[1].expect.is_none());
        assert!(t[2].problem.as_ref().unwrap().contains("without a program"));
        assert_eq!(filter(t.clone(), &["x".into()], false).len(), 1);
        assert_eq!(filter(t.clone(), &["a".into()], true).len(), 0);
        assert!(discover(&[d.join("nope")]).is_err());
        std::fs::remove_dir_all(&d).ok();
    }

    /// An expectation name taken by a folder or a dangling symlink is an error on that
    /// test, not a test without expectations.
    #[cfg(unix)]
    #[test]
    fn expectation_that_is_not_a_file_is_a_problem() {
        let d = std::env::temp_dir().join(format!("bitloom-disc-nf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("dir.expect.toml")).unwrap();
        for f in ["dir.s", "dev.s", "dangling.s", "fine.s"] {
            std::fs::write(d.join(f), "").unwrap();
        }
        std::os::unix::fs::symlink("/dev/null", d.join("dev.expect.toml")).unwrap();
        std::os::unix::fs::symlink(d.join("gone"), d.join("dangling.expect.toml")).unwrap();
        let t = discover(std::slice::from_ref(&d)).unwrap();
        let got: Vec<(&str, Option<&str>)> = t
            .iter()
            .map(|t| (t.name.as_str(), t.problem.as_deref()))
            .collect();
        assert_eq!(got.len(), 4, "{got:?}");
        for (name, problem) in &got {
            match *name {
                "fine" => assert_eq!(*problem, None),
                "dir" | "dev" => assert!(problem.unwrap().ends_with("not a regular file")),
                "dangling" => assert!(problem.unwrap().contains("No such file")),
                _ => panic!("unexpected test {name}"),
            }
        }
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn needs_directive() {
        assert!(source_needs_timing("; x\n; needs: checked, timing\n"));
        assert!(!source_needs_timing("; needs timing\n"));
    }
}
