//! `-D NAME[=VALUE]` (alias `--defsym`): the predefined-symbol option shared by
//! `bitloom asm`, `run`, `debug` and `test` (`objdump` takes `--defsym` only, its `-D`
//! being GNU's --disassemble-all), parsed into [`bitloom_asm::Define`]s (a malformed
//! specification is a clap usage error, before any file is read).

use bitloom_asm::Define;

/// The `-D` option of a subcommand that assembles.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct DefineArgs {
    /// Predefine the absolute symbol NAME for `.if`/`.ifdef` and expressions; VALUE is an
    /// integer expression of literals (default 1). Repeatable; a later one replaces an
    /// earlier one of the same name.
    #[arg(
        short = 'D',
        long = "defsym",
        visible_alias = "define",
        value_name = "NAME[=VALUE]",
        value_parser = parse_define
    )]
    pub defines: Vec<Define>,
}

pub(crate) fn parse_define(s: &str) -> Result<Define, String> {
    Define::parse(s).map_err(|e| e.to_string())
}
