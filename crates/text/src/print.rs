//! The printer: a decoded module as readable WAT.
//!
//! Output is the flat (linear) instruction form, one instruction per line,
//! indented by block depth (up to [`MAX_INDENT`] levels), with identifiers
//! taken from the `name` section where a name is a valid, unique
//! identifier. It is written so that [`crate::parse_wat`] gives back the
//! module's bytes: every choice the encoder makes from the text (element
//! and data segment forms, type uses, block types, memory arguments) is
//! printed explicitly enough to make the same choice. A binary module that the encoder would not produce (for
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

use nanowasm_binary::module::{ConstExpr, DataMode, ElementItems, ElementMode, ImportDesc, Module};
use nanowasm_binary::operators::{Catch, TryTable};
use nanowasm_binary::reader::Reader;
use nanowasm_binary::{Features, Imm, Instr, Names, OperatorReader};
use nanowasm_core::{
    BlockType, ExternKind, FuncType, GlobalType, HeapType, Limits, MemArg, Opcode, RefType, Sig,
    ValType,
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

/// The name section's tag names (subsection 11) and tag parameter names
/// (subsection 13), which [`Names`] does not keep, read from the module's
/// last `name` section as the decoder reads that section: if any part of it
/// is malformed, there are no names at all.
fn tag_names(m: &Module) -> (BTreeMap<u32, String>, BTreeMap<u32, BTreeMap<u32, String>>) {
    let mut tags = BTreeMap::new();
    let mut params = BTreeMap::new();
    let Some(section) = m.customs.iter().rev().find(|c| c.name == "name") else {
        return (tags, params);
    };
    let Some(bytes) = m.bytes.get(..section.range.end) else {
        return (tags, params);
    };
    let mut r = Reader::new(bytes);
    if r.bytes(section.range.start).is_err() || Names::parse(r.clone()).is_err() {
        return (tags, params);
    }
    let name_map = |r: &mut Reader<'_>| -> Option<BTreeMap<u32, String>> {
        let mut map = BTreeMap::new();
        for _ in 0..r.count().ok()? {
            let i = r.u32().ok()?;
            map.insert(i, r.name().ok()?.to_owned());
        }
        Some(map)
    };
    let mut parse = || -> Option<()> {
        while !r.is_empty() {
            let id = r.u8().ok()?;
            let size = r.u32().ok()?;
            let at = r.offset();
            let mut sub = r.sub(size, at).ok()?;
            match id {
                11 => tags = name_map(&mut sub)?,
                13 => {
                    params = BTreeMap::new();
                    for _ in 0..sub.count().ok()? {
                        let tag = sub.u32().ok()?;
                        params.insert(tag, name_map(&mut sub)?);
                    }
                }
                _ => {}
            }
        }
        Some(())
    };
    if parse().is_none() {
        return (BTreeMap::new(), BTreeMap::new());
    }
    (tags, params)
}

impl Ids {
    fn new(m: &Module) -> Ids {
        let n = &m.names;
        let (tags, tag_params) = tag_names(m);
        Ids {
            types: unique_ids(&n.types),
            funcs: unique_ids(&n.functions),
            tables: unique_ids(&n.tables),
            memories: unique_ids(&n.memories),
            globals: unique_ids(&n.globals),
            elems: unique_ids(&n.elems),
            datas: unique_ids(&n.datas),
            tags: unique_ids(&tags),
            locals: n.locals.iter().map(|(f, l)| (*f, unique_ids(l))).collect(),
            tag_params: tag_params
                .iter()
                .map(|(t, l)| (*t, unique_ids(l)))
                .collect(),
            // Labels may shadow each other, so they need not be unique.
            labels: n
                .labels
                .iter()
                .map(|(f, l)| {
                    let ok = l.iter().filter(|(_, n)| !n.is_empty());
                    (*f, ok.map(|(i, n)| (*i, id_text(n))).collect())
                })
                .collect(),
        }
    }
}

struct Printer<'a, S> {
    m: &'a Module,
    features: Features,
    out: S,
    ids: Ids,
}

impl<'a, S: Sink> Printer<'a, S> {
    fn new(m: &'a Module, features: Features, out: S) -> Self {
        Printer {
            m,
            features,
            out,
            ids: Ids::new(m),
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

/// ` $name` for a definition, or its index as a comment.
fn def_id(map: &BTreeMap<u32, String>, index: u32) -> String {
    match map.get(&index) {
        Some(n) => format!(" ${n}"),
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

fn val_type(t: ValType) -> &'static str {
    match t {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::Ref(r) => ref_type(r),
    }
}

fn ref_type(r: RefType) -> &'static str {
    match (r.heap, r.nullable) {
        (HeapType::Func, true) => "funcref",
        (HeapType::Extern, true) => "externref",
        (HeapType::Exn, true) => "exnref",
        (HeapType::Func, false) => "(ref func)",
        (HeapType::Extern, false) => "(ref extern)",
        (HeapType::Exn, false) => "(ref exn)",
    }
}

fn heap_type(h: HeapType) -> &'static str {
    match h {
        HeapType::Func => "func",
        HeapType::Extern => "extern",
        HeapType::Exn => "exn",
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
            _ => String::new(),
        };
        self.line(0, &format!("(module{name}"))?;
        for (i, ty) in m.types.iter().enumerate() {
            let i = i as u32;
            let text = format!(
                "(type{} (func{}))",
                def_id(&self.ids.types, i),
                signature(ty, None)
            );
            self.line(1, &text)?;
        }
        let mut counts = [0u32; 5];
        for imp in &m.imports {
            let desc = match imp.desc {
                ImportDesc::Func(ty) => {
                    let i = counts[0];
                    counts[0] += 1;
                    format!(
                        "(func{} {})",
                        def_id(&self.ids.funcs, i),
                        self.type_use(ty, i)
                    )
                }
                ImportDesc::Table(t) => {
                    let i = counts[1];
                    counts[1] += 1;
                    format!(
                        "(table{} {} {})",
                        def_id(&self.ids.tables, i),
                        limits(&t.limits, t.table64),
                        ref_type(t.element)
                    )
                }
                ImportDesc::Memory(t) => {
                    let i = counts[2];
                    counts[2] += 1;
                    format!(
                        "(memory{} {})",
                        def_id(&self.ids.memories, i),
                        limits(&t.limits, t.memory64)
                    )
                }
                ImportDesc::Global(g) => {
                    let i = counts[3];
                    counts[3] += 1;
                    format!(
                        "(global{} {})",
                        def_id(&self.ids.globals, i),
                        global_type(&g)
                    )
                }
                ImportDesc::Tag(ty) => {
                    let i = counts[4];
                    counts[4] += 1;
                    format!(
                        "(tag{} {})",
                        def_id(&self.ids.tags, i),
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
            let text = format!(
                "(table{} {} {})",
                def_id(&self.ids.tables, i as u32),
                limits(&t.limits, t.table64),
                ref_type(t.element)
            );
            self.line(1, &text)?;
        }
        for (i, t) in m.memories.iter().enumerate().skip(n.memories as usize) {
            let text = format!(
                "(memory{} {})",
                def_id(&self.ids.memories, i as u32),
                limits(&t.limits, t.memory64)
            );
            self.line(1, &text)?;
        }
        for (i, &ty) in m.tags.iter().enumerate().skip(n.tags as usize) {
            let i = i as u32;
            let text = format!(
                "(tag{} {})",
                def_id(&self.ids.tags, i),
                self.tag_type(ty, i)
            );
            self.line(1, &text)?;
        }
        for (k, init) in m.global_inits.iter().enumerate() {
            let i = n.globals + k as u32;
            let g = m.globals[i as usize];
            let text = format!(
                "(global{} {} {})",
                def_id(&self.ids.globals, i),
                global_type(&g),
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
            let mut text = format!("(data{}", def_id(&self.ids.datas, i as u32));
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
        if let Some(t) = self.m.types.get(ty as usize) {
            s.push_str(&signature(t, self.ids.locals.get(&func)));
        }
        s
    }

    /// `(type N) (param ...)` for tag `tag` of type `ty`, with the names of
    /// its parameters if it is defined (the encoder, as the `wat` crate,
    /// keeps no parameter names for an imported tag).
    fn tag_type(&self, ty: u32, tag: u32) -> String {
        let mut s = format!("(type {})", index(&self.ids.types, ty));
        let names = if tag < self.m.num_imported.tags {
            None
        } else {
            self.ids.tag_params.get(&tag)
        };
        if let Some(t) = self.m.types.get(ty as usize) {
            s.push_str(&signature(t, names));
        }
        s
    }

    fn elem(
        &self,
        i: u32,
        seg: &nanowasm_binary::module::ElementSegment,
    ) -> Result<String, nanowasm_binary::Error> {
        let mut s = format!("(elem{}", def_id(&self.ids.elems, i));
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
                let _ = write!(s, " {}", ref_type(seg.ty));
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
            def_id(&self.ids.funcs, idx),
            self.type_use(ty, idx)
        );
        let nparams = self
            .m
            .types
            .get(ty as usize)
            .map_or(0, |t| t.params().len() as u32);
        let names = self.ids.locals.get(&idx);
        let mut local = nparams;
        for &(count, t) in &body.locals {
            for _ in 0..count {
                match names.and_then(|n| n.get(&local)) {
                    Some(n) => {
                        let _ = write!(head, " (local ${n} {})", val_type(t));
                    }
                    None => {
                        let _ = write!(head, " (local {})", val_type(t));
                    }
                }
                local += 1;
            }
        }
        self.line(1, &head)?;
        let mut ops = ops(self.m, self.features, body.code.start, body.code.end);
        let mut depth = 2usize;
        let mut blocks = 0u32;
        while !ops.is_empty() {
            let instr = ops.read()?;
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
                let _ = write!(s, " (result {})", val_type(t));
            }
            Imm::RefNull(h) => {
                let _ = write!(s, " {}", heap_type(h));
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
        if let Some(l) = ids.labels.get(&func).and_then(|l| l.get(blocks)) {
            let _ = write!(s, " ${l}");
        }
        *blocks += 1;
        match bt {
            BlockType::Empty => {}
            BlockType::Value(t) => {
                let _ = write!(s, " (result {})", val_type(t));
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

/// Instructions in `m.bytes[start..end]`.
fn ops(m: &Module, features: Features, start: usize, end: usize) -> OperatorReader<'_> {
    let mut r = Reader::new(&m.bytes[..end]);
    // `start` is within the module: the decoder produced the range.
    let _ = r.bytes(start);
    OperatorReader::new(r, features)
}

fn global_type(g: &GlobalType) -> String {
    if g.mutable {
        format!("(mut {})", val_type(g.content))
    } else {
        val_type(g.content).to_owned()
    }
}

/// ` (param ...) (result ...)`, with parameter names where given.
fn signature(ty: &FuncType, names: Option<&BTreeMap<u32, String>>) -> String {
    let mut s = String::new();
    let mut unnamed = Vec::new();
    let flush = |s: &mut String, unnamed: &mut Vec<&str>| {
        if !unnamed.is_empty() {
            let _ = write!(s, " (param {})", unnamed.join(" "));
            unnamed.clear();
        }
    };
    for (i, &t) in ty.params().iter().enumerate() {
        match names.and_then(|n| n.get(&(i as u32))) {
            Some(n) => {
                flush(&mut s, &mut unnamed);
                let _ = write!(s, " (param ${n} {})", val_type(t));
            }
            None => unnamed.push(val_type(t)),
        }
    }
    flush(&mut s, &mut unnamed);
    if !ty.results().is_empty() {
        let r: Vec<&str> = ty.results().iter().map(|&t| val_type(t)).collect();
        let _ = write!(s, " (result {})", r.join(" "));
    }
    s
}
