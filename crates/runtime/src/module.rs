//! Compiled modules.

use std::sync::{Arc, OnceLock};

use nanowasm_binary as binary;
use nanowasm_core::ExternKind;

use crate::engine::Engine;
use crate::error::Error;
use crate::interp::code::CompiledFunc;
use crate::interp::translate;

/// A validated module, ready to instantiate. Cheap to clone; shared by
/// every instance made from it. Function bodies are translated lazily, on
/// their first call, so huge modules are ready at once.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) binary: binary::Module,
    compiled: Box<[OnceLock<Translated>]>,
}

/// A function's translation, or why it failed.
type Translated = Result<Arc<CompiledFunc>, String>;

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

impl Module {
    /// Decodes and validates a WebAssembly binary.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module, Error> {
        Module::from_binary(engine, bytes.as_ref())
    }

    /// Decodes and validates a WebAssembly binary.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        let binary = binary::decode(bytes.to_vec(), engine.config().features)?;
        let compiled = (0..binary.bodies.len()).map(|_| OnceLock::new()).collect();
        Ok(Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                binary,
                compiled,
            }),
        })
    }

    /// Validates a binary without keeping it.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<(), Error> {
        binary::validate(bytes, engine.config().features).map_err(Error::from)
    }

    /// The engine the module belongs to.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.inner.binary.names.module.as_deref()
    }

    /// The decoded module.
    pub fn binary(&self) -> &binary::Module {
        &self.inner.binary
    }

    /// The imports: module name, field name, kind.
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, ExternKind)> {
        self.inner
            .binary
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.name.as_str(), i.desc.kind()))
    }

    /// The exports: name and kind.
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternKind)> {
        self.inner
            .binary
            .exports
            .iter()
            .map(|e| (e.name.as_str(), e.kind))
    }

    /// The translated code of defined function `func` (index in the
    /// function space), translating it on first use.
    pub(crate) fn compiled(&self, func: u32) -> Result<Arc<CompiledFunc>, String> {
        let defined = func
            .checked_sub(self.inner.binary.num_imported.funcs)
            .ok_or("imported function")? as usize;
        let slot = self.inner.compiled.get(defined).ok_or("no such function")?;
        slot.get_or_init(|| {
            translate::translate(
                &self.inner.binary,
                func,
                self.inner.engine.translate_config(),
            )
            .map(Arc::new)
        })
        .clone()
    }
}
