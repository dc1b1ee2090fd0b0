//! Linking imports by name.

use std::collections::HashMap;
use std::sync::Arc;

use nanowasm_core::FuncType;

use crate::error::Error;
use crate::func::{Caller, Func, HostFunc, IntoFunc};
use crate::instance::{instantiate, Extern, Instance};
use crate::module::Module;
use crate::store::{AsContextMut, Store};
use crate::values::Val;

enum Definition<T> {
    Extern(Extern),
    HostFunc(FuncType, Arc<HostFunc<T>>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::HostFunc(ty, f) => Definition::HostFunc(ty.clone(), f.clone()),
        }
    }
}

/// Resolves a module's imports by `(module, name)` and instantiates it.
/// Host functions defined with [`func_wrap`](Linker::func_wrap) belong to no
/// store: one linker serves every store.
pub struct Linker<T> {
    defs: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

impl<T> Default for Linker<T> {
    fn default() -> Self {
        Linker {
            defs: HashMap::new(),
            allow_shadowing: false,
        }
    }
}

impl<T> Linker<T> {
    /// An empty linker.
    pub fn new() -> Linker<T> {
        Linker::default()
    }

    /// Whether a later definition may replace an earlier one.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<(), Error> {
        let key = (module.to_owned(), name.to_owned());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            return Err(Error::Link(format!(
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
        self.insert(module, name, Definition::HostFunc(ty, host))?;
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
        self.insert(module, name, Definition::HostFunc(ty, Arc::new(f)))?;
        Ok(self)
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

    /// The definition of `module::name`, as an item of `store`.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.defs.get(&(module.to_owned(), name.to_owned()))?;
        Some(resolve(store.as_context_mut(), def))
    }

    /// Resolves the imports of `module` once, for many instantiations.
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>, Error> {
        let mut imports = Vec::with_capacity(module.binary().imports.len());
        for import in &module.binary().imports {
            let def = self
                .defs
                .get(&(import.module.clone(), import.name.clone()))
                .ok_or_else(|| {
                    Error::Link(format!(
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
        Definition::HostFunc(ty, f) => Extern::Func(Func::from_host(store, ty, f.clone())),
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
        let imports: Vec<Extern> = self.imports.iter().map(|d| resolve(store, d)).collect();
        instantiate(store, &self.module, &imports)
    }
}
