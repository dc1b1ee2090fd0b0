//! Compiled modules.

use crate::prelude::*;
use alloc::sync::Arc;

use crate::sync::OnceLock;
use crate::Instant;

use nanowasm_binary as binary;
use nanowasm_core::{
    ExternKind, FuncType, GlobalType, HeapType, MemoryType, RefType, TableType, ValType,
};

use crate::engine::Engine;
use crate::error::Error;
use crate::interp::{self, code::CompiledFunc};
use crate::linear::MemoryImage;

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
    /// The engine-wide ids of the module's types (by type index).
    pub(crate) type_ids: Arc<[u32]>,
    /// The module's function types as the engine's (type indices made
    /// engine ids), by type index; an empty type for a struct or array
    /// type. What the host sees of a function's type, and what values
    /// passed to it are checked against.
    pub(crate) func_types: Box<[FuncType]>,
    /// What each back end made of the module (today the interpreter's
    /// lazily translated code; the compiler's artifact joins it here).
    pub(crate) artifacts: Artifacts,
    /// The copy-on-write image of memory 0, built on first instantiation.
    image: OnceLock<Option<Arc<MemoryImage>>>,
}

impl ModuleInner {
    /// `h` of the module's types as the engine's: a type index becomes the
    /// type's engine-wide id (what every type outside a module holds).
    pub(crate) fn engine_heap(&self, h: HeapType) -> HeapType {
        match h {
            HeapType::Concrete(i) => HeapType::Concrete(self.type_ids[i as usize]),
            _ => h,
        }
    }

    /// `t` of the module's types as the engine's (see [`Self::engine_heap`]).
    pub(crate) fn engine_val(&self, t: ValType) -> ValType {
        match t {
            ValType::Ref(r) => ValType::Ref(RefType::new(r.nullable(), self.engine_heap(r.heap()))),
            _ => t,
        }
    }

    /// A function type of the module as the engine's (shared, not copied,
    /// when it names no type index).
    pub(crate) fn engine_func(&self, f: &FuncType) -> FuncType {
        let concrete = |t: &ValType| matches!(t, ValType::Ref(r) if !r.heap().is_abstract());
        if !f.params().iter().chain(f.results()).any(concrete) {
            return f.clone();
        }
        FuncType::new(
            f.params()
                .iter()
                .map(|&t| self.engine_val(t))
                .collect::<Vec<_>>(),
            f.results()
                .iter()
                .map(|&t| self.engine_val(t))
                .collect::<Vec<_>>(),
        )
    }

    /// A table type of the module as the engine's.
    pub(crate) fn engine_table(&self, t: TableType) -> TableType {
        let element = RefType::new(t.element.nullable(), self.engine_heap(t.element.heap()));
        TableType { element, ..t }
    }

    /// A global type of the module as the engine's.
    pub(crate) fn engine_global(&self, g: GlobalType) -> GlobalType {
        GlobalType {
            content: self.engine_val(g.content),
            ..g
        }
    }
}

/// The back ends' artifacts of one module.
pub(crate) struct Artifacts {
    /// The interpreter's code, translated per function on first call.
    pub(crate) interp: interp::Artifact,
    /// The compiler's code, when the engine's strategy chose the compiler
    /// and it could compile the module.
    #[cfg(nanowasm_compiler)]
    pub(crate) compiled: Option<Arc<crate::compiler::CompiledModule>>,
}

/// One function's machine code, from [`Module::compiled_functions`].
#[derive(Clone, Copy, Debug)]
pub struct CompiledFunction<'a> {
    /// The function's index in the module's function space.
    pub index: u32,
    /// Its name in the `name` section, if any.
    pub name: Option<&'a str>,
    /// Where its code starts in the module's code image: relative jumps
    /// and calls are relative to these offsets.
    pub offset: u32,
    /// The code, as loaded.
    pub code: &'a [u8],
}

impl core::fmt::Debug for Module {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

impl Module {
    /// Decodes and validates a module: a WebAssembly binary, or, with the
    /// `wat` cargo feature (on by default), the text format (WAT), which is
    /// encoded to binary first. Bytes that begin with the binary magic
    /// `\0asm` are always taken as binary.
    ///
    /// ```
    /// use nanowasm_runtime::{Engine, Module};
    ///
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module (func (export "f")))"#)?;
    /// assert_eq!(module.exports().count(), 1);
    /// // The same module as a binary.
    /// let binary = [
    ///     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03,
    ///     0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00,
    ///     0x0b,
    /// ];
    /// assert_eq!(Module::new(&engine, binary)?.exports().count(), 1);
    /// // Errors in text name the line and column.
    /// let err = Module::new(&engine, "(module (func (i32.ad)))").unwrap_err();
    /// assert!(err.to_string().starts_with("<input>:1:16: "), "{err}");
    /// # Ok::<(), nanowasm_runtime::Error>(())
    /// ```
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module, Error> {
        let bytes = bytes.as_ref();
        not_an_artifact(bytes)?;
        #[cfg(feature = "wat")]
        if !bytes.starts_with(b"\0asm") {
            let binary =
                nanowasm_text::binary_or_wat(bytes.to_vec(), "<input>").map_err(Error::text)?;
            return Module::from_binary(engine, &binary);
        }
        Module::from_binary(engine, bytes)
    }

    /// Reads, decodes and validates the module in the file at `path`: a
    /// binary, or with the `wat` feature a text module (WAT) whose errors
    /// name the file, line and column.
    #[cfg(feature = "std")]
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::usage(format!("failed to read `{}`: {e}", path.display())))?;
        not_an_artifact(&bytes)?;
        #[cfg(feature = "wat")]
        let bytes = nanowasm_text::binary_or_wat(bytes, &path.display().to_string())
            .map_err(Error::text)?;
        Module::from_binary(engine, &bytes)
    }

    /// Decodes and validates a WebAssembly binary.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        supported(engine)?;
        not_an_artifact(bytes)?;
        // The clock is read only when the event will be recorded.
        let start = tracing::enabled!(tracing::Level::DEBUG).then(Instant::now);
        // When the compiler will compile the module, its pass validates
        // every function body as it compiles it (in parallel): decoding
        // checks everything else, and validating the bodies here as well
        // would do that work twice. If compilation fails for any reason,
        // the module is validated in full before anything else (`compile`).
        #[cfg(nanowasm_compiler)]
        let decode = if engine.config().get_strategy().resolve() == crate::Strategy::Compiler {
            binary::decode_trusted
        } else {
            binary::decode
        };
        #[cfg(not(nanowasm_compiler))]
        let decode = binary::decode;
        let binary = match decode(bytes.to_vec(), engine.config().features) {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(bytes = bytes.len(), error = %e, "module rejected");
                return Err(Error::compile(e));
            }
        };
        if let Some(start) = start {
            let imported = binary.num_imported.funcs as usize;
            tracing::debug!(
                name = binary.names.module.as_deref().unwrap_or("<unnamed>"),
                bytes = bytes.len(),
                functions = binary.funcs.len() - imported,
                imported_functions = imported,
                imports = binary.imports.len(),
                exports = binary.exports.len(),
                memories = binary.memories.len(),
                data_segments = binary.datas.len(),
                decode_and_validate = ?start.elapsed(),
                "module loaded"
            );
            for i in &binary.imports {
                tracing::trace!(module = %i.module, name = %i.name, kind = %i.desc.kind(), "import");
            }
            for e in &binary.exports {
                tracing::trace!(name = %e.name, kind = %e.kind, index = e.index, "export");
            }
        }
        let type_ids: Arc<[u32]> = engine.inner.types.register_module(&binary.types)?.into();
        #[cfg(nanowasm_compiler)]
        let compiled = compile(engine, &binary, &type_ids)?;
        Ok(Module::assemble(
            engine,
            binary,
            type_ids,
            #[cfg(nanowasm_compiler)]
            compiled,
        ))
    }

    /// A module from its decoded binary and its code.
    fn assemble(
        engine: &Engine,
        binary: binary::Module,
        type_ids: Arc<[u32]>,
        #[cfg(nanowasm_compiler)] compiled: Option<Arc<crate::compiler::CompiledModule>>,
    ) -> Module {
        let artifacts = Artifacts {
            interp: interp::Artifact::new(&binary),
            #[cfg(nanowasm_compiler)]
            compiled,
        };
        let mut inner = ModuleInner {
            engine: engine.clone(),
            binary,
            type_ids,
            func_types: Box::default(),
            artifacts,
            image: OnceLock::new(),
        };
        inner.func_types = inner
            .binary
            .types
            .iter()
            .map(|t| match t.as_func() {
                Some(f) => inner.engine_func(f),
                None => FuncType::new([], []),
            })
            .collect();
        Module {
            inner: Arc::new(inner),
        }
    }

    /// Validates a binary without keeping it.
    ///
    /// Unlike [`Module::new`], this takes only the binary format.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<(), Error> {
        supported(engine)?;
        binary::validate(bytes, engine.config().features).map_err(Error::compile)
    }

    /// The engine the module belongs to.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.inner.binary.names.module.as_deref()
    }

    /// Whether `a` and `b` are the same module: clones of one
    /// [`Module::new`] (as [`Engine::same`] for engines). Two modules made
    /// from the same bytes are different modules.
    pub fn same(a: &Module, b: &Module) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The decoded module, for the runtime's own use: its types are the
    /// decoder's (`nanowasm-binary`), which stay out of the public API.
    /// Embedders use [`imports`](Module::imports),
    /// [`exports`](Module::exports), [`serialize`](Module::serialize),
    /// [`func_body_offset`](Module::func_body_offset) and the like.
    pub(crate) fn binary(&self) -> &binary::Module {
        &self.inner.binary
    }

    /// How many functions the module defines (imports left out).
    pub fn defined_funcs(&self) -> usize {
        self.inner.binary.bodies.len()
    }

    /// The size in bytes of the code of the functions the module defines
    /// (their bodies in the code section): what translation reads.
    pub fn code_size(&self) -> usize {
        self.inner.binary.bodies.iter().map(|b| b.code.len()).sum()
    }

    /// Where the body of function `func` (an index in the module's
    /// function space) starts in the module's binary: the offset of its
    /// size field, from which a [`FrameInfo::offset`](crate::FrameInfo)
    /// gives the offset in the function. `None` for an imported function
    /// or an index past the module's functions.
    pub fn func_body_offset(&self, func: u32) -> Option<usize> {
        let b = &self.inner.binary;
        let defined = func.checked_sub(b.num_imported.funcs)?;
        Some(b.bodies.get(defined as usize)?.offset)
    }

    /// The module as a compiled artifact (a `.cwasm`, what `nanowasm
    /// compile` writes), for [`Module::deserialize`] and
    /// [`Module::deserialize_file`]: its machine code if the compiler made
    /// it, and its WebAssembly binary (a module the interpreter runs has
    /// only that). The artifact holds the engine's settings that the code
    /// depends on, and loads only into an engine with the same ones.
    ///
    /// Without the compiler in the build, the artifact is the module's
    /// binary.
    ///
    /// ```
    /// use nanowasm_runtime::{Engine, Module};
    ///
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module (func (export "f")))"#)?;
    /// let bytes = module.serialize()?;
    /// // SAFETY: the bytes were just made by this engine.
    /// let again = unsafe { Module::deserialize(&engine, &bytes)? };
    /// assert_eq!(again.exports().count(), 1);
    /// assert!(!Module::same(&module, &again));
    /// # Ok::<(), nanowasm_runtime::Error>(())
    /// ```
    pub fn serialize(&self) -> Result<Vec<u8>, Error> {
        #[cfg(nanowasm_compiler)]
        return Ok(crate::compiler::artifact::serialize(
            self.inner.engine.config(),
            &self.inner.binary.bytes,
            self.compiled_code().map(|c| &**c),
        ));
        #[cfg(not(nanowasm_compiler))]
        Ok(self.inner.binary.bytes.to_vec())
    }

    /// Loads an artifact made by [`Module::serialize`] (or `nanowasm
    /// compile`) with an engine of the same settings: its code runs
    /// without being compiled again, and its WebAssembly is decoded but its
    /// function bodies are not validated again. A truncated or corrupted
    /// artifact, one of another nanowasm version, or one whose settings
    /// (proposals, fuel, epochs) differ from the engine's is an error.
    ///
    /// # Safety
    ///
    /// The bytes must be an artifact this nanowasm made, unchanged: the
    /// checks above catch accidents, not forgeries, and the machine code in
    /// an artifact runs as it is (as with wasmtime's `deserialize`).
    pub unsafe fn deserialize(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module, Error> {
        let bytes = bytes.as_ref();
        supported(engine)?;
        #[cfg(nanowasm_compiler)]
        {
            let parts = crate::compiler::artifact::check(engine.config(), bytes)?;
            parts.verified_while(|| {
                let code = match &parts.code {
                    Some(r) => Some(
                        crate::compiler::CodeMemory::new(&bytes[r.clone()])
                            .map_err(Error::limit)?,
                    ),
                    None => None,
                };
                let owned = |b: &[u8]| binary::Bytes::from(b);
                let (wasm, meta) = (owned(parts.wasm), owned(parts.meta));
                Module::from_artifact(engine, &parts, wasm, meta, code)
            })
        }
        #[cfg(not(nanowasm_compiler))]
        Module::from_binary(engine, bytes)
    }

    /// [`Module::deserialize`] of the artifact in the file at `path`, whose
    /// code pages are mapped from the file read+execute, never copied.
    ///
    /// # Safety
    ///
    /// As for [`Module::deserialize`]; also, the file must not change while
    /// the module (or an instance of it) lives.
    #[cfg(feature = "std")]
    pub unsafe fn deserialize_file(
        engine: &Engine,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Module, Error> {
        let path = path.as_ref();
        let read_error =
            |e: std::io::Error| Error::usage(format!("failed to read `{}`: {e}", path.display()));
        #[cfg(nanowasm_compiler)]
        {
            supported(engine)?;
            let file = std::fs::File::open(path).map_err(read_error)?;
            let map = Arc::new(crate::compiler::artifact::FileMap::new(&file).map_err(read_error)?);
            let parts = crate::compiler::artifact::check(engine.config(), map.bytes())?;
            parts.verified_while(|| {
                let code = match &parts.code {
                    Some(r) => Some(
                        crate::compiler::CodeMemory::map_file(&file, r.start, r.len())
                            .map_err(Error::limit)?,
                    ),
                    None => None,
                };
                // The module's wasm and tables stay in the mapped file: not
                // copied.
                let shared = |r| {
                    binary::Bytes::from_owner(map.clone(), r).expect("check placed it in the file")
                };
                let (wasm, meta) = (shared(parts.wasm_range()), shared(parts.meta_range()));
                Module::from_artifact(engine, &parts, wasm, meta, code)
            })
        }
        #[cfg(not(nanowasm_compiler))]
        {
            let bytes = std::fs::read(path).map_err(read_error)?;
            // SAFETY: the caller's guarantee.
            unsafe { Module::deserialize(engine, bytes) }
        }
    }

    /// The module of a checked artifact, with its code mapped.
    #[cfg(nanowasm_compiler)]
    fn from_artifact(
        engine: &Engine,
        parts: &crate::compiler::artifact::Parts<'_>,
        wasm: binary::Bytes,
        meta: binary::Bytes,
        code: Option<crate::compiler::CodeMemory>,
    ) -> Result<Module, Error> {
        let binary =
            binary::decode_trusted(wasm, engine.config().features).map_err(Error::compile)?;
        let compiled = match code {
            Some(code) => {
                let c = parts.compiled(code, meta)?;
                if c.num_imported != binary.num_imported.funcs
                    || c.starts.len() != binary.bodies.len()
                {
                    return Err(Error::usage(
                        "invalid compiled artifact: its code does not match its module",
                    ));
                }
                Some(c)
            }
            None => None,
        };
        let type_ids: Arc<[u32]> = engine.inner.types.register_module(&binary.types)?.into();
        Ok(Module::assemble(engine, binary, type_ids, compiled))
    }

    /// The imports, in order: module name, field name and type.
    ///
    /// ```
    /// use nanowasm_runtime::{Engine, ExternType, FuncType, Module, ValType};
    ///
    /// let engine = Engine::default();
    /// let module = Module::new(
    ///     &engine,
    ///     r#"(module (import "env" "log" (func (param i32)))
    ///          (memory (export "mem") 1 2))"#,
    /// )?;
    /// let import = module.imports().next().unwrap();
    /// assert_eq!((import.module(), import.name()), ("env", "log"));
    /// assert_eq!(import.ty(), ExternType::Func(FuncType::new([ValType::I32], [])));
    /// let export = module.exports().next().unwrap();
    /// assert_eq!(export.name(), "mem");
    /// assert_eq!(export.ty().memory().map(|m| m.limits.max), Some(Some(2)));
    /// # Ok::<(), nanowasm_runtime::Error>(())
    /// ```
    pub fn imports(&self) -> impl Iterator<Item = ImportType<'_>> {
        let b = &self.inner.binary;
        // Validation checked the type indices: no import is left out.
        b.imports.iter().filter_map(move |i| {
            let ty = match i.desc {
                binary::module::ImportDesc::Func(t) => {
                    ExternType::Func(self.inner.func_types.get(t as usize)?.clone())
                }
                binary::module::ImportDesc::Table(t) => {
                    ExternType::Table(self.inner.engine_table(t))
                }
                binary::module::ImportDesc::Memory(t) => ExternType::Memory(t),
                binary::module::ImportDesc::Global(t) => {
                    ExternType::Global(self.inner.engine_global(t))
                }
                binary::module::ImportDesc::Tag(t) => ExternType::Tag(b.types.func(t)?.clone()),
            };
            Some(ImportType {
                module: &i.module,
                name: &i.name,
                ty,
            })
        })
    }

    /// The exports, in order: name and type.
    pub fn exports(&self) -> impl Iterator<Item = ExportType<'_>> {
        let b = &self.inner.binary;
        // Validation checked every index: no export is left out.
        b.exports.iter().filter_map(move |e| {
            let i = e.index as usize;
            let ty = match e.kind {
                ExternKind::Func => ExternType::Func(
                    self.inner
                        .func_types
                        .get(*b.funcs.get(i)? as usize)?
                        .clone(),
                ),
                ExternKind::Table => ExternType::Table(self.inner.engine_table(*b.tables.get(i)?)),
                ExternKind::Memory => ExternType::Memory(*b.memories.get(i)?),
                ExternKind::Global => {
                    ExternType::Global(self.inner.engine_global(*b.globals.get(i)?))
                }
                ExternKind::Tag => ExternType::Tag(b.types.func(*b.tags.get(i)?)?.clone()),
            };
            Some(ExportType { name: &e.name, ty })
        })
    }

    /// The copy-on-write image of the module's own memory 0, if it can
    /// have one: the memory is not imported and every active data segment
    /// targets it at an `i32.const` offset, inside its initial size. Built
    /// once, on first use.
    pub(crate) fn memory_image(&self) -> Option<&Arc<MemoryImage>> {
        self.inner
            .image
            .get_or_init(|| {
                let m = &self.inner.binary;
                if m.num_imported.memories != 0 {
                    return None;
                }
                let ty = m.memories.first()?;
                let len =
                    usize::try_from(ty.limits.min.checked_mul(MemoryType::PAGE_SIZE)?).ok()?;
                let mut segments = Vec::with_capacity(m.datas.len());
                for seg in &m.datas {
                    if let binary::module::DataMode::Active { memory, offset } = &seg.mode {
                        if *memory != 0 {
                            return None;
                        }
                        let code = &m.bytes[offset.range.clone()];
                        let (&op, rest) = code.split_first()?;
                        let mut pos = 0;
                        let k = nanowasm_core::leb128::read_i32(rest, &mut pos).ok()?;
                        if op != 0x41 || rest.get(pos..) != Some(&[0x0b][..]) {
                            return None;
                        }
                        segments.push((k as u32 as usize, &m.bytes[seg.range.clone()]));
                    }
                }
                MemoryImage::new(len, segments.into_iter()).map(Arc::new)
            })
            .as_ref()
    }

    /// Translates every function now instead of on its first call, and
    /// returns the first failure. Calls do the same work lazily; this front-
    /// loads it (before a latency-sensitive phase, or to measure translation
    /// throughput: `cargo bench -p nanowasm-runtime --bench micro -- translate`).
    /// Functions already translated are not translated again.
    ///
    /// ```
    /// use nanowasm_runtime::{Engine, Module};
    ///
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module (func (export "f") (result i32) (i32.const 7)))"#)?;
    /// module.translate_all()?;
    /// # Ok::<(), nanowasm_runtime::Error>(())
    /// ```
    pub fn translate_all(&self) -> Result<(), Error> {
        let first = self.inner.binary.num_imported.funcs;
        for defined in 0..self.inner.binary.bodies.len() {
            let func = first + defined as u32;
            self.compiled(func)
                .map_err(|e| Error::limit(format!("function {func} cannot be translated: {e}")))?;
        }
        Ok(())
    }

    /// The machine code the compiler made for each defined function, in
    /// index order. Empty when the interpreter runs the module. For
    /// disassembly (`nanowasm objdump`) and tooling.
    pub fn compiled_functions(&self) -> Vec<CompiledFunction<'_>> {
        #[cfg(nanowasm_compiler)]
        if let Some(c) = self.compiled_code() {
            let names = &self.inner.binary.names;
            return (0..c.starts.len())
                .map(|i| {
                    let index = c.num_imported + i as u32;
                    CompiledFunction {
                        index,
                        name: names.function(index),
                        offset: c.starts[i],
                        code: c.func_bytes(i),
                    }
                })
                .collect();
        }
        Vec::new()
    }

    /// The compiled code of the module, if the compiler made it.
    #[cfg(nanowasm_compiler)]
    pub(crate) fn compiled_code(&self) -> Option<&Arc<crate::compiler::CompiledModule>> {
        self.inner.artifacts.compiled.as_ref()
    }

    /// The interpreter's code for function `func` (translated now if this
    /// is its first use).
    pub(crate) fn compiled(&self, func: u32) -> Result<&Arc<CompiledFunc>, &str> {
        let inner = &*self.inner;
        inner
            .artifacts
            .interp
            .get(&inner.binary, func, inner.engine.translate_config())
    }
}

/// Compiles `binary` if the engine's strategy is the compiler: `None` when
/// the interpreter runs it (`Strategy::Interpreter`, or `Strategy::Auto`
/// and something the compiler does not support, which is logged at
/// `debug`); an error when `Strategy::Compiler` cannot compile it.
#[cfg(nanowasm_compiler)]
fn compile(
    engine: &Engine,
    binary: &binary::Module,
    type_ids: &[u32],
) -> Result<Option<Arc<crate::compiler::CompiledModule>>, Error> {
    let config = engine.config();
    let strategy = config.get_strategy();
    if strategy.resolve() != crate::Strategy::Compiler {
        return Ok(None);
    }
    let result = {
        let start = tracing::enabled!(tracing::Level::DEBUG).then(Instant::now);
        let perfmap = config.profiler == crate::ProfilingStrategy::PerfMap;
        let r = crate::compiler::compile(
            binary,
            engine.translate_config(),
            type_ids,
            perfmap,
            &engine.inner.compile_scratch,
        );
        if let (Some(start), Ok(code)) = (start, &r) {
            tracing::debug!(
                functions = binary.bodies.len(),
                code_bytes = code.code_size(),
                elapsed = ?start.elapsed(),
                "module compiled"
            );
        }
        r
    };
    if result.is_err() {
        // The bodies were not validated when the module was decoded
        // (`from_binary`): an invalid module gets the validator's verdict,
        // not the compiler's.
        binary::validate(&binary.bytes, config.features).map_err(Error::compile)?;
    }
    match result {
        Ok(code) => Ok(Some(code)),
        Err(why) if strategy == crate::Strategy::Auto => {
            tracing::debug!(%why, "the interpreter runs the module");
            Ok(None)
        }
        Err(why) => Err(Error::usage(format!("cannot compile the module: {why}"))),
    }
}

/// An error if `bytes` are a compiled artifact rather than a module, which
/// only [`Module::deserialize`] loads.
fn not_an_artifact(bytes: &[u8]) -> Result<(), Error> {
    #[cfg(nanowasm_compiler)]
    if crate::compiler::artifact::is_artifact(bytes) {
        return Err(Error::usage(
            "this is a compiled artifact (`.cwasm`), not a WebAssembly module: load it with \
             `Module::deserialize` (`nanowasm run --allow-precompiled`)",
        ));
    }
    let _ = bytes;
    Ok(())
}

/// The type of an import or export: a function, table, memory or global
/// type (wasmtime's `ExternType`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    /// A function of this type.
    Func(FuncType),
    /// A table of this type.
    Table(TableType),
    /// A memory of this type.
    Memory(MemoryType),
    /// A global of this type.
    Global(GlobalType),
    /// A tag whose exceptions carry values of this type's parameters.
    Tag(FuncType),
}

impl ExternType {
    /// Which kind of entity.
    pub fn kind(&self) -> ExternKind {
        match self {
            ExternType::Func(_) => ExternKind::Func,
            ExternType::Table(_) => ExternKind::Table,
            ExternType::Memory(_) => ExternKind::Memory,
            ExternType::Global(_) => ExternKind::Global,
            ExternType::Tag(_) => ExternKind::Tag,
        }
    }
    /// The function type, if it is one.
    pub fn func(&self) -> Option<&FuncType> {
        match self {
            ExternType::Func(t) => Some(t),
            _ => None,
        }
    }
    /// The table type, if it is one.
    pub fn table(&self) -> Option<&TableType> {
        match self {
            ExternType::Table(t) => Some(t),
            _ => None,
        }
    }
    /// The memory type, if it is one.
    pub fn memory(&self) -> Option<&MemoryType> {
        match self {
            ExternType::Memory(t) => Some(t),
            _ => None,
        }
    }
    /// The global type, if it is one.
    pub fn global(&self) -> Option<&GlobalType> {
        match self {
            ExternType::Global(t) => Some(t),
            _ => None,
        }
    }
    /// The tag's type, if it is a tag.
    pub fn tag(&self) -> Option<&FuncType> {
        match self {
            ExternType::Tag(t) => Some(t),
            _ => None,
        }
    }
}

/// One import of a [`Module`] (see [`Module::imports`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportType<'module> {
    module: &'module str,
    name: &'module str,
    ty: ExternType,
}

impl<'module> ImportType<'module> {
    /// The module name it is imported from.
    pub fn module(&self) -> &'module str {
        self.module
    }
    /// The field name.
    pub fn name(&self) -> &'module str {
        self.name
    }
    /// The type the module expects.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

/// One export of a [`Module`] (see [`Module::exports`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportType<'module> {
    name: &'module str,
    ty: ExternType,
}

impl<'module> ExportType<'module> {
    /// The export's name.
    pub fn name(&self) -> &'module str {
        self.name
    }
    /// The exported entity's type.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

/// Refuses a configuration that enables what this build cannot run.
fn supported(engine: &Engine) -> Result<(), Error> {
    let features = engine.config().features;
    let simd = features.has(nanowasm_core::Feature::Simd)
        || features.has(nanowasm_core::Feature::RelaxedSimd);
    if !cfg!(feature = "simd") && simd {
        return Err(Error::usage(
            "this build of nanowasm has no SIMD support (its `simd` cargo feature is off): \
             disable SIMD with `Config::wasm_simd(false)`",
        ));
    }
    // The decoder and validator know every proposal a `Features` can name;
    // the engines run only the supported ones (`Feature::is_supported`).
    if let Some(f) = features.iter().find(|f| !f.is_supported()) {
        return Err(Error::usage(format!(
            "the `{f}` proposal is not implemented by nanowasm's engines yet: \
             turn it off in `Config::features`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Feature};

    /// `(module)`.
    const EMPTY: &[u8] = b"\0asm\x01\0\0\0";

    /// SIMD is on by default exactly where its handlers are compiled in,
    /// and a configuration that turns it on without them is refused with
    /// an error that says why (CI runs this without the `simd` feature
    /// too).
    #[test]
    fn simd_is_on_only_where_compiled_in() {
        let default = Engine::default();
        assert_eq!(
            default.config().get_features().has(Feature::Simd),
            cfg!(feature = "simd")
        );
        assert!(Module::from_binary(&default, EMPTY).is_ok());
        let mut config = Config::new();
        config.wasm_simd(true);
        let simd = Engine::new(&config);
        let compiled_in = cfg!(feature = "simd");
        match Module::from_binary(&simd, EMPTY) {
            Ok(_) => assert!(compiled_in),
            Err(e) => {
                assert!(!compiled_in);
                assert!(e.to_string().contains("`simd` cargo feature is off"), "{e}");
            }
        }
        assert_eq!(
            Module::validate(&simd, EMPTY).is_ok(),
            cfg!(feature = "simd")
        );
    }

    /// A proposal the decoder knows but the engines do not run yet
    /// (exceptions, say) may be set in `Config::features`, but then no
    /// module loads, with an error that names it, and none is half run.
    #[test]
    fn proposals_the_engines_do_not_run_are_refused() {
        for f in Feature::ALL.iter().filter(|f| !f.is_supported()) {
            let mut config = Config::new();
            config.features(config.get_features().with(*f, true));
            let err = Module::from_binary(&Engine::new(&config), EMPTY).unwrap_err();
            assert!(err.to_string().contains(&format!("`{f}`")), "{err}");
            assert!(err.to_string().contains("not implemented"), "{err}");
        }
    }
}
