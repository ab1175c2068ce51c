//! `bitloom.Machine`: a machine built by `session::new_machine` and run by `session::run`
//! (with the GIL released), its state read and written as NumPy copies, tile views from
//! `Machine::tile_codes`/`tile_values`, statistics through `Stats::to_json` (the
//! `--stats-json` schema), snapshots (`Machine::clone`), and traps raised as `bitloom.Trap`.

use bitloom_emu::session::{self, Breakpoints, MachineOptions, Stops};
use bitloom_emu::stats::Stats;
use bitloom_emu::{StopReason as Reason, Storage};
use bitloom_isa::csr::CSRS;
use numpy::PyArrayMethods;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyIndexError, PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::{array_from_le, hw_config, le_bytes, mem_dtype, shape_of};
use crate::program::Program;

create_exception!(
    bitloom,
    Trap,
    PyException,
    "The program trapped (docs/ISA.md §9). Attributes: `kind` (the cause's name, e.g. \
     `\"OutOfRange\"`), `message`, `pc`, `word`, `instruction` (disassembly), `file`, \
     `line`, `column` and `source_line` (None when the line table does not know the pc), \
     `rendered` (the CLI's report). The machine stays at the trapping instruction."
);

/// Why `Machine.run` or `Machine.step` returned (traps raise `Trap` instead).
#[pyclass(frozen, get_all, module = "bitloom")]
#[derive(Clone, Debug)]
pub struct StopReason {
    /// `"exited"`, `"breakpoint"`, `"step_limit"`, `"cycle_limit"` or `"cancelled"`.
    pub kind: String,
    /// The exit code of `halt` (`kind == "exited"`).
    pub exit_code: Option<u32>,
    /// The limit that was reached (`step_limit`, `cycle_limit`).
    pub limit: Option<u64>,
    /// The pc at the stop (for a breakpoint: the address about to execute).
    pub pc: u32,
    /// Instructions retired by this call.
    pub steps: u64,
}

#[pymethods]
impl StopReason {
    fn __repr__(&self) -> String {
        let extra = match (self.exit_code, self.limit) {
            (Some(c), _) => format!(", exit_code={c}"),
            (_, Some(l)) => format!(", limit={l}"),
            _ => String::new(),
        };
        format!(
            "StopReason({:?}{extra}, pc=0x{:08x}, steps={})",
            self.kind, self.pc, self.steps
        )
    }
}

/// A tile register at the moment `Machine.tile(n)` was called (copies).
#[pyclass(frozen, get_all, module = "bitloom")]
pub struct TileView {
    /// Tile register number.
    pub index: u8,
    /// uint8 codes, shape (rows, cols); None for an accumulator tile.
    pub codes: Option<Py<PyAny>>,
    /// int32 values, shape (rows, cols): after zero-point, LUT and log decoding (log codes
    /// give their product with x = 1); accumulators as they are.
    pub values: Py<PyAny>,
    /// The descriptor: space, base, rows, cols, prec, fmt, zp, lut, storage, nnz.
    pub descriptor: Py<PyDict>,
}

#[pymethods]
impl TileView {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "TileView(t{}, {})",
            self.index,
            self.descriptor.bind(py).repr()?
        ))
    }
}

/// A saved machine state (`Machine.snapshot()`); pages are shared copy-on-write.
#[pyclass(frozen, module = "bitloom")]
pub struct Snapshot {
    m: bitloom_emu::Machine,
}

/// A Loom machine running a program.
#[pyclass(module = "bitloom")]
pub struct Machine {
    m: bitloom_emu::Machine,
    bps: Breakpoints,
    program: Py<Program>,
}

fn trap_err(
    py: Python<'_>,
    program: &Program,
    m: &bitloom_emu::Machine,
    t: &bitloom_emu::Trap,
) -> PyErr {
    let loc = m.source_of(t.pc);
    let source_line = loc
        .as_ref()
        .and_then(|(file, line, _)| program.source_line(file, *line));
    let mut msg = t.to_string();
    if let Some((file, line, col)) = &loc {
        msg.push_str(&format!("\n  --> {file}:{line}:{col}"));
        if let Some(text) = &source_line {
            msg.push_str(&format!("\n   | {}", text.trim_end()));
        }
    }
    let err = Trap::new_err(msg);
    let v = err.value(py);
    let kind = format!("{:?}", t.kind);
    let kind = kind
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_string();
    let (file, line, column) = match loc {
        Some((f, l, c)) => (Some(f), Some(l), Some(c)),
        None => (None, None, None),
    };
    let set = || -> PyResult<()> {
        v.setattr("kind", kind)?;
        v.setattr("message", t.kind.to_string())?;
        v.setattr("pc", t.pc)?;
        v.setattr("word", t.word)?;
        v.setattr("instruction", t.disassembly())?;
        v.setattr("file", file)?;
        v.setattr("line", line)?;
        v.setattr("column", column)?;
        v.setattr("source_line", source_line)?;
        v.setattr("rendered", t.render(m.image()))?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// Instructions per `session::run` call between checks for Python signals (Ctrl-C).
pub const SLICE: u64 = 1 << 20;

impl Machine {
    /// `session::run` without the GIL, in slices of [`SLICE`] instructions with a check
    /// for pending Python signals between them (a `KeyboardInterrupt` propagates; the
    /// machine stays consistent at the slice boundary). Breakpoints (`use_bps`) on the
    /// first instruction of a later slice stop the run, as in one long call.
    fn run_sliced(
        &mut self,
        py: Python<'_>,
        use_bps: bool,
        max_steps: Option<u64>,
        max_cycles: Option<u64>,
    ) -> PyResult<session::Stop> {
        let mut done = 0u64;
        loop {
            let budget = max_steps.map_or(SLICE, |lim| (lim - done).min(SLICE));
            let (m, bps) = (&mut self.m, &self.bps);
            let first = done == 0;
            let stop = py.detach(move || {
                let mut stops = Stops {
                    breakpoints: use_bps.then_some(bps),
                    stop_at_first: !first,
                    max_steps: Some(budget),
                    max_cycles,
                    ..Stops::default()
                };
                session::run(m, &mut stops)
            });
            done += stop.steps;
            let reason = match stop.reason {
                Reason::StepLimit(_) => match max_steps {
                    Some(lim) if done >= lim => Reason::StepLimit(lim),
                    _ => {
                        py.check_signals()?;
                        continue;
                    }
                },
                r => r,
            };
            return Ok(session::Stop {
                reason,
                steps: done,
            });
        }
    }

    /// An address from a symbol name or an int, with the symbol's size when known.
    fn locate(&self, place: &Bound<'_, PyAny>) -> PyResult<(u32, Option<u32>)> {
        if let Ok(a) = place.extract::<u32>() {
            return Ok((a, None));
        }
        let name: String = place.extract().map_err(|_| {
            PyValueError::new_err("expected a symbol name or an address (0 ≤ int < 2**32)")
        })?;
        let s = self
            .m
            .image()
            .symbols
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| PyKeyError::new_err(format!("no symbol `{name}` in the program")))?;
        Ok((s.value, (s.size > 0).then_some(s.size)))
    }

    fn stop(&self, py: Python<'_>, stop: session::Stop) -> PyResult<StopReason> {
        let (kind, exit_code, limit) = match stop.reason {
            Reason::Exited(c) => ("exited", Some(c), None),
            Reason::Breakpoint(_) => ("breakpoint", None, None),
            Reason::StepLimit(l) => ("step_limit", None, Some(l)),
            Reason::CycleLimit(l) => ("cycle_limit", None, Some(l)),
            Reason::Cancelled => ("cancelled", None, None),
            Reason::Predicate => ("predicate", None, None),
            Reason::Trapped(t) => return Err(trap_err(py, self.program.get(), &self.m, &t)),
        };
        Ok(StopReason {
            kind: kind.into(),
            exit_code,
            limit,
            pc: self.m.pc,
            steps: stop.steps,
        })
    }
}

#[pymethods]
impl Machine {
    /// A machine reset for `hw` with `program` loaded. `hw`: None (the defaults), a dict
    /// shaped like the TOML description, or a path to a TOML file. `timing` runs the
    /// cycle-level timing model (as `bitloom run`; off is `--no-timing`), `checked`
    /// recomputes every accelerator instruction with the reference (`--checked`).
    #[new]
    #[pyo3(signature = (program, hw=None, *, timing=true, checked=false))]
    fn new(
        py: Python<'_>,
        program: Py<Program>,
        hw: Option<Bound<'_, PyAny>>,
        timing: bool,
        checked: bool,
    ) -> PyResult<Machine> {
        let hwc = hw_config(py, hw.as_ref())?;
        let m = session::new_machine(
            &hwc,
            &program.get().image,
            &MachineOptions { timing, checked },
        )
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Machine {
            m,
            bps: Breakpoints::new(),
            program,
        })
    }

    /// Run until `halt`, a trap (raised as `Trap`), a breakpoint, or a limit. The GIL is
    /// released while the machine runs; Ctrl-C (a pending signal) interrupts it within
    /// [`SLICE`] instructions, leaving the machine where it stopped. A run continued from
    /// a breakpoint stop executes the breakpoint's instruction first.
    #[pyo3(signature = (max_steps=None, max_cycles=None))]
    fn run(
        &mut self,
        py: Python<'_>,
        max_steps: Option<u64>,
        max_cycles: Option<u64>,
    ) -> PyResult<StopReason> {
        let stop = self.run_sliced(py, true, max_steps, max_cycles)?;
        self.stop(py, stop)
    }

    /// Execute `n` instructions (fewer at `halt` or a trap; breakpoints are ignored).
    #[pyo3(signature = (n=1))]
    fn step(&mut self, py: Python<'_>, n: u64) -> PyResult<StopReason> {
        let stop = self.run_sliced(py, false, Some(n), None)?;
        self.stop(py, stop)
    }

    /// Stop `run` before executing `place` (a symbol name or an address); returns the
    /// address.
    fn break_at(&mut self, place: &Bound<'_, PyAny>) -> PyResult<u32> {
        let (a, _) = self.locate(place)?;
        self.bps.insert(a);
        Ok(a)
    }

    /// Remove the breakpoint at `place`; False if there was none.
    fn delete_break(&mut self, place: &Bound<'_, PyAny>) -> PyResult<bool> {
        let (a, _) = self.locate(place)?;
        Ok(self.bps.remove(a))
    }

    /// Breakpoint addresses, ascending.
    #[getter]
    fn breakpoints(&self) -> Vec<u32> {
        self.bps.iter().collect()
    }

    /// The program counter.
    #[getter]
    fn pc(&self) -> u32 {
        self.m.pc
    }

    #[setter]
    fn set_pc(&mut self, pc: u32) {
        self.m.pc = pc;
    }

    /// General registers r0..r31 as a uint32 array (a copy).
    #[getter]
    fn regs<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<u32>> {
        numpy::PyArray1::from_slice(py, &self.m.regs)
    }

    /// Set register `n` (1..31; r0 is always 0).
    fn set_reg(&mut self, n: usize, value: u32) -> PyResult<()> {
        if !(1..32).contains(&n) {
            return Err(PyIndexError::new_err(format!(
                "register r{n}: writable registers are r1..r31"
            )));
        }
        self.m.regs[n] = value;
        Ok(())
    }

    /// Every CSR by name (a dict copy; `cycle`/`instret` are the low 32 bits).
    #[getter]
    fn csr(&self) -> std::collections::BTreeMap<&'static str, u32> {
        CSRS.iter()
            .filter_map(|c| self.m.csr(c.num).map(|v| (c.name, v)))
            .collect()
    }

    /// Retired instructions.
    #[getter]
    fn instret(&self) -> u64 {
        self.m.instret
    }

    /// The current cycle (the timing model's clock, or `instret` without it).
    #[getter]
    fn cycle(&self) -> u64 {
        self.m.cycle()
    }

    /// The exit code once `halt` has retired, else None.
    #[getter]
    fn exit_code(&self) -> Option<u32> {
        self.m.exit
    }

    /// `(file, line, column)` of the instruction at `pc`, or None.
    fn source_of(&self, pc: u32) -> Option<(String, u32, u32)> {
        self.m.source_of(pc)
    }

    /// Read DRAM at `place` (a symbol name or an address) as a new array of `dtype`
    /// (little-endian in memory) and `shape` (an int or a tuple; default: the symbol's
    /// size in elements, 1-D).
    #[pyo3(signature = (place, dtype=None, shape=None))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        place: &Bound<'py, PyAny>,
        dtype: Option<Bound<'py, PyAny>>,
        shape: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (addr, size) = self.locate(place)?;
        let dtype = match dtype {
            Some(d) => d,
            None => "uint8".into_pyobject(py)?.into_any(),
        };
        let (native, little, es) = mem_dtype(py, &dtype)?;
        let (shape, n) = match shape {
            Some(s) => shape_of(py, &s)?,
            None => {
                let sz = size.ok_or_else(|| {
                    PyValueError::new_err(
                        "read: no shape given and the place has no size (give shape=)",
                    )
                })?;
                let n = u64::from(sz) / es as u64;
                (PyTuple::new(py, [n])?, n)
            }
        };
        let bytes = n
            .checked_mul(es as u64)
            .filter(|&b| b <= u64::from(u32::MAX))
            .ok_or_else(|| PyValueError::new_err("read: too many bytes"))?;
        let b = self
            .m
            .read_dram(addr, bytes as u32)
            .map_err(|t| PyValueError::new_err(format!("read: {}", t.kind)))?;
        array_from_le(py, &b, &native, &little, &shape)
    }

    /// Write `array` (copied, little-endian, C order) into DRAM at `place` (a symbol name
    /// or an address). Writing past a symbol's size is an error.
    fn write(
        &mut self,
        py: Python<'_>,
        place: &Bound<'_, PyAny>,
        array: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (addr, size) = self.locate(place)?;
        let b = le_bytes(py, array)?;
        if let Some(sz) = size {
            if b.len() as u64 > u64::from(sz) {
                return Err(PyValueError::new_err(format!(
                    "write: {} bytes do not fit in the symbol's {sz} bytes",
                    b.len()
                )));
            }
        }
        self.m
            .write_dram(addr, &b)
            .map_err(|t| PyValueError::new_err(format!("write: {}", t.kind)))
    }

    /// Tile register `n` (0..15): codes, values and descriptor, copied now.
    fn tile(&self, py: Python<'_>, n: u8) -> PyResult<TileView> {
        if n > 15 {
            return Err(PyIndexError::new_err("tile registers are t0..t15"));
        }
        let t = *self
            .m
            .tile(n)
            .ok_or_else(|| PyValueError::new_err(format!("t{n} was never defined by tdef")))?;
        let shape = [t.rows as usize, t.cols as usize];
        let err = |e: bitloom_emu::Trap| PyValueError::new_err(format!("t{n}: {}", e.kind));
        let values = self.m.tile_values(n).map_err(err)?;
        let values = numpy::PyArray1::from_vec(py, values).reshape(shape)?;
        let codes = if t.is_acc() {
            None
        } else {
            let c = self.m.tile_codes(n).map_err(err)?;
            Some(
                numpy::PyArray1::from_vec(py, c)
                    .reshape(shape)?
                    .into_any()
                    .unbind(),
            )
        };
        let d = PyDict::new(py);
        d.set_item("space", t.space.to_string())?;
        d.set_item("base", t.base)?;
        d.set_item("rows", t.rows)?;
        d.set_item("cols", t.cols)?;
        d.set_item("prec", t.prec)?;
        d.set_item(
            "fmt",
            if t.is_acc() {
                "int32".to_string()
            } else {
                t.fmt.to_string()
            },
        )?;
        d.set_item("zp", t.zp)?;
        d.set_item("lut", t.lut)?;
        d.set_item(
            "storage",
            match t.storage {
                Storage::Raw => "raw",
                Storage::Rle => "rle",
            },
        )?;
        d.set_item("nnz", t.nnz)?;
        Ok(TileView {
            index: n,
            codes,
            values: values.into_any().unbind(),
            descriptor: d.unbind(),
        })
    }

    /// Statistics so far as a dict: the schema of `bitloom run --stats-json`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = self.stats_json();
        py.import("json")?.getattr("loads")?.call1((json,))
    }

    /// Statistics so far as the JSON text `bitloom run --stats-json` writes.
    fn stats_json(&self) -> String {
        Stats::collect(
            self.m.hw(),
            self.m.timing.as_ref(),
            self.m.instret,
            &self.m.class_counts,
        )
        .to_json()
    }

    /// Save the whole machine state (registers, memories, tiles, timing model, counters).
    fn snapshot(&self) -> Snapshot {
        Snapshot { m: self.m.clone() }
    }

    /// Return to a state saved by `snapshot()` (breakpoints are kept).
    fn restore(&mut self, snapshot: &Snapshot) {
        self.m = snapshot.m.clone();
    }

    /// The hardware description in force, as TOML text.
    fn hw_toml(&self) -> String {
        self.m.hw().to_toml()
    }

    fn __repr__(&self) -> String {
        format!(
            "Machine(pc=0x{:08x}, instret={}, cycle={}{})",
            self.m.pc,
            self.m.instret,
            self.m.cycle(),
            match self.m.exit {
                Some(c) => format!(", exited {c}"),
                None => String::new(),
            }
        )
    }
}
