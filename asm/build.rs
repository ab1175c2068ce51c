//! Generates the line parser from src/grammar.lalrpop.

fn main() {
    println!("cargo:rerun-if-changed=src/grammar.lalrpop");
    lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .process()
        .expect("lalrpop failed to process src/grammar.lalrpop");
}
