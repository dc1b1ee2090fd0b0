//! WAVE (`runtime::wave`): printing then parsing any value of a random type
//! gives it back; the text is the `wasm-wave` crate's, byte for byte, and
//! `wasm-wave` reads it back to the same value (a differential test; the
//! crate is a dev-dependency only). Plus examples of the grammar's
//! shorthands and of its errors.

use std::sync::Arc;

use nanowasm_component::runtime::wave::{self, FuncCall};
use nanowasm_component::runtime::{Type, Val};
use proptest::prelude::*;

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9]{0,4}(-[a-z][a-z0-9]{0,2}){0,2}",
        1 => "[A-Z][A-Z0-9]{0,3}(-[a-z][a-z0-9]{0,2})?",
        // Keywords, written `%label` in variants and enums.
        1 => prop::sample::select(vec!["ok", "err", "some", "none", "true", "false", "inf", "nan"])
            .prop_map(String::from),
    ]
}

fn labels(max: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(label(), 1..=max).prop_map(|mut v| {
        let mut seen = Vec::new();
        v.retain(|l| {
            let new = !seen.contains(l);
            seen.push(l.clone());
            new
        });
        v
    })
}

fn key_type() -> impl Strategy<Value = Type> {
    prop::sample::select(vec![
        Type::Bool,
        Type::U8,
        Type::S32,
        Type::U64,
        Type::Char,
        Type::String,
    ])
}

fn ty() -> impl Strategy<Value = Type> {
    let leaf = prop::sample::select(vec![
        Type::Bool,
        Type::S8,
        Type::U8,
        Type::S16,
        Type::U16,
        Type::S32,
        Type::U32,
        Type::S64,
        Type::U64,
        Type::Float32,
        Type::Float64,
        Type::Char,
        Type::String,
    ]);
    let leaf = prop_oneof![
        4 => leaf,
        1 => labels(4).prop_map(|l| Type::Enum(l.into())),
        1 => labels(6).prop_map(|l| Type::Flags(l.into())),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Type::List(Arc::new(t))),
            (inner.clone(), 1..4u32).prop_map(|(t, n)| Type::FixedList(Arc::new(t), n)),
            (key_type(), inner.clone()).prop_map(|(k, v)| Type::Map(Arc::new((k, v)))),
            prop::collection::vec(inner.clone(), 1..4).prop_map(|ts| Type::Tuple(ts.into())),
            (labels(4), prop::collection::vec(inner.clone(), 4)).prop_map(|(ls, ts)| {
                Type::Record(ls.into_iter().zip(ts).collect::<Vec<_>>().into())
            }),
            (
                labels(4),
                prop::collection::vec(prop::option::of(inner.clone()), 4)
            )
                .prop_map(|(ls, ts)| {
                    Type::Variant(ls.into_iter().zip(ts).collect::<Vec<_>>().into())
                }),
            inner.clone().prop_map(|t| Type::Option(Arc::new(t))),
            (prop::option::of(inner.clone()), prop::option::of(inner))
                .prop_map(|(a, b)| Type::Result(Arc::new((a, b)))),
        ]
    })
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..6).prop_map(String::from_iter),
        "[ -~]{0,8}",
        prop::collection::vec(
            prop::sample::select(vec![
                '\'', '"', '\\', '\n', '\r', '\t', '\0', '\u{7f}', '\u{301}', '\u{200b}',
                '\u{ffff}', '☃'
            ]),
            0..6
        )
        .prop_map(String::from_iter),
    ]
}

fn boxed(v: Val) -> Option<Box<Val>> {
    Some(Box::new(v))
}

fn val(t: &Type) -> BoxedStrategy<Val> {
    match t {
        Type::Bool => any::<bool>().prop_map(Val::Bool).boxed(),
        Type::S8 => any::<i8>().prop_map(Val::S8).boxed(),
        Type::U8 => any::<u8>().prop_map(Val::U8).boxed(),
        Type::S16 => any::<i16>().prop_map(Val::S16).boxed(),
        Type::U16 => any::<u16>().prop_map(Val::U16).boxed(),
        Type::S32 => any::<i32>().prop_map(Val::S32).boxed(),
        Type::U32 => any::<u32>().prop_map(Val::U32).boxed(),
        Type::S64 => any::<i64>().prop_map(Val::S64).boxed(),
        Type::U64 => any::<u64>().prop_map(Val::U64).boxed(),
        Type::Float32 => prop_oneof![
            prop::num::f32::ANY,
            prop::sample::select(vec![
                0.0f32,
                -0.0,
                1.5,
                1e30,
                1e-30,
                f32::MAX,
                f32::MIN_POSITIVE
            ])
        ]
        .prop_map(Val::Float32)
        .boxed(),
        Type::Float64 => prop_oneof![
            prop::num::f64::ANY,
            prop::sample::select(vec![0.0f64, -0.0, 0.1, 1e300, 5e-324, f64::MAX])
        ]
        .prop_map(Val::Float64)
        .boxed(),
        Type::Char => any::<char>().prop_map(Val::Char).boxed(),
        Type::String => string().prop_map(Val::String).boxed(),
        Type::List(t) => prop::collection::vec(val(t), 0..4)
            .prop_map(Val::List)
            .boxed(),
        Type::FixedList(t, n) => prop::collection::vec(val(t), *n as usize)
            .prop_map(Val::List)
            .boxed(),
        Type::Map(kv) => prop::collection::vec((val(&kv.0), val(&kv.1)), 0..4)
            .prop_map(|mut es| {
                // Keys are unique in what a component returns from a
                // WAVE map (the text merges equal keys).
                let mut seen: Vec<Val> = Vec::new();
                es.retain(|(k, _)| {
                    let new = !seen.contains(k);
                    seen.push(k.clone());
                    new
                });
                Val::Map(es)
            })
            .boxed(),
        Type::Tuple(ts) => ts
            .iter()
            .map(val)
            .collect::<Vec<_>>()
            .prop_map(Val::Tuple)
            .boxed(),
        Type::Record(fs) => {
            let names: Vec<String> = fs.iter().map(|(n, _)| n.clone()).collect();
            fs.iter()
                .map(|(_, t)| val(t))
                .collect::<Vec<_>>()
                .prop_map(move |vs| Val::Record(names.iter().cloned().zip(vs).collect()))
                .boxed()
        }
        Type::Variant(cs) => {
            let cases: Vec<BoxedStrategy<Val>> = cs
                .iter()
                .map(|(l, t)| {
                    let l = l.clone();
                    match t {
                        Some(t) => val(t)
                            .prop_map(move |v| Val::Variant(l.clone(), boxed(v)))
                            .boxed(),
                        None => Just(Val::Variant(l, None)).boxed(),
                    }
                })
                .collect();
            prop::strategy::Union::new(cases).boxed()
        }
        Type::Enum(ls) => prop::sample::select(ls.to_vec())
            .prop_map(Val::Enum)
            .boxed(),
        Type::Flags(ls) => {
            let ls = ls.to_vec();
            prop::collection::vec(any::<bool>(), ls.len())
                .prop_map(move |on| {
                    Val::Flags(
                        ls.iter()
                            .zip(on)
                            .filter(|(_, b)| *b)
                            .map(|(l, _)| l.clone())
                            .collect(),
                    )
                })
                .boxed()
        }
        Type::Option(t) => prop::option::of(val(t))
            .prop_map(|v| Val::Option(v.map(Box::new)))
            .boxed(),
        Type::Result(r) => {
            let side = |t: &Option<Type>| match t {
                Some(t) => val(t).prop_map(boxed).boxed(),
                None => Just(None).boxed(),
            };
            prop_oneof![
                side(&r.0).prop_map(|v| Val::Result(Ok(v))),
                side(&r.1).prop_map(|v| Val::Result(Err(v))),
            ]
            .boxed()
        }
        Type::Own(_) | Type::Borrow(_) => Just(Val::Bool(false)).boxed(),
    }
}

fn typed_val() -> impl Strategy<Value = (Type, Val)> {
    ty().prop_flat_map(|t| val(&t).prop_map(move |v| (t.clone(), v)))
}

/// Equality with NaN equal to NaN (WAVE writes every NaN as `nan`).
fn same(a: &Val, b: &Val) -> bool {
    let all =
        |xs: &[Val], ys: &[Val]| xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y));
    let opt = |x: &Option<Box<Val>>, y: &Option<Box<Val>>| match (x, y) {
        (Some(x), Some(y)) => same(x, y),
        (None, None) => true,
        _ => false,
    };
    match (a, b) {
        (Val::Float32(x), Val::Float32(y)) => {
            x == y && x.is_sign_negative() == y.is_sign_negative() || x.is_nan() && y.is_nan()
        }
        (Val::Float64(x), Val::Float64(y)) => {
            x == y && x.is_sign_negative() == y.is_sign_negative() || x.is_nan() && y.is_nan()
        }
        (Val::List(x), Val::List(y)) | (Val::Tuple(x), Val::Tuple(y)) => all(x, y),
        (Val::Record(x), Val::Record(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((l, x), (m, y))| l == m && same(x, y))
        }
        (Val::Map(x), Val::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k, x), (l, y))| same(k, l) && same(x, y))
        }
        (Val::Variant(l, x), Val::Variant(m, y)) => l == m && opt(x, y),
        (Val::Option(x), Val::Option(y)) => opt(x, y),
        (Val::Result(Ok(x)), Val::Result(Ok(y))) | (Val::Result(Err(x)), Val::Result(Err(y))) => {
            opt(x, y)
        }
        _ => a == b,
    }
}

// The differential side: the same type and value in `wasm-wave`'s model.
mod ww {
    use super::{Type, Val};
    use wasm_wave::value::{Type as WType, Value};
    use wasm_wave::wasm::WasmValue;

    pub fn has_fixed(t: &Type) -> bool {
        match t {
            Type::FixedList(..) => true,
            Type::List(t) | Type::Option(t) => has_fixed(t),
            Type::Map(kv) => has_fixed(&kv.0) || has_fixed(&kv.1),
            Type::Tuple(ts) => ts.iter().any(has_fixed),
            Type::Record(fs) => fs.iter().any(|(_, t)| has_fixed(t)),
            Type::Variant(cs) => cs.iter().flat_map(|(_, t)| t).any(has_fixed),
            Type::Result(r) => r.0.iter().chain(r.1.iter()).any(has_fixed),
            _ => false,
        }
    }

    pub fn ty(t: &Type) -> WType {
        match t {
            Type::Bool => WType::BOOL,
            Type::S8 => WType::S8,
            Type::U8 => WType::U8,
            Type::S16 => WType::S16,
            Type::U16 => WType::U16,
            Type::S32 => WType::S32,
            Type::U32 => WType::U32,
            Type::S64 => WType::S64,
            Type::U64 => WType::U64,
            Type::Float32 => WType::F32,
            Type::Float64 => WType::F64,
            Type::Char => WType::CHAR,
            Type::String => WType::STRING,
            Type::List(t) => WType::list(ty(t)),
            Type::FixedList(t, n) => WType::fixed_length_list(ty(t), *n),
            Type::Map(kv) => WType::map(ty(&kv.0), ty(&kv.1)).unwrap(),
            Type::Tuple(ts) => WType::tuple(ts.iter().map(ty).collect::<Vec<_>>()).unwrap(),
            Type::Record(fs) => WType::record(fs.iter().map(|(l, t)| (l.as_str(), ty(t)))).unwrap(),
            Type::Variant(cs) => {
                WType::variant(cs.iter().map(|(l, t)| (l.as_str(), t.as_ref().map(ty)))).unwrap()
            }
            Type::Enum(ls) => WType::enum_ty(ls.iter().map(String::as_str)).unwrap(),
            Type::Flags(ls) => WType::flags(ls.iter().map(String::as_str)).unwrap(),
            Type::Option(t) => WType::option(ty(t)),
            Type::Result(r) => WType::result(r.0.as_ref().map(ty), r.1.as_ref().map(ty)),
            Type::Own(_) | Type::Borrow(_) => unreachable!("no resources here"),
        }
    }

    pub fn val(t: &Type, v: &Val) -> Value {
        let wt = ty(t);
        match (t, v) {
            (_, Val::Bool(x)) => Value::make_bool(*x),
            (_, Val::S8(x)) => Value::make_s8(*x),
            (_, Val::U8(x)) => Value::make_u8(*x),
            (_, Val::S16(x)) => Value::make_s16(*x),
            (_, Val::U16(x)) => Value::make_u16(*x),
            (_, Val::S32(x)) => Value::make_s32(*x),
            (_, Val::U32(x)) => Value::make_u32(*x),
            (_, Val::S64(x)) => Value::make_s64(*x),
            (_, Val::U64(x)) => Value::make_u64(*x),
            (_, Val::Float32(x)) => Value::make_f32(*x),
            (_, Val::Float64(x)) => Value::make_f64(*x),
            (_, Val::Char(x)) => Value::make_char(*x),
            (_, Val::String(x)) => Value::make_string(x.into()),
            (Type::List(et), Val::List(vs)) => {
                Value::make_list(&wt, vs.iter().map(|v| val(et, v))).unwrap()
            }
            (Type::Map(kv), Val::Map(es)) => {
                Value::make_map(&wt, es.iter().map(|(k, v)| (val(&kv.0, k), val(&kv.1, v))))
                    .unwrap()
            }
            (Type::Tuple(ts), Val::Tuple(vs)) => {
                Value::make_tuple(&wt, ts.iter().zip(vs).map(|(t, v)| val(t, v))).unwrap()
            }
            (Type::Record(fs), Val::Record(vs)) => Value::make_record(
                &wt,
                fs.iter()
                    .zip(vs)
                    .map(|((l, t), (_, v))| (l.as_str(), val(t, v))),
            )
            .unwrap(),
            (Type::Variant(cs), Val::Variant(l, p)) => {
                let pt = cs
                    .iter()
                    .find(|(c, _)| c == l)
                    .and_then(|(_, t)| t.as_ref());
                let p = match (pt, p) {
                    (Some(t), Some(p)) => Some(val(t, p)),
                    _ => None,
                };
                Value::make_variant(&wt, l, p).unwrap()
            }
            (_, Val::Enum(l)) => Value::make_enum(&wt, l).unwrap(),
            (Type::Option(et), Val::Option(o)) => {
                Value::make_option(&wt, o.as_ref().map(|v| val(et, v))).unwrap()
            }
            (Type::Result(r), Val::Result(res)) => {
                let side = |t: &Option<Type>, v: &Option<Box<Val>>| match (t, v) {
                    (Some(t), Some(v)) => Some(val(t, v)),
                    _ => None,
                };
                let res = match res {
                    Ok(v) => Ok(side(&r.0, v)),
                    Err(v) => Err(side(&r.1, v)),
                };
                Value::make_result(&wt, res).unwrap()
            }
            (_, Val::Flags(fs)) => Value::make_flags(&wt, fs.iter().map(String::as_str)).unwrap(),
            _ => unreachable!("{v:?} is not a {t}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn print_then_parse_gives_the_value_back((t, v) in typed_val()) {
        prop_assert!(v.matches(&t));
        let text = wave::to_string(&v).unwrap();
        let back = wave::from_str(&t, &text);
        prop_assert!(back.is_ok(), "`{text}` as `{t}`: {:?}", back);
        let back = back.unwrap();
        prop_assert!(same(&back, &v), "`{text}` as `{t}` read {back:?}, not {v:?}");
        // And as the only argument of a call, or the last one of two.
        let call = FuncCall::parse(&format!("f({text})")).unwrap();
        let args = call.params(&[("x".into(), t.clone())]).unwrap();
        prop_assert!(same(&args[0], &v));
        let call = FuncCall::parse(&format!("f(true, {text},)")).unwrap();
        let args = call.params(&[("a".into(), Type::Bool), ("x".into(), t.clone())]).unwrap();
        prop_assert!(same(&args[1], &v));
    }

    #[test]
    fn the_text_is_wasm_waves_and_it_reads_it_back((t, v) in typed_val()) {
        if !ww::has_fixed(&t) {
            let text = wave::to_string(&v).unwrap();
            let theirs = ww::val(&t, &v);
            prop_assert_eq!(&wasm_wave::to_string(&theirs).unwrap(), &text);
            let parsed: Result<wasm_wave::value::Value, _> = wasm_wave::from_str(&ww::ty(&t), &text);
            prop_assert!(parsed.is_ok(), "wasm-wave cannot read `{text}` as `{t}`: {:?}", parsed.err());
            prop_assert_eq!(wasm_wave::to_string(&parsed.unwrap()).unwrap(), text);
        }
    }

    /// Arbitrary text never panics the parser, and whatever both read,
    /// they read alike.
    #[test]
    fn arbitrary_text_agrees_with_wasm_wave(t in ty(), text in prop_oneof![
        "[-0-9a-z(){}\\[\\]:,'\"% .e\\\\]{0,16}",
        any::<String>(),
    ]) {
        let ours = wave::from_str(&t, &text);
        if !ww::has_fixed(&t) && !text.ends_with("//") {
            let theirs: Result<wasm_wave::value::Value, _> = wasm_wave::from_str(&ww::ty(&t), &text);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => prop_assert_eq!(wave::to_string(a).unwrap(), wasm_wave::to_string(b).unwrap()),
                (Err(_), Err(_)) => {}
                _ => prop_assert!(false, "`{text}` as `{t}`: ours {ours:?}, wasm-wave {theirs:?}"),
            }
        }
    }
}

/// A value's text with one edit: a character removed, or one of WAVE's
/// tokens (or a space) put in.
fn mutated() -> impl Strategy<Value = (Type, String)> {
    (
        typed_val(),
        any::<prop::sample::Index>(),
        prop::sample::select(vec![
            "", " ", ",", ":", "(", ")", "[", "]", "{", "}", "%", "-", ".", "e", "0", "1", "\"",
            "'", "\\", "some(", "none", "ok", "err(", "inf", "nan", "x", "//", "\n", "\"\"\"\n",
            "\\u{", "_", "A",
        ]),
        any::<bool>(),
    )
        .prop_map(|((t, v), at, put, remove)| {
            let text = wave::to_string(&v).unwrap();
            let cuts: Vec<usize> = (0..=text.len())
                .filter(|i| text.is_char_boundary(*i))
                .collect();
            let i = cuts[at.index(cuts.len())];
            let mut out = text[..i].to_string();
            out.push_str(put);
            let rest = &text[i..];
            let skip = if remove {
                rest.chars().next().map_or(0, char::len_utf8)
            } else {
                0
            };
            out.push_str(&rest[skip..]);
            (t, out)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Any call text: no panic, and errors point inside the text.
    #[test]
    fn arbitrary_calls_do_not_panic(t in ty(), text in prop_oneof![
        "[a-z:/@.#]{0,6}\\([-0-9a-z(){}\\[\\]:,'\"% .\\\\]{0,12}",
        any::<String>(),
    ]) {
        match FuncCall::parse(&text) {
            Ok(call) => {
                if let Err(e) = call.params(&[("x".into(), t.clone()), ("y".into(), Type::Option(Arc::new(t)))]) {
                    prop_assert!(e.span().end <= text.len());
                    let _ = e.render(&text);
                }
            }
            Err(e) => {
                prop_assert!(e.span().start <= e.span().end && e.span().end <= text.len() + 1, "{e:?}");
                let _ = e.render(&text);
            }
        }
    }

    /// Near-valid text: both accept it or both refuse it, and what both
    /// accept they read alike.
    #[test]
    fn edited_text_agrees_with_wasm_wave((t, text) in mutated()) {
        let ours = wave::from_str(&t, &text);
        // wasm-wave 0.263 panics on a `//` comment at the very end of the
        // text (its lexer unwraps the comment's first line); ours reads it
        // as an empty comment.
        if !ww::has_fixed(&t) && !text.ends_with("//") {
            let theirs: Result<wasm_wave::value::Value, _> = wasm_wave::from_str(&ww::ty(&t), &text);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => prop_assert_eq!(wave::to_string(a).unwrap(), wasm_wave::to_string(b).unwrap()),
                (Err(_), Err(_)) => {}
                _ => prop_assert!(false, "`{text}` as `{t}`: ours {ours:?}, wasm-wave {theirs:?}"),
            }
        }
    }
}

fn rec(fields: &[(&str, Type)]) -> Type {
    Type::Record(
        fields
            .iter()
            .map(|(l, t)| (l.to_string(), t.clone()))
            .collect::<Vec<_>>()
            .into(),
    )
}

fn read(t: &Type, s: &str) -> Val {
    wave::from_str(t, s).unwrap_or_else(|e| panic!("`{s}`: {}", e.render(s)))
}

fn fails(t: &Type, s: &str) -> String {
    match wave::from_str(t, s) {
        Ok(v) => panic!("`{s}` read as {v:?}"),
        Err(e) => e.render(s),
    }
}

#[test]
fn shorthands() {
    let opt = Type::Option(Arc::new(Type::U8));
    assert_eq!(read(&opt, "7"), read(&opt, "some(7)"));
    let res = Type::Result(Arc::new((Some(Type::String), None)));
    assert_eq!(
        read(&res, r#""x""#),
        Val::Result(Ok(Some(Box::new(Val::String("x".into())))))
    );
    assert_eq!(read(&res, "err"), Val::Result(Err(None)));
    // An option of an option is never flattened.
    let oo = Type::Option(Arc::new(opt.clone()));
    assert!(fails(&oo, "7").contains("expected a value of type `option<option<u8>>`"));
    let r = rec(&[("a", Type::U8), ("b-c", opt.clone())]);
    assert_eq!(read(&r, "{a: 1}"), read(&r, "{ b-c: none, %a: 1, }"));
    assert_eq!(
        wave::to_string(&read(&r, "{a: 1, b-c: 2}")).unwrap(),
        "{a: 1, b-c: some(2)}"
    );
    let all_opt = rec(&[("x", opt.clone())]);
    assert_eq!(wave::to_string(&read(&all_opt, "{:}")).unwrap(), "{:}");
    let e = Type::Enum(vec!["ok".to_string(), "west".into()].into());
    assert_eq!(read(&e, "%ok"), Val::Enum("ok".into()));
    assert_eq!(wave::to_string(&Val::Enum("ok".into())).unwrap(), "%ok");
    let f = Type::Flags(vec!["read".to_string(), "write".into()].into());
    assert_eq!(
        read(&f, "{write, read,}"),
        Val::Flags(vec!["read".into(), "write".into()])
    );
    assert_eq!(read(&f, "{}"), Val::Flags(vec![]));
    let s = Type::String;
    assert_eq!(
        read(&s, "\"\"\"\n  a\"b\n   c\\n\n  \"\"\" // comment"),
        Val::String("a\"b\n c\n".into())
    );
    assert_eq!(read(&Type::Char, r"'\u{1F44B}'"), Val::Char('👋'));
    assert_eq!(
        wave::to_string(&Val::String("a\u{0}\u{7f}'\u{301}".into())).unwrap(),
        r#""a\u{0}\u{7f}\'\u{301}""#
    );
    let m = Type::Map(Arc::new((Type::String, Type::U8)));
    assert_eq!(
        read(&m, r#"{"a": 1, "b": 2, "\u{61}": 3}"#),
        Val::Map(vec![
            (Val::String("a".into()), Val::U8(3)),
            (Val::String("b".into()), Val::U8(2))
        ])
    );
    assert_eq!(
        read(&Type::Float64, "-inf"),
        Val::Float64(f64::NEG_INFINITY)
    );
    assert_eq!(wave::to_string(&Val::Float32(-0.0)).unwrap(), "-0");
    assert_eq!(wave::display_results(&[]).unwrap(), "()");
}

#[test]
fn errors_say_where_and_what() {
    assert_eq!(
        fails(&Type::U8, "256"),
        "column 1: `256` is not a `u8`: out of range\n  256\n  ^^^"
    );
    assert!(fails(&Type::U8, "1.5").contains("not an integer"));
    assert!(fails(&Type::String, "'x'").contains("expected a value of type `string`, found a char"));
    let r = rec(&[("a", Type::U8)]);
    assert!(fails(&r, "{a: 1, b: 2}").contains("unknown field `b`: `record { a: u8 }` has `a`"));
    assert!(fails(&r, "{a: 1, a: 2}").contains("field `a` given twice"));
    assert!(fails(&r, "{:}").contains("missing field `a`"));
    assert!(fails(&r, "[1").contains("unexpected end of input"));
    assert!(fails(&Type::U8, "1 2").contains("unexpected text after the value"));
    let v = Type::Variant(vec![("none".to_string(), None), ("x".into(), Some(Type::U8))].into());
    assert!(fails(&v, "none").contains("written with `%`"));
    assert!(fails(&v, "x").contains("case `x` has a payload"));
    assert!(fails(&v, "y").contains("unknown case `y`"));
    assert!(fails(&Type::String, "\"a\\q\"").contains("invalid escape"));
    assert!(fails(&Type::Char, "'ab'").contains("invalid token"));
    let deep = "[".repeat(200);
    assert!(fails(&Type::List(Arc::new(Type::U8)), &deep).contains("nest"));
    let own = Type::Own(nanowasm_component::runtime::ResourceType::host::<u8>());
    assert!(fails(&own, "1").contains("resources cannot be written in WAVE"));
}

#[test]
fn calls() {
    let params = vec![
        ("a".to_string(), Type::U32),
        ("b".to_string(), Type::Option(Arc::new(Type::String))),
    ];
    let call = FuncCall::parse(" add (1) ").unwrap();
    assert_eq!(call.name(), "add");
    assert_eq!(
        call.params(&params).unwrap(),
        vec![Val::U32(1), Val::Option(None)]
    );
    let call = FuncCall::parse("docs:adder/add@0.1.0#add(1, \"x\")").unwrap();
    assert_eq!(call.name(), "docs:adder/add@0.1.0#add");
    let e = FuncCall::parse("add()")
        .unwrap()
        .params(&params)
        .unwrap_err();
    assert!(e.message().contains("missing argument `a`"), "{e}");
    let src = "add(1, none, 3)";
    let e = FuncCall::parse(src).unwrap().params(&params).unwrap_err();
    assert_eq!(e.column(src), 14);
    assert!(e.message().contains("too many arguments"), "{e}");
    let src = "add(1, 2";
    let e = FuncCall::parse(src).unwrap_err();
    assert!(e.message().contains("unexpected end of input"), "{e}");
    assert!(FuncCall::parse("add").is_err());
    assert!(FuncCall::parse("(1)").is_err());
    assert!(FuncCall::parse("add(1) x").is_err());
}
