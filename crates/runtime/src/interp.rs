//! The interpreter: translation of validated WebAssembly into a compact
//! register-based code, and its execution.

use crate::prelude::*;
pub(crate) mod code;
#[cfg(all(test, feature = "wat"))]
pub(crate) mod disasm;
pub(crate) mod exec;
pub(crate) mod handlers;
pub(crate) mod num;
pub(crate) mod simd;
pub(crate) mod translate;

use alloc::sync::Arc;

use crate::sync::OnceLock;
use crate::Instant;

use nanowasm_binary as binary;

use code::CompiledFunc;
use translate::TranslateConfig;

/// A function's translation, or why it failed.
type Translated = Result<Arc<CompiledFunc>, String>;

/// The interpreter's artifact of a module: each defined function's code,
/// translated on its first use.
pub(crate) struct Artifact {
    funcs: Box<[OnceLock<Translated>]>,
    /// The bytes of translated code the module may still make (see
    /// [`MODULE_CODE_MIN`]).
    budget: core::sync::atomic::AtomicUsize,
    limit: usize,
}

/// The most memory a module's translations may take, in bytes of code
/// and offsets: 64 per byte of its code section, and at least 256 MiB.
/// Each function's translation is bounded by its size too
/// (`translate::CODE_PER_BYTE`), but that bound has a base allowance per
/// function, so a module of many small functions that each make the most
/// they may would otherwise make a thousand times its size. Real modules
/// take about 8 bytes per byte (sql-wasm: 5 MB for 610 KB).
pub(crate) const MODULE_CODE_MIN: usize = 256 << 20;

impl Artifact {
    /// An artifact with nothing translated yet.
    pub(crate) fn new(binary: &binary::Module) -> Artifact {
        let code: usize = binary.bodies.iter().map(|b| b.code.len()).sum();
        let limit = code.saturating_mul(64).max(MODULE_CODE_MIN);
        Artifact {
            funcs: (0..binary.bodies.len()).map(|_| OnceLock::new()).collect(),
            budget: limit.into(),
            limit,
        }
    }

    /// The code of function `func` of `binary`, translating it with
    /// `config` on first use.
    pub(crate) fn get(
        &self,
        binary: &binary::Module,
        func: u32,
        config: TranslateConfig,
    ) -> Result<&Arc<CompiledFunc>, &str> {
        let defined = func
            .checked_sub(binary.num_imported.funcs)
            .ok_or("imported function")? as usize;
        let slot = self.funcs.get(defined).ok_or("no such function")?;
        slot.get_or_init(|| {
            let code = translate_logged(binary, func, defined, config)?;
            let size = (code.code.len() + code.offsets.len()) * 8;
            use core::sync::atomic::Ordering::Relaxed;
            self.budget
                .fetch_update(Relaxed, Relaxed, |left| left.checked_sub(size))
                .map_err(|_| {
                    format!(
                        "the module's translated code would take more than {} bytes",
                        self.limit
                    )
                })?;
            Ok(code)
        })
        .as_ref()
        .map_err(String::as_str)
    }
}

/// Translates defined function `func` (`defined` among the module's own),
/// logging it at `debug`.
#[cold]
#[inline(never)]
fn translate_logged(
    m: &binary::Module,
    func: u32,
    defined: usize,
    config: TranslateConfig,
) -> Translated {
    let start = tracing::enabled!(tracing::Level::DEBUG).then(Instant::now);
    let result = translate::translate(m, func, config);
    if let Some(start) = start {
        let elapsed = start.elapsed();
        let body = m.bodies.get(defined).map_or(0, |b| b.code.len());
        let name = m.names.function(func).unwrap_or("");
        match &result {
            Ok(code) => tracing::debug!(
                func,
                name,
                body_bytes = body,
                code_words = code.code.len(),
                frame_slots = code.frame_slots,
                ?elapsed,
                "function translated"
            ),
            Err(error) => tracing::debug!(
                func,
                name,
                body_bytes = body,
                %error,
                "function translation failed"
            ),
        }
    }
    result.map(Arc::new)
}
