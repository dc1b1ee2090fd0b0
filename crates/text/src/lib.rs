//! Internal crate of nanowasm; not a stable API.
//!
//! The WebAssembly text format: a lexer ([`lexer`]), a parser that lowers
//! modules straight to the binary format ([`parse_wat`]), and `.wast`
//! scripts ([`wast`]). Text always becomes bytes, so the decoder and
//! validator see every module.
#![forbid(unsafe_code)]

mod encode;
pub mod error;
pub mod lexer;
mod module;
mod num;
mod parser;
pub mod print;
pub mod wast;

pub use error::Error;
pub use module::MAX_NESTING;
pub use print::{print_bytes, print_module, write_bytes, write_module, PrintError};

/// Parses a text module (`(module ...)` or a bare list of module fields)
/// and returns its binary encoding.
pub fn parse_wat(source: &str) -> Result<Vec<u8>, Error> {
    let tokens = lexer::tokenize(source)?;
    let mut p = parser::Parser::new(source, &tokens);
    let bytes = if p.peek_list("module") {
        p.open()?;
        p.keyword("module")?;
        let m = module::parse_module_body(&mut p)?;
        p.close()?;
        m
    } else {
        module::parse_module_body(&mut p)?
    };
    if !p.is_done() {
        return Err(p.error("unexpected token after the module"));
    }
    Ok(bytes)
}
