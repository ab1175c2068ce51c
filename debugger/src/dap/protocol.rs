//! The Debug Adapter Protocol messages this adapter reads and writes, as serde types
//! written from the protocol's specification (only the fields used here; unknown fields
//! in requests are ignored, as the specification asks).
//!
//! Requests are parsed in two steps: the envelope ([`Request`]: `seq`, `command`,
//! `arguments` kept as JSON) so that any request, even one with bad arguments or an
//! unknown command, gets an error response naming it; then the arguments, per command.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A request's envelope.
#[derive(Debug, Deserialize)]
pub struct Request {
    /// Sequence number of the request.
    pub seq: i64,
    /// `"request"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The command.
    pub command: String,
    /// Its arguments (parsed per command).
    #[serde(default)]
    pub arguments: Value,
}

/// What the adapter supports (the `initialize` response body). Only what works is
/// advertised.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // the names are the protocol's
pub struct Capabilities {
    pub supports_configuration_done_request: bool,
    pub supports_conditional_breakpoints: bool,
    pub supports_hit_conditional_breakpoints: bool,
    pub supports_evaluate_for_hovers: bool,
    pub supports_step_back: bool,
    pub supports_set_variable: bool,
    pub supports_restart_request: bool,
    pub supports_exception_info_request: bool,
    pub supports_terminate_request: bool,
    pub supports_data_breakpoints: bool,
    pub supports_disassemble_request: bool,
    pub supports_read_memory_request: bool,
    pub supports_write_memory_request: bool,
    pub supports_stepping_granularity: bool,
    pub supports_instruction_breakpoints: bool,
    pub supports_delayed_stack_trace_loading: bool,
}

/// `launch` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchArgs {
    /// The program: `.s` (assembled) or `.elf`.
    pub program: String,
    /// Hardware description (TOML).
    #[serde(default)]
    pub hw: Option<String>,
    /// Stop at the entry point instead of running.
    #[serde(default)]
    pub stop_on_entry: bool,
    /// Functional only: no timing model.
    #[serde(default)]
    pub no_timing: bool,
    /// Assembler defines (`-D NAME[=VALUE]`).
    #[serde(default)]
    pub args: Vec<String>,
    /// Working directory: relative paths (`program`, `hw`, the sources the line table
    /// names) are resolved from it.
    #[serde(default)]
    pub cwd: Option<String>,
    /// Launch without debugging (run to the end).
    #[serde(default)]
    pub no_debug: bool,
}

/// A source file.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// Short name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Path on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// One breakpoint of `setBreakpoints`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceBreakpoint {
    /// Line (1-based).
    pub line: u32,
    /// Condition: an expression of the debugger's language.
    #[serde(default)]
    pub condition: Option<String>,
    /// Hit condition: `N` or `>= N` (stop from the N-th hit on).
    #[serde(default)]
    pub hit_condition: Option<String>,
}

/// `setBreakpoints` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetBreakpointsArgs {
    /// The file.
    pub source: Source,
    /// All breakpoints of the file (replacing the previous ones).
    #[serde(default)]
    pub breakpoints: Vec<SourceBreakpoint>,
}

/// One of `setInstructionBreakpoints`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstructionBreakpoint {
    /// An address, as in `memoryReference`s (`0x1040`).
    pub instruction_reference: String,
    /// Bytes added to it.
    #[serde(default)]
    pub offset: i64,
    /// Condition.
    #[serde(default)]
    pub condition: Option<String>,
    /// Hit condition.
    #[serde(default)]
    pub hit_condition: Option<String>,
}

/// `setInstructionBreakpoints` arguments.
#[derive(Debug, Deserialize)]
pub struct SetInstructionBreakpointsArgs {
    /// All instruction breakpoints.
    #[serde(default)]
    pub breakpoints: Vec<InstructionBreakpoint>,
}

/// A breakpoint as reported back (in responses, and in `breakpoint` events when a restart
/// re-resolved it differently).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Breakpoint {
    /// Engine number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// Resolved to code.
    pub verified: bool,
    /// Why not, or what was adjusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The actual line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction_reference: Option<String>,
}

/// `dataBreakpointInfo` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataBreakpointInfoArgs {
    /// The container of `name`, when it is a variable.
    #[serde(default)]
    pub variables_reference: Option<i64>,
    /// A variable name, an expression, or (with `asAddress`) an address.
    pub name: String,
    /// `name` is an address.
    #[serde(default)]
    pub as_address: bool,
    /// Bytes to watch at the address.
    #[serde(default)]
    pub bytes: Option<u32>,
}

/// One of `setDataBreakpoints`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataBreakpoint {
    /// From `dataBreakpointInfo`.
    pub data_id: String,
    /// `read`, `write` or `readWrite`.
    #[serde(default)]
    pub access_type: Option<String>,
    /// Not supported on data breakpoints.
    #[serde(default)]
    pub condition: Option<String>,
    /// Not supported on data breakpoints.
    #[serde(default)]
    pub hit_condition: Option<String>,
}

/// `setDataBreakpoints` arguments.
#[derive(Debug, Deserialize)]
pub struct SetDataBreakpointsArgs {
    /// All data breakpoints.
    #[serde(default)]
    pub breakpoints: Vec<DataBreakpoint>,
}

/// Arguments of the stepping requests.
#[derive(Debug, Default, Deserialize)]
pub struct StepArgs {
    /// `statement`, `line` or `instruction`.
    #[serde(default)]
    pub granularity: Option<String>,
}

/// `stackTrace` arguments.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackTraceArgs {
    /// First frame.
    #[serde(default)]
    pub start_frame: Option<usize>,
    /// Frames wanted (0 or absent: all).
    #[serde(default)]
    pub levels: Option<usize>,
}

/// A stack frame.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackFrame {
    /// Frame id (its depth).
    pub id: i64,
    /// Function name.
    pub name: String,
    /// The file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Line.
    pub line: u32,
    /// Column (always 1 here).
    pub column: u32,
    /// The frame's pc.
    pub instruction_pointer_reference: String,
}

/// `variables` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariablesArgs {
    /// The container.
    pub variables_reference: i64,
    /// `indexed` or `named`.
    #[serde(default)]
    pub filter: Option<String>,
    /// First index (paging).
    #[serde(default)]
    pub start: Option<usize>,
    /// How many (0 or absent: all).
    #[serde(default)]
    pub count: Option<usize>,
}

/// A scope.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    /// Name.
    pub name: String,
    /// `registers` for register-like scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presentation_hint: Option<String>,
    /// Its container.
    pub variables_reference: i64,
    /// Named children.
    pub named_variables: usize,
    /// Expensive to fetch (the editor fetches on expansion).
    pub expensive: bool,
}

/// A variable.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Variable {
    /// Name.
    pub name: String,
    /// Value text.
    pub value: String,
    /// Type text.
    #[serde(skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    /// Children (0: none).
    pub variables_reference: i64,
    /// Named children.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_variables: Option<usize>,
    /// Indexed children (paged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexed_variables: Option<usize>,
    /// An expression that evaluates to it (for watches and data breakpoints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluate_name: Option<String>,
    /// An address, for the editor's memory view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_reference: Option<String>,
}

impl Variable {
    /// A leaf variable.
    pub fn leaf(name: impl Into<String>, value: impl Into<String>) -> Variable {
        Variable {
            name: name.into(),
            value: value.into(),
            kind: None,
            variables_reference: 0,
            named_variables: None,
            indexed_variables: None,
            evaluate_name: None,
            memory_reference: None,
        }
    }
}

/// `setVariable` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetVariableArgs {
    /// The container.
    pub variables_reference: i64,
    /// The variable.
    pub name: String,
    /// New value: an expression.
    pub value: String,
}

/// `evaluate` arguments.
#[derive(Debug, Deserialize)]
pub struct EvaluateArgs {
    /// Expression or debugger command.
    pub expression: String,
    /// `repl`, `watch`, `hover`, `clipboard`, ...
    #[serde(default)]
    pub context: Option<String>,
}

/// `disassemble` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisassembleArgs {
    /// Base address.
    pub memory_reference: String,
    /// Byte offset.
    #[serde(default)]
    pub offset: i64,
    /// Instruction offset (4 bytes each).
    #[serde(default)]
    pub instruction_offset: i64,
    /// Instructions wanted.
    pub instruction_count: i64,
}

/// One disassembled instruction.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisassembledInstruction {
    /// Address.
    pub address: String,
    /// Raw word, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction_bytes: Option<String>,
    /// Text.
    pub instruction: String,
    /// Symbol at this address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// Its file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Source>,
    /// Its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// `invalid` outside memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presentation_hint: Option<String>,
}

/// `readMemory` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadMemoryArgs {
    /// Base address.
    pub memory_reference: String,
    /// Byte offset.
    #[serde(default)]
    pub offset: i64,
    /// Bytes wanted.
    pub count: i64,
}

/// `writeMemory` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteMemoryArgs {
    /// Base address.
    pub memory_reference: String,
    /// Byte offset.
    #[serde(default)]
    pub offset: i64,
    /// Write what fits and report how much.
    #[serde(default)]
    pub allow_partial: bool,
    /// Bytes, base64.
    pub data: String,
}

/// Parse a `memoryReference` / `instructionReference`: `0x` hex or decimal.
pub fn parse_address(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => t.parse(),
    };
    v.map_err(|_| format!("`{s}` is not an address (0x hex or decimal)"))
}

/// An address as a `memoryReference`.
pub fn address(a: u32) -> String {
    format!("0x{a:08x}")
}

/// Parse a request's arguments as `T`, with an error message naming the command.
pub fn args<T: serde::de::DeserializeOwned>(command: &str, v: &Value) -> Result<T, String> {
    let v = if v.is_null() {
        Value::Object(Default::default())
    } else {
        v.clone()
    };
    serde_json::from_value(v).map_err(|e| format!("bad arguments for `{command}`: {e}"))
}
