//! Runs the component model's reference tests (`../shared/component-model-
//! tests`, outside `async/` and `nyi.txt`) on the component runtime: the
//! `wast` crate parses the scripts and encodes the components (the text
//! format of our own is another layer); instantiation, calls, results and
//! traps are ours. Each file's count of directives that pass is a ratchet
//! (`reference_counts.txt`): a file that passes fewer fails the test, and
//! one that passes more fails it until the list is updated, so the list
//! only moves forward.

use std::collections::HashMap;
use std::fmt::Write as _;

use nanowasm_component::runtime::{Component, Instance, Linker, Val};
use nanowasm_runtime::{Engine, Store};
use wast::component::WastVal;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

fn to_val(v: &WastVal<'_>) -> Option<Val> {
    let b = |v: &WastVal<'_>| to_val(v).map(Box::new);
    let ob = |v: &Option<Box<WastVal<'_>>>| match v {
        None => Some(None),
        Some(v) => b(v).map(Some),
    };
    Some(match v {
        WastVal::Bool(x) => Val::Bool(*x),
        WastVal::U8(x) => Val::U8(*x),
        WastVal::S8(x) => Val::S8(*x),
        WastVal::U16(x) => Val::U16(*x),
        WastVal::S16(x) => Val::S16(*x),
        WastVal::U32(x) => Val::U32(*x),
        WastVal::S32(x) => Val::S32(*x),
        WastVal::U64(x) => Val::U64(*x),
        WastVal::S64(x) => Val::S64(*x),
        WastVal::F32(x) => Val::Float32(f32::from_bits(x.bits)),
        WastVal::F64(x) => Val::Float64(f64::from_bits(x.bits)),
        WastVal::Char(c) => Val::Char(*c),
        WastVal::String(s) => Val::String(s.to_string()),
        WastVal::List(vs) => Val::List(vs.iter().map(to_val).collect::<Option<_>>()?),
        WastVal::Record(fs) => Val::Record(
            fs.iter()
                .map(|(l, v)| Some((l.to_string(), to_val(v)?)))
                .collect::<Option<_>>()?,
        ),
        WastVal::Tuple(vs) => Val::Tuple(vs.iter().map(to_val).collect::<Option<_>>()?),
        WastVal::Variant(l, p) => Val::Variant(l.to_string(), ob(p)?),
        WastVal::Enum(l) => Val::Enum(l.to_string()),
        WastVal::Option(p) => Val::Option(ob(p)?),
        WastVal::Result(Ok(p)) => Val::Result(Ok(ob(p)?)),
        WastVal::Result(Err(p)) => Val::Result(Err(ob(p)?)),
        WastVal::Flags(ls) => Val::Flags(ls.iter().map(|l| l.to_string()).collect()),
        WastVal::Map(_) => return None,
    })
}

struct Runner {
    engine: Engine,
    store: Store<()>,
    current: Option<Instance>,
    instances: HashMap<String, Instance>,
    definitions: HashMap<String, Component>,
}

type Outcome = Result<(), String>;

impl Runner {
    fn new() -> Runner {
        let engine = Engine::default();
        Runner {
            store: Store::new(&engine, ()),
            engine,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
        }
    }

    fn compile(&self, q: &mut QuoteWat<'_>) -> Result<Option<Component>, String> {
        if let QuoteWat::Wat(Wat::Module(_)) | QuoteWat::QuoteModule(..) = q {
            return Ok(None);
        }
        let bytes = q.encode().map_err(|e| format!("encode: {e}"))?;
        Component::new(&self.engine, bytes)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    fn instantiate(&mut self, c: &Component) -> Result<Instance, String> {
        Linker::new(&self.engine)
            .instantiate(&mut self.store, c)
            .map_err(|e| e.to_string())
    }

    fn invoke(&mut self, inv: &WastInvoke<'_>) -> Result<Option<Val>, String> {
        let inst = match inv.module {
            Some(id) => self.instances.get(id.name()).cloned(),
            None => self.current.clone(),
        }
        .ok_or("no instance")?;
        let f = inst
            .get_func(&mut self.store, inv.name)
            .ok_or_else(|| format!("no export `{}`", inv.name))?;
        let mut args = Vec::new();
        for a in &inv.args {
            match a {
                WastArg::Component(v) => args.push(to_val(v).ok_or("unsupported value")?),
                _ => return Err("core argument".into()),
            }
        }
        let mut out = vec![Val::Bool(false); f.ty().result().is_some() as usize];
        f.call(&mut self.store, &args, &mut out)
            .map_err(|e| format!("{e}"))?;
        Ok(out.pop())
    }

    fn exec(&mut self, e: &mut WastExecute<'_>) -> Result<Option<Val>, String> {
        match e {
            WastExecute::Invoke(inv) => self.invoke(inv),
            WastExecute::Wat(w) => {
                let bytes = w.encode().map_err(|e| format!("encode: {e}"))?;
                let c = Component::new(&self.engine, bytes).map_err(|e| e.to_string())?;
                self.instantiate(&c)?;
                Ok(None)
            }
            WastExecute::Get { .. } => Err("`get` is not supported".into()),
        }
    }

    fn directive(&mut self, d: WastDirective<'_>) -> Option<Outcome> {
        Some(match d {
            WastDirective::Module(mut q) => {
                let id = quote_id(&q);
                match self.compile(&mut q) {
                    Ok(None) => return None,
                    Ok(Some(c)) => match self.instantiate(&c) {
                        Ok(i) => {
                            if let Some(id) = id {
                                self.instances.insert(id, i.clone());
                            }
                            self.current = Some(i);
                            Ok(())
                        }
                        Err(e) => Err(format!("instantiate: {e}")),
                    },
                    Err(e) => Err(format!("compile: {e}")),
                }
            }
            WastDirective::ModuleDefinition(mut q) => {
                let id = quote_id(&q);
                match self.compile(&mut q) {
                    Ok(None) => return None,
                    Ok(Some(c)) => {
                        if let Some(id) = id {
                            self.definitions.insert(id, c);
                        }
                        Ok(())
                    }
                    Err(e) => Err(format!("compile: {e}")),
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let Some(c) = module.and_then(|m| self.definitions.get(m.name()).cloned()) else {
                    return Some(Err("unknown definition".into()));
                };
                match self.instantiate(&c) {
                    Ok(i) => {
                        if let Some(id) = instance {
                            self.instances.insert(id.name().to_string(), i.clone());
                        }
                        self.current = Some(i);
                        Ok(())
                    }
                    Err(e) => Err(format!("instantiate: {e}")),
                }
            }
            WastDirective::AssertMalformed { mut module, .. }
            | WastDirective::AssertInvalid { mut module, .. } => match self.compile(&mut module) {
                Ok(None) => return None,
                Ok(Some(_)) => Err("accepted an invalid component".into()),
                Err(_) => Ok(()),
            },
            WastDirective::AssertUnlinkable { module, .. } => {
                let mut q = QuoteWat::Wat(module);
                match self.compile(&mut q) {
                    Ok(None) => return None,
                    Ok(Some(c)) => match self.instantiate(&c) {
                        Ok(_) => Err("linked an unlinkable component".into()),
                        Err(_) => Ok(()),
                    },
                    Err(e) => Err(format!("compile: {e}")),
                }
            }
            WastDirective::Invoke(inv) => self.invoke(&inv).map(|_| ()),
            WastDirective::AssertReturn {
                mut exec, results, ..
            } => {
                let want: Option<Vec<Val>> = results
                    .iter()
                    .map(|r| match r {
                        WastRet::Component(v) => to_val(v),
                        _ => None,
                    })
                    .collect();
                let Some(want) = want else {
                    return Some(Err("unsupported expected value".into()));
                };
                match self.exec(&mut exec) {
                    Ok(got) => {
                        let got: Vec<Val> = got.into_iter().collect();
                        if format!("{got:?}") == format!("{want:?}") {
                            Ok(())
                        } else {
                            Err(format!("got {got:?}, want {want:?}"))
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            WastDirective::AssertTrap {
                mut exec, message, ..
            } => match self.exec(&mut exec) {
                Ok(v) => Err(format!("returned {v:?}, expected a trap `{message}`")),
                Err(e) if e.contains(message) => Ok(()),
                Err(e) => Err(format!("trapped with `{e}`, expected `{message}`")),
            },
            _ => return None,
        })
    }
}

fn quote_id(q: &QuoteWat<'_>) -> Option<String> {
    match q {
        QuoteWat::Wat(Wat::Component(c)) => c.id.map(|i| i.name().to_string()),
        _ => None,
    }
}

/// `(file, passed, total)` for each in-scope file, and a report of the
/// failures.
fn run_all() -> (Vec<(String, usize, usize)>, String) {
    let root = super::verdict::in_scope();
    assert!(
        !root.is_empty(),
        "../shared/component-model-tests is missing"
    );
    let mut counts = Vec::new();
    let mut report = String::new();
    for path in root {
        let name = path
            .to_string_lossy()
            .split("component-model-tests/")
            .last()
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("read .wast");
        let Ok(buf) = ParseBuffer::new(&text) else {
            counts.push((name, 0, 1));
            continue;
        };
        let Ok(wast) = parser::parse::<Wast<'_>>(&buf) else {
            counts.push((name, 0, 1));
            continue;
        };
        let mut r = Runner::new();
        let (mut passed, mut total) = (0, 0);
        for d in wast.directives {
            let line = {
                let (l, _) = d.span().linecol_in(&text);
                l + 1
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.directive(d)));
            match outcome {
                Ok(None) => {}
                Ok(Some(Ok(()))) => {
                    passed += 1;
                    total += 1;
                }
                Ok(Some(Err(e))) => {
                    total += 1;
                    let _ = writeln!(report, "{name}:{line}: {e}");
                }
                Err(_) => {
                    total += 1;
                    let _ = writeln!(report, "{name}:{line}: PANIC");
                }
            }
        }
        counts.push((name, passed, total));
    }
    (counts, report)
}

#[test]
fn reference_tests_run() {
    let (counts, report) = run_all();
    let (p, t): (usize, usize) = counts.iter().fold((0, 0), |(p, t), c| (p + c.1, t + c.2));
    let table: String = counts
        .iter()
        .map(|(f, p, t)| format!("{f} {p}/{t}\n"))
        .collect();
    println!("{table}total {p}/{t}");
    if std::env::var_os("NANOWASM_REFERENCE_REPORT").is_some() {
        println!("{report}");
    }
    assert!(!report.contains("PANIC"), "the runtime panicked:\n{report}");
    let expected = include_str!("reference_counts.txt");
    let mut bad = Vec::new();
    for (f, p, t) in &counts {
        let want = expected
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{f} ")))
            .and_then(|r| r.split('/').next()?.parse::<usize>().ok());
        match want {
            Some(w) if w == *p => {}
            Some(w) => bad.push(format!("{f}: {p}/{t} pass, the list says {w}")),
            None => bad.push(format!("{f}: not in the list ({p}/{t})")),
        }
    }
    assert!(
        bad.is_empty(),
        "reference_counts.txt is out of date (update it with the table above):\n{}\n\nfailures:\n{report}",
        bad.join("\n")
    );
}
