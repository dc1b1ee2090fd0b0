//! Differential execution against wasmi (the reference engine): the same
//! module, the same calls, the same results.
//!
//! Both engines instantiate the module (running its start function), then
//! call every exported function in export order with zero arguments. After
//! instantiation and after every call they must agree on the outcome —
//! results (NaNs compared by class), or the trap's kind — and on the state:
//! every exported global's value, every exported table's size and every
//! exported memory's size and contents (hashed). Running out of fuel or
//! stack is engine-specific (their fuel units and stack limits differ), so
//! exhaustion on either side ends the comparison without a verdict.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use crate::oracles::{FUEL, MAX_MEMORY, MAX_TABLE};

/// A value, with NaNs reduced to their class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32` bits, or `None` for any NaN.
    F32(Option<u32>),
    /// `f64` bits, or `None` for any NaN.
    F64(Option<u64>),
    /// `v128` bits (modules are generated with canonical NaNs).
    V128(u128),
    /// A reference: whether it is null.
    Ref(bool),
    /// A value a peer cannot read (wasmtime's Python API and an
    /// `exnref`): left out of comparisons.
    Opaque,
}

fn f32v(bits: u32) -> Value {
    Value::F32((!f32::from_bits(bits).is_nan()).then_some(bits))
}

fn f64v(bits: u64) -> Value {
    Value::F64((!f64::from_bits(bits).is_nan()).then_some(bits))
}

/// Trap kinds both engines can name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    #[allow(missing_docs)]
    Unreachable,
    #[allow(missing_docs)]
    MemoryOutOfBounds,
    #[allow(missing_docs)]
    TableOutOfBounds,
    #[allow(missing_docs)]
    IndirectCallToNull,
    #[allow(missing_docs)]
    IndirectCallTypeMismatch,
    #[allow(missing_docs)]
    DivisionByZero,
    #[allow(missing_docs)]
    IntegerOverflow,
    #[allow(missing_docs)]
    BadConversion,
    /// An exception no handler caught.
    UncaughtException,
    /// A null reference where a value is needed (`throw_ref`, `call_ref`,
    /// `ref.as_non_null`, a field or element access, `i31.get_*`).
    NullReference,
    /// `ref.cast` of a value of another type (GC).
    CastFailure,
    /// An array access out of bounds (GC).
    ArrayOutOfBounds,
    /// Anything else (an engine error that is not a trap).
    Other(String),
}

/// What one call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Returned these values.
    Values(Vec<Value>),
    /// Trapped.
    Trap(Trap),
    /// Ran out of fuel or stack: no verdict.
    Exhausted,
}

/// The observable state after a step (sorted by export name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Exported globals' values, by export name.
    pub globals: Vec<(String, Value)>,
    /// Exported tables' sizes.
    pub tables: Vec<(String, u64)>,
    /// Exported memories' sizes in bytes and a hash of their contents.
    pub memories: Vec<(String, usize, u64)>,
}

/// CRC-32 (IEEE), as Python's `zlib.crc32` computes it, so every peer
/// hashes memories alike.
fn hash(bytes: &[u8]) -> u64 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    u64::from(!crc)
}

/// One engine running a module.
trait Engine {
    fn instantiate(wasm: &[u8]) -> (Self, Outcome)
    where
        Self: Sized;
    /// Exported function names, in export order.
    fn funcs(&self) -> Vec<String>;
    fn call(&mut self, name: &str) -> Outcome;
    fn state(&mut self) -> State {
        let mut s = self.raw_state();
        s.globals.sort_by(|a, b| a.0.cmp(&b.0));
        s.tables.sort();
        s.memories.sort();
        s
    }
    fn raw_state(&mut self) -> State;
}

struct Nano {
    store: nanowasm::Store<()>,
    instance: Option<nanowasm::Instance>,
}

fn nano_value(v: &nanowasm::Val) -> Value {
    use nanowasm::Val;
    match *v {
        Val::I32(x) => Value::I32(x),
        Val::I64(x) => Value::I64(x),
        Val::F32(b) => f32v(b),
        Val::F64(b) => f64v(b),
        Val::V128(x) => Value::V128(x),
        Val::FuncRef(r) => Value::Ref(r.is_none()),
        Val::ExternRef(r) => Value::Ref(r.is_none()),
        Val::ExnRef(r) => Value::Ref(r.is_none()),
        Val::AnyRef(r) => Value::Ref(r.is_none()),
    }
}

fn nano_outcome(r: Result<Vec<Value>, nanowasm::Error>) -> Outcome {
    use nanowasm::TrapCode as T;
    match r {
        Ok(v) => Outcome::Values(v),
        Err(e) => match e.trap_code() {
            Some(T::OutOfFuel | T::StackOverflow | T::Interrupted) => Outcome::Exhausted,
            Some(T::Unreachable) => Outcome::Trap(Trap::Unreachable),
            Some(T::MemoryOutOfBounds) => Outcome::Trap(Trap::MemoryOutOfBounds),
            Some(T::TableOutOfBounds | T::UndefinedElement) => {
                Outcome::Trap(Trap::TableOutOfBounds)
            }
            Some(T::UninitializedElement) => Outcome::Trap(Trap::IndirectCallToNull),
            Some(T::IndirectCallTypeMismatch) => Outcome::Trap(Trap::IndirectCallTypeMismatch),
            Some(T::IntegerDivisionByZero) => Outcome::Trap(Trap::DivisionByZero),
            Some(T::IntegerOverflow) => Outcome::Trap(Trap::IntegerOverflow),
            Some(T::BadConversionToInteger) => Outcome::Trap(Trap::BadConversion),
            Some(
                T::NullReference
                | T::NullFunctionReference
                | T::NullExceptionReference
                | T::NullStructReference
                | T::NullArrayReference
                | T::NullI31Reference,
            ) => Outcome::Trap(Trap::NullReference),
            Some(T::CastFailure) => Outcome::Trap(Trap::CastFailure),
            Some(T::ArrayOutOfBounds) => Outcome::Trap(Trap::ArrayOutOfBounds),
            Some(T::GcHeapExhausted) => Outcome::Exhausted,
            Some(other) => Outcome::Trap(Trap::Other(format!("{other:?}"))),
            // The stack of values, not only calls, is a limit too.
            None if matches!(e.kind(), nanowasm::ErrorKind::Limit(_)) => Outcome::Exhausted,
            None if e.as_exception().is_some() => Outcome::Trap(Trap::UncaughtException),
            None => Outcome::Trap(Trap::Other(e.to_string())),
        },
    }
}

impl Nano {
    /// The module instantiated with `strategy` (`Auto`: compiled where the
    /// compiler supports the module, as by default).
    fn with_strategy(wasm: &[u8], strategy: nanowasm::Strategy) -> (Nano, Outcome) {
        let mut config = nanowasm::Config::new();
        config.consume_fuel(true).strategy(strategy);
        // The Wasm 3.0 proposals that both engines implement (see
        // `generate_for_differential`).
        config
            .wasm_tail_call(true)
            .wasm_extended_const(true)
            .wasm_multi_memory(true)
            .wasm_memory64(true);
        let engine = nanowasm::Engine::new(&config);
        let module = nanowasm::Module::new(&engine, wasm).expect("wasm-smith modules are valid");
        let mut store = nanowasm::Store::new(&engine, ());
        store.set_limits(
            nanowasm::StoreLimitsBuilder::new()
                .memory_size(MAX_MEMORY)
                .table_elements(MAX_TABLE as u64)
                .build(),
        );
        store.set_fuel(FUEL).unwrap();
        match nanowasm::Linker::new(&engine).instantiate(&mut store, &module) {
            Ok(i) => (
                Nano {
                    store,
                    instance: Some(i),
                },
                Outcome::Values(Vec::new()),
            ),
            Err(e) => (
                Nano {
                    store,
                    instance: None,
                },
                nano_outcome(Err(e)),
            ),
        }
    }
}

impl Engine for Nano {
    fn instantiate(wasm: &[u8]) -> (Nano, Outcome) {
        Nano::with_strategy(wasm, nanowasm::Strategy::Auto)
    }

    fn funcs(&self) -> Vec<String> {
        let Some(i) = self.instance else {
            return Vec::new();
        };
        i.exports(&self.store)
            .into_iter()
            .filter(|(_, e)| matches!(e, nanowasm::Extern::Func(_)))
            .map(|(n, _)| n.to_owned())
            .collect()
    }

    fn call(&mut self, name: &str) -> Outcome {
        let Some(i) = self.instance else {
            return Outcome::Exhausted;
        };
        let Some(f) = i.get_func(&self.store, name) else {
            return Outcome::Trap(Trap::Other("missing export".into()));
        };
        let Ok(ty) = f.ty(&self.store) else {
            return Outcome::Trap(Trap::Other("function of another store".into()));
        };
        let params: Vec<_> = ty
            .params()
            .iter()
            .map(|&t| nanowasm::Val::default_for(t))
            .collect();
        let mut results: Vec<_> = ty
            .results()
            .iter()
            .map(|&t| nanowasm::Val::default_for(t))
            .collect();
        self.store.set_fuel(FUEL).unwrap();
        let r = f
            .call(&mut self.store, &params, &mut results)
            .map(|()| results.iter().map(nano_value).collect());
        nano_outcome(r)
    }

    fn raw_state(&mut self) -> State {
        let mut s = State {
            globals: Vec::new(),
            tables: Vec::new(),
            memories: Vec::new(),
        };
        let Some(i) = self.instance else { return s };
        for (name, e) in i.exports(&self.store) {
            match e {
                nanowasm::Extern::Global(g) => s.globals.push((
                    name.to_owned(),
                    nano_value(&g.get(&self.store).expect("the store owns its global")),
                )),
                nanowasm::Extern::Table(t) => s.tables.push((
                    name.to_owned(),
                    t.size(&self.store).expect("the store owns its table"),
                )),
                nanowasm::Extern::Memory(m) => {
                    let d = m.data(&self.store).expect("the store owns its memory");
                    s.memories.push((name.to_owned(), d.len(), hash(d)));
                }
                nanowasm::Extern::Func(_) | nanowasm::Extern::Tag(_) => {}
            }
        }
        s
    }
}

struct Wasmi {
    store: wasmi::Store<wasmi::StoreLimits>,
    instance: Option<wasmi::Instance>,
}

fn wasmi_value(v: &wasmi::Val) -> Value {
    use wasmi::Val;
    match v {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(f) => f32v(f.to_bits()),
        Val::F64(f) => f64v(f.to_bits()),
        Val::V128(x) => Value::V128(x.as_u128()),
        Val::FuncRef(r) => Value::Ref(r.is_null()),
        Val::ExternRef(r) => Value::Ref(r.is_null()),
    }
}

fn wasmi_outcome(r: Result<Vec<Value>, wasmi::Error>) -> Outcome {
    use wasmi::TrapCode as T;
    match r {
        Ok(v) => Outcome::Values(v),
        Err(e) => match e.as_trap_code() {
            Some(T::OutOfFuel | T::StackOverflow) => Outcome::Exhausted,
            Some(T::UnreachableCodeReached) => Outcome::Trap(Trap::Unreachable),
            Some(T::MemoryOutOfBounds) => Outcome::Trap(Trap::MemoryOutOfBounds),
            Some(T::TableOutOfBounds) => Outcome::Trap(Trap::TableOutOfBounds),
            Some(T::IndirectCallToNull) => Outcome::Trap(Trap::IndirectCallToNull),
            Some(T::BadSignature) => Outcome::Trap(Trap::IndirectCallTypeMismatch),
            Some(T::IntegerDivisionByZero) => Outcome::Trap(Trap::DivisionByZero),
            Some(T::IntegerOverflow) => Outcome::Trap(Trap::IntegerOverflow),
            Some(T::BadConversionToInteger) => Outcome::Trap(Trap::BadConversion),
            Some(other) => Outcome::Trap(Trap::Other(format!("{other:?}"))),
            // Segment initialization out of bounds is an instantiation
            // error, not a trap, in wasmi.
            None if e.to_string().contains("out of bounds table access") => {
                Outcome::Trap(Trap::TableOutOfBounds)
            }
            None if e.to_string().contains("out of bounds memory access") => {
                Outcome::Trap(Trap::MemoryOutOfBounds)
            }
            None => Outcome::Trap(Trap::Other(e.to_string())),
        },
    }
}

impl Engine for Wasmi {
    fn instantiate(wasm: &[u8]) -> (Wasmi, Outcome) {
        let mut config = wasmi::Config::default();
        config.consume_fuel(true);
        config
            .wasm_tail_call(true)
            .wasm_extended_const(true)
            .wasm_multi_memory(true)
            .wasm_memory64(true);
        let engine = wasmi::Engine::new(&config);
        let module = wasmi::Module::new(&engine, wasm).expect("wasmi accepts wasm-smith's modules");
        let limits = wasmi::StoreLimitsBuilder::new()
            .memory_size(MAX_MEMORY)
            .table_elements(MAX_TABLE)
            .build();
        let mut store = wasmi::Store::new(&engine, limits);
        store.limiter(|l| l);
        store.set_fuel(FUEL).unwrap();
        let linker = wasmi::Linker::<wasmi::StoreLimits>::new(&engine);
        match linker.instantiate_and_start(&mut store, &module) {
            Ok(i) => (
                Wasmi {
                    store,
                    instance: Some(i),
                },
                Outcome::Values(Vec::new()),
            ),
            Err(e) => (
                Wasmi {
                    store,
                    instance: None,
                },
                wasmi_outcome(Err(e)),
            ),
        }
    }

    fn funcs(&self) -> Vec<String> {
        let Some(i) = self.instance else {
            return Vec::new();
        };
        i.exports(&self.store)
            .filter(|e| e.clone().into_func().is_some())
            .map(|e| e.name().to_owned())
            .collect()
    }

    fn call(&mut self, name: &str) -> Outcome {
        let Some(i) = self.instance else {
            return Outcome::Exhausted;
        };
        let Some(f) = i.get_func(&self.store, name) else {
            return Outcome::Trap(Trap::Other("missing export".into()));
        };
        let ty = f.ty(&self.store);
        let params: Vec<_> = ty
            .params()
            .iter()
            .map(|&t| wasmi::Val::default(t))
            .collect();
        let mut results: Vec<_> = ty
            .results()
            .iter()
            .map(|&t| wasmi::Val::default(t))
            .collect();
        self.store.set_fuel(FUEL).unwrap();
        let r = f
            .call(&mut self.store, &params, &mut results)
            .map(|()| results.iter().map(wasmi_value).collect());
        wasmi_outcome(r)
    }

    fn raw_state(&mut self) -> State {
        let mut s = State {
            globals: Vec::new(),
            tables: Vec::new(),
            memories: Vec::new(),
        };
        let Some(i) = self.instance else { return s };
        let exports: Vec<(String, wasmi::Extern)> = i
            .exports(&self.store)
            .map(|e| (e.name().to_owned(), e.into_extern()))
            .collect();
        for (name, e) in exports {
            match e {
                wasmi::Extern::Global(g) => {
                    s.globals.push((name, wasmi_value(&g.get(&self.store))))
                }
                wasmi::Extern::Table(t) => s.tables.push((name, t.size(&self.store))),
                wasmi::Extern::Memory(m) => {
                    let d = m.data(&self.store);
                    s.memories.push((name, d.len(), hash(d)));
                }
                wasmi::Extern::Func(_) => {}
            }
        }
        s
    }
}

/// The differential oracle: panics if nanowasm and wasmi disagree on a
/// module built by [`crate::generate_for_differential`].
pub fn differential(wasm: &[u8]) {
    let (mut a, oa) = Nano::instantiate(wasm);
    // nanowasm's two back ends agree exactly, fuel included.
    // (Both stop only at the same fuel; a deep recursion may exhaust the
    // compiled code's native stack before the interpreter's call depth.)
    let (mut c, oc) = Nano::with_strategy(wasm, nanowasm::Strategy::Interpreter);
    if oa == Outcome::Exhausted || oc == Outcome::Exhausted {
        return;
    }
    assert_eq!(
        oa, oc,
        "instantiation differs between the compiler and the interpreter"
    );
    let (mut b, ob) = Wasmi::instantiate(wasm);
    if oa == Outcome::Exhausted || ob == Outcome::Exhausted {
        return;
    }
    assert_eq!(oa, ob, "instantiation differs");
    if a.instance.is_none() {
        return;
    }
    assert_eq!(a.state(), b.state(), "state after instantiation differs");
    // wasmi lists exports by name, nanowasm in module order: call them in
    // name order on both.
    let mut funcs = a.funcs();
    funcs.sort();
    let mut other = b.funcs();
    other.sort();
    assert_eq!(funcs, other, "exported functions differ");
    for name in funcs {
        let (ra, rc) = (a.call(&name), c.call(&name));
        if ra == Outcome::Exhausted || rc == Outcome::Exhausted {
            return;
        }
        assert_eq!(
            ra, rc,
            "calling `{name}` differs between the compiler and the interpreter"
        );
        assert_eq!(
            a.state(),
            c.state(),
            "state after `{name}` differs between the back ends"
        );
        let rb = b.call(&name);
        if ra == Outcome::Exhausted || rb == Outcome::Exhausted {
            return;
        }
        assert_eq!(ra, rb, "calling `{name}` differs");
        assert_eq!(a.state(), b.state(), "state after calling `{name}` differs");
    }
}

/// wasmtime (the PyPI package), through `peer/wasmtime_peer.py`: one Python
/// process for every module, driven by JSON lines.
struct Wasmtime {
    instantiated: bool,
}

struct Peer {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

static PEER: Mutex<Option<Peer>> = Mutex::new(None);

/// Whether the `wasmtime` Python package can be imported.
pub fn have_wasmtime() -> bool {
    Command::new("python3")
        .args(["-c", "import wasmtime"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Sends `cmd` to the peer (starting it on first use) and returns its
/// answer.
fn ask(cmd: serde_json::Value) -> serde_json::Value {
    let mut guard = PEER.lock().unwrap_or_else(|e| e.into_inner());
    let peer = guard.get_or_insert_with(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/peer/wasmtime_peer.py");
        let mut child = Command::new("python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the wasmtime peer (python3)");
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Peer {
            _child: child,
            stdin,
            stdout,
        }
    });
    writeln!(peer.stdin, "{cmd}").expect("write to the wasmtime peer");
    peer.stdin.flush().expect("flush the wasmtime peer's input");
    let mut line = String::new();
    peer.stdout
        .read_line(&mut line)
        .expect("read from the wasmtime peer");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("the wasmtime peer said {line:?}: {e}"))
}

fn peer_value(v: &serde_json::Value) -> Value {
    let kind = v[0].as_str().unwrap_or("");
    let n = &v[1];
    match kind {
        "i32" => Value::I32(n.as_i64().unwrap_or(0) as i32),
        "i64" => Value::I64(n.as_i64().unwrap_or(0)),
        "f32" => f32v(n.as_u64().unwrap_or(0) as u32),
        "f64" => f64v(n.as_u64().unwrap_or(0)),
        "opaque" => Value::Opaque,
        _ => Value::Ref(n.as_bool().unwrap_or(true)),
    }
}

fn peer_outcome(o: &serde_json::Value) -> Outcome {
    if o.as_str() == Some("exhausted") {
        return Outcome::Exhausted;
    }
    if let Some(values) = o["values"].as_array() {
        return Outcome::Values(values.iter().map(peer_value).collect());
    }
    Outcome::Trap(match o["trap"].as_str().unwrap_or("") {
        "unreachable" => Trap::Unreachable,
        "memory" => Trap::MemoryOutOfBounds,
        "table" => Trap::TableOutOfBounds,
        "null_call" => Trap::IndirectCallToNull,
        "signature" => Trap::IndirectCallTypeMismatch,
        "div0" => Trap::DivisionByZero,
        "overflow" => Trap::IntegerOverflow,
        "conversion" => Trap::BadConversion,
        "exception" => Trap::UncaughtException,
        "null" => Trap::NullReference,
        "cast" => Trap::CastFailure,
        "array" => Trap::ArrayOutOfBounds,
        other => Trap::Other(other.to_owned()),
    })
}

impl Engine for Wasmtime {
    fn instantiate(wasm: &[u8]) -> (Wasmtime, Outcome) {
        let path = std::env::temp_dir().join(format!("nanowasm-peer-{}.wasm", std::process::id()));
        std::fs::write(&path, wasm).expect("write the module for the wasmtime peer");
        let answer = ask(serde_json::json!({
            "op": "load",
            "path": path.to_string_lossy(),
            "fuel": FUEL,
            "memory": MAX_MEMORY,
            "tables": MAX_TABLE,
            "opaque": opaque_exports(wasm),
        }));
        let outcome = peer_outcome(&answer["outcome"]);
        let instantiated = outcome == Outcome::Values(Vec::new());
        (Wasmtime { instantiated }, outcome)
    }

    fn funcs(&self) -> Vec<String> {
        if !self.instantiated {
            return Vec::new();
        }
        ask(serde_json::json!({"op": "funcs"}))["funcs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn call(&mut self, name: &str) -> Outcome {
        peer_outcome(&ask(serde_json::json!({"op": "call", "name": name}))["outcome"])
    }

    fn raw_state(&mut self) -> State {
        let s = ask(serde_json::json!({"op": "state"}));
        let list = |k: &str| s[k].as_array().cloned().unwrap_or_default();
        State {
            globals: list("globals")
                .iter()
                .map(|g| (g[0].as_str().unwrap_or("").to_owned(), peer_value(&g[1])))
                .collect(),
            tables: list("tables")
                .iter()
                .map(|t| {
                    (
                        t[0].as_str().unwrap_or("").to_owned(),
                        t[1].as_u64().unwrap_or(0),
                    )
                })
                .collect(),
            memories: list("memories")
                .iter()
                .map(|m| {
                    (
                        m[0].as_str().unwrap_or("").to_owned(),
                        m[1].as_u64().unwrap_or(0) as usize,
                        m[2].as_u64().unwrap_or(0),
                    )
                })
                .collect(),
        }
    }
}

/// The exports whose types the Python API cannot handle (see
/// `peer/wasmtime_peer.py`): an exception reference, a GC reference (its
/// values cannot be compared across engines), a concrete or bottom type,
/// a non-nullable reference (no default argument), and in a module with GC
/// types an `externref` too (the Python API reads an externalized internal
/// value as null).
fn opaque_exports(wasm: &[u8]) -> Vec<String> {
    use nanowasm::HeapType as H;
    // In a module with GC types an `externref` may hold an internal value
    // (`extern.convert_any`), which the Python API reads as null.
    let gc = nanowasm_binary::decode(wasm.to_vec(), crate::front_end_features())
        .is_ok_and(|m| m.types.iter().any(|t| t.composite.as_func().is_none()));
    let opaque = |t: &nanowasm::ValType| match t {
        // The Python API handles `funcref` and `externref` alone (it
        // aborts on the type of anything else).
        nanowasm::ValType::Ref(r) => {
            !(r.nullable() && (r.heap() == H::Func || (r.heap() == H::Extern && !gc)))
        }
        _ => false,
    };
    let engine = nanowasm::Engine::default();
    let Ok(module) = nanowasm::Module::new(&engine, wasm) else {
        return Vec::new();
    };
    module
        .exports()
        .filter(|e| match e.ty() {
            nanowasm::ExternType::Global(g) => opaque(&g.content),
            nanowasm::ExternType::Func(f) => f.params().iter().chain(f.results()).any(opaque),
            _ => false,
        })
        .map(|e| e.name().to_owned())
        .collect()
}

/// The differential oracle against wasmtime, for what wasmi lacks
/// (exception handling): panics if nanowasm (its default back end) and
/// wasmtime disagree on a module built by
/// [`crate::generate_for_wasmtime`]. Needs the `wasmtime` Python package.
/// Returns how many calls were compared, and how many of them ended in an
/// uncaught exception on both sides.
pub fn against_wasmtime(wasm: &[u8]) -> (usize, usize) {
    let mut compared = (0, 0);
    let (mut a, oa) = Nano::instantiate(wasm);
    let (mut b, ob) = Wasmtime::instantiate(wasm);
    if oa == Outcome::Exhausted || ob == Outcome::Exhausted {
        return compared;
    }
    assert_eq!(oa, ob, "instantiation differs from wasmtime's");
    if a.instance.is_none() {
        return compared;
    }
    // Globals wasmtime's Python API cannot read are left out on both sides.
    let states = |a: &mut Nano, b: &mut Wasmtime| {
        let (mut x, mut y) = (a.state(), b.state());
        let opaque: Vec<String> = y
            .globals
            .iter()
            .filter(|(_, v)| *v == Value::Opaque)
            .map(|(n, _)| n.clone())
            .collect();
        x.globals.retain(|(n, _)| !opaque.contains(n));
        y.globals.retain(|(n, _)| !opaque.contains(n));
        (x, y)
    };
    let (x, y) = states(&mut a, &mut b);
    assert_eq!(x, y, "state after instantiation differs from wasmtime's");
    let mut funcs = a.funcs();
    funcs.sort();
    let mut other = b.funcs();
    other.sort();
    assert_eq!(funcs, other, "exported functions differ from wasmtime's");
    for name in funcs {
        let (ra, rb) = (a.call(&name), b.call(&name));
        if ra == Outcome::Exhausted || rb == Outcome::Exhausted {
            return compared;
        }
        assert_eq!(ra, rb, "calling `{name}` differs from wasmtime");
        compared.0 += 1;
        if ra == Outcome::Trap(Trap::UncaughtException) {
            compared.1 += 1;
        }
        let (x, y) = states(&mut a, &mut b);
        assert_eq!(x, y, "state after calling `{name}` differs from wasmtime's");
    }
    compared
}
