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

use crate::code_budget::CodeBudget;
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
    /// What the module's translations may still take, in bytes of code
    /// and offsets.
    budget: CodeBudget,
}

impl Artifact {
    /// An artifact with nothing translated yet.
    pub(crate) fn new(binary: &binary::Module) -> Artifact {
        Artifact {
            funcs: (0..binary.bodies.len()).map(|_| OnceLock::new()).collect(),
            budget: CodeBudget::new(binary),
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
            self.budget
                .charge((code.code.len() + code.offsets.len()) * 8)
                .map_err(|limit| {
                    format!("the module's translated code would take more than {limit} bytes")
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
