//! Linking imports by name.

use crate::prelude::*;
use alloc::sync::Arc;
use hashbrown::HashMap;

use nanowasm_core::FuncType;

use crate::engine::Engine;
use crate::error::Error;
use crate::func::{Caller, Func, HostFunc, IntoFunc};
use crate::instance::{instantiate, Extern, Instance};
use crate::module::Module;
use crate::store::{AsContextMut, Store};
use crate::values::Val;

enum Definition<T> {
    Extern(Extern),
    /// A host function, its type, and the type's id in the linker's
    /// engine (registered once, when the function is defined).
    HostFunc(Arc<FuncType>, u32, Arc<HostFunc<T>>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::HostFunc(ty, id, f) => Definition::HostFunc(ty.clone(), *id, f.clone()),
        }
    }
}

/// Resolves a module's imports by `(module, name)` and instantiates it.
///
/// A linker belongs to one [`Engine`]: it links that engine's modules into
/// that engine's stores. Host functions defined with
/// [`func_wrap`](Linker::func_wrap) or [`func_new`](Linker::func_new)
/// belong to no store, so one linker serves every store of the engine.
///
/// ```
/// use nanowasm_runtime::{Caller, Engine, Linker, Module, Store};
///
/// let engine = Engine::default();
/// let mut linker: Linker<u32> = Linker::new(&engine);
/// // A host function that counts its calls in the store's data.
/// linker.func_wrap("host", "tick", |mut caller: Caller<'_, u32>| {
///     *caller.data_mut() += 1;
/// })?;
/// let module = Module::new(
///     &engine,
///     r#"(module
///          (import "host" "tick" (func $tick))
///          (func (export "run") (call $tick) (call $tick)))"#,
/// )?;
/// let mut store = Store::new(&engine, 0);
/// let instance = linker.instantiate(&mut store, &module)?;
/// instance.get_typed_func::<(), ()>(&mut store, "run")?.call(&mut store, ())?;
/// assert_eq!(*store.data(), 2);
/// # Ok::<(), nanowasm_runtime::Error>(())
/// ```
pub struct Linker<T> {
    engine: Engine,
    defs: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker {
            engine: self.engine.clone(),
            defs: self.defs.clone(),
            allow_shadowing: self.allow_shadowing,
        }
    }
}

impl<T> Linker<T> {
    /// An empty linker for `engine`'s modules and stores.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            defs: HashMap::new(),
            allow_shadowing: false,
        }
    }

    /// The engine this linker belongs to.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a later definition may replace an earlier one.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<(), Error> {
        let key = (module.to_owned(), name.to_owned());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            return Err(Error::link(format!(
                "`{module}::{name}` is already defined"
            )));
        }
        self.defs.insert(key, def);
        Ok(())
    }

    /// Defines `module::name` as `item`, which belongs to one store:
    /// instantiating in another store with it fails.
    pub fn define(
        &mut self,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self, Error> {
        self.insert(module, name, Definition::Extern(item.into()))?;
        Ok(self)
    }

    /// Defines a host function from a typed closure.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self, Error> {
        let (ty, host) = f.into_host();
        let def = self.host_func(ty, host);
        self.insert(module, name, def)?;
        Ok(self)
    }

    /// Defines a host function with a dynamic type.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        let def = self.host_func(ty, HostFunc::dynamic(f));
        self.insert(module, name, def)?;
        Ok(self)
    }

    /// Defines a host function with a dynamic type that works on cells,
    /// as [`Func::call_cells`] passes them: its arguments in order, which
    /// its results overwrite (`cells` has room for both). Calls from wasm
    /// skip converting to and from [`Val`]s. `ty` must have no references:
    /// raw cells cannot carry them safely.
    pub fn func_new_cells(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &mut [u64]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        let host = HostFunc::from_cells(&ty, f)?;
        let def = self.host_func(ty, host);
        self.insert(module, name, def)?;
        Ok(self)
    }

    /// A host function's definition, its type registered in the engine.
    fn host_func(&self, ty: FuncType, f: Arc<HostFunc<T>>) -> Definition<T> {
        let id = self.engine.inner.types.register(&ty);
        Definition::HostFunc(Arc::new(ty), id, f)
    }

    /// Defines every export of `instance`, an instance of `store`, under
    /// `module`.
    pub fn instance(
        &mut self,
        store: impl AsContextMut<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self, Error> {
        let store = store.as_context();
        store.inner.check(instance.0)?;
        for (name, ext) in instance.exports(store) {
            self.insert(module, name, Definition::Extern(ext))?;
        }
        Ok(self)
    }

    /// The definition of `module::name`, as an item of `store`; `None` if
    /// there is none, or if it is an item of another store (defined with
    /// [`define`](Linker::define) or [`instance`](Linker::instance)).
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.defs.get(&(module.to_owned(), name.to_owned()))?;
        let store = store.as_context_mut();
        if let Definition::Extern(e) = def {
            store.inner.check(e.stored()).ok()?;
        }
        Some(resolve(store, def))
    }

    /// Resolves the imports of `module` once, for many instantiations.
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>, Error> {
        if !Engine::same(&self.engine, module.engine()) {
            return Err(Error::usage(
                "cross-`Engine` instantiation is not currently supported: \
                 the module was compiled by another engine than the linker's",
            ));
        }
        let mut imports = Vec::with_capacity(module.binary().imports.len());
        for import in &module.binary().imports {
            let def = self
                .defs
                .get(&(import.module.clone(), import.name.clone()))
                .ok_or_else(|| {
                    Error::link(format!(
                        "unknown import: `{}::{}` has not been defined",
                        import.module, import.name
                    ))
                })?;
            imports.push(def.clone());
        }
        Ok(InstancePre {
            module: module.clone(),
            imports,
        })
    }

    /// Instantiates `module`, resolving its imports by name.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance, Error> {
        self.instantiate_pre(module)?
            .instantiate(store.as_context_mut())
    }
}

fn resolve<T>(store: &mut Store<T>, def: &Definition<T>) -> Extern {
    match def {
        Definition::Extern(e) => *e,
        Definition::HostFunc(ty, id, f) => Extern::Func(Func::from_host(store, ty, *id, f.clone())),
    }
}

/// A module whose imports are resolved: instantiate it many times, cheaply.
pub struct InstancePre<T> {
    module: Module,
    imports: Vec<Definition<T>>,
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            module: self.module.clone(),
            imports: self.imports.clone(),
        }
    }
}

impl<T> InstancePre<T> {
    /// The module.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// A new instance in `store`.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance, Error> {
        let store = store.as_context_mut();
        // Checked before resolving: the host functions' type ids are the
        // linker's engine's, and nothing is added to a store that fails.
        if !Engine::same(store.engine(), self.module.engine()) {
            return Err(Error::usage("the module belongs to another engine"));
        }
        let imports: Vec<Extern> = self.imports.iter().map(|d| resolve(store, d)).collect();
        instantiate(store, &self.module, &imports)
    }
}
