//! The section loop and every section but the type section
//! ([`crate::types`]): bytes → [`Component`].

use nanowasm_binary::reader::Reader;
use nanowasm_binary::{Error, Features, Result};

use crate::ast::*;
use crate::types;

/// How deeply components and component/instance types may nest.
pub const MAX_NESTING: u32 = 100;

/// The preamble of a core module: magic, version 1, layer 0.
const CORE_PREAMBLE: [u8; 8] = *b"\0asm\x01\x00\x00\x00";
/// The preamble of a component: magic, version 0x0d, layer 1.
const COMPONENT_PREAMBLE: [u8; 8] = *b"\0asm\x0d\x00\x01\x00";

/// What a binary's preamble says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// A core module (version 1, layer 0).
    Module,
    /// A component (version 0x0d, layer 1).
    Component,
}

/// Reads the 8-byte preamble: a core module, a component, or an error.
pub fn encoding(bytes: &[u8]) -> Result<Encoding> {
    if bytes.len() < 4 || &bytes[..4] != b"\0asm" {
        return Err(Error::malformed(
            "magic header not detected: bad magic number",
            0,
        ));
    }
    if bytes.len() < 8 {
        return Err(Error::malformed("unexpected end", bytes.len()));
    }
    let head: [u8; 8] = [
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ];
    match head {
        CORE_PREAMBLE => Ok(Encoding::Module),
        COMPONENT_PREAMBLE => Ok(Encoding::Component),
        _ => Err(Error::malformed(
            format!(
                "unknown binary version and encoding combination: {:#x} and {:#x}",
                u16::from_le_bytes([bytes[4], bytes[5]]),
                u16::from_le_bytes([bytes[6], bytes[7]])
            ),
            4,
        )),
    }
}

/// Decodes a component binary (nested core modules are decoded and
/// validated; nothing else is validated: see [`crate::validate`]).
pub fn decode(bytes: &[u8]) -> Result<Component> {
    match encoding(bytes)? {
        Encoding::Component => {}
        Encoding::Module => {
            return Err(Error::malformed(
                "expected a component, found a core module",
                4,
            ))
        }
    }
    let mut r = Reader::new(bytes);
    component(&mut r, 0)
}

/// `r` starts at a component preamble and ends where the component does.
fn component(r: &mut Reader<'_>, depth: u32) -> Result<Component> {
    let start = r.offset();
    if depth > MAX_NESTING {
        return Err(Error::invalid("nesting too deep", start));
    }
    let head = r.bytes(8)?;
    match encoding(head) {
        Ok(Encoding::Component) => {}
        Ok(Encoding::Module) => {
            return Err(Error::malformed(
                "expected a component, found a core module",
                start + 4,
            ))
        }
        Err(e) => return Err(Error::malformed(e.message().to_owned(), start + e.offset())),
    }
    let mut sections = Vec::new();
    while !r.is_empty() {
        let id_at = r.offset();
        let id = r.u8()?;
        let size_at = r.offset();
        let size = r.u32()?;
        let mut s = r.sub(size, size_at)?;
        let section = match id {
            0 => {
                let name = s.name()?.to_owned();
                let range = s.offset()..s.data().len();
                s.bytes(s.remaining())?;
                Section::Custom { name, range }
            }
            1 => {
                let from = s.offset();
                let bytes = s.bytes(s.remaining())?;
                let module = nanowasm_binary::decode(bytes, Features::front_end())
                    .map_err(|e| shift(e, from))?;
                Section::CoreModule(Box::new(CoreModule {
                    range: from..from + bytes.len(),
                    module,
                }))
            }
            2 => Section::CoreInstances(vec_of(&mut s, core_instance)?),
            3 => Section::CoreTypes(vec_of(&mut s, |s| types::core_type(s, true))?),
            4 => Section::Component(Box::new(component(&mut s, depth + 1)?)),
            5 => Section::Instances(vec_of(&mut s, instance)?),
            6 => Section::Aliases(vec_of(&mut s, alias)?),
            7 => Section::Types(vec_of(&mut s, |s| types::ty(s, 0))?),
            8 => Section::Canons(vec_of(&mut s, canon)?),
            9 => Section::Start(start_fn(&mut s)?),
            10 => Section::Imports(vec_of(&mut s, import)?),
            11 => Section::Exports(vec_of(&mut s, export)?),
            12 => {
                return Err(Error::unsupported(
                    "support for component model `value`s is not enabled",
                    id_at,
                ))
            }
            _ => {
                return Err(Error::malformed(
                    format!("unknown component section id {id:#x}"),
                    id_at,
                ))
            }
        };
        if !s.is_empty() {
            return Err(Error::malformed(
                "unexpected content in the component section",
                s.offset(),
            ));
        }
        sections.push(section);
    }
    Ok(Component {
        range: start..r.offset(),
        sections,
    })
}

/// Moves a nested core module's error to the outer binary's offsets.
fn shift(e: Error, base: usize) -> Error {
    let msg = match e.detail() {
        Some(d) => format!("{}: {d}", e.message()),
        None => e.message().to_owned(),
    };
    let offset = base + e.offset();
    match e.kind() {
        nanowasm_binary::ErrorKind::Malformed => Error::malformed(msg, offset),
        nanowasm_binary::ErrorKind::Invalid => Error::invalid(msg, offset),
        nanowasm_binary::ErrorKind::Unsupported => Error::unsupported(msg, offset),
    }
}

/// A vector: a count, then that many items.
pub(crate) fn vec_of<'a, T>(
    r: &mut Reader<'a>,
    mut item: impl FnMut(&mut Reader<'a>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = r.count()?;
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        out.push(item(r)?);
    }
    Ok(out)
}

#[cold]
pub(crate) fn leading(byte: u8, desc: &str, offset: usize) -> Error {
    Error::malformed(
        format!("invalid leading byte ({byte:#x}) for {desc}"),
        offset,
    )
}

/// A name, owned.
pub(crate) fn string(r: &mut Reader<'_>) -> Result<String> {
    Ok(r.name()?.to_owned())
}

/// `core:sort` without the 0x00 prefix, as in core export lists.
fn core_sort_byte(byte: u8, offset: usize, desc: &str) -> Result<CoreSort> {
    Ok(match byte {
        0x00 => CoreSort::Func,
        0x01 => CoreSort::Table,
        0x02 => CoreSort::Memory,
        0x03 => CoreSort::Global,
        0x04 => CoreSort::Tag,
        0x10 => CoreSort::Type,
        0x11 => CoreSort::Module,
        0x12 => CoreSort::Instance,
        b => return Err(leading(b, desc, offset)),
    })
}

/// A core export kind (func, table, memory, global, tag).
fn core_extern_kind(r: &mut Reader<'_>) -> Result<CoreSort> {
    let at = r.offset();
    let b = r.u8()?;
    match core_sort_byte(b, at, "external kind")? {
        s @ (CoreSort::Func
        | CoreSort::Table
        | CoreSort::Memory
        | CoreSort::Global
        | CoreSort::Tag) => Ok(s),
        _ => Err(leading(b, "external kind", at)),
    }
}

/// A component `sort` as allowed in exports, instantiation arguments and
/// instance-export aliases: the component sorts and `core module`.
pub(crate) fn extern_sort(r: &mut Reader<'_>) -> Result<Sort> {
    let at = r.offset();
    let b = r.u8()?;
    sort_from(r, b, at)
}

fn sort_from(r: &mut Reader<'_>, b: u8, at: usize) -> Result<Sort> {
    Ok(match b {
        0x00 => {
            let at2 = r.offset();
            match r.u8()? {
                0x11 => Sort::Core(CoreSort::Module),
                b2 => return Err(leading(b2, "component external kind", at2)),
            }
        }
        0x01 => Sort::Func,
        0x02 => Sort::Value,
        0x03 => Sort::Type,
        0x04 => Sort::Component,
        0x05 => Sort::Instance,
        b => return Err(leading(b, "component external kind", at)),
    })
}

fn core_instance(r: &mut Reader<'_>) -> Result<CoreInstance> {
    let offset = r.offset();
    match r.u8()? {
        0x00 => {
            let module = r.u32()?;
            let args = vec_of(r, |r| {
                let name = string(r)?;
                let at = r.offset();
                match r.u8()? {
                    0x12 => {}
                    b => return Err(leading(b, "instantiation arg kind", at)),
                }
                Ok((name, r.u32()?))
            })?;
            Ok(CoreInstance::Instantiate {
                offset,
                module,
                args,
            })
        }
        0x01 => {
            let exports = vec_of(r, |r| {
                let name = string(r)?;
                let sort = core_extern_kind(r)?;
                Ok((name, sort, r.u32()?))
            })?;
            Ok(CoreInstance::FromExports { offset, exports })
        }
        b => Err(leading(b, "core instance", offset)),
    }
}

fn instance(r: &mut Reader<'_>) -> Result<Instance> {
    let offset = r.offset();
    match r.u8()? {
        0x00 => {
            let component = r.u32()?;
            let args = vec_of(r, |r| {
                let name = string(r)?;
                let sort = extern_sort(r)?;
                Ok((name, sort, r.u32()?))
            })?;
            Ok(Instance::Instantiate {
                offset,
                component,
                args,
            })
        }
        0x01 => {
            let exports = vec_of(r, |r| {
                let name = extern_name(r)?;
                let sort = extern_sort(r)?;
                Ok((name, sort, r.u32()?))
            })?;
            Ok(Instance::FromExports { offset, exports })
        }
        b => Err(leading(b, "instance", offset)),
    }
}

/// An alias (`alias` in `Binary.md`).
pub(crate) fn alias(r: &mut Reader<'_>) -> Result<Alias> {
    let offset = r.offset();
    let b1 = r.u8()?;
    let b2 = if b1 == 0 { Some(r.u8()?) } else { None };
    let target_at = r.offset();
    match r.u8()? {
        0x00 => {
            let sort = match b2 {
                Some(0x11) => Sort::Core(CoreSort::Module),
                Some(b) => return Err(leading(b, "component external kind", offset + 1)),
                None => {
                    let mut dummy = Reader::new(&[]);
                    sort_from(&mut dummy, b1, offset)?
                }
            };
            let instance = r.u32()?;
            let name = string(r)?;
            Ok(Alias::InstanceExport {
                offset,
                sort,
                instance,
                name,
            })
        }
        0x01 => {
            let sort = match b2 {
                Some(b) => match core_sort_byte(b, offset + 1, "external kind")? {
                    s @ (CoreSort::Func
                    | CoreSort::Table
                    | CoreSort::Memory
                    | CoreSort::Global
                    | CoreSort::Tag) => s,
                    _ => return Err(leading(b, "external kind", offset + 1)),
                },
                None => return Err(leading(b1, "core export alias", offset)),
            };
            let instance = r.u32()?;
            let name = string(r)?;
            Ok(Alias::CoreInstanceExport {
                offset,
                sort,
                instance,
                name,
            })
        }
        0x02 => {
            let sort = match (b1, b2) {
                (0, Some(0x10)) => Sort::Core(CoreSort::Type),
                (0, Some(0x11)) => Sort::Core(CoreSort::Module),
                (0, Some(b)) => return Err(leading(b, "component outer alias kind", offset + 1)),
                (0x03, _) => Sort::Type,
                (0x04, _) => Sort::Component,
                (b, _) => return Err(leading(b, "component outer alias kind", offset)),
            };
            let count = r.u32()?;
            let index = r.u32()?;
            Ok(Alias::Outer {
                offset,
                sort,
                count,
                index,
            })
        }
        b => Err(leading(b, "alias", target_at)),
    }
}

fn canon_opts(r: &mut Reader<'_>) -> Result<Vec<CanonOpt>> {
    vec_of(r, |r| {
        let at = r.offset();
        Ok(match r.u8()? {
            0x00 => CanonOpt::Utf8,
            0x01 => CanonOpt::Utf16,
            0x02 => CanonOpt::CompactUtf16,
            0x03 => CanonOpt::Memory(r.u32()?),
            0x04 => CanonOpt::Realloc(r.u32()?),
            0x05 => CanonOpt::PostReturn(r.u32()?),
            0x06 => CanonOpt::Async,
            0x07 => CanonOpt::Callback(r.u32()?),
            0x08 | 0x09 => {
                return Err(Error::unsupported(
                    "canonical option is not supported (core-type and gc are not implemented)",
                    at,
                ))
            }
            b => return Err(leading(b, "canonical option", at)),
        })
    })
}

fn flag(r: &mut Reader<'_>, what: &str) -> Result<bool> {
    let at = r.offset();
    match r.u8()? {
        0x00 => Ok(false),
        0x01 => Ok(true),
        b => Err(leading(b, what, at)),
    }
}

/// The `cancellable` immediate: a boolean byte.
fn cancellable(r: &mut Reader<'_>) -> Result<bool> {
    let at = r.offset();
    match r.u8()? {
        0x00 => Ok(false),
        0x01 => Ok(true),
        b => Err(Error::malformed(
            format!("invalid boolean value 0x{b:x} for `cancellable`"),
            at,
        )),
    }
}

/// The async, thread and error-context built-ins, with their immediates
/// as wasmparser reads them.
fn builtin(r: &mut Reader<'_>, code: u8, offset: usize) -> Result<Builtin> {
    use BuiltinKind::*;
    let mut b = Builtin {
        offset,
        kind: TaskCancel,
        ty: None,
        result: None,
        opts: Vec::new(),
        memory: None,
        flag: false,
        context: None,
        indirect: None,
    };
    b.kind = match code {
        0x24 => BackpressureInc,
        0x25 => BackpressureDec,
        0x09 => {
            let at = r.offset();
            b.result = match r.u8()? {
                0x00 => Some(types::value_type(r)?),
                0x01 => {
                    let z = r.offset();
                    match r.u8()? {
                        0x00 => None,
                        b => return Err(leading(b, "number of results", z)),
                    }
                }
                b => return Err(leading(b, "component function results", at)),
            };
            b.opts = canon_opts(r)?;
            TaskReturn
        }
        0x05 => TaskCancel,
        0x0a | 0x0b => {
            let t = r.val_type(Features::front_end())?;
            b.context = Some((t, r.u32()?));
            if code == 0x0a {
                ContextGet
            } else {
                ContextSet
            }
        }
        0x06 => {
            b.flag = flag(r, "async")?;
            SubtaskCancel
        }
        0x0d => SubtaskDrop,
        0x0e..=0x1b => {
            b.ty = Some(r.u32()?);
            let k = match code {
                0x0e => StreamNew,
                0x0f => StreamRead,
                0x10 => StreamWrite,
                0x11 => StreamCancelRead,
                0x12 => StreamCancelWrite,
                0x13 => StreamDropReadable,
                0x14 => StreamDropWritable,
                0x15 => FutureNew,
                0x16 => FutureRead,
                0x17 => FutureWrite,
                0x18 => FutureCancelRead,
                0x19 => FutureCancelWrite,
                0x1a => FutureDropReadable,
                _ => FutureDropWritable,
            };
            match k {
                StreamRead | StreamWrite | FutureRead | FutureWrite => b.opts = canon_opts(r)?,
                StreamCancelRead | StreamCancelWrite | FutureCancelRead | FutureCancelWrite => {
                    b.flag = flag(r, "async")?
                }
                _ => {}
            }
            k
        }
        0x1c => {
            b.opts = canon_opts(r)?;
            ErrorContextNew
        }
        0x1d => {
            b.opts = canon_opts(r)?;
            ErrorContextDebugMessage
        }
        0x1e => ErrorContextDrop,
        0x1f => WaitableSetNew,
        0x20 | 0x21 => {
            b.flag = cancellable(r)?;
            b.memory = Some(r.u32()?);
            if code == 0x20 {
                WaitableSetWait
            } else {
                WaitableSetPoll
            }
        }
        0x22 => WaitableSetDrop,
        0x23 => WaitableJoin,
        0x26 => ThreadIndex,
        0x27 => {
            let t = r.u32()?;
            b.indirect = Some((t, r.u32()?));
            ThreadNewIndirect
        }
        0x0c => {
            b.flag = cancellable(r)?;
            ThreadYield
        }
        0x28 => ThreadResumeLater,
        0x29..=0x2d => {
            b.flag = cancellable(r)?;
            match code {
                0x29 => ThreadSuspend,
                0x2a => ThreadSuspendThenResume,
                0x2b => ThreadYieldThenResume,
                0x2c => ThreadSuspendThenPromote,
                _ => ThreadYieldThenPromote,
            }
        }
        _ => return Err(leading(code, "canonical function", offset)),
    };
    Ok(b)
}

fn canon(r: &mut Reader<'_>) -> Result<Canon> {
    let offset = r.offset();
    Ok(match r.u8()? {
        0x00 => {
            let at = r.offset();
            match r.u8()? {
                0x00 => {}
                b => return Err(leading(b, "canonical function lift", at)),
            }
            let core_func = r.u32()?;
            let opts = canon_opts(r)?;
            let ty = r.u32()?;
            Canon::Lift {
                offset,
                core_func,
                opts,
                ty,
            }
        }
        0x01 => {
            let at = r.offset();
            match r.u8()? {
                0x00 => {}
                b => return Err(leading(b, "canonical function lower", at)),
            }
            let func = r.u32()?;
            let opts = canon_opts(r)?;
            Canon::Lower { offset, func, opts }
        }
        0x02 => Canon::ResourceNew {
            offset,
            ty: r.u32()?,
        },
        0x03 => Canon::ResourceDrop {
            offset,
            ty: r.u32()?,
        },
        0x04 => Canon::ResourceRep {
            offset,
            ty: r.u32()?,
        },
        b @ (0x05..=0x06 | 0x09..=0x2d) => Canon::Builtin(builtin(r, b, offset)?),
        0x40..=0x42 => {
            return Err(Error::unsupported(
                "canonical function is not supported (shared-everything threads are not \
                 implemented)",
                offset,
            ))
        }
        b => return Err(leading(b, "canonical function", offset)),
    })
}

fn start_fn(r: &mut Reader<'_>) -> Result<Start> {
    let offset = r.offset();
    let func = r.u32()?;
    let args = vec_of(r, |r| r.u32())?;
    let results = r.u32()?;
    Ok(Start {
        offset,
        func,
        args,
        results,
    })
}

/// `importname'` / `exportname'`: a discriminant byte and a string.
pub(crate) fn extern_name(r: &mut Reader<'_>) -> Result<ExternName> {
    let at = r.offset();
    let options = match r.u8()? {
        0x00 | 0x01 => false,
        0x02 => true,
        b => return Err(leading(b, "component name", at)),
    };
    let offset = r.offset();
    let mut n = ExternName {
        offset,
        name: string(r)?,
        implements: None,
        external_id: None,
    };
    if options {
        // `cm-implements` name options (wasmparser's `ComponentNameOpt`).
        for _ in 0..r.count()? {
            let pos = r.offset();
            match r.u8()? {
                0x00 => {
                    if n.implements.replace(string(r)?).is_some() {
                        return Err(Error::invalid("duplicate 'implements' option in name", pos));
                    }
                }
                0x01 => {
                    return Err(Error::unsupported(
                        "the `cm-canon-names` feature (`version-suffix`) is not supported",
                        pos,
                    ))
                }
                0x02 => {
                    if n.external_id.replace(string(r)?).is_some() {
                        return Err(Error::invalid(
                            "duplicate 'external-id' option in name",
                            pos,
                        ));
                    }
                }
                b => return Err(leading(b, "name option", pos)),
            }
        }
    }
    Ok(n)
}

/// An `externdesc`.
pub(crate) fn type_ref(r: &mut Reader<'_>) -> Result<TypeRef> {
    let sort = extern_sort(r)?;
    Ok(match sort {
        Sort::Core(_) => {
            // `extern_sort` only admits `core module`.
            TypeRef::Module(r.u32()?)
        }
        Sort::Func => TypeRef::Func(r.u32()?),
        Sort::Value => TypeRef::Value(types::value_type(r)?),
        Sort::Type => {
            let at = r.offset();
            TypeRef::Type(match r.u8()? {
                0x00 => TypeBound::Eq(r.u32()?),
                0x01 => TypeBound::SubResource,
                b => return Err(leading(b, "type bound", at)),
            })
        }
        Sort::Component => TypeRef::Component(r.u32()?),
        Sort::Instance => TypeRef::Instance(r.u32()?),
    })
}

pub(crate) fn import(r: &mut Reader<'_>) -> Result<Import> {
    let offset = r.offset();
    let name = extern_name(r)?;
    let ty = type_ref(r)?;
    Ok(Import { offset, name, ty })
}

fn export(r: &mut Reader<'_>) -> Result<Export> {
    let offset = r.offset();
    let name = extern_name(r)?;
    let sort = extern_sort(r)?;
    let index = r.u32()?;
    let at = r.offset();
    let ty = match r.u8()? {
        0x00 => None,
        0x01 => Some(type_ref(r)?),
        b => return Err(leading(b, "optional component export type", at)),
    };
    Ok(Export {
        offset,
        name,
        sort,
        index,
        ty,
    })
}
