//! Instances and instantiation.

use crate::prelude::*;
use nanowasm_binary::module::{DataMode, ElementItems, ElementMode, ImportDesc};
use nanowasm_binary::reader::Reader;
use nanowasm_binary::{Imm, OperatorReader};
use nanowasm_core::{ExternKind, FuncType, GlobalType, Opcode};

use crate::error::Error;
use crate::func::Func;
use crate::global::Global;
use crate::interp::exec;
use crate::memory::Memory;
use crate::module::Module;
use crate::store::{
    AsContext, AsContextMut, FuncEntity, GlobalEntity, InstanceEntity, MemoryEntity, Store,
    StoreInner, Stored, TableEntity,
};
use crate::table::Table;
use crate::trap::TrapCode;

/// An instantiated module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instance(pub(crate) Stored);

/// Something an instance exports or imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
    /// A global.
    Global(Global),
    /// A tag (exception handling).
    Tag(crate::exn::Tag),
}

impl Extern {
    /// The function, if it is one.
    pub fn into_func(self) -> Option<Func> {
        match self {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }
    /// The memory, if it is one.
    pub fn into_memory(self) -> Option<Memory> {
        match self {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }
    /// The table, if it is one.
    pub fn into_table(self) -> Option<Table> {
        match self {
            Extern::Table(t) => Some(t),
            _ => None,
        }
    }
    /// The global, if it is one.
    pub fn into_global(self) -> Option<Global> {
        match self {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }
    /// The tag, if it is one.
    pub fn into_tag(self) -> Option<crate::exn::Tag> {
        match self {
            Extern::Tag(t) => Some(t),
            _ => None,
        }
    }
    pub(crate) fn stored(&self) -> Stored {
        match self {
            Extern::Func(f) => f.0,
            Extern::Table(t) => t.0,
            Extern::Memory(m) => m.0,
            Extern::Global(g) => g.0,
            Extern::Tag(t) => t.0,
        }
    }
    fn kind(&self) -> ExternKind {
        match self {
            Extern::Func(_) => ExternKind::Func,
            Extern::Table(_) => ExternKind::Table,
            Extern::Memory(_) => ExternKind::Memory,
            Extern::Global(_) => ExternKind::Global,
            Extern::Tag(_) => ExternKind::Tag,
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}
impl From<crate::exn::Tag> for Extern {
    fn from(t: crate::exn::Tag) -> Extern {
        Extern::Tag(t)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import
    /// order.
    pub fn new<T>(
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance, Error> {
        instantiate(store.as_context_mut(), module, imports)
    }

    /// An export by name; `None` if there is none, or if `store` does not
    /// own the instance (as for the other `get_*` methods, whose `Option`
    /// is wasmtime's shape: an instance of another store has no exports in
    /// this one). [`get_typed_func`](Instance::get_typed_func) says which.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        let store = store.as_context();
        if store.inner.id != self.0.store {
            return None;
        }
        let inst = store.inner.instances.get(self.0.index as usize)?;
        let e = inst
            .module
            .binary()
            .exports
            .iter()
            .find(|e| e.name == name)?;
        let s = |index: u32| Stored {
            store: self.0.store,
            index,
        };
        let i = e.index as usize;
        Some(match e.kind {
            ExternKind::Func => Extern::Func(Func(s(inst.funcs[i]))),
            ExternKind::Table => Extern::Table(Table(s(inst.tables[i]))),
            ExternKind::Memory => Extern::Memory(Memory(s(inst.memories[i]))),
            ExternKind::Global => Extern::Global(Global(s(inst.globals[i]))),
            ExternKind::Tag => Extern::Tag(crate::exn::Tag(s(inst.tags[i]))),
        })
    }

    /// All exports, in order; none if `store` does not own the instance.
    pub fn exports<'a, T: 'a>(&self, store: &'a Store<T>) -> Vec<(&'a str, Extern)> {
        if store.inner.check(self.0).is_err() {
            return Vec::new();
        }
        let Some(inst) = store.inner.instances.get(self.0.index as usize) else {
            return Vec::new();
        };
        inst.module
            .binary()
            .exports
            .iter()
            .filter_map(|e| Some((e.name.as_str(), self.get_export(store, &e.name)?)))
            .collect()
    }

    /// An exported function.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// An exported function with a static type; an error if there is no
    /// such function, if its type is not `P -> R`, or if `store` does not
    /// own the instance.
    pub fn get_typed_func<P: crate::WasmParams, R: crate::WasmResults>(
        &self,
        store: impl AsContextMut,
        name: &str,
    ) -> Result<crate::TypedFunc<P, R>, Error> {
        store.as_context().inner.check(self.0)?;
        let f = self
            .get_func(&store, name)
            .ok_or_else(|| Error::usage(format!("no exported function named `{name}`")))?;
        f.typed(&store)
    }

    /// An exported memory.
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// An exported global.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// An exported tag.
    pub fn get_tag(&self, store: impl AsContext, name: &str) -> Option<crate::exn::Tag> {
        self.get_export(store, name)?.into_tag()
    }

    /// An exported table.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }
}

fn link_error(module: &str, name: &str, why: &str) -> Error {
    Error::link(format!(
        "incompatible import type for `{module}::{name}`: {why}"
    ))
}

/// Whether limits `actual` fit the import's declared limits `expected`.
fn limits_match(actual: nanowasm_core::Limits, expected: nanowasm_core::Limits) -> bool {
    actual.min >= expected.min
        && match (expected.max, actual.max) {
            (None, _) => true,
            (Some(e), Some(a)) => a <= e,
            (Some(_), None) => false,
        }
}

/// Instantiates `module` in `store`, logging the outcome at `debug`.
pub(crate) fn instantiate<T>(
    store: &mut Store<T>,
    module: &Module,
    imports: &[Extern],
) -> Result<Instance, Error> {
    // The clock is read only when the event will be recorded.
    let start = tracing::enabled!(tracing::Level::DEBUG).then(crate::Instant::now);
    let inner = &store.inner;
    let before = (
        inner.instances.len(),
        inner.funcs.len(),
        inner.tags.len(),
        inner.tables.len(),
        inner.memories.len(),
        inner.globals.len(),
    );
    let result = instantiate_uninstrumented(store, module, imports);
    let inner = &mut store.inner;
    if result.is_err() && inner.instances.len() == before.0 {
        // It failed before the instance existed (a limit, a refused
        // allocation, an initializer): the functions, tags, tables,
        // memories and globals it had defined so far name an instance that
        // will never be, and nothing can reach them. Left in the store,
        // the compiler's function table was built from them (and panicked
        // on the missing instance). After the instance exists, a failure
        // (a trapping start function, an out-of-bounds segment) keeps
        // everything: other instances' tables may hold its functions.
        inner.funcs.truncate(before.1);
        inner.tags.truncate(before.2);
        inner.tables.truncate(before.3);
        inner.memories.truncate(before.4);
        inner.globals.truncate(before.5);
        inner.resizes += 1;
    }
    if let Some(start) = start {
        log_instantiation(store, module, &result, start.elapsed());
    }
    result
}

#[cold]
#[inline(never)]
fn log_instantiation<T>(
    store: &Store<T>,
    module: &Module,
    result: &Result<Instance, Error>,
    elapsed: core::time::Duration,
) {
    let name = module.name().unwrap_or("<unnamed>");
    match result {
        Ok(instance) => {
            let inst = &store.inner.instances[instance.0.index as usize];
            let pages: u64 = inst
                .memories
                .iter()
                .map(|&m| store.inner.memories[m as usize].data.len() as u64)
                .sum::<u64>()
                / nanowasm_core::MemoryType::PAGE_SIZE;
            tracing::debug!(
                module = name,
                instance = instance.0.index,
                imports = module.binary().imports.len(),
                functions = inst.funcs.len(),
                memory_pages = pages,
                tables = inst.tables.len(),
                globals = inst.globals.len(),
                ?elapsed,
                "instantiated"
            );
        }
        Err(error) => tracing::debug!(module = name, %error, ?elapsed, "instantiation failed"),
    }
}

fn instantiate_uninstrumented<T>(
    store: &mut Store<T>,
    module: &Module,
    imports: &[Extern],
) -> Result<Instance, Error> {
    if !crate::Engine::same(store.engine(), module.engine()) {
        return Err(Error::usage("the module belongs to another engine"));
    }
    let m = module.binary();
    if imports.len() != m.imports.len() {
        return Err(Error::link(format!(
            "expected {} imports, got {}",
            m.imports.len(),
            imports.len()
        )));
    }
    if store.inner.instances.len() >= store.inner.limits.instances {
        return Err(Error::limit("instance limit reached"));
    }
    let inner = &mut store.inner;
    let instance_index = inner.instances.len() as u32;
    let type_ids = alloc::sync::Arc::clone(&module.inner.type_ids);
    let gc_layouts: Box<[u32]> = if m
        .types
        .iter()
        .any(|t| !matches!(t.composite, nanowasm_core::CompositeType::Func(_)))
    {
        let engine = inner.engine.clone();
        type_ids
            .iter()
            .map(|&id| inner.gc.layout(&engine.inner.types, id).unwrap_or(u32::MAX))
            .collect()
    } else {
        Box::default()
    };
    let mut funcs = Vec::with_capacity(m.funcs.len());
    let mut tables = Vec::with_capacity(m.tables.len());
    let mut memories = Vec::with_capacity(m.memories.len());
    let mut globals = Vec::with_capacity(m.globals.len());
    let mut tags = Vec::with_capacity(m.tags.len());
    // Imports: check kinds and types.
    for (import, ext) in m.imports.iter().zip(imports) {
        inner.check(ext.stored())?;
        let (mname, fname) = (&import.module, &import.name);
        if ext.kind() != import.desc.kind() {
            return Err(link_error(
                mname,
                fname,
                &format!("expected {}, found {}", import.desc.kind(), ext.kind()),
            ));
        }
        let idx = ext.stored().index;
        match (&import.desc, ext) {
            (ImportDesc::Func(ty), Extern::Func(_)) => {
                let (actual, expected) =
                    (inner.funcs[idx as usize].type_id(), type_ids[*ty as usize]);
                // A function matches an import of its type or of a
                // declared supertype (GC).
                if actual != expected && !inner.engine.inner.types.is_subtype(actual, expected) {
                    return Err(link_error(mname, fname, "function types differ"));
                }
                funcs.push(idx);
            }
            (ImportDesc::Table(ty), Extern::Table(_)) => {
                let actual = &inner.tables[idx as usize];
                let actual_limits = nanowasm_core::Limits {
                    min: actual.elements.len() as u64,
                    max: actual.ty.limits.max,
                };
                if actual.ty.element != module.inner.engine_table(*ty).element
                    || actual.ty.table64 != ty.table64
                    || !limits_match(actual_limits, ty.limits)
                {
                    return Err(link_error(mname, fname, "table types differ"));
                }
                tables.push(idx);
            }
            (ImportDesc::Memory(ty), Extern::Memory(_)) => {
                let actual = &inner.memories[idx as usize];
                let pages = (actual.data.len() as u64) / nanowasm_core::MemoryType::PAGE_SIZE;
                let actual_limits = nanowasm_core::Limits {
                    min: pages,
                    max: actual.ty.limits.max,
                };
                if actual.ty.memory64 != ty.memory64 {
                    return Err(link_error(mname, fname, "memory address types differ"));
                }
                if !limits_match(actual_limits, ty.limits) {
                    return Err(link_error(mname, fname, "memory limits differ"));
                }
                memories.push(idx);
            }
            (ImportDesc::Global(ty), Extern::Global(_)) => {
                if !global_matches(
                    inner,
                    inner.globals[idx as usize].ty,
                    module.inner.engine_global(*ty),
                ) {
                    return Err(link_error(mname, fname, "global types differ"));
                }
                globals.push(idx);
            }
            (ImportDesc::Tag(ty), Extern::Tag(_)) => {
                // Tags match by their engine-wide type ids: the same type
                // (rec groups canonicalized), in both directions.
                if inner.tags[idx as usize].type_id != type_ids[*ty as usize] {
                    return Err(link_error(mname, fname, "tag types differ"));
                }
                tags.push(idx);
            }
            _ => return Err(link_error(mname, fname, "kind mismatch")),
        }
    }
    // Defined functions.
    for (i, &ty) in m
        .funcs
        .iter()
        .enumerate()
        .skip(m.num_imported.funcs as usize)
    {
        let index = inner.funcs.len() as u32;
        inner.funcs.push(FuncEntity::Wasm {
            instance: instance_index,
            index: i as u32,
            type_id: type_ids[ty as usize],
        });
        // (Compiled contexts' function references are stale now.)
        inner.resizes += 1;
        funcs.push(index);
    }
    // Defined tags: a new identity per instantiation.
    for &ty in &m.tags[m.num_imported.tags as usize..] {
        tags.push(inner.tags.len() as u32);
        inner.tags.push(crate::exn::TagEntity {
            // The engine's view (concrete types as registry ids).
            ty: module
                .inner
                .func_types
                .get(ty as usize)
                .cloned()
                .unwrap_or_else(|| FuncType::new([], [])),
            type_id: type_ids[ty as usize],
        });
    }
    // Defined tables and memories.
    let table_inits = &m.table_inits;
    for (k, ty) in m.tables[m.num_imported.tables as usize..]
        .iter()
        .enumerate()
    {
        let ty = &module.inner.engine_table(*ty);
        if inner.tables.len() >= inner.limits.tables {
            return Err(Error::limit("table limit reached"));
        }
        if inner
            .limits
            .table_elements
            .is_some_and(|max| ty.limits.min > max)
        {
            return Err(Error::limit("table exceeds the store's element limit"));
        }
        let elements = usize::try_from(ty.limits.min)
            .ok()
            .filter(|&n| n <= u32::MAX as usize)
            .and_then(crate::table::null_elements)
            .ok_or_else(|| {
                Error::limit(format!(
                    "the host refused memory for a table of {} elements",
                    ty.limits.min
                ))
            })?;
        let mut elements = elements;
        // A table with an initializer (typed function references) starts
        // with its value in every element, a table without one null.
        if let Some(Some(init)) = table_inits.get(k) {
            let raw = eval_const(inner, module, &init.range, &globals, &funcs, &gc_layouts)?;
            elements.fill(raw as u64);
        }
        tables.push(inner.tables.len() as u32);
        inner.tables.push(TableEntity { elements, ty: *ty });
    }
    // Memory 0, when the module defines it, may start from the module's
    // copy-on-write image instead of copying the data segments.
    let image = match inner.engine.config().memory_init_cow {
        true => module.memory_image(),
        false => None,
    };
    for ty in &m.memories[m.num_imported.memories as usize..] {
        if inner.memories.len() >= inner.limits.memories {
            return Err(Error::limit("memory limit reached"));
        }
        // A 64-bit memory may declare up to 2^48 pages; it gets at most
        // the 4 GiB a 32-bit one may have.
        if ty.limits.min > nanowasm_core::MemoryType::MAX_PAGES_32 {
            return Err(Error::limit(format!(
                "a memory of {} pages is more than nanowasm supports (65536 pages, 4 GiB)",
                ty.limits.min
            )));
        }
        let bytes = ty.limits.min * nanowasm_core::MemoryType::PAGE_SIZE;
        if inner
            .limits
            .memory_size
            .is_some_and(|max| bytes > max as u64)
        {
            return Err(Error::limit("memory exceeds the store's memory limit"));
        }
        memories.push(inner.memories.len() as u32);
        inner.memories.push(MemoryEntity {
            data: crate::linear::LinearMemory::with_image(
                bytes as usize,
                &inner.engine.inner.memory_pool,
                if memories.len() == 1 { image } else { None },
            )
            .ok_or_else(|| Error::limit("the host refused memory for a linear memory"))?,
            ty: *ty,
        });
    }
    // Whether memory 0 holds the image (the host may have refused it).
    let image = image.filter(|_| {
        memories
            .first()
            .is_some_and(|&m| inner.memories[m as usize].data.has_image())
    });
    // Globals: initializers see the imported globals and functions.
    for (k, ty) in m.globals[m.num_imported.globals as usize..]
        .iter()
        .enumerate()
    {
        let value = eval_const(
            inner,
            module,
            &m.global_inits[k].range,
            &globals,
            &funcs,
            &gc_layouts,
        )?;
        globals.push(inner.globals.len() as u32);
        let ty = module.inner.engine_global(*ty);
        inner.globals.push(GlobalEntity { ty, value });
        // (Compiled contexts' global pointers may be stale now.)
        inner.resizes += 1;
    }
    // Element segments, evaluated to raw references.
    let mut elems = Vec::with_capacity(m.elements.len());
    for seg in &m.elements {
        let items: Box<[u64]> = match &seg.items {
            ElementItems::Funcs(fs) => fs
                .iter()
                .map(|&f| u64::from(funcs[f as usize]) + 1)
                .collect(),
            ElementItems::Exprs(es) => es
                .iter()
                .map(|e| {
                    eval_const(inner, module, &e.range, &globals, &funcs, &gc_layouts)
                        .map(|v| v as u64)
                })
                .collect::<Result<_, _>>()?,
        };
        elems.push(Some(items));
    }
    let data_dropped = vec![false; m.datas.len()];
    inner.instances.push(InstanceEntity {
        module: module.clone(),
        funcs,
        tables,
        memories,
        globals,
        tags,
        elems,
        data_dropped,
        type_ids,
        gc_layouts,
    });
    let instance = Instance(Stored {
        store: inner.id,
        index: instance_index,
    });
    // Active segments, in order; a trap stops instantiation but keeps what
    // was already written (the bulk-memory semantics).
    for (i, seg) in m.elements.iter().enumerate() {
        match &seg.mode {
            ElementMode::Active { table, offset } => {
                let inst = &inner.instances[instance_index as usize];
                let (g, f) = (inst.globals.clone(), inst.funcs.clone());
                let offset = eval_const(inner, module, &offset.range, &g, &f, &[])?;
                let inst = &mut inner.instances[instance_index as usize];
                let items = inst.elems[i].take().unwrap_or_default();
                let table = &mut inner.tables[inst.tables[*table as usize] as usize];
                let offset = segment_offset(offset, table.ty.table64);
                let r = exec::range(
                    offset,
                    items.len() as u64,
                    table.elements.len(),
                    TrapCode::TableOutOfBounds,
                )?;
                table.elements[r].copy_from_slice(&items);
            }
            ElementMode::Declared => {
                inner.instances[instance_index as usize].elems[i] = None;
            }
            ElementMode::Passive => {}
        }
    }
    for (i, seg) in m.datas.iter().enumerate() {
        if let DataMode::Active { memory, offset } = &seg.mode {
            if image.is_some() {
                // Already in place: the image holds every active segment.
                inner.instances[instance_index as usize].data_dropped[i] = true;
                continue;
            }
            let inst = &inner.instances[instance_index as usize];
            let (g, f) = (inst.globals.clone(), inst.funcs.clone());
            let offset = eval_const(inner, module, &offset.range, &g, &f, &[])?;
            let inst = &mut inner.instances[instance_index as usize];
            inst.data_dropped[i] = true;
            let mem = &mut inner.memories[inst.memories[*memory as usize] as usize];
            let bytes = &m.bytes[seg.range.clone()];
            let offset = segment_offset(offset, mem.ty.memory64);
            let r = exec::range(
                offset,
                bytes.len() as u64,
                mem.data.len(),
                TrapCode::MemoryOutOfBounds,
            )?;
            mem.data[r].copy_from_slice(bytes);
        }
    }
    if let Some(start) = m.start {
        tracing::debug!(func = start, "running the start function");
        let f = inner.instances[instance_index as usize].funcs[start as usize];
        exec::invoke(store, f, &[], &mut [])?;
    }
    Ok(instance)
}

/// An active segment's offset from its constant expression's raw bits:
/// an `i64` in a 64-bit memory or table, else an `i32`.
fn segment_offset(raw: u128, is64: bool) -> u64 {
    if is64 {
        raw as u64
    } else {
        u64::from(raw as u32)
    }
}

/// Evaluates a validated constant expression to raw bits.
/// Whether a global of type `actual` satisfies an import of type
/// `expected` (both engine types): the same mutability, and a mutable
/// global's content type the same, an immutable one's a subtype.
fn global_matches(inner: &StoreInner, actual: GlobalType, expected: GlobalType) -> bool {
    if actual == expected {
        return true;
    }
    actual.mutable == expected.mutable
        && !actual.mutable
        && inner
            .engine
            .inner
            .types
            .val_subtype(actual.content, expected.content)
}

fn eval_const(
    inner: &mut StoreInner,
    module: &Module,
    range: &core::ops::Range<usize>,
    globals: &[u32],
    funcs: &[u32],
    gc_layouts: &[u32],
) -> Result<u128, Error> {
    let bytes = &module.binary().bytes;
    let mut r = Reader::new(&bytes[..range.end]);
    r.bytes(range.start).map_err(Error::compile)?;
    let mut ops = OperatorReader::new(r, module.engine().config().features);
    // Validation checked the types; extended-const arithmetic pops two.
    let mut stack: Vec<u128> = Vec::new();
    loop {
        let instr = ops.read().map_err(Error::compile)?;
        if nanowasm_binary::extended_arith(instr.op).is_some() {
            let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else {
                return Err(Error::bug("constant expression stack underflow"));
            };
            let (a32, b32, a64, b64) = (a as u32, b as u32, a as u64, b as u64);
            let v: u128 = match instr.op {
                Opcode::I32Add => a32.wrapping_add(b32).into(),
                Opcode::I32Sub => a32.wrapping_sub(b32).into(),
                Opcode::I32Mul => a32.wrapping_mul(b32).into(),
                Opcode::I64Add => a64.wrapping_add(b64).into(),
                Opcode::I64Sub => a64.wrapping_sub(b64).into(),
                _ => a64.wrapping_mul(b64).into(),
            };
            stack.push(v);
            continue;
        }
        if instr.op.feature() == nanowasm_core::Feature::Gc {
            crate::gc::eval_const_op(inner, instr.op, instr.imm, gc_layouts, &mut stack)?;
            continue;
        }
        let value = match (instr.op, instr.imm) {
            (Opcode::End, _) => {
                return stack
                    .pop()
                    .ok_or_else(|| Error::bug("empty constant expression"));
            }
            (Opcode::I32Const, Imm::I32(v)) => u128::from(v as u32),
            (Opcode::I64Const, Imm::I64(v)) => u128::from(v as u64),
            (Opcode::F32Const, Imm::F32(v)) => u128::from(v),
            (Opcode::F64Const, Imm::F64(v)) => u128::from(v),
            (Opcode::V128Const, Imm::Bytes16(b)) => u128::from_le_bytes(b),
            (Opcode::RefNull, _) => 0,
            (Opcode::RefFunc, Imm::Index(f)) => u128::from(funcs[f as usize]) + 1,
            (Opcode::GlobalGet, Imm::Index(g)) => inner.globals[globals[g as usize] as usize].value,
            (op, _) => {
                return Err(Error::usage(format!(
                    "`{}` in a constant expression",
                    op.name()
                )))
            }
        };
        stack.push(value);
    }
}
