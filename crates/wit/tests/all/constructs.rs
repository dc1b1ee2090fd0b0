//! One test per construct: the parser's tree and the resolver's names.

use nanowasm_wit::ast::*;
use nanowasm_wit::resolve::TypeKind;

fn file(src: &str) -> File {
    nanowasm_wit::parse_file("t.wit", src).unwrap_or_else(|e| panic!("{e}"))
}

fn package(src: &str) -> nanowasm_wit::PackageGroup {
    nanowasm_wit::parse_package("t.wit", src).unwrap_or_else(|e| panic!("{e}"))
}

fn iface_items(src: &str) -> Vec<InterfaceItem> {
    let f = file(&format!("package a:b;\ninterface i {{ {src} }}"));
    match f.items.into_iter().next() {
        Some(Item::Interface(i)) => i.items,
        other => panic!("{other:?}"),
    }
}

fn alias(src: &str) -> Type {
    match iface_items(&format!("type t = {src};")).remove(0) {
        InterfaceItem::Type(TypeDef {
            kind: TypeDefKind::Alias(t),
            ..
        }) => t,
        other => panic!("{other:?}"),
    }
}

#[test]
fn package_header_with_version() {
    let f = file("/// docs\npackage wasi:cli@0.2.0-rc.1;");
    let (docs, name) = f.package.unwrap();
    assert_eq!(name.to_string(), "wasi:cli@0.2.0-rc.1");
    assert_eq!(docs.lines, ["docs"]);
}

#[test]
fn nested_packages() {
    let g =
        package("package a:b;\npackage c:d@1.0.0 { interface i {} }\npackage e:f { world w {} }");
    assert_eq!(g.main.name.to_string(), "a:b");
    let names: Vec<String> = g.nested.iter().map(|p| p.name.to_string()).collect();
    assert_eq!(names, ["c:d@1.0.0", "e:f"]);
    assert_eq!(g.nested[0].interfaces[0].name, "i");
}

#[test]
fn primitives() {
    for (s, p) in [
        ("bool", Prim::Bool),
        ("s8", Prim::S8),
        ("s16", Prim::S16),
        ("s32", Prim::S32),
        ("s64", Prim::S64),
        ("u8", Prim::U8),
        ("u16", Prim::U16),
        ("u32", Prim::U32),
        ("u64", Prim::U64),
        ("f32", Prim::F32),
        ("f64", Prim::F64),
        ("char", Prim::Char),
        ("string", Prim::String),
    ] {
        assert!(matches!(alias(s), Type::Prim(q, _) if q == p), "{s}");
    }
}

#[test]
fn lists_options_results_tuples() {
    assert!(matches!(alias("list<u8>"), Type::List(..)));
    assert!(matches!(alias("list<u8, 4>"), Type::FixedList(_, 4, _)));
    assert!(matches!(alias("option<string>"), Type::Option(..)));
    assert!(matches!(
        alias("result"),
        Type::Result {
            ok: None,
            err: None,
            ..
        }
    ));
    assert!(matches!(
        alias("result<u8>"),
        Type::Result {
            ok: Some(_),
            err: None,
            ..
        }
    ));
    assert!(matches!(
        alias("result<_, u8>"),
        Type::Result {
            ok: None,
            err: Some(_),
            ..
        }
    ));
    assert!(matches!(
        alias("result<u8, u8>"),
        Type::Result {
            ok: Some(_),
            err: Some(_),
            ..
        }
    ));
    assert!(matches!(alias("tuple<u8, string>"), Type::Tuple(v, _) if v.len() == 2));
}

#[test]
fn handles() {
    let items = iface_items("resource r; type o = own<r>; type b = borrow<r>;");
    assert!(
        matches!(&items[1], InterfaceItem::Type(TypeDef { kind: TypeDefKind::Alias(Type::Own(id)), .. }) if id.name == "r")
    );
    assert!(matches!(
        &items[2],
        InterfaceItem::Type(TypeDef {
            kind: TypeDefKind::Alias(Type::Borrow(_)),
            ..
        })
    ));
}

#[test]
fn records_variants_enums_flags() {
    let items = iface_items(
        "record p { x: u32, y: u32, } variant v { a, b(string) } enum e { one, two } flags f { r, w }",
    );
    let kinds: Vec<&TypeDefKind> = items
        .iter()
        .map(|i| match i {
            InterfaceItem::Type(t) => &t.kind,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(matches!(kinds[0], TypeDefKind::Record(f) if f.len() == 2));
    assert!(matches!(kinds[1], TypeDefKind::Variant(c) if c[1].ty.is_some() && c[0].ty.is_none()));
    assert!(matches!(kinds[2], TypeDefKind::Enum(c) if c.len() == 2));
    assert!(matches!(kinds[3], TypeDefKind::Flags(c) if c.len() == 2));
}

#[test]
fn resources_with_constructor_methods_statics() {
    let g = package(
        "package a:b;\ninterface i { resource r { constructor(x: u32); m: func(y: u32) -> u32; s: static func() -> r; } }",
    );
    let names: Vec<(String, Vec<String>)> = g.main.interfaces[0]
        .functions
        .iter()
        .map(|f| (f.name.clone(), f.params.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("[constructor]r".to_string(), vec!["x".to_string()]),
            (
                "[method]r.m".to_string(),
                vec!["self".to_string(), "y".to_string()]
            ),
            ("[static]r.s".to_string(), vec![]),
        ]
    );
    assert_eq!(g.main.interfaces[0].types[0].kind, TypeKind::Resource);
}

#[test]
fn functions_with_named_params_and_result() {
    match &iface_items("f: func(a: u32, b: list<string>) -> option<u8>;")[0] {
        InterfaceItem::Func(f) => {
            let names: Vec<&str> = f.func.params.iter().map(|p| p.0.name.as_str()).collect();
            assert_eq!(names, ["a", "b"]);
            assert!(f.func.result.is_some());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn doc_comments_are_kept() {
    match &iface_items("/// Adds.\n/// Twice.\n// not a doc\nadd: func();")[0] {
        InterfaceItem::Func(f) => assert_eq!(f.docs.lines, ["Adds.", "Twice."]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn feature_gates_are_kept() {
    match &iface_items("@since(version = 1.2.3) @deprecated(version = 2.0.0) f: func();")[0] {
        InterfaceItem::Func(f) => {
            assert!(
                matches!(&f.attributes[0], Attribute::Since { version, .. } if version.text == "1.2.3")
            );
            assert!(matches!(&f.attributes[1], Attribute::Deprecated { .. }));
        }
        other => panic!("{other:?}"),
    }
    match &iface_items("@unstable(feature = fancy-thing) f: func();")[0] {
        InterfaceItem::Func(f) => {
            assert!(
                matches!(&f.attributes[0], Attribute::Unstable { feature, .. } if feature.name == "fancy-thing")
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn percent_escapes_and_kebab_rules() {
    match &iface_items("%record: func(%type: u32);")[0] {
        InterfaceItem::Func(f) => {
            assert_eq!(f.name.name, "record");
            assert_eq!(f.func.params[0].0.name, "type");
        }
        other => panic!("{other:?}"),
    }
    for bad in ["camelCase", "a--b", "1a", "a-", "snake_case", "a-Bc"] {
        let src = format!("package a:b;\ninterface i {{ {bad}: func(); }}");
        assert!(nanowasm_wit::parse_file("t.wit", &src).is_err(), "{bad}");
    }
    for good in ["a-b", "HTTP-get", "a1-2b", "x-Y"] {
        let src = format!("package a:b;\ninterface i {{ {good}: func(); }}");
        assert!(nanowasm_wit::parse_file("t.wit", &src).is_ok(), "{good}");
    }
}

#[test]
fn worlds_imports_exports_includes() {
    let g = package(
        "package a:b;\ninterface i {}\nworld base { import f: func(); }\nworld w { include base; import i; import j: interface { g: func(); } export h: func(); export wasi:cli/run@0.2.0; }",
    );
    let w = &g.main.worlds[1];
    assert_eq!(w.imports, ["i", "j"]);
    assert_eq!(w.exports, ["h", "wasi:cli@0.2.0/run"]);
    assert_eq!(w.includes, ["base"]);
    assert_eq!(g.main.foreign[0].name, "run");
}

#[test]
fn use_with_renames_and_foreign_types() {
    let g = package(
        "package a:b;\ninterface t { type x = u32; }\ninterface u { use t.{x as y}; use wasi:io/streams@0.2.0.{input-stream}; f: func(a: y, s: borrow<input-stream>); }",
    );
    let u = &g.main.interfaces[1];
    assert_eq!(u.types[0].name, "y");
    assert_eq!(
        u.types[0].kind,
        TypeKind::Used {
            interface: "t".into(),
            name: "x".into()
        }
    );
    assert!(matches!(&u.types[1].kind, TypeKind::Foreign { name, .. } if name == "input-stream"));
}

#[test]
fn toplevel_use_with_rename() {
    let f = file("package a:b;\nuse wasi:io/streams@0.2.0 as s;\nuse local;");
    assert!(
        matches!(&f.items[0], Item::Use(TopUse { as_: Some(id), path: UsePath::Foreign { .. }, .. }) if id.name == "s")
    );
    assert!(matches!(
        &f.items[1],
        Item::Use(TopUse {
            as_: None,
            path: UsePath::Local(_),
            ..
        })
    ));
}

#[test]
fn resolution_errors() {
    for (src, msg) in [
        (
            "interface i { type a = u32; type a = u32; }",
            "defined more than once",
        ),
        ("interface i { f: func(x: nope); }", "unknown type `nope`"),
        (
            "interface i { type a = b; type b = a; }",
            "depends on itself",
        ),
        ("interface i {} interface i {}", "duplicate item"),
        (
            "interface i { use j.{x}; }",
            "unknown interface or world `j`",
        ),
    ] {
        let e = nanowasm_wit::parse_package("t.wit", &format!("package a:b;\n{src}")).unwrap_err();
        assert!(e.message().contains(msg), "{src}: {e}");
    }
}
