//! The printer: a decoded module as readable WAT.
//!
//! Output is the flat (linear) instruction form, one instruction per line,
//! indented by block depth (up to [`MAX_INDENT`] levels), with identifiers
//! taken from the `name` section where a name is a valid, unique
//! identifier. It is written so that [`crate::parse_wat`] gives back the
//! module's bytes: every choice the encoder makes from the text (element
//! and data segment forms, type uses, block types, memory arguments,
//! recursion groups, even of one type or none, read from the type section's
//! bytes) is printed explicitly enough to make the same choice. A binary module that the encoder would not produce (for
//! example one with over-long LEB128 encodings or extra custom sections)
//! prints as an equivalent module instead.
//!
//! [`write_module`] streams the text to an [`io::Write`]; [`print_module`]
//! collects it in a `String`. Either way the printer needs no memory beyond
//! the decoded module, its names and the current line, however deep the
//! nesting.

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::fmt::{self, Write as _};
use std::io;

use nanowasm_binary::branch_hints::{self, Hint};
use nanowasm_binary::module::{ConstExpr, DataMode, ElementItems, ElementMode, ImportDesc, Module};
use nanowasm_binary::operators::{Catch, TryTable};
use nanowasm_binary::reader::Reader;
use nanowasm_binary::{Features, Imm, Instr, Names, OperatorReader};
use nanowasm_core::{
    BlockType, CompositeType, ExternKind, FieldType, FuncType, GlobalType, HeapType, Limits,
    MemArg, Opcode, RefType, Sig, StorageType, SubType, ValType,
};

/// Indentation stops growing at this many levels, as in wasmprinter:
/// deeper lines are indented as much as this, so that a line's whitespace
/// is bounded and the text of a deeply nested function stays linear in the
/// module's size (it would be quadratic in the nesting depth otherwise).
pub const MAX_INDENT: usize = 50;

/// The whitespace of the deepest indentation.
const SPACES: &str = "                                                                                                    ";
const _: () = assert!(SPACES.len() == 2 * MAX_INDENT);

/// Decodes and validates `bytes` with `features`, then prints the module.
pub fn print_bytes(bytes: &[u8], features: Features) -> Result<String, nanowasm_binary::Error> {
    let module = nanowasm_binary::decode(bytes, features)?;
    print_module(&module, features)
}

/// Prints a decoded module as WAT.
pub fn print_module(module: &Module, features: Features) -> Result<String, nanowasm_binary::Error> {
    let mut out = String::new();
    match Printer::new(module, features, &mut out).module() {
        Ok(()) => Ok(out),
        Err(Fail::Module(e)) => Err(e),
        Err(Fail::Sink(never)) => match never {},
    }
}

/// Decodes and validates `bytes` with `features`, then writes the module's
/// text to `out` as it goes (see [`write_module`]).
pub fn write_bytes(
    bytes: &[u8],
    features: Features,
    out: impl io::Write,
) -> Result<(), PrintError> {
    let module = nanowasm_binary::decode(bytes, features).map_err(PrintError::Module)?;
    write_module(&module, features, out)
}

/// Writes a decoded module as WAT to `out`, line by line, and flushes it:
/// beyond the module and its names, the printer holds only the line it is
/// writing. Each
/// line takes a few small writes, so give an unbuffered writer (a file,
/// stdout) a [`std::io::BufWriter`].
pub fn write_module(
    module: &Module,
    features: Features,
    mut out: impl io::Write,
) -> Result<(), PrintError> {
    match Printer::new(module, features, Io(&mut out)).module() {
        Ok(()) => out.flush().map_err(PrintError::Write),
        Err(Fail::Module(e)) => Err(PrintError::Module(e)),
        Err(Fail::Sink(e)) => Err(PrintError::Write(e)),
    }
}

/// Why [`write_bytes`] or [`write_module`] failed.
#[derive(Debug)]
pub enum PrintError {
    /// The module is malformed or invalid.
    Module(nanowasm_binary::Error),
    /// Writing the text failed.
    Write(io::Error),
}

impl fmt::Display for PrintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrintError::Module(e) => e.fmt(f),
            PrintError::Write(e) => write!(f, "cannot write the text: {e}"),
        }
    }
}

impl std::error::Error for PrintError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PrintError::Module(e) => Some(e),
            PrintError::Write(e) => Some(e),
        }
    }
}

/// Where the printer's text goes: a `String`, or an [`io::Write`].
trait Sink {
    type Error;
    fn put(&mut self, text: &str) -> Result<(), Self::Error>;
}

impl Sink for &mut String {
    type Error = Infallible;
    fn put(&mut self, text: &str) -> Result<(), Infallible> {
        self.push_str(text);
        Ok(())
    }
}

/// An [`io::Write`] as a [`Sink`].
struct Io<W>(W);

impl<W: io::Write> Sink for Io<W> {
    type Error = io::Error;
    fn put(&mut self, text: &str) -> Result<(), io::Error> {
        self.0.write_all(text.as_bytes())
    }
}

/// Why printing stopped: the module, or the sink's error.
enum Fail<E> {
    Module(nanowasm_binary::Error),
    Sink(E),
}

impl<E> From<nanowasm_binary::Error> for Fail<E> {
    fn from(e: nanowasm_binary::Error) -> Self {
        Fail::Module(e)
    }
}

/// Identifiers for each index space, from the name section.
struct Ids {
    types: BTreeMap<u32, String>,
    funcs: BTreeMap<u32, String>,
    tables: BTreeMap<u32, String>,
    memories: BTreeMap<u32, String>,
    globals: BTreeMap<u32, String>,
    elems: BTreeMap<u32, String>,
    datas: BTreeMap<u32, String>,
    /// Tag names (subsection 11).
    tags: BTreeMap<u32, String>,
    locals: BTreeMap<u32, BTreeMap<u32, String>>,
    labels: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Names of tag parameters by tag (subsection 13).
    tag_params: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Names of struct fields by type (subsection 10).
    fields: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Names of function types' parameters by type (subsection 12).
    type_params: BTreeMap<u32, BTreeMap<u32, String>>,
    /// The names that are not written as identifiers.
    annots: Annots,
}

/// The names of the name section that cannot be written as identifiers
/// (empty, or the same as another's in their index space), as they are:
/// their definitions are written with an `(@name "...")` annotation
/// instead, so that they come back, and references to them use indices.
#[derive(Default)]
struct Annots {
    types: BTreeMap<u32, String>,
    funcs: BTreeMap<u32, String>,
    tables: BTreeMap<u32, String>,
    memories: BTreeMap<u32, String>,
    globals: BTreeMap<u32, String>,
    elems: BTreeMap<u32, String>,
    datas: BTreeMap<u32, String>,
    tags: BTreeMap<u32, String>,
    locals: BTreeMap<u32, BTreeMap<u32, String>>,
    labels: BTreeMap<u32, BTreeMap<u32, String>>,
    tag_params: BTreeMap<u32, BTreeMap<u32, String>>,
    fields: BTreeMap<u32, BTreeMap<u32, String>>,
    type_params: BTreeMap<u32, BTreeMap<u32, String>>,
}

/// The names of `all` that `ids` leaves out.
fn left_out(all: &BTreeMap<u32, String>, ids: &BTreeMap<u32, String>) -> BTreeMap<u32, String> {
    all.iter()
        .filter(|(i, _)| !ids.contains_key(i))
        .map(|(i, n)| (*i, n.clone()))
        .collect()
}

/// [`left_out`] of each map of an indirect name map.
fn left_out_indirect(
    all: &BTreeMap<u32, BTreeMap<u32, String>>,
    ids: &BTreeMap<u32, BTreeMap<u32, String>>,
) -> BTreeMap<u32, BTreeMap<u32, String>> {
    let none = BTreeMap::new();
    all.iter()
        .map(|(t, l)| (*t, left_out(l, ids.get(t).unwrap_or(&none))))
        .filter(|(_, l)| !l.is_empty())
        .collect()
}

/// How entry `i` of an index space with identifiers `ids` and the other
/// names `annots` is named at its definition: `$id`, `(@name "...")`, or
/// not at all.
fn decl(
    ids: Option<&BTreeMap<u32, String>>,
    annots: Option<&BTreeMap<u32, String>>,
    i: u32,
) -> Option<String> {
    if let Some(n) = ids.and_then(|m| m.get(&i)) {
        return Some(format!("${n}"));
    }
    annots
        .and_then(|m| m.get(&i))
        .map(|n| format!("(@name {})", string_literal(n.as_bytes())))
}

/// Whether `name` can be written as `$name`.
fn is_id(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-./:<=>?@\\^_`|~".contains(&c))
}

/// How `name` is written after `$`: as it is if it is a plain identifier,
/// else quoted (`$"..."`, Wasm 3.0's identifiers of any non-empty text).
fn id_text(name: &str) -> String {
    if is_id(name) {
        name.to_owned()
    } else {
        string_literal(name.as_bytes())
    }
}

/// The names of `map` usable as identifiers, written as [`id_text`]:
/// non-empty and not repeated.
fn unique_ids(map: &BTreeMap<u32, String>) -> BTreeMap<u32, String> {
    let mut seen = HashSet::new();
    let mut dup = HashSet::new();
    for n in map.values() {
        if !seen.insert(n.as_str()) {
            dup.insert(n.as_str());
        }
    }
    map.iter()
        .filter(|(_, n)| !n.is_empty() && !dup.contains(n.as_str()))
        .map(|(i, n)| (*i, id_text(n)))
        .collect()
}

/// The name section's subsections that [`Names`] does not keep.
#[derive(Default)]
struct ExtraNames {
    /// Tag names (subsection 11).
    tags: BTreeMap<u32, String>,
    /// Tag parameter names, by tag (subsection 13).
    tag_params: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Struct field names, by type (subsection 10).
    fields: BTreeMap<u32, BTreeMap<u32, String>>,
    /// Function type parameter names, by type (subsection 12).
    type_params: BTreeMap<u32, BTreeMap<u32, String>>,
}

/// The name section's subsections that [`Names`] does not keep, read from
/// the module's last `name` section as the decoder reads that section: if
/// any part of it is malformed, there are no names at all.
fn extra_names(m: &Module) -> ExtraNames {
    let Some(section) = m.customs.iter().rev().find(|c| c.name == "name") else {
        return ExtraNames::default();
    };
    let Some(bytes) = m.bytes.get(..section.range.end) else {
        return ExtraNames::default();
    };
    let mut r = Reader::new(bytes);
    if r.bytes(section.range.start).is_err() || Names::parse(r.clone()).is_err() {
        return ExtraNames::default();
    }
    let name_map = |r: &mut Reader<'_>| -> Option<BTreeMap<u32, String>> {
        let mut map = BTreeMap::new();
        for _ in 0..r.count().ok()? {
            let i = r.u32().ok()?;
            map.insert(i, r.name().ok()?.to_owned());
        }
        Some(map)
    };
    let indirect = |r: &mut Reader<'_>| -> Option<BTreeMap<u32, BTreeMap<u32, String>>> {
        let mut map = BTreeMap::new();
        for _ in 0..r.count().ok()? {
            let i = r.u32().ok()?;
            map.insert(i, name_map(r)?);
        }
        Some(map)
    };
    let mut out = ExtraNames::default();
    let mut parse = || -> Option<()> {
        while !r.is_empty() {
            let id = r.u8().ok()?;
            let size = r.u32().ok()?;
            let at = r.offset();
            let mut sub = r.sub(size, at).ok()?;
            match id {
                10 => out.fields = indirect(&mut sub)?,
                11 => out.tags = name_map(&mut sub)?,
                12 => out.type_params = indirect(&mut sub)?,
                13 => out.tag_params = indirect(&mut sub)?,
                _ => {}
            }
        }
        Some(())
    };
    match parse() {
        Some(()) => out,
        None => ExtraNames::default(),
    }
}

impl Ids {
    fn new(m: &Module) -> Ids {
        let n = &m.names;
        let extra = extra_names(m);
        let indirect = |map: &BTreeMap<u32, BTreeMap<u32, String>>| {
            map.iter()
                .map(|(t, l)| (*t, unique_ids(l)))
                .collect::<BTreeMap<_, _>>()
        };
        let mut ids = Ids {
            types: unique_ids(&n.types),
            funcs: unique_ids(&n.functions),
            tables: unique_ids(&n.tables),
            memories: unique_ids(&n.memories),
            globals: unique_ids(&n.globals),
            elems: unique_ids(&n.elems),
            datas: unique_ids(&n.datas),
            tags: unique_ids(&extra.tags),
            locals: indirect(&n.locals),
            tag_params: indirect(&extra.tag_params),
            fields: indirect(&extra.fields),
            type_params: indirect(&extra.type_params),
            // Labels may shadow each other, so they need not be unique.
            labels: n
                .labels
                .iter()
                .map(|(f, l)| {
                    let ok = l.iter().filter(|(_, n)| !n.is_empty());
                    (*f, ok.map(|(i, n)| (*i, id_text(n))).collect())
                })
                .collect(),
            annots: Annots::default(),
        };
        ids.annots = Annots {
            types: left_out(&n.types, &ids.types),
            funcs: left_out(&n.functions, &ids.funcs),
            tables: left_out(&n.tables, &ids.tables),
            memories: left_out(&n.memories, &ids.memories),
            globals: left_out(&n.globals, &ids.globals),
            elems: left_out(&n.elems, &ids.elems),
            datas: left_out(&n.datas, &ids.datas),
            tags: left_out(&extra.tags, &ids.tags),
            locals: left_out_indirect(&n.locals, &ids.locals),
            labels: left_out_indirect(&n.labels, &ids.labels),
            tag_params: left_out_indirect(&extra.tag_params, &ids.tag_params),
            fields: left_out_indirect(&extra.fields, &ids.fields),
            type_params: left_out_indirect(&extra.type_params, &ids.type_params),
        };
        ids
    }
}

struct Printer<'a, S> {
    m: &'a Module,
    features: Features,
    out: S,
    ids: Ids,
    /// The branch hints, by function, when they are printed inline as
    /// `(@metadata.code.branch_hint ...)` before their instructions (then
    /// the raw section is not printed); empty otherwise.
    hints: BTreeMap<u32, Vec<Hint>>,
}

impl<'a, S: Sink> Printer<'a, S> {
    fn new(m: &'a Module, features: Features, out: S) -> Self {
        Printer {
            m,
            features,
            out,
            ids: Ids::new(m),
            hints: inline_hints(m, features),
        }
    }
}

/// `$name` if the space has a name for `index`, else the number.
fn index(map: &BTreeMap<u32, String>, index: u32) -> String {
    match map.get(&index) {
        Some(n) => format!("${n}"),
        None => index.to_string(),
    }
}

/// ` $name` for a definition (or ` (@name "...")`, see [`Annots`]), or
/// its index as a comment.
fn def_id(map: &BTreeMap<u32, String>, annots: &BTreeMap<u32, String>, index: u32) -> String {
    match decl(Some(map), Some(annots), index) {
        Some(d) => format!(" {d}"),
        None => format!(" (;{index};)"),
    }
}

/// A WAT string literal for arbitrary bytes.
pub fn string_literal(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\{b:02x}");
            }
        }
    }
    s.push('"');
    s
}

/// A value type, with the names of `types` for type indices.
fn val_type(types: &BTreeMap<u32, String>, t: ValType) -> String {
    match t {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        ValType::Ref(r) => ref_type(types, r),
    }
}

/// A reference type: the shorthand of a nullable abstract one, else
/// `(ref null? heaptype)`.
fn ref_type(types: &BTreeMap<u32, String>, r: RefType) -> String {
    let heap = r.heap();
    match (r.nullable(), heap.abstract_name()) {
        (true, Some(_)) => r.to_string(),
        (true, None) => format!("(ref null {})", heap_type(types, heap)),
        (false, _) => format!("(ref {})", heap_type(types, heap)),
    }
}

/// A heap type: its name if abstract, else the type's `$name` or index.
fn heap_type(types: &BTreeMap<u32, String>, h: HeapType) -> String {
    match (h.abstract_name(), h) {
        (Some(n), _) => n.to_owned(),
        (None, HeapType::Concrete(i)) => index(types, i),
        (None, _) => h.to_string(),
    }
}

/// A struct field's or an array's element type: `(mut t)` or `t`.
fn field_type(types: &BTreeMap<u32, String>, f: &FieldType) -> String {
    let t = match f.storage {
        StorageType::I8 => "i8".to_owned(),
        StorageType::I16 => "i16".to_owned(),
        StorageType::Val(t) => val_type(types, t),
    };
    if f.mutable {
        format!("(mut {t})")
    } else {
        t
    }
}

/// A memory's or table's limits, after `i64 ` if it is 64-bit.
fn limits(l: &Limits, is64: bool) -> String {
    let at = if is64 { "i64 " } else { "" };
    match l.max {
        Some(max) => format!("{at}{} {max}", l.min),
        None => format!("{at}{}", l.min),
    }
}

/// A float literal for a NaN, infinity, or else the shortest decimal
/// (`finite`), given the sign, the payload and the canonical payload.
fn float_literal(
    negative: bool,
    nan: bool,
    inf: bool,
    payload: u64,
    canonical: u64,
    finite: impl FnOnce() -> String,
) -> String {
    let sign = if negative { "-" } else { "" };
    if nan && payload == canonical {
        format!("{sign}nan")
    } else if nan {
        format!("{sign}nan:0x{payload:x}")
    } else if inf {
        format!("{sign}inf")
    } else {
        // Debug formatting is the shortest decimal that reads back exactly.
        finite()
    }
}

/// An `f32` literal that parses back to exactly `bits`.
pub fn f32_literal(bits: u32) -> String {
    let f = f32::from_bits(bits);
    let payload = u64::from(bits & 0x7f_ffff);
    float_literal(
        bits >> 31 == 1,
        f.is_nan(),
        f.is_infinite(),
        payload,
        0x40_0000,
        || format!("{f:?}"),
    )
}

/// An `f64` literal that parses back to exactly `bits`.
pub fn f64_literal(bits: u64) -> String {
    let f = f64::from_bits(bits);
    let payload = bits & 0xf_ffff_ffff_ffff;
    float_literal(
        bits >> 63 == 1,
        f.is_nan(),
        f.is_infinite(),
        payload,
        0x8_0000_0000_0000,
        || format!("{f:?}"),
    )
}

fn natural_align(op: Opcode) -> u32 {
    match *op.sig() {
        Sig::Load(_, a) | Sig::Store(_, a) | Sig::LoadLane(a) | Sig::StoreLane(a) => u32::from(a),
        _ => 0,
    }
}

fn memarg(op: Opcode, m: &MemArg) -> String {
    let mut s = String::new();
    if m.memory != 0 {
        let _ = write!(s, " {}", m.memory);
    }
    if m.offset != 0 {
        let _ = write!(s, " offset={}", m.offset);
    }
    if m.align != natural_align(op) {
        match 1u64.checked_shl(m.align) {
            Some(a) => {
                let _ = write!(s, " align={a}");
            }
            None => {
                let _ = write!(s, " (; align=2**{} ;)", m.align);
            }
        }
    }
    s
}

impl<S: Sink> Printer<'_, S> {
    /// One line of text, indented by `depth` levels up to [`MAX_INDENT`].
    fn line(&mut self, depth: usize, text: &str) -> Result<(), Fail<S::Error>> {
        let indent = &SPACES[..2 * depth.min(MAX_INDENT)];
        self.out.put(indent).map_err(Fail::Sink)?;
        self.out.put(text).map_err(Fail::Sink)?;
        self.out.put("\n").map_err(Fail::Sink)
    }

    fn module(&mut self) -> Result<(), Fail<S::Error>> {
        let m = self.m;
        let name = match &m.names.module {
            Some(n) if !n.is_empty() => format!(" ${}", id_text(n)),
            Some(n) => format!(" (@name {})", string_literal(n.as_bytes())),
            None => String::new(),
        };
        self.line(0, &format!("(module{name}"))?;
        let mut next = 0u32;
        for (rec, len) in type_groups(m) {
            if rec {
                self.line(1, "(rec")?;
            }
            for i in next..next + len {
                if let Some(ty) = m.types.get(i) {
                    let text = self.type_def(i, ty);
                    self.line(if rec { 2 } else { 1 }, &text)?;
                }
            }
            if rec {
                self.line(1, ")")?;
            }
            next += len;
        }
        let mut counts = [0u32; 5];
        for imp in &m.imports {
            let desc = match imp.desc {
                ImportDesc::Func(ty) => {
                    let i = counts[0];
                    counts[0] += 1;
                    format!(
                        "(func{} {})",
                        def_id(&self.ids.funcs, &self.ids.annots.funcs, i),
                        self.type_use(ty, i)
                    )
                }
                ImportDesc::Table(t) => {
                    let i = counts[1];
                    counts[1] += 1;
                    format!(
                        "(table{} {} {})",
                        def_id(&self.ids.tables, &self.ids.annots.tables, i),
                        limits(&t.limits, t.table64),
                        ref_type(&self.ids.types, t.element)
                    )
                }
                ImportDesc::Memory(t) => {
                    let i = counts[2];
                    counts[2] += 1;
                    format!(
                        "(memory{} {})",
                        def_id(&self.ids.memories, &self.ids.annots.memories, i),
                        limits(&t.limits, t.memory64)
                    )
                }
                ImportDesc::Global(g) => {
                    let i = counts[3];
                    counts[3] += 1;
                    format!(
                        "(global{} {})",
                        def_id(&self.ids.globals, &self.ids.annots.globals, i),
                        global_type(&self.ids.types, &g)
                    )
                }
                ImportDesc::Tag(ty) => {
                    let i = counts[4];
                    counts[4] += 1;
                    format!(
                        "(tag{} {})",
                        def_id(&self.ids.tags, &self.ids.annots.tags, i),
                        self.tag_type(ty, i)
                    )
                }
            };
            let text = format!(
                "(import {} {} {desc})",
                string_literal(imp.module.as_bytes()),
                string_literal(imp.name.as_bytes())
            );
            self.line(1, &text)?;
        }
        let n = &m.num_imported;
        for (i, t) in m.tables.iter().enumerate().skip(n.tables as usize) {
            let mut text = format!(
                "(table{} {} {}",
                def_id(&self.ids.tables, &self.ids.annots.tables, i as u32),
                limits(&t.limits, t.table64),
                ref_type(&self.ids.types, t.element)
            );
            let init = m.table_inits.get(i - n.tables as usize);
            if let Some(Some(init)) = init {
                let _ = write!(text, " {}", self.const_expr(init)?);
            }
            text.push(')');
            self.line(1, &text)?;
        }
        for (i, t) in m.memories.iter().enumerate().skip(n.memories as usize) {
            let text = format!(
                "(memory{} {})",
                def_id(&self.ids.memories, &self.ids.annots.memories, i as u32),
                limits(&t.limits, t.memory64)
            );
            self.line(1, &text)?;
        }
        for (i, &ty) in m.tags.iter().enumerate().skip(n.tags as usize) {
            let i = i as u32;
            let text = format!(
                "(tag{} {})",
                def_id(&self.ids.tags, &self.ids.annots.tags, i),
                self.tag_type(ty, i)
            );
            self.line(1, &text)?;
        }
        for (k, init) in m.global_inits.iter().enumerate() {
            let i = n.globals + k as u32;
            let g = m.globals[i as usize];
            let text = format!(
                "(global{} {} {})",
                def_id(&self.ids.globals, &self.ids.annots.globals, i),
                global_type(&self.ids.types, &g),
                self.const_expr(init)?
            );
            self.line(1, &text)?;
        }
        for e in &m.exports {
            let (kind, map) = match e.kind {
                ExternKind::Func => ("func", &self.ids.funcs),
                ExternKind::Table => ("table", &self.ids.tables),
                ExternKind::Memory => ("memory", &self.ids.memories),
                ExternKind::Global => ("global", &self.ids.globals),
                ExternKind::Tag => ("tag", &self.ids.tags),
            };
            let text = format!(
                "(export {} ({kind} {}))",
                string_literal(e.name.as_bytes()),
                index(map, e.index)
            );
            self.line(1, &text)?;
        }
        if let Some(s) = m.start {
            let text = format!("(start {})", index(&self.ids.funcs, s));
            self.line(1, &text)?;
        }
        for (i, seg) in m.elements.iter().enumerate() {
            let text = self.elem(i as u32, seg)?;
            self.line(1, &text)?;
        }
        for (k, body) in m.bodies.iter().enumerate() {
            self.func(n.funcs + k as u32, body)?;
        }
        for (i, seg) in m.datas.iter().enumerate() {
            let mut text = format!(
                "(data{}",
                def_id(&self.ids.datas, &self.ids.annots.datas, i as u32)
            );
            if let DataMode::Active { memory, offset } = &seg.mode {
                if *memory != 0 {
                    let _ = write!(text, " (memory {})", index(&self.ids.memories, *memory));
                }
                let _ = write!(text, " (offset {})", self.const_expr(offset)?);
            }
            let _ = write!(text, " {})", string_literal(m.slice(&seg.range)));
            self.line(1, &text)?;
        }
        for (place, name, data) in custom_sections(&m.bytes) {
            if name == branch_hints::SECTION.as_bytes() && !self.hints.is_empty() {
                continue;
            }
            let text = format!(
                "(@custom {} ({place}) {})",
                string_literal(name),
                string_literal(data)
            );
            self.line(1, &text)?;
        }
        self.line(0, ")")?;
        Ok(())
    }

    /// `(type N) (param ...) (result ...)` for function `func` of type `ty`.
    fn type_use(&self, ty: u32, func: u32) -> String {
        let mut s = format!("(type {})", index(&self.ids.types, ty));
        if let Some(t) = self.m.types.func(ty) {
            s.push_str(&signature(
                &self.ids.types,
                t,
                self.ids.locals.get(&func),
                self.ids.annots.locals.get(&func),
            ));
        }
        s
    }

    /// The definition of type `i`: `(type $name (sub final? $super? comptype))`,
    /// without the `sub` for a final type without a supertype.
    fn type_def(&self, i: u32, t: &SubType) -> String {
        let types = &self.ids.types;
        let mut body = match &t.composite {
            CompositeType::Func(ft) => {
                format!(
                    "(func{})",
                    signature(
                        types,
                        ft,
                        self.ids.type_params.get(&i),
                        self.ids.annots.type_params.get(&i)
                    )
                )
            }
            CompositeType::Struct(fields) => {
                let names = self.ids.fields.get(&i);
                let annots = self.ids.annots.fields.get(&i);
                let mut s = String::from("(struct");
                for (k, f) in fields.iter().enumerate() {
                    match decl(names, annots, k as u32) {
                        Some(n) => {
                            let _ = write!(s, " (field {n} {})", field_type(types, f));
                        }
                        None => {
                            let _ = write!(s, " (field {})", field_type(types, f));
                        }
                    }
                }
                s.push(')');
                s
            }
            CompositeType::Array(f) => format!("(array {})", field_type(types, f)),
        };
        if !t.is_final || t.supertype.is_some() {
            let fin = if t.is_final { " final" } else { "" };
            let sup = match t.supertype {
                Some(s) => format!(" {}", index(types, s)),
                None => String::new(),
            };
            body = format!("(sub{fin}{sup} {body})");
        }
        format!("(type{} {body})", def_id(types, &self.ids.annots.types, i))
    }

    /// `(type N) (param ...)` for tag `tag` of type `ty`, with the names of
    /// its parameters if it is defined (the encoder, as the `wat` crate,
    /// keeps no parameter names for an imported tag).
    fn tag_type(&self, ty: u32, tag: u32) -> String {
        let mut s = format!("(type {})", index(&self.ids.types, ty));
        let (names, annots) = if tag < self.m.num_imported.tags {
            (None, None)
        } else {
            (
                self.ids.tag_params.get(&tag),
                self.ids.annots.tag_params.get(&tag),
            )
        };
        if let Some(t) = self.m.types.func(ty) {
            s.push_str(&signature(&self.ids.types, t, names, annots));
        }
        s
    }

    fn elem(
        &self,
        i: u32,
        seg: &nanowasm_binary::module::ElementSegment,
    ) -> Result<String, nanowasm_binary::Error> {
        let mut s = format!(
            "(elem{}",
            def_id(&self.ids.elems, &self.ids.annots.elems, i)
        );
        // The encoder picks the binary form from what the text spells out:
        // an explicit table selects the forms with a table index, and
        // `func` indices versus `reftype` expressions the item encoding.
        match &seg.mode {
            ElementMode::Active { table, offset } => {
                let exprs = matches!(seg.items, ElementItems::Exprs(_));
                let short = *table == 0 && (!exprs || seg.ty == RefType::FUNCREF);
                if !short || seg.flags & 0b010 != 0 {
                    let _ = write!(s, " (table {})", index(&self.ids.tables, *table));
                }
                let _ = write!(s, " (offset {})", self.const_expr(offset)?);
            }
            ElementMode::Passive => {}
            ElementMode::Declared => s.push_str(" declare"),
        }
        match &seg.items {
            ElementItems::Funcs(fs) => {
                s.push_str(" func");
                for f in fs {
                    let _ = write!(s, " {}", index(&self.ids.funcs, *f));
                }
            }
            ElementItems::Exprs(es) => {
                let _ = write!(s, " {}", ref_type(&self.ids.types, seg.ty));
                for e in es {
                    let _ = write!(s, " (item {})", self.const_expr(e)?);
                }
            }
        }
        s.push(')');
        Ok(s)
    }

    fn const_expr(&self, e: &ConstExpr) -> Result<String, nanowasm_binary::Error> {
        let mut ops = ops(self.m, self.features, e.range.start, e.range.end);
        let mut parts = Vec::new();
        while !ops.is_empty() {
            let instr = ops.read()?;
            if instr.op == Opcode::End {
                break;
            }
            parts.push(self.instr(&instr, u32::MAX, &mut 0));
        }
        Ok(parts.join(" "))
    }

    fn func(
        &mut self,
        idx: u32,
        body: &nanowasm_binary::module::FuncBody,
    ) -> Result<(), Fail<S::Error>> {
        let ty = self.m.funcs[idx as usize];
        let mut head = format!(
            "(func{} {}",
            def_id(&self.ids.funcs, &self.ids.annots.funcs, idx),
            self.type_use(ty, idx)
        );
        let nparams = self.m.types.func(ty).map_or(0, |t| t.params().len() as u32);
        let ids = &self.ids;
        let names = ids.locals.get(&idx);
        let annots = ids.annots.locals.get(&idx);
        let mut local = nparams;
        for &(count, t) in &body.locals {
            for _ in 0..count {
                match decl(names, annots, local) {
                    Some(n) => {
                        let _ = write!(head, " (local {n} {})", val_type(&ids.types, t));
                    }
                    None => {
                        let _ = write!(head, " (local {})", val_type(&ids.types, t));
                    }
                }
                local += 1;
            }
        }
        self.line(1, &head)?;
        let mut ops = ops(self.m, self.features, body.code.start, body.code.end);
        let mut depth = 2usize;
        let mut blocks = 0u32;
        let hints = self.hints.get(&idx).cloned().unwrap_or_default();
        let locals_start = body_locals_start(&self.m.bytes, body.offset);
        let mut next_hint = 0;
        while !ops.is_empty() {
            let at = ops.offset();
            let instr = ops.read()?;
            if let Some(h) = hints.get(next_hint) {
                if locals_start + h.offset as usize == at {
                    next_hint += 1;
                    let hint = if h.likely { "\\01" } else { "\\00" };
                    let text = format!("(@metadata.code.branch_hint \"{hint}\")");
                    self.line(depth, &text)?;
                }
            }
            match instr.op {
                Opcode::End => {
                    if depth == 2 {
                        break;
                    }
                    depth -= 1;
                    self.line(depth, "end")?;
                }
                // The clauses of `if` and of a legacy `try` line up with it.
                Opcode::Else | Opcode::Catch | Opcode::CatchAll => {
                    let text = self.instr(&instr, idx, &mut blocks);
                    self.line(depth - 1, &text)?;
                }
                // `delegate` ends its `try` instead of `end`.
                Opcode::Delegate => {
                    depth -= 1;
                    let text = self.instr(&instr, idx, &mut blocks);
                    self.line(depth, &text)?;
                }
                Opcode::Block | Opcode::Loop | Opcode::If | Opcode::Try | Opcode::TryTable => {
                    let text = self.instr(&instr, idx, &mut blocks);
                    self.line(depth, &text)?;
                    depth += 1;
                }
                _ => {
                    let text = self.instr(&instr, idx, &mut blocks);
                    self.line(depth, &text)?;
                }
            }
        }
        self.line(1, ")")?;
        Ok(())
    }

    /// One instruction of function `func` (`u32::MAX` in a constant
    /// expression); `blocks` counts the block instructions so far.
    fn instr(&self, instr: &Instr<'_>, func: u32, blocks: &mut u32) -> String {
        let op = instr.op;
        let mut s = String::from(op.name());
        let ids = &self.ids;
        match instr.imm {
            Imm::None => {}
            Imm::Block(bt) => self.block_head(&mut s, bt, func, blocks),
            Imm::TryTable(tt) => self.try_table(&mut s, &tt, func, blocks),
            Imm::Index(i) => {
                let text = match op.imm() {
                    nanowasm_core::ImmKind::Func => index(&ids.funcs, i),
                    nanowasm_core::ImmKind::Global => index(&ids.globals, i),
                    nanowasm_core::ImmKind::Table => index(&ids.tables, i),
                    nanowasm_core::ImmKind::Data => index(&ids.datas, i),
                    nanowasm_core::ImmKind::Elem => index(&ids.elems, i),
                    nanowasm_core::ImmKind::Tag => index(&ids.tags, i),
                    nanowasm_core::ImmKind::Local => match ids.locals.get(&func) {
                        Some(l) => index(l, i),
                        None => i.to_string(),
                    },
                    // The default memory is implicit.
                    nanowasm_core::ImmKind::Memory if i == 0 => String::new(),
                    nanowasm_core::ImmKind::Memory => index(&ids.memories, i),
                    nanowasm_core::ImmKind::Type => index(&ids.types, i),
                    _ => i.to_string(),
                };
                if !text.is_empty() {
                    s.push(' ');
                    s.push_str(&text);
                }
            }
            Imm::Index2(a, b) => match op.imm() {
                nanowasm_core::ImmKind::CallIndirect => {
                    let _ = write!(
                        s,
                        " {} (type {})",
                        index(&ids.tables, b),
                        index(&ids.types, a)
                    );
                }
                nanowasm_core::ImmKind::MemoryInit => {
                    if b != 0 {
                        let _ = write!(s, " {}", index(&ids.memories, b));
                    }
                    let _ = write!(s, " {}", index(&ids.datas, a));
                }
                nanowasm_core::ImmKind::MemoryCopy => {
                    if a != 0 || b != 0 {
                        let _ = write!(
                            s,
                            " {} {}",
                            index(&ids.memories, a),
                            index(&ids.memories, b)
                        );
                    }
                }
                nanowasm_core::ImmKind::TableInit => {
                    let _ = write!(s, " {} {}", index(&ids.tables, b), index(&ids.elems, a));
                }
                nanowasm_core::ImmKind::StructField => {
                    let field = match ids.fields.get(&a) {
                        Some(f) => index(f, b),
                        None => b.to_string(),
                    };
                    let _ = write!(s, " {} {field}", index(&ids.types, a));
                }
                nanowasm_core::ImmKind::ArrayFixed => {
                    let _ = write!(s, " {} {b}", index(&ids.types, a));
                }
                nanowasm_core::ImmKind::ArrayData => {
                    let _ = write!(s, " {} {}", index(&ids.types, a), index(&ids.datas, b));
                }
                nanowasm_core::ImmKind::ArrayElem => {
                    let _ = write!(s, " {} {}", index(&ids.types, a), index(&ids.elems, b));
                }
                nanowasm_core::ImmKind::ArrayCopy => {
                    let _ = write!(s, " {} {}", index(&ids.types, a), index(&ids.types, b));
                }
                _ => {
                    let _ = write!(s, " {} {}", index(&ids.tables, a), index(&ids.tables, b));
                }
            },
            Imm::BrTable(t) => {
                for l in t.targets() {
                    let _ = write!(s, " {l}");
                }
                let _ = write!(s, " {}", t.default);
            }
            Imm::MemArg(m) => s.push_str(&memarg(op, &m)),
            Imm::MemArgLane(m, lane) => {
                s.push_str(&memarg(op, &m));
                let _ = write!(s, " {lane}");
            }
            Imm::Lane(l) => {
                let _ = write!(s, " {l}");
            }
            Imm::Bytes16(b) => {
                if op == Opcode::V128Const {
                    s.push_str(" i32x4");
                    for c in b.chunks_exact(4) {
                        let v = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                        let _ = write!(s, " 0x{v:08x}");
                    }
                } else {
                    for l in b {
                        let _ = write!(s, " {l}");
                    }
                }
            }
            Imm::I32(v) => {
                let _ = write!(s, " {v}");
            }
            Imm::I64(v) => {
                let _ = write!(s, " {v}");
            }
            Imm::F32(b) => {
                let _ = write!(s, " {}", f32_literal(b));
            }
            Imm::F64(b) => {
                let _ = write!(s, " {}", f64_literal(b));
            }
            Imm::SelectT(t) => {
                let _ = write!(s, " (result {})", val_type(&ids.types, t));
            }
            // `ref.test` and `ref.cast` take a reference type, whose
            // nullability is the opcode's.
            Imm::Heap(h) => {
                let text = match op {
                    Opcode::RefTest | Opcode::RefCast => {
                        ref_type(&ids.types, RefType::new(false, h))
                    }
                    Opcode::RefTestNull | Opcode::RefCastNull => {
                        ref_type(&ids.types, RefType::new(true, h))
                    }
                    _ => heap_type(&ids.types, h),
                };
                let _ = write!(s, " {text}");
            }
            Imm::BrOnCast { label, from, to } => {
                let _ = write!(
                    s,
                    " {label} {} {}",
                    ref_type(&ids.types, from),
                    ref_type(&ids.types, to)
                );
            }
        }
        s
    }
}

impl<S> Printer<'_, S> {
    /// A block instruction's label (if the name section gives the
    /// function's block number `blocks` one) and block type, after its
    /// name; counts the block.
    fn block_head(&self, s: &mut String, bt: BlockType, func: u32, blocks: &mut u32) {
        let ids = &self.ids;
        if let Some(l) = decl(ids.labels.get(&func), ids.annots.labels.get(&func), *blocks) {
            let _ = write!(s, " {l}");
        }
        *blocks += 1;
        match bt {
            BlockType::Empty => {}
            BlockType::Value(t) => {
                let _ = write!(s, " (result {})", val_type(&ids.types, t));
            }
            BlockType::Func(t) => {
                let _ = write!(s, " (type {})", index(&ids.types, t));
            }
        }
    }

    /// A `try_table`'s label, block type and catch clauses, in their order
    /// (the clauses' labels as depths, counted outside the `try_table`).
    fn try_table(&self, s: &mut String, tt: &TryTable<'_>, func: u32, blocks: &mut u32) {
        self.block_head(s, tt.ty, func, blocks);
        let tags = &self.ids.tags;
        for c in tt.catches() {
            let _ = match c {
                Catch::Tag { tag, label } => write!(s, " (catch {} {label})", index(tags, tag)),
                Catch::TagRef { tag, label } => {
                    write!(s, " (catch_ref {} {label})", index(tags, tag))
                }
                Catch::All { label } => write!(s, " (catch_all {label})"),
                Catch::AllRef { label } => write!(s, " (catch_all_ref {label})"),
            };
        }
    }
}

/// The branch hints of `m`, by function, if every one names an `if` or a
/// `br_if` of its function's body, so the printer can write them inline;
/// else none (the section is printed raw, as a custom section).
fn inline_hints(m: &Module, features: Features) -> BTreeMap<u32, Vec<Hint>> {
    let none = BTreeMap::new();
    let Some(section) = m.customs.iter().find(|c| c.name == branch_hints::SECTION) else {
        return none;
    };
    let Ok(funcs) = branch_hints::parse(m.slice(&section.range)) else {
        return none;
    };
    let mut out = BTreeMap::new();
    for f in funcs {
        let Some(body) = f
            .func
            .checked_sub(m.num_imported.funcs)
            .and_then(|k| m.bodies.get(k as usize))
        else {
            return none;
        };
        let start = body_locals_start(&m.bytes, body.offset);
        let mut ops = ops(m, features, body.code.start, body.code.end);
        let mut want = f.hints.iter().peekable();
        while let Some(h) = want.peek() {
            if ops.is_empty() {
                return none;
            }
            let at = ops.offset();
            let Ok(instr) = ops.read() else {
                return none;
            };
            match (start + h.offset as usize).cmp(&at) {
                core::cmp::Ordering::Equal if matches!(instr.op, Opcode::If | Opcode::BrIf) => {
                    want.next();
                }
                core::cmp::Ordering::Greater => {}
                _ => return none,
            }
        }
        out.insert(f.func, f.hints);
    }
    out
}

/// Where a function body's locals start: after its size, at `offset`.
fn body_locals_start(bytes: &[u8], offset: usize) -> usize {
    let mut pos = offset;
    let _ = nanowasm_core::leb128::read_u32(bytes, &mut pos);
    pos
}

/// The custom sections other than `name`, each with its placement, name
/// and contents. A custom section is placed `before` the next section that
/// the encoder will write again (a non-empty one other than the data count
/// section, which depends on the code), or `after last`: the placement
/// survives a round trip even when empty sections around it do not.
fn custom_sections(bytes: &[u8]) -> Vec<(&'static str, &[u8], &[u8])> {
    const BEFORE: [&str; 12] = [
        "after last",
        "before type",
        "before import",
        "before func",
        "before table",
        "before memory",
        "before global",
        "before export",
        "before start",
        "before elem",
        "before code",
        "before data",
    ];
    // (id, name, contents) of every section, in order.
    let mut sections = Vec::new();
    let mut pos = 8;
    while pos < bytes.len() {
        let id = bytes[pos];
        pos += 1;
        let Ok(size) = nanowasm_core::leb128::read_u32(bytes, &mut pos) else {
            break;
        };
        let end = pos.saturating_add(size as usize).min(bytes.len());
        let body = &bytes[pos..end];
        if id == 0 {
            let mut p = 0;
            if let Ok(n) = nanowasm_core::leb128::read_u32(body, &mut p) {
                let name_end = p.saturating_add(n as usize).min(body.len());
                sections.push((0u8, &body[p..name_end], &body[name_end..]));
            }
        } else {
            sections.push((id, &body[..0], body));
        }
        pos = end;
    }
    let anchor = |id: u8, body: &[u8]| id != 0 && id != 12 && (id == 8 || body != [0]);
    let mut out = Vec::new();
    for (i, &(id, name, data)) in sections.iter().enumerate() {
        if id != 0 || name == b"name" {
            continue;
        }
        let next = sections[i + 1..]
            .iter()
            .find(|(id, _, body)| anchor(*id, body));
        let place = match next {
            Some(&(id, _, _)) if (id as usize) < BEFORE.len() => BEFORE[id as usize],
            Some((13, _, _)) => "before tag",
            _ => BEFORE[0],
        };
        out.push((place, name, data));
    }
    out
}

/// The entries of the type section: for each, whether it is a recursion
/// group (`rec`, even of one type or none) and how many types it has. Read
/// from the section's bytes, since the decoded types do not say which
/// single types were written as a group; if they cannot be read, each
/// group of the decoded types, as `rec` when it has several.
fn type_groups(m: &Module) -> Vec<(bool, u32)> {
    let fallback = || {
        m.types
            .rec_groups()
            .map(|g| (g.len() != 1, g.end - g.start))
            .collect()
    };
    match scan_type_groups(&m.bytes) {
        Some(groups) if groups.iter().map(|g| g.1 as usize).sum::<usize>() == m.types.len() => {
            groups
        }
        _ => fallback(),
    }
}

/// [`type_groups`] from the bytes of a module's type section, if it has one
/// that reads.
fn scan_type_groups(bytes: &[u8]) -> Option<Vec<(bool, u32)>> {
    use nanowasm_core::leb128::{read_s33, read_u32};
    let mut pos = 8;
    let body = loop {
        let id = *bytes.get(pos)?;
        pos += 1;
        let size = read_u32(bytes, &mut pos).ok()? as usize;
        let body = bytes.get(pos..pos.checked_add(size)?)?;
        if id == 1 {
            break body;
        }
        pos += size;
    };
    let b = body;
    let mut pos = 0;
    let val_type = |pos: &mut usize| -> Option<()> {
        let t = *b.get(*pos)?;
        *pos += 1;
        if t == 0x63 || t == 0x64 {
            read_s33(b, pos).ok()?;
        }
        Some(())
    };
    let field_type = |pos: &mut usize| -> Option<()> {
        match *b.get(*pos)? {
            0x78 | 0x77 => *pos += 1,
            _ => val_type(pos)?,
        }
        *pos += 1;
        Some(())
    };
    let sub_type = |pos: &mut usize| -> Option<()> {
        if matches!(*b.get(*pos)?, 0x50 | 0x4f) {
            *pos += 1;
            for _ in 0..read_u32(b, pos).ok()? {
                read_u32(b, pos).ok()?;
            }
        }
        let kind = *b.get(*pos)?;
        *pos += 1;
        match kind {
            0x60 => {
                for _ in 0..2 {
                    for _ in 0..read_u32(b, pos).ok()? {
                        val_type(pos)?;
                    }
                }
            }
            0x5f => {
                for _ in 0..read_u32(b, pos).ok()? {
                    field_type(pos)?;
                }
            }
            0x5e => field_type(pos)?,
            _ => return None,
        }
        Some(())
    };
    let mut groups = Vec::new();
    for _ in 0..read_u32(b, &mut pos).ok()? {
        if *b.get(pos)? == 0x4e {
            pos += 1;
            let n = read_u32(b, &mut pos).ok()?;
            for _ in 0..n {
                sub_type(&mut pos)?;
            }
            groups.push((true, n));
        } else {
            sub_type(&mut pos)?;
            groups.push((false, 1));
        }
    }
    Some(groups)
}

/// Instructions in `m.bytes[start..end]`.
fn ops(m: &Module, features: Features, start: usize, end: usize) -> OperatorReader<'_> {
    let mut r = Reader::new(&m.bytes[..end]);
    // `start` is within the module: the decoder produced the range.
    let _ = r.bytes(start);
    OperatorReader::new(r, features)
}

fn global_type(types: &BTreeMap<u32, String>, g: &GlobalType) -> String {
    if g.mutable {
        format!("(mut {})", val_type(types, g.content))
    } else {
        val_type(types, g.content)
    }
}

/// ` (param ...) (result ...)`, with parameter names where given (as
/// identifiers, `names`, or annotations, `annots`).
fn signature(
    types: &BTreeMap<u32, String>,
    ty: &FuncType,
    names: Option<&BTreeMap<u32, String>>,
    annots: Option<&BTreeMap<u32, String>>,
) -> String {
    let mut s = String::new();
    let mut unnamed = Vec::new();
    let flush = |s: &mut String, unnamed: &mut Vec<String>| {
        if !unnamed.is_empty() {
            let _ = write!(s, " (param {})", unnamed.join(" "));
            unnamed.clear();
        }
    };
    for (i, &t) in ty.params().iter().enumerate() {
        match decl(names, annots, i as u32) {
            Some(n) => {
                flush(&mut s, &mut unnamed);
                let _ = write!(s, " (param {n} {})", val_type(types, t));
            }
            None => unnamed.push(val_type(types, t)),
        }
    }
    flush(&mut s, &mut unnamed);
    if !ty.results().is_empty() {
        let r: Vec<String> = ty.results().iter().map(|&t| val_type(types, t)).collect();
        let _ = write!(s, " (result {})", r.join(" "));
    }
    s
}
