//! Runs every `.wast` file of the WebAssembly 2.0 spec testsuite, one
//! trial per file and engine configuration: on the interpreter,
//! `interp/<path>` (default) and `interp-fuel/<path>` (fuel metering on),
//! both parsed by nanowasm's own text format, and `interp-wast-crate/<path>`
//! with scripts parsed by the `wast` crate (a dev-dependency) as a
//! differential check of our parser; on the x86-64 compiler (where it is
//! built), `compiled/<path>` with `Strategy::Compiler`, so a module the
//! compiler cannot compile yet fails its file, and `compiled-fuel/<path>`
//! with fuel metering and epoch checks compiled in as well; both with guard
//! regions (out-of-bounds accesses fault and the signal handler traps), and
//! again with explicit bounds checks as `compiled-explicit/<path>` and
//! `compiled-explicit-fuel/<path>`. Where the CPU has AVX2 (which the
//! compiler then uses), `compiled-sse41/<path>` runs code compiled for the
//! SSE4.1 baseline. The engine sees only binaries.
//!
//! `known_failures.txt` lists trials expected to fail; it can only shrink:
//! a listed trial that passes fails the run until it is removed.

use std::path::{Path, PathBuf};

#[path = "../common/ratchet.rs"]
mod ratchet;
use ratchet::{known_failures, ratchet_trial, run_script, wast_files};

use libtest_mimic::Arguments;
use nanowasm::{Config, HeapType, MemoryBounds, Strategy};
use nanowasm_spectest::script::{FloatPattern, NanKind};
use nanowasm_spectest::{Action, Directive, Expected, Located, ModuleSource, Value};
use wast::core::{
    AbstractHeapType, HeapType as WHeap, NanPattern, V128Pattern, WastArgCore, WastRetCore,
};
use wast::{QuoteWat, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

fn testsuite() -> PathBuf {
    if let Ok(dir) = std::env::var("NANOWASM_TESTSUITE") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite-2.0")
}

fn heap(h: &WHeap<'_>) -> Result<HeapType, String> {
    match h {
        WHeap::Abstract {
            ty: AbstractHeapType::Func,
            ..
        } => Ok(HeapType::Func),
        WHeap::Abstract {
            ty: AbstractHeapType::Extern,
            ..
        } => Ok(HeapType::Extern),
        other => Err(format!("unsupported heap type {other:?}")),
    }
}

fn arg(a: &WastArg<'_>) -> Result<Value, String> {
    let WastArg::Core(a) = a else {
        return Err("component argument".into());
    };
    Ok(match a {
        WastArgCore::I32(x) => Value::I32(*x),
        WastArgCore::I64(x) => Value::I64(*x),
        WastArgCore::F32(x) => Value::F32(x.bits),
        WastArgCore::F64(x) => Value::F64(x.bits),
        WastArgCore::V128(v) => Value::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(h) => Value::RefNull(heap(h)?),
        WastArgCore::RefExtern(n) => Value::RefExtern(*n),
        WastArgCore::RefHost(n) => Value::RefHost(*n),
    })
}

fn f32p(p: &NanPattern<wast::token::F32>) -> FloatPattern<u32> {
    match p {
        NanPattern::CanonicalNan => FloatPattern::Nan(NanKind::Canonical),
        NanPattern::ArithmeticNan => FloatPattern::Nan(NanKind::Arithmetic),
        NanPattern::Value(v) => FloatPattern::Bits(v.bits),
    }
}

fn f64p(p: &NanPattern<wast::token::F64>) -> FloatPattern<u64> {
    match p {
        NanPattern::CanonicalNan => FloatPattern::Nan(NanKind::Canonical),
        NanPattern::ArithmeticNan => FloatPattern::Nan(NanKind::Arithmetic),
        NanPattern::Value(v) => FloatPattern::Bits(v.bits),
    }
}

fn ret_core(r: &WastRetCore<'_>) -> Result<Expected, String> {
    Ok(match r {
        WastRetCore::I32(x) => Expected::I32(*x),
        WastRetCore::I64(x) => Expected::I64(*x),
        WastRetCore::F32(p) => Expected::F32(f32p(p)),
        WastRetCore::F64(p) => Expected::F64(f64p(p)),
        WastRetCore::V128(p) => match p {
            V128Pattern::F32x4(l) => {
                Expected::V128F32([f32p(&l[0]), f32p(&l[1]), f32p(&l[2]), f32p(&l[3])])
            }
            V128Pattern::F64x2(l) => Expected::V128F64([f64p(&l[0]), f64p(&l[1])]),
            V128Pattern::I8x16(l) => Expected::V128(u128::from_le_bytes(l.map(|x| x as u8))),
            V128Pattern::I16x8(l) => Expected::V128(
                l.iter()
                    .enumerate()
                    .fold(0, |v, (i, &x)| v | (u128::from(x as u16) << (16 * i))),
            ),
            V128Pattern::I32x4(l) => Expected::V128(
                l.iter()
                    .enumerate()
                    .fold(0, |v, (i, &x)| v | (u128::from(x as u32) << (32 * i))),
            ),
            V128Pattern::I64x2(l) => Expected::V128(
                l.iter()
                    .enumerate()
                    .fold(0, |v, (i, &x)| v | (u128::from(x as u64) << (64 * i))),
            ),
        },
        WastRetCore::RefNull(h) => Expected::RefNull(h.as_ref().map(heap).transpose()?),
        WastRetCore::RefExtern(n) => Expected::RefExtern(*n),
        WastRetCore::RefFunc(_) => Expected::RefFunc,
        WastRetCore::Either(options) => {
            Expected::Either(options.iter().map(ret_core).collect::<Result<_, _>>()?)
        }
        other => return Err(format!("unsupported result {other:?}")),
    })
}

fn invoke(i: &WastInvoke<'_>) -> Result<Action, String> {
    Ok(Action::Invoke {
        module: i.module.map(|id| id.name().to_owned()),
        name: i.name.to_owned(),
        args: i.args.iter().map(arg).collect::<Result<_, _>>()?,
    })
}

fn encode(q: &mut QuoteWat<'_>) -> ModuleSource {
    ModuleSource::Bytes(q.encode().map_err(|e| e.to_string()))
}

fn is_text(q: &QuoteWat<'_>) -> bool {
    match q {
        QuoteWat::QuoteModule(..) => true,
        QuoteWat::Wat(wast::Wat::Module(m)) => !matches!(m.kind, wast::core::ModuleKind::Binary(_)),
        _ => true,
    }
}

fn convert(src: &str) -> Result<Vec<Located>, String> {
    let mut lexer = wast::lexer::Lexer::new(src);
    lexer.allow_confusing_unicode(true);
    let buf = wast::parser::ParseBuffer::new_with_lexer(lexer).map_err(|e| e.to_string())?;
    let script: wast::Wast<'_> = wast::parser::parse(&buf).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for d in script.directives {
        let line = d.span().linecol_in(src).0 + 1;
        let directive = match d {
            WastDirective::Module(mut q) => {
                let name = match &q {
                    QuoteWat::Wat(wast::Wat::Module(m)) => m.id.map(|i| i.name().to_owned()),
                    _ => None,
                };
                Directive::Module {
                    name,
                    source: encode(&mut q),
                }
            }
            WastDirective::Register { name, module, .. } => Directive::Register {
                name: name.to_owned(),
                module: module.map(|m| m.name().to_owned()),
            },
            WastDirective::Invoke(i) => Directive::Action(invoke(&i)?),
            WastDirective::AssertReturn { exec, results, .. } => {
                let action = match exec {
                    WastExecute::Invoke(i) => invoke(&i)?,
                    WastExecute::Get { module, global, .. } => Action::Get {
                        module: module.map(|m| m.name().to_owned()),
                        name: global.to_owned(),
                    },
                    WastExecute::Wat(_) => return Err("assert_return of a module".into()),
                };
                let expected = results
                    .iter()
                    .map(|r| match r {
                        WastRet::Core(c) => ret_core(c),
                        #[allow(unreachable_patterns)]
                        _ => Err("component result".into()),
                    })
                    .collect::<Result<_, _>>()?;
                Directive::AssertReturn { action, expected }
            }
            WastDirective::AssertTrap { exec, message, .. } => match exec {
                WastExecute::Invoke(i) => Directive::AssertTrap {
                    action: invoke(&i)?,
                    message: message.to_owned(),
                },
                WastExecute::Get { module, global, .. } => Directive::AssertTrap {
                    action: Action::Get {
                        module: module.map(|m| m.name().to_owned()),
                        name: global.to_owned(),
                    },
                    message: message.to_owned(),
                },
                WastExecute::Wat(w) => {
                    let mut q = QuoteWat::Wat(w);
                    Directive::AssertTrapModule {
                        source: encode(&mut q),
                        message: message.to_owned(),
                    }
                }
            },
            WastDirective::AssertExhaustion { call, message, .. } => Directive::AssertExhaustion {
                action: invoke(&call)?,
                message: message.to_owned(),
            },
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                let text = is_text(&module);
                Directive::AssertMalformed {
                    source: encode(&mut module),
                    message: message.to_owned(),
                    text,
                }
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => Directive::AssertInvalid {
                source: encode(&mut module),
                message: message.to_owned(),
            },
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let mut q = QuoteWat::Wat(module);
                Directive::AssertUnlinkable {
                    source: encode(&mut q),
                    message: message.to_owned(),
                }
            }
            other => return Err(format!("unsupported directive at line {line}: {other:?}")),
        };
        out.push(Located { line, directive });
    }
    Ok(out)
}

/// Which parser reads the scripts.
#[derive(Clone, Copy)]
enum ScriptParser {
    /// nanowasm's own (`nanowasm-text`).
    Ours,
    /// The `wast` crate, as a differential check of ours.
    WastCrate,
}

fn run_file(path: &Path, config: &Config, parser: ScriptParser) -> Result<(), String> {
    match parser {
        ScriptParser::Ours => ratchet::run_file(path, config),
        ScriptParser::WastCrate => {
            let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
            run_script(&convert(&src)?, config)
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let root = testsuite();
    assert!(
        root.is_dir(),
        "the spec testsuite is missing: set NANOWASM_TESTSUITE or put it at {}",
        root.display()
    );
    let files = wast_files(&root);
    assert!(
        files.len() >= 148,
        "expected the 148 files of the 2.0 testsuite, found {}",
        files.len()
    );
    let known = known_failures("spec/known_failures.txt");
    // The 2.0 suite checks 2.0's rules ("multiple memories" is invalid
    // there, say), so its engines have exactly the 2.0 proposals on.
    let mut wasm2 = Config::new();
    wasm2
        .features(nanowasm::Features::WASM2)
        .strategy(Strategy::Interpreter);
    let mut fuel = wasm2.clone();
    fuel.consume_fuel(true);
    let mut configs = vec![
        ("interp", wasm2.clone(), ScriptParser::Ours),
        ("interp-fuel", fuel, ScriptParser::Ours),
        ("interp-wast-crate", wasm2.clone(), ScriptParser::WastCrate),
    ];
    if Strategy::Auto.resolve() == Strategy::Compiler {
        let mut compiled = wasm2;
        compiled.strategy(Strategy::Compiler);
        let mut compiled_fuel = compiled.clone();
        compiled_fuel.consume_fuel(true).epoch_interruption(true);
        // The same two with explicit bounds checks instead of guard
        // regions (the default where the compiler runs).
        let mut explicit = compiled.clone();
        explicit.memory_bounds(MemoryBounds::Explicit);
        let mut explicit_fuel = compiled_fuel.clone();
        explicit_fuel.memory_bounds(MemoryBounds::Explicit);
        assert!(!explicit.get_guard_regions());
        // Portable builds (`NANOWASM_PORTABLE=1`: memories in heap buffers)
        // have no reservations, so their compiled code always checks
        // explicitly: the first two configurations are already those.
        let guard = compiled.get_guard_regions();
        let mut sse41 = compiled.clone();
        sse41.avx2(false);
        let avx2 = compiled.get_avx2();
        configs.push(("compiled", compiled, ScriptParser::Ours));
        configs.push(("compiled-fuel", compiled_fuel, ScriptParser::Ours));
        if guard {
            configs.push(("compiled-explicit", explicit, ScriptParser::Ours));
            configs.push(("compiled-explicit-fuel", explicit_fuel, ScriptParser::Ours));
        }
        if avx2 {
            configs.push(("compiled-sse41", sse41, ScriptParser::Ours));
        }
    }
    let mut trials = Vec::new();
    for (prefix, config, parser) in configs {
        for path in &files {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let name = format!("{prefix}/{rel}");
            let path = path.clone();
            let config = config.clone();
            trials.push(ratchet_trial(name, &known, move || {
                run_file(&path, &config, parser)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
