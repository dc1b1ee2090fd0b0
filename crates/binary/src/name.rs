//! The `name` custom section: module, function and local names, kept for
//! backtraces and the printer.
//!
//! Spec: <https://webassembly.github.io/spec/core/appendix/custom.html#name-section>.
//! Custom sections are not validated, so a malformed name section is
//! dropped (names stay empty) rather than rejecting the module.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::error::Result;
use crate::reader::Reader;

/// Names from the `name` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// The module's name.
    pub module: Option<String>,
    /// Function names by function index.
    pub functions: BTreeMap<u32, String>,
    /// Local names by function index, then local index.
    pub locals: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Label names by function index, then label index (the order of the
    /// function's `block`, `loop` and `if` instructions).
    pub labels: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Type names (subsection 4 of the extended name section).
    pub types: BTreeMap<u32, String>,
    /// Table names (subsection 5).
    pub tables: BTreeMap<u32, String>,
    /// Memory names (subsection 6).
    pub memories: BTreeMap<u32, String>,
    /// Global names (subsection 7).
    pub globals: BTreeMap<u32, String>,
    /// Element segment names (subsection 8).
    pub elems: BTreeMap<u32, String>,
    /// Data segment names (subsection 9).
    pub datas: BTreeMap<u32, String>,
}

impl Names {
    /// The name of function `index`, if it has one.
    pub fn function(&self, index: u32) -> Option<&str> {
        self.functions.get(&index).map(String::as_str)
    }

    /// The name of local `local` of function `func`, if it has one.
    pub fn local(&self, func: u32, local: u32) -> Option<&str> {
        self.locals.get(&func)?.get(&local).map(String::as_str)
    }

    /// Parses a `name` section payload. Unknown subsections are skipped.
    pub fn parse(mut reader: Reader<'_>) -> Result<Names> {
        let mut names = Names::default();
        while !reader.is_empty() {
            let id = reader.u8()?;
            let size = reader.u32()?;
            let at = reader.offset();
            let mut sub = reader.sub(size, at)?;
            match id {
                0 => names.module = Some(sub.name()?.to_owned()),
                1 => names.functions = name_map(&mut sub)?,
                2 => names.locals = indirect_name_map(&mut sub)?,
                3 => names.labels = indirect_name_map(&mut sub)?,
                4 => names.types = name_map(&mut sub)?,
                5 => names.tables = name_map(&mut sub)?,
                6 => names.memories = name_map(&mut sub)?,
                7 => names.globals = name_map(&mut sub)?,
                8 => names.elems = name_map(&mut sub)?,
                9 => names.datas = name_map(&mut sub)?,
                _ => {}
            }
        }
        Ok(names)
    }
}

/// The name of function `func` in a `name` custom section among the
/// sections that start at `pos` in `module`, if one names it. Best effort,
/// for error messages: the sections after `pos` are not decoded yet, so
/// anything malformed (in the name section or before it) means `None`.
/// Only the function-name subsection is read, so a broken subsection of
/// local or label names does not hide the function's name.
pub(crate) fn function_name_after(module: &[u8], pos: usize, func: u32) -> Option<String> {
    let mut r = Reader::new_at(module, pos);
    while !r.is_empty() {
        let id = r.u8().ok()?;
        let size = r.u32().ok()?;
        let at = r.offset();
        let mut section = r.sub(size, at).ok()?;
        if id == 0 && section.name().ok()? == "name" {
            return function_name(section, func);
        }
    }
    None
}

/// The name of function `func` in a `name` section's payload.
fn function_name(mut r: Reader<'_>, func: u32) -> Option<String> {
    while !r.is_empty() {
        let id = r.u8().ok()?;
        let size = r.u32().ok()?;
        let at = r.offset();
        let mut sub = r.sub(size, at).ok()?;
        if id == 1 {
            let n = sub.count().ok()?;
            for _ in 0..n {
                let index = sub.u32().ok()?;
                let name = sub.name().ok()?;
                if index == func {
                    return Some(name.to_owned());
                }
            }
            return None;
        }
    }
    None
}

fn indirect_name_map(reader: &mut Reader<'_>) -> Result<BTreeMap<u32, BTreeMap<u32, String>>> {
    let n = reader.count()?;
    let mut map = BTreeMap::new();
    for _ in 0..n {
        let index = reader.u32()?;
        map.insert(index, name_map(reader)?);
    }
    Ok(map)
}

fn name_map(reader: &mut Reader<'_>) -> Result<BTreeMap<u32, String>> {
    let n = reader.count()?;
    let mut map = BTreeMap::new();
    for _ in 0..n {
        let index = reader.u32()?;
        map.insert(index, reader.name()?.to_owned());
    }
    Ok(map)
}
