//! Printing component binaries as text (the component model's text format).
//!
//! The printer reads the binary itself (section by section; nested core
//! modules go through the core printer, [`crate::print_bytes`]) and writes
//! one field per line: every definition explicitly (no inline type uses,
//! no inline exports), every reference as a number, and the names of the
//! `component-name` section as `$ids` (or `(@name "...")` annotations when a
//! name is not a valid identifier or is taken), so that parsing the text
//! gives back the same bytes for every component our (and the `wast`
//! crate's) encoder writes.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use nanowasm_binary::{Error, ErrorKind, Features};

use crate::print::string_literal;

type R<T> = Result<T, Error>;

/// Prints a component binary as text. Errors are malformed binaries (with
/// the offset in `bytes`) and what the text encoder cannot write back
/// (`error-context` types, value definitions, core GC types); async
/// function types, the `async`/`callback` options, the async, thread and
/// error-context built-ins and stream and future types print in the
/// encoder's forms.
pub fn print_component(bytes: &[u8]) -> Result<String, Error> {
    let mut p = Printer {
        out: String::new(),
        indent: 0,
    };
    let mut r = Rd { b: bytes, pos: 0 };
    p.component(&mut r, bytes.len(), None)?;
    p.out.push('\n');
    Ok(p.out)
}

/// Whether `bytes` begin with a component's preamble (`\0asm`, version
/// `0x0d`, layer 1) rather than a core module's.
pub fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes.starts_with(b"\0asm") && bytes[4..8] == [0x0d, 0, 1, 0]
}

struct Rd<'a> {
    b: &'a [u8],
    pos: usize,
}

fn eof(at: usize) -> Error {
    Error::malformed("unexpected end of section or function", at)
}

impl<'a> Rd<'a> {
    fn byte(&mut self) -> R<u8> {
        let b = *self.b.get(self.pos).ok_or_else(|| eof(self.pos))?;
        self.pos += 1;
        Ok(b)
    }
    fn peek(&self) -> R<u8> {
        self.b.get(self.pos).copied().ok_or_else(|| eof(self.pos))
    }
    fn u32(&mut self) -> R<u32> {
        let at = self.pos;
        let mut v: u64 = 0;
        for i in 0..5 {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| Error::malformed("integer too large", at));
            }
        }
        Err(Error::malformed("integer representation too long", at))
    }
    fn s64(&mut self) -> R<i64> {
        let at = self.pos;
        let mut v: i64 = 0;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift >= 63 && b & 0x80 != 0 {
                return Err(Error::malformed("integer representation too long", at));
            }
            v |= i64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    v |= -1i64 << shift;
                }
                return Ok(v);
            }
        }
    }
    fn u64(&mut self) -> R<u64> {
        let at = self.pos;
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Error::malformed("integer representation too long", at))
    }
    fn bytes(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| eof(self.pos))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn string(&mut self) -> R<&'a str> {
        let n = self.u32()? as usize;
        let at = self.pos;
        let b = self.bytes(n)?;
        std::str::from_utf8(b).map_err(|_| Error::malformed("malformed UTF-8 encoding", at))
    }
    fn count(&mut self) -> R<u32> {
        let at = self.pos;
        let n = self.u32()?;
        // Every item takes at least a byte.
        if n as usize > self.b.len() - self.pos {
            return Err(Error::malformed(
                "unexpected end of section or function",
                at,
            ));
        }
        Ok(n)
    }
}

/// The index spaces, in the order of `Ns` of the parser.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Sp {
    CoreFunc,
    CoreTable,
    CoreMemory,
    CoreGlobal,
    CoreTag,
    CoreType,
    CoreModule,
    CoreInstance,
    Func,
    Value,
    Type,
    Component,
    Instance,
}

impl Sp {
    /// The text of a reference's kind: `func`, `core module`, ...
    fn kw(self) -> &'static str {
        match self {
            Sp::CoreFunc => "core func",
            Sp::CoreTable => "core table",
            Sp::CoreMemory => "core memory",
            Sp::CoreGlobal => "core global",
            Sp::CoreTag => "core tag",
            Sp::CoreType => "core type",
            Sp::CoreModule => "core module",
            Sp::CoreInstance => "core instance",
            Sp::Func => "func",
            Sp::Value => "value",
            Sp::Type => "type",
            Sp::Component => "component",
            Sp::Instance => "instance",
        }
    }
    /// The keyword of a core export kind (`func`, `table`, ...).
    fn core_kw(self) -> &'static str {
        self.kw().trim_start_matches("core ")
    }
}

fn core_sort(b: u8, at: usize) -> R<Sp> {
    Ok(match b {
        0 => Sp::CoreFunc,
        1 => Sp::CoreTable,
        2 => Sp::CoreMemory,
        3 => Sp::CoreGlobal,
        4 => Sp::CoreTag,
        0x10 => Sp::CoreType,
        0x11 => Sp::CoreModule,
        0x12 => Sp::CoreInstance,
        _ => return Err(Error::malformed(format!("invalid core sort 0x{b:x}"), at)),
    })
}

fn sort(r: &mut Rd<'_>) -> R<Sp> {
    let at = r.pos;
    Ok(match r.byte()? {
        0 => {
            let at = r.pos;
            core_sort(r.byte()?, at)?
        }
        1 => Sp::Func,
        2 => Sp::Value,
        3 => Sp::Type,
        4 => Sp::Component,
        5 => Sp::Instance,
        b => return Err(Error::malformed(format!("invalid sort 0x{b:x}"), at)),
    })
}

/// The names of one component (from its `component-name` section) and how
/// many definitions each space has so far.
#[derive(Default)]
struct Names {
    name: Option<String>,
    names: HashMap<(Sp, u32), String>,
    counts: HashMap<Sp, u32>,
    used: HashSet<(Sp, String)>,
}

fn is_idchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-./:<=>?@\\^_`|~".contains(c)
}

impl Names {
    /// The next definition of `sp`: its `$id` or `(@name ...)` text, with a
    /// leading space, or nothing.
    fn define(&mut self, sp: Sp) -> String {
        let n = self.counts.entry(sp).or_insert(0);
        let i = *n;
        *n += 1;
        let Some(name) = self.names.get(&(sp, i)).cloned() else {
            return String::new();
        };
        label(&name, self.used.insert((sp, name.clone())))
    }
}

/// ` $name`, or ` (@name "...")` for a name that is no identifier or is
/// taken (`fresh` false).
fn label(name: &str, fresh: bool) -> String {
    if fresh && !name.is_empty() && name.chars().all(is_idchar) {
        format!(" ${name}")
    } else {
        format!(" (@name {})", string_literal(name.as_bytes()))
    }
}

/// Reads a `component-name` section.
fn read_names(payload: &[u8], names: &mut Names) -> R<()> {
    let mut r = Rd { b: payload, pos: 0 };
    while r.pos < payload.len() {
        let id = r.byte()?;
        let len = r.u32()? as usize;
        let body = r.bytes(len)?;
        let mut s = Rd { b: body, pos: 0 };
        match id {
            0 => names.name = Some(s.string()?.to_string()),
            1 => {
                let sp = sort(&mut s)?;
                let n = s.count()?;
                for _ in 0..n {
                    let i = s.u32()?;
                    let name = s.string()?;
                    names.names.insert((sp, i), name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(())
}

struct Printer {
    out: String,
    indent: usize,
}

/// How deep components and component or instance types may nest in a
/// printed binary (as the component decoder's `MAX_NESTING`): deeper is
/// an error rather than a deep recursion.
const MAX_NESTING: usize = 100;

fn prim(b: u8) -> Option<&'static str> {
    Some(match b {
        0x7f => "bool",
        0x7e => "s8",
        0x7d => "u8",
        0x7c => "s16",
        0x7b => "u16",
        0x7a => "s32",
        0x79 => "u32",
        0x78 => "s64",
        0x77 => "u64",
        0x76 => "f32",
        0x75 => "f64",
        0x74 => "char",
        0x73 => "string",
        _ => return None,
    })
}

/// The text name of an async, thread or error-context built-in (the
/// encoder's `builtin_code`, inverted).
fn builtin_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x05 => "task.cancel",
        0x06 => "subtask.cancel",
        0x09 => "task.return",
        0x0a => "context.get",
        0x0b => "context.set",
        0x0c => "thread.yield",
        0x0d => "subtask.drop",
        0x0e => "stream.new",
        0x0f => "stream.read",
        0x10 => "stream.write",
        0x11 => "stream.cancel-read",
        0x12 => "stream.cancel-write",
        0x13 => "stream.drop-readable",
        0x14 => "stream.drop-writable",
        0x15 => "future.new",
        0x16 => "future.read",
        0x17 => "future.write",
        0x18 => "future.cancel-read",
        0x19 => "future.cancel-write",
        0x1a => "future.drop-readable",
        0x1b => "future.drop-writable",
        0x1c => "error-context.new",
        0x1d => "error-context.debug-message",
        0x1e => "error-context.drop",
        0x1f => "waitable-set.new",
        0x20 => "waitable-set.wait",
        0x21 => "waitable-set.poll",
        0x22 => "waitable-set.drop",
        0x23 => "waitable.join",
        0x24 => "backpressure.inc",
        0x25 => "backpressure.dec",
        0x26 => "thread.index",
        0x27 => "thread.new-indirect",
        0x28 => "thread.resume-later",
        0x29 => "thread.suspend",
        0x2a => "thread.suspend-then-resume",
        0x2b => "thread.yield-then-resume",
        0x2c => "thread.suspend-then-promote",
        0x2d => "thread.yield-then-promote",
        _ => return None,
    })
}

fn unsupported(what: &str, at: usize) -> Error {
    Error::unsupported(format!("{what} are not supported"), at)
}

fn shift(e: Error, base: usize) -> Error {
    let (m, o) = (e.message().to_string(), e.offset() + base);
    match e.kind() {
        ErrorKind::Invalid => Error::invalid(m, o),
        ErrorKind::Unsupported => Error::unsupported(m, o),
        _ => Error::malformed(m, o),
    }
}

fn q(s: &str) -> String {
    string_literal(s.as_bytes())
}

impl Printer {
    /// Enters a nested component or type.
    fn deeper(&mut self, at: usize) -> R<()> {
        if self.indent >= MAX_NESTING {
            return Err(Error::unsupported(
                format!("nesting too deep: more than {MAX_NESTING} levels"),
                at,
            ));
        }
        Ok(())
    }

    fn nl(&mut self) {
        self.out.push('\n');
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }

    /// A component whose preamble is at `r.pos` and which ends at `end`;
    /// `label` is its name in the enclosing component.
    fn component(&mut self, r: &mut Rd<'_>, end: usize, label_text: Option<String>) -> R<()> {
        let start = r.pos;
        let pre = r.bytes(8)?;
        if !pre.starts_with(b"\0asm") {
            return Err(Error::malformed("magic header not detected", start));
        }
        if pre[4..8] != [0x0d, 0, 1, 0] {
            return Err(Error::malformed(
                "not a component (unknown binary version or layer)",
                start + 4,
            ));
        }
        // The names first.
        let mut names = Names::default();
        let mut scan = Rd { b: r.b, pos: r.pos };
        while scan.pos < end {
            let id = scan.byte()?;
            let len = scan.u32()? as usize;
            let at = scan.pos;
            let body = scan.bytes(len)?;
            if scan.pos > end {
                return Err(eof(at));
            }
            if id == 0 {
                let mut c = Rd { b: body, pos: 0 };
                if c.string()? == "component-name" {
                    // A malformed name section is ignored, as by wasmprinter.
                    let mut n = Names::default();
                    if read_names(&body[c.pos..], &mut n).is_ok() {
                        names = n;
                    }
                }
            }
        }
        self.deeper(start)?;
        self.out.push_str("(component");
        match label_text {
            Some(l) => self.out.push_str(&l),
            None => {
                if let Some(n) = &names.name {
                    self.out.push_str(&label(n, true));
                }
            }
        }
        self.indent += 1;
        while r.pos < end {
            let id_at = r.pos;
            let id = r.byte()?;
            let len = r.u32()? as usize;
            let body_start = r.pos;
            let body_end = body_start + len;
            if body_end > end {
                return Err(eof(body_start));
            }
            let mut s = Rd {
                b: &r.b[..body_end],
                pos: body_start,
            };
            self.section(id, id_at, &mut s, &mut names)?;
            if s.pos != body_end {
                return Err(Error::malformed("section size mismatch", s.pos));
            }
            r.pos = body_end;
        }
        self.indent -= 1;
        self.out.push(')');
        Ok(())
    }

    fn section(&mut self, id: u8, id_at: usize, r: &mut Rd<'_>, names: &mut Names) -> R<()> {
        match id {
            0 => {
                let name = r.string()?;
                let data = r.bytes(r.b.len() - r.pos)?;
                if name != "component-name" {
                    self.nl();
                    let _ = write!(self.out, "(@custom {} {})", q(name), string_literal(data));
                }
            }
            1 => {
                let start = r.pos;
                let bytes = r.bytes(r.b.len() - r.pos)?;
                let text = crate::print_bytes(bytes, Features::front_end())
                    .map_err(|e| shift(e, start))?;
                let def = names.define(Sp::CoreModule);
                let text = text.trim_end();
                let rest = text.strip_prefix("(module").unwrap_or(text);
                // The core printer gives the module its own name (its name
                // section's); the component's name for it is the same when
                // the text format wrote both.
                let rest = if !def.is_empty() && !rest.starts_with(" $") {
                    format!("{def}{rest}")
                } else {
                    rest.to_string()
                };
                self.nl();
                self.out.push_str("(core module");
                let pad: String = "  ".repeat(self.indent);
                for (i, line) in rest.lines().enumerate() {
                    if i > 0 {
                        self.out.push('\n');
                        self.out.push_str(&pad);
                    }
                    self.out.push_str(line);
                }
            }
            2 => {
                for _ in 0..r.count()? {
                    let def = names.define(Sp::CoreInstance);
                    self.nl();
                    let _ = write!(self.out, "(core instance{def}");
                    let at = r.pos;
                    match r.byte()? {
                        0 => {
                            let m = r.u32()?;
                            let _ = write!(self.out, " (instantiate {m}");
                            for _ in 0..r.count()? {
                                let n = r.string()?;
                                let at = r.pos;
                                if r.byte()? != 0x12 {
                                    return Err(Error::malformed(
                                        "invalid instantiation argument kind",
                                        at,
                                    ));
                                }
                                let i = r.u32()?;
                                let _ = write!(self.out, " (with {} (instance {i}))", q(n));
                            }
                            self.out.push(')');
                        }
                        1 => {
                            for _ in 0..r.count()? {
                                let n = r.string()?;
                                let at = r.pos;
                                let k = core_sort(r.byte()?, at)?;
                                let i = r.u32()?;
                                let _ =
                                    write!(self.out, " (export {} ({} {i}))", q(n), k.core_kw());
                            }
                        }
                        b => {
                            return Err(Error::malformed(
                                format!("invalid core instance kind 0x{b:x}"),
                                at,
                            ))
                        }
                    }
                    self.out.push(')');
                }
            }
            3 => {
                for _ in 0..r.count()? {
                    let def = names.define(Sp::CoreType);
                    self.nl();
                    let _ = write!(self.out, "(core type{def} ");
                    self.core_type(r)?;
                    self.out.push(')');
                }
            }
            4 => {
                let def = names.define(Sp::Component);
                let end = r.b.len();
                self.nl();
                self.component(r, end, Some(def))?;
            }
            5 => {
                for _ in 0..r.count()? {
                    let def = names.define(Sp::Instance);
                    self.nl();
                    let _ = write!(self.out, "(instance{def}");
                    let at = r.pos;
                    match r.byte()? {
                        0 => {
                            let c = r.u32()?;
                            let _ = write!(self.out, " (instantiate {c}");
                            for _ in 0..r.count()? {
                                let n = r.string()?;
                                let k = sort(r)?;
                                let i = r.u32()?;
                                let _ = write!(self.out, " (with {} ({} {i}))", q(n), k.kw());
                            }
                            self.out.push(')');
                        }
                        1 => {
                            for _ in 0..r.count()? {
                                let n = self.extern_name(r)?;
                                let k = sort(r)?;
                                let i = r.u32()?;
                                let _ = write!(self.out, " (export {n} ({} {i}))", k.kw());
                            }
                        }
                        b => {
                            return Err(Error::malformed(
                                format!("invalid instance kind 0x{b:x}"),
                                at,
                            ))
                        }
                    }
                    self.out.push(')');
                }
            }
            6 => {
                for _ in 0..r.count()? {
                    self.nl();
                    self.alias(r, Some(names))?;
                }
            }
            7 => {
                for _ in 0..r.count()? {
                    let def = names.define(Sp::Type);
                    self.nl();
                    let _ = write!(self.out, "(type{def} ");
                    self.type_def(r)?;
                    self.out.push(')');
                }
            }
            8 => {
                for _ in 0..r.count()? {
                    self.nl();
                    self.canon(r, names)?;
                }
            }
            9 => {
                let f = r.u32()?;
                self.nl();
                let _ = write!(self.out, "(start {f}");
                for _ in 0..r.count()? {
                    let v = r.u32()?;
                    let _ = write!(self.out, " (value {v})");
                }
                let n = r.u32()?;
                for _ in 0..n {
                    let def = names.define(Sp::Value);
                    let _ = write!(self.out, " (result (value{def}))");
                }
                self.out.push(')');
            }
            10 => {
                for _ in 0..r.count()? {
                    let n = self.extern_name(r)?;
                    self.nl();
                    let _ = write!(self.out, "(import {n} ");
                    self.extern_desc(r, Some(names))?;
                    self.out.push(')');
                }
            }
            11 => {
                for _ in 0..r.count()? {
                    let n = self.extern_name(r)?;
                    let k = sort(r)?;
                    let i = r.u32()?;
                    let def = names.define(k);
                    self.nl();
                    let _ = write!(self.out, "(export{def} {n} ({} {i})", k.kw());
                    let at = r.pos;
                    match r.byte()? {
                        0 => {}
                        1 => {
                            self.out.push(' ');
                            self.extern_desc(r, None)?;
                        }
                        b => {
                            return Err(Error::malformed(
                                format!("invalid optional type 0x{b:x}"),
                                at,
                            ))
                        }
                    }
                    self.out.push(')');
                }
            }
            _ => {
                return Err(Error::malformed(
                    format!("unknown component section id 0x{id:x}"),
                    id_at,
                ))
            }
        }
        Ok(())
    }

    /// An import or export name: `"name"` and its attributes.
    fn extern_name(&mut self, r: &mut Rd<'_>) -> R<String> {
        let at = r.pos;
        match r.byte()? {
            0 | 1 => Ok(q(r.string()?)),
            2 => {
                let mut s = q(r.string()?);
                for _ in 0..r.count()? {
                    let at = r.pos;
                    let k = match r.byte()? {
                        0 => "implements",
                        1 => "version-suffix",
                        2 => "external-id",
                        b => {
                            return Err(Error::malformed(
                                format!("invalid name attribute 0x{b:x}"),
                                at,
                            ))
                        }
                    };
                    let v = r.string()?;
                    let _ = write!(s, " ({k} {})", q(v));
                }
                Ok(s)
            }
            b => Err(Error::malformed(format!("invalid name kind 0x{b:x}"), at)),
        }
    }

    /// An `externdesc`: `(func $name? (type i))`, ...
    fn extern_desc(&mut self, r: &mut Rd<'_>, names: Option<&mut Names>) -> R<()> {
        let at = r.pos;
        let b = r.byte()?;
        let sp = match b {
            0 => {
                let at = r.pos;
                if r.byte()? != 0x11 {
                    return Err(Error::malformed("invalid core module type reference", at));
                }
                Sp::CoreModule
            }
            1 => Sp::Func,
            2 => Sp::Value,
            3 => Sp::Type,
            4 => Sp::Component,
            5 => Sp::Instance,
            _ => {
                return Err(Error::malformed(
                    format!("invalid external kind 0x{b:x}"),
                    at,
                ))
            }
        };
        let def = names.map(|n| n.define(sp)).unwrap_or_default();
        let _ = write!(self.out, "({}{def} ", sp.kw());
        match sp {
            Sp::Value => {
                let v = self.val_type(r)?;
                self.out.push_str(&v);
            }
            Sp::Type => {
                let at = r.pos;
                match r.byte()? {
                    0 => {
                        let i = r.u32()?;
                        let _ = write!(self.out, "(eq {i})");
                    }
                    1 => self.out.push_str("(sub resource)"),
                    b => return Err(Error::malformed(format!("invalid type bound 0x{b:x}"), at)),
                }
            }
            _ => {
                let i = r.u32()?;
                let _ = write!(self.out, "(type {i})");
            }
        }
        self.out.push(')');
        Ok(())
    }

    fn alias(&mut self, r: &mut Rd<'_>, names: Option<&mut Names>) -> R<()> {
        let sp = sort(r)?;
        let at = r.pos;
        let tag = r.byte()?;
        let def = names.map(|n| n.define(sp)).unwrap_or_default();
        match tag {
            0 => {
                let i = r.u32()?;
                let n = r.string()?;
                let _ = write!(self.out, "(alias export {i} {} ({}{def}))", q(n), sp.kw());
            }
            1 => {
                let i = r.u32()?;
                let n = r.string()?;
                let _ = write!(
                    self.out,
                    "(alias core export {i} {} ({}{def}))",
                    q(n),
                    sp.kw()
                );
            }
            2 => {
                let c = r.u32()?;
                let i = r.u32()?;
                let _ = write!(self.out, "(alias outer {c} {i} ({}{def}))", sp.kw());
            }
            b => {
                return Err(Error::malformed(
                    format!("invalid alias target 0x{b:x}"),
                    at,
                ))
            }
        }
        Ok(())
    }

    fn canon(&mut self, r: &mut Rd<'_>, names: &mut Names) -> R<()> {
        let at = r.pos;
        let b = r.byte()?;
        match b {
            0 => {
                let at2 = r.pos;
                if r.byte()? != 0 {
                    return Err(Error::malformed("invalid canonical lift", at2));
                }
                let f = r.u32()?;
                let opts = self.canon_opts(r)?;
                let t = r.u32()?;
                let def = names.define(Sp::Func);
                let _ = write!(self.out, "(canon lift (core func {f}){opts} (func{def} (type {t})))");
            }
            1 => {
                let at2 = r.pos;
                if r.byte()? != 0 {
                    return Err(Error::malformed("invalid canonical lower", at2));
                }
                let f = r.u32()?;
                let opts = self.canon_opts(r)?;
                let def = names.define(Sp::CoreFunc);
                let _ = write!(self.out, "(canon lower (func {f}){opts} (core func{def}))");
            }
            2..=4 => {
                let t = r.u32()?;
                let what = ["resource.new", "resource.drop", "resource.rep"][usize::from(b - 2)];
                let def = names.define(Sp::CoreFunc);
                let _ = write!(self.out, "(canon {what} {t} (core func{def}))");
            }
            0x05 | 0x06 | 0x09..=0x2d => {
                let kw = builtin_name(b).ok_or_else(|| {
                    unsupported(&format!("canonical built-in 0x{b:x} (async, stream, future, thread and error-context built-ins)"), at)
                })?;
                let imm = self.builtin_immediates(r, b)?;
                let def = names.define(Sp::CoreFunc);
                let _ = write!(self.out, "(canon {kw}{imm} (core func{def}))");
            }
            _ => {
                return Err(unsupported(
                    &format!("canonical built-in 0x{b:x} (async, stream, future, thread and error-context built-ins)"),
                    at,
                ))
            }
        }
        Ok(())
    }

    /// The immediates of an async, thread or error-context built-in, as
    /// the text writes them after its name (the encoder's forms).
    fn builtin_immediates(&mut self, r: &mut Rd<'_>, code: u8) -> R<String> {
        let mut s = String::new();
        // `cancellable`: a boolean byte.
        let cancellable = |r: &mut Rd<'_>, s: &mut String| -> R<()> {
            let at = r.pos;
            match r.byte()? {
                0 => Ok(()),
                1 => {
                    s.push_str(" cancellable");
                    Ok(())
                }
                b => Err(Error::malformed(
                    format!("invalid cancellable flag 0x{b:x}"),
                    at,
                )),
            }
        };
        let flag = |r: &mut Rd<'_>, s: &mut String| -> R<()> {
            let at = r.pos;
            match r.byte()? {
                0 => Ok(()),
                1 => {
                    s.push_str(" async");
                    Ok(())
                }
                b => Err(Error::malformed(format!("invalid async flag 0x{b:x}"), at)),
            }
        };
        match code {
            0x09 => {
                if let Some(t) = self.result_type(r)? {
                    let _ = write!(s, " (result {t})");
                }
                s.push_str(&self.canon_opts(r)?);
            }
            0x0a | 0x0b => {
                let at = r.pos;
                let t = match r.byte()? {
                    0x7f => "i32",
                    0x7e => "i64",
                    b => {
                        return Err(Error::malformed(
                            format!("invalid context slot type 0x{b:x}"),
                            at,
                        ))
                    }
                };
                let slot = r.u32()?;
                let _ = write!(s, " {t} {slot}");
            }
            0x06 => flag(r, &mut s)?,
            0x0e..=0x1b => {
                let _ = write!(s, " {}", r.u32()?);
                match code {
                    0x0f | 0x10 | 0x16 | 0x17 => s.push_str(&self.canon_opts(r)?),
                    0x11 | 0x12 | 0x18 | 0x19 => flag(r, &mut s)?,
                    _ => {}
                }
            }
            0x1c | 0x1d => s.push_str(&self.canon_opts(r)?),
            0x20 | 0x21 => {
                cancellable(r, &mut s)?;
                let _ = write!(s, " (memory {})", r.u32()?);
            }
            0x0c | 0x29..=0x2d => cancellable(r, &mut s)?,
            0x27 => {
                let t = r.u32()?;
                let table = r.u32()?;
                let _ = write!(s, " {t} {table}");
            }
            _ => {}
        }
        Ok(s)
    }

    fn canon_opts(&mut self, r: &mut Rd<'_>) -> R<String> {
        let mut s = String::new();
        for _ in 0..r.count()? {
            let at = r.pos;
            match r.byte()? {
                0 => s.push_str(" string-encoding=utf8"),
                1 => s.push_str(" string-encoding=utf16"),
                2 => s.push_str(" string-encoding=latin1+utf16"),
                3 => {
                    let _ = write!(s, " (memory {})", r.u32()?);
                }
                4 => {
                    let _ = write!(s, " (realloc {})", r.u32()?);
                }
                5 => {
                    let _ = write!(s, " (post-return {})", r.u32()?);
                }
                6 => s.push_str(" async"),
                7 => {
                    let _ = write!(s, " (callback {})", r.u32()?);
                }
                b => {
                    return Err(unsupported(
                        &format!("canonical option 0x{b:x} (gc, core-type)"),
                        at,
                    ))
                }
            }
        }
        Ok(s)
    }

    /// A value type: a primitive's name or a type index.
    fn val_type(&mut self, r: &mut Rd<'_>) -> R<String> {
        let at = r.pos;
        let b = r.peek()?;
        if let Some(p) = prim(b) {
            r.pos += 1;
            return Ok(p.to_string());
        }
        let v = r.s64()?;
        u32::try_from(v)
            .map(|i| i.to_string())
            .map_err(|_| Error::malformed(format!("invalid value type 0x{b:x}"), at))
    }

    fn opt_val_type(&mut self, r: &mut Rd<'_>) -> R<Option<String>> {
        let at = r.pos;
        match r.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.val_type(r)?)),
            b => Err(Error::malformed(
                format!("invalid optional value type 0x{b:x}"),
                at,
            )),
        }
    }

    fn type_def(&mut self, r: &mut Rd<'_>) -> R<()> {
        let at = r.pos;
        let b = r.byte()?;
        if let Some(p) = prim(b) {
            self.out.push_str(p);
            return Ok(());
        }
        match b {
            0x72 => {
                self.out.push_str("(record");
                for _ in 0..r.count()? {
                    let n = r.string()?;
                    let t = self.val_type(r)?;
                    let _ = write!(self.out, " (field {} {t})", q(n));
                }
                self.out.push(')');
            }
            0x71 => {
                self.out.push_str("(variant");
                for _ in 0..r.count()? {
                    let n = r.string()?;
                    let t = self.opt_val_type(r)?;
                    let at = r.pos;
                    if r.byte()? != 0 {
                        return Err(unsupported("variant cases with `refines`", at));
                    }
                    match t {
                        Some(t) => {
                            let _ = write!(self.out, " (case {} {t})", q(n));
                        }
                        None => {
                            let _ = write!(self.out, " (case {})", q(n));
                        }
                    }
                }
                self.out.push(')');
            }
            0x70 => {
                let t = self.val_type(r)?;
                let _ = write!(self.out, "(list {t})");
            }
            0x63 => {
                let k = self.val_type(r)?;
                let v = self.val_type(r)?;
                let _ = write!(self.out, "(map {k} {v})");
            }
            0x67 => {
                let t = self.val_type(r)?;
                let n = r.u32()?;
                let _ = write!(self.out, "(list {t} {n})");
            }
            0x6f => {
                self.out.push_str("(tuple");
                for _ in 0..r.count()? {
                    let t = self.val_type(r)?;
                    let _ = write!(self.out, " {t}");
                }
                self.out.push(')');
            }
            0x6e | 0x6d => {
                self.out
                    .push_str(if b == 0x6e { "(flags" } else { "(enum" });
                for _ in 0..r.count()? {
                    let n = r.string()?;
                    let _ = write!(self.out, " {}", q(n));
                }
                self.out.push(')');
            }
            0x6b => {
                let t = self.val_type(r)?;
                let _ = write!(self.out, "(option {t})");
            }
            0x6a => {
                let ok = self.opt_val_type(r)?;
                let err = self.opt_val_type(r)?;
                self.out.push_str("(result");
                if let Some(t) = ok {
                    let _ = write!(self.out, " {t}");
                }
                if let Some(t) = err {
                    let _ = write!(self.out, " (error {t})");
                }
                self.out.push(')');
            }
            0x69 | 0x68 => {
                let i = r.u32()?;
                let _ = write!(
                    self.out,
                    "({} {i})",
                    if b == 0x69 { "own" } else { "borrow" }
                );
            }
            0x40 | 0x43 => {
                self.out
                    .push_str(if b == 0x43 { "(func async" } else { "(func" });
                for _ in 0..r.count()? {
                    let n = r.string()?;
                    let t = self.val_type(r)?;
                    let _ = write!(self.out, " (param {} {t})", q(n));
                }
                if let Some(t) = self.result_type(r)? {
                    let _ = write!(self.out, " (result {t})");
                }
                self.out.push(')');
            }
            0x41 | 0x42 => {
                self.out
                    .push_str(if b == 0x41 { "(component" } else { "(instance" });
                self.indent += 1;
                for _ in 0..r.count()? {
                    self.nl();
                    let at = r.pos;
                    match r.byte()? {
                        0 => {
                            self.out.push_str("(core type ");
                            self.core_type(r)?;
                            self.out.push(')');
                        }
                        1 => {
                            self.out.push_str("(type ");
                            self.type_def(r)?;
                            self.out.push(')');
                        }
                        2 => self.alias(r, None)?,
                        3 if b == 0x41 => {
                            let n = self.extern_name(r)?;
                            let _ = write!(self.out, "(import {n} ");
                            self.extern_desc(r, None)?;
                            self.out.push(')');
                        }
                        4 => {
                            let n = self.extern_name(r)?;
                            let _ = write!(self.out, "(export {n} ");
                            self.extern_desc(r, None)?;
                            self.out.push(')');
                        }
                        d => {
                            return Err(Error::malformed(
                                format!("invalid declaration 0x{d:x}"),
                                at,
                            ))
                        }
                    }
                }
                self.indent -= 1;
                self.out.push(')');
            }
            0x3f => {
                let rep = self.core_val_type(r)?;
                let _ = write!(self.out, "(resource (rep {rep})");
                let at = r.pos;
                match r.byte()? {
                    0 => {}
                    1 => {
                        let f = r.u32()?;
                        let _ = write!(self.out, " (dtor (core func {f}))");
                    }
                    b => return Err(Error::malformed(format!("invalid destructor 0x{b:x}"), at)),
                }
                self.out.push(')');
            }
            0x66 | 0x65 => {
                self.out
                    .push_str(if b == 0x66 { "(stream" } else { "(future" });
                if let Some(t) = self.opt_val_type(r)? {
                    let _ = write!(self.out, " {t}");
                }
                self.out.push(')');
            }
            0x3e | 0x64 => return Err(unsupported("error contexts", at)),
            _ => return Err(Error::malformed(format!("invalid type 0x{b:x}"), at)),
        }
        Ok(())
    }

    /// A function's result list: one unnamed type, or none.
    fn result_type(&mut self, r: &mut Rd<'_>) -> R<Option<String>> {
        let at = r.pos;
        match r.byte()? {
            0 => Ok(Some(self.val_type(r)?)),
            1 => {
                let at = r.pos;
                if r.byte()? != 0 {
                    return Err(unsupported("named function results", at));
                }
                Ok(None)
            }
            b => Err(Error::malformed(
                format!("invalid function result 0x{b:x}"),
                at,
            )),
        }
    }

    fn core_val_type(&mut self, r: &mut Rd<'_>) -> R<String> {
        let at = r.pos;
        let b = r.byte()?;
        Ok(match b {
            0x7f => "i32".into(),
            0x7e => "i64".into(),
            0x7d => "f32".into(),
            0x7c => "f64".into(),
            0x7b => "v128".into(),
            0x63 | 0x64 => {
                let h = self.heap_type(r)?;
                format!("(ref{} {h})", if b == 0x63 { " null" } else { "" })
            }
            0x70 => "funcref".into(),
            0x6f => "externref".into(),
            _ => match abstract_heap(b) {
                Some(h) => format!("(ref null {h})"),
                None => return Err(Error::malformed(format!("invalid value type 0x{b:x}"), at)),
            },
        })
    }

    fn ref_type(&mut self, r: &mut Rd<'_>) -> R<String> {
        let at = r.pos;
        let b = r.peek()?;
        if abstract_heap(b).is_some() || b == 0x63 || b == 0x64 {
            return self.core_val_type(r);
        }
        Err(Error::malformed(
            format!("invalid reference type 0x{b:x}"),
            at,
        ))
    }

    fn heap_type(&mut self, r: &mut Rd<'_>) -> R<String> {
        let at = r.pos;
        let b = r.peek()?;
        if let Some(h) = abstract_heap(b) {
            r.pos += 1;
            return Ok(h.to_string());
        }
        let v = r.s64()?;
        u32::try_from(v)
            .map(|i| i.to_string())
            .map_err(|_| Error::malformed("invalid heap type", at))
    }

    /// A core function or module type.
    fn core_type(&mut self, r: &mut Rd<'_>) -> R<()> {
        let at = r.pos;
        match r.byte()? {
            0x60 => self.core_func_type(r),
            0x50 => {
                self.out.push_str("(module");
                self.indent += 1;
                for _ in 0..r.count()? {
                    self.nl();
                    let at = r.pos;
                    match r.byte()? {
                        0 => {
                            let m = r.string()?;
                            let n = r.string()?;
                            let _ = write!(self.out, "(import {} {} ", q(m), q(n));
                            self.entity(r)?;
                            self.out.push(')');
                        }
                        1 => {
                            self.out.push_str("(type ");
                            let at = r.pos;
                            if r.byte()? != 0x60 {
                                return Err(unsupported(
                                    "core types other than function types",
                                    at,
                                ));
                            }
                            self.core_func_type(r)?;
                            self.out.push(')');
                        }
                        2 => {
                            let at = r.pos;
                            if r.byte()? != 0x10 || r.byte()? != 1 {
                                return Err(Error::malformed("invalid module type alias", at));
                            }
                            let c = r.u32()?;
                            let i = r.u32()?;
                            let _ = write!(self.out, "(alias outer {c} {i} (type))");
                        }
                        3 => {
                            let n = r.string()?;
                            let _ = write!(self.out, "(export {} ", q(n));
                            self.entity(r)?;
                            self.out.push(')');
                        }
                        d => {
                            return Err(Error::malformed(
                                format!("invalid module type declaration 0x{d:x}"),
                                at,
                            ))
                        }
                    }
                }
                self.indent -= 1;
                self.out.push(')');
                Ok(())
            }
            _ => Err(unsupported(
                "core types other than function and module types",
                at,
            )),
        }
    }

    fn core_func_type(&mut self, r: &mut Rd<'_>) -> R<()> {
        self.out.push_str("(func");
        let np = r.count()?;
        if np > 0 {
            self.out.push_str(" (param");
            for _ in 0..np {
                let t = self.core_val_type(r)?;
                let _ = write!(self.out, " {t}");
            }
            self.out.push(')');
        }
        let nr = r.count()?;
        if nr > 0 {
            self.out.push_str(" (result");
            for _ in 0..nr {
                let t = self.core_val_type(r)?;
                let _ = write!(self.out, " {t}");
            }
            self.out.push(')');
        }
        self.out.push(')');
        Ok(())
    }

    /// A core import or export's type in a module type.
    fn entity(&mut self, r: &mut Rd<'_>) -> R<()> {
        let at = r.pos;
        match r.byte()? {
            0 => {
                let i = r.u32()?;
                let _ = write!(self.out, "(func (type {i}))");
            }
            1 => {
                let rt = self.ref_type(r)?;
                let (lim, is64, _) = self.limits(r, false)?;
                let _ = write!(
                    self.out,
                    "(table{}{lim} {rt})",
                    if is64 { " i64" } else { "" }
                );
            }
            2 => {
                let (lim, is64, shared) = self.limits(r, true)?;
                let _ = write!(
                    self.out,
                    "(memory{}{lim}{})",
                    if is64 { " i64" } else { "" },
                    if shared { " shared" } else { "" }
                );
            }
            3 => {
                let t = self.core_val_type(r)?;
                let at = r.pos;
                match r.byte()? {
                    0 => {
                        let _ = write!(self.out, "(global {t})");
                    }
                    1 => {
                        let _ = write!(self.out, "(global (mut {t}))");
                    }
                    b => return Err(Error::malformed(format!("invalid mutability 0x{b:x}"), at)),
                }
            }
            4 => {
                let at = r.pos;
                if r.byte()? != 0 {
                    return Err(Error::malformed("invalid tag attribute", at));
                }
                let i = r.u32()?;
                let _ = write!(self.out, "(tag (type {i}))");
            }
            b => return Err(Error::malformed(format!("invalid import kind 0x{b:x}"), at)),
        }
        Ok(())
    }

    /// Limits: ` min max?`, and whether 64-bit and shared.
    fn limits(&mut self, r: &mut Rd<'_>, memory: bool) -> R<(String, bool, bool)> {
        let at = r.pos;
        let flags = r.byte()?;
        let allowed = if memory { 0x07 } else { 0x05 };
        if flags & !allowed != 0 {
            return Err(unsupported(&format!("limits flags 0x{flags:x}"), at));
        }
        let min = r.u64()?;
        let mut s = format!(" {min}");
        if flags & 1 != 0 {
            let max = r.u64()?;
            let _ = write!(s, " {max}");
        }
        Ok((s, flags & 4 != 0, flags & 2 != 0))
    }
}

fn abstract_heap(b: u8) -> Option<&'static str> {
    Some(match b {
        0x70 => "func",
        0x6f => "extern",
        0x69 => "exn",
        0x74 => "noexn",
        0x73 => "nofunc",
        0x72 => "noextern",
        0x71 => "none",
        0x6e => "any",
        0x6d => "eq",
        0x6c => "i31",
        0x6b => "struct",
        0x6a => "array",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_and_parses_back() {
        let src = r#"(component $c
            (core module $m (func (export "f") (result i32) i32.const 1))
            (core instance $i (instantiate $m))
            (type $t (func (result u32)))
            (func $f (type $t) (canon lift (core func $i "f")))
            (export "f" (func $f)))"#;
        let bytes = crate::parse_wat(src).unwrap();
        let text = print_component(&bytes).unwrap();
        assert!(text.starts_with("(component $c"), "{text}");
        assert_eq!(crate::parse_wat(&text).unwrap(), bytes, "{text}");
    }
}
