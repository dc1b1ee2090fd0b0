//! Resolved component types: the arena every validated definition's type
//! lives in ([`Types`]), with resource identities, substitution
//! (`remap`), free resource variables, the "named types" rule of imports
//! and exports, subtyping (`subtype.rs`) and the canonical ABI's flattening
//! (`abi.rs`).
//!
//! Every type has an [`Info`]: its effective size (the size of the type
//! unfolded as a tree) and depth. Both are bounded as wasmparser bounds
//! them (1,000,000 and 100), so every walk over a type is bounded in depth
//! and in work; a global fuel counter bounds the total work of subtyping
//! and substitution over a whole component.

use std::collections::{HashMap, HashSet};

use nanowasm_binary::{Error, Result};
use nanowasm_core::{GlobalType, MemoryType, TableType, ValType as CoreValType};

pub use crate::ast::Primitive;

pub(crate) mod abi;
pub(crate) mod subtype;
#[cfg(test)]
mod tests;

/// The largest effective size of a type.
pub const MAX_TYPE_SIZE: u32 = 1_000_000;
/// The deepest nesting of a type.
pub const MAX_TYPE_DEPTH: u32 = 100;
/// The total work subtyping and substitution may do for one component.
const FUEL: u64 = 50_000_000;

/// The index of a type in [`Types`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(u32);

/// A resource type's identity: a fresh one for every defined resource,
/// every imported `(sub resource)` and every instantiation's resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(u32);

/// A use of a resource: its identity plus which name of it (exporting a
/// resource makes a new name for the same resource, and the rules about
/// named types go by names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResourceRef {
    /// The resource.
    pub id: ResourceId,
    alias: u32,
}

/// What a type index of a component refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AnyTypeId {
    /// A defined value type.
    Defined(TypeId),
    /// A function type.
    Func(TypeId),
    /// A component type.
    Component(TypeId),
    /// An instance type.
    Instance(TypeId),
    /// A resource type.
    Resource(ResourceRef),
}

impl AnyTypeId {
    pub(crate) fn desc(&self) -> &'static str {
        match self {
            AnyTypeId::Defined(_) => "defined type",
            AnyTypeId::Func(_) => "func type",
            AnyTypeId::Component(_) => "component type",
            AnyTypeId::Instance(_) => "instance type",
            AnyTypeId::Resource(_) => "resource",
        }
    }
}

/// A resolved value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// A primitive.
    Primitive(Primitive),
    /// A defined value type.
    Defined(TypeId),
}

/// A type's effective size and nesting depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    size: u32,
    depth: u32,
}

impl Info {
    pub(crate) fn new() -> Info {
        Info { size: 1, depth: 1 }
    }
    pub(crate) fn core(size: u32) -> Info {
        Info {
            size: size.max(1),
            depth: 1,
        }
    }
    /// Adds `other` as a part of `self`.
    pub(crate) fn combine(&mut self, other: Info, offset: usize) -> Result<()> {
        let depth = self.depth.max(other.depth.saturating_add(1));
        if depth > MAX_TYPE_DEPTH {
            return Err(Error::invalid("type nesting is too deep", offset));
        }
        match self.size.checked_add(other.size) {
            Some(s) if s < MAX_TYPE_SIZE => self.size = s,
            _ => {
                return Err(Error::invalid(
                    format!("effective type size exceeds the limit of {MAX_TYPE_SIZE}"),
                    offset,
                ))
            }
        }
        self.depth = depth;
        Ok(())
    }
    /// The effective size.
    pub fn size(&self) -> u32 {
        self.size
    }
}

/// A resolved defined value type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefinedType {
    /// A primitive.
    Primitive(Primitive),
    /// `record`
    Record(Vec<(String, ValType)>),
    /// `variant`
    Variant(Vec<(String, Option<ValType>)>),
    /// `list`
    List(ValType),
    /// `map<K, V>`
    Map(ValType, ValType),
    /// `stream<T?>`
    Stream(Option<ValType>),
    /// `future<T?>`
    Future(Option<ValType>),
    /// `list<T, N>`
    FixedList(ValType, u32),
    /// `tuple`
    Tuple(Vec<ValType>),
    /// `flags`
    Flags(Vec<String>),
    /// `enum`
    Enum(Vec<String>),
    /// `option`
    Option(ValType),
    /// `result`
    Result {
        /// The ok payload.
        ok: Option<ValType>,
        /// The error payload.
        err: Option<ValType>,
    },
    /// `own`
    Own(ResourceRef),
    /// `borrow`
    Borrow(ResourceRef),
}

impl DefinedType {
    pub(crate) fn desc(&self) -> &'static str {
        match self {
            DefinedType::Primitive(_) => "primitive",
            DefinedType::Record(_) => "record",
            DefinedType::Variant(_) => "variant",
            DefinedType::List(_) => "list",
            DefinedType::Map(..) => "map",
            DefinedType::Stream(_) => "stream",
            DefinedType::Future(_) => "future",
            DefinedType::FixedList(..) => "fixed-length list",
            DefinedType::Tuple(_) => "tuple",
            DefinedType::Flags(_) => "flags",
            DefinedType::Enum(_) => "enum",
            DefinedType::Option(_) => "option",
            DefinedType::Result { .. } => "result",
            DefinedType::Own(_) => "own",
            DefinedType::Borrow(_) => "borrow",
        }
    }

    /// The value types it holds directly.
    pub fn children(&self) -> Vec<ValType> {
        match self {
            DefinedType::Primitive(_)
            | DefinedType::Flags(_)
            | DefinedType::Enum(_)
            | DefinedType::Own(_)
            | DefinedType::Borrow(_) => Vec::new(),
            DefinedType::Record(f) => f.iter().map(|f| f.1).collect(),
            DefinedType::Variant(c) => c.iter().filter_map(|c| c.1).collect(),
            DefinedType::List(t) | DefinedType::Option(t) | DefinedType::FixedList(t, _) => {
                vec![*t]
            }
            DefinedType::Map(k, v) => vec![*k, *v],
            DefinedType::Stream(t) | DefinedType::Future(t) => t.iter().copied().collect(),
            DefinedType::Tuple(t) => t.clone(),
            DefinedType::Result { ok, err } => ok.iter().chain(err).copied().collect(),
        }
    }
}

/// A resolved component function type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncType {
    /// `async` (🔀): calls may block.
    pub is_async: bool,
    /// Named parameters.
    pub params: Vec<(String, ValType)>,
    /// The result.
    pub result: Option<ValType>,
}

/// The type of an import, an export or an instantiation argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    /// A core module of this module type.
    Module(TypeId),
    /// A function of this function type.
    Func(TypeId),
    /// A value.
    Value(ValType),
    /// A type: `referenced` is what it is equal to, `created` the name the
    /// import or export gives it.
    Type {
        /// The type it refers to.
        referenced: AnyTypeId,
        /// The new name.
        created: AnyTypeId,
    },
    /// An instance of this instance type.
    Instance(TypeId),
    /// A component of this component type.
    Component(TypeId),
}

impl Entity {
    pub(crate) fn desc(&self) -> &'static str {
        match self {
            Entity::Module(_) => "module",
            Entity::Func(_) => "func",
            Entity::Value(_) => "value",
            Entity::Type { .. } => "type",
            Entity::Instance(_) => "instance",
            Entity::Component(_) => "component",
        }
    }
}

/// Items in order with a lookup by name.
#[derive(Clone, Debug)]
pub struct NamedMap<T> {
    items: Vec<(String, T)>,
    index: HashMap<String, usize>,
}

impl<T> Default for NamedMap<T> {
    fn default() -> Self {
        NamedMap {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T> NamedMap<T> {
    /// Adds an item; false if the name is taken.
    pub fn insert(&mut self, name: &str, v: T) -> bool {
        if self.index.contains_key(name) {
            return false;
        }
        self.index.insert(name.to_string(), self.items.len());
        self.items.push((name.to_string(), v));
        true
    }
    /// The item named `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.index.get(name).map(|&i| &self.items[i].1)
    }
    /// The `i`th item.
    pub fn get_index(&self, i: usize) -> Option<(&str, &T)> {
        self.items.get(i).map(|(n, t)| (n.as_str(), t))
    }
    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.items.iter().map(|(n, t)| (n.as_str(), t))
    }
    /// The items in order, mutably.
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.items.iter_mut().map(|(_, t)| t)
    }
    /// How many.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A resolved component type (also the type of a validated component).
#[derive(Clone, Debug, Default)]
pub struct ComponentType {
    /// Imports in order.
    pub imports: NamedMap<Entity>,
    /// Exports in order.
    pub exports: NamedMap<Entity>,
    /// The resources it imports, with where they are in the imports (an
    /// import index, then export indices down nested instances).
    pub imported_resources: Vec<(ResourceId, Vec<usize>)>,
    /// The resources it defines and exports, with where they are in the
    /// exports.
    pub defined_resources: Vec<(ResourceId, Vec<usize>)>,
}

/// A resolved instance type.
#[derive(Clone, Debug, Default)]
pub struct InstanceType {
    /// Exports in order.
    pub exports: NamedMap<Entity>,
    /// The resources an instance of this type brings (empty for the type of
    /// a concrete instance).
    pub defined_resources: Vec<ResourceId>,
}

/// What a core import or export is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreEntity {
    /// A function of this core function type.
    Func(TypeId),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
    /// A tag of this core function type.
    Tag(TypeId),
}

impl CoreEntity {
    pub(crate) fn desc(&self) -> &'static str {
        match self {
            CoreEntity::Func(_) => "func",
            CoreEntity::Table(_) => "table",
            CoreEntity::Memory(_) => "memory",
            CoreEntity::Global(_) => "global",
            CoreEntity::Tag(_) => "tag",
        }
    }
}

/// A core module type.
#[derive(Clone, Debug, Default)]
pub struct ModuleType {
    /// Imports: module name, field name, type.
    pub imports: Vec<(String, String, CoreEntity)>,
    /// Exports.
    pub exports: NamedMap<CoreEntity>,
}

/// A core function type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CoreFuncType {
    /// Parameters.
    pub params: Vec<CoreValType>,
    /// Results.
    pub results: Vec<CoreValType>,
}

/// A core instance's type: its exports.
#[derive(Clone, Debug, Default)]
pub struct CoreInstanceType {
    /// Exports.
    pub exports: NamedMap<CoreEntity>,
}

/// One type of the arena.
#[derive(Clone, Debug)]
pub enum Def {
    /// Another name for an earlier type.
    Alias(TypeId),
    /// A defined value type.
    Defined(DefinedType),
    /// A function type.
    Func(FuncType),
    /// A component type.
    Component(ComponentType),
    /// An instance type.
    Instance(InstanceType),
    /// A core module type.
    Module(ModuleType),
    /// A core function type.
    CoreFunc(CoreFuncType),
    /// A core instance type.
    CoreInstance(CoreInstanceType),
}

#[derive(Clone, Debug)]
struct Slot {
    def: Def,
    info: Info,
    /// For defined types: contains a string or list (needs memory).
    ptr: bool,
    /// For defined types: contains a `borrow`.
    borrow: bool,
    /// For defined types: contains an `own` or a `borrow`.
    handle: bool,
    /// For defined types: the canonical ABI's size in memory (saturated)
    /// and alignment.
    layout: (u64, u32),
}

/// The index spaces of the validated (outermost) component.
#[derive(Clone, Debug, Default)]
pub struct IndexSpaces {
    /// Function types of the component functions, by function index.
    pub funcs: Vec<TypeId>,
    /// Types, by type index.
    pub types: Vec<AnyTypeId>,
    /// Instance types, by instance index.
    pub instances: Vec<TypeId>,
    /// Component types, by component index.
    pub components: Vec<TypeId>,
    /// Core module types, by module index.
    pub core_modules: Vec<TypeId>,
    /// Core instance types, by core instance index.
    pub core_instances: Vec<TypeId>,
    /// Core function types, by core function index.
    pub core_funcs: Vec<TypeId>,
}

/// Every type of a validated component, resolved.
#[derive(Clone, Debug)]
pub struct Types {
    slots: Vec<Slot>,
    next_resource: u32,
    next_alias: u32,
    fuel: u64,
    /// The validated component's type (imports and exports).
    pub(crate) root: Option<TypeId>,
    /// The validated component's index spaces.
    pub(crate) spaces: IndexSpaces,
}

impl Default for Types {
    fn default() -> Self {
        Types {
            slots: Vec::new(),
            next_resource: 0,
            next_alias: 0,
            fuel: FUEL,
            root: None,
            spaces: IndexSpaces::default(),
        }
    }
}

/// Substitution: resources to resources, and type names to type names.
#[derive(Default, Debug)]
pub(crate) struct Remap {
    pub resources: HashMap<ResourceId, ResourceId>,
    pub types: HashMap<AnyTypeId, AnyTypeId>,
}

impl Types {
    /// The type of the validated component: its imports and exports.
    pub fn component_type(&self) -> Option<&ComponentType> {
        self.root.map(|r| self.component(r))
    }

    /// The validated component's index spaces.
    pub fn index_spaces(&self) -> &IndexSpaces {
        &self.spaces
    }

    /// The definition of `id`, aliases followed.
    pub fn def(&self, mut id: TypeId) -> &Def {
        loop {
            match &self.slots[id.0 as usize].def {
                Def::Alias(t) => id = *t,
                d => return d,
            }
        }
    }

    /// The definition of `id` as it is (an alias is not followed).
    pub(crate) fn def_raw(&self, id: TypeId) -> &Def {
        &self.slots[id.0 as usize].def
    }

    fn peel(&self, mut id: TypeId) -> TypeId {
        while let Def::Alias(t) = &self.slots[id.0 as usize].def {
            id = *t;
        }
        id
    }

    /// The size and depth of `id`.
    pub fn info(&self, id: TypeId) -> Info {
        self.slots[id.0 as usize].info
    }

    /// A defined value type (panics if `id` is another kind).
    pub fn defined(&self, id: TypeId) -> &DefinedType {
        match self.def(id) {
            Def::Defined(d) => d,
            d => panic!("not a defined type: {d:?}"),
        }
    }
    /// A function type.
    pub fn func(&self, id: TypeId) -> &FuncType {
        match self.def(id) {
            Def::Func(d) => d,
            d => panic!("not a function type: {d:?}"),
        }
    }
    /// A component type.
    pub fn component(&self, id: TypeId) -> &ComponentType {
        match self.def(id) {
            Def::Component(d) => d,
            d => panic!("not a component type: {d:?}"),
        }
    }
    /// An instance type.
    pub fn instance(&self, id: TypeId) -> &InstanceType {
        match self.def(id) {
            Def::Instance(d) => d,
            d => panic!("not an instance type: {d:?}"),
        }
    }
    /// A core module type.
    pub fn module(&self, id: TypeId) -> &ModuleType {
        match self.def(id) {
            Def::Module(d) => d,
            d => panic!("not a module type: {d:?}"),
        }
    }
    /// A core function type.
    pub fn core_func(&self, id: TypeId) -> &CoreFuncType {
        match self.def(id) {
            Def::CoreFunc(d) => d,
            d => panic!("not a core function type: {d:?}"),
        }
    }
    /// A core instance type.
    pub fn core_instance(&self, id: TypeId) -> &CoreInstanceType {
        match self.def(id) {
            Def::CoreInstance(d) => d,
            d => panic!("not a core instance type: {d:?}"),
        }
    }

    pub(crate) fn push(&mut self, def: Def, info: Info) -> TypeId {
        let (ptr, borrow, handle, layout) = match &def {
            Def::Defined(d) => {
                let mut ptr = matches!(d, DefinedType::List(_) | DefinedType::Map(..))
                    || matches!(d, DefinedType::Primitive(Primitive::String));
                let mut borrow = matches!(d, DefinedType::Borrow(_));
                let mut handle = matches!(
                    d,
                    DefinedType::Own(_)
                        | DefinedType::Borrow(_)
                        | DefinedType::Stream(_)
                        | DefinedType::Future(_)
                );
                for c in d.children() {
                    ptr |= self.val_contains_ptr(c);
                    borrow |= self.val_contains_borrow(c);
                    handle |= self.val_contains_handle(c);
                }
                (ptr, borrow, handle, self.defined_layout(d))
            }
            _ => (false, false, false, (0, 1)),
        };
        let id = TypeId(self.slots.len() as u32);
        self.slots.push(Slot {
            def,
            info,
            ptr,
            borrow,
            handle,
            layout,
        });
        id
    }

    /// A new name for the type `id` (the same type).
    pub(crate) fn alias_of(&mut self, id: TypeId) -> TypeId {
        let s = &self.slots[id.0 as usize];
        let (info, ptr, borrow, handle, layout) = (s.info, s.ptr, s.borrow, s.handle, s.layout);
        let nid = TypeId(self.slots.len() as u32);
        self.slots.push(Slot {
            def: Def::Alias(id),
            info,
            ptr,
            borrow,
            handle,
            layout,
        });
        nid
    }

    pub(crate) fn with_unique(&mut self, t: AnyTypeId) -> AnyTypeId {
        match t {
            AnyTypeId::Defined(i) => AnyTypeId::Defined(self.alias_of(i)),
            AnyTypeId::Func(i) => AnyTypeId::Func(self.alias_of(i)),
            AnyTypeId::Component(i) => AnyTypeId::Component(self.alias_of(i)),
            AnyTypeId::Instance(i) => AnyTypeId::Instance(self.alias_of(i)),
            AnyTypeId::Resource(r) => {
                self.next_alias += 1;
                AnyTypeId::Resource(ResourceRef {
                    id: r.id,
                    alias: self.next_alias,
                })
            }
        }
    }

    pub(crate) fn fresh_resource(&mut self) -> ResourceRef {
        self.next_resource += 1;
        self.next_alias += 1;
        ResourceRef {
            id: ResourceId(self.next_resource),
            alias: self.next_alias,
        }
    }

    pub(crate) fn any_info(&self, t: AnyTypeId) -> Info {
        match t {
            AnyTypeId::Resource(_) => Info::new(),
            AnyTypeId::Defined(i)
            | AnyTypeId::Func(i)
            | AnyTypeId::Component(i)
            | AnyTypeId::Instance(i) => self.info(i),
        }
    }

    pub(crate) fn val_info(&self, t: ValType) -> Info {
        match t {
            ValType::Primitive(_) => Info::new(),
            ValType::Defined(i) => self.info(i),
        }
    }

    pub(crate) fn entity_info(&self, e: &Entity) -> Info {
        match *e {
            Entity::Module(i) | Entity::Func(i) | Entity::Instance(i) | Entity::Component(i) => {
                self.info(i)
            }
            Entity::Value(v) => self.val_info(v),
            Entity::Type { referenced, .. } => self.any_info(referenced),
        }
    }

    pub(crate) fn val_contains_ptr(&self, t: ValType) -> bool {
        match t {
            ValType::Primitive(p) => p == Primitive::String,
            ValType::Defined(i) => self.slots[i.0 as usize].ptr,
        }
    }

    pub(crate) fn val_contains_handle(&self, t: ValType) -> bool {
        match t {
            ValType::Primitive(_) => false,
            ValType::Defined(i) => self.slots[i.0 as usize].handle,
        }
    }

    /// The canonical ABI's size (saturated) and alignment of `t`.
    pub(crate) fn val_layout(&self, t: ValType) -> (u64, u32) {
        match t {
            ValType::Primitive(p) => prim_layout(p),
            ValType::Defined(i) => self.slots[i.0 as usize].layout,
        }
    }

    /// The layout of a defined type, from its children's (cached) layouts.
    fn defined_layout(&self, d: &DefinedType) -> (u64, u32) {
        let align_to = |x: u64, a: u32| x.saturating_add(a as u64 - 1) / a as u64 * a as u64;
        let record = |ts: &mut dyn Iterator<Item = ValType>| {
            let (mut size, mut align) = (0u64, 1u32);
            for t in ts {
                let (s, a) = self.val_layout(t);
                size = align_to(size, a).saturating_add(s);
                align = align.max(a);
            }
            (align_to(size, align), align)
        };
        let variant = |n: usize, ts: &mut dyn Iterator<Item = ValType>| {
            let disc: u32 = if n <= 1 << 8 {
                1
            } else if n <= 1 << 16 {
                2
            } else {
                4
            };
            let (mut payload, mut align) = (0u64, 1u32);
            for t in ts {
                let (s, a) = self.val_layout(t);
                payload = payload.max(s);
                align = align.max(a);
            }
            let start = align_to(disc as u64, align);
            let align = align.max(disc);
            (align_to(start.saturating_add(payload), align), align)
        };
        match d {
            DefinedType::Primitive(p) => prim_layout(*p),
            DefinedType::List(_) | DefinedType::Map(..) => (8, 4),
            DefinedType::Own(_)
            | DefinedType::Borrow(_)
            | DefinedType::Stream(_)
            | DefinedType::Future(_) => (4, 4),
            DefinedType::FixedList(t, n) => {
                let (s, a) = self.val_layout(*t);
                (s.saturating_mul(*n as u64), a)
            }
            DefinedType::Record(f) => record(&mut f.iter().map(|f| f.1)),
            DefinedType::Tuple(ts) => record(&mut ts.iter().copied()),
            DefinedType::Flags(n) => match n.len() {
                0 => (0, 1),
                1..=8 => (1, 1),
                9..=16 => (2, 2),
                n => (4 * n.div_ceil(32) as u64, 4),
            },
            DefinedType::Enum(n) => variant(n.len(), &mut std::iter::empty()),
            DefinedType::Option(t) => variant(2, &mut std::iter::once(*t)),
            DefinedType::Result { ok, err } => variant(2, &mut ok.iter().chain(err).copied()),
            DefinedType::Variant(c) => variant(c.len(), &mut c.iter().filter_map(|c| c.1)),
        }
    }

    pub(crate) fn val_contains_borrow(&self, t: ValType) -> bool {
        match t {
            ValType::Primitive(_) => false,
            ValType::Defined(i) => self.slots[i.0 as usize].borrow,
        }
    }

    /// What walking (or copying) the definition of `id` costs.
    pub(crate) fn def_cost(&self, id: TypeId) -> u64 {
        1 + match self.def(id) {
            Def::Defined(d) => match d {
                DefinedType::Record(f) => f.len(),
                DefinedType::Variant(c) => c.len(),
                DefinedType::Tuple(t) => t.len(),
                DefinedType::Flags(n) | DefinedType::Enum(n) => n.len(),
                _ => 1,
            },
            Def::Func(f) => f.params.len(),
            Def::Component(c) => {
                c.imports.len()
                    + c.exports.len()
                    + c.imported_resources.len()
                    + c.defined_resources.len()
            }
            Def::Instance(i) => i.exports.len() + i.defined_resources.len(),
            Def::Module(m) => m.imports.len() + m.exports.len(),
            Def::CoreInstance(i) => i.exports.len(),
            Def::CoreFunc(_) | Def::Alias(_) => 0,
        } as u64
    }

    pub(crate) fn set_fuel(&mut self, fuel: u64) {
        self.fuel = fuel;
    }

    /// Spends `n` units of the component's type-checking budget.
    pub(crate) fn burn(&mut self, n: u64, offset: usize) -> Result<()> {
        match self.fuel.checked_sub(n) {
            Some(f) => {
                self.fuel = f;
                Ok(())
            }
            None => Err(Error::invalid(
                "type checking exceeds its budget (types too large)",
                offset,
            )),
        }
    }

    // ---------------------------------------------------------------
    // Substitution.

    pub(crate) fn remap_any(&mut self, id: &mut AnyTypeId, map: &mut Remap) -> bool {
        if let Some(&new) = map.types.get(id) {
            let changed = new != *id;
            *id = new;
            return changed;
        }
        match id {
            AnyTypeId::Resource(r) => match map.resources.get(&r.id) {
                Some(&n) => {
                    r.id = n;
                    true
                }
                None => false,
            },
            AnyTypeId::Defined(i)
            | AnyTypeId::Func(i)
            | AnyTypeId::Component(i)
            | AnyTypeId::Instance(i) => {
                let old = *i;
                let changed = self.remap_id(i, map);
                let _ = old;
                changed
            }
        }
    }

    fn kind_of(&self, id: TypeId) -> fn(TypeId) -> AnyTypeId {
        match self.def(id) {
            Def::Func(_) => AnyTypeId::Func,
            Def::Component(_) => AnyTypeId::Component,
            Def::Instance(_) => AnyTypeId::Instance,
            _ => AnyTypeId::Defined,
        }
    }

    /// Substitutes into the type `id` (memoized in `map.types`).
    pub(crate) fn remap_id(&mut self, id: &mut TypeId, map: &mut Remap) -> bool {
        let mk = self.kind_of(*id);
        if let Some(&new) = map.types.get(&mk(*id)) {
            let n = match new {
                AnyTypeId::Defined(n)
                | AnyTypeId::Func(n)
                | AnyTypeId::Component(n)
                | AnyTypeId::Instance(n) => n,
                AnyTypeId::Resource(_) => return false,
            };
            let changed = n != *id;
            *id = n;
            return changed;
        }
        // Out of fuel: leave the type unchanged (the caller checks fuel).
        let base = self.peel(*id);
        let cost = self.def_cost(base);
        if self.fuel < cost {
            self.fuel = 0;
            return false;
        }
        self.fuel -= cost;
        let info = self.info(base);
        let mut def = self.slots[base.0 as usize].def.clone();
        let mut changed = false;
        match &mut def {
            Def::Alias(_) | Def::Module(_) | Def::CoreFunc(_) | Def::CoreInstance(_) => {}
            Def::Defined(d) => match d {
                DefinedType::Primitive(_) | DefinedType::Flags(_) | DefinedType::Enum(_) => {}
                DefinedType::Record(f) => {
                    for (_, t) in f {
                        changed |= self.remap_val(t, map);
                    }
                }
                DefinedType::Variant(c) => {
                    for (_, t) in c {
                        if let Some(t) = t {
                            changed |= self.remap_val(t, map);
                        }
                    }
                }
                DefinedType::List(t) | DefinedType::Option(t) | DefinedType::FixedList(t, _) => {
                    changed |= self.remap_val(t, map)
                }
                DefinedType::Map(k, v) => {
                    changed |= self.remap_val(k, map);
                    changed |= self.remap_val(v, map);
                }
                DefinedType::Stream(t) | DefinedType::Future(t) => {
                    if let Some(t) = t {
                        changed |= self.remap_val(t, map);
                    }
                }
                DefinedType::Tuple(ts) => {
                    for t in ts {
                        changed |= self.remap_val(t, map);
                    }
                }
                DefinedType::Result { ok, err } => {
                    for t in [ok, err].into_iter().flatten() {
                        changed |= self.remap_val(t, map);
                    }
                }
                DefinedType::Own(r) | DefinedType::Borrow(r) => {
                    let mut a = AnyTypeId::Resource(*r);
                    changed |= self.remap_any(&mut a, map);
                    if let AnyTypeId::Resource(n) = a {
                        *r = n;
                    }
                }
            },
            Def::Func(f) => {
                for (_, t) in &mut f.params {
                    changed |= self.remap_val(t, map);
                }
                if let Some(t) = &mut f.result {
                    changed |= self.remap_val(t, map);
                }
            }
            Def::Component(c) => {
                for e in c.imports.values_mut().chain(c.exports.values_mut()) {
                    changed |= self.remap_entity(e, map);
                }
                for (r, _) in c
                    .imported_resources
                    .iter_mut()
                    .chain(c.defined_resources.iter_mut())
                {
                    if let Some(&n) = map.resources.get(r) {
                        *r = n;
                        changed = true;
                    }
                }
            }
            Def::Instance(i) => {
                for e in i.exports.values_mut() {
                    changed |= self.remap_entity(e, map);
                }
                for r in &mut i.defined_resources {
                    if let Some(&n) = map.resources.get(r) {
                        *r = n;
                        changed = true;
                    }
                }
            }
        }
        let new = if changed { self.push(def, info) } else { *id };
        map.types.insert(mk(*id), mk(new));
        let c = new != *id;
        *id = new;
        c
    }

    pub(crate) fn remap_val(&mut self, t: &mut ValType, map: &mut Remap) -> bool {
        match t {
            ValType::Primitive(_) => false,
            ValType::Defined(i) => self.remap_id(i, map),
        }
    }

    pub(crate) fn remap_entity(&mut self, e: &mut Entity, map: &mut Remap) -> bool {
        match e {
            Entity::Module(_) => false,
            Entity::Func(i) | Entity::Instance(i) | Entity::Component(i) => self.remap_id(i, map),
            Entity::Value(v) => self.remap_val(v, map),
            Entity::Type {
                referenced,
                created,
            } => {
                let same = referenced == created;
                let mut changed = self.remap_any(referenced, map);
                if same {
                    *created = *referenced;
                } else {
                    changed |= self.remap_any(created, map);
                }
                changed
            }
        }
    }

    // ---------------------------------------------------------------
    // Free resource variables.

    pub(crate) fn free_any(&mut self, t: AnyTypeId, set: &mut HashSet<ResourceId>) {
        match t {
            AnyTypeId::Resource(r) => {
                set.insert(r.id);
            }
            AnyTypeId::Defined(i)
            | AnyTypeId::Func(i)
            | AnyTypeId::Component(i)
            | AnyTypeId::Instance(i) => self.free_id(i, set),
        }
    }

    fn free_id(&mut self, id: TypeId, set: &mut HashSet<ResourceId>) {
        let base = self.peel(id);
        let cost = self.def_cost(base);
        if self.fuel < cost {
            self.fuel = 0;
            return;
        }
        self.fuel -= cost;
        // Cloning keeps the borrow checker simple; a type's clone is paid
        // for by the fuel its walk burns.
        let def = self.slots[base.0 as usize].def.clone();
        match def {
            Def::Defined(DefinedType::Own(r)) | Def::Defined(DefinedType::Borrow(r)) => {
                self.free_any(AnyTypeId::Resource(r), set)
            }
            Def::Defined(d) => {
                for c in d.children() {
                    if let ValType::Defined(i) = c {
                        self.free_id(i, set);
                    }
                }
            }
            Def::Func(f) => {
                for t in f.params.iter().map(|p| p.1).chain(f.result) {
                    if let ValType::Defined(i) = t {
                        self.free_id(i, set);
                    }
                }
            }
            Def::Component(c) => {
                let mut inner = HashSet::new();
                for (_, e) in c.imports.iter().chain(c.exports.iter()) {
                    self.free_entity(e, &mut inner);
                }
                for (b, _) in c.imported_resources.iter().chain(&c.defined_resources) {
                    inner.remove(b);
                }
                set.extend(inner);
            }
            Def::Instance(i) => {
                let mut inner = HashSet::new();
                for (_, e) in i.exports.iter() {
                    self.free_entity(e, &mut inner);
                }
                for b in &i.defined_resources {
                    inner.remove(b);
                }
                set.extend(inner);
            }
            _ => {}
        }
    }

    pub(crate) fn free_entity(&mut self, e: &Entity, set: &mut HashSet<ResourceId>) {
        match *e {
            Entity::Module(_) => {}
            Entity::Func(i) | Entity::Instance(i) | Entity::Component(i) => self.free_id(i, set),
            Entity::Value(ValType::Defined(i)) => self.free_id(i, set),
            Entity::Value(_) => {}
            Entity::Type { created, .. } => self.free_any(created, set),
        }
    }

    /// Where each of `resources` is exported as a type, searching nested
    /// instances (paths of export indices).
    pub(crate) fn explicit_resource_paths(
        &self,
        exports: &NamedMap<Entity>,
        resources: &[ResourceId],
    ) -> HashMap<ResourceId, Vec<usize>> {
        let mut remaining: HashSet<ResourceId> = resources.iter().copied().collect();
        let mut paths = HashMap::new();
        let mut visited = HashSet::new();
        self.search_explicit(
            exports,
            &mut Vec::new(),
            &mut visited,
            &mut remaining,
            &mut paths,
        );
        paths
    }

    fn search_explicit(
        &self,
        exports: &NamedMap<Entity>,
        path: &mut Vec<usize>,
        visited: &mut HashSet<TypeId>,
        remaining: &mut HashSet<ResourceId>,
        paths: &mut HashMap<ResourceId, Vec<usize>>,
    ) {
        for (i, (_, e)) in exports.iter().enumerate() {
            if remaining.is_empty() {
                return;
            }
            path.push(i);
            match *e {
                Entity::Type {
                    created: AnyTypeId::Resource(r),
                    ..
                } if remaining.remove(&r.id) => {
                    paths.insert(r.id, path.clone());
                }
                Entity::Instance(id) if visited.insert(id) => {
                    let inst = self.instance(id);
                    self.search_explicit(&inst.exports, path, visited, remaining, paths);
                }
                _ => {}
            }
            path.pop();
        }
    }

    // ---------------------------------------------------------------
    // Named types: every record, variant, flags, enum and resource an
    // import or export uses must itself be imported or exported.

    pub(crate) fn named_val(&self, t: ValType, set: &HashSet<AnyTypeId>) -> bool {
        match t {
            ValType::Primitive(_) => true,
            ValType::Defined(i) => self.named_defined_id(i, set),
        }
    }

    fn named_defined_id(&self, id: TypeId, set: &HashSet<AnyTypeId>) -> bool {
        match self.defined(id) {
            DefinedType::Primitive(_) => true,
            DefinedType::Flags(_)
            | DefinedType::Enum(_)
            | DefinedType::Record(_)
            | DefinedType::Variant(_) => set.contains(&AnyTypeId::Defined(id)),
            DefinedType::Own(r) | DefinedType::Borrow(r) => set.contains(&AnyTypeId::Resource(*r)),
            d => d.children().into_iter().all(|c| self.named_val(c, set)),
        }
    }

    /// The members of a defined type are named (the type itself need not be).
    pub(crate) fn named_in_defined(&self, id: TypeId, set: &HashSet<AnyTypeId>) -> bool {
        match self.defined(id) {
            DefinedType::Own(r) | DefinedType::Borrow(r) => set.contains(&AnyTypeId::Resource(*r)),
            d => d.children().into_iter().all(|c| self.named_val(c, set)),
        }
    }

    pub(crate) fn named_in_func(&self, id: TypeId, set: &HashSet<AnyTypeId>) -> bool {
        let f = self.func(id);
        f.params
            .iter()
            .map(|p| p.1)
            .chain(f.result)
            .all(|t| self.named_val(t, set))
    }

    pub(crate) fn named_in_any(&self, t: AnyTypeId, set: &mut HashSet<AnyTypeId>) -> bool {
        match t {
            AnyTypeId::Resource(_) | AnyTypeId::Component(_) => true,
            AnyTypeId::Defined(i) => self.named_in_defined(i, set),
            AnyTypeId::Func(i) => self.named_in_func(i, set),
            AnyTypeId::Instance(i) => self.named_in_instance(i, set),
        }
    }

    pub(crate) fn named_in_instance(&self, id: TypeId, set: &mut HashSet<AnyTypeId>) -> bool {
        let mut added = Vec::new();
        let mut ok = true;
        for (_, e) in self.instance(id).exports.iter() {
            ok = match *e {
                Entity::Module(_) | Entity::Component(_) => true,
                Entity::Value(ValType::Primitive(_)) => true,
                Entity::Func(f) => self.named_in_func(f, set),
                Entity::Type { created, .. } => {
                    let named = self.named_in_any(created, set);
                    if named && set.insert(created) {
                        added.push(created);
                    }
                    named
                }
                Entity::Value(ValType::Defined(d)) => self.named_in_defined(d, set),
                Entity::Instance(i) => self.named_in_instance(i, set),
            };
            if !ok {
                break;
            }
        }
        for a in added {
            set.remove(&a);
        }
        ok
    }
}

fn prim_layout(p: Primitive) -> (u64, u32) {
    match p {
        Primitive::Bool | Primitive::S8 | Primitive::U8 => (1, 1),
        Primitive::S16 | Primitive::U16 => (2, 2),
        Primitive::S64 | Primitive::U64 | Primitive::F64 => (8, 8),
        Primitive::String => (8, 4),
        _ => (4, 4),
    }
}
