//! Component nanoprocesses: a process whose module is a component gets
//! WASI 0.2 (with the same grants as a core process gets preview1) and
//! imports the WIT interfaces the manifest's `uses` grants it from other
//! component processes.
//!
//! A call through such an import runs in the exporting process's own
//! store, entered through its gate exactly as a core cross call is (a
//! re-entry is refused; a wait for a busy process ends at the caller's
//! deadline; the callee's fuel and deadline are armed for the call), and
//! faults there mark the callee down, not the caller. Values cross as
//! component values: lifted out of the caller's memory by the canonical
//! ABI, lowered into the callee's, and back. The interface's resource
//! types are the exporter's: a handle the importer holds names a resource
//! that lives in the exporter, and dropping it runs the exporter's
//! destructor, in the exporter's store.

use std::sync::Arc;

use nanowasm_runtime::{Engine, Error, Store};

use crate::{
    component, HostError, Nanoprocess, ProcState, ProcessSpec, Provisions, Slot, Template, Wait,
};

impl Template {
    /// Compiles the component `bytes` and links it: WASI 0.2, and each
    /// interface of `spec.uses` to the process that exports it (already
    /// built: `grants`).
    pub(crate) fn new_component(
        engine: &Engine,
        spec: &ProcessSpec,
        bytes: &[u8],
        grants: &std::collections::BTreeMap<String, Arc<Slot>>,
        given: Provisions,
    ) -> Result<Template, HostError> {
        let link_err = |message: String| HostError::Link {
            process: spec.name.clone(),
            message,
        };
        if let Some(i) = spec.imports.first() {
            return Err(link_err(format!(
                "a component imports WIT interfaces (`uses`), not core exports (`imports`: `{}::{}`)",
                i.module, i.name
            )));
        }
        let c = component::Component::new(engine, bytes).map_err(|e| link_err(e.to_string()))?;
        let mut linker = component::Linker::<ProcState>::new(engine);
        nanowasm_wasi::p2::add_to_linker(&mut linker, |s: &mut ProcState| &mut s.wasi)
            .map_err(|e| link_err(e.to_string()))?;
        for u in &spec.uses {
            let target = grants.get(&u.from).cloned().ok_or_else(|| {
                link_err(format!(
                    "uses `{}` from `{}`, which is not built",
                    u.interface, u.from
                ))
            })?;
            // What the exporter's interface holds: its functions, and its
            // resource types (this instance's identities).
            let (funcs, resources) = {
                let guard = target.enter(Wait::Forever, Some(&spec.name))?;
                let inst = guard
                    .component
                    .as_ref()
                    .and_then(|i| i.get_instance(&u.interface))
                    .ok_or_else(|| {
                        link_err(format!(
                            "uses `{}` from `{}`, which exports no such interface",
                            u.interface, u.from
                        ))
                    })?;
                let resources: Vec<(String, component::ResourceType)> = inst
                    .resource_names()
                    .into_iter()
                    .filter_map(|r| inst.get_resource(&r).map(|t| (r, t)))
                    .collect();
                (inst.func_names(), resources)
            };
            let mut li = linker
                .instance(&u.interface)
                .map_err(|e| link_err(e.to_string()))?;
            for (name, rt) in resources {
                let (target, caller) = (target.clone(), spec.name.clone());
                li.resource(&name, rt, move |store, rep| {
                    cross_drop(store, &caller, &target, rt, rep)
                })
                .map_err(|e| link_err(e.to_string()))?;
            }
            for f in funcs {
                let (target, caller) = (target.clone(), spec.name.clone());
                let (iface, func) = (u.interface.clone(), f.clone());
                li.func_new(&f, move |store, args, results| {
                    cross_component_call(store, &caller, &target, &iface, &func, args, results)
                })
                .map_err(|e| link_err(e.to_string()))?;
            }
        }
        Ok(Template {
            spec: spec.clone(),
            engine: engine.clone(),
            pre: None,
            component: Some((c, linker)),
            epoch_ticks: spec.limits.deadline_ms,
            metered: given.metered,
            dirs: given.dirs,
            budget: given.budget,
        })
    }
}

/// A call from a component process into a function of an interface
/// another one exports.
fn cross_component_call(
    store: &mut Store<ProcState>,
    caller: &str,
    target: &Slot,
    iface: &str,
    func: &str,
    args: &[component::Val],
    results: &mut [component::Val],
) -> Result<(), Error> {
    tracing::trace!(caller, callee = %target.name, iface, func, "cross-component call");
    let wait = store.data().deadline.map_or(Wait::Forever, Wait::Until);
    let mut guard = target.enter(wait, Some(caller)).map_err(Error::new)?;
    let callee = &mut *guard;
    callee.check_up().map_err(Error::new)?;
    let f = callee
        .component
        .as_ref()
        .and_then(|i| i.get_instance(iface))
        .and_then(|i| i.get_func(&mut callee.store, func))
        .ok_or_else(|| {
            Error::new(HostError::NotFound(format!(
                "nanoprocess `{}` exports no `{iface}#{func}`",
                callee.name
            )))
        })?;
    callee.arm();
    f.call(&mut callee.store, args, results)
        .map_err(|e| Error::new(callee.fault(e)))
}

/// The importer dropped an owned handle of the exporter's resource: the
/// exporter's destructor runs, in its store.
fn cross_drop(
    store: &mut Store<ProcState>,
    caller: &str,
    target: &Slot,
    rt: component::ResourceType,
    rep: u32,
) -> Result<(), Error> {
    let wait = store.data().deadline.map_or(Wait::Forever, Wait::Until);
    let mut guard = target.enter(wait, Some(caller)).map_err(Error::new)?;
    let callee = &mut *guard;
    callee.check_up().map_err(Error::new)?;
    callee.arm();
    component::ResourceAny::new_own(rt, rep)
        .resource_drop(&mut callee.store)
        .map_err(|e| Error::new(callee.fault(e)))
}

impl Nanoprocess {
    /// Calls the component function `func` (of the exported interface
    /// `interface`, or at the root) with component values. A fault marks
    /// the process down.
    pub fn call_component(
        &mut self,
        interface: Option<&str>,
        func: &str,
        args: &[component::Val],
    ) -> Result<Option<component::Val>, HostError> {
        self.check_up()?;
        let root = self.component.clone().ok_or_else(|| {
            HostError::NotFound(format!("nanoprocess `{}` is not a component", self.name))
        })?;
        let inst = match interface {
            Some(i) => root.get_instance(i).ok_or_else(|| {
                HostError::NotFound(format!(
                    "nanoprocess `{}` exports no interface `{i}`",
                    self.name
                ))
            })?,
            None => root,
        };
        let f = inst.get_func(&mut self.store, func).ok_or_else(|| {
            HostError::NotFound(format!(
                "nanoprocess `{}` exports no function `{func}`",
                self.name
            ))
        })?;
        self.arm();
        let mut out = vec![component::Val::Bool(false); f.ty().result().is_some() as usize];
        f.call(&mut self.store, args, &mut out)
            .map_err(|e| self.fault(e))?;
        Ok(out.pop())
    }

    /// The exported `wasi:cli/run@0.2.x` interface's name, if it is a
    /// command component.
    pub(crate) fn run_interface(&self) -> Option<String> {
        self.component
            .as_ref()?
            .export_names()
            .into_iter()
            .find(|n| n.starts_with("wasi:cli/run@0.2"))
    }
}
