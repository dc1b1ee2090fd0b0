//! Executes a script on the engine.

use std::collections::HashMap;

use nanowasm::{
    AnyRef, CompileErrorKind, Config, Engine, Error, ErrorKind, Extern, ExternRef, Instance,
    Linker, Module, RefType, Store, Val, ValType,
};

use crate::script::{
    Action, Directive, Expected, FloatPattern, Located, ModuleSource, NanKind, Value,
};

/// The result of running one script.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Directives that behaved as expected.
    pub passed: usize,
    /// One line per directive that did not: `line N: what happened`.
    pub failures: Vec<String>,
}

/// A check of each module a script loads (`module`, `module definition`),
/// given the module and its bytes; an error fails the directive.
pub type ModuleCheck = dyn Fn(&Module, &[u8]) -> Result<(), String>;

struct Runner<'a> {
    check: Option<&'a ModuleCheck>,
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    named: HashMap<String, Instance>,
    last: Option<Instance>,
    /// Modules from `module definition`, by name, and the latest.
    definitions: HashMap<String, Module>,
    last_definition: Option<Module>,
    /// Component directives' state, made at the first one.
    components: Option<crate::component::Components>,
}

/// Runs `script` on a fresh engine with `config`.
pub fn run(script: &[Located], config: &Config) -> Outcome {
    run_checked(script, config, None)
}

/// [`run`], with `check` applied to every module the script loads.
pub fn run_checked(script: &[Located], config: &Config, check: Option<&ModuleCheck>) -> Outcome {
    let engine = Engine::new(config);
    let mut store = Store::new(&engine, ());
    if config_fuel(config) {
        // Plenty for every spec test; the point is that fuel accounting runs.
        let _ = store.set_fuel(u64::MAX / 2);
    }
    let mut linker = Linker::new(&engine);
    linker.allow_shadowing(true);
    let mut outcome = Outcome::default();
    if let Err(e) = crate::spectest::define(&mut linker, &mut store) {
        outcome
            .failures
            .push(format!("cannot define the spectest module: {e}"));
        return outcome;
    }
    let mut runner = Runner {
        check,
        engine,
        store,
        linker,
        named: HashMap::new(),
        last: None,
        definitions: HashMap::new(),
        last_definition: None,
        components: None,
    };
    for d in script {
        match runner.directive(&d.directive) {
            Ok(()) => outcome.passed += 1,
            Err(why) => outcome.failures.push(format!("line {}: {why}", d.line)),
        }
    }
    outcome
}

fn config_fuel(config: &Config) -> bool {
    // `Config` keeps its fields private; probe with a throwaway store.
    let engine = Engine::new(config);
    Store::new(&engine, ()).get_fuel().is_ok()
}

fn bytes(source: &ModuleSource) -> Result<&[u8], String> {
    match source {
        ModuleSource::Bytes(Ok(b)) => Ok(b),
        ModuleSource::Bytes(Err(e)) => Err(e.clone()),
    }
}

fn to_val(v: &Value, store: &mut Store<()>) -> Val {
    match *v {
        Value::I32(x) => Val::I32(x),
        Value::I64(x) => Val::I64(x),
        Value::F32(x) => Val::F32(x),
        Value::F64(x) => Val::F64(x),
        Value::V128(x) => Val::V128(x),
        Value::RefNull(h) => Val::default_for(ValType::Ref(RefType::new(true, h))),
        Value::RefExtern(n) => Val::ExternRef(Some(ExternRef::new(&mut *store, n))),
        Value::RefHost(n) => {
            let e = ExternRef::new(&mut *store, n);
            // A reference of this store: the conversion cannot fail.
            Val::AnyRef(AnyRef::convert_extern(&*store, e).ok())
        }
    }
}

fn nan32(bits: u32, kind: NanKind) -> bool {
    let nan = bits & 0x7f80_0000 == 0x7f80_0000 && bits & 0x007f_ffff != 0;
    match kind {
        NanKind::Canonical => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanKind::Arithmetic => nan && bits & 0x0040_0000 != 0,
    }
}

fn nan64(bits: u64, kind: NanKind) -> bool {
    let nan =
        bits & 0x7ff0_0000_0000_0000 == 0x7ff0_0000_0000_0000 && bits & 0x000f_ffff_ffff_ffff != 0;
    match kind {
        NanKind::Canonical => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanKind::Arithmetic => nan && bits & 0x0008_0000_0000_0000 != 0,
    }
}

fn f32_matches(bits: u32, p: FloatPattern<u32>) -> bool {
    match p {
        FloatPattern::Bits(b) => bits == b,
        FloatPattern::Nan(k) => nan32(bits, k),
    }
}

fn f64_matches(bits: u64, p: FloatPattern<u64>) -> bool {
    match p {
        FloatPattern::Bits(b) => bits == b,
        FloatPattern::Nan(k) => nan64(bits, k),
    }
}

impl Runner<'_> {
    fn instance(&self, name: &Option<String>) -> Result<Instance, String> {
        match name {
            Some(n) => self
                .named
                .get(n)
                .copied()
                .ok_or_else(|| format!("no module named {n}")),
            None => self.last.ok_or_else(|| "no module defined yet".into()),
        }
    }

    fn instantiate(&mut self, source: &ModuleSource) -> Result<Result<Instance, Error>, String> {
        let b = bytes(source).map_err(|e| format!("text error: {e}"))?;
        let module =
            Module::from_binary(&self.engine, b).map_err(|e| format!("module rejected: {e}"))?;
        self.checked(&module, b)?;
        Ok(self.linker.instantiate(&mut self.store, &module))
    }

    /// Applies the run's module check, if any.
    fn checked(&self, module: &Module, bytes: &[u8]) -> Result<(), String> {
        match self.check {
            Some(check) => check(module, bytes).map_err(|e| format!("module check: {e}")),
            None => Ok(()),
        }
    }

    fn action(&mut self, a: &Action) -> Result<Result<Vec<Val>, Error>, String> {
        match a {
            Action::Invoke { module, name, args } => {
                let inst = self.instance(module)?;
                let f = inst
                    .get_func(&self.store, name)
                    .ok_or_else(|| format!("no exported function {name:?}"))?;
                let args: Vec<Val> = args.iter().map(|v| to_val(v, &mut self.store)).collect();
                let n = f
                    .ty(&self.store)
                    .map_err(|e| e.to_string())?
                    .results()
                    .len();
                let mut results = vec![Val::I32(0); n];
                Ok(f.call(&mut self.store, &args, &mut results)
                    .map(|()| results))
            }
            Action::Get { module, name } => {
                let inst = self.instance(module)?;
                let g = inst
                    .get_global(&self.store, name)
                    .ok_or_else(|| format!("no exported global {name:?}"))?;
                Ok(g.get(&self.store).map(|v| vec![v]))
            }
        }
    }

    fn matches(&self, v: &Val, e: &Expected) -> bool {
        match (e, v) {
            (Expected::I32(x), Val::I32(y)) => x == y,
            (Expected::I64(x), Val::I64(y)) => x == y,
            (Expected::F32(p), Val::F32(b)) => f32_matches(*b, *p),
            (Expected::F64(p), Val::F64(b)) => f64_matches(*b, *p),
            (Expected::V128(x), Val::V128(y)) => x == y,
            (Expected::V128F32(lanes), Val::V128(y)) => {
                (0..4).all(|i| f32_matches((*y >> (32 * i)) as u32, lanes[i]))
            }
            (Expected::V128F64(lanes), Val::V128(y)) => {
                (0..2).all(|i| f64_matches((*y >> (64 * i)) as u64, lanes[i]))
            }
            (
                Expected::RefNull(None),
                Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) | Val::AnyRef(None),
            ) => true,
            (Expected::RefNull(Some(h)), v) => {
                *v == Val::default_for(ValType::Ref(RefType::new(true, *h)))
            }
            (Expected::RefFunc, Val::FuncRef(Some(_))) => true,
            (Expected::RefExtern(None), Val::ExternRef(Some(_))) => true,
            (Expected::RefExtern(Some(n)), Val::ExternRef(Some(r))) => {
                r.data(&self.store)
                    .ok()
                    .and_then(|d| d.downcast_ref::<u32>())
                    == Some(n)
            }
            (Expected::RefAny, Val::AnyRef(Some(_))) => true,
            (Expected::RefEq, Val::AnyRef(Some(a))) => a.is_eq(&self.store).unwrap_or(false),
            (Expected::RefI31, Val::AnyRef(Some(a))) => a.is_i31(),
            (Expected::RefStruct, Val::AnyRef(Some(a))) => {
                a.is_struct(&self.store).unwrap_or(false)
            }
            (Expected::RefArray, Val::AnyRef(Some(a))) => a.is_array(&self.store).unwrap_or(false),
            (Expected::RefHost(n), Val::AnyRef(Some(a))) => {
                ExternRef::convert_any(&self.store, *a).ok().and_then(|e| {
                    e.data(&self.store)
                        .ok()
                        .and_then(|d| d.downcast_ref::<u32>().copied())
                }) == Some(*n)
            }
            (Expected::Either(options), v) => options.iter().any(|o| self.matches(v, o)),
            _ => false,
        }
    }

    fn directive(&mut self, d: &Directive) -> Result<(), String> {
        match d {
            Directive::Module { name, source } => {
                let inst = self
                    .instantiate(source)?
                    .map_err(|e| format!("instantiation failed: {e}"))?;
                self.last = Some(inst);
                if let Some(n) = name {
                    self.named.insert(n.clone(), inst);
                }
                Ok(())
            }
            Directive::ModuleDefinition { name, source } => {
                let b = bytes(source).map_err(|e| format!("text error: {e}"))?;
                let module = Module::from_binary(&self.engine, b)
                    .map_err(|e| format!("module rejected: {e}"))?;
                self.checked(&module, b)?;
                if let Some(n) = name {
                    self.definitions.insert(n.clone(), module.clone());
                }
                self.last_definition = Some(module);
                Ok(())
            }
            Directive::ModuleInstance { instance, module } => {
                let m = match module {
                    Some(n) => self.definitions.get(n),
                    None => self.last_definition.as_ref(),
                }
                .ok_or_else(|| format!("no module definition {module:?}"))?
                .clone();
                let inst = self
                    .linker
                    .instantiate(&mut self.store, &m)
                    .map_err(|e| format!("instantiation failed: {e}"))?;
                self.last = Some(inst);
                if let Some(n) = instance {
                    self.named.insert(n.clone(), inst);
                }
                Ok(())
            }
            Directive::Register { name, module } => {
                let inst = self.instance(module)?;
                self.linker
                    .instance(&mut self.store, name, inst)
                    .map_err(|e| e.to_string())?;
                Ok(())
            }
            Directive::Action(a) => {
                self.action(a)?.map_err(|e| format!("action failed: {e}"))?;
                Ok(())
            }
            Directive::AssertReturn { action, expected } => {
                let got = self
                    .action(action)?
                    .map_err(|e| format!("expected results, got: {e}"))?;
                if got.len() != expected.len()
                    || got.iter().zip(expected).any(|(v, e)| !self.matches(v, e))
                {
                    return Err(format!("expected {expected:?}, got {got:?}"));
                }
                Ok(())
            }
            Directive::AssertTrap { action, message } => match self.action(action)? {
                Ok(v) => Err(format!("expected trap \"{message}\", got {v:?}")),
                Err(e) => expect_trap(&e, message),
            },
            Directive::AssertTrapModule { source, message } => match self.instantiate(source)? {
                Ok(_) => Err(format!("expected trap \"{message}\" during instantiation")),
                Err(e) => expect_trap(&e, message),
            },
            Directive::AssertException { action } => match self.action(action)? {
                Ok(v) => Err(format!("expected an exception, got {v:?}")),
                Err(e) if e.as_exception().is_some() => Ok(()),
                Err(e) => Err(format!("expected an exception, got: {e}")),
            },
            Directive::AssertExhaustion { action, message } => match self.action(action)? {
                Ok(v) => Err(format!("expected exhaustion, got {v:?}")),
                Err(e) => expect_trap(&e, message),
            },
            Directive::AssertMalformed {
                source,
                message,
                text,
            } => match bytes(source) {
                // The text front end rejected it: malformed as expected.
                Err(_) if *text => Ok(()),
                Err(e) => Err(format!("cannot encode: {e}")),
                Ok(b) => match Module::from_binary(&self.engine, b) {
                    Ok(_) => Err(format!("expected malformed \"{message}\", module accepted")),
                    Err(e) if is_compile_error(&e, CompileErrorKind::Malformed) => Ok(()),
                    Err(e) => Err(format!("expected malformed \"{message}\", got {e}")),
                },
            },
            Directive::AssertInvalid { source, message } => match bytes(source) {
                // Rejected by the text front end (e.g. an unknown name).
                Err(_) => Ok(()),
                Ok(b) => match Module::from_binary(&self.engine, b) {
                    Ok(_) => Err(format!("expected invalid \"{message}\", module accepted")),
                    Err(e) if is_compile_error(&e, CompileErrorKind::Invalid) => Ok(()),
                    Err(e) => Err(format!("expected invalid \"{message}\", got {e}")),
                },
            },
            Directive::AssertUnlinkable { source, message } => match self.instantiate(source)? {
                Ok(_) => Err(format!("expected unlinkable \"{message}\", instantiated")),
                Err(e) if matches!(e.kind(), ErrorKind::Link(_) | ErrorKind::Limit(_)) => Ok(()),
                Err(e) => Err(format!("expected unlinkable \"{message}\", got {e}")),
            },
            Directive::Component(d) => {
                let engine = &self.engine;
                self.components
                    .get_or_insert_with(|| crate::component::Components::new(engine))
                    .directive(d)
            }
            Directive::AssertUninstantiable { source, message } => {
                match self.instantiate(source)? {
                    Ok(_) => Err(format!(
                        "expected uninstantiable \"{message}\", instantiated"
                    )),
                    Err(_) => Ok(()),
                }
            }
        }
    }
}

fn expect_trap(e: &Error, message: &str) -> Result<(), String> {
    match e.as_trap() {
        Some(t)
            if t.code.message().starts_with(message) || message.starts_with(t.code.message()) =>
        {
            Ok(())
        }
        _ => Err(format!("expected trap \"{message}\", got: {e}")),
    }
}

/// The instance's exported function names (for diagnostics).
pub fn exports(instance: Instance, store: &Store<()>) -> Vec<String> {
    instance
        .exports(store)
        .into_iter()
        .filter(|(_, e)| matches!(e, Extern::Func(_)))
        .map(|(n, _)| n.to_owned())
        .collect()
}

/// Whether `e` is the rejection of a module as `kind` (malformed or invalid).
fn is_compile_error(e: &Error, kind: CompileErrorKind) -> bool {
    e.as_compile_error().is_some_and(|c| c.kind() == kind)
}
