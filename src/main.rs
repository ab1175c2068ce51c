//! The `bitloom` command-line tool.
fn main() {}
