//! Canonical ABI property tests: random component types and random values
//! of them make a round trip host → component (lowered into its memory,
//! in a random string encoding) → an imported host function (lifted from
//! that memory, lowered back) → host; they come back equal. And lifting
//! random bytes as random types traps or succeeds, never panics.
//!
//! The core signatures here are computed by this file's own flattening,
//! an oracle independent of the runtime's.

use nanowasm_component::runtime::{Component, Linker, Val};
use nanowasm_runtime::{Engine, Store};
use proptest::prelude::*;

/// A value type; `Named(k)` refers to the `k`-th named type (modulo how
/// many there are; `u32` if none).
#[derive(Debug, Clone)]
enum T {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    Str,
    List(Box<T>),
    /// `map<K, V>` (keys: a primitive, not a float)
    Map(Box<T>, Box<T>),
    /// `list<T, N>`
    Fixed(Box<T>, usize),
    Tuple(Vec<T>),
    Option(Box<T>),
    Result(Option<Box<T>>, Option<Box<T>>),
    Named(usize),
}

/// A named (exported and imported) type.
#[derive(Debug, Clone)]
enum Named {
    Record(Vec<T>),
    Variant(Vec<Option<T>>),
    Enum(usize),
    Flags(usize),
}

fn leaf() -> impl Strategy<Value = T> {
    prop_oneof![
        Just(T::Bool),
        Just(T::S8),
        Just(T::U8),
        Just(T::S16),
        Just(T::U16),
        Just(T::S32),
        Just(T::U32),
        Just(T::S64),
        Just(T::U64),
        Just(T::F32),
        Just(T::F64),
        Just(T::Char),
        Just(T::Str),
        (0..4usize).prop_map(T::Named),
    ]
}

fn ty() -> impl Strategy<Value = T> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| T::List(Box::new(t))),
            (
                prop_oneof![
                    Just(T::Bool),
                    Just(T::U8),
                    Just(T::S32),
                    Just(T::U64),
                    Just(T::Char),
                    Just(T::Str)
                ],
                inner.clone()
            )
                .prop_map(|(k, v)| T::Map(Box::new(k), Box::new(v))),
            (inner.clone(), 1..4usize).prop_map(|(t, n)| T::Fixed(Box::new(t), n)),
            proptest::collection::vec(inner.clone(), 1..4).prop_map(T::Tuple),
            inner.clone().prop_map(|t| T::Option(Box::new(t))),
            (
                proptest::option::of(inner.clone()),
                proptest::option::of(inner)
            )
                .prop_map(|(a, b)| T::Result(a.map(Box::new), b.map(Box::new))),
        ]
    })
}

/// Named types may only refer to earlier ones: `Named(k)` inside the
/// `i`-th is resolved modulo `i`.
fn named() -> impl Strategy<Value = Named> {
    prop_oneof![
        proptest::collection::vec(ty(), 1..4).prop_map(Named::Record),
        proptest::collection::vec(proptest::option::of(ty()), 1..4).prop_map(Named::Variant),
        (1..5usize).prop_map(Named::Enum),
        (1..=32usize).prop_map(Named::Flags),
    ]
}

struct Cx<'a> {
    named: &'a [Named],
    /// How many named types the current one may see.
    visible: usize,
}

impl Cx<'_> {
    fn resolve(&self, k: usize) -> Option<usize> {
        (self.visible > 0).then(|| k % self.visible)
    }

    fn text(&self, t: &T, side: &str) -> String {
        match t {
            T::Bool => "bool".into(),
            T::S8 => "s8".into(),
            T::U8 => "u8".into(),
            T::S16 => "s16".into(),
            T::U16 => "u16".into(),
            T::S32 => "s32".into(),
            T::U32 => "u32".into(),
            T::S64 => "s64".into(),
            T::U64 => "u64".into(),
            T::F32 => "f32".into(),
            T::F64 => "f64".into(),
            T::Char => "char".into(),
            T::Str => "string".into(),
            T::List(t) => format!("(list {})", self.text(t, side)),
            T::Map(k, v) => format!("(map {} {})", self.text(k, side), self.text(v, side)),
            T::Fixed(t, n) => format!("(list {} {n})", self.text(t, side)),
            T::Tuple(ts) => format!(
                "(tuple {})",
                ts.iter()
                    .map(|t| self.text(t, side))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            T::Option(t) => format!("(option {})", self.text(t, side)),
            T::Result(a, b) => {
                let mut s = "(result".to_string();
                if let Some(a) = a {
                    s += &format!(" {}", self.text(a, side));
                }
                if let Some(b) = b {
                    s += &format!(" (error {})", self.text(b, side));
                }
                s + ")"
            }
            T::Named(k) => match self.resolve(*k) {
                Some(k) => format!("${side}{k}"),
                None => "u32".into(),
            },
        }
    }

    /// The flat core types (the canonical ABI's `flatten_type`).
    fn flat(&self, t: &T, out: &mut Vec<&'static str>) {
        match t {
            T::S64 | T::U64 => out.push("i64"),
            T::F32 => out.push("f32"),
            T::F64 => out.push("f64"),
            T::Str | T::List(_) | T::Map(..) => out.extend(["i32", "i32"]),
            T::Fixed(t, n) => (0..*n).for_each(|_| self.flat(t, out)),
            T::Tuple(ts) => ts.iter().for_each(|t| self.flat(t, out)),
            T::Option(t) => self.variant(&[None, Some(t)], out),
            T::Result(a, b) => self.variant(&[a.as_deref(), b.as_deref()], out),
            T::Named(k) => match self.resolve(*k) {
                Some(k) => {
                    let inner = Cx {
                        named: self.named,
                        visible: k,
                    };
                    match &self.named[k] {
                        Named::Record(fs) => fs.iter().for_each(|t| inner.flat(t, out)),
                        Named::Variant(cs) => {
                            let cs: Vec<Option<&T>> = cs.iter().map(Option::as_ref).collect();
                            inner.variant(&cs, out)
                        }
                        Named::Enum(_) => out.push("i32"),
                        Named::Flags(n) => out.extend(std::iter::repeat_n("i32", n.div_ceil(32))),
                    }
                }
                None => out.push("i32"),
            },
            _ => out.push("i32"),
        }
    }

    fn variant(&self, cases: &[Option<&T>], out: &mut Vec<&'static str>) {
        out.push("i32");
        let mut joined: Vec<&'static str> = Vec::new();
        for c in cases.iter().flatten() {
            let mut f = Vec::new();
            self.flat(c, &mut f);
            for (i, t) in f.into_iter().enumerate() {
                if i < joined.len() {
                    if joined[i] != t {
                        joined[i] = if (joined[i], t) == ("i32", "f32")
                            || (joined[i], t) == ("f32", "i32")
                        {
                            "i32"
                        } else {
                            "i64"
                        };
                    }
                } else {
                    joined.push(t);
                }
            }
        }
        out.extend(joined);
    }

    fn value(&self, t: &T) -> BoxedStrategy<Val> {
        match t {
            T::Bool => any::<bool>().prop_map(Val::Bool).boxed(),
            T::S8 => any::<i8>().prop_map(Val::S8).boxed(),
            T::U8 => any::<u8>().prop_map(Val::U8).boxed(),
            T::S16 => any::<i16>().prop_map(Val::S16).boxed(),
            T::U16 => any::<u16>().prop_map(Val::U16).boxed(),
            T::S32 => any::<i32>().prop_map(Val::S32).boxed(),
            T::U32 => any::<u32>().prop_map(Val::U32).boxed(),
            T::S64 => any::<i64>().prop_map(Val::S64).boxed(),
            T::U64 => any::<u64>().prop_map(Val::U64).boxed(),
            T::F32 => any::<u32>()
                .prop_map(|b| Val::Float32(f32::from_bits(b)))
                .boxed(),
            T::F64 => any::<u64>()
                .prop_map(|b| Val::Float64(f64::from_bits(b)))
                .boxed(),
            T::Char => any::<char>().prop_map(Val::Char).boxed(),
            T::Str => prop_oneof![
                "[a-z]{0,12}",
                "[\\u{0}-\\u{ff}]{0,12}",
                any::<String>().prop_map(|s| s.chars().take(12).collect()),
            ]
            .prop_map(Val::String)
            .boxed(),
            T::List(t) => proptest::collection::vec(self.value(t), 0..4)
                .prop_map(Val::List)
                .boxed(),
            T::Map(k, v) => proptest::collection::vec((self.value(k), self.value(v)), 0..4)
                .prop_map(Val::Map)
                .boxed(),
            T::Fixed(t, n) => proptest::collection::vec(self.value(t), *n)
                .prop_map(Val::List)
                .boxed(),
            T::Tuple(ts) => ts
                .iter()
                .map(|t| self.value(t))
                .collect::<Vec<_>>()
                .prop_map(Val::Tuple)
                .boxed(),
            T::Option(t) => proptest::option::of(self.value(t))
                .prop_map(|v| Val::Option(v.map(Box::new)))
                .boxed(),
            T::Result(a, b) => {
                let side = |t: &Option<Box<T>>| match t {
                    Some(t) => self.value(t).prop_map(|v| Some(Box::new(v))).boxed(),
                    None => Just(None).boxed(),
                };
                prop_oneof![
                    side(a).prop_map(|v| Val::Result(Ok(v))),
                    side(b).prop_map(|v| Val::Result(Err(v)))
                ]
                .boxed()
            }
            T::Named(k) => match self.resolve(*k) {
                None => any::<u32>().prop_map(Val::U32).boxed(),
                Some(k) => {
                    let inner = Cx {
                        named: self.named,
                        visible: k,
                    };
                    match &self.named[k] {
                        Named::Record(fs) => fs
                            .iter()
                            .enumerate()
                            .map(|(i, t)| inner.value(t).prop_map(move |v| (format!("f{i}"), v)))
                            .collect::<Vec<_>>()
                            .prop_map(Val::Record)
                            .boxed(),
                        Named::Variant(cs) => {
                            let arms: Vec<BoxedStrategy<Val>> = cs
                                .iter()
                                .enumerate()
                                .map(|(i, c)| match c {
                                    Some(t) => inner
                                        .value(t)
                                        .prop_map(move |v| {
                                            Val::Variant(format!("c{i}"), Some(Box::new(v)))
                                        })
                                        .boxed(),
                                    None => Just(Val::Variant(format!("c{i}"), None)).boxed(),
                                })
                                .collect();
                            proptest::strategy::Union::new(arms).boxed()
                        }
                        Named::Enum(n) => (0..*n).prop_map(|i| Val::Enum(format!("a{i}"))).boxed(),
                        Named::Flags(n) => proptest::collection::vec(any::<bool>(), *n)
                            .prop_map(|bits| {
                                Val::Flags(
                                    bits.iter()
                                        .enumerate()
                                        .filter(|(_, b)| **b)
                                        .map(|(i, _)| format!("g{i}"))
                                        .collect(),
                                )
                            })
                            .boxed(),
                    }
                }
            },
        }
    }
}

/// The named types' definitions: `(type $n{k} ...)` each exported as
/// `$e{k}` at the top level, or (`inside`) `(type $m{k} ...)` each
/// exported as `$x{k}` in an instance type. Definitions refer to earlier
/// named types through their exports, as the component model requires.
fn named_defs(named: &[Named], inside: bool) -> String {
    let (def_p, exp_p) = if inside { ("m", "x") } else { ("n", "e") };
    let mut s = String::new();
    for (k, n) in named.iter().enumerate() {
        let cx = Cx { named, visible: k };
        let def = match n {
            Named::Record(fs) => format!(
                "(record {})",
                fs.iter()
                    .enumerate()
                    .map(|(i, t)| format!("(field \"f{i}\" {})", cx.text(t, exp_p)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Named::Variant(cs) => format!(
                "(variant {})",
                cs.iter()
                    .enumerate()
                    .map(|(i, c)| match c {
                        Some(t) => format!("(case \"c{i}\" {})", cx.text(t, exp_p)),
                        None => format!("(case \"c{i}\")"),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Named::Enum(n) => format!(
                "(enum {})",
                (0..*n)
                    .map(|i| format!("\"a{i}\""))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Named::Flags(n) => format!(
                "(flags {})",
                (0..*n)
                    .map(|i| format!("\"g{i}\""))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        };
        if inside {
            s += &format!(
                "(type ${def_p}{k} {def})\n(export \"n{k}\" (type ${exp_p}{k} (eq ${def_p}{k})))\n"
            );
        } else {
            s += &format!(
                "(type ${def_p}{k} {def})\n(export ${exp_p}{k} \"n{k}\" (type ${def_p}{k}))\n"
            );
        }
    }
    s
}

const LIBC: &str = r#"(core module $Libc
    (memory (export "mem") 4)
    (global $bump (mut i32) (i32.const 8192))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $new i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $bump (i32.add (local.get $p) (local.get $new)))
      (if (local.get $old_size)
        (then (memory.copy (local.get $p) (local.get $old)
                (select (local.get $old_size) (local.get $new) (i32.lt_u (local.get $old_size) (local.get $new))))))
      (local.get $p)))"#;

/// The component: `g(p0, ..) -> tuple<p0, ..>` forwards its core
/// arguments to the imported `f` of the same type and returns what `f`
/// returns.
fn forwarder(named: &[Named], params: &[T], encoding: &str) -> String {
    let cx = Cx {
        named,
        visible: named.len(),
    };
    let result = T::Tuple(params.to_vec());
    let mut flat_params = Vec::new();
    params.iter().for_each(|t| cx.flat(t, &mut flat_params));
    if flat_params.len() > 16 {
        flat_params = vec!["i32"];
    }
    let mut flat_results = Vec::new();
    cx.flat(&result, &mut flat_results);
    let spill = flat_results.len() > 1;
    let lift_results = if spill {
        vec!["i32"]
    } else {
        flat_results.clone()
    };
    let mut lower_params = flat_params.clone();
    if spill {
        lower_params.push("i32");
    }
    let lower_results: Vec<&str> = if spill { vec![] } else { flat_results };
    let sig =
        |ps: &[&str], rs: &[&str]| format!("(param {}) (result {})", ps.join(" "), rs.join(" "));
    let mut body = String::new();
    for i in 0..flat_params.len() {
        body += &format!("(local.get {i}) ");
    }
    if spill {
        body += "(i32.const 512) (call $f) (i32.const 512)";
    } else {
        body += "(call $f)";
    }
    let fparams = |side: &str| {
        params
            .iter()
            .enumerate()
            .map(|(i, t)| format!("(param \"p{i}\" {})", cx.text(t, side)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        r#"(component
  {defs}
  (import "host" (instance $h
    {idefs}
    (export "f" (func {fi} (result {ri})))))
  (alias export $h "f" (func $f))
  {LIBC}
  (core instance $libc (instantiate $Libc))
  (core func $f' (canon lower (func $f) string-encoding={encoding} (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (core module $M
    (import "" "f" (func $f {lsig}))
    (func (export "g") {gsig} {body}))
  (core instance $m (instantiate $M (with "" (instance (export "f" (func $f'))))))
  (func (export "g") {fe} (result {re})
    (canon lift (core func $m "g") string-encoding={encoding} (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")))))"#,
        defs = named_defs(named, false),
        idefs = named_defs(named, true),
        fi = fparams("x"),
        ri = cx.text(&result, "x"),
        fe = fparams("e"),
        re = cx.text(&result, "e"),
        lsig = sig(&lower_params, &lower_results),
        gsig = sig(&flat_params, &lift_results),
    )
}

/// Equality with NaNs equal (the ABI canonicalizes them).
fn same(a: &Val, b: &Val) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

fn case() -> impl Strategy<Value = (Vec<Named>, Vec<T>, &'static str)> {
    (
        proptest::collection::vec(named(), 0..4),
        proptest::collection::vec(ty(), 1..4),
        prop_oneof![Just("utf8"), Just("utf16"), Just("latin1+utf16")],
    )
}

fn values(named: &[Named], params: &[T]) -> BoxedStrategy<Vec<Val>> {
    let cx = Cx {
        named,
        visible: named.len(),
    };
    params
        .iter()
        .map(|t| cx.value(t))
        .collect::<Vec<_>>()
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn lowered_values_lift_back_equal(
        ((named, params, encoding), args) in case().prop_flat_map(|(n, p, e)| {
            let v = values(&n, &p);
            (Just((n, p, e)), v)
        })
    ) {
        let text = forwarder(&named, &params, encoding);
        let bytes = wat::parse_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let engine = Engine::default();
        let c = Component::new(&engine, bytes).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let mut linker = Linker::<()>::new(&engine);
        linker.instance("host").unwrap().func_new("f", |_s, args, out| {
            out[0] = Val::Tuple(args.to_vec());
            Ok(())
        }).unwrap();
        let mut store = Store::new(&engine, ());
        let inst = linker.instantiate(&mut store, &c).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let g = inst.get_func(&mut store, "g").unwrap();
        let mut out = [Val::Bool(false)];
        g.call(&mut store, &args, &mut out).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let want = Val::Tuple(args.clone());
        prop_assert!(same(&out[0], &want), "got {:?}\nwant {:?}\n{}", out[0], want, text);
    }

    #[test]
    fn fused_calls_between_components_preserve_values(
        ((named, params, encoding), args, outer_encoding) in case().prop_flat_map(|(n, p, e)| {
            let v = values(&n, &p);
            (Just((n, p, e)), v, prop_oneof![Just("utf8"), Just("utf16"), Just("latin1+utf16")])
        })
    ) {
        // host <- $Inner.g <- $Outer.g <- the host's call: the middle hop
        // is a component-to-component call through the fused adapter,
        // between two memories and two string encodings.
        let cx = Cx { named: &named, visible: named.len() };
        let result = T::Tuple(params.clone());
        let fi: String = params
            .iter()
            .enumerate()
            .map(|(i, t)| format!("(param \"p{i}\" {})", cx.text(t, "x")))
            .collect::<Vec<_>>()
            .join(" ");
        let inner = forwarder(&named, &params, encoding).replacen("(component", "(component $Inner", 1);
        let outer = forwarder(&named, &params, outer_encoding).replacen("(component", "(component $Outer", 1);
        let type_args: String = (0..named.len())
            .map(|k| format!("(export \"n{k}\" (type $inner \"n{k}\")) "))
            .collect();
        let text = format!(
            r#"(component
  (import "host" (instance $h
    {idefs}
    (export "f" (func {fi} (result {ri})))))
  {inner}
  {outer}
  (instance $inner (instantiate $Inner (with "host" (instance $h))))
  (instance $outer (instantiate $Outer (with "host" (instance {type_args} (export "f" (func $inner "g"))))))
  (export "outer" (instance $outer)))"#,
            idefs = named_defs(&named, true),
            ri = cx.text(&result, "x"),
        );
        let bytes = wat::parse_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let engine = Engine::default();
        let c = Component::new(&engine, bytes).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let mut linker = Linker::<()>::new(&engine);
        linker.instance("host").unwrap().func_new("f", |_s, args, out| {
            out[0] = Val::Tuple(args.to_vec());
            Ok(())
        }).unwrap();
        let mut store = Store::new(&engine, ());
        let inst = linker.instantiate(&mut store, &c).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let g = inst.get_instance_func(&mut store, "outer", "g").unwrap();
        let mut out = [Val::Bool(false)];
        g.call(&mut store, &args, &mut out).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let want = Val::Tuple(args.clone());
        prop_assert!(same(&out[0], &want), "got {:?}\nwant {:?}\n{}", out[0], want, text);
    }

    #[test]
    fn lifting_random_bytes_never_panics(
        (named, result) in (proptest::collection::vec(named(), 0..4), ty()),
        junk in proptest::collection::vec(any::<u8>(), 64..2048),
        ptr in prop_oneof![0..4096u32, any::<u32>()],
        encoding in prop_oneof![Just("utf8"), Just("utf16"), Just("latin1+utf16")],
    ) {
        let cx = Cx { named: &named, visible: named.len() };
        let result = T::Tuple(vec![result, T::U64]);
        let data: String = junk.iter().map(|b| format!("\\{b:02x}")).collect();
        let text = format!(
            r#"(component
  {defs}
  {LIBC}
  (core instance $libc (instantiate $Libc))
  (core module $M
    (import "libc" "mem" (memory 4))
    (data (i32.const 0) "{data}")
    (func (export "g") (result i32) (i32.const {ptr})))
  (core instance $m (instantiate $M (with "libc" (instance $libc))))
  (func (export "g") (result {re})
    (canon lift (core func $m "g") string-encoding={encoding} (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")))))"#,
            defs = named_defs(&named, false),
            re = cx.text(&result, "e"),
            ptr = ptr as i32,
        );
        let bytes = wat::parse_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let engine = Engine::default();
        let c = Component::new(&engine, bytes).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let mut store = Store::new(&engine, ());
        let inst = Linker::<()>::new(&engine).instantiate(&mut store, &c).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let g = inst.get_func(&mut store, "g").unwrap();
        let mut out = [Val::Bool(false)];
        // Ok or a trap: both fine; a panic fails the test.
        let _ = g.call(&mut store, &[], &mut out);
    }
}
