//! The structural validator: index spaces, counts, names, and the type
//! checks that need only the *kind* of each type (see the crate docs for
//! exactly which rules are checked).

use std::collections::{HashMap, HashSet};

use nanowasm_binary::module::ImportDesc;
use nanowasm_binary::{Error, Result};
use nanowasm_core::ExternKind;

use crate::ast::*;
use crate::names;

/// What is known of a type index: its kind, enough for the kind checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A defined value type (or a primitive).
    Defined,
    Func,
    Component,
    Instance,
    Resource,
    /// Imported with an `eq` bound on an unknown type, or aliased from an
    /// instance export: any kind.
    Unknown,
}

/// What is known of a core type index.
#[derive(Debug, Clone)]
enum CoreKind {
    Func,
    Module(ModuleShape),
}

/// A core module's imports and exports, by name and kind.
#[derive(Debug, Clone, Default)]
struct ModuleShape {
    imports: Vec<(String, String, CoreSort)>,
    exports: HashMap<String, CoreSort>,
}

fn desc_sort(d: &ImportDesc) -> CoreSort {
    match d {
        ImportDesc::Func(_) => CoreSort::Func,
        ImportDesc::Table(_) => CoreSort::Table,
        ImportDesc::Memory(_) => CoreSort::Memory,
        ImportDesc::Global(_) => CoreSort::Global,
        ImportDesc::Tag(_) => CoreSort::Tag,
    }
}

fn extern_sort(k: ExternKind) -> CoreSort {
    match k {
        ExternKind::Func => CoreSort::Func,
        ExternKind::Table => CoreSort::Table,
        ExternKind::Memory => CoreSort::Memory,
        ExternKind::Global => CoreSort::Global,
        _ => CoreSort::Tag,
    }
}

/// One component, component type or instance type being validated.
#[derive(Default)]
struct Scope {
    core_funcs: u32,
    core_tables: u32,
    core_memories: u32,
    core_globals: u32,
    core_tags: u32,
    core_types: Vec<CoreKind>,
    /// Each core module's shape (`None`: unknown).
    core_modules: Vec<Option<ModuleShape>>,
    /// Each core instance's exports (`None`: unknown).
    core_instances: Vec<Option<HashMap<String, CoreSort>>>,
    funcs: u32,
    values: u32,
    types: Vec<Kind>,
    components: u32,
    instances: u32,
    import_names: HashMap<String, String>,
    export_names: HashMap<String, String>,
    /// A component or instance type's declarations (not a component).
    type_scope: bool,
}

impl Scope {
    fn count(&self, sort: Sort) -> u32 {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        match sort {
            Sort::Core(CoreSort::Func) => self.core_funcs,
            Sort::Core(CoreSort::Table) => self.core_tables,
            Sort::Core(CoreSort::Memory) => self.core_memories,
            Sort::Core(CoreSort::Global) => self.core_globals,
            Sort::Core(CoreSort::Tag) => self.core_tags,
            Sort::Core(CoreSort::Type) => n(self.core_types.len()),
            Sort::Core(CoreSort::Module) => n(self.core_modules.len()),
            Sort::Core(CoreSort::Instance) => n(self.core_instances.len()),
            Sort::Func => self.funcs,
            Sort::Value => self.values,
            Sort::Type => n(self.types.len()),
            Sort::Component => self.components,
            Sort::Instance => self.instances,
        }
    }

    fn check(&self, sort: Sort, idx: u32, offset: usize) -> Result<()> {
        if idx < self.count(sort) {
            return Ok(());
        }
        let (what, space) = match sort {
            Sort::Core(CoreSort::Func) => ("core function", "function"),
            Sort::Core(CoreSort::Table) => ("table", "table"),
            Sort::Core(CoreSort::Memory) => ("memory", "memory"),
            Sort::Core(CoreSort::Global) => ("global", "global"),
            Sort::Core(CoreSort::Tag) => ("tag", "tag"),
            Sort::Core(CoreSort::Type) | Sort::Type => ("type", "type"),
            Sort::Core(CoreSort::Module) => ("module", "module"),
            Sort::Core(CoreSort::Instance) => ("core instance", "instance"),
            Sort::Func => ("function", "function"),
            Sort::Value => ("value", "value"),
            Sort::Component => ("component", "component"),
            Sort::Instance => ("instance", "instance"),
        };
        Err(Error::invalid(
            format!("unknown {what} {idx}: {space} index out of bounds"),
            offset,
        ))
    }

    /// Adds one definition of `sort`, checking the implementation limit.
    fn add(&mut self, sort: Sort, offset: usize) -> Result<()> {
        if self.count(sort) >= 1_000_000 {
            return Err(Error::invalid(
                format!("{}s count exceeds limit of 1000000", sort.desc()),
                offset,
            ));
        }
        match sort {
            Sort::Core(CoreSort::Func) => self.core_funcs += 1,
            Sort::Core(CoreSort::Table) => self.core_tables += 1,
            Sort::Core(CoreSort::Memory) => self.core_memories += 1,
            Sort::Core(CoreSort::Global) => self.core_globals += 1,
            Sort::Core(CoreSort::Tag) => self.core_tags += 1,
            Sort::Core(CoreSort::Type) => self.core_types.push(CoreKind::Func),
            Sort::Core(CoreSort::Module) => self.core_modules.push(None),
            Sort::Core(CoreSort::Instance) => self.core_instances.push(None),
            Sort::Func => self.funcs += 1,
            Sort::Value => self.values += 1,
            Sort::Type => self.types.push(Kind::Unknown),
            Sort::Component => self.components += 1,
            Sort::Instance => self.instances += 1,
        }
        Ok(())
    }

    fn type_kind(&self, idx: u32, offset: usize) -> Result<Kind> {
        self.check(Sort::Type, idx, offset)?;
        Ok(self.types[idx as usize])
    }

    fn expect_type(&self, idx: u32, want: Kind, what: &str, offset: usize) -> Result<()> {
        let k = self.type_kind(idx, offset)?;
        if k == want || k == Kind::Unknown {
            Ok(())
        } else {
            Err(Error::invalid(
                format!("type index {idx} is not {what}"),
                offset,
            ))
        }
    }

    fn value_type(&self, ty: ValueType, offset: usize) -> Result<()> {
        match ty {
            ValueType::Primitive(_) => Ok(()),
            ValueType::Type(i) => self.expect_type(i, Kind::Defined, "a defined type", offset),
        }
    }
}

/// Validates a decoded component's index spaces (see the crate docs).
pub fn validate(c: &Component) -> Result<()> {
    let mut stack = vec![Scope::default()];
    component(c, &mut stack)
}

fn top(stack: &mut [Scope]) -> &mut Scope {
    let n = stack.len() - 1;
    &mut stack[n]
}

fn component(c: &Component, stack: &mut Vec<Scope>) -> Result<()> {
    for s in &c.sections {
        match s {
            Section::Custom { .. } => {}
            Section::CoreModule(m) => {
                let shape = ModuleShape {
                    imports: m
                        .module
                        .imports
                        .iter()
                        .map(|i| (i.module.clone(), i.name.clone(), desc_sort(&i.desc)))
                        .collect(),
                    exports: m
                        .module
                        .exports
                        .iter()
                        .map(|e| (e.name.clone(), extern_sort(e.kind)))
                        .collect(),
                };
                let sc = top(stack);
                sc.add(Sort::Core(CoreSort::Module), m.range.start)?;
                *sc.core_modules.last_mut().expect("just added") = Some(shape);
            }
            Section::CoreInstances(v) => {
                for i in v {
                    core_instance(top(stack), i)?;
                }
            }
            Section::CoreTypes(v) => {
                for t in v {
                    core_type(stack, t)?;
                }
            }
            Section::Component(inner) => {
                stack.push(Scope::default());
                let r = component(inner, stack);
                stack.pop();
                r?;
                top(stack).add(Sort::Component, inner.range.start)?;
            }
            Section::Instances(v) => {
                for i in v {
                    instance(top(stack), i)?;
                }
            }
            Section::Aliases(v) => {
                for a in v {
                    alias(stack, a)?;
                }
            }
            Section::Types(v) => {
                for t in v {
                    ty(stack, t)?;
                }
            }
            Section::Canons(v) => {
                for cf in v {
                    canon(top(stack), cf)?;
                }
            }
            Section::Start(st) => {
                let sc = top(stack);
                sc.check(Sort::Func, st.func, st.offset)?;
                for &a in &st.args {
                    sc.check(Sort::Value, a, st.offset)?;
                }
                for _ in 0..st.results {
                    sc.add(Sort::Value, st.offset)?;
                }
            }
            Section::Imports(v) => {
                for i in v {
                    import(top(stack), i)?;
                }
            }
            Section::Exports(v) => {
                for e in v {
                    export(top(stack), e)?;
                }
            }
        }
    }
    Ok(())
}

fn core_instance(sc: &mut Scope, i: &CoreInstance) -> Result<()> {
    let exports = match i {
        CoreInstance::Instantiate {
            offset,
            module,
            args,
        } => {
            sc.check(Sort::Core(CoreSort::Module), *module, *offset)?;
            let mut seen = HashSet::new();
            for (name, inst) in args {
                sc.check(Sort::Core(CoreSort::Instance), *inst, *offset)?;
                if !seen.insert(name.as_str()) {
                    return Err(Error::invalid(
                        format!("duplicate module instantiation argument named `{name}`"),
                        *offset,
                    ));
                }
            }
            let shape = sc.core_modules[*module as usize].clone();
            if let Some(shape) = &shape {
                for (m, n, kind) in &shape.imports {
                    let Some((_, inst)) = args.iter().find(|(a, _)| a == m) else {
                        return Err(Error::invalid(
                            format!("missing module instantiation argument named `{m}`"),
                            *offset,
                        ));
                    };
                    if let Some(Some(exports)) = sc.core_instances.get(*inst as usize) {
                        match exports.get(n) {
                            None => {
                                return Err(Error::invalid(
                                    format!(
                                        "module instantiation argument `{m}` does not export an \
                                         item named `{n}`"
                                    ),
                                    *offset,
                                ))
                            }
                            Some(k) if k != kind => {
                                return Err(Error::invalid(
                                    format!("type mismatch for export `{n}` of module instantiation argument `{m}`"),
                                    *offset,
                                ))
                            }
                            Some(_) => {}
                        }
                    }
                }
            }
            shape.map(|s| s.exports)
        }
        CoreInstance::FromExports { offset, exports } => {
            let mut map = HashMap::new();
            for (name, sort, idx) in exports {
                sc.check(Sort::Core(*sort), *idx, *offset)?;
                if map.insert(name.clone(), *sort).is_some() {
                    return Err(Error::invalid(
                        format!("export name `{name}` already defined"),
                        *offset,
                    ));
                }
            }
            Some(map)
        }
    };
    let offset = match i {
        CoreInstance::Instantiate { offset, .. } | CoreInstance::FromExports { offset, .. } => {
            *offset
        }
    };
    sc.add(Sort::Core(CoreSort::Instance), offset)?;
    *sc.core_instances.last_mut().expect("just added") = exports;
    Ok(())
}

fn core_type(stack: &mut [Scope], t: &CoreType) -> Result<()> {
    let kind = match t {
        CoreType::Func { .. } => CoreKind::Func,
        CoreType::Module { decls, .. } => {
            // A module type is its own scope of core types.
            let mut types: Vec<CoreKind> = Vec::new();
            let mut shape = ModuleShape::default();
            let funcs_of = |idx: u32, types: &Vec<CoreKind>, offset: usize| -> Result<()> {
                match types.get(idx as usize) {
                    Some(CoreKind::Func) => Ok(()),
                    Some(_) => Err(Error::invalid(
                        format!("type index {idx} is not a function type"),
                        offset,
                    )),
                    None => Err(Error::invalid(
                        format!("unknown type {idx}: type index out of bounds"),
                        offset,
                    )),
                }
            };
            for d in decls {
                match d {
                    ModuleTypeDecl::Import {
                        offset,
                        module,
                        name,
                        desc,
                    } => {
                        if let ImportDesc::Func(i) | ImportDesc::Tag(i) = desc {
                            funcs_of(*i, &types, *offset)?;
                        }
                        shape
                            .imports
                            .push((module.clone(), name.clone(), desc_sort(desc)));
                    }
                    ModuleTypeDecl::Type(_) => types.push(CoreKind::Func),
                    ModuleTypeDecl::OuterType {
                        offset,
                        count,
                        index,
                    } => {
                        // count 0 is the module type itself, 1 the enclosing
                        // component (or type) scope, and so on.
                        let k = if *count == 0 {
                            types.get(*index as usize).cloned()
                        } else {
                            let n = stack.len();
                            let depth = *count as usize - 1;
                            if depth >= n {
                                return Err(Error::invalid(
                                    format!("invalid outer alias count of {count}"),
                                    *offset,
                                ));
                            }
                            stack[n - 1 - depth]
                                .core_types
                                .get(*index as usize)
                                .cloned()
                        };
                        match k {
                            Some(CoreKind::Func) => types.push(CoreKind::Func),
                            Some(_) => {
                                return Err(Error::invalid(
                                    "outer type alias of a module type",
                                    *offset,
                                ))
                            }
                            None => {
                                return Err(Error::invalid(
                                    format!("unknown type {index}: type index out of bounds"),
                                    *offset,
                                ))
                            }
                        }
                    }
                    ModuleTypeDecl::Export { offset, name, desc } => {
                        if let ImportDesc::Func(i) | ImportDesc::Tag(i) = desc {
                            funcs_of(*i, &types, *offset)?;
                        }
                        if shape
                            .exports
                            .insert(name.clone(), desc_sort(desc))
                            .is_some()
                        {
                            return Err(Error::invalid(
                                format!("duplicate export name `{name}`"),
                                *offset,
                            ));
                        }
                    }
                }
            }
            CoreKind::Module(shape)
        }
    };
    let offset = match t {
        CoreType::Func { offset, .. } | CoreType::Module { offset, .. } => *offset,
    };
    let sc = top(stack);
    sc.add(Sort::Core(CoreSort::Type), offset)?;
    *sc.core_types.last_mut().expect("just added") = kind;
    Ok(())
}

fn instance(sc: &mut Scope, i: &Instance) -> Result<()> {
    match i {
        Instance::Instantiate {
            offset,
            component,
            args,
        } => {
            sc.check(Sort::Component, *component, *offset)?;
            let mut seen = HashMap::new();
            for (name, sort, idx) in args {
                sc.check(*sort, *idx, *offset)?;
                if let Some(prev) = seen.insert(names::unique_key(name), name) {
                    return Err(Error::invalid(
                        format!(
                            "instantiation argument `{name}` conflicts with previous argument \
                             `{prev}`"
                        ),
                        *offset,
                    ));
                }
            }
            sc.add(Sort::Instance, *offset)
        }
        Instance::FromExports { offset, exports } => {
            let mut seen = HashMap::new();
            for (name, sort, idx) in exports {
                sc.check(*sort, *idx, *offset)?;
                names::check(&name.name, name.offset)?;
                if let Some(prev) = seen.insert(names::unique_key(&name.name), &name.name) {
                    return Err(Error::invalid(
                        format!(
                            "instance export name `{}` conflicts with previous name `{prev}`",
                            name.name
                        ),
                        name.offset,
                    ));
                }
            }
            sc.add(Sort::Instance, *offset)
        }
    }
}

fn alias(stack: &mut [Scope], a: &Alias) -> Result<()> {
    match a {
        Alias::InstanceExport {
            offset,
            sort,
            instance,
            ..
        } => {
            let sc = top(stack);
            sc.check(Sort::Instance, *instance, *offset)?;
            sc.add(*sort, *offset)
        }
        Alias::CoreInstanceExport {
            offset,
            sort,
            instance,
            name,
        } => {
            let sc = top(stack);
            sc.check(Sort::Core(CoreSort::Instance), *instance, *offset)?;
            if let Some(Some(exports)) = sc.core_instances.get(*instance as usize) {
                match exports.get(name) {
                    None => {
                        return Err(Error::invalid(
                            format!("core instance {instance} has no export named `{name}`"),
                            *offset,
                        ))
                    }
                    Some(k) if k != sort => {
                        return Err(Error::invalid(
                            format!(
                                "export `{name}` for core instance {instance} is not a {}",
                                Sort::Core(*sort).desc()
                            ),
                            *offset,
                        ))
                    }
                    Some(_) => {}
                }
            }
            sc.add(Sort::Core(*sort), *offset)
        }
        Alias::Outer {
            offset,
            sort,
            count,
            index,
        } => {
            let n = stack.len();
            if *count as usize >= n {
                return Err(Error::invalid(
                    format!("invalid outer alias count of {count}"),
                    *offset,
                ));
            }
            let outer = &stack[n - 1 - *count as usize];
            outer.check(*sort, *index, *offset)?;
            let core = match sort {
                Sort::Core(CoreSort::Type) => Some(outer.core_types[*index as usize].clone()),
                _ => None,
            };
            let module = match sort {
                Sort::Core(CoreSort::Module) => outer.core_modules[*index as usize].clone(),
                _ => None,
            };
            let kind = match sort {
                Sort::Type => outer.types[*index as usize],
                _ => Kind::Unknown,
            };
            let sc = top(stack);
            sc.add(*sort, *offset)?;
            match sort {
                Sort::Core(CoreSort::Type) => {
                    *sc.core_types.last_mut().expect("just added") = core.unwrap_or(CoreKind::Func)
                }
                Sort::Core(CoreSort::Module) => {
                    *sc.core_modules.last_mut().expect("just added") = module
                }
                Sort::Type => *sc.types.last_mut().expect("just added") = kind,
                _ => {}
            }
            Ok(())
        }
    }
}

fn ty(stack: &mut Vec<Scope>, t: &Type) -> Result<()> {
    let (offset, kind) = match t {
        Type::Defined { offset, ty } => {
            defined(top(stack), ty, *offset)?;
            (*offset, Kind::Defined)
        }
        Type::Func { offset, ty } => {
            let sc = top(stack);
            let mut seen = HashMap::new();
            for (name, p) in &ty.params {
                sc.value_type(*p, *offset)?;
                if !names::is_kebab(name) {
                    return Err(Error::invalid(
                        format!("function parameter name `{name}` is not in kebab case"),
                        *offset,
                    ));
                }
                if let Some(prev) = seen.insert(name.to_ascii_lowercase(), name) {
                    return Err(Error::invalid(
                        format!(
                            "function parameter name `{name}` conflicts with previous parameter \
                             name `{prev}`"
                        ),
                        *offset,
                    ));
                }
            }
            if let Some(r) = ty.result {
                sc.value_type(r, *offset)?;
            }
            (*offset, Kind::Func)
        }
        Type::Component { offset, decls } | Type::Instance { offset, decls } => {
            stack.push(Scope {
                type_scope: true,
                ..Scope::default()
            });
            let r = decls.iter().try_for_each(|d| decl(stack, d));
            stack.pop();
            r?;
            let k = if matches!(t, Type::Component { .. }) {
                Kind::Component
            } else {
                Kind::Instance
            };
            (*offset, k)
        }
        Type::Resource { offset, rep, dtor } => {
            if top(stack).type_scope {
                return Err(Error::invalid(
                    "resources can only be defined within a concrete component",
                    *offset,
                ));
            }
            if *rep != nanowasm_core::ValType::I32 {
                return Err(Error::invalid(
                    "resources can only be represented by `i32`",
                    *offset,
                ));
            }
            if let Some(d) = dtor {
                top(stack).check(Sort::Core(CoreSort::Func), *d, *offset)?;
            }
            (*offset, Kind::Resource)
        }
    };
    let sc = top(stack);
    sc.add(Sort::Type, offset)?;
    *sc.types.last_mut().expect("just added") = kind;
    Ok(())
}

fn defined(sc: &Scope, t: &DefinedType, offset: usize) -> Result<()> {
    let unique = |what: &str, names: &mut dyn Iterator<Item = &String>| -> Result<()> {
        let mut seen = HashMap::new();
        for n in names {
            if !names::is_kebab(n) {
                return Err(Error::invalid(
                    format!("{what} name `{n}` is not in kebab case"),
                    offset,
                ));
            }
            if let Some(prev) = seen.insert(n.to_ascii_lowercase(), n) {
                return Err(Error::invalid(
                    format!("{what} name `{n}` conflicts with previous {what} name `{prev}`"),
                    offset,
                ));
            }
        }
        Ok(())
    };
    match t {
        DefinedType::Primitive(_) => {}
        DefinedType::Record(fields) => {
            if fields.is_empty() {
                return Err(Error::invalid(
                    "record type must have at least one field",
                    offset,
                ));
            }
            unique("record field", &mut fields.iter().map(|f| &f.0))?;
            for (_, f) in fields {
                sc.value_type(*f, offset)?;
            }
        }
        DefinedType::Variant(cases) => {
            if cases.is_empty() {
                return Err(Error::invalid(
                    "variant type must have at least one case",
                    offset,
                ));
            }
            unique("variant case", &mut cases.iter().map(|c| &c.name))?;
            for c in cases {
                if let Some(t) = c.ty {
                    sc.value_type(t, offset)?;
                }
            }
        }
        DefinedType::List(t) | DefinedType::Option(t) => sc.value_type(*t, offset)?,
        DefinedType::Tuple(ts) => {
            if ts.is_empty() {
                return Err(Error::invalid(
                    "tuple type must have at least one type",
                    offset,
                ));
            }
            for t in ts {
                sc.value_type(*t, offset)?;
            }
        }
        DefinedType::Flags(names) => {
            if names.is_empty() {
                return Err(Error::invalid("flags must have at least one entry", offset));
            }
            if names.len() > 32 {
                return Err(Error::invalid("cannot have more than 32 flags", offset));
            }
            unique("flag", &mut names.iter())?;
        }
        DefinedType::Enum(names) => {
            if names.is_empty() {
                return Err(Error::invalid(
                    "enum type must have at least one variant",
                    offset,
                ));
            }
            unique("enum tag", &mut names.iter())?;
        }
        DefinedType::Result { ok, err } => {
            for t in ok.iter().chain(err) {
                sc.value_type(*t, offset)?;
            }
        }
        DefinedType::Own(i) | DefinedType::Borrow(i) => {
            sc.expect_type(*i, Kind::Resource, "a resource type", offset)?
        }
    }
    Ok(())
}

fn decl(stack: &mut Vec<Scope>, d: &Decl) -> Result<()> {
    match d {
        Decl::CoreType(t) => core_type(stack, t),
        Decl::Type(t) => ty(stack, t),
        Decl::Alias(a) => {
            if let Alias::CoreInstanceExport { offset, .. } = a {
                return Err(Error::invalid(
                    "only outer and instance export aliases are allowed in type declarations",
                    *offset,
                ));
            }
            alias(stack, a)
        }
        Decl::Import(i) => import(top(stack), i),
        Decl::Export { offset, name, ty } => {
            let sc = top(stack);
            extern_name(sc, name, false)?;
            type_ref(sc, ty, *offset)?;
            add_ref(sc, ty, *offset)
        }
    }
}

fn extern_name(sc: &mut Scope, name: &ExternName, import: bool) -> Result<()> {
    names::check(&name.name, name.offset)?;
    let map = if import {
        &mut sc.import_names
    } else {
        &mut sc.export_names
    };
    if let Some(prev) = map.insert(names::unique_key(&name.name), name.name.clone()) {
        return Err(Error::invalid(
            format!(
                "{} name `{}` conflicts with previous name `{prev}`",
                if import { "import" } else { "export" },
                name.name
            ),
            name.offset,
        ));
    }
    Ok(())
}

fn type_ref(sc: &Scope, t: &TypeRef, offset: usize) -> Result<()> {
    match *t {
        TypeRef::Module(i) => match sc.core_types.get(i as usize) {
            Some(CoreKind::Module(_)) => Ok(()),
            Some(_) => Err(Error::invalid(
                format!("core type index {i} is not a module type"),
                offset,
            )),
            None => Err(Error::invalid(
                format!("unknown type {i}: type index out of bounds"),
                offset,
            )),
        },
        TypeRef::Func(i) => sc.expect_type(i, Kind::Func, "a function type", offset),
        TypeRef::Value(v) => {
            let _ = v;
            Err(Error::unsupported(
                "support for component model `value`s is not enabled",
                offset,
            ))
        }
        TypeRef::Type(TypeBound::Eq(i)) => sc.check(Sort::Type, i, offset),
        TypeRef::Type(TypeBound::SubResource) => Ok(()),
        TypeRef::Component(i) => sc.expect_type(i, Kind::Component, "a component type", offset),
        TypeRef::Instance(i) => sc.expect_type(i, Kind::Instance, "an instance type", offset),
    }
}

/// Adds the definition an import or export with type `t` introduces.
fn add_ref(sc: &mut Scope, t: &TypeRef, offset: usize) -> Result<()> {
    sc.add(t.sort(), offset)?;
    match *t {
        TypeRef::Module(i) => {
            if let Some(CoreKind::Module(shape)) = sc.core_types.get(i as usize) {
                let shape = shape.clone();
                *sc.core_modules.last_mut().expect("just added") = Some(shape);
            }
        }
        TypeRef::Type(b) => {
            let k = match b {
                TypeBound::Eq(i) => sc.types[i as usize],
                TypeBound::SubResource => Kind::Resource,
            };
            *sc.types.last_mut().expect("just added") = k;
        }
        _ => {}
    }
    Ok(())
}

fn import(sc: &mut Scope, i: &Import) -> Result<()> {
    extern_name(sc, &i.name, true)?;
    type_ref(sc, &i.ty, i.offset)?;
    add_ref(sc, &i.ty, i.offset)
}

fn export(sc: &mut Scope, e: &Export) -> Result<()> {
    extern_name(sc, &e.name, false)?;
    sc.check(e.sort, e.index, e.offset)?;
    if let Some(t) = &e.ty {
        type_ref(sc, t, e.offset)?;
        if t.sort() != e.sort {
            return Err(Error::invalid(
                "export type ascription does not match the exported item's kind",
                e.offset,
            ));
        }
    }
    sc.add(e.sort, e.offset)?;
    let n = sc.count(e.sort) as usize;
    match e.sort {
        Sort::Type => {
            let k = sc.types[e.index as usize];
            sc.types[n - 1] = k;
        }
        Sort::Core(CoreSort::Module) => {
            let m = sc.core_modules[e.index as usize].clone();
            sc.core_modules[n - 1] = m;
        }
        _ => {}
    }
    Ok(())
}

fn canon(sc: &mut Scope, c: &Canon) -> Result<()> {
    let opts = |sc: &Scope, opts: &[CanonOpt], offset: usize| -> Result<()> {
        let mut enc = 0;
        let mut mem = 0;
        let mut realloc = 0;
        let mut post = 0;
        for o in opts {
            match *o {
                CanonOpt::Utf8 | CanonOpt::Utf16 | CanonOpt::CompactUtf16 => enc += 1,
                CanonOpt::Memory(m) => {
                    mem += 1;
                    sc.check(Sort::Core(CoreSort::Memory), m, offset)?;
                }
                CanonOpt::Realloc(f) => {
                    realloc += 1;
                    sc.check(Sort::Core(CoreSort::Func), f, offset)?;
                }
                CanonOpt::PostReturn(f) => {
                    post += 1;
                    sc.check(Sort::Core(CoreSort::Func), f, offset)?;
                }
            }
        }
        if enc > 1 {
            return Err(Error::invalid(
                "canonical encoding option `utf8` conflicts with option `utf16`",
                offset,
            ));
        }
        for (n, what) in [(mem, "memory"), (realloc, "realloc"), (post, "post-return")] {
            if n > 1 {
                return Err(Error::invalid(
                    format!("`{what}` is specified more than once"),
                    offset,
                ));
            }
        }
        Ok(())
    };
    match c {
        Canon::Lift {
            offset,
            core_func,
            opts: o,
            ty,
        } => {
            sc.check(Sort::Core(CoreSort::Func), *core_func, *offset)?;
            opts(sc, o, *offset)?;
            sc.expect_type(*ty, Kind::Func, "a function type", *offset)?;
            sc.add(Sort::Func, *offset)
        }
        Canon::Lower {
            offset,
            func,
            opts: o,
        } => {
            sc.check(Sort::Func, *func, *offset)?;
            opts(sc, o, *offset)?;
            if o.iter().any(|o| matches!(o, CanonOpt::PostReturn(_))) {
                return Err(Error::invalid(
                    "canonical option `post-return` cannot be specified for lowerings",
                    *offset,
                ));
            }
            sc.add(Sort::Core(CoreSort::Func), *offset)
        }
        Canon::ResourceNew { offset, ty }
        | Canon::ResourceDrop { offset, ty }
        | Canon::ResourceRep { offset, ty } => {
            sc.expect_type(*ty, Kind::Resource, "a resource type", *offset)?;
            sc.add(Sort::Core(CoreSort::Func), *offset)
        }
    }
}
