//! The validator: index spaces, names, and a type checker over resolved
//! types ([`crate::typeck::Types`]), following the component model's
//! `Explainer.md` and wasmparser's `validator/component.rs`.
//!
//! Each component, component type and instance type is a [`Scope`] whose
//! index spaces hold resolved type ids. Imports, exports, instantiation
//! arguments and ascriptions are checked by subtyping, with resources
//! substituted at instantiation; `canon lift`/`lower` by the canonical
//! ABI's flattening; resources by identity (fresh for each definition,
//! each imported `(sub resource)` and each instantiation).

use std::collections::{HashMap, HashSet};

use nanowasm_binary::module::ImportDesc;
use nanowasm_binary::{Error, Result};
use nanowasm_core::{ExternKind, GlobalType, MemoryType, TableType, ValType as CoreValType};

use crate::ast::*;
use crate::names;
use crate::typeck::abi::{Abi, AbiOpts, MAX_FLAT_PARAMS};
use crate::typeck::subtype::{core_types_str, ctx};
use crate::typeck::{
    AnyTypeId, ComponentType, CoreEntity, CoreFuncType, CoreInstanceType, Def, DefinedType, Entity,
    FuncType, Info, InstanceType, ModuleType, NamedMap, ResourceId, ResourceRef, TypeId, Types,
    ValType as Val,
};

const MAX_ITEMS: usize = 1_000_000;

/// The rules of an `implements` name option (`cm-implements`): only on an
/// instance, of a plain name, naming an interface. (`external-id` is any
/// string.) Neither takes part in uniqueness or type checking.
fn implements(name: &ExternName, e: &Entity, offset: usize) -> Result<()> {
    let Some(i) = &name.implements else {
        return Ok(());
    };
    let n = &name.name;
    let bare = !n.starts_with('[');
    if !bare || names::check(n, name.offset)? != names::NameKind::Plain {
        return bail(format!("name `{n}` is not valid with `implements`"), offset);
    }
    if !matches!(e, Entity::Instance(_)) {
        return bail("only instances can have an `implements`", offset);
    }
    match names::check(i, offset) {
        Ok(names::NameKind::Interface) => Ok(()),
        Ok(_) => bail(format!("name `{i}` must be an interface"), offset),
        Err(e) => bail(
            format!("`{i}` is not a valid name: {}", e.message()),
            offset,
        ),
    }
}

fn bail<T>(msg: impl Into<String>, offset: usize) -> Result<T> {
    Err(Error::invalid(msg.into(), offset))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Component,
    ComponentType,
    InstanceType,
}

#[derive(Debug, Clone, Copy)]
enum CoreTypeRef {
    Func(TypeId),
    Module(TypeId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExternDir {
    Import,
    Export,
}

impl ExternDir {
    fn desc(self) -> &'static str {
        match self {
            ExternDir::Import => "import",
            ExternDir::Export => "export",
        }
    }
}

/// Names of the top-level resources of a component, for the
/// `[constructor]R`, `[method]R.m` and `[static]R.m` rules.
#[derive(Default)]
struct ResourceNames {
    by_ref: HashMap<ResourceRef, String>,
    all: HashSet<String>,
}

/// One component, component type or instance type being validated.
struct Scope {
    kind: ScopeKind,
    core_types: Vec<CoreTypeRef>,
    core_funcs: Vec<TypeId>,
    core_tables: Vec<TableType>,
    core_memories: Vec<MemoryType>,
    core_globals: Vec<GlobalType>,
    core_tags: Vec<TypeId>,
    core_modules: Vec<TypeId>,
    core_instances: Vec<TypeId>,
    types: Vec<AnyTypeId>,
    funcs: Vec<TypeId>,
    values: u32,
    components: Vec<TypeId>,
    instances: Vec<TypeId>,
    imports: NamedMap<Entity>,
    exports: NamedMap<Entity>,
    import_names: HashMap<String, String>,
    export_names: HashMap<String, String>,
    imported_resources: Vec<(ResourceId, Vec<usize>)>,
    /// Defined resources, with their representation when it is known
    /// (defined right here).
    defined_resources: Vec<(ResourceId, Option<CoreValType>)>,
    defined_index: HashMap<ResourceId, Option<CoreValType>>,
    exported_types: HashSet<AnyTypeId>,
    imported_types: HashSet<AnyTypeId>,
    export_resources: ResourceNames,
    import_resources: ResourceNames,
    info: Info,
    outer_alias_size: u32,
    has_start: bool,
}

impl Scope {
    fn new(kind: ScopeKind) -> Scope {
        Scope {
            kind,
            core_types: Vec::new(),
            core_funcs: Vec::new(),
            core_tables: Vec::new(),
            core_memories: Vec::new(),
            core_globals: Vec::new(),
            core_tags: Vec::new(),
            core_modules: Vec::new(),
            core_instances: Vec::new(),
            types: Vec::new(),
            funcs: Vec::new(),
            values: 0,
            components: Vec::new(),
            instances: Vec::new(),
            imports: NamedMap::default(),
            exports: NamedMap::default(),
            import_names: HashMap::new(),
            export_names: HashMap::new(),
            imported_resources: Vec::new(),
            defined_resources: Vec::new(),
            defined_index: HashMap::new(),
            exported_types: HashSet::new(),
            imported_types: HashSet::new(),
            export_resources: ResourceNames::default(),
            import_resources: ResourceNames::default(),
            info: Info::new(),
            outer_alias_size: 0,
            has_start: false,
        }
    }

    fn define_resource(&mut self, r: ResourceId, rep: Option<CoreValType>) {
        if self.defined_index.insert(r, rep).is_none() {
            self.defined_resources.push((r, rep));
        }
    }

    fn count(&self, sort: Sort) -> usize {
        match sort {
            Sort::Core(CoreSort::Func) => self.core_funcs.len(),
            Sort::Core(CoreSort::Table) => self.core_tables.len(),
            Sort::Core(CoreSort::Memory) => self.core_memories.len(),
            Sort::Core(CoreSort::Global) => self.core_globals.len(),
            Sort::Core(CoreSort::Tag) => self.core_tags.len(),
            Sort::Core(CoreSort::Type) => self.core_types.len(),
            Sort::Core(CoreSort::Module) => self.core_modules.len(),
            Sort::Core(CoreSort::Instance) => self.core_instances.len(),
            Sort::Func => self.funcs.len(),
            Sort::Value => self.values as usize,
            Sort::Type => self.types.len(),
            Sort::Component => self.components.len(),
            Sort::Instance => self.instances.len(),
        }
    }

    fn check(&self, sort: Sort, idx: u32, offset: usize) -> Result<()> {
        if (idx as usize) < self.count(sort) {
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
        bail(
            format!("unknown {what} {idx}: {space} index out of bounds"),
            offset,
        )
    }

    /// Checks the implementation limit before adding one item of `sort`.
    fn room(&self, sort: Sort, offset: usize) -> Result<()> {
        if self.count(sort) >= MAX_ITEMS {
            return bail(
                format!("{}s count exceeds limit of 1000000", sort.desc()),
                offset,
            );
        }
        Ok(())
    }

    fn any_type(&self, idx: u32, offset: usize) -> Result<AnyTypeId> {
        self.check(Sort::Type, idx, offset)?;
        Ok(self.types[idx as usize])
    }

    fn func_type(&self, idx: u32, offset: usize) -> Result<TypeId> {
        match self.any_type(idx, offset)? {
            AnyTypeId::Func(t) => Ok(t),
            _ => bail(format!("type index {idx} is not a function type"), offset),
        }
    }

    fn resource(&self, idx: u32, offset: usize) -> Result<ResourceRef> {
        match self.any_type(idx, offset)? {
            AnyTypeId::Resource(r) => Ok(r),
            _ => bail(format!("type index {idx} is not a resource type"), offset),
        }
    }

    fn local_resource(&self, idx: u32, offset: usize) -> Result<CoreValType> {
        let r = self.resource(idx, offset)?;
        match self.defined_index.get(&r.id) {
            Some(Some(rep)) => Ok(*rep),
            _ => bail(format!("type {idx} is not a local resource"), offset),
        }
    }

    fn core_func(&self, idx: u32, offset: usize) -> Result<TypeId> {
        self.check(Sort::Core(CoreSort::Func), idx, offset)?;
        Ok(self.core_funcs[idx as usize])
    }

    fn core_entity(&self, sort: CoreSort, idx: u32, offset: usize) -> Result<CoreEntity> {
        self.check(Sort::Core(sort), idx, offset)?;
        let i = idx as usize;
        Ok(match sort {
            CoreSort::Func => CoreEntity::Func(self.core_funcs[i]),
            CoreSort::Table => CoreEntity::Table(self.core_tables[i]),
            CoreSort::Memory => CoreEntity::Memory(self.core_memories[i]),
            CoreSort::Global => CoreEntity::Global(self.core_globals[i]),
            CoreSort::Tag => CoreEntity::Tag(self.core_tags[i]),
            _ => return bail("invalid core export kind", offset),
        })
    }

    fn val_type(&self, t: ValueType, offset: usize) -> Result<Val> {
        match t {
            ValueType::Primitive(p) => Ok(Val::Primitive(p)),
            ValueType::Type(i) => match self.any_type(i, offset)? {
                AnyTypeId::Defined(d) => Ok(Val::Defined(d)),
                _ => bail(format!("type index {i} is not a defined type"), offset),
            },
        }
    }
}

struct Checker {
    types: Types,
    stack: Vec<Scope>,
    core_func_types: HashMap<CoreFuncType, TypeId>,
}

/// Validates a decoded component.
pub fn validate(c: &Component) -> Result<()> {
    validate_with_types(c).map(drop)
}

/// Validates a decoded component and returns its resolved types: the
/// component's type (imports and exports) and the types of its index
/// spaces.
pub fn validate_with_types(c: &Component) -> Result<Types> {
    validate_with_fuel(c, None)
}

/// [`validate_with_types`] with a smaller type-checking budget (tests).
pub(crate) fn validate_with_fuel(c: &Component, fuel: Option<u64>) -> Result<Types> {
    let mut types = Types::default();
    if let Some(f) = fuel {
        types.set_fuel(f);
    }
    let mut cx = Checker {
        types,
        stack: Vec::new(),
        core_func_types: HashMap::new(),
    };
    let (ty, scope) = cx.component(c)?;
    cx.types.root = Some(ty);
    cx.types.spaces = crate::typeck::IndexSpaces {
        funcs: scope.funcs,
        types: scope.types,
        instances: scope.instances,
        components: scope.components,
        core_modules: scope.core_modules,
        core_instances: scope.core_instances,
        core_funcs: scope.core_funcs,
    };
    Ok(cx.types)
}

/// The parts of a plain name that tie it to a resource.
enum ResourceFunc<'a> {
    Constructor(&'a str),
    Method(&'a str),
    Static(&'a str),
}

fn resource_func(name: &str) -> Option<ResourceFunc<'_>> {
    if let Some(r) = name.strip_prefix("[constructor]") {
        return Some(ResourceFunc::Constructor(r));
    }
    if let Some(r) = name.strip_prefix("[method]") {
        return Some(ResourceFunc::Method(r.split('.').next().unwrap_or(r)));
    }
    if let Some(r) = name.strip_prefix("[static]") {
        return Some(ResourceFunc::Static(r.split('.').next().unwrap_or(r)));
    }
    None
}

impl Checker {
    fn top(&mut self) -> &mut Scope {
        self.stack.last_mut().expect("a scope")
    }

    fn top_ref(&self) -> &Scope {
        self.stack.last().expect("a scope")
    }

    fn check_fuel(&mut self, offset: usize) -> Result<()> {
        self.types.burn(0, offset)?;
        self.types.burn(1, offset)
    }

    fn core_func_type(&mut self, params: &[CoreValType], results: &[CoreValType]) -> TypeId {
        let f = CoreFuncType {
            params: params.to_vec(),
            results: results.to_vec(),
        };
        if let Some(&t) = self.core_func_types.get(&f) {
            return t;
        }
        let t = self.types.push(Def::CoreFunc(f.clone()), Info::new());
        self.core_func_types.insert(f, t);
        t
    }

    /// Validates a component; returns its type and final scope.
    fn component(&mut self, c: &Component) -> Result<(TypeId, Scope)> {
        self.stack.push(Scope::new(ScopeKind::Component));
        let r = c.sections.iter().try_for_each(|s| self.section(s));
        let mut scope = self.stack.pop().expect("pushed");
        r?;
        let ty = self.finish(&mut scope, c.range.end.saturating_sub(1).max(c.range.start))?;
        Ok((ty, scope))
    }

    fn section(&mut self, s: &Section) -> Result<()> {
        match s {
            Section::Custom { .. } => Ok(()),
            Section::CoreModule(m) => self.core_module(m),
            Section::CoreInstances(v) => v.iter().try_for_each(|i| self.core_instance(i)),
            Section::CoreTypes(v) => v.iter().try_for_each(|t| self.core_type(t)),
            Section::Component(inner) => {
                let offset = inner.range.start;
                self.top_ref().room(Sort::Component, offset)?;
                let (ty, _) = self.component(inner)?;
                self.top().components.push(ty);
                Ok(())
            }
            Section::Instances(v) => v.iter().try_for_each(|i| self.instance(i)),
            Section::Aliases(v) => v.iter().try_for_each(|a| self.alias(a)),
            Section::Types(v) => v.iter().try_for_each(|t| self.ty(t)),
            Section::Canons(v) => v.iter().try_for_each(|c| self.canon(c)),
            Section::Start(st) => self.start(st),
            Section::Imports(v) => v.iter().try_for_each(|i| self.import(i)),
            Section::Exports(v) => v.iter().try_for_each(|e| self.export(e)),
        }
    }

    // -----------------------------------------------------------------
    // Core definitions.

    fn core_module(&mut self, m: &CoreModule) -> Result<()> {
        let offset = m.range.start;
        self.top_ref().room(Sort::Core(CoreSort::Module), offset)?;
        let module = &m.module;
        let mut mt = ModuleType::default();
        let mut seen = HashSet::new();
        for imp in &module.imports {
            if !seen.insert((imp.module.as_str(), imp.name.as_str())) {
                return bail(
                    format!(
                        "module has a duplicate import name `{}:{}` that is not allowed in \
                         components",
                        imp.module, imp.name
                    ),
                    offset,
                );
            }
            let e = match imp.desc {
                ImportDesc::Func(t) => {
                    let ft = module.types.func(t).cloned();
                    let ft = ft.map(|f| self.core_func_type(f.params(), f.results()));
                    match ft {
                        Some(t) => CoreEntity::Func(t),
                        None => continue,
                    }
                }
                ImportDesc::Tag(t) => {
                    let ft = module.types.func(t).cloned();
                    let ft = ft.map(|f| self.core_func_type(f.params(), f.results()));
                    match ft {
                        Some(t) => CoreEntity::Tag(t),
                        None => continue,
                    }
                }
                ImportDesc::Table(t) => CoreEntity::Table(t),
                ImportDesc::Memory(t) => CoreEntity::Memory(t),
                ImportDesc::Global(t) => CoreEntity::Global(t),
            };
            mt.imports.push((imp.module.clone(), imp.name.clone(), e));
        }
        for ex in &module.exports {
            let i = ex.index as usize;
            let e = match ex.kind {
                ExternKind::Func => {
                    let Some(f) = module.func_type(ex.index).cloned() else {
                        continue;
                    };
                    CoreEntity::Func(self.core_func_type(f.params(), f.results()))
                }
                ExternKind::Table => match module.tables.get(i) {
                    Some(t) => CoreEntity::Table(*t),
                    None => continue,
                },
                ExternKind::Memory => match module.memories.get(i) {
                    Some(t) => CoreEntity::Memory(*t),
                    None => continue,
                },
                ExternKind::Global => match module.globals.get(i) {
                    Some(t) => CoreEntity::Global(*t),
                    None => continue,
                },
                _ => {
                    let Some(f) = module
                        .tags
                        .get(i)
                        .and_then(|&t| module.types.func(t))
                        .cloned()
                    else {
                        continue;
                    };
                    CoreEntity::Tag(self.core_func_type(f.params(), f.results()))
                }
            };
            mt.exports.insert(&ex.name, e);
        }
        let size = (mt.imports.len() + mt.exports.len()).min(u32::MAX as usize) as u32;
        let t = self.types.push(Def::Module(mt), Info::core(size));
        self.top().core_modules.push(t);
        Ok(())
    }

    fn core_instance(&mut self, i: &CoreInstance) -> Result<()> {
        let offset = match i {
            CoreInstance::Instantiate { offset, .. } | CoreInstance::FromExports { offset, .. } => {
                *offset
            }
        };
        self.top_ref()
            .room(Sort::Core(CoreSort::Instance), offset)?;
        let exports = match i {
            CoreInstance::Instantiate {
                offset,
                module,
                args,
            } => {
                let sc = self.top_ref();
                sc.check(Sort::Core(CoreSort::Module), *module, *offset)?;
                let mut map: HashMap<&str, TypeId> = HashMap::new();
                for (name, inst) in args {
                    sc.check(Sort::Core(CoreSort::Instance), *inst, *offset)?;
                    if map
                        .insert(name.as_str(), sc.core_instances[*inst as usize])
                        .is_some()
                    {
                        return bail(
                            format!("duplicate module instantiation argument named `{name}`"),
                            *offset,
                        );
                    }
                }
                let mt = self.types.module(sc.core_modules[*module as usize]);
                for (m, n, expected) in &mt.imports {
                    let Some(&inst) = map.get(m.as_str()) else {
                        return bail(
                            format!("missing module instantiation argument named `{m}`"),
                            *offset,
                        );
                    };
                    let Some(arg) = self.types.core_instance(inst).exports.get(n) else {
                        return bail(
                            format!(
                                "module instantiation argument `{m}` does not export an item \
                                 named `{n}`"
                            ),
                            *offset,
                        );
                    };
                    ctx(self.types.core_entity(arg, expected, *offset), || {
                        format!(
                            "type mismatch for export `{n}` of module instantiation argument \
                             `{m}`"
                        )
                    })?;
                }
                mt.exports.clone()
            }
            CoreInstance::FromExports { offset, exports } => {
                let mut map = NamedMap::default();
                for (name, sort, idx) in exports {
                    let e = self.top_ref().core_entity(*sort, *idx, *offset)?;
                    if !map.insert(name, e) {
                        return bail(format!("export name `{name}` already defined"), *offset);
                    }
                }
                map
            }
        };
        let size = exports.len().min(u32::MAX as usize) as u32;
        let t = self.types.push(
            Def::CoreInstance(CoreInstanceType { exports }),
            Info::core(size),
        );
        self.top().core_instances.push(t);
        Ok(())
    }

    fn core_type(&mut self, t: &CoreType) -> Result<()> {
        let offset = match t {
            CoreType::Func { offset, .. } | CoreType::Module { offset, .. } => *offset,
        };
        self.top_ref().room(Sort::Core(CoreSort::Type), offset)?;
        let r = match t {
            CoreType::Func {
                params, results, ..
            } => CoreTypeRef::Func(self.core_func_type(params, results)),
            CoreType::Module { decls, .. } => CoreTypeRef::Module(self.module_type(decls)?),
        };
        self.top().core_types.push(r);
        Ok(())
    }

    fn module_type(&mut self, decls: &[ModuleTypeDecl]) -> Result<TypeId> {
        let mut types: Vec<TypeId> = Vec::new();
        let mut mt = ModuleType::default();
        let mut seen = HashSet::new();
        for d in decls {
            match d {
                ModuleTypeDecl::Import {
                    offset,
                    module,
                    name,
                    desc,
                } => {
                    let e = self.module_type_entity(&types, desc, *offset)?;
                    if !seen.insert((module.clone(), name.clone())) {
                        return bail(
                            format!(
                                "module has a duplicate import name `{module}:{name}` that is \
                                 not allowed in components"
                            ),
                            *offset,
                        );
                    }
                    mt.imports.push((module.clone(), name.clone(), e));
                }
                ModuleTypeDecl::Type(t) => match t {
                    CoreType::Func {
                        params, results, ..
                    } => {
                        let f = self.core_func_type(params, results);
                        types.push(f);
                    }
                    CoreType::Module { offset, .. } => {
                        return bail("module types cannot nest module types", *offset)
                    }
                },
                ModuleTypeDecl::OuterType {
                    offset,
                    count,
                    index,
                } => {
                    let t = if *count == 0 {
                        types.get(*index as usize).map(|t| CoreTypeRef::Func(*t))
                    } else {
                        let n = self.stack.len();
                        let depth = *count as usize - 1;
                        if depth >= n {
                            return bail(format!("invalid outer alias count of {count}"), *offset);
                        }
                        self.stack[n - 1 - depth]
                            .core_types
                            .get(*index as usize)
                            .copied()
                    };
                    match t {
                        Some(CoreTypeRef::Func(f)) => types.push(f),
                        Some(CoreTypeRef::Module(_)) => {
                            return bail(
                                "not implemented: aliasing core module types into a core \
                                 module's types index space",
                                *offset,
                            )
                        }
                        None => {
                            return bail(
                                format!("unknown type {index}: type index out of bounds"),
                                *offset,
                            )
                        }
                    }
                }
                ModuleTypeDecl::Export { offset, name, desc } => {
                    let e = self.module_type_entity(&types, desc, *offset)?;
                    if !mt.exports.insert(name, e) {
                        return bail(format!("export name `{name}` already defined"), *offset);
                    }
                }
            }
        }
        let size = (mt.imports.len() + mt.exports.len() + types.len()).min(u32::MAX as usize);
        Ok(self.types.push(Def::Module(mt), Info::core(size as u32)))
    }

    fn module_type_entity(
        &self,
        types: &[TypeId],
        desc: &ImportDesc,
        offset: usize,
    ) -> Result<CoreEntity> {
        let func_of = |types: &[TypeId], idx: u32, offset: usize| -> Result<TypeId> {
            match types.get(idx as usize) {
                Some(t) => Ok(*t),
                None => bail(
                    format!("unknown type {idx}: type index out of bounds"),
                    offset,
                ),
            }
        };
        Ok(match *desc {
            ImportDesc::Func(i) => CoreEntity::Func(func_of(types, i, offset)?),
            ImportDesc::Tag(i) => {
                let f = func_of(types, i, offset)?;
                if !self.types.core_func(f).results.is_empty() {
                    return bail("non-empty tag result type", offset);
                }
                CoreEntity::Tag(f)
            }
            ImportDesc::Table(t) => {
                if t.limits.max.is_some_and(|m| m < t.limits.min) {
                    return bail("size minimum must not be greater than maximum", offset);
                }
                if !t.table64 && (t.limits.min > u32::MAX as u64) {
                    return bail("table size must be at most 4294967295 elements", offset);
                }
                CoreEntity::Table(t)
            }
            ImportDesc::Memory(m) => {
                if m.limits.max.is_some_and(|x| x < m.limits.min) {
                    return bail("size minimum must not be greater than maximum", offset);
                }
                let max_pages = if m.memory64 { 1u64 << 48 } else { 65536 };
                if m.limits.min > max_pages || m.limits.max.is_some_and(|x| x > max_pages) {
                    return bail(
                        format!("memory size must be at most {max_pages:#x} 65536-byte pages"),
                        offset,
                    );
                }
                if m.shared && m.limits.max.is_none() {
                    return bail("shared memory must have maximum size", offset);
                }
                CoreEntity::Memory(m)
            }
            ImportDesc::Global(g) => CoreEntity::Global(g),
        })
    }

    // -----------------------------------------------------------------
    // Component instances.

    fn sort_entity(&self, sort: Sort, idx: u32, offset: usize) -> Result<Entity> {
        let sc = self.top_ref();
        sc.check(sort, idx, offset)?;
        let i = idx as usize;
        Ok(match sort {
            Sort::Core(CoreSort::Module) => Entity::Module(sc.core_modules[i]),
            Sort::Func => Entity::Func(sc.funcs[i]),
            Sort::Value => {
                return Err(Error::unsupported(
                    "support for component model `value`s is not enabled",
                    offset,
                ))
            }
            Sort::Type => {
                let t = sc.types[i];
                Entity::Type {
                    referenced: t,
                    created: t,
                }
            }
            Sort::Component => Entity::Component(sc.components[i]),
            Sort::Instance => Entity::Instance(sc.instances[i]),
            Sort::Core(_) => return bail("invalid external kind", offset),
        })
    }

    fn instance(&mut self, i: &Instance) -> Result<()> {
        let offset = match i {
            Instance::Instantiate { offset, .. } | Instance::FromExports { offset, .. } => *offset,
        };
        self.top_ref().room(Sort::Instance, offset)?;
        let t = match i {
            Instance::Instantiate {
                offset,
                component,
                args,
            } => {
                let offset = *offset;
                self.top_ref().check(Sort::Component, *component, offset)?;
                let ct = self.top_ref().components[*component as usize];
                let mut map = NamedMap::default();
                let mut seen = HashMap::new();
                for (name, sort, idx) in args {
                    let e = self.sort_entity(*sort, *idx, offset)?;
                    if let Some(prev) = seen.insert(name.clone(), name) {
                        return bail(
                            format!(
                                "instantiation argument `{name}` conflicts with previous \
                                 argument `{prev}`"
                            ),
                            offset,
                        );
                    }
                    map.insert(name, e);
                }
                self.instantiate(ct, &map, offset)?
            }
            Instance::FromExports { offset, exports } => {
                let offset = *offset;
                let mut items = NamedMap::default();
                let mut seen = HashMap::new();
                let mut info = Info::new();
                let empty = ResourceNames::default();
                for (name, sort, idx) in exports {
                    let e = self.sort_entity(*sort, *idx, offset)?;
                    names::check(&name.name, name.offset)?;
                    implements(name, &e, offset)?;
                    if let Some(prev) = seen.insert(names::unique_key(&name.name), &name.name) {
                        return bail(
                            format!(
                                "instance export name `{}` conflicts with previous name `{prev}`",
                                name.name
                            ),
                            name.offset,
                        );
                    }
                    self.check_resource_name(&empty, &name.name, &e, ExternDir::Export, offset)?;
                    info.combine(self.types.entity_info(&e), offset)?;
                    items.insert(&name.name, e);
                }
                self.types.push(
                    Def::Instance(InstanceType {
                        exports: items,
                        defined_resources: Vec::new(),
                    }),
                    info,
                )
            }
        };
        self.top().instances.push(t);
        Ok(())
    }

    fn instantiate(
        &mut self,
        ct: TypeId,
        args: &NamedMap<Entity>,
        offset: usize,
    ) -> Result<TypeId> {
        let mut info = Info::new();
        self.types.burn(self.types.def_cost(ct), offset)?;
        let comp = self.types.component(ct).clone();
        for (_, e) in comp.exports.iter() {
            info.combine(self.types.entity_info(e), offset)?;
        }
        let mut map = self.types.open_instance_type(args, ct, true, offset)?;
        let mut fresh = Vec::new();
        for (old, _) in &comp.defined_resources {
            let new = self.types.fresh_resource().id;
            map.resources.insert(*old, new);
            fresh.push(new);
        }
        let mut exports = comp.exports.clone();
        for e in exports.values_mut() {
            self.types.remap_entity(e, &mut map);
        }
        self.check_fuel(offset)?;
        let sc = self.top();
        for r in fresh {
            sc.define_resource(r, None);
        }
        Ok(self.types.push(
            Def::Instance(InstanceType {
                exports,
                defined_resources: Vec::new(),
            }),
            info,
        ))
    }

    // -----------------------------------------------------------------
    // Aliases.

    fn alias(&mut self, a: &Alias) -> Result<()> {
        let offset = match a {
            Alias::InstanceExport { offset, .. }
            | Alias::CoreInstanceExport { offset, .. }
            | Alias::Outer { offset, .. } => *offset,
        };
        if self.top_ref().kind != ScopeKind::Component {
            let ok = match a {
                Alias::InstanceExport { sort, .. } => matches!(sort, Sort::Type | Sort::Instance),
                Alias::Outer { sort, .. } => {
                    matches!(sort, Sort::Type | Sort::Core(CoreSort::Type))
                }
                Alias::CoreInstanceExport { .. } => false,
            };
            if !ok {
                return bail(
                    "aliases in a component or instance type may only refer to types or instances",
                    offset,
                );
            }
        }
        self.top_ref().room(a.sort(), offset)?;
        match a {
            Alias::InstanceExport {
                sort,
                instance,
                name,
                ..
            } => {
                let sc = self.top_ref();
                sc.check(Sort::Instance, *instance, offset)?;
                let it = self.types.instance(sc.instances[*instance as usize]);
                let Some(e) = it.exports.get(name).copied() else {
                    return bail(
                        format!("instance {instance} has no export named `{name}`"),
                        offset,
                    );
                };
                let ok = matches!(
                    (e, sort),
                    (Entity::Module(_), Sort::Core(CoreSort::Module))
                        | (Entity::Component(_), Sort::Component)
                        | (Entity::Func(_), Sort::Func)
                        | (Entity::Instance(_), Sort::Instance)
                        | (Entity::Value(_), Sort::Value)
                        | (Entity::Type { .. }, Sort::Type)
                );
                if !ok {
                    return bail(
                        format!(
                            "export `{name}` for instance {instance} is not a {}",
                            sort.desc()
                        ),
                        offset,
                    );
                }
                let mut e = e;
                self.add_entity(&mut e, None, offset)
            }
            Alias::CoreInstanceExport {
                sort,
                instance,
                name,
                ..
            } => {
                let sc = self.top_ref();
                sc.check(Sort::Core(CoreSort::Instance), *instance, offset)?;
                let it = self
                    .types
                    .core_instance(sc.core_instances[*instance as usize]);
                let Some(e) = it.exports.get(name).copied() else {
                    return bail(
                        format!("core instance {instance} has no export named `{name}`"),
                        offset,
                    );
                };
                let sc = self.top();
                match (e, sort) {
                    (CoreEntity::Func(t), CoreSort::Func) => sc.core_funcs.push(t),
                    (CoreEntity::Table(t), CoreSort::Table) => sc.core_tables.push(t),
                    (CoreEntity::Memory(t), CoreSort::Memory) => sc.core_memories.push(t),
                    (CoreEntity::Global(t), CoreSort::Global) => sc.core_globals.push(t),
                    (CoreEntity::Tag(t), CoreSort::Tag) => sc.core_tags.push(t),
                    _ => {
                        let what = match sort {
                            CoreSort::Func => "function",
                            CoreSort::Table => "table",
                            CoreSort::Memory => "memory",
                            CoreSort::Global => "global",
                            _ => "tag",
                        };
                        return bail(
                            format!("export `{name}` for core instance {instance} is not a {what}"),
                            offset,
                        );
                    }
                }
                Ok(())
            }
            Alias::Outer {
                sort, count, index, ..
            } => {
                let n = self.stack.len();
                if *count as usize >= n {
                    return bail(format!("invalid outer alias count of {count}"), offset);
                }
                let target = n - 1 - *count as usize;
                let outer = &self.stack[target];
                outer.check(*sort, *index, offset)?;
                let i = *index as usize;
                match sort {
                    Sort::Core(CoreSort::Module) => {
                        let t = outer.core_modules[i];
                        self.top().core_modules.push(t);
                    }
                    Sort::Core(CoreSort::Type) => {
                        let t = outer.core_types[i];
                        self.top().core_types.push(t);
                    }
                    Sort::Component => {
                        let t = outer.components[i];
                        self.top().components.push(t);
                    }
                    Sort::Type => {
                        let t = outer.types[i];
                        // Crossing into a component: the type may not refer
                        // to resources of the components outside it.
                        let after = n - *count as usize;
                        if *count > 0 && self.stack[after].kind == ScopeKind::Component {
                            let size = self.types.any_info(t).size();
                            let sc = &mut self.stack[after];
                            sc.outer_alias_size = match sc.outer_alias_size.checked_add(size) {
                                Some(s) if s < crate::typeck::MAX_TYPE_SIZE => s,
                                _ => {
                                    return bail(
                                        "effective type size exceeds the limit of 1000000",
                                        offset,
                                    )
                                }
                            };
                            let mut free = HashSet::new();
                            self.types.free_any(t, &mut free);
                            self.check_fuel(offset)?;
                            if !free.is_empty() {
                                return bail(
                                    "cannot alias outer type which transitively refers to \
                                     resources not defined in the current component",
                                    offset,
                                );
                            }
                        }
                        self.top().types.push(t);
                    }
                    _ => return bail("invalid outer alias kind", offset),
                }
                Ok(())
            }
        }
    }

    // -----------------------------------------------------------------
    // Types.

    fn ty(&mut self, t: &Type) -> Result<()> {
        let offset = match t {
            Type::Defined { offset, .. }
            | Type::Func { offset, .. }
            | Type::Component { offset, .. }
            | Type::Instance { offset, .. }
            | Type::Resource { offset, .. } => *offset,
        };
        let id = match t {
            Type::Defined { ty, .. } => AnyTypeId::Defined(self.defined(ty, offset)?),
            Type::Func { ty, .. } => AnyTypeId::Func(self.func_type(ty, offset)?),
            Type::Component { decls, .. } => {
                self.stack.push(Scope::new(ScopeKind::ComponentType));
                let r = decls.iter().try_for_each(|d| self.decl(d));
                let mut scope = self.stack.pop().expect("pushed");
                r?;
                AnyTypeId::Component(self.finish(&mut scope, offset)?)
            }
            Type::Instance { decls, .. } => {
                self.stack.push(Scope::new(ScopeKind::InstanceType));
                let r = decls.iter().try_for_each(|d| self.decl(d));
                let scope = self.stack.pop().expect("pushed");
                r?;
                let defined = scope.defined_resources.iter().map(|r| r.0).collect();
                AnyTypeId::Instance(self.types.push(
                    Def::Instance(InstanceType {
                        exports: scope.exports,
                        defined_resources: defined,
                    }),
                    scope.info,
                ))
            }
            Type::Resource { rep, dtor, .. } => {
                if self.top_ref().kind != ScopeKind::Component {
                    return bail(
                        "resources can only be defined within a concrete component",
                        offset,
                    );
                }
                if *rep != CoreValType::I32 {
                    return bail("resources can only be represented by `i32`", offset);
                }
                if let Some(d) = dtor {
                    let f = self.top_ref().core_func(*d, offset)?;
                    let f = self.types.core_func(f);
                    if f.params != [*rep] || !f.results.is_empty() {
                        return bail(
                            format!("core function {d} has wrong signature for a destructor"),
                            offset,
                        );
                    }
                }
                let r = self.types.fresh_resource();
                self.top().define_resource(r.id, Some(*rep));
                AnyTypeId::Resource(r)
            }
        };
        self.top_ref().room(Sort::Type, offset)?;
        self.top().types.push(id);
        Ok(())
    }

    fn defined(&mut self, t: &DefinedType_, offset: usize) -> Result<TypeId> {
        let unique = |what: &str, names: &mut dyn Iterator<Item = &String>| -> Result<()> {
            let short = what.rsplit(' ').next().unwrap_or(what);
            let mut seen = HashMap::new();
            for n in names {
                if n.is_empty() {
                    return bail(format!("{what} name cannot be empty"), offset);
                }
                if !names::is_kebab(n) {
                    return bail(format!("{what} name `{n}` is not in kebab case"), offset);
                }
                if let Some(prev) = seen.insert(n.to_ascii_lowercase(), n) {
                    return bail(
                        format!("{what} name `{n}` conflicts with previous {short} name `{prev}`"),
                        offset,
                    );
                }
            }
            Ok(())
        };
        let sc = self.stack.last().expect("a scope");
        let v = |t: ValueType| sc.val_type(t, offset);
        let d = match t {
            DefinedType_::Primitive(p) => DefinedType::Primitive(*p),
            DefinedType_::Record(fields) => {
                if fields.is_empty() {
                    return bail("record type must have at least one field", offset);
                }
                unique("record field", &mut fields.iter().map(|f| &f.0))?;
                DefinedType::Record(
                    fields
                        .iter()
                        .map(|(n, t)| Ok((n.clone(), v(*t)?)))
                        .collect::<Result<_>>()?,
                )
            }
            DefinedType_::Variant(cases) => {
                if cases.is_empty() {
                    return bail("variant type must have at least one case", offset);
                }
                unique("variant case", &mut cases.iter().map(|c| &c.name))?;
                DefinedType::Variant(
                    cases
                        .iter()
                        .map(|c| Ok((c.name.clone(), c.ty.map(v).transpose()?)))
                        .collect::<Result<_>>()?,
                )
            }
            DefinedType_::List(t) => DefinedType::List(v(*t)?),
            DefinedType_::Stream(inner) | DefinedType_::Future(inner) => {
                let stream = matches!(t, DefinedType_::Stream(_));
                let t = inner.map(v).transpose()?;
                let prim = match t {
                    Some(Val::Primitive(p)) => Some(p),
                    Some(Val::Defined(id)) => match self.types.defined(id) {
                        DefinedType::Primitive(p) => Some(*p),
                        _ => None,
                    },
                    None => None,
                };
                let what = if stream { "stream" } else { "future" };
                if stream && prim == Some(Primitive::Char) {
                    return bail(
                        "`stream<char>` is not valid at this time, use `stream<u8>` with a \
                         defined by encoding instead for now",
                        offset,
                    );
                }
                if t.is_some_and(|t| self.types.val_contains_borrow(t)) {
                    return bail(
                        format!("`{what}` payload cannot contain a `borrow` type"),
                        offset,
                    );
                }
                if stream {
                    DefinedType::Stream(t)
                } else {
                    DefinedType::Future(t)
                }
            }
            DefinedType_::Map(k, t) => {
                let key = v(*k)?;
                // Map keys are the `<keytype>` primitives, as wasmparser.
                let prim = match key {
                    Val::Primitive(p) => Some(p),
                    Val::Defined(id) => match self.types.defined(id) {
                        DefinedType::Primitive(p) => Some(*p),
                        _ => None,
                    },
                };
                if matches!(prim, None | Some(Primitive::F32 | Primitive::F64)) {
                    return bail("invalid map key type", offset);
                }
                let value = v(*t)?;
                if self.types.val_contains_handle(value) {
                    return bail("map value type cannot contain a handle", offset);
                }
                DefinedType::Map(key, value)
            }
            DefinedType_::FixedList(t, n) => {
                if *n < 1 {
                    return bail(
                        "Fixed-length lists must have more than zero elements",
                        offset,
                    );
                }
                let elem = v(*t)?;
                let (size, _) = self.types.val_layout(elem);
                if size.saturating_mul(*n as u64) >= 1 << 28 {
                    return bail(
                        "value type's maximum in-memory size exceeds maximum byte size",
                        offset,
                    );
                }
                DefinedType::FixedList(elem, *n)
            }
            DefinedType_::Option(t) => DefinedType::Option(v(*t)?),
            DefinedType_::Tuple(ts) => {
                if ts.is_empty() {
                    return bail("tuple type must have at least one type", offset);
                }
                DefinedType::Tuple(ts.iter().map(|t| v(*t)).collect::<Result<_>>()?)
            }
            DefinedType_::Flags(names) => {
                if names.is_empty() {
                    return bail("flags must have at least one entry", offset);
                }
                if names.len() > 32 {
                    return bail("cannot have more than 32 flags", offset);
                }
                unique("flag", &mut names.iter())?;
                DefinedType::Flags(names.clone())
            }
            DefinedType_::Enum(names) => {
                if names.is_empty() {
                    return bail("enum type must have at least one variant", offset);
                }
                unique("enum tag", &mut names.iter())?;
                DefinedType::Enum(names.clone())
            }
            DefinedType_::Result { ok, err } => DefinedType::Result {
                ok: ok.map(v).transpose()?,
                err: err.map(v).transpose()?,
            },
            DefinedType_::Own(i) => DefinedType::Own(sc.resource(*i, offset)?),
            DefinedType_::Borrow(i) => DefinedType::Borrow(sc.resource(*i, offset)?),
        };
        let mut info = Info::new();
        for c in d.children() {
            info.combine(self.types.val_info(c), offset)?;
        }
        Ok(self.types.push(Def::Defined(d), info))
    }

    fn func_type(&mut self, ty: &crate::ast::FuncType, offset: usize) -> Result<TypeId> {
        let sc = self.stack.last().expect("a scope");
        let mut seen = HashMap::new();
        let mut params = Vec::new();
        let mut info = Info::new();
        for (name, p) in &ty.params {
            if name.is_empty() {
                return bail("function parameter name cannot be empty", offset);
            }
            if !names::is_kebab(name) {
                return bail(
                    format!("function parameter name `{name}` is not in kebab case"),
                    offset,
                );
            }
            if let Some(prev) = seen.insert(name.to_ascii_lowercase(), name) {
                return bail(
                    format!(
                        "function parameter name `{name}` conflicts with previous parameter \
                         name `{prev}`"
                    ),
                    offset,
                );
            }
            let t = sc.val_type(*p, offset)?;
            info.combine(self.types.val_info(t), offset)?;
            params.push((name.clone(), t));
        }
        let result = match ty.result {
            Some(r) => {
                let t = sc.val_type(r, offset)?;
                if self.types.val_contains_borrow(t) {
                    return bail("function result cannot contain a `borrow` type", offset);
                }
                info.combine(self.types.val_info(t), offset)?;
                Some(t)
            }
            None => None,
        };
        Ok(self.types.push(
            Def::Func(FuncType {
                is_async: ty.is_async,
                params,
                result,
            }),
            info,
        ))
    }

    fn decl(&mut self, d: &Decl) -> Result<()> {
        match d {
            Decl::CoreType(t) => self.core_type(t),
            Decl::Type(t) => self.ty(t),
            Decl::Alias(a) => self.alias(a),
            Decl::Import(i) => self.import(i),
            Decl::Export { offset, name, ty } => {
                let mut e = self.type_ref(ty, *offset)?;
                self.add_export(name, &mut e, *offset)
            }
        }
    }

    /// Finishes a component or component type: its type.
    fn finish(&mut self, sc: &mut Scope, offset: usize) -> Result<TypeId> {
        let mut free = HashSet::new();
        for (_, e) in sc.imports.iter() {
            self.types.free_entity(e, &mut free);
        }
        self.check_fuel(offset)?;
        for (r, _) in &sc.defined_resources {
            if free.contains(r) {
                return bail("local resource type found in imports", offset);
            }
        }
        let mut free = HashSet::new();
        for (_, e) in sc.exports.iter() {
            self.types.free_entity(e, &mut free);
        }
        self.check_fuel(offset)?;
        let defined: Vec<ResourceId> = sc
            .defined_resources
            .iter()
            .map(|r| r.0)
            .filter(|r| free.contains(r))
            .collect();
        let mut paths = self.types.explicit_resource_paths(&sc.exports, &defined);
        let mut defined_resources = Vec::new();
        for r in defined {
            match paths.remove(&r) {
                Some(p) => defined_resources.push((r, p)),
                None => {
                    return bail(
                        "local resource type found in export but not exported itself",
                        offset,
                    )
                }
            }
        }
        let ct = ComponentType {
            imports: std::mem::take(&mut sc.imports),
            exports: std::mem::take(&mut sc.exports),
            imported_resources: std::mem::take(&mut sc.imported_resources),
            defined_resources,
        };
        Ok(self.types.push(Def::Component(ct), sc.info))
    }

    // -----------------------------------------------------------------
    // Imports and exports.

    fn type_ref(&mut self, t: &TypeRef, offset: usize) -> Result<Entity> {
        let sc = self.top_ref();
        Ok(match *t {
            TypeRef::Module(i) => match sc.core_types.get(i as usize) {
                Some(CoreTypeRef::Module(m)) => Entity::Module(*m),
                Some(_) => {
                    return bail(format!("core type index {i} is not a module type"), offset)
                }
                None => {
                    return bail(
                        format!("unknown type {i}: type index out of bounds"),
                        offset,
                    )
                }
            },
            TypeRef::Func(i) => Entity::Func(sc.func_type(i, offset)?),
            TypeRef::Value(_) => {
                return Err(Error::unsupported(
                    "support for component model `value`s is not enabled",
                    offset,
                ))
            }
            TypeRef::Type(TypeBound::Eq(i)) => {
                let referenced = sc.any_type(i, offset)?;
                let created = self.types.with_unique(referenced);
                Entity::Type {
                    referenced,
                    created,
                }
            }
            TypeRef::Type(TypeBound::SubResource) => {
                let r = AnyTypeId::Resource(self.types.fresh_resource());
                Entity::Type {
                    referenced: r,
                    created: r,
                }
            }
            TypeRef::Component(i) => match sc.any_type(i, offset)? {
                AnyTypeId::Component(c) => Entity::Component(c),
                _ => return bail(format!("type index {i} is not a component type"), offset),
            },
            TypeRef::Instance(i) => match sc.any_type(i, offset)? {
                AnyTypeId::Instance(c) => Entity::Instance(c),
                _ => return bail(format!("type index {i} is not an instance type"), offset),
            },
        })
    }

    fn import(&mut self, i: &Import) -> Result<()> {
        let mut e = self.type_ref(&i.ty, i.offset)?;
        self.add_entity(&mut e, Some((&i.name.name, ExternDir::Import)), i.offset)?;
        self.extern_item(&i.name, ExternDir::Import, e, i.offset)
    }

    fn add_export(&mut self, name: &ExternName, e: &mut Entity, offset: usize) -> Result<()> {
        self.add_entity(e, Some((&name.name, ExternDir::Export)), offset)?;
        self.extern_item(name, ExternDir::Export, *e, offset)
    }

    fn export(&mut self, x: &Export) -> Result<()> {
        let offset = x.offset;
        let actual = match x.sort {
            Sort::Type => {
                let referenced = self.top_ref().any_type(x.index, offset)?;
                let created = self.types.with_unique(referenced);
                Entity::Type {
                    referenced,
                    created,
                }
            }
            Sort::Core(CoreSort::Module)
            | Sort::Func
            | Sort::Value
            | Sort::Component
            | Sort::Instance => self.sort_entity(x.sort, x.index, offset)?,
            Sort::Core(_) => return bail("invalid export kind", offset),
        };
        let mut e = match &x.ty {
            None => actual,
            Some(t) => {
                let ascribed = self.type_ref(t, offset)?;
                if t.sort() != x.sort {
                    return bail(
                        "export type ascription does not match the exported item's kind",
                        offset,
                    );
                }
                let r = self.types.sub_entity(&actual, &ascribed, offset);
                ctx(r, || {
                    "ascribed type of export is not compatible with item's type".to_string()
                })?;
                ascribed
            }
        };
        self.add_export(&x.name, &mut e, offset)
    }

    /// Adds an imported, exported or aliased item to the index spaces.
    fn add_entity(
        &mut self,
        e: &mut Entity,
        named: Option<(&str, ExternDir)>,
        offset: usize,
    ) -> Result<()> {
        let dir = named.map(|n| n.1);
        let sort = match e {
            Entity::Module(_) => Sort::Core(CoreSort::Module),
            Entity::Component(_) => Sort::Component,
            Entity::Instance(_) => Sort::Instance,
            Entity::Func(_) => Sort::Func,
            Entity::Value(_) => Sort::Value,
            Entity::Type { .. } => Sort::Type,
        };
        self.top_ref().room(sort, offset)?;
        match e {
            Entity::Module(t) => self.top().core_modules.push(*t),
            Entity::Component(t) => self.top().components.push(*t),
            Entity::Func(t) => self.top().funcs.push(*t),
            Entity::Value(_) => {
                return Err(Error::unsupported(
                    "support for component model `value`s is not enabled",
                    offset,
                ))
            }
            Entity::Instance(t) => {
                match dir {
                    Some(ExternDir::Import) => self.prepare_instance_import(t),
                    Some(ExternDir::Export) => self.prepare_instance_export(t),
                    None => {}
                }
                self.check_fuel(offset)?;
                let t = *t;
                self.top().instances.push(t);
            }
            Entity::Type {
                referenced,
                created,
            } => {
                let (referenced, created) = (*referenced, *created);
                let sc = self.top();
                sc.types.push(created);
                if let AnyTypeId::Resource(r) = created {
                    if created == referenced {
                        match dir {
                            Some(ExternDir::Import) => {
                                let n = sc.imports.len();
                                sc.imported_resources.push((r.id, vec![n]));
                            }
                            Some(ExternDir::Export) => sc.define_resource(r.id, None),
                            None => {}
                        }
                    }
                }
            }
        }
        if let Some((name, dir)) = named {
            // The named-types walk costs at most the type's size.
            let size = self.types.entity_info(e).size();
            self.types.burn(u64::from(size), offset)?;
            if !self.register_named(Some(name), dir, e) {
                return bail(
                    format!("{} not valid to be used as {}", e.desc(), dir.desc()),
                    offset,
                );
            }
        }
        Ok(())
    }

    fn prepare_instance_import(&mut self, id: &mut TypeId) {
        let it = self.types.instance(*id);
        if it.defined_resources.is_empty() {
            return;
        }
        let old: Vec<ResourceId> = it.defined_resources.clone();
        let paths = self.types.explicit_resource_paths(&it.exports, &old);
        let mut new_ty = InstanceType {
            exports: it.exports.clone(),
            defined_resources: Vec::new(),
        };
        let info = self.types.info(*id);
        let mut map = crate::typeck::Remap::default();
        let n = self.top_ref().imports.len();
        for r in old {
            let new = self.types.fresh_resource().id;
            map.resources.insert(r, new);
            let mut path = vec![n];
            path.extend(paths.get(&r).cloned().unwrap_or_default());
            self.top().imported_resources.push((new, path));
        }
        for e in new_ty.exports.values_mut() {
            self.types.remap_entity(e, &mut map);
        }
        *id = self.types.push(Def::Instance(new_ty), info);
    }

    fn prepare_instance_export(&mut self, id: &mut TypeId) {
        let it = self.types.instance(*id);
        if it.defined_resources.is_empty() {
            return;
        }
        let mut new_ty = InstanceType {
            exports: it.exports.clone(),
            defined_resources: Vec::new(),
        };
        let old = it.defined_resources.clone();
        let info = self.types.info(*id);
        let mut map = crate::typeck::Remap::default();
        for r in old {
            let new = self.types.fresh_resource().id;
            map.resources.insert(r, new);
            self.top().define_resource(new, None);
        }
        for e in new_ty.exports.values_mut() {
            self.types.remap_entity(e, &mut map);
        }
        *id = self.types.push(Def::Instance(new_ty), info);
    }

    /// The rule that imports and exports only use types that are imported
    /// or exported themselves; registers the names they introduce.
    fn register_named(&mut self, toplevel: Option<&str>, dir: ExternDir, e: &Entity) -> bool {
        let types = &self.types;
        let sc = self.stack.last_mut().expect("a scope");
        if let (
            Some(name),
            Entity::Type {
                created: AnyTypeId::Resource(r),
                ..
            },
        ) = (toplevel, e)
        {
            let cx = match dir {
                ExternDir::Import => &mut sc.import_resources,
                ExternDir::Export => &mut sc.export_resources,
            };
            cx.by_ref.insert(*r, name.to_string());
            cx.all.insert(name.to_string());
        }
        if sc.kind == ScopeKind::InstanceType {
            return true;
        }
        match *e {
            Entity::Type {
                referenced,
                created,
            } => {
                if dir == ExternDir::Import
                    && sc.exported_types.contains(&referenced)
                    && !sc.imported_types.contains(&referenced)
                {
                    return false;
                }
                let set = match dir {
                    ExternDir::Import => &mut sc.imported_types,
                    ExternDir::Export => &mut sc.exported_types,
                };
                if !types.named_in_any(referenced, set) {
                    return false;
                }
                match dir {
                    ExternDir::Import => {
                        sc.imported_types.insert(created);
                        sc.exported_types.insert(created);
                    }
                    ExternDir::Export => {
                        sc.exported_types.insert(created);
                    }
                }
                true
            }
            Entity::Instance(i) => {
                let exports: Vec<Entity> =
                    types.instance(i).exports.iter().map(|(_, e)| *e).collect();
                exports.iter().all(|e| self.register_named(None, dir, e))
            }
            Entity::Func(f) => {
                let set = match dir {
                    ExternDir::Import => &sc.imported_types,
                    ExternDir::Export => &sc.exported_types,
                };
                types.named_in_func(f, set)
            }
            Entity::Value(v) => {
                let set = match dir {
                    ExternDir::Import => &sc.imported_types,
                    ExternDir::Export => &sc.exported_types,
                };
                types.named_val(v, set)
            }
            Entity::Component(_) | Entity::Module(_) => true,
        }
    }

    /// The name rules of an import or export, then records it.
    fn extern_item(
        &mut self,
        name: &ExternName,
        dir: ExternDir,
        e: Entity,
        offset: usize,
    ) -> Result<()> {
        ctx(names::check(&name.name, name.offset), || {
            format!(
                "{} name `{}` is not a valid extern name",
                dir.desc(),
                name.name
            )
        })?;
        implements(name, &e, offset)?;
        {
            let sc = self.top_ref();
            let cx = match dir {
                ExternDir::Import => &sc.import_resources,
                ExternDir::Export => &sc.export_resources,
            };
            self.check_resource_name(cx, &name.name, &e, dir, offset)?;
        }
        let info = self.types.entity_info(&e);
        let sc = self.top();
        let map = match dir {
            ExternDir::Import => &mut sc.import_names,
            ExternDir::Export => &mut sc.export_names,
        };
        if let Some(prev) = map.insert(names::unique_key(&name.name), name.name.clone()) {
            return bail(
                format!(
                    "{} name `{}` conflicts with previous name `{prev}`",
                    dir.desc(),
                    name.name
                ),
                name.offset,
            );
        }
        let items = match dir {
            ExternDir::Import => &mut sc.imports,
            ExternDir::Export => &mut sc.exports,
        };
        if !items.insert(&name.name, e) {
            return bail(
                format!(
                    "{} name `{}` conflicts with previous name `{}`",
                    dir.desc(),
                    name.name,
                    name.name
                ),
                name.offset,
            );
        }
        sc.info.combine(info, offset)
    }

    /// `[constructor]R`, `[method]R.m` and `[static]R.m` against the
    /// resources named `R` in `cx`.
    fn check_resource_name(
        &self,
        cx: &ResourceNames,
        name: &str,
        e: &Entity,
        dir: ExternDir,
        offset: usize,
    ) -> Result<()> {
        let Some(rf) = resource_func(name) else {
            return Ok(());
        };
        let r = (|| -> Result<()> {
            let Entity::Func(f) = *e else {
                return bail("item is not a func", offset);
            };
            let f = self.types.func(f);
            let check_res = |r: &ResourceRef, want: &str| -> Result<()> {
                match cx.by_ref.get(r) {
                    None => bail(
                        "resource used in function does not have a name in this context",
                        offset,
                    ),
                    Some(n) if n != want => bail(
                        format!("function does not match expected resource name `{n}`"),
                        offset,
                    ),
                    Some(_) => Ok(()),
                }
            };
            match rf {
                ResourceFunc::Constructor(res) => {
                    let Some(t) = f.result else {
                        return bail("function should return one value", offset);
                    };
                    let own = match t {
                        Val::Defined(d) => match self.types.defined(d) {
                            DefinedType::Own(r) => Some(*r),
                            DefinedType::Result {
                                ok: Some(Val::Defined(ok)),
                                ..
                            } => match self.types.defined(*ok) {
                                DefinedType::Own(r) => Some(*r),
                                _ => None,
                            },
                            _ => None,
                        },
                        _ => None,
                    };
                    let Some(r) = own else {
                        return bail(
                            "function should return `(own $T)` or `(result (own $T))`",
                            offset,
                        );
                    };
                    check_res(&r, res)
                }
                ResourceFunc::Method(res) => {
                    let Some((pname, pty)) = f.params.first() else {
                        return bail("function should have at least one argument", offset);
                    };
                    if pname != "self" {
                        return bail(
                            "function should have a first argument called `self`",
                            offset,
                        );
                    }
                    let b = match *pty {
                        Val::Defined(d) => match self.types.defined(d) {
                            DefinedType::Borrow(r) => Some(*r),
                            _ => None,
                        },
                        _ => None,
                    };
                    let Some(r) = b else {
                        return bail(
                            "function should take a first argument of `(borrow $T)`",
                            offset,
                        );
                    };
                    check_res(&r, res)
                }
                ResourceFunc::Static(res) => {
                    if cx.all.contains(res) {
                        Ok(())
                    } else {
                        bail("static resource name is not known in this context", offset)
                    }
                }
            }
        })();
        ctx(r, || format!("{} name `{name}` is not valid", dir.desc()))
    }

    // -----------------------------------------------------------------
    // Canonical functions and start.

    fn canon_opts(&self, opts: &[CanonOpt], offset: usize) -> Result<(AbiOpts, Option<u32>)> {
        let sc = self.top_ref();
        let mut enc: Option<&str> = None;
        let mut memory = None;
        let mut realloc = None;
        let mut post = None;
        let mut is_async = false;
        let mut callback = None;
        for o in opts {
            match *o {
                CanonOpt::Async => {
                    if is_async {
                        return bail(
                            "canonical option `async` is specified more than once",
                            offset,
                        );
                    }
                    is_async = true;
                }
                CanonOpt::Callback(f) => {
                    if callback.is_some() {
                        return bail(
                            "canonical option `callback` is specified more than once",
                            offset,
                        );
                    }
                    callback = Some(f);
                }
                CanonOpt::Utf8 | CanonOpt::Utf16 | CanonOpt::CompactUtf16 => {
                    let this = match o {
                        CanonOpt::Utf8 => "utf8",
                        CanonOpt::Utf16 => "utf16",
                        _ => "latin1-utf16",
                    };
                    if let Some(prev) = enc {
                        return bail(
                            format!(
                                "canonical encoding option `{prev}` conflicts with option `{this}`"
                            ),
                            offset,
                        );
                    }
                    enc = Some(this);
                }
                CanonOpt::Memory(m) => {
                    if memory.is_some() {
                        return bail(
                            "canonical option `memory` is specified more than once",
                            offset,
                        );
                    }
                    sc.check(Sort::Core(CoreSort::Memory), m, offset)?;
                    let mt = sc.core_memories[m as usize];
                    if mt.memory64 {
                        return Err(Error::unsupported(
                            "64-bit memories require the `cm64` feature to be enabled",
                            offset,
                        ));
                    }
                    if mt.shared {
                        return bail("mismatch in the shared flag for memories", offset);
                    }
                    memory = Some(m);
                }
                CanonOpt::Realloc(f) => {
                    if realloc.is_some() {
                        return bail(
                            "canonical option `realloc` is specified more than once",
                            offset,
                        );
                    }
                    realloc = Some(f);
                }
                CanonOpt::PostReturn(f) => {
                    if post.is_some() {
                        return bail(
                            "canonical option `post-return` is specified more than once",
                            offset,
                        );
                    }
                    post = Some(f);
                }
            }
        }
        if let Some(f) = realloc {
            if memory.is_none() {
                return bail(
                    "canonical option `realloc` requires `memory` to also be specified",
                    offset,
                );
            }
            let t = self.types.core_func(sc.core_func(f, offset)?);
            let i = CoreValType::I32;
            if t.params != [i, i, i, i] || t.results != [i] {
                return bail(
                    "canonical option `realloc` uses a core function with an incorrect signature",
                    offset,
                );
            }
        }
        match (is_async, callback, post) {
            (false, Some(_), _) => return bail("cannot specify callback without async", offset),
            (true, _, Some(_)) => {
                return bail("cannot specify post-return function in async", offset)
            }
            _ => {}
        }
        if let Some(f) = callback {
            let t = self.types.core_func(sc.core_func(f, offset)?);
            let i = CoreValType::I32;
            if t.params != [i, i, i] || t.results != [i] {
                return bail(
                    "canonical option `callback` uses a core function with an incorrect signature",
                    offset,
                );
            }
        }
        Ok((
            AbiOpts {
                memory: memory.is_some(),
                realloc: realloc.is_some(),
                is_async,
                callback: callback.is_some(),
            },
            post,
        ))
    }

    /// The `async` option is only for `async` function types.
    fn check_asyncness(&self, ft: TypeId, o: AbiOpts, offset: usize) -> Result<()> {
        if o.is_async && !self.types.func(ft).is_async {
            return bail(
                "the `async` canonical option requires an async function type",
                offset,
            );
        }
        Ok(())
    }

    fn canon(&mut self, c: &Canon) -> Result<()> {
        match c {
            Canon::Lift {
                offset,
                core_func,
                opts,
                ty,
            } => {
                let offset = *offset;
                let sc = self.top_ref();
                let ft = sc.func_type(*ty, offset)?;
                let core = sc.core_func(*core_func, offset)?;
                let (o, post) = self.canon_opts(opts, offset)?;
                let core_ty = self.types.core_func(core).clone();
                if let Some(p) = post {
                    let pt = self.types.core_func(self.top_ref().core_func(p, offset)?);
                    if pt.params != core_ty.results || !pt.results.is_empty() {
                        return bail(
                            "canonical option `post-return` uses a core function with an \
                             incorrect signature",
                            offset,
                        );
                    }
                }
                self.check_asyncness(ft, o, offset)?;
                let lowered = self.types.lower_func(ft, Abi::Lift, o, offset)?;
                if lowered.params != core_ty.params {
                    return bail(
                        format!(
                            "lowered parameter types `{}` do not match parameter types `{}` of \
                             core function {core_func}",
                            core_types_str(&lowered.params),
                            core_types_str(&core_ty.params)
                        ),
                        offset,
                    );
                }
                if lowered.results != core_ty.results {
                    return bail(
                        format!(
                            "lowered result types `{}` do not match result types `{}` of core \
                             function {core_func}",
                            core_types_str(&lowered.results),
                            core_types_str(&core_ty.results)
                        ),
                        offset,
                    );
                }
                self.top_ref().room(Sort::Func, offset)?;
                self.top().funcs.push(ft);
                Ok(())
            }
            Canon::Lower { offset, func, opts } => {
                let offset = *offset;
                let sc = self.top_ref();
                sc.check(Sort::Func, *func, offset)?;
                let ft = sc.funcs[*func as usize];
                let (o, post) = self.canon_opts(opts, offset)?;
                if post.is_some() {
                    return bail(
                        "canonical option `post-return` cannot be specified for lowerings",
                        offset,
                    );
                }
                if o.callback {
                    return bail(
                        "canonical option `callback` cannot be specified for lowerings",
                        offset,
                    );
                }
                self.check_asyncness(ft, o, offset)?;
                let lowered = self.types.lower_func(ft, Abi::Lower, o, offset)?;
                let t = self.core_func_type(&lowered.params, &lowered.results);
                self.top_ref().room(Sort::Core(CoreSort::Func), offset)?;
                self.top().core_funcs.push(t);
                Ok(())
            }
            Canon::ResourceNew { offset, ty } => {
                let rep = self.top_ref().local_resource(*ty, *offset)?;
                let t = self.core_func_type(&[rep], &[CoreValType::I32]);
                self.push_core_func(t, *offset)
            }
            Canon::ResourceDrop { offset, ty } => {
                self.top_ref().resource(*ty, *offset)?;
                let t = self.core_func_type(&[CoreValType::I32], &[]);
                self.push_core_func(t, *offset)
            }
            Canon::ResourceRep { offset, ty } => {
                let rep = self.top_ref().local_resource(*ty, *offset)?;
                let t = self.core_func_type(&[CoreValType::I32], &[rep]);
                self.push_core_func(t, *offset)
            }
            Canon::Builtin(b) => {
                let (params, results) = self.builtin(b)?;
                let t = self.core_func_type(&params, &results);
                self.push_core_func(t, b.offset)
            }
        }
    }

    /// Checks an async, thread or error-context built-in's immediates and
    /// returns its core signature (wasmparser's, with 32-bit memories).
    fn builtin(&mut self, b: &Builtin) -> Result<(Vec<CoreValType>, Vec<CoreValType>)> {
        use BuiltinKind::*;
        use CoreValType::I32;
        let offset = b.offset;
        let name = b.kind.name();
        // The stream or future type the built-in names.
        let payload = |this: &Self, stream: bool| -> Result<()> {
            let idx = b.ty.unwrap_or(u32::MAX);
            let sc = this.top_ref();
            let ok = match sc.any_type(idx, offset)? {
                AnyTypeId::Defined(id) => matches!(
                    (this.types.defined(id), stream),
                    (DefinedType::Stream(_), true) | (DefinedType::Future(_), false)
                ),
                _ => false,
            };
            if !ok {
                let what = if stream { "stream" } else { "future" };
                return bail(format!("`{name}` requires a {what} type"), offset);
            }
            Ok(())
        };
        Ok(match b.kind {
            BackpressureInc | BackpressureDec | TaskCancel => (vec![], vec![]),
            TaskReturn => {
                let (o, post) = self.canon_opts(&b.opts, offset)?;
                if post.is_some() {
                    return bail(
                        "cannot specify `post-return` option on `task.return`",
                        offset,
                    );
                }
                if o.realloc {
                    return bail("cannot specify `realloc` option on `task.return`", offset);
                }
                if o.is_async {
                    return bail("cannot specify `async` option on `task.return`", offset);
                }
                let mut params = Vec::new();
                if let Some(t) = b.result {
                    let t = self.top_ref().val_type(t, offset)?;
                    if !self.types.flatten(t, &mut params, MAX_FLAT_PARAMS) {
                        params = vec![I32];
                        if !o.memory {
                            return bail("canonical option `memory` is required", offset);
                        }
                    } else if self.types.val_contains_ptr(t) && !o.memory {
                        return bail("canonical option `memory` is required", offset);
                    }
                }
                (params, vec![])
            }
            ContextGet | ContextSet => {
                let (t, slot) = b.context.unwrap_or((I32, 0));
                if t != I32 {
                    return bail(format!("`{name}` only supports `i32` or `i64`"), offset);
                }
                if slot > 1 {
                    return bail(format!("invalid context slot {slot} for `{name}`"), offset);
                }
                if b.kind == ContextGet {
                    (vec![], vec![I32])
                } else {
                    (vec![I32], vec![])
                }
            }
            SubtaskDrop | WaitableSetDrop | ErrorContextDrop => (vec![I32], vec![]),
            SubtaskCancel => (vec![I32], vec![I32]),
            StreamNew | FutureNew => {
                payload(self, b.kind == StreamNew)?;
                (vec![], vec![CoreValType::I64])
            }
            StreamRead | StreamWrite | FutureRead | FutureWrite => {
                let stream = matches!(b.kind, StreamRead | StreamWrite);
                payload(self, stream)?;
                let (_, post) = self.canon_opts(&b.opts, offset)?;
                if post.is_some() {
                    return bail(
                        format!("cannot specify `post-return` option on `{name}`"),
                        offset,
                    );
                }
                if stream {
                    (vec![I32, I32, I32], vec![I32])
                } else {
                    (vec![I32, I32], vec![I32])
                }
            }
            StreamCancelRead | StreamCancelWrite | FutureCancelRead | FutureCancelWrite => {
                payload(self, matches!(b.kind, StreamCancelRead | StreamCancelWrite))?;
                (vec![I32], vec![I32])
            }
            StreamDropReadable | StreamDropWritable | FutureDropReadable | FutureDropWritable => {
                payload(
                    self,
                    matches!(b.kind, StreamDropReadable | StreamDropWritable),
                )?;
                (vec![I32], vec![])
            }
            ErrorContextNew | ErrorContextDebugMessage => {
                let (o, post) = self.canon_opts(&b.opts, offset)?;
                if post.is_some() || o.is_async || o.realloc && b.kind == ErrorContextNew {
                    return bail(format!("invalid canonical option on `{name}`"), offset);
                }
                if b.kind == ErrorContextNew {
                    (vec![I32, I32], vec![I32])
                } else {
                    (vec![I32, I32], vec![])
                }
            }
            WaitableSetNew | ThreadIndex | ThreadYield => (vec![], vec![I32]),
            WaitableSetWait | WaitableSetPoll => {
                let m = b.memory.unwrap_or(u32::MAX);
                let sc = self.top_ref();
                sc.check(Sort::Core(CoreSort::Memory), m, offset)?;
                if sc.core_memories[m as usize].memory64 {
                    return Err(Error::unsupported(
                        "64-bit memories require the `cm64` feature to be enabled",
                        offset,
                    ));
                }
                (vec![I32, I32], vec![I32])
            }
            WaitableJoin => (vec![I32, I32], vec![]),
            ThreadResumeLater => (vec![I32], vec![]),
            ThreadSuspend => (vec![], vec![I32]),
            ThreadSuspendThenResume
            | ThreadYieldThenResume
            | ThreadSuspendThenPromote
            | ThreadYieldThenPromote => (vec![I32], vec![I32]),
            ThreadNewIndirect => {
                let (ty, table) = b.indirect.unwrap_or((u32::MAX, u32::MAX));
                let sc = self.top_ref();
                sc.check(Sort::Core(CoreSort::Type), ty, offset)?;
                let f = match sc.core_types[ty as usize] {
                    CoreTypeRef::Func(f) => self.types.core_func(f),
                    CoreTypeRef::Module(_) => return bail("expected a core function type", offset),
                };
                if f.params != [I32] {
                    return bail(
                        "start function must take a single `i32` argument (currently)",
                        offset,
                    );
                }
                if !f.results.is_empty() {
                    return bail("start function must not return any values", offset);
                }
                sc.check(Sort::Core(CoreSort::Table), table, offset)?;
                let t = sc.core_tables[table as usize];
                if t.table64 {
                    return Err(Error::unsupported(
                        "64-bit tables in `thread.new-indirect` are not supported",
                        offset,
                    ));
                }
                (vec![I32, I32], vec![I32])
            }
        })
    }

    fn push_core_func(&mut self, t: TypeId, offset: usize) -> Result<()> {
        self.top_ref().room(Sort::Core(CoreSort::Func), offset)?;
        self.top().core_funcs.push(t);
        Ok(())
    }

    fn start(&mut self, st: &Start) -> Result<()> {
        if std::mem::replace(&mut self.top().has_start, true) {
            return bail(
                "component cannot have more than one start function",
                st.offset,
            );
        }
        let sc = self.top_ref();
        sc.check(Sort::Func, st.func, st.offset)?;
        for &a in &st.args {
            sc.check(Sort::Value, a, st.offset)?;
        }
        let f = self.types.func(sc.funcs[st.func as usize]);
        if f.params.len() != st.args.len() {
            return bail(
                format!(
                    "component start function requires {} arguments but was given {}",
                    f.params.len(),
                    st.args.len()
                ),
                st.offset,
            );
        }
        if st.results != u32::from(f.result.is_some()) {
            return bail(
                format!(
                    "component start function has a result count of {} but the function type \
                     has a result count of {}",
                    st.results,
                    u32::from(f.result.is_some())
                ),
                st.offset,
            );
        }
        let sc = self.top();
        for _ in 0..st.results {
            sc.room(Sort::Value, st.offset)?;
            sc.values += 1;
        }
        Ok(())
    }
}

use crate::ast::DefinedType as DefinedType_;
