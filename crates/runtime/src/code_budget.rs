//! How much code a module may make in all, in either back end.

use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use nanowasm_binary as binary;

/// The bytes of code a module may still make: 64 per byte of its code
/// section, and at least 256 MiB. Each back end bounds each function's
/// code by its size too (`CODE_PER_BYTE` in `compiler::codegen` and in
/// `interp::translate`), but that bound has a base allowance per function,
/// so a module of many small functions that each make the most they may
/// would otherwise make a thousand times its size. Real modules make about
/// 3 bytes of machine code per byte, and about 8 of the interpreter's code
/// and offsets (sql-wasm: 5 MB for 610 KB).
#[derive(Debug)]
pub(crate) struct CodeBudget {
    left: AtomicUsize,
    limit: usize,
}

impl CodeBudget {
    /// The least any module may make.
    const MIN: usize = 256 << 20;

    /// The budget of `module`.
    pub(crate) fn new(module: &binary::Module) -> CodeBudget {
        let code: usize = module.bodies.iter().map(|b| b.code.len()).sum();
        let limit = code.saturating_mul(64).max(Self::MIN);
        CodeBudget {
            left: AtomicUsize::new(limit),
            limit,
        }
    }

    /// Takes `bytes` from the budget (from any thread); if they do not fit,
    /// takes nothing and returns the module's limit, for the error.
    pub(crate) fn charge(&self, bytes: usize) -> Result<(), usize> {
        self.left
            .fetch_update(Relaxed, Relaxed, |left| left.checked_sub(bytes))
            .map(drop)
            .map_err(|_| self.limit)
    }
}
