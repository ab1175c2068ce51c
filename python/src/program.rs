//! Programs from Python: `assemble` (source text through `bitloom_asm::assemble_str`),
//! `load` (`bitloom_asm::load::load_program`, the loader of every other tool), the
//! `Program` wrapper around an `Image`, and `AssemblyError` carrying every diagnostic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use bitloom_asm::load::{load_program, LoadError};
use bitloom_asm::{Diagnostics, Options, Severity};
use bitloom_isa::disasm::{objdump, Disassemble, ObjFile, ObjdumpOptions};
use bitloom_isa::image::{Image, SymbolKind};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

create_exception!(
    bitloom,
    AssemblyError,
    PyException,
    "The source did not assemble. `diagnostics` lists every error and warning of the run \
     (file, line, column, message, rendered snippet); `str(e)` is the rendered report."
);

/// One assembler diagnostic (an error or a warning).
#[pyclass(frozen, get_all, module = "bitloom")]
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// `"error"` or `"warning"`.
    pub severity: String,
    /// File (or the `path` given to `assemble`).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The headline.
    pub message: String,
    /// The rustc-style rendering (snippet with the span underlined, notes, help).
    pub rendered: String,
}

#[pymethods]
impl Diagnostic {
    fn __repr__(&self) -> String {
        format!(
            "Diagnostic({}: {}:{}:{}: {})",
            self.severity, self.file, self.line, self.column, self.message
        )
    }
}

/// Every diagnostic of `d`, each rendered on its own.
fn diagnostics(d: &Diagnostics) -> Vec<Diagnostic> {
    d.list
        .iter()
        .map(|x| {
            let (file, line, column) = d.location(x);
            let one = Diagnostics {
                list: vec![x.clone()],
                sources: d.sources.clone(),
            };
            let rendered = one.render(false);
            // Drop the run summary line ("could not assemble: 1 error") of a one-item render.
            let rendered = match rendered.trim_end().rsplit_once('\n') {
                Some((body, _summary)) => format!("{body}\n"),
                None => rendered,
            };
            Diagnostic {
                severity: match x.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                }
                .into(),
                file,
                line,
                column,
                message: x.message.clone(),
                rendered,
            }
        })
        .collect()
}

fn assembly_error(py: Python<'_>, d: &Diagnostics) -> PyErr {
    let err = AssemblyError::new_err(d.render(false));
    let list = diagnostics(d);
    if let Err(e) = err.value(py).setattr("diagnostics", list) {
        return e;
    }
    err
}

/// A symbol of a program.
#[pyclass(frozen, get_all, module = "bitloom")]
#[derive(Clone, Debug)]
pub struct Symbol {
    /// Name.
    pub name: String,
    /// Address (the value for `.equ` constants).
    pub address: u32,
    /// Size in bytes (0 when unknown).
    pub size: u32,
    /// `"func"`, `"object"` or `"absolute"`.
    pub kind: String,
    /// Declared `.global`.
    pub is_global: bool,
}

#[pymethods]
impl Symbol {
    fn __repr__(&self) -> String {
        format!(
            "Symbol({:?}, address=0x{:08x}, size={}, kind={:?})",
            self.name, self.address, self.size, self.kind
        )
    }
}

/// An assembled or loaded program (an immutable image).
#[pyclass(frozen, module = "bitloom")]
pub struct Program {
    pub(crate) image: Arc<Image>,
    warnings: Vec<Diagnostic>,
    /// The source text given to `assemble` and its name (trap reports quote it).
    pub(crate) text: Option<(String, Arc<str>)>,
}

impl Program {
    fn new(image: Image, warnings: Option<&Diagnostics>) -> Program {
        Program {
            image: Arc::new(image),
            warnings: warnings.map(diagnostics).unwrap_or_default(),
            text: None,
        }
    }

    /// Line `line` (1-based) of `file`: from the text given to `assemble`, else read from
    /// the file.
    pub(crate) fn source_line(&self, file: &str, line: u32) -> Option<String> {
        let idx = (line as usize).checked_sub(1)?;
        match &self.text {
            Some((name, text)) if name == file => text.lines().nth(idx).map(str::to_string),
            _ => bitloom_isa::srcfile::source_line(std::path::Path::new(file), line)
                .ok()
                .flatten(),
        }
    }
}

#[pymethods]
impl Program {
    /// Entry point address.
    #[getter]
    fn entry(&self) -> u32 {
        self.image.entry
    }

    /// Symbols by name.
    #[getter]
    fn symbols(&self) -> BTreeMap<String, Symbol> {
        self.image
            .symbols
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    Symbol {
                        name: s.name.clone(),
                        address: s.value,
                        size: s.size,
                        kind: match s.kind {
                            SymbolKind::Func => "func",
                            SymbolKind::Object => "object",
                            SymbolKind::Absolute => "absolute",
                        }
                        .into(),
                        is_global: s.global,
                    },
                )
            })
            .collect()
    }

    /// Sections as `(name, address, size)`.
    #[getter]
    fn sections(&self) -> Vec<(String, u32, u32)> {
        self.image
            .sections
            .iter()
            .map(|s| (s.name.clone(), s.addr, s.size))
            .collect()
    }

    /// Assembler warnings (empty for an ELF).
    #[getter]
    fn warnings(&self) -> Vec<Diagnostic> {
        self.warnings.clone()
    }

    /// The objdump-style disassembly of the text sections (`bitloom objdump -d`).
    fn disassemble(&self) -> PyResult<String> {
        let file =
            ObjFile::from_image(&self.image).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(objdump(
            &file,
            &ObjdumpOptions {
                file_name: self
                    .text
                    .as_ref()
                    .map_or_else(|| "<program>".to_string(), |(name, _)| name.clone()),
                disassemble: Disassemble::Code,
                ..ObjdumpOptions::default()
            },
        ))
    }

    /// The program as a Loom ELF32 executable (docs/OBJECT.md), as bytes.
    fn to_elf<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let b = bitloom_isa::elf::write_elf(&self.image)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyBytes::new(py, &b))
    }

    fn __repr__(&self) -> String {
        format!(
            "Program(entry=0x{:08x}, {} sections, {} symbols)",
            self.image.entry,
            self.image.sections.len(),
            self.image.symbols.len()
        )
    }
}

/// Assemble Loom source text. `path` names the source in diagnostics and the line table and
/// is the base of relative `.include`s; `include_dirs` are searched after it. `defines`
/// maps names to integers (or integer expressions as strings, `"1 << 4"`), predefined as
/// absolute symbols like `bitloom asm -D NAME=VALUE`.
#[pyfunction]
#[pyo3(signature = (source, path=None, defines=None, include_dirs=None))]
pub fn assemble(
    py: Python<'_>,
    source: &str,
    path: Option<PathBuf>,
    defines: Option<Bound<'_, PyAny>>,
    include_dirs: Option<Vec<PathBuf>>,
) -> PyResult<Program> {
    let name = path.map_or_else(|| "<string>".to_string(), |p| p.display().to_string());
    let opts = Options {
        include_dirs: include_dirs.unwrap_or_default(),
        defines: to_defines(defines.as_ref())?,
        ..Options::default()
    };
    match bitloom_asm::assemble_str(&name, source, &opts) {
        Ok(out) => {
            let mut p = Program::new(
                out.image,
                (out.warnings.warning_count() > 0).then_some(&out.warnings),
            );
            p.text = Some((name, source.into()));
            Ok(p)
        }
        Err(d) => Err(assembly_error(py, &d)),
    }
}

/// `defines` as assembler defines: a mapping of name → int, bool or integer-expression
/// string. Bad names or values raise `ValueError`.
fn to_defines(defines: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<bitloom_asm::Define>> {
    let Some(d) = defines else {
        return Ok(Vec::new());
    };
    if d.is_none() {
        return Ok(Vec::new());
    }
    let map = d
        .cast::<pyo3::types::PyDict>()
        .map_err(|_| PyTypeError::new_err("defines must be a dict of name -> int or str"))?;
    let mut out = Vec::new();
    for (k, v) in map.iter() {
        let name: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err("defines: names must be str"))?;
        let value = if let Ok(b) = v.extract::<bool>() {
            (b as i64).to_string()
        } else if let Ok(i) = v.extract::<i64>() {
            i.to_string()
        } else if let Ok(s) = v.extract::<String>() {
            s
        } else {
            return Err(PyTypeError::new_err(format!(
                "defines[{name:?}]: value must be an int, bool or str"
            )));
        };
        let def = bitloom_asm::Define::parse(&format!("{name}={value}"))
            .map_err(|e| PyValueError::new_err(format!("defines[{name:?}]: {e}")))?;
        out.push(def);
    }
    Ok(out)
}

/// Load a program from a file: a Loom ELF (by its magic number) or an assembly source,
/// assembled with `defines` (as in [`assemble`]).
#[pyfunction]
#[pyo3(signature = (path, defines=None))]
pub fn load(py: Python<'_>, path: PathBuf, defines: Option<Bound<'_, PyAny>>) -> PyResult<Program> {
    let opts = Options {
        defines: to_defines(defines.as_ref())?,
        ..Options::default()
    };
    match load_program(&path, &opts) {
        Ok(l) => Ok(Program::new(l.image, l.warnings.as_ref())),
        Err(LoadError::Asm { diagnostics, .. }) => Err(assembly_error(py, &diagnostics)),
        Err(e @ LoadError::Io { .. }) => Err(PyOSError::new_err(e.to_string())),
        Err(e @ LoadError::Elf { .. }) => Err(PyValueError::new_err(e.to_string())),
    }
}
