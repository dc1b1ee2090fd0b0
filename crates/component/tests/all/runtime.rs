//! The component runtime: instantiation, the canonical ABI, resources,
//! host functions, and calls between components.

use nanowasm_component::runtime::{Component, Linker, ResourceType, Val};
use nanowasm_runtime::{Engine, Store};

fn component(engine: &Engine, text: &str) -> Component {
    let bytes = wat::parse_str(text).expect("valid component text");
    Component::new(engine, bytes).expect("component compiles")
}

fn call(
    store: &mut Store<()>,
    inst: &nanowasm_component::runtime::Instance,
    name: &str,
    args: &[Val],
) -> Result<Option<Val>, nanowasm_runtime::Error> {
    let f = inst.get_func(&mut *store, name).expect("export exists");
    let mut out = vec![Val::Bool(false); f.ty().result().is_some() as usize];
    f.call(&mut *store, args, &mut out)?;
    Ok(out.pop())
}

const LIBC: &str = r#"
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $new i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
      (global.set $bump (i32.add (local.get $p) (local.get $new)))
      (if (local.get $old_size)
        (then (memory.copy (local.get $p) (local.get $old)
                (select (local.get $old_size) (local.get $new) (i32.lt_u (local.get $old_size) (local.get $new))))))
      (local.get $p))
"#;

#[test]
fn scalars_lift_and_lower() {
    let engine = Engine::default();
    let c = component(
        &engine,
        r#"(component
          (core module $M
            (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
            (func (export "neg") (param f64) (result f64) (f64.neg (local.get 0)))
            (func (export "u8") (param i32) (result i32) (local.get 0))
            (func (export "ch") (param i32) (result i32) (local.get 0)))
          (core instance $m (instantiate $M))
          (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $m "add")))
          (func (export "neg") (param "x" f64) (result f64) (canon lift (core func $m "neg")))
          (func (export "trunc") (param "x" u32) (result u8) (canon lift (core func $m "u8")))
          (func (export "ch") (param "x" u32) (result char) (canon lift (core func $m "ch"))))"#,
    );
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &c).unwrap();
    assert_eq!(
        call(&mut store, &i, "add", &[Val::U32(2), Val::U32(40)]).unwrap(),
        Some(Val::U32(42))
    );
    assert_eq!(
        call(&mut store, &i, "neg", &[Val::Float64(1.5)]).unwrap(),
        Some(Val::Float64(-1.5))
    );
    assert_eq!(
        call(&mut store, &i, "trunc", &[Val::U32(0xf01)]).unwrap(),
        Some(Val::U8(1))
    );
    assert_eq!(
        call(&mut store, &i, "ch", &[Val::U32(0x26f3)]).unwrap(),
        Some(Val::Char('⛳'))
    );
    let e = call(&mut store, &i, "ch", &[Val::U32(0xd800)]).unwrap_err();
    assert!(e.to_string().contains("invalid `char` bit pattern"), "{e}");
    // A wrong argument is a usage error, not a trap.
    assert!(call(&mut store, &i, "add", &[Val::U32(2)]).is_err());
    assert!(call(&mut store, &i, "add", &[Val::U32(2), Val::S32(1)]).is_err());
}

#[test]
fn strings_lists_records_variants_round_trip() {
    let engine = Engine::default();
    let text = format!(
        r#"(component
          (core module $M {LIBC}
            ;; echo: returns its (ptr, len) pair through a return area
            (func (export "echo2") (param i32 i32) (result i32)
              (i32.store (i32.const 0) (local.get 0))
              (i32.store (i32.const 4) (local.get 1))
              (i32.const 0))
            (func (export "echo-ptr") (param i32) (result i32) (local.get 0)))
          (core instance $m (instantiate $M))
          (alias core export $m "mem" (core memory $mem))
          (alias core export $m "realloc" (core func $realloc))
          (type $rec0 (record (field "name" string) (field "tags" (list u16)) (field "score" f32)))
          (export $rec "rec" (type $rec0))
          (type $v0 (variant (case "none") (case "num" s64) (case "text" string) (case "pair" (tuple u8 f64))))
          (export $v "v" (type $v0))
          (type $fl0 (flags "a" "b" "c"))
          (export $fl "fl" (type $fl0))
          (type $en0 (enum "x" "y"))
          (export $en "en" (type $en0))
          (type $big (tuple string (list string) $rec $v (option u32) (result string (error u8)) $fl $en))
          (func (export "s") (param "x" string) (result string)
            (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
          (func (export "l") (param "x" (list string)) (result (list string))
            (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
          (func (export "big") (param "x" $big) (result $big)
            (canon lift (core func $m "echo-ptr") (memory $mem) (realloc $realloc))))"#
    );
    let c = component(&engine, &text);
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &c).unwrap();
    for s in ["", "a", "héllo ☃ wörld", "𝄞 clef"] {
        assert_eq!(
            call(&mut store, &i, "s", &[Val::String(s.into())]).unwrap(),
            Some(Val::String(s.into()))
        );
    }
    let l = Val::List(vec![
        Val::String("x".into()),
        Val::String("".into()),
        Val::String("zz".into()),
    ]);
    assert_eq!(
        call(&mut store, &i, "l", std::slice::from_ref(&l)).unwrap(),
        Some(l)
    );
    let big = Val::Tuple(vec![
        Val::String("top".into()),
        Val::List(vec![Val::String("a".into()), Val::String("bcd".into())]),
        Val::Record(vec![
            ("name".into(), Val::String("n".into())),
            ("tags".into(), Val::List(vec![Val::U16(1), Val::U16(65535)])),
            ("score".into(), Val::Float32(0.5)),
        ]),
        Val::Variant(
            "pair".into(),
            Some(Box::new(Val::Tuple(vec![Val::U8(7), Val::Float64(-2.25)]))),
        ),
        Val::Option(Some(Box::new(Val::U32(9)))),
        Val::Result(Err(Some(Box::new(Val::U8(3))))),
        Val::Flags(vec!["a".into(), "c".into()]),
        Val::Enum("y".into()),
    ]);
    assert_eq!(
        call(&mut store, &i, "big", std::slice::from_ref(&big)).unwrap(),
        Some(big)
    );
}

#[test]
fn host_functions_under_interface_names() {
    let engine = Engine::default();
    let c = component(
        &engine,
        r#"(component
          (import "test:demo/greet@0.1.0" (instance $g
            (export "greet" (func (param "who" string) (result string)))))
          (alias export $g "greet" (func $greet))
          (core module $Libc (memory (export "mem") 1)
            (global $b (mut i32) (i32.const 256))
            (func (export "realloc") (param i32 i32 i32 i32) (result i32)
              (local $p i32) (local.set $p (global.get $b))
              (global.set $b (i32.add (global.get $b) (local.get 3))) (local.get $p)))
          (core instance $libc (instantiate $Libc))
          (core func $greet' (canon lower (func $greet) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
          (core module $Main
            (import "libc" "mem" (memory 1))
            (import "host" "greet" (func $greet (param i32 i32 i32)))
            (data (i32.const 16) "world")
            (func (export "run") (result i32)
              (call $greet (i32.const 16) (i32.const 5) (i32.const 32))
              (i32.const 32)))
          (core instance $main (instantiate $Main
            (with "libc" (instance $libc))
            (with "host" (instance (export "greet" (func $greet'))))))
          (func (export "run") (result string)
            (canon lift (core func $main "run") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")))))"#,
    );
    let mut linker = Linker::<()>::new(&engine);
    linker
        .instance("test:demo/greet@0.1.0")
        .unwrap()
        .func_new("greet", |_store, args, out| {
            let Val::String(who) = &args[0] else {
                panic!("a string")
            };
            out[0] = Val::String(format!("hello, {who}!"));
            Ok(())
        })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let i = linker.instantiate(&mut store, &c).unwrap();
    assert_eq!(
        call(&mut store, &i, "run", &[]).unwrap(),
        Some(Val::String("hello, world!".into()))
    );
    // Missing imports are link errors that name the import.
    let e = Linker::<()>::new(&engine)
        .instantiate(&mut store, &c)
        .unwrap_err();
    assert!(e.to_string().contains("test:demo/greet@0.1.0"), "{e}");
}

#[test]
fn component_to_component_strings_and_traps() {
    let engine = Engine::default();
    let text = format!(
        r#"(component
          (component $Upper
            (core module $M {LIBC}
              (func (export "upper") (param $p i32) (param $n i32) (result i32)
                (local $i i32) (local $c i32)
                (block $done (loop $l
                  (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                  (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
                  (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
                    (then (i32.store8 (i32.add (local.get $p) (local.get $i)) (i32.sub (local.get $c) (i32.const 32)))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $l)))
                (i32.store (i32.const 0) (local.get $p))
                (i32.store (i32.const 4) (local.get $n))
                (i32.const 0)))
            (core instance $m (instantiate $M))
            (func (export "upper") (param "s" string) (result string)
              (canon lift (core func $m "upper") (memory (core memory $m "mem")) (realloc (core func $m "realloc")))))
          (component $User
            (import "upper" (func $up (param "s" string) (result string)))
            (core module $Libc {LIBC})
            (core instance $libc (instantiate $Libc))
            (core func $up' (canon lower (func $up) string-encoding=utf16 (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
            (core module $Main
              (import "libc" "mem" (memory 1))
              (import "" "up" (func $up (param i32 i32 i32)))
              ;; "abc" in UTF-16
              (data (i32.const 16) "a\00b\00c\00")
              (func (export "run") (result i32)
                (call $up (i32.const 16) (i32.const 3) (i32.const 64))
                (i32.const 64))
              (func (export "bad") (call $up (i32.const 17) (i32.const 3) (i32.const 64))))
            (core instance $main (instantiate $Main (with "libc" (instance $libc)) (with "" (instance (export "up" (func $up'))))))
            (func (export "run") (result string)
              (canon lift (core func $main "run") string-encoding=utf16 (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
            (func (export "bad") (canon lift (core func $main "bad"))))
          (instance $u (instantiate $Upper))
          (instance $user (instantiate $User (with "upper" (func $u "upper"))))
          (export "run" (func $user "run"))
          (export "bad" (func $user "bad")))"#
    );
    let c = component(&engine, &text);
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &c).unwrap();
    assert_eq!(
        call(&mut store, &i, "run", &[]).unwrap(),
        Some(Val::String("ABC".into()))
    );
    let e = call(&mut store, &i, "bad", &[]).unwrap_err();
    assert!(e.to_string().contains("unaligned pointer"), "{e}");
}

#[test]
fn resources_handles_and_destructors() {
    let engine = Engine::default();
    let c = component(
        &engine,
        r#"(component
          (core module $Dtor
            (global $dropped (export "dropped") (mut i32) (i32.const 0))
            (func (export "dtor") (param i32) (global.set $dropped (local.get 0))))
          (core instance $d (instantiate $Dtor))
          (type $R (resource (rep i32) (dtor (core func $d "dtor"))))
          (canon resource.new $R (core func $new))
          (canon resource.rep $R (core func $rep))
          (canon resource.drop $R (core func $drop))
          (core module $M
            (import "" "new" (func $new (param i32) (result i32)))
            (import "" "rep" (func $rep (param i32) (result i32)))
            (import "" "drop" (func $drop (param i32)))
            (func (export "make") (param i32) (result i32) (call $new (local.get 0)))
            (func (export "peek") (param i32) (result i32) (local.get 0))
            (func (export "consume") (param i32) (result i32)
              (local $r i32) (local.set $r (call $rep (local.get 0)))
              (call $drop (local.get 0)) (local.get $r))
            (func (export "bad-drop") (call $drop (i32.const 99))))
          (core instance $m (instantiate $M (with "" (instance
            (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))))))
          (export $R' "r" (type $R))
          (func (export "make") (param "rep" u32) (result (own $R')) (canon lift (core func $m "make")))
          (func (export "peek") (param "r" (borrow $R')) (result u32) (canon lift (core func $m "peek")))
          (func (export "consume") (param "r" (own $R')) (result u32) (canon lift (core func $m "consume")))
          (func (export "bad-drop") (canon lift (core func $m "bad-drop")))
        )"#,
    );
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &c).unwrap();
    let Some(Val::Resource(r)) = call(&mut store, &i, "make", &[Val::U32(77)]).unwrap() else {
        panic!("a resource")
    };
    assert!(r.owned());
    assert_eq!(r.rep(), 77);
    assert_eq!(Some(r.ty()), i.get_resource("r"));
    // A borrow defined by the callee's own instance passes the rep.
    let b = nanowasm_component::runtime::ResourceAny::new_borrow(r.ty(), r.rep());
    assert_eq!(
        call(&mut store, &i, "peek", &[Val::Resource(b)]).unwrap(),
        Some(Val::U32(77))
    );
    assert_eq!(
        call(&mut store, &i, "consume", &[Val::Resource(r)]).unwrap(),
        Some(Val::U32(77))
    );
    let e = call(&mut store, &i, "bad-drop", &[]).unwrap_err();
    assert!(e.to_string().contains("unknown handle index 99"), "{e}");
    // A host resource type is not the component's.
    let other = nanowasm_component::runtime::ResourceAny::new_own(ResourceType::host::<u8>(), 1);
    let mut store2 = Store::new(&engine, ());
    let i2 = Linker::new(&engine).instantiate(&mut store2, &c).unwrap();
    assert!(call(&mut store2, &i2, "consume", &[Val::Resource(other)]).is_err());
}

#[test]
fn typed_calls_with_rust_types() {
    let engine = Engine::default();
    let text = format!(
        r#"(component
          (core module $M {LIBC}
            (func (export "echo2") (param i32 i32) (result i32)
              (i32.store (i32.const 0) (local.get 0))
              (i32.store (i32.const 4) (local.get 1))
              (i32.const 0))
            (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
          (core instance $m (instantiate $M))
          (alias core export $m "mem" (core memory $mem))
          (alias core export $m "realloc" (core func $realloc))
          (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $m "add")))
          (func (export "names") (param "x" (list string)) (result (list string))
            (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc)))
          (func (export "mix") (param "x" (list (tuple string (option u8) (result u64 (error string))))) (result (list (tuple string (option u8) (result u64 (error string)))))
            (canon lift (core func $m "echo2") (memory $mem) (realloc $realloc))))"#
    );
    let c = component(&engine, &text);
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &c).unwrap();
    let add = i
        .get_func(&mut store, "add")
        .unwrap()
        .typed::<(u32, u32), (u32,)>()
        .unwrap();
    assert_eq!(add.call(&mut store, (40, 2)).unwrap(), (42,));
    let names = i
        .get_func(&mut store, "names")
        .unwrap()
        .typed::<(Vec<&str>,), (Vec<String>,)>()
        .unwrap();
    assert_eq!(
        names.call(&mut store, (vec!["a", "bc"],)).unwrap(),
        (vec!["a".to_string(), "bc".to_string()],)
    );
    type Mix = (String, Option<u8>, Result<u64, String>);
    let mix = i
        .get_func(&mut store, "mix")
        .unwrap()
        .typed::<(Vec<Mix>,), (Vec<Mix>,)>()
        .unwrap();
    let v: Vec<Mix> = vec![
        ("s".into(), Some(3), Err("bad".into())),
        ("".into(), None, Ok(7)),
    ];
    assert_eq!(mix.call(&mut store, (v.clone(),)).unwrap(), (v,));
    // Wrong Rust types are refused when the typed function is made.
    let f = i.get_func(&mut store, "add").unwrap();
    assert!(f.typed::<(u32,), (u32,)>().is_err());
    assert!(f.typed::<(u32, u32), (String,)>().is_err());
    assert!(f.typed::<(i32, u32), (u32,)>().is_err());
}

#[test]
fn a_huge_list_lifted_for_the_host_traps_instead_of_amplifying() {
    // A guest returns a list of 5 M bytes (its memory holds them): lifting
    // it into `Val`s would cost the host about 160 MB; it traps instead.
    let engine = Engine::default();
    let c = component(
        &engine,
        r#"(component
          (core module $M
            (memory (export "mem") 100)
            (func (export "big") (result i32)
              (i32.store (i32.const 0) (i32.const 64))
              (i32.store (i32.const 4) (i32.const 5000000))
              (i32.const 0)))
          (core instance $m (instantiate $M))
          (func (export "big") (result (list u8))
            (canon lift (core func $m "big") (memory (core memory $m "mem")))))"#,
    );
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &c).unwrap();
    let e = call(&mut store, &i, "big", &[]).unwrap_err();
    assert!(
        e.to_string()
            .contains("longer than the host's value API takes"),
        "{e}"
    );
}

#[test]
fn handle_tables_are_bounded_and_stores_are_not_mixed() {
    let engine = Engine::default();
    let c = component(
        &engine,
        r#"(component
          (type $R (resource (rep i32)))
          (canon resource.new $R (core func $new))
          (core module $M
            (import "" "new" (func $new (param i32) (result i32)))
            (func (export "leak") (result i32)
              (loop $l (drop (call $new (i32.const 1))) (br $l))
              (i32.const 0)))
          (core instance $m (instantiate $M (with "" (instance (export "new" (func $new))))))
          (func (export "leak") (result u32) (canon lift (core func $m "leak"))))"#,
    );
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &c).unwrap();
    // A guest that makes handles forever traps at the table's bound.
    let e = call(&mut store, &i, "leak", &[]).unwrap_err();
    assert!(e.to_string().contains("resource handle table full"), "{e}");
    // A function of one store called with another is refused, and the
    // other store's instances are left alone.
    let mut other = Store::new(&engine, ());
    let j = Linker::new(&engine).instantiate(&mut other, &c).unwrap();
    let f = i.get_func(&mut store, "leak").unwrap();
    let e = f.call(&mut other, &[], &mut [Val::U32(0)]).unwrap_err();
    assert!(e.to_string().contains("another store"), "{e}");
    let e = call(&mut other, &j, "leak", &[]).unwrap_err();
    assert!(e.to_string().contains("resource handle table full"), "{e}");
}

fn map_of(entries: &[(&str, Val)]) -> Val {
    Val::Map(
        entries
            .iter()
            .map(|(k, v)| (Val::String((*k).into()), v.clone()))
            .collect(),
    )
}

#[test]
fn maps_and_fixed_lists_host_to_component_to_host() {
    // `run` passes its map and fixed-length list to a host import and
    // returns what the host returns; `fl` echoes a `list<u32, 3>` (flat
    // parameters, a result through memory).
    let engine = Engine::default();
    let text = format!(
        r#"(component
          (import "h" (func $h (param "m" (map string u32)) (param "a" (list u8 2)) (result (map string u32))))
          (core module $Libc {LIBC})
          (core instance $libc (instantiate $Libc))
          (core func $h' (canon lower (func $h) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
          (core module $Main
            (import "libc" "mem" (memory 1))
            (import "" "h" (func $h (param i32 i32 i32 i32 i32)))
            (func (export "run") (param i32 i32 i32 i32) (result i32)
              (call $h (local.get 0) (local.get 1) (local.get 2) (local.get 3) (i32.const 16))
              (i32.const 16))
            (func (export "fl") (param i32 i32 i32) (result i32)
              (i32.store (i32.const 32) (local.get 0))
              (i32.store (i32.const 36) (local.get 1))
              (i32.store (i32.const 40) (local.get 2))
              (i32.const 32)))
          (core instance $main (instantiate $Main (with "libc" (instance $libc)) (with "" (instance (export "h" (func $h'))))))
          (func (export "run") (param "m" (map string u32)) (param "a" (list u8 2)) (result (map string u32))
            (canon lift (core func $main "run") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
          (func (export "fl") (param "x" (list u32 3)) (result (list u32 3))
            (canon lift (core func $main "fl") (memory (core memory $libc "mem")))))"#
    );
    let c = component(&engine, &text);
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_new("h", |_store, args, out| {
            let (Val::Map(m), Val::List(a)) = (&args[0], &args[1]) else {
                panic!("a map and a list: {args:?}")
            };
            let [Val::U8(x), Val::U8(y)] = a[..] else {
                panic!("two bytes: {a:?}")
            };
            let add = u32::from(x) + u32::from(y);
            out[0] = Val::Map(
                m.iter()
                    .rev()
                    .map(|(k, v)| match v {
                        Val::U32(v) => (k.clone(), Val::U32(v + add)),
                        v => panic!("a u32: {v:?}"),
                    })
                    .collect(),
            );
            Ok(())
        })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let i = linker.instantiate(&mut store, &c).unwrap();
    let m = map_of(&[
        ("one", Val::U32(1)),
        ("zwei ☃", Val::U32(2)),
        ("", Val::U32(3)),
    ]);
    let got = call(
        &mut store,
        &i,
        "run",
        &[m, Val::List(vec![Val::U8(10), Val::U8(20)])],
    )
    .unwrap();
    assert_eq!(
        got,
        Some(map_of(&[
            ("", Val::U32(33)),
            ("zwei ☃", Val::U32(32)),
            ("one", Val::U32(31))
        ]))
    );
    // An empty map.
    let got = call(
        &mut store,
        &i,
        "run",
        &[Val::Map(vec![]), Val::List(vec![Val::U8(0), Val::U8(0)])],
    )
    .unwrap();
    assert_eq!(got, Some(Val::Map(vec![])));
    let fl = Val::List(vec![Val::U32(7), Val::U32(8), Val::U32(u32::MAX)]);
    assert_eq!(
        call(&mut store, &i, "fl", std::slice::from_ref(&fl)).unwrap(),
        Some(fl)
    );
    // A fixed-length list of the wrong length, or a map of the wrong key
    // type, is a usage error.
    assert!(call(&mut store, &i, "fl", &[Val::List(vec![Val::U32(1)])]).is_err());
    let bad = Val::Map(vec![(Val::U32(1), Val::U32(1))]);
    let two = Val::List(vec![Val::U8(0), Val::U8(0)]);
    assert!(call(&mut store, &i, "run", &[bad, two]).is_err());
}

#[test]
fn maps_and_fixed_lists_component_to_component() {
    // $Callee echoes a map of lists and a `list<u16, 3>` as a tuple (in
    // memory); $User forwards to it through the fused adapter (its own
    // memory, so every byte is copied) and the host checks what comes back.
    let engine = Engine::default();
    let ty = "(param \"m\" (map string (list u8))) (param \"x\" (list u16 3)) (result (tuple (map string (list u8)) (list u16 3)))";
    let text = format!(
        r#"(component
          (component $Callee
            (core module $M {LIBC}
              (func (export "f") (param i32 i32 i32 i32 i32) (result i32)
                (i32.store (i32.const 0) (local.get 0))
                (i32.store (i32.const 4) (local.get 1))
                (i32.store16 (i32.const 8) (local.get 2))
                (i32.store16 (i32.const 10) (local.get 3))
                (i32.store16 (i32.const 12) (local.get 4))
                (i32.const 0)))
            (core instance $m (instantiate $M))
            (func (export "f") {ty}
              (canon lift (core func $m "f") (memory (core memory $m "mem")) (realloc (core func $m "realloc")))))
          (component $User
            (import "f" (func $f {ty}))
            (core module $Libc {LIBC})
            (core instance $libc (instantiate $Libc))
            (core func $f' (canon lower (func $f) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
            (core module $Main
              (import "libc" "mem" (memory 1))
              (import "" "f" (func $f (param i32 i32 i32 i32 i32 i32)))
              (func (export "run") (param i32 i32 i32 i32 i32) (result i32)
                (call $f (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (i32.const 32))
                (i32.const 32)))
            (core instance $main (instantiate $Main (with "libc" (instance $libc)) (with "" (instance (export "f" (func $f'))))))
            (func (export "run") {ty}
              (canon lift (core func $main "run") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")))))
          (instance $c (instantiate $Callee))
          (instance $u (instantiate $User (with "f" (func $c "f"))))
          (export "run" (func $u "run")))"#
    );
    let c = component(&engine, &text);
    let mut store = Store::new(&engine, ());
    let i = Linker::new(&engine).instantiate(&mut store, &c).unwrap();
    let bytes = |b: &[u8]| Val::List(b.iter().map(|&x| Val::U8(x)).collect());
    let m = map_of(&[
        ("a", bytes(b"xyz")),
        ("b", bytes(b"")),
        ("ccc", bytes(&[0, 255])),
    ]);
    let x = Val::List(vec![Val::U16(1), Val::U16(0xffff), Val::U16(300)]);
    let got = call(&mut store, &i, "run", &[m.clone(), x.clone()]).unwrap();
    assert_eq!(got, Some(Val::Tuple(vec![m, x])));
}

#[test]
fn async_builtins_in_a_synchronous_instance() {
    // The built-ins with a meaning without async work; the others trap as
    // not supported; during `post-return` all but `context.*` and
    // `backpressure.*` refuse to leave the instance.
    let engine = Engine::default();
    let c = component(
        &engine,
        r#"(component
          (type $ST (stream u8))
          (core module $Mem (memory (export "mem") 1))
          (core instance $mem (instantiate $Mem))
          (canon context.get i32 0 (core func $cget))
          (canon context.set i32 0 (core func $cset))
          (canon backpressure.inc (core func $bpi))
          (canon backpressure.dec (core func $bpd))
          (canon thread.yield (core func $yield))
          (canon thread.index (core func $index))
          (canon waitable-set.new (core func $wsnew))
          (canon stream.new $ST (core func $snew))
          (canon task.return (result u32) (core func $ret))
          (core module $M
            (import "" "cget" (func $cget (result i32)))
            (import "" "cset" (func $cset (param i32)))
            (import "" "bpi" (func $bpi))
            (import "" "bpd" (func $bpd))
            (import "" "yield" (func $yield (result i32)))
            (import "" "index" (func $index (result i32)))
            (import "" "wsnew" (func $wsnew (result i32)))
            (import "" "snew" (func $snew (result i64)))
            (import "" "ret" (func $ret (param i32)))
            (func (export "ctx") (result i32)
              (local $before i32)
              (local.set $before (call $cget))
              (call $cset (i32.const 41))
              (i32.add (local.get $before) (call $cget)))
            (func (export "misc") (result i32)
              (call $bpi) (call $bpd)
              (i32.add (call $yield) (call $index)))
            (func (export "underflow") (call $bpd))
            (func (export "wsnew") (drop (call $wsnew)))
            (func (export "snew") (drop (call $snew)))
            (func (export "ret") (call $ret (i32.const 1)))
            (func (export "noop"))
            (func (export "pr-yield") (drop (call $yield))))
          (core instance $m (instantiate $M (with "" (instance
            (export "cget" (func $cget)) (export "cset" (func $cset))
            (export "bpi" (func $bpi)) (export "bpd" (func $bpd))
            (export "yield" (func $yield)) (export "index" (func $index))
            (export "wsnew" (func $wsnew)) (export "snew" (func $snew))
            (export "ret" (func $ret))))))
          (func (export "ctx") (result u32) (canon lift (core func $m "ctx")))
          (func (export "misc") (result u32) (canon lift (core func $m "misc")))
          (func (export "underflow") (canon lift (core func $m "underflow")))
          (func (export "wsnew") (canon lift (core func $m "wsnew")))
          (func (export "snew") (canon lift (core func $m "snew")))
          (func (export "ret") (canon lift (core func $m "ret")))
          (func (export "pr-yield") (canon lift (core func $m "noop") (post-return (core func $m "pr-yield")))))"#,
    );
    let run = |name: &str| {
        let mut store = Store::new(&engine, ());
        let i = Linker::new(&engine).instantiate(&mut store, &c).unwrap();
        let r = call(&mut store, &i, name, &[]);
        // Each call is a new task: the context slot starts at zero.
        (r, call(&mut store, &i, "ctx", &[]))
    };
    let (r, again) = run("ctx");
    assert_eq!(r.unwrap(), Some(Val::U32(41)));
    assert_eq!(again.unwrap(), Some(Val::U32(41)));
    assert_eq!(run("misc").0.unwrap(), Some(Val::U32(0)));
    let e = run("underflow").0.unwrap_err();
    assert!(
        e.to_string().contains("backpressure counter underflow"),
        "{e}"
    );
    for (f, name) in [("wsnew", "waitable-set.new"), ("snew", "stream.new")] {
        let e = run(f).0.unwrap_err().to_string();
        assert!(
            e.contains(&format!("async built-in `{name}` is not supported yet")),
            "{e}"
        );
    }
    let e = run("ret").0.unwrap_err().to_string();
    assert!(
        e.contains("invalid `task.return` signature and/or options for current task"),
        "{e}"
    );
    let e = run("pr-yield").0.unwrap_err().to_string();
    assert!(e.contains("cannot leave component instance"), "{e}");
}

/// Async-lifted exports and async-lowered imports whose calls complete
/// without blocking: the result travels through `task.return`, an async
/// lower returns `RETURNED` with the result written through its pointer,
/// and everything that would need another task to run traps instead of
/// hanging.
#[test]
fn async_lifts_and_lowers_that_complete_at_once() {
    let engine = Engine::default();
    let c = component(
        &engine,
        &format!(
            r#"(component
          (import "greet" (func $greet async (param "who" string) (result string)))
          (core module $Libc {LIBC})
          (core instance $libc (instantiate $Libc))
          (core func $greet' (canon lower (func $greet) async (memory (core memory $libc "mem"))
            (realloc (core func $libc "realloc"))))
          (core func $ret-s (canon task.return (result string) (memory (core memory $libc "mem"))))
          (core func $ret-u (canon task.return (result u32)))
          (core module $Main
            (import "libc" "mem" (memory 1))
            (import "" "greet" (func $greet (param i32 i32 i32) (result i32)))
            (import "" "ret-s" (func $ret-s (param i32 i32)))
            (import "" "ret-u" (func $ret-u (param i32)))
            (data (i32.const 16) "world")
            ;; callback style: call the host asynchronously, hand its answer to task.return, EXIT
            (func (export "hello") (result i32)
              (if (i32.ne (call $greet (i32.const 16) (i32.const 5) (i32.const 64)) (i32.const 2))
                (then unreachable))
              (call $ret-s (i32.load (i32.const 64)) (i32.load (i32.const 68)))
              (i32.const 0))
            (func (export "cb") (param i32 i32 i32) (result i32) unreachable)
            ;; stackful: the parameter doubled
            (func (export "double") (param i32) (call $ret-u (i32.mul (local.get 0) (i32.const 2))))
            (func (export "silent") (param i32))
            (func (export "twice") (param i32) (call $ret-u (i32.const 1)) (call $ret-u (i32.const 2)))
            (func (export "wrong") (param i32) (call $ret-s (i32.const 16) (i32.const 5)))
            (func (export "yield") (result i32) (call $ret-u (i32.const 7)) (i32.const 1))
            (func (export "wait") (result i32) (i32.const 0x32)))
          (core instance $main (instantiate $Main
            (with "libc" (instance $libc))
            (with "" (instance (export "greet" (func $greet')) (export "ret-s" (func $ret-s))
              (export "ret-u" (func $ret-u))))))
          (func (export "hello") async (result string)
            (canon lift (core func $main "hello") async (callback (core func $main "cb"))
              (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
          (func (export "double") async (param "x" u32) (result u32)
            (canon lift (core func $main "double") async))
          (func (export "silent") async (param "x" u32) (result u32)
            (canon lift (core func $main "silent") async))
          (func (export "twice") async (param "x" u32) (result u32)
            (canon lift (core func $main "twice") async))
          (func (export "wrong") async (param "x" u32) (result u32)
            (canon lift (core func $main "wrong") async))
          (func (export "yield") async (result u32)
            (canon lift (core func $main "yield") async (callback (core func $main "cb"))))
          (func (export "wait") async (result u32)
            (canon lift (core func $main "wait") async (callback (core func $main "cb")))))"#
        ),
    );
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_new("greet", |_store, args, out| {
            let Val::String(who) = &args[0] else {
                panic!("a string")
            };
            out[0] = Val::String(format!("hello, {who}!"));
            Ok(())
        })
        .unwrap();
    let run = |name: &str, args: &[Val]| {
        let mut store = Store::new(&engine, ());
        let i = linker.instantiate(&mut store, &c).unwrap();
        call(&mut store, &i, name, args)
    };
    assert_eq!(
        run("hello", &[]).unwrap(),
        Some(Val::String("hello, world!".into()))
    );
    assert_eq!(run("double", &[Val::U32(21)]).unwrap(), Some(Val::U32(42)));
    for (f, msg) in [
        ("silent", "async-lifted export failed to produce a result"),
        ("twice", "`task.return` called more than once"),
        (
            "wrong",
            "invalid `task.return` signature and/or options for current task",
        ),
    ] {
        let e = run(f, &[Val::U32(1)]).unwrap_err().to_string();
        assert!(e.contains(msg), "{f}: {e}");
    }
    let e = run("yield", &[]).unwrap_err().to_string();
    assert!(e.contains("async task yielded"), "{e}");
    let e = run("wait", &[]).unwrap_err().to_string();
    assert!(e.contains("waits on waitable set 3"), "{e}");
}
