//! A printer of the translator's output, for the translation snapshot
//! tests (`tests/snapshots/*.wat` beside their `*.txt`): one line per
//! instruction with its index, the wasm offset it came from, its variant
//! and fields (branch targets are instruction indices), after a header with
//! the frame layout.

use crate::prelude::*;
use core::fmt::Write as _;

use nanowasm_binary as binary;

use super::translate::{translate_instrs, TranslateConfig};

/// The translation of function `func` (in the module's function space) of
/// a validated module, printed.
pub(crate) fn disassemble(
    module: &binary::Module,
    func: u32,
    config: TranslateConfig,
) -> Result<String, String> {
    let t = translate_instrs(module, func, config)?;
    let mut out = String::new();
    // Writing to a `String` cannot fail.
    let _ = match module.names.function(func) {
        Some(name) => write!(out, "func {func} ${name}"),
        None => write!(out, "func {func}"),
    };
    let _ = writeln!(
        out,
        ": params {} slots, locals {} slots, frame {} slots",
        t.param_slots, t.local_slots, t.frame_slots
    );
    for (i, (instr, at)) in t.code.iter().zip(&t.offsets).enumerate() {
        let _ = writeln!(out, "  {i:4} @{at:#06x}  {instr:?}");
    }
    for (i, v) in t.pool.iter().enumerate() {
        let _ = writeln!(out, "  pool[{i}] = {v:#034x}");
    }
    Ok(out)
}

#[cfg(all(test, feature = "wat"))]
mod tests {
    //! Translation snapshots: each `tests/snapshots/NAME.wat` is translated
    //! function by function and compared with `NAME.txt`. A first line
    //! `;; config: fuel epoch` turns those checks on. `NANOWASM_BLESS=1`
    //! rewrites the `.txt` files instead.

    use std::path::{Path, PathBuf};

    use super::*;
    use crate::{Config, Engine, Module};

    fn snapshot_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
    }

    fn print_module(text: &str) -> Result<String, String> {
        let first = text.lines().next().unwrap_or("");
        let options = first.strip_prefix(";; config:").unwrap_or("");
        let mut config = Config::new();
        config.consume_fuel(options.split_whitespace().any(|o| o == "fuel"));
        config.epoch_interruption(options.split_whitespace().any(|o| o == "epoch"));
        config.wasm_multi_memory(options.split_whitespace().any(|o| o == "multi-memory"));
        let engine = Engine::new(&config);
        let module = Module::new(&engine, text).map_err(|e| e.to_string())?;
        let binary = module.binary();
        let mut out = String::new();
        let first_defined = binary.num_imported.funcs;
        for defined in 0..binary.bodies.len() as u32 {
            let func = first_defined + defined;
            out.push_str(&disassemble(binary, func, engine.translate_config())?);
        }
        Ok(out)
    }

    #[test]
    fn translation_snapshots() {
        let bless = std::env::var_os("NANOWASM_BLESS").is_some_and(|v| v == "1");
        let mut wats: Vec<PathBuf> = std::fs::read_dir(snapshot_dir())
            .expect("tests/snapshots exists")
            .map(|e| e.expect("readable directory").path())
            .filter(|p| p.extension().is_some_and(|e| e == "wat"))
            .collect();
        wats.sort();
        assert!(!wats.is_empty(), "no snapshots found");
        let mut failures = Vec::new();
        for wat in &wats {
            let text = std::fs::read_to_string(wat).expect("readable snapshot");
            let actual = match print_module(&text) {
                Ok(actual) => actual,
                Err(e) => {
                    failures.push(format!("{}: {e}", wat.display()));
                    continue;
                }
            };
            let txt = wat.with_extension("txt");
            if bless {
                std::fs::write(&txt, &actual).expect("writable snapshot");
                continue;
            }
            let expected = std::fs::read_to_string(&txt).unwrap_or_default();
            if expected != actual {
                failures.push(format!(
                    "{}: translation differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
                    wat.display(),
                    txt.display()
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{}\n(re-run with NANOWASM_BLESS=1 to accept the new translations)",
            failures.join("\n")
        );
    }
}
