//! Subtyping between resolved types: component types by their imports
//! (contravariant) and exports (covariant) with resource substitution,
//! instance types by exports, function types by parameters and result,
//! value types structurally, resources by identity, core types as the core
//! spec's import matching.

use std::collections::HashMap;

use nanowasm_binary::{Error, Result};
use nanowasm_core::{Limits, ValType as CoreValType};

use super::*;

/// Wraps an error with context, as wasmparser's `with_context` does.
/// (`Unsupported` errors pass unchanged: they are not verdicts.)
pub(crate) fn ctx<T>(r: Result<T>, f: impl FnOnce() -> String) -> Result<T> {
    r.map_err(|e| {
        if e.kind() == nanowasm_binary::ErrorKind::Unsupported {
            e
        } else {
            Error::invalid(format!("{}: {}", f(), e.message()), e.offset())
        }
    })
}

fn bail<T>(msg: String, offset: usize) -> Result<T> {
    Err(Error::invalid(msg, offset))
}

fn prim_name(p: Primitive) -> &'static str {
    match p {
        Primitive::Bool => "bool",
        Primitive::S8 => "s8",
        Primitive::U8 => "u8",
        Primitive::S16 => "s16",
        Primitive::U16 => "u16",
        Primitive::S32 => "s32",
        Primitive::U32 => "u32",
        Primitive::S64 => "s64",
        Primitive::U64 => "u64",
        Primitive::F32 => "f32",
        Primitive::F64 => "f64",
        Primitive::Char => "char",
        Primitive::String => "string",
    }
}

pub(crate) fn core_types_str(ts: &[CoreValType]) -> String {
    let v: Vec<String> = ts.iter().map(|t| format!("{t:?}")).collect();
    format!("[{}]", v.join(", "))
}

fn limits_match(a: &Limits, b: &Limits) -> bool {
    a.min >= b.min
        && match (a.max, b.max) {
            (_, None) => true,
            (Some(am), Some(bm)) => am <= bm,
            (None, Some(_)) => false,
        }
}

impl Types {
    /// `a` is a subtype of `b`.
    pub(crate) fn sub_entity(&mut self, a: &Entity, b: &Entity, offset: usize) -> Result<()> {
        self.burn(1, offset)?;
        match (a, b) {
            (Entity::Module(a), Entity::Module(b)) => self.sub_module(*a, *b, offset),
            (Entity::Func(a), Entity::Func(b)) => self.sub_func(*a, *b, offset),
            (Entity::Value(a), Entity::Value(b)) => self.sub_val(*a, *b, offset),
            (Entity::Type { referenced: a, .. }, Entity::Type { referenced: b, .. }) => {
                self.sub_any(*a, *b, offset)
            }
            (Entity::Instance(a), Entity::Instance(b)) => self.sub_instance(*a, *b, offset),
            (Entity::Component(a), Entity::Component(b)) => self.sub_component(*a, *b, offset),
            (a, b) => bail(format!("expected {}, found {}", b.desc(), a.desc()), offset),
        }
    }

    pub(crate) fn sub_component(&mut self, a: TypeId, b: TypeId, offset: usize) -> Result<()> {
        self.burn(self.def_cost(a) + self.def_cost(b), offset)?;
        let b_imports = self.component(b).imports.clone();
        let mut import_map = self.open_instance_type(&b_imports, a, true, offset)?;
        import_map.types.clear();
        let mut a_exports = self.component(a).exports.clone();
        for e in a_exports.values_mut() {
            self.remap_entity(e, &mut import_map);
        }
        self.burn(1, offset)?;
        self.open_instance_type(&a_exports, b, false, offset)?;
        Ok(())
    }

    pub(crate) fn sub_instance(&mut self, a: TypeId, b: TypeId, offset: usize) -> Result<()> {
        self.burn(self.def_cost(b), offset)?;
        let pairs: Vec<(String, Entity, Entity)> = {
            let (ai, bi) = (self.instance(a), self.instance(b));
            let mut v = Vec::with_capacity(bi.exports.len());
            for (k, be) in bi.exports.iter() {
                match ai.exports.get(k) {
                    Some(ae) => v.push((k.to_string(), *ae, *be)),
                    None => return bail(format!("missing expected export `{k}`"), offset),
                }
            }
            v
        };
        for (k, ae, be) in pairs {
            ctx(self.sub_entity(&ae, &be, offset), || {
                format!("type mismatch in instance export `{k}`")
            })?;
        }
        Ok(())
    }

    pub(crate) fn sub_func(&mut self, a: TypeId, b: TypeId, offset: usize) -> Result<()> {
        self.burn(self.def_cost(a) + self.def_cost(b), offset)?;
        let (af, bf) = (self.func(a).clone(), self.func(b).clone());
        if af.is_async != bf.is_async {
            let desc = |a: bool| if a { "async" } else { "sync" };
            return bail(
                format!(
                    "expected {} function, found {} function",
                    desc(af.is_async),
                    desc(bf.is_async)
                ),
                offset,
            );
        }
        if af.params.len() != bf.params.len() {
            return bail(
                format!(
                    "expected {} parameters, found {}",
                    bf.params.len(),
                    af.params.len()
                ),
                offset,
            );
        }
        for ((an, at), (bn, bt)) in af.params.iter().zip(&bf.params) {
            if an != bn {
                return bail(
                    format!("expected parameter named `{bn}`, found `{an}`"),
                    offset,
                );
            }
            ctx(self.sub_val(*at, *bt, offset), || {
                format!("type mismatch in function parameter `{an}`")
            })?;
        }
        match (af.result, bf.result) {
            (Some(a), Some(b)) => ctx(self.sub_val(a, b, offset), || {
                "type mismatch with result type".to_string()
            }),
            (None, None) => Ok(()),
            (Some(_), None) => bail("expected a result, found none".into(), offset),
            (None, Some(_)) => bail("expected no result, found one".into(), offset),
        }
    }

    pub(crate) fn sub_module(&mut self, a: TypeId, b: TypeId, offset: usize) -> Result<()> {
        self.burn(self.def_cost(a) + self.def_cost(b), offset)?;
        let (am, bm) = (self.module(a), self.module(b));
        let b_imports: HashMap<(&str, &str), &CoreEntity> = bm
            .imports
            .iter()
            .map(|(m, n, e)| ((m.as_str(), n.as_str()), e))
            .collect();
        // Every import `a` needs, `b` (its supertype) must promise to supply.
        for (m, n, ae) in &am.imports {
            match b_imports.get(&(m.as_str(), n.as_str())) {
                Some(be) => ctx(self.core_entity(be, ae, offset), || {
                    format!("type mismatch in import `{m}::{n}`")
                })?,
                None => return bail(format!("missing expected import `{m}::{n}`"), offset),
            }
        }
        for (k, be) in bm.exports.iter() {
            match am.exports.get(k) {
                Some(ae) => ctx(self.core_entity(ae, be, offset), || {
                    format!("type mismatch in export `{k}`")
                })?,
                None => return bail(format!("missing expected export `{k}`"), offset),
            }
        }
        Ok(())
    }

    pub(crate) fn sub_any(&mut self, a: AnyTypeId, b: AnyTypeId, offset: usize) -> Result<()> {
        self.burn(1, offset)?;
        match (a, b) {
            (AnyTypeId::Resource(a), AnyTypeId::Resource(b)) => {
                if a.id == b.id {
                    Ok(())
                } else {
                    bail(
                        format!(
                            "resource types are not the same ({:?} vs. {:?})",
                            a.id, b.id
                        ),
                        offset,
                    )
                }
            }
            (AnyTypeId::Defined(a), AnyTypeId::Defined(b)) => self.sub_defined(a, b, offset),
            (AnyTypeId::Func(a), AnyTypeId::Func(b)) => self.sub_func(a, b, offset),
            (AnyTypeId::Instance(a), AnyTypeId::Instance(b)) => self.sub_instance(a, b, offset),
            (AnyTypeId::Component(a), AnyTypeId::Component(b)) => self.sub_component(a, b, offset),
            (a, b) => bail(format!("expected {}, found {}", b.desc(), a.desc()), offset),
        }
    }

    /// Checks that the items `args` supply match the imports (`import`) or
    /// the exports of component type `b`, after binding `b`'s imported (or
    /// defined) resources to those the items supply. Returns the binding.
    pub(crate) fn open_instance_type(
        &mut self,
        args: &NamedMap<Entity>,
        b: TypeId,
        import: bool,
        offset: usize,
    ) -> Result<Remap> {
        self.burn(self.def_cost(b), offset)?;
        let ct = self.component(b);
        let (entities, resources) = if import {
            (ct.imports.clone(), ct.imported_resources.clone())
        } else {
            (ct.exports.clone(), ct.defined_resources.clone())
        };
        let kind = if import { "import" } else { "export" };
        let mut map = Remap::default();
        'outer: for (resource, path) in &resources {
            let Some((name, ty)) = path.first().and_then(|&i| entities.get_index(i)) else {
                continue;
            };
            let mut ty = *ty;
            let mut arg = args.get(name).copied();
            for &i in &path[1..] {
                let Entity::Instance(id) = ty else {
                    continue 'outer;
                };
                let Some((name, next)) = self.instance(id).exports.get_index(i) else {
                    continue 'outer;
                };
                ty = *next;
                arg = match arg {
                    Some(Entity::Instance(a)) => self.instance(a).exports.get(name).copied(),
                    _ => continue 'outer,
                };
            }
            if let Some(Entity::Type {
                created: AnyTypeId::Resource(r),
                ..
            }) = arg
            {
                map.resources.insert(*resource, r.id);
            }
        }
        let mut pairs = Vec::with_capacity(entities.len());
        for (name, expected) in entities.iter() {
            match args.get(name) {
                Some(a) => pairs.push((name.to_string(), *a, *expected)),
                None => return bail(format!("missing {kind} named `{name}`"), offset),
            }
        }
        let mut type_map = HashMap::new();
        for (name, actual, expected) in pairs {
            let mut expected = expected;
            self.remap_entity(&mut expected, &mut map);
            map.types.clear();
            self.burn(1, offset)?;
            ctx(self.sub_entity(&actual, &expected, offset), || {
                format!("type mismatch for {kind} `{name}`")
            })?;
            self.register_renamings(actual, expected, &mut type_map);
        }
        map.types = type_map;
        Ok(map)
    }

    fn register_renamings(
        &self,
        actual: Entity,
        expected: Entity,
        map: &mut HashMap<AnyTypeId, AnyTypeId>,
    ) {
        match (expected, actual) {
            (Entity::Type { created: e, .. }, Entity::Type { created: a, .. }) => {
                map.insert(e, a);
            }
            (Entity::Instance(e), Entity::Instance(a)) => {
                let ai = self.instance(a);
                for (name, ee) in self.instance(e).exports.iter() {
                    if let Some(ae) = ai.exports.get(name) {
                        self.register_renamings(*ae, *ee, map);
                    }
                }
            }
            _ => {}
        }
    }

    /// Core import matching: `a` can be supplied where `b` is expected.
    pub(crate) fn core_entity(&self, a: &CoreEntity, b: &CoreEntity, offset: usize) -> Result<()> {
        match (a, b) {
            (CoreEntity::Func(a), CoreEntity::Func(b))
            | (CoreEntity::Tag(a), CoreEntity::Tag(b)) => {
                let (af, bf) = (self.core_func(*a), self.core_func(*b));
                // Concrete reference types are indices into each module's
                // own type section, not comparable here: such signatures
                // are accepted (core GC subtyping is not checked).
                let concrete = |ts: &[CoreValType]| {
                    ts.iter()
                        .any(|t| matches!(t, CoreValType::Ref(r) if !r.heap().is_abstract()))
                };
                let gc = [&af.params, &af.results, &bf.params, &bf.results]
                    .iter()
                    .any(|ts| concrete(ts));
                if af == bf || gc {
                    Ok(())
                } else {
                    bail(
                        format!(
                            "expected: (func {} -> {})\nfound:    (func {} -> {})",
                            core_types_str(&bf.params),
                            core_types_str(&bf.results),
                            core_types_str(&af.params),
                            core_types_str(&af.results)
                        ),
                        offset,
                    )
                }
            }
            (CoreEntity::Table(a), CoreEntity::Table(b)) => {
                if a.element != b.element {
                    return bail(
                        format!(
                            "expected table element type {:?}, found {:?}",
                            b.element, a.element
                        ),
                        offset,
                    );
                }
                if a.table64 != b.table64 {
                    return bail("mismatch in index type used for tables".into(), offset);
                }
                if limits_match(&a.limits, &b.limits) {
                    Ok(())
                } else {
                    bail("mismatch in table limits".into(), offset)
                }
            }
            (CoreEntity::Memory(a), CoreEntity::Memory(b)) => {
                if a.shared != b.shared {
                    return bail("mismatch in the shared flag for memories".into(), offset);
                }
                if a.memory64 != b.memory64 {
                    return bail("mismatch in index type used for memories".into(), offset);
                }
                if limits_match(&a.limits, &b.limits) {
                    Ok(())
                } else {
                    bail("mismatch in memory limits".into(), offset)
                }
            }
            (CoreEntity::Global(a), CoreEntity::Global(b)) => {
                if a.mutable != b.mutable {
                    return bail("global types differ in mutability".into(), offset);
                }
                if a.content == b.content {
                    Ok(())
                } else {
                    bail(
                        format!(
                            "expected global type {:?}, found {:?}",
                            b.content, a.content
                        ),
                        offset,
                    )
                }
            }
            (a, b) => bail(format!("expected {}, found {}", b.desc(), a.desc()), offset),
        }
    }

    pub(crate) fn sub_val(&mut self, a: ValType, b: ValType, offset: usize) -> Result<()> {
        match (a, b) {
            (ValType::Primitive(a), ValType::Primitive(b)) => prim(a, b, offset),
            (ValType::Defined(a), ValType::Defined(b)) => self.sub_defined(a, b, offset),
            (ValType::Primitive(a), ValType::Defined(b)) => match self.defined(b) {
                DefinedType::Primitive(b) => prim(a, *b, offset),
                b => bail(
                    format!("expected {}, found {}", b.desc(), prim_name(a)),
                    offset,
                ),
            },
            (ValType::Defined(a), ValType::Primitive(b)) => match self.defined(a) {
                DefinedType::Primitive(a) => prim(*a, b, offset),
                a => bail(
                    format!("expected {}, found {}", prim_name(b), a.desc()),
                    offset,
                ),
            },
        }
    }

    fn sub_defined(&mut self, a: TypeId, b: TypeId, offset: usize) -> Result<()> {
        self.burn(self.def_cost(a) + self.def_cost(b), offset)?;
        if self.peel(a) == self.peel(b) {
            return Ok(());
        }
        let (ad, bd) = (self.defined(a).clone(), self.defined(b).clone());
        use DefinedType as D;
        match (&ad, &bd) {
            (D::Primitive(a), D::Primitive(b)) => prim(*a, *b, offset),
            (D::Record(a), D::Record(b)) => {
                if a.len() != b.len() {
                    return bail(
                        format!("expected {} fields, found {}", b.len(), a.len()),
                        offset,
                    );
                }
                for ((an, at), (bn, bt)) in a.iter().zip(b) {
                    if an != bn {
                        return bail(format!("expected field name `{bn}`, found `{an}`"), offset);
                    }
                    ctx(self.sub_val(*at, *bt, offset), || {
                        format!("type mismatch in record field `{an}`")
                    })?;
                }
                Ok(())
            }
            (D::Variant(a), D::Variant(b)) => {
                if a.len() != b.len() {
                    return bail(
                        format!("expected {} cases, found {}", b.len(), a.len()),
                        offset,
                    );
                }
                for ((an, at), (bn, bt)) in a.iter().zip(b) {
                    if an != bn {
                        return bail(format!("expected case named `{bn}`, found `{an}`"), offset);
                    }
                    match (at, bt) {
                        (Some(a), Some(b)) => ctx(self.sub_val(*a, *b, offset), || {
                            format!("type mismatch in variant case `{an}`")
                        })?,
                        (None, None) => {}
                        (None, Some(_)) => {
                            return bail(
                                format!("expected case `{an}` to have a type, found none"),
                                offset,
                            )
                        }
                        (Some(_), None) => {
                            return bail(format!("expected case `{an}` to have no type"), offset)
                        }
                    }
                }
                Ok(())
            }
            (D::List(a), D::List(b)) | (D::Option(a), D::Option(b)) => self.sub_val(*a, *b, offset),
            (D::Stream(a), D::Stream(b)) | (D::Future(a), D::Future(b)) => match (a, b) {
                (Some(a), Some(b)) => self.sub_val(*a, *b, offset),
                (None, None) => Ok(()),
                _ => bail("type mismatch in stream or future payload".into(), offset),
            },
            (D::Map(ak, av), D::Map(bk, bv)) => {
                ctx(self.sub_val(*ak, *bk, offset), || {
                    "type mismatch in map key".into()
                })?;
                ctx(self.sub_val(*av, *bv, offset), || {
                    "type mismatch in map value".into()
                })
            }
            (D::FixedList(a, an), D::FixedList(b, bn)) => {
                if an != bn {
                    return bail(format!("expected list length {bn}, found {an}"), offset);
                }
                self.sub_val(*a, *b, offset)
            }
            (D::Tuple(a), D::Tuple(b)) => {
                if a.len() != b.len() {
                    return bail(
                        format!("expected {} types, found {}", b.len(), a.len()),
                        offset,
                    );
                }
                for (i, (a, b)) in a.iter().zip(b).enumerate() {
                    ctx(self.sub_val(*a, *b, offset), || {
                        format!("type mismatch in tuple field {i}")
                    })?;
                }
                Ok(())
            }
            (D::Flags(a), D::Flags(b)) => {
                if a == b {
                    Ok(())
                } else {
                    bail("mismatch in flags elements".into(), offset)
                }
            }
            (D::Enum(a), D::Enum(b)) => {
                if a == b {
                    Ok(())
                } else {
                    bail("mismatch in enum elements".into(), offset)
                }
            }
            (D::Result { ok: ao, err: ae }, D::Result { ok: bo, err: be }) => {
                match (ao, bo) {
                    (None, None) => {}
                    (Some(a), Some(b)) => ctx(self.sub_val(*a, *b, offset), || {
                        "type mismatch in ok variant".to_string()
                    })?,
                    (None, Some(_)) => {
                        return bail("expected ok type, but found none".into(), offset)
                    }
                    (Some(_), None) => {
                        return bail("expected ok type to not be present".into(), offset)
                    }
                }
                match (ae, be) {
                    (None, None) => Ok(()),
                    (Some(a), Some(b)) => ctx(self.sub_val(*a, *b, offset), || {
                        "type mismatch in err variant".to_string()
                    }),
                    (None, Some(_)) => bail("expected err type, but found none".into(), offset),
                    (Some(_), None) => bail("expected err type to not be present".into(), offset),
                }
            }
            (D::Own(a), D::Own(b)) | (D::Borrow(a), D::Borrow(b)) => {
                if a.id == b.id {
                    Ok(())
                } else {
                    bail("resource types are not the same".into(), offset)
                }
            }
            (a, b) => bail(format!("expected {}, found {}", b.desc(), a.desc()), offset),
        }
    }
}

fn prim(a: Primitive, b: Primitive, offset: usize) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        bail(
            format!(
                "expected primitive `{}` found primitive `{}`",
                prim_name(b),
                prim_name(a)
            ),
            offset,
        )
    }
}
