//! Components, their instantiation, and calls across the canonical ABI.
//!
//! Instantiation runs a component's sections in order, as the component
//! model's definitions do: each section adds definitions to the index
//! spaces of the component being instantiated (core modules, core
//! instances, core functions/memories/tables/globals/tags, core types,
//! nested components, component instances, functions, types). Types are
//! resolved as they are defined, so every value type a function uses is
//! a [`Type`] tree with its resources' identities (a component-defined
//! resource is a new type at each instantiation). Imports of the root
//! component come from a [`Linker`]; a nested component's come from its
//! `instantiate`'s arguments.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use nanowasm_runtime::{
    AsContextMut, Engine, Error, Extern, Func as CoreFunc, FuncType as CoreFuncType,
    Instance as CoreInstance, Module, Store, Val as CoreVal,
};

use crate::ast::{
    self, Alias, Builtin, BuiltinKind, Canon, CanonOpt, CoreSort, Decl, DefinedType, Primitive,
    Section, Sort, TypeBound, TypeRef, ValueType,
};

use super::abi::{bits, core_val, Cx, Encoding, Options};
use super::state::{context_get, context_set};
use super::state::{
    may_enter, may_leave, msg, new_instance, reset_context, set_flag, state, trap, ResourceImpl,
    Slot, Task, MAY_ENTER, MAY_LEAVE,
};
use super::types::{
    core_signature, FuncType, ResourceType, Type, MAX_FLAT_ASYNC_PARAMS, MAX_FLAT_PARAMS,
    MAX_FLAT_RESULTS,
};
use super::val::{ResourceAny, Val};

/// A host function of the dynamic API: the store, the arguments, and room
/// for the result.
pub type HostFn<T> = dyn Fn(&mut Store<T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync;
/// A host resource's destructor: the store and the representation.
pub type HostDtor<T> = dyn Fn(&mut Store<T>, u32) -> Result<(), Error> + Send + Sync;

/// A compiled component: decoded, validated, its core modules compiled.
#[derive(Clone)]
pub struct Component {
    inner: Arc<ComponentInner>,
}

struct ComponentInner {
    engine: Engine,
    ast: ast::Component,
    /// The core modules, by where they start in the binary.
    modules: HashMap<usize, Module>,
    /// Compiled fused adapters, by their modules' bytes.
    adapters: super::adapter::AdapterCache,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component").finish_non_exhaustive()
    }
}

impl Component {
    /// Decodes, validates and compiles a component binary.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Component, Error> {
        let bytes = bytes.as_ref();
        let ast = crate::decode_and_validate(bytes)
            .map_err(|e| Error::usage(format!("invalid component: {e}")))?;
        let mut modules = HashMap::new();
        collect_modules(engine, bytes, &ast, &mut modules)?;
        Ok(Component {
            inner: Arc::new(ComponentInner {
                engine: engine.clone(),
                ast,
                modules,
                adapters: Default::default(),
            }),
        })
    }

    /// How many compiled fused adapters instantiations of this component
    /// have made so far (each distinct one once): what tests check to know
    /// which adapter ran.
    #[doc(hidden)]
    pub fn compiled_adapters(&self) -> usize {
        self.inner.adapters.compiled()
    }

    /// Reads and compiles a component binary file.
    pub fn from_file(
        engine: &Engine,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Component, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::usage(format!("failed to read `{}`: {e}", path.display())))?;
        Component::new(engine, bytes)
    }

    /// The engine it was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }
}

fn collect_modules(
    engine: &Engine,
    bytes: &[u8],
    c: &ast::Component,
    out: &mut HashMap<usize, Module>,
) -> Result<(), Error> {
    for s in &c.sections {
        match s {
            Section::CoreModule(m) => {
                let module = Module::new(engine, &bytes[m.range.clone()])?;
                out.insert(m.range.start, module);
            }
            Section::Component(inner) => collect_modules(engine, bytes, inner, out)?,
            _ => {}
        }
    }
    Ok(())
}

/// A component function: lifted from core wasm, or a host function.
#[derive(Clone)]
pub(crate) enum CFunc {
    Lifted(Arc<Lifted>),
    Host {
        f: Arc<dyn Any + Send + Sync>,
        ty: FuncType,
        name: Arc<str>,
    },
}

pub(crate) struct Lifted {
    pub(crate) core: CoreFunc,
    /// `core` with its call checks made once, for the fused adapter.
    pub(crate) core_cells: Option<nanowasm_runtime::CellsFunc>,
    pub(crate) ty: FuncType,
    pub(crate) opts: Options,
    pub(crate) plan: Plan,
}

/// What a call of a function type needs to know, computed once: the
/// parameters as one tuple, the result, and how they flatten.
pub(crate) struct Plan {
    pub(crate) params: Type,
    pub(crate) result: Option<Type>,
    /// The result as a tuple of zero or one value.
    pub(crate) results: Type,
    /// Flat parameter values (1, a pointer, if they spill).
    pub(crate) flat_params: usize,
    pub(crate) params_spill: bool,
    /// Flat result values (1, a pointer, if they spill).
    pub(crate) flat_results: usize,
    pub(crate) results_spill: bool,
    /// Parameters of the `canon lower`ed core function.
    pub(crate) lower_params: usize,
    /// Cells a call of the lifted core function needs.
    pub(crate) core_cells: usize,
    /// Whether lowering the parameters calls the callee's `realloc`.
    pub(crate) params_alloc: bool,
    /// Whether lowering the result calls the caller's `realloc`.
    pub(crate) result_alloc: bool,
    /// `(size, align)` of the parameters' tuple and of the result, in
    /// memory (where they spill).
    pub(crate) params_layout: (u32, u32),
    pub(crate) result_layout: (u32, u32),
}

/// Whether lowering a value of `ty` calls `realloc` (it holds a string
/// or a list).
fn allocates(ty: &Type) -> bool {
    match ty {
        Type::String | Type::List(_) | Type::Map(_) => true,
        Type::FixedList(t, _) => allocates(t),
        Type::Record(_) | Type::Tuple(_) => {
            ty.fields().unwrap_or_default().into_iter().any(allocates)
        }
        Type::Variant(_) | Type::Option(_) | Type::Result(_) => ty
            .cases()
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .any(allocates),
        _ => false,
    }
}

impl Plan {
    pub(crate) fn new(ty: &FuncType) -> Plan {
        let params = Type::Tuple(ty.params.iter().map(|(_, t)| t.clone()).collect());
        let np = params.flat().len();
        let nr = ty.result.as_ref().map_or(0, |t| t.flat().len());
        let (params_spill, results_spill) = (np > MAX_FLAT_PARAMS, nr > MAX_FLAT_RESULTS);
        let flat_params = if params_spill { 1 } else { np };
        let flat_results = if results_spill { 1 } else { nr };
        let params_alloc = params_spill || allocates(&params);
        Plan {
            result: ty.result.clone(),
            results: Type::Tuple(ty.result.iter().cloned().collect()),
            flat_params,
            params_spill,
            flat_results,
            results_spill,
            lower_params: flat_params + results_spill as usize,
            core_cells: flat_params.max(flat_results).max(1),
            params_alloc,
            result_alloc: ty.result.as_ref().is_some_and(allocates),
            params_layout: (params.size(), params.align()),
            result_layout: ty.result.as_ref().map_or((0, 1), |t| (t.size(), t.align())),
            params,
        }
    }
}

impl CFunc {
    fn ty(&self) -> &FuncType {
        match self {
            CFunc::Lifted(l) => &l.ty,
            CFunc::Host { ty, .. } => ty,
        }
    }
}

/// A type definition in a type index space.
#[derive(Clone)]
enum TypeDef {
    Value(Type),
    Func(FuncType),
    Resource(ResourceType),
    /// A component or instance type: declarations, kept to type host
    /// imports.
    Instance(Arc<[Decl]>),
    Component,
    /// A stream or future type (only async built-ins use it).
    Async,
}

/// A nested component's definition: where it is, and the index spaces of
/// its enclosing components when it was defined (for outer aliases).
#[derive(Clone)]
struct ComponentDef {
    root: Arc<ComponentInner>,
    path: Vec<usize>,
    outer: Arc<Outer>,
}

/// The index spaces outer aliases may name: types, core modules, and
/// components, of one enclosing component, and its own enclosing ones.
#[derive(Clone, Default)]
struct Outer {
    types: Vec<TypeDef>,
    modules: Vec<Module>,
    components: Vec<ComponentDef>,
    parent: Option<Arc<Outer>>,
}

/// A definition that can be exported, imported, or passed to
/// `instantiate`.
#[derive(Clone)]
enum Def {
    Func(CFunc),
    Instance(Arc<InstanceVal>),
    Component(ComponentDef),
    Module(Module),
    Type(TypeDef),
}

/// A component instance's exports.
#[derive(Clone, Default)]
struct InstanceVal {
    exports: Vec<(String, Def)>,
}

impl InstanceVal {
    fn get(&self, name: &str) -> Option<&Def> {
        self.exports.iter().find(|(n, _)| n == name).map(|(_, d)| d)
    }
}

/// A core instance: instantiated, or a bundle of exports.
#[derive(Clone)]
enum CoreInst {
    Instance(CoreInstance),
    Bundle(Vec<(String, Extern)>),
}

/// What the embedder provides for imports: functions, instances (maps of
/// names), resource types, core modules and components.
enum Item<T> {
    Func(Arc<HostFn<T>>),
    Instance(BTreeMap<String, Item<T>>),
    Resource(ResourceType, Option<Arc<HostDtor<T>>>),
    Module(Module),
    Component(Component),
}

impl<T> Clone for Item<T> {
    fn clone(&self) -> Self {
        match self {
            Item::Func(f) => Item::Func(f.clone()),
            Item::Instance(m) => Item::Instance(m.clone()),
            Item::Resource(r, d) => Item::Resource(*r, d.clone()),
            Item::Module(m) => Item::Module(m.clone()),
            Item::Component(c) => Item::Component(c.clone()),
        }
    }
}

/// Host definitions for a component's imports, by name: plain names at
/// the root, interface names (`wasi:cli/stdout@0.2.0`) as instances.
pub struct Linker<T> {
    engine: Engine,
    root: BTreeMap<String, Item<T>>,
}

/// The definitions of one instance of a [`Linker`] (or its root).
pub struct LinkerInstance<'a, T> {
    map: &'a mut BTreeMap<String, Item<T>>,
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            root: BTreeMap::new(),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The root: definitions of plain-named imports.
    pub fn root(&mut self) -> LinkerInstance<'_, T> {
        LinkerInstance {
            map: &mut self.root,
        }
    }

    /// The definitions of the instance import `name` (made if new).
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>, Error> {
        self.root().into_instance(name)
    }

    /// Instantiates `component` in `store` with this linker's definitions.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        component: &Component,
    ) -> Result<Instance, Error> {
        let store = store.as_context_mut();
        if !Engine::same(store.engine(), &component.inner.engine) {
            return Err(Error::usage(
                "the component and the store have different engines",
            ));
        }
        let def = ComponentDef {
            root: component.inner.clone(),
            path: Vec::new(),
            outer: Arc::new(Outer::default()),
        };
        let exports = instantiate(store, &def, Args::Linker(&self.root))?;
        Ok(Instance { exports })
    }
}

impl<'a, T: 'static> LinkerInstance<'a, T> {
    /// Defines the function `name`, of the type the importing component
    /// declares, implemented by `f`.
    pub fn func_new(
        &mut self,
        name: &str,
        f: impl Fn(&mut Store<T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<(), Error> {
        self.insert(name, Item::Func(Arc::new(f)))
    }

    /// Defines the resource type `name` as the host type `ty`; `dtor` runs
    /// when a component drops an owned handle of it.
    pub fn resource(
        &mut self,
        name: &str,
        ty: ResourceType,
        dtor: impl Fn(&mut Store<T>, u32) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<(), Error> {
        self.insert(name, Item::Resource(ty, Some(Arc::new(dtor))))
    }

    /// Defines the core module `name`.
    pub fn module(&mut self, name: &str, module: &Module) -> Result<(), Error> {
        self.insert(name, Item::Module(module.clone()))
    }

    /// Defines the component `name`.
    pub fn component(&mut self, name: &str, component: &Component) -> Result<(), Error> {
        self.insert(name, Item::Component(component.clone()))
    }

    /// The definitions of the nested instance `name` (made if new).
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>, Error> {
        let map = &mut *self.map;
        let item = map
            .entry(name.to_string())
            .or_insert_with(|| Item::Instance(BTreeMap::new()));
        match item {
            Item::Instance(m) => Ok(LinkerInstance { map: m }),
            _ => Err(Error::usage(format!(
                "`{name}` is already defined, and not as an instance"
            ))),
        }
    }

    fn into_instance(self, name: &str) -> Result<LinkerInstance<'a, T>, Error> {
        let item = self
            .map
            .entry(name.to_string())
            .or_insert_with(|| Item::Instance(BTreeMap::new()));
        match item {
            Item::Instance(m) => Ok(LinkerInstance { map: m }),
            _ => Err(Error::usage(format!(
                "`{name}` is already defined, and not as an instance"
            ))),
        }
    }

    fn insert(&mut self, name: &str, item: Item<T>) -> Result<(), Error> {
        if self.map.contains_key(name) {
            return Err(Error::usage(format!("`{name}` is already defined")));
        }
        self.map.insert(name.to_string(), item);
        Ok(())
    }
}

/// An instantiated component.
#[derive(Clone)]
pub struct Instance {
    exports: Arc<InstanceVal>,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("exports", &self.export_names())
            .finish()
    }
}

impl Instance {
    /// The exported function `name`.
    pub fn get_func(&self, _store: impl AsContextMut, name: &str) -> Option<Func> {
        match self.exports.get(name)? {
            Def::Func(f) => Some(Func(f.clone())),
            _ => None,
        }
    }

    /// The function `name` of the exported instance `instance` (e.g. an
    /// interface `wasi:cli/run@0.2.0` and its `run`).
    pub fn get_instance_func(
        &self,
        _store: impl AsContextMut,
        instance: &str,
        name: &str,
    ) -> Option<Func> {
        match self.exports.get(instance)? {
            Def::Instance(i) => match i.get(name)? {
                Def::Func(f) => Some(Func(f.clone())),
                _ => None,
            },
            _ => None,
        }
    }

    /// The exported instance `name` (e.g. an interface), as an instance
    /// of its own.
    pub fn get_instance(&self, name: &str) -> Option<Instance> {
        match self.exports.get(name)? {
            Def::Instance(i) => Some(Instance { exports: i.clone() }),
            _ => None,
        }
    }

    /// The names of the exported functions.
    pub fn func_names(&self) -> Vec<String> {
        self.exports
            .exports
            .iter()
            .filter(|(_, d)| matches!(d, Def::Func(_)))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The names of the exported resource types.
    pub fn resource_names(&self) -> Vec<String> {
        self.exports
            .exports
            .iter()
            .filter(|(_, d)| matches!(d, Def::Type(TypeDef::Resource(_))))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The names of the exports.
    pub fn export_names(&self) -> Vec<String> {
        self.exports
            .exports
            .iter()
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The resource type exported as `name`.
    pub fn get_resource(&self, name: &str) -> Option<ResourceType> {
        match self.exports.get(name)? {
            Def::Type(TypeDef::Resource(r)) => Some(*r),
            _ => None,
        }
    }
}

/// A component function.
#[derive(Clone)]
pub struct Func(CFunc);

impl std::fmt::Debug for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Func").field(self.ty()).finish()
    }
}

impl Func {
    /// Its type.
    pub fn ty(&self) -> &FuncType {
        self.0.ty()
    }

    /// Calls it with `params`; its result (if it has one) goes in
    /// `results[0]`. Values are checked against the function's type.
    /// A lifted function's `post-return` runs before this returns.
    pub fn call<T: 'static>(
        &self,
        mut store: impl AsContextMut<Data = T>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<(), Error> {
        let ty = self.0.ty();
        if params.len() != ty.params.len() {
            return Err(Error::usage(format!(
                "expected {} argument(s), got {}",
                ty.params.len(),
                params.len()
            )));
        }
        for (v, (name, t)) in params.iter().zip(ty.params.iter()) {
            if !v.matches(t) {
                return Err(Error::usage(format!(
                    "argument `{name}`: {v:?} is not a value of type `{t}`"
                )));
            }
        }
        let want = ty.result.is_some() as usize;
        if results.len() < want {
            return Err(Error::usage("results buffer too small"));
        }
        let store = store.as_context_mut();
        // A lifted function's instance state lives in its own store: refuse
        // another one before touching any state (the core function's
        // owner check says which store it is).
        if let CFunc::Lifted(l) = &self.0 {
            if l.core.ty(&*store).is_err() {
                return Err(Error::usage(
                    "the component function belongs to another store",
                ));
            }
        }
        let out = call_func(store, &self.0, params)?;
        for (slot, v) in results.iter_mut().zip(out) {
            *slot = v;
        }
        Ok(())
    }
}

impl ResourceAny {
    /// Drops an owned resource the host holds: runs the destructor of its
    /// type (a component's `dtor`), if it has one.
    pub fn resource_drop<T: 'static>(
        self,
        mut store: impl AsContextMut<Data = T>,
    ) -> Result<(), Error> {
        if !self.own {
            return Ok(());
        }
        drop_resource(store.as_context_mut(), self.ty, self.rep, None)
    }
}

/// Calls a component function with component values.
fn call_func<T: 'static>(store: &mut Store<T>, f: &CFunc, args: &[Val]) -> Result<Vec<Val>, Error> {
    match f {
        CFunc::Host { f, ty, name } => {
            let h = f.downcast_ref::<Arc<HostFn<T>>>().ok_or_else(|| {
                Error::usage(format!(
                    "host function `{name}` belongs to a store of another type"
                ))
            })?;
            let mut results = vec![Val::Bool(false); ty.result.is_some() as usize];
            h(store, args, &mut results)?;
            if let (Some(t), Some(v)) = (&ty.result, results.first()) {
                if !v.matches(t) {
                    return Err(Error::usage(format!(
                        "host function `{name}` returned {v:?}, not a value of type `{t}`"
                    )));
                }
            }
            Ok(results)
        }
        CFunc::Lifted(l) => call_lifted(store, l, args),
    }
}

/// `canon lift`: calls a core function with arguments lowered into its
/// instance, and lifts its results.
fn call_lifted<T: 'static>(
    store: &mut Store<T>,
    l: &Lifted,
    args: &[Val],
) -> Result<Vec<Val>, Error> {
    let inst = l.opts.instance;
    if !may_enter(store, inst)? {
        return Err(trap(msg::CANNOT_ENTER));
    }
    set_flag(store, inst, MAY_ENTER, false)?;
    reset_context(store, inst)?;
    let scope = {
        let st = state(store).inst(inst)?;
        st.scopes.push(0);
        st.scopes.len() - 1
    };
    let plan = &l.plan;
    let (core_params, core_results) = core_signature(&l.ty, false, &l.opts);
    let flat = {
        set_flag(store, inst, MAY_LEAVE, false)?;
        let mut cx = Cx {
            store,
            opts: &l.opts,
            lenders: Vec::new(),
            scope,
        };
        let flat = cx.lower_values(args, &plan.params, plan.params_spill, None)?;
        set_flag(store, inst, MAY_LEAVE, true)?;
        flat
    };
    let core_args: Vec<CoreVal> = core_params
        .iter()
        .zip(&flat)
        .map(|(t, b)| core_val(*t, *b))
        .collect();
    let mut core_out: Vec<CoreVal> = core_results.iter().map(|t| core_val(*t, 0)).collect();
    let results = if l.opts.is_async {
        let outer = state(store).inst(inst)?.task.replace(Box::new(Task {
            result: l.ty.result.clone(),
            memory: l.opts.memory,
            encoding: l.opts.encoding,
            returned: None,
        }));
        let ran = run_async(store, l, &core_args, &mut core_out);
        let st = state(store).inst(inst)?;
        let task = std::mem::replace(&mut st.task, outer);
        ran?;
        task.and_then(|t| t.returned)
            .ok_or_else(|| trap("async-lifted export failed to produce a result"))?
    } else {
        l.core.call(&mut *store, &core_args, &mut core_out)?;
        let flat_results: Vec<u64> = core_out.iter().map(bits).collect();
        let mut cx = Cx {
            store,
            opts: &l.opts,
            lenders: Vec::new(),
            scope,
        };
        cx.lift_values(&plan.results, &flat_results, plan.results_spill)?
    };
    if let Some(pr) = l.opts.post_return {
        set_flag(store, inst, MAY_LEAVE, false)?;
        pr.call(&mut *store, &core_out, &mut [])?;
        set_flag(store, inst, MAY_LEAVE, true)?;
    }
    set_flag(store, inst, MAY_ENTER, true)?;
    let left = state(store).inst(inst)?.scopes.pop().unwrap_or(0);
    if left != 0 {
        return Err(trap("borrow handles still remain at the end of the call"));
    }
    Ok(results)
}

/// The callback codes an async-lifted export returns (`CallbackCode`).
const CALLBACK_EXIT: u32 = 0;
const CALLBACK_YIELD: u32 = 1;
const CALLBACK_WAIT: u32 = 2;

/// Runs an async-lifted export's core function to its end. Without a
/// callback (stackful) that is the one call. With a callback, the code it
/// returns says what next: `EXIT` ends the task. `YIELD` (let other tasks
/// run, then call back) and `WAIT` (call back on an event of a waitable
/// set) both keep the task alive past this call, waiting for other tasks
/// to make progress; without concurrent tasks nothing else ever runs, so
/// both trap as not supported (a yield loop would otherwise spin forever
/// on the caller's stack).
fn run_async<T: 'static>(
    store: &mut Store<T>,
    l: &Lifted,
    core_args: &[CoreVal],
    core_out: &mut [CoreVal],
) -> Result<(), Error> {
    l.core.call(&mut *store, core_args, core_out)?;
    if l.opts.callback.is_none() {
        return Ok(());
    }
    let code = core_out.first().map_or(0, bits) as u32;
    match code & 0xf {
        CALLBACK_EXIT => Ok(()),
        CALLBACK_YIELD => Err(trap(
            "async task yielded, and running other tasks concurrently is not supported yet",
        )),
        CALLBACK_WAIT => Err(trap(format!(
            "async task waits on waitable set {}, and waiting is not supported yet",
            code >> 4
        ))),
        c => Err(trap(format!("unsupported callback code: {c}"))),
    }
}

/// `canon lower`: a core function that lifts its arguments from the
/// caller's memory, calls `callee`, and lowers its results back.
fn lower_func<T: 'static>(
    store: &mut Store<T>,
    callee: CFunc,
    opts: Options,
    adapters: &super::adapter::AdapterCache,
) -> Result<CoreFunc, Error> {
    let (params, results) = core_signature(callee.ty(), true, &opts);
    let core_ty = CoreFuncType::new(params.iter().copied(), results.iter().copied());
    let nparams = params.len();
    // The host path's layout, worked out once (the fused path has the
    // callee's own plan).
    let plan = Plan::new(callee.ty());
    // An async lower spills its parameters past 4 flat values and always
    // writes its result through the pointer after them.
    let params_spill = if opts.is_async {
        plan.params.flat().len() > MAX_FLAT_ASYNC_PARAMS
    } else {
        plan.params_spill
    };
    let results_spill = plan.results_spill || opts.is_async;
    // A fused call copies from memory to memory; an async caller or callee
    // goes through component values instead.
    let fused = match &callee {
        CFunc::Lifted(l) if !opts.is_async && !l.opts.is_async => Some(l.clone()),
        _ => None,
    };
    if let Some(l) = &fused {
        // A compiled adapter where its types allow and the engine compiles.
        if let Some(f) = super::adapter::compiled(store, adapters, &opts, (&params, &results), l) {
            return Ok(f);
        }
    }
    CoreFunc::new_cells(&mut *store, core_ty, move |mut caller, cells| {
        let store = caller.as_context_mut();
        let inst = opts.instance;
        if !may_leave(store, inst)? {
            return Err(trap(msg::CANNOT_LEAVE));
        }
        if let Some(l) = &fused {
            return super::fused::call(store, &opts, l, cells);
        }
        let flat = &cells[..nparams];
        let mut cx = Cx {
            store,
            opts: &opts,
            lenders: Vec::new(),
            scope: 0,
        };
        let vals = cx.lift_values(&plan.params, flat, params_spill)?;
        let lenders = std::mem::take(&mut cx.lenders);
        let results = call_func(store, &callee, &vals)?;
        let out_ptr = if results_spill && plan.result.is_some() {
            flat.last().map(|b| *b as u32)
        } else {
            None
        };
        set_flag(store, inst, MAY_LEAVE, false)?;
        let mut cx = Cx {
            store,
            opts: &opts,
            lenders,
            scope: 0,
        };
        let flat_out = cx.lower_values(&results, &plan.results, out_ptr.is_some(), out_ptr)?;
        cx.finish_lower()?;
        set_flag(store, inst, MAY_LEAVE, true)?;
        if opts.is_async {
            // The callee ran to its end: the subtask is `RETURNED` at once,
            // and no subtask handle is made.
            cells[0] = SUBTASK_RETURNED;
        } else if !results_spill {
            cells[..flat_out.len()].copy_from_slice(&flat_out);
        }
        Ok(())
    })
}

/// The state an async-lowered call returns when its callee already
/// returned (`Subtask.State.RETURNED`).
const SUBTASK_RETURNED: u64 = 2;

/// Where a component's imports come from.
enum Args<'a, T> {
    Linker(&'a BTreeMap<String, Item<T>>),
    Defs(Vec<(String, Def)>),
}

/// The index spaces of the component being instantiated.
#[derive(Default)]
struct Scope {
    core_funcs: Vec<Extern>,
    core_tables: Vec<Extern>,
    core_memories: Vec<Extern>,
    core_globals: Vec<Extern>,
    core_tags: Vec<Extern>,
    core_instances: Vec<CoreInst>,
    modules: Vec<Module>,
    funcs: Vec<CFunc>,
    instances: Vec<Arc<InstanceVal>>,
    components: Vec<ComponentDef>,
    types: Vec<TypeDef>,
}

fn missing(what: &str, i: u32) -> Error {
    Error::link(format!("{what} index {i} out of bounds"))
}

impl Scope {
    fn core_space(&mut self, sort: CoreSort) -> Option<&mut Vec<Extern>> {
        Some(match sort {
            CoreSort::Func => &mut self.core_funcs,
            CoreSort::Table => &mut self.core_tables,
            CoreSort::Memory => &mut self.core_memories,
            CoreSort::Global => &mut self.core_globals,
            CoreSort::Tag => &mut self.core_tags,
            _ => return None,
        })
    }

    fn core(&mut self, sort: CoreSort, i: u32) -> Result<Extern, Error> {
        self.core_space(sort)
            .and_then(|s| s.get(i as usize).cloned())
            .ok_or_else(|| missing(Sort::Core(sort).desc(), i))
    }

    fn core_func(&mut self, i: u32) -> Result<CoreFunc, Error> {
        match self.core(CoreSort::Func, i)? {
            Extern::Func(f) => Ok(f),
            _ => Err(missing("core func", i)),
        }
    }

    fn ty(&self, i: u32) -> Result<&TypeDef, Error> {
        self.types.get(i as usize).ok_or_else(|| missing("type", i))
    }

    fn value_type(&self, v: &ValueType) -> Result<Type, Error> {
        match v {
            ValueType::Primitive(p) => Ok(primitive(*p)),
            ValueType::Type(i) => match self.ty(*i)? {
                TypeDef::Value(t) => Ok(t.clone()),
                _ => Err(Error::link(format!("type index {i} is not a value type"))),
            },
        }
    }

    fn resource(&self, i: u32) -> Result<ResourceType, Error> {
        match self.ty(i)? {
            TypeDef::Resource(r) => Ok(*r),
            _ => Err(Error::link(format!(
                "type index {i} is not a resource type"
            ))),
        }
    }

    fn defined(&self, d: &DefinedType) -> Result<Type, Error> {
        let vt = |v: &ValueType| self.value_type(v);
        let opt = |v: &Option<ValueType>| v.as_ref().map(|v| self.value_type(v)).transpose();
        Ok(match d {
            DefinedType::Primitive(p) => primitive(*p),
            DefinedType::Record(fs) => Type::Record(
                fs.iter()
                    .map(|(l, t)| Ok((l.clone(), vt(t)?)))
                    .collect::<Result<_, Error>>()?,
            ),
            DefinedType::Variant(cs) => Type::Variant(
                cs.iter()
                    .map(|c| Ok((c.name.clone(), opt(&c.ty)?)))
                    .collect::<Result<_, Error>>()?,
            ),
            DefinedType::List(t) => Type::List(Arc::new(vt(t)?)),
            DefinedType::Map(k, v) => Type::Map(Arc::new((vt(k)?, vt(v)?))),
            DefinedType::FixedList(t, n) => Type::FixedList(Arc::new(vt(t)?), *n),
            DefinedType::Tuple(ts) => Type::Tuple(ts.iter().map(vt).collect::<Result<_, Error>>()?),
            DefinedType::Flags(ls) => Type::Flags(ls.iter().cloned().collect()),
            DefinedType::Enum(ls) => Type::Enum(ls.iter().cloned().collect()),
            DefinedType::Option(t) => Type::Option(Arc::new(vt(t)?)),
            DefinedType::Result { ok, err } => Type::Result(Arc::new((opt(ok)?, opt(err)?))),
            DefinedType::Own(i) => Type::Own(self.resource(*i)?),
            DefinedType::Borrow(i) => Type::Borrow(self.resource(*i)?),
            DefinedType::Stream(_) | DefinedType::Future(_) => {
                return Err(Error::link(
                    "streams and futures (async) are not supported yet as value types",
                ))
            }
        })
    }

    /// A defined type's definition: a stream or future type may be
    /// defined (the async built-ins name it), not used as a value.
    fn defined_def(&self, d: &DefinedType) -> Result<TypeDef, Error> {
        Ok(match d {
            DefinedType::Stream(_) | DefinedType::Future(_) => TypeDef::Async,
            d => TypeDef::Value(self.defined(d)?),
        })
    }

    fn func_type(&self, ft: &ast::FuncType) -> Result<FuncType, Error> {
        Ok(FuncType {
            params: ft
                .params
                .iter()
                .map(|(n, t)| Ok((n.clone(), self.value_type(t)?)))
                .collect::<Result<_, Error>>()?,
            result: ft.result.as_ref().map(|t| self.value_type(t)).transpose()?,
        })
    }

    /// A type definition that needs no instantiation-time identity (every
    /// kind but a resource type, which the caller makes).
    fn declared_type(&self, t: &ast::Type) -> Result<TypeDef, Error> {
        Ok(match t {
            ast::Type::Defined { ty, .. } => self.defined_def(ty)?,
            ast::Type::Func { ty, .. } => TypeDef::Func(self.func_type(ty)?),
            ast::Type::Instance { decls, .. } => TypeDef::Instance(decls.clone().into()),
            ast::Type::Component { .. } => TypeDef::Component,
            ast::Type::Resource { .. } => {
                return Err(Error::bug("a resource type has an identity of its own"))
            }
        })
    }

    fn func_type_at(&self, i: u32) -> Result<FuncType, Error> {
        match self.ty(i)? {
            TypeDef::Func(f) => Ok(f.clone()),
            _ => Err(Error::link(format!(
                "type index {i} is not a function type"
            ))),
        }
    }

    fn push_def(&mut self, sort: Sort, d: Def) -> Result<(), Error> {
        match (sort, d) {
            (Sort::Func, Def::Func(f)) => self.funcs.push(f),
            (Sort::Instance, Def::Instance(i)) => self.instances.push(i),
            (Sort::Component, Def::Component(c)) => self.components.push(c),
            (Sort::Core(CoreSort::Module), Def::Module(m)) => self.modules.push(m),
            (Sort::Type, Def::Type(t)) => self.types.push(t),
            (sort, _) => return Err(Error::link(format!("expected a {}", sort.desc()))),
        }
        Ok(())
    }

    fn def(&self, sort: Sort, i: u32) -> Result<Def, Error> {
        let m = || missing(sort.desc(), i);
        let i = i as usize;
        Ok(match sort {
            Sort::Func => Def::Func(self.funcs.get(i).ok_or_else(m)?.clone()),
            Sort::Instance => Def::Instance(self.instances.get(i).ok_or_else(m)?.clone()),
            Sort::Component => Def::Component(self.components.get(i).ok_or_else(m)?.clone()),
            Sort::Core(CoreSort::Module) => Def::Module(self.modules.get(i).ok_or_else(m)?.clone()),
            Sort::Type => Def::Type(self.types.get(i).ok_or_else(m)?.clone()),
            _ => {
                return Err(Error::link(format!(
                    "{} definitions are not supported",
                    sort.desc()
                )))
            }
        })
    }

    fn snapshot(&self, parent: &Arc<Outer>) -> Arc<Outer> {
        Arc::new(Outer {
            types: self.types.clone(),
            modules: self.modules.clone(),
            components: self.components.clone(),
            parent: Some(parent.clone()),
        })
    }
}

fn primitive(p: Primitive) -> Type {
    match p {
        Primitive::Bool => Type::Bool,
        Primitive::S8 => Type::S8,
        Primitive::U8 => Type::U8,
        Primitive::S16 => Type::S16,
        Primitive::U16 => Type::U16,
        Primitive::S32 => Type::S32,
        Primitive::U32 => Type::U32,
        Primitive::S64 => Type::S64,
        Primitive::U64 => Type::U64,
        Primitive::F32 => Type::Float32,
        Primitive::F64 => Type::Float64,
        Primitive::Char => Type::Char,
        Primitive::String => Type::String,
    }
}

fn outer_at(outer: &Arc<Outer>, count: u32) -> Result<&Outer, Error> {
    let mut o: &Arc<Outer> = outer;
    for _ in 1..count {
        o = o
            .parent
            .as_ref()
            .ok_or_else(|| Error::link("outer alias count out of bounds"))?;
    }
    Ok(o)
}

/// Instantiates the component `def` with `args`; returns its exports.
fn instantiate<T: 'static>(
    store: &mut Store<T>,
    def: &ComponentDef,
    args: Args<'_, T>,
) -> Result<Arc<InstanceVal>, Error> {
    let mut c: &ast::Component = &def.root.ast;
    for &i in &def.path {
        match c.sections.get(i) {
            Some(Section::Component(inner)) => c = inner,
            _ => return Err(Error::bug("bad nested component path")),
        }
    }
    let inst = new_instance(store)?;
    let mut sc = Scope::default();
    let mut exports = InstanceVal::default();
    for (si, section) in c.sections.iter().enumerate() {
        match section {
            Section::Custom { .. } => {}
            Section::CoreModule(m) => {
                let module = def
                    .root
                    .modules
                    .get(&m.range.start)
                    .ok_or_else(|| Error::bug("core module not compiled"))?;
                sc.modules.push(module.clone());
            }
            Section::CoreInstances(list) => {
                for ci in list {
                    let v = core_instance(store, &mut sc, ci)?;
                    sc.core_instances.push(v);
                }
            }
            Section::CoreTypes(list) => {
                // Core types only type modules and functions; the runtime
                // does not need them (the validator checked their uses).
                let _ = list;
            }
            Section::Component(_) => {
                let mut path = def.path.clone();
                path.push(si);
                sc.components.push(ComponentDef {
                    root: def.root.clone(),
                    path,
                    outer: sc.snapshot(&def.outer),
                });
            }
            Section::Instances(list) => {
                for i in list {
                    let v = match i {
                        ast::Instance::Instantiate {
                            component, args, ..
                        } => {
                            let cdef = sc
                                .components
                                .get(*component as usize)
                                .cloned()
                                .ok_or_else(|| missing("component", *component))?;
                            let mut defs = Vec::with_capacity(args.len());
                            for (name, sort, idx) in args {
                                defs.push((name.clone(), sc.def(*sort, *idx)?));
                            }
                            instantiate(store, &cdef, Args::Defs(defs))?
                        }
                        ast::Instance::FromExports { exports, .. } => {
                            let mut v = InstanceVal::default();
                            for (name, sort, idx) in exports {
                                v.exports.push((name.name.clone(), sc.def(*sort, *idx)?));
                            }
                            Arc::new(v)
                        }
                    };
                    sc.instances.push(v);
                }
            }
            Section::Aliases(list) => {
                for a in list {
                    alias(store, &mut sc, &def.outer, a)?;
                }
            }
            Section::Types(list) => {
                for t in list {
                    let td = type_def(store, &mut sc, inst, t)?;
                    sc.types.push(td);
                }
            }
            Section::Canons(list) => {
                for cn in list {
                    canon(store, &mut sc, inst, cn, &def.root.adapters)?;
                }
            }
            Section::Start(s) => {
                if !s.args.is_empty() || s.results != 0 {
                    return Err(Error::link("start functions with values are not supported"));
                }
                let f = sc
                    .funcs
                    .get(s.func as usize)
                    .cloned()
                    .ok_or_else(|| missing("func", s.func))?;
                call_func(store, &f, &[])?;
            }
            Section::Imports(list) => {
                for im in list {
                    let d = import(store, &mut sc, &args, im)?;
                    sc.push_def(im.ty.sort(), d)?;
                }
            }
            Section::Exports(list) => {
                for e in list {
                    let d = sc.def(e.sort, e.index)?;
                    exports.exports.push((e.name.name.clone(), d.clone()));
                    sc.push_def(e.sort, d)?;
                }
            }
        }
    }
    Ok(Arc::new(exports))
}

fn core_instance<T>(
    store: &mut Store<T>,
    sc: &mut Scope,
    ci: &ast::CoreInstance,
) -> Result<CoreInst, Error> {
    match ci {
        ast::CoreInstance::Instantiate { module, args, .. } => {
            let m = sc
                .modules
                .get(*module as usize)
                .cloned()
                .ok_or_else(|| missing("module", *module))?;
            let mut imports = Vec::new();
            for im in m.imports() {
                let (_, arg) = args.iter().find(|(n, _)| n == im.module()).ok_or_else(|| {
                    Error::link(format!(
                        "missing module instantiation argument named `{}`",
                        im.module()
                    ))
                })?;
                let ci = sc
                    .core_instances
                    .get(*arg as usize)
                    .ok_or_else(|| missing("core instance", *arg))?;
                let e = core_export(store, ci, im.name()).ok_or_else(|| {
                    Error::link(format!(
                        "module instantiation argument `{}` does not export `{}`",
                        im.module(),
                        im.name()
                    ))
                })?;
                imports.push(e);
            }
            Ok(CoreInst::Instance(CoreInstance::new(
                &mut *store,
                &m,
                &imports,
            )?))
        }
        ast::CoreInstance::FromExports { exports, .. } => {
            let mut v = Vec::with_capacity(exports.len());
            for (name, sort, idx) in exports {
                v.push((name.clone(), sc.core(*sort, *idx)?));
            }
            Ok(CoreInst::Bundle(v))
        }
    }
}

fn core_export<T>(store: &Store<T>, ci: &CoreInst, name: &str) -> Option<Extern> {
    match ci {
        CoreInst::Instance(i) => i.get_export(store, name),
        CoreInst::Bundle(v) => v.iter().find(|(n, _)| n == name).map(|(_, e)| *e),
    }
}

fn alias<T>(store: &Store<T>, sc: &mut Scope, outer: &Arc<Outer>, a: &Alias) -> Result<(), Error> {
    match a {
        Alias::CoreInstanceExport {
            sort,
            instance,
            name,
            ..
        } => {
            let ci = sc
                .core_instances
                .get(*instance as usize)
                .ok_or_else(|| missing("core instance", *instance))?;
            let e = core_export(store, ci, name).ok_or_else(|| {
                Error::link(format!("core instance {instance} has no export `{name}`"))
            })?;
            sc.core_space(*sort)
                .ok_or_else(|| Error::link("bad core alias sort"))?
                .push(e);
        }
        Alias::InstanceExport {
            sort,
            instance,
            name,
            ..
        } => {
            let i = sc
                .instances
                .get(*instance as usize)
                .cloned()
                .ok_or_else(|| missing("instance", *instance))?;
            let d = i.get(name).cloned().ok_or_else(|| {
                Error::link(format!("instance {instance} has no export `{name}`"))
            })?;
            sc.push_def(*sort, d)?;
        }
        Alias::Outer {
            sort, count, index, ..
        } => {
            if *sort == Sort::Core(CoreSort::Type) {
                // The runtime keeps no core types (see `Section::CoreTypes`).
                return Ok(());
            }
            let d = if *count == 0 {
                sc.def(*sort, *index)?
            } else {
                let o = outer_at(outer, *count)?;
                let m = || missing(sort.desc(), *index);
                match sort {
                    Sort::Type => Def::Type(o.types.get(*index as usize).cloned().ok_or_else(m)?),
                    Sort::Core(CoreSort::Module) => {
                        Def::Module(o.modules.get(*index as usize).cloned().ok_or_else(m)?)
                    }
                    Sort::Component => {
                        Def::Component(o.components.get(*index as usize).cloned().ok_or_else(m)?)
                    }
                    _ => return Err(Error::link(format!("outer alias of a {}", sort.desc()))),
                }
            };
            sc.push_def(*sort, d)?;
        }
    }
    Ok(())
}

fn type_def<T>(
    store: &mut Store<T>,
    sc: &mut Scope,
    inst: u32,
    t: &ast::Type,
) -> Result<TypeDef, Error> {
    if let ast::Type::Resource { dtor, .. } = t {
        let rt = ResourceType::fresh();
        let dtor = dtor.map(|d| sc.core_func(d)).transpose()?;
        state(store).resources.insert(
            rt,
            ResourceImpl {
                instance: inst,
                dtor,
            },
        );
        return Ok(TypeDef::Resource(rt));
    }
    sc.declared_type(t)
}

fn options<T>(
    sc: &mut Scope,
    inst: u32,
    opts: &[CanonOpt],
    store: &mut Store<T>,
) -> Result<Options, Error> {
    let mut o = Options {
        instance: inst,
        ..Options::default()
    };
    for opt in opts {
        match *opt {
            CanonOpt::Utf8 => o.encoding = Encoding::Utf8,
            CanonOpt::Utf16 => o.encoding = Encoding::Utf16,
            CanonOpt::CompactUtf16 => o.encoding = Encoding::Latin1Utf16,
            CanonOpt::Memory(i) => match sc.core(CoreSort::Memory, i)? {
                Extern::Memory(m) => o.memory = Some(m),
                _ => return Err(missing("core memory", i)),
            },
            CanonOpt::Realloc(i) => o.realloc = Some(sc.core_func(i)?),
            CanonOpt::PostReturn(i) => o.post_return = Some(sc.core_func(i)?),
            CanonOpt::Async => o.is_async = true,
            CanonOpt::Callback(i) => o.callback = Some(sc.core_func(i)?),
        }
    }
    o.prepare(store);
    Ok(o)
}

fn canon<T: 'static>(
    store: &mut Store<T>,
    sc: &mut Scope,
    inst: u32,
    c: &Canon,
    adapters: &super::adapter::AdapterCache,
) -> Result<(), Error> {
    use nanowasm_runtime::ValType::I32;
    match c {
        Canon::Lift {
            core_func,
            opts,
            ty,
            ..
        } => {
            let core = sc.core_func(*core_func)?;
            let ty = sc.func_type_at(*ty)?;
            let opts = options(sc, inst, opts, store)?;
            sc.funcs.push(CFunc::Lifted(Arc::new(Lifted {
                plan: Plan::new(&ty),
                core_cells: core.cells_func(&*store).ok(),
                core,
                ty,
                opts,
            })));
        }
        Canon::Lower { func, opts, .. } => {
            let callee = sc
                .funcs
                .get(*func as usize)
                .cloned()
                .ok_or_else(|| missing("func", *func))?;
            let opts = options(sc, inst, opts, store)?;
            let f = lower_func(store, callee, opts, adapters)?;
            sc.core_funcs.push(Extern::Func(f));
        }
        Canon::ResourceNew { ty, .. } => {
            let rt = sc.resource(*ty)?;
            let f = CoreFunc::new(
                &mut *store,
                CoreFuncType::new([I32], [I32]),
                move |mut caller, args, out| {
                    let store = caller.as_context_mut();
                    if !may_leave(store, inst)? {
                        return Err(trap(msg::CANNOT_LEAVE));
                    }
                    let st = state(store).inst(inst)?;
                    let rep = bits(&args[0]) as u32;
                    let i = st.insert(Slot::Own {
                        ty: rt,
                        rep,
                        lends: 0,
                    })?;
                    out[0] = CoreVal::I32(i as i32);
                    Ok(())
                },
            );
            sc.core_funcs.push(Extern::Func(f));
        }
        Canon::ResourceRep { ty, .. } => {
            let rt = sc.resource(*ty)?;
            let f = CoreFunc::new(
                &mut *store,
                CoreFuncType::new([I32], [I32]),
                move |mut caller, args, out| {
                    let st = state(caller.as_context_mut()).inst(inst)?;
                    let i = bits(&args[0]) as u32;
                    let rep = match st.get(i, rt)? {
                        Slot::Own { rep, .. } | Slot::Borrow { rep, .. } => *rep,
                        Slot::Free => return Err(trap(format!("unknown handle index {i}"))),
                    };
                    out[0] = CoreVal::I32(rep as i32);
                    Ok(())
                },
            );
            sc.core_funcs.push(Extern::Func(f));
        }
        Canon::ResourceDrop { ty, .. } => {
            let rt = sc.resource(*ty)?;
            let f = CoreFunc::new(
                &mut *store,
                CoreFuncType::new([I32], []),
                move |mut caller, args, _out| {
                    let store = caller.as_context_mut();
                    let i = bits(&args[0]) as u32;
                    if !may_leave(store, inst)? {
                        return Err(trap(msg::CANNOT_LEAVE));
                    }
                    let st = state(store).inst(inst)?;
                    let own = matches!(st.get(i, rt)?, Slot::Own { .. });
                    let rep = st.remove(i, rt, own)?;
                    if own {
                        drop_resource::<T>(store, rt, rep, Some(inst))?;
                    }
                    Ok(())
                },
            );
            sc.core_funcs.push(Extern::Func(f));
        }
        Canon::Builtin(b) => {
            let f = builtin(store, sc, inst, b)?;
            sc.core_funcs.push(Extern::Func(f));
        }
    }
    Ok(())
}

/// The core function of an async, thread or error-context built-in. Those
/// with a meaning in a synchronous instance work (`context.get`/`set` on
/// the task's slots, `backpressure.inc`/`dec` as a counter,
/// `thread.yield` with no other thread to run, `thread.index` of the one
/// implicit thread); the others need async tasks, streams, futures or
/// waitable sets and trap as not supported. All but `context.*` and
/// `backpressure.*` first refuse an instance that may not leave (during
/// `post-return` or its `realloc`), as the spec orders.
fn builtin<T: 'static>(
    store: &mut Store<T>,
    sc: &mut Scope,
    inst: u32,
    b: &Builtin,
) -> Result<CoreFunc, Error> {
    use nanowasm_runtime::ValType::{I32, I64};
    use BuiltinKind::*;
    let kind = b.kind;
    // `task.return`: the result type it names, the options it lifts that
    // result with, and that result as a tuple of flat values or spilled.
    let ret = match kind {
        TaskReturn => {
            let ty = b.result.as_ref().map(|t| sc.value_type(t)).transpose()?;
            let opts = options(sc, inst, &b.opts, store)?;
            let tuple = Type::Tuple(ty.iter().cloned().collect());
            let spill = tuple.flat().len() > MAX_FLAT_PARAMS;
            Some(Arc::new((ty, opts, tuple, spill)))
        }
        _ => None,
    };
    let (params, results) = match kind {
        BackpressureInc | BackpressureDec | TaskCancel => (vec![], vec![]),
        TaskReturn => match &ret {
            Some(r) if r.3 => (vec![I32], vec![]),
            Some(r) => (r.2.flat(), vec![]),
            None => return Err(Error::bug("task.return without its type")),
        },
        ContextGet | WaitableSetNew | ThreadIndex | ThreadYield | ThreadSuspend => {
            (vec![], vec![I32])
        }
        ThreadResumeLater => (vec![I32], vec![]),
        ThreadSuspendThenResume
        | ThreadYieldThenResume
        | ThreadSuspendThenPromote
        | ThreadYieldThenPromote => (vec![I32], vec![I32]),
        ContextSet | SubtaskDrop | WaitableSetDrop | ErrorContextDrop => (vec![I32], vec![]),
        StreamDropReadable | StreamDropWritable | FutureDropReadable | FutureDropWritable => {
            (vec![I32], vec![])
        }
        SubtaskCancel | StreamCancelRead | StreamCancelWrite | FutureCancelRead
        | FutureCancelWrite => (vec![I32], vec![I32]),
        StreamNew | FutureNew => (vec![], vec![I64]),
        StreamRead | StreamWrite => (vec![I32, I32, I32], vec![I32]),
        FutureRead | FutureWrite | WaitableSetWait | WaitableSetPoll | ThreadNewIndirect => {
            (vec![I32, I32], vec![I32])
        }
        ErrorContextNew => (vec![I32, I32], vec![I32]),
        ErrorContextDebugMessage | WaitableJoin => (vec![I32, I32], vec![]),
    };
    let slot = b.context.map_or(0, |c| c.1) as usize;
    if slot > 1 {
        return Err(Error::bug("a context slot past 1 was validated"));
    }
    Ok(CoreFunc::new(
        &mut *store,
        CoreFuncType::new(params, results),
        move |mut caller, args, out| {
            let store = caller.as_context_mut();
            match kind {
                ContextGet => {
                    out[0] = CoreVal::I32(context_get(store, inst, slot)?);
                    return Ok(());
                }
                ContextSet => {
                    return context_set(store, inst, slot, bits(&args[0]) as i32);
                }
                _ => {}
            }
            let leave = may_leave(store, inst)?;
            let st = state(store).inst(inst)?;
            match kind {
                BackpressureInc => {
                    st.backpressure = st
                        .backpressure
                        .checked_add(1)
                        .ok_or_else(|| trap("backpressure counter overflow"))?;
                    return Ok(());
                }
                BackpressureDec => {
                    st.backpressure = st
                        .backpressure
                        .checked_sub(1)
                        .ok_or_else(|| trap("backpressure counter underflow"))?;
                    return Ok(());
                }
                _ => {}
            }
            if !leave {
                return Err(trap(msg::CANNOT_LEAVE));
            }
            match kind {
                // No other thread is ever ready: yielding returns at once,
                // not cancelled.
                ThreadYield => out[0] = CoreVal::I32(0),
                // The implicit thread of a synchronous call.
                ThreadIndex => out[0] = CoreVal::I32(0),
                TaskReturn => {
                    let Some(ret) = &ret else {
                        return Err(Error::bug("task.return without its type"));
                    };
                    let (ty, opts, tuple, spill) = &**ret;
                    let ok = st.task.as_ref().is_some_and(|t| {
                        t.result == *ty && t.memory == opts.memory && t.encoding == opts.encoding
                    });
                    if !ok {
                        return Err(trap(
                            "invalid `task.return` signature and/or options for current task",
                        ));
                    }
                    if st.task.as_ref().is_some_and(|t| t.returned.is_some()) {
                        return Err(trap("`task.return` called more than once"));
                    }
                    let scope = st.scopes.len().saturating_sub(1);
                    let flat: Vec<u64> = args.iter().map(bits).collect();
                    let store = caller.as_context_mut();
                    let mut cx = Cx {
                        store,
                        opts,
                        lenders: Vec::new(),
                        scope,
                    };
                    let vals = cx.lift_values(tuple, &flat, *spill)?;
                    if let Some(t) = state(store).inst(inst)?.task.as_mut() {
                        t.returned = Some(vals);
                    }
                }
                TaskCancel => {
                    return Err(trap(
                        "`task.cancel` needs a cancelled async task, and cancellation is not \
                         supported yet",
                    ))
                }
                _ => {
                    return Err(trap(format!(
                        "async built-in `{}` is not supported yet",
                        kind.name()
                    )))
                }
            }
            Ok(())
        },
    ))
}

/// Runs the destructor of an owned resource `rep` of type `rt`, dropped
/// by the component instance `by` (`None`: by the host). A destructor of
/// another instance than the dropper's is a call into it, refused while
/// that instance is on the stack.
fn drop_resource<T: 'static>(
    store: &mut Store<T>,
    rt: ResourceType,
    rep: u32,
    by: Option<u32>,
) -> Result<(), Error> {
    let imp = state(store).resources.get(&rt).cloned();
    if let Some(ResourceImpl {
        instance,
        dtor: Some(d),
    }) = imp
    {
        if instance != u32::MAX && Some(instance) != by && !may_enter(store, instance)? {
            return Err(trap(msg::CANNOT_ENTER));
        }
        d.call(&mut *store, &[CoreVal::I32(rep as i32)], &mut [])?;
    }
    Ok(())
}

/// Resolves one import of the component being instantiated.
fn import<T: 'static>(
    store: &mut Store<T>,
    sc: &mut Scope,
    args: &Args<'_, T>,
    im: &ast::Import,
) -> Result<Def, Error> {
    let name = &im.name.name;
    match args {
        Args::Defs(defs) => {
            let d = defs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, d)| d.clone())
                .ok_or_else(|| Error::link(format!("missing import named `{name}`")))?;
            if let (TypeRef::Func(ti), Def::Func(f)) = (&im.ty, &d) {
                let want = sc.func_type_at(*ti)?;
                if &want != f.ty() {
                    return Err(Error::link(format!("import `{name}`: type mismatch")));
                }
            }
            Ok(d)
        }
        Args::Linker(_) if matches!(im.ty, TypeRef::Type(TypeBound::Eq(_))) => {
            // A type import bounded by equality is that type: the host
            // has nothing to give (as in wasmtime).
            let TypeRef::Type(TypeBound::Eq(i)) = im.ty else {
                return Err(Error::bug("checked above"));
            };
            Ok(Def::Type(sc.ty(i)?.clone()))
        }
        Args::Linker(map) => {
            let item = linker_get(map, name)
                .ok_or_else(|| Error::link(format!("component imports `{name}`, but a matching implementation was not found in the linker")))?;
            let types = sc.types.clone();
            let outer = Arc::new(Outer {
                types,
                ..Outer::default()
            });
            link_item(store, sc, &outer, item, &im.ty, name)
        }
    }
}

/// The linker's definition for the import `name`: the one of that exact
/// name, else (as wasmtime does) one of the same interface at a
/// semver-compatible version, the highest: `a:b/c@1.2.3` matches any
/// `a:b/c@1.*`, `a:b/c@0.2.1` any `a:b/c@0.2.*` (a `0.0.x` version only
/// itself). Versions with pre-release or build parts match only exactly.
fn linker_get<'m, T>(map: &'m BTreeMap<String, Item<T>>, name: &str) -> Option<&'m Item<T>> {
    if let Some(item) = map.get(name) {
        return Some(item);
    }
    fn split(name: &str) -> Option<(&str, [u64; 3])> {
        let (base, v) = name.split_once('@')?;
        let mut parts = v.split('.');
        let mut out = [0u64; 3];
        for slot in &mut out {
            *slot = parts.next()?.parse().ok()?;
        }
        parts.next().is_none().then_some((base, out))
    }
    let (base, v) = split(name)?;
    if v[0] == 0 && v[1] == 0 {
        return None;
    }
    let key = |v: [u64; 3]| match v {
        [0, minor, _] => [0, minor],
        [major, ..] => [major, 0],
    };
    map.iter()
        .filter_map(|(n, item)| {
            let (b, w) = split(n)?;
            (b == base && key(w) == key(v)).then_some((w, item))
        })
        .max_by_key(|(w, _)| *w)
        .map(|(_, item)| item)
}

/// Gives a linker item the type the importer declares.
fn link_item<T: 'static>(
    store: &mut Store<T>,
    sc: &mut Scope,
    outer: &Arc<Outer>,
    item: &Item<T>,
    ty: &TypeRef,
    name: &str,
) -> Result<Def, Error> {
    let bad = || Error::link(format!("import `{name}` has the wrong kind"));
    match (ty, item) {
        (TypeRef::Func(ti), Item::Func(f)) => {
            let ft = sc.func_type_at(*ti)?;
            Ok(Def::Func(CFunc::Host {
                f: Arc::new(f.clone()),
                ty: ft,
                name: name.into(),
            }))
        }
        (TypeRef::Type(_), Item::Resource(rt, dtor)) => {
            register_host_resource(store, *rt, dtor.clone());
            Ok(Def::Type(TypeDef::Resource(*rt)))
        }
        (TypeRef::Module(_), Item::Module(m)) => Ok(Def::Module(m.clone())),
        (TypeRef::Component(_), Item::Component(c)) => Ok(Def::Component(ComponentDef {
            root: c.inner.clone(),
            path: Vec::new(),
            outer: Arc::new(Outer::default()),
        })),
        (TypeRef::Instance(ti), Item::Instance(map)) => {
            let decls = match sc.ty(*ti)? {
                TypeDef::Instance(d) => d.clone(),
                _ => return Err(bad()),
            };
            // The instance type's own index space, seeded by nothing: its
            // declarations define, alias (outward) and export types.
            let mut local = Scope::default();
            let mut v = InstanceVal::default();
            for d in decls.iter() {
                match d {
                    Decl::CoreType(_) => {}
                    Decl::Type(t) => {
                        // A resource type here would be one the host
                        // should define: instance types only import them.
                        let td = match t {
                            ast::Type::Resource { .. } => return Err(bad()),
                            _ => local.declared_type(t)?,
                        };

                        local.types.push(td);
                    }
                    Decl::Alias(Alias::Outer {
                        sort: Sort::Type,
                        count,
                        index,
                        ..
                    }) => {
                        let t = if *count == 0 {
                            local.ty(*index)?.clone()
                        } else {
                            let o = outer_at(outer, *count)?;
                            o.types
                                .get(*index as usize)
                                .cloned()
                                .ok_or_else(|| missing("type", *index))?
                        };
                        local.types.push(t);
                    }
                    Decl::Alias(_) | Decl::Import(_) => {
                        return Err(Error::link(format!(
                            "import `{name}`: unsupported declaration in its instance type"
                        )))
                    }
                    Decl::Export { name: en, ty, .. } => {
                        let en = &en.name;
                        let full = format!("{name}#{en}");
                        let d = match ty {
                            // A type bounded by equality is that type: the
                            // linker has nothing to give.
                            TypeRef::Type(TypeBound::Eq(i)) => Def::Type(local.ty(*i)?.clone()),
                            _ => {
                                let sub = map.get(en.as_str()).ok_or_else(|| {
                                    Error::link(format!(
                                        "instance `{name}` has no export `{en}` in the linker"
                                    ))
                                })?;
                                let inner_outer = Arc::new(Outer {
                                    types: local.types.clone(),
                                    parent: Some(outer.clone()),
                                    ..Outer::default()
                                });
                                link_item(store, &mut local, &inner_outer, sub, ty, &full)?
                            }
                        };
                        if let Def::Type(t) = &d {
                            local.types.push(t.clone());
                        }
                        v.exports.push((en.clone(), d));
                    }
                }
            }
            Ok(Def::Instance(Arc::new(v)))
        }
        _ => Err(bad()),
    }
}

fn register_host_resource<T: 'static>(
    store: &mut Store<T>,
    rt: ResourceType,
    dtor: Option<Arc<HostDtor<T>>>,
) {
    if state(store).resources.contains_key(&rt) {
        return;
    }
    let dtor = dtor.map(|d| {
        CoreFunc::new(
            &mut *store,
            CoreFuncType::new([nanowasm_runtime::ValType::I32], []),
            move |mut caller, args, _| d(caller.as_context_mut(), bits(&args[0]) as u32),
        )
    });
    state(store).resources.insert(
        rt,
        ResourceImpl {
            instance: u32::MAX,
            dtor,
        },
    );
}
