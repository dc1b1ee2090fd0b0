//! The section loop: magic, version, sections in order, cross-section
//! checks. Each section's contents are read by its own file in
//! [`crate::section`]; validation happens as the sections arrive, function
//! bodies included, so a module is decoded and validated in one pass.

use alloc::vec::Vec;

use nanowasm_core::Features;

use crate::error::{Error, Result};
use crate::module;
use crate::module::{Bytes, ImportCounts, Module};
use crate::name::Names;
use crate::reader::Reader;
use crate::validate::func::FuncValidator;

/// The export names seen so far: a hash set where `std` is linked, a B-tree
/// set (no hasher needed) where it is not.
#[cfg(feature = "std")]
type NameSet<'a> = std::collections::HashSet<&'a str>;
#[cfg(not(feature = "std"))]
type NameSet<'a> = alloc::collections::BTreeSet<&'a str>;

/// Everything of a [`Module`] but its bytes, built section by section.
#[derive(Default)]
pub(crate) struct Parts {
    pub types: crate::types::TypeSection,
    pub imports: Vec<module::Import>,
    pub funcs: Vec<u32>,
    pub tables: Vec<nanowasm_core::TableType>,
    pub table_inits: Vec<Option<module::ConstExpr>>,
    pub memories: Vec<nanowasm_core::MemoryType>,
    pub globals: Vec<nanowasm_core::GlobalType>,
    pub tags: Vec<u32>,
    pub global_inits: Vec<module::ConstExpr>,
    pub num_imported: ImportCounts,
    pub exports: Vec<module::Export>,
    pub start: Option<u32>,
    pub elements: Vec<module::ElementSegment>,
    pub data_count: Option<u32>,
    pub bodies: Vec<module::FuncBody>,
    pub datas: Vec<module::DataSegment>,
    pub customs: Vec<module::CustomSection>,
    pub names: Names,
    /// The decoder's `refs`, once every section is read.
    pub refs: Vec<bool>,
}

/// Decoder state for one module.
pub(crate) struct Decoder<'a> {
    /// The whole module (errors look ahead in it for the `name` section).
    pub bytes: &'a [u8],
    pub features: Features,
    pub parts: Parts,
    /// Functions that may be named by `ref.func` in code (the spec's
    /// `C.refs`): those mentioned in element segments, exports and global
    /// initializers.
    pub refs: Vec<bool>,
    pub export_names: NameSet<'a>,
    /// The function section's count, if it was present.
    pub func_section_count: Option<u32>,
    /// The code section's count, if it was present.
    pub code_count: Option<u32>,
    /// Reused between function bodies.
    pub func_validator: FuncValidator,
    /// Whether function bodies are validated ([`decode_trusted`] skips them).
    pub validate_bodies: bool,
    /// Reused between constant expressions.
    pub const_stack: Vec<nanowasm_core::ValType>,
}

/// The order in which non-custom sections must appear.
fn section_rank(id: u8) -> Option<u8> {
    Some(match id {
        1 => 1,   // type
        2 => 2,   // import
        3 => 3,   // function
        4 => 4,   // table
        5 => 5,   // memory
        13 => 6,  // tag (exceptions)
        6 => 7,   // global
        7 => 8,   // export
        8 => 9,   // start
        9 => 10,  // element
        12 => 11, // data count
        10 => 12, // code
        11 => 13, // data
        _ => return None,
    })
}

/// Decodes and validates `data`, returning everything but the bytes.
pub(crate) fn decode_parts(data: &[u8], features: Features) -> Result<Parts> {
    decode_parts_with(data, features, true)
}

fn decode_parts_with(data: &[u8], features: Features, validate_bodies: bool) -> Result<Parts> {
    let mut r = Reader::new(data);
    let magic = r.bytes(4)?;
    if magic != b"\0asm" {
        return Err(Error::malformed("magic header not detected", 0));
    }
    let version = r.bytes(4)?;
    if version != [1, 0, 0, 0] {
        return Err(Error::malformed("unknown binary version", 4));
    }
    let mut d = Decoder {
        bytes: data,
        features,
        parts: Parts::default(),
        refs: Vec::new(),
        export_names: NameSet::new(),
        func_section_count: None,
        code_count: None,
        func_validator: FuncValidator::default(),
        validate_bodies,
        const_stack: Vec::new(),
    };
    let mut last_rank = 0u8;
    let mut saw_data = false;
    while !r.is_empty() {
        let id_offset = r.offset();
        let id = r.u8()?;
        let size = r.u32()?;
        let start = r.offset();
        let mut s = r.sub(size, start)?;
        if id == 0 {
            d.custom(&mut s)?;
        } else {
            let rank = match section_rank(id) {
                Some(rank) => rank,
                None => return Err(Error::malformed("malformed section id", id_offset)),
            };
            if rank <= last_rank {
                return Err(Error::malformed(
                    "unexpected content after last section",
                    id_offset,
                ));
            }
            last_rank = rank;
            match id {
                1 => d.type_section(&mut s)?,
                2 => d.import_section(&mut s)?,
                3 => d.function_section(&mut s)?,
                4 => d.table_section(&mut s)?,
                5 => d.memory_section(&mut s)?,
                6 => d.global_section(&mut s)?,
                7 => d.export_section(&mut s)?,
                8 => d.start_section(&mut s)?,
                9 => d.element_section(&mut s)?,
                10 => d.code_section(&mut s)?,
                11 => {
                    saw_data = true;
                    d.data_section(&mut s)?
                }
                12 => d.data_count_section(&mut s)?,
                13 => d.tag_section(&mut s, id_offset)?,
                _ => unreachable!("section_rank covers the ids"),
            }
        }
        if !s.is_empty() {
            return Err(Error::malformed("section size mismatch", s.offset()));
        }
    }
    let end = data.len();
    if d.code_count.unwrap_or(0) != d.func_section_count.unwrap_or(0) {
        return Err(Error::malformed(
            "function and code section have inconsistent lengths",
            end,
        ));
    }
    if !saw_data && d.parts.data_count.unwrap_or(0) != 0 {
        return Err(Error::malformed(
            "data count and data section have inconsistent lengths",
            end,
        ));
    }
    d.parts.refs = core::mem::take(&mut d.refs);
    Ok(d.parts)
}

/// Decodes and validates a module, keeping its bytes.
pub fn decode(bytes: impl Into<Bytes>, features: Features) -> Result<Module> {
    decode_with(bytes.into(), features, true)
}

/// Decodes a module whose function bodies were validated before, with the
/// same features (the module inside a compiled artifact this engine wrote):
/// every section is decoded and checked as by [`decode`], but the
/// instructions of function bodies are not validated. A body that was never
/// validated may make a back end fail, or run code the spec forbids: this
/// is for trusted input only, as wasmtime's `Module::deserialize` is.
pub fn decode_trusted(bytes: impl Into<Bytes>, features: Features) -> Result<Module> {
    decode_with(bytes.into(), features, false)
}

fn decode_with(bytes: Bytes, features: Features, validate_bodies: bool) -> Result<Module> {
    let p = decode_parts_with(&bytes, features, validate_bodies)?;
    let refs = p.refs;
    Ok(Module {
        bytes,
        types: p.types,
        imports: p.imports,
        funcs: p.funcs,
        tables: p.tables,
        table_inits: p.table_inits,
        memories: p.memories,
        globals: p.globals,
        tags: p.tags,
        global_inits: p.global_inits,
        num_imported: p.num_imported,
        exports: p.exports,
        start: p.start,
        elements: p.elements,
        data_count: p.data_count,
        bodies: p.bodies,
        datas: p.datas,
        customs: p.customs,
        names: p.names,
        refs,
    })
}

/// Decodes and validates a module without keeping anything.
pub fn validate(bytes: &[u8], features: Features) -> Result<()> {
    decode_parts(bytes, features).map(drop)
}
