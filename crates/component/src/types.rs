//! The type section (7) and the core type section (3): component types,
//! defined value types, function, component, instance and resource types,
//! core function and module types.

use nanowasm_binary::module::ImportDesc;
use nanowasm_binary::reader::Reader;
use nanowasm_binary::{Error, Features, Result};
use nanowasm_core::{GlobalType, MemoryType, TableType, ValType};

use crate::ast::*;
use crate::decode::{alias, extern_name, import, leading, string, type_ref, vec_of, MAX_NESTING};

fn prim(b: u8) -> Option<Primitive> {
    Some(match b {
        0x7f => Primitive::Bool,
        0x7e => Primitive::S8,
        0x7d => Primitive::U8,
        0x7c => Primitive::S16,
        0x7b => Primitive::U16,
        0x7a => Primitive::S32,
        0x79 => Primitive::U32,
        0x78 => Primitive::S64,
        0x77 => Primitive::U64,
        0x76 => Primitive::F32,
        0x75 => Primitive::F64,
        0x74 => Primitive::Char,
        0x73 => Primitive::String,
        _ => return None,
    })
}

/// A `valtype`: a primitive (one negative s33 byte) or a type index.
pub(crate) fn value_type(r: &mut Reader<'_>) -> Result<ValueType> {
    let at = r.offset();
    let b = r
        .peek()
        .ok_or_else(|| Error::malformed("unexpected end", at))?;
    if let Some(p) = prim(b) {
        r.u8()?;
        return Ok(ValueType::Primitive(p));
    }
    if b == 0x64 {
        return Err(Error::unsupported(
            "`error-context` requires the component model async feature",
            at,
        ));
    }
    let v = r.s33()?;
    match u32::try_from(v) {
        Ok(i) => Ok(ValueType::Type(i)),
        Err(_) => Err(leading(b, "component value type", at)),
    }
}

fn opt_value_type(r: &mut Reader<'_>) -> Result<Option<ValueType>> {
    let at = r.offset();
    match r.u8()? {
        0x00 => Ok(None),
        0x01 => Ok(Some(value_type(r)?)),
        b => Err(leading(b, "optional component value type", at)),
    }
}

fn defined(r: &mut Reader<'_>, b: u8, at: usize) -> Result<DefinedType> {
    Ok(match b {
        0x72 => DefinedType::Record(vec_of(r, |r| Ok((string(r)?, value_type(r)?)))?),
        0x71 => DefinedType::Variant(vec_of(r, |r| {
            let name = string(r)?;
            let ty = opt_value_type(r)?;
            let z = r.offset();
            match r.u8()? {
                0x00 => {}
                b => return Err(leading(b, "zero byte required", z)),
            }
            Ok(Case { name, ty })
        })?),
        0x70 => DefinedType::List(value_type(r)?),
        0x6f => DefinedType::Tuple(vec_of(r, value_type)?),
        0x6e => DefinedType::Flags(vec_of(r, string)?),
        0x6d => DefinedType::Enum(vec_of(r, string)?),
        0x6b => DefinedType::Option(value_type(r)?),
        0x6a => DefinedType::Result {
            ok: opt_value_type(r)?,
            err: opt_value_type(r)?,
        },
        0x69 => DefinedType::Own(r.u32()?),
        0x68 => DefinedType::Borrow(r.u32()?),
        0x63 => DefinedType::Map(value_type(r)?, value_type(r)?),
        0x67 => DefinedType::FixedList(value_type(r)?, r.u32()?),
        0x66 => DefinedType::Stream(opt_value_type(r)?),
        0x65 => DefinedType::Future(opt_value_type(r)?),
        b => return Err(leading(b, "component defined type", at)),
    })
}

/// A component type definition (`deftype`), `depth` levels inside
/// component or instance types.
pub(crate) fn ty(r: &mut Reader<'_>, depth: u32) -> Result<Type> {
    let offset = r.offset();
    let b = r.u8()?;
    Ok(match b {
        0x3f => {
            let rep = r.val_type(Features::front_end())?;
            let at = r.offset();
            let dtor = match r.u8()? {
                0x00 => None,
                0x01 => Some(r.u32()?),
                b => return Err(leading(b, "resource destructor", at)),
            };
            Type::Resource { offset, rep, dtor }
        }
        0x40 | 0x43 => {
            let params = vec_of(r, |r| Ok((string(r)?, value_type(r)?)))?;
            let at = r.offset();
            let result = match r.u8()? {
                0x00 => Some(value_type(r)?),
                0x01 => {
                    let z = r.offset();
                    match r.u8()? {
                        0x00 => None,
                        b => return Err(leading(b, "number of results", z)),
                    }
                }
                b => return Err(leading(b, "component function results", at)),
            };
            Type::Func {
                offset,
                ty: FuncType {
                    is_async: b == 0x43,
                    params,
                    result,
                },
            }
        }
        0x41 | 0x42 => {
            if depth >= MAX_NESTING {
                return Err(Error::invalid("type nesting is too deep", offset));
            }
            let component = b == 0x41;
            let decls = vec_of(r, |r| decl(r, depth + 1, component))?;
            if component {
                Type::Component { offset, decls }
            } else {
                Type::Instance { offset, decls }
            }
        }
        b => match prim(b) {
            Some(p) => Type::Defined {
                offset,
                ty: DefinedType::Primitive(p),
            },
            None => Type::Defined {
                offset,
                ty: defined(r, b, offset)?,
            },
        },
    })
}

fn decl(r: &mut Reader<'_>, depth: u32, component: bool) -> Result<Decl> {
    let at = r.offset();
    Ok(match r.u8()? {
        0x00 => Decl::CoreType(core_type(r, true)?),
        0x01 => Decl::Type(ty(r, depth)?),
        0x02 => Decl::Alias(alias(r)?),
        0x03 if component => Decl::Import(import(r)?),
        0x04 => {
            let offset = r.offset();
            let name = extern_name(r)?;
            Decl::Export {
                offset,
                name,
                ty: type_ref(r)?,
            }
        }
        b => return Err(leading(b, "component or instance type declaration", at)),
    })
}

/// A core type: a function type (0x60) or, where `module` allows, a module
/// type (0x50).
pub(crate) fn core_type(r: &mut Reader<'_>, module: bool) -> Result<CoreType> {
    let offset = r.offset();
    let f = Features::front_end();
    match r.u8()? {
        0x60 => {
            let params = vec_of(r, |r| r.val_type(f))?;
            let results = vec_of(r, |r| r.val_type(f))?;
            Ok(CoreType::Func {
                offset,
                params,
                results,
            })
        }
        0x50 if module => {
            let decls = vec_of(r, module_decl)?;
            Ok(CoreType::Module { offset, decls })
        }
        // A `sub` (non-final: 0x00 0x50, final: 0x4f) of a function type:
        // the supertypes are read and dropped.
        0x00 | 0x4f if r.peek() == Some(0x50) || r.data().get(offset) == Some(&0x4f) => {
            if r.peek() == Some(0x50) {
                r.u8()?;
            }
            vec_of(r, |r| r.u32())?;
            let at = r.offset();
            match r.u8()? {
                0x60 => {}
                0x5e | 0x5f => {
                    return Err(Error::unsupported(
                        "core GC types (struct, array) in components are not supported",
                        at,
                    ))
                }
                b => return Err(leading(b, "core sub type", at)),
            }
            let params = vec_of(r, |r| r.val_type(f))?;
            let results = vec_of(r, |r| r.val_type(f))?;
            Ok(CoreType::Func {
                offset,
                params,
                results,
            })
        }
        0x00 => {
            let at = r.offset();
            let b = r.u8()?;
            Err(leading(b, "non-final sub type", at))
        }
        0x4e | 0x50 | 0x5e | 0x5f => Err(Error::unsupported(
            "core GC types (rec groups, struct, array) in components are not supported",
            offset,
        )),
        b => Err(leading(b, "core type", offset)),
    }
}

fn import_desc(r: &mut Reader<'_>) -> Result<ImportDesc> {
    let f = Features::front_end();
    let at = r.offset();
    Ok(match r.u8()? {
        0x00 => ImportDesc::Func(r.u32()?),
        0x01 => {
            let element = r.ref_type(f)?;
            let (limits, flags) = r.limits(f, false)?;
            ImportDesc::Table(TableType {
                element,
                limits,
                table64: flags & 4 != 0,
            })
        }
        0x02 => {
            let (limits, flags) = r.limits(f, true)?;
            ImportDesc::Memory(MemoryType {
                limits,
                memory64: flags & 4 != 0,
                shared: flags & 2 != 0,
            })
        }
        0x03 => {
            let content: ValType = r.val_type(f)?;
            let m = r.offset();
            let mutable = match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(Error::malformed("malformed mutability", m)),
            };
            ImportDesc::Global(GlobalType { content, mutable })
        }
        0x04 => {
            let z = r.offset();
            match r.u8()? {
                0x00 => {}
                b => return Err(leading(b, "tag attribute", z)),
            }
            ImportDesc::Tag(r.u32()?)
        }
        b => return Err(leading(b, "external kind", at)),
    })
}

fn module_decl(r: &mut Reader<'_>) -> Result<ModuleTypeDecl> {
    let offset = r.offset();
    Ok(match r.u8()? {
        0x00 => {
            let module = string(r)?;
            let name = string(r)?;
            ModuleTypeDecl::Import {
                offset,
                module,
                name,
                desc: import_desc(r)?,
            }
        }
        0x01 => ModuleTypeDecl::Type(core_type(r, false)?),
        0x02 => {
            let k = r.offset();
            match r.u8()? {
                0x10 => {}
                b => return Err(leading(b, "outer alias kind", k)),
            }
            let t = r.offset();
            match r.u8()? {
                0x01 => {}
                b => return Err(leading(b, "outer alias target", t)),
            }
            ModuleTypeDecl::OuterType {
                offset,
                count: r.u32()?,
                index: r.u32()?,
            }
        }
        0x03 => {
            let name = string(r)?;
            ModuleTypeDecl::Export {
                offset,
                name,
                desc: import_desc(r)?,
            }
        }
        b => return Err(leading(b, "type definition", offset)),
    })
}
