//! Internal crate of nanowasm; not a stable API.
//!
//! The WebAssembly text format: a lexer ([`lexer`]), a parser that lowers
//! modules straight to the binary format ([`parse_wat`]), and `.wast`
//! scripts ([`wast`]). Text always becomes bytes, so the decoder and
//! validator see every module.
#![forbid(unsafe_code)]

pub(crate) mod component;
pub mod component_print;
mod encode;
pub mod error;
pub mod lexer;
mod module;
mod num;
mod parser;
pub mod print;
pub mod wast;

pub use component_print::{is_component, print_component};
pub use error::Error;
pub use module::MAX_NESTING;
pub use print::{print_bytes, print_module, write_bytes, write_module, PrintError};

/// A module's binary encoding from the bytes of a module file named `path`
/// (used in errors): the bytes as they are when they begin with the binary
/// magic `\0asm`, else the text they hold, parsed and encoded (as wasmtime
/// and the `wat` crate decide). Errors read `path:line:col: message`, then
/// the source line and a caret.
pub fn binary_or_wat(bytes: Vec<u8>, path: &str) -> Result<Vec<u8>, String> {
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{path}: neither a WebAssembly binary (no `\\0asm` magic) nor UTF-8 text: {}",
            e.utf8_error()
        )
    })?;
    parse_wat(&text).map_err(|e| e.display_with(path, &text))
}

/// Parses a text module (`(module ...)` or a bare list of module fields)
/// or a text component (`(component ...)`, the component model's text
/// format) and returns its binary encoding.
pub fn parse_wat(source: &str) -> Result<Vec<u8>, Error> {
    let (tokens, ids) = lexer::tokenize(source)?;
    let tokens = lexer::resolve_ids(tokens, &ids);
    let mut p = parser::Parser::new(source, &tokens);
    let bytes = if p.peek_list("component") {
        p.open()?;
        p.keyword("component")?;
        let c = component::parse_component_body(&mut p)?;
        p.close()?;
        c
    } else if p.peek_list("module") {
        p.open()?;
        p.keyword("module")?;
        let m = module::parse_module_body(&mut p)?;
        p.close()?;
        m
    } else {
        module::parse_module_fields(&mut p)?
    };
    if !p.is_done() {
        return Err(p.error("unexpected token after the module or component"));
    }
    Ok(bytes)
}

/// Parses a text component (`(component ...)`) and returns its binary
/// encoding; [`parse_wat`] does the same for components and modules.
pub fn parse_component(source: &str) -> Result<Vec<u8>, Error> {
    let (tokens, ids) = lexer::tokenize(source)?;
    let tokens = lexer::resolve_ids(tokens, &ids);
    let mut p = parser::Parser::new(source, &tokens);
    p.open()?;
    p.keyword("component")?;
    let c = component::parse_component_body(&mut p)?;
    p.close()?;
    if !p.is_done() {
        return Err(p.error("unexpected token after the component"));
    }
    Ok(c)
}
