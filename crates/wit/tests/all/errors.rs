//! Error messages: file:line:col and the caret line.

fn error(src: &str) -> nanowasm_wit::Error {
    nanowasm_wit::parse_package("api.wit", src).unwrap_err()
}

#[test]
fn unknown_type_renders_with_caret() {
    let e = error("package demo:api;\ninterface api {\n  greet: func(n: strng) -> string;\n}\n");
    assert_eq!(
        e.to_string(),
        "error: unknown type `strng`\n --> api.wit:3:18\n  |\n3 |   greet: func(n: strng) -> string;\n  |                  ^^^^^"
    );
    assert_eq!((e.file(), e.line(), e.column()), ("api.wit", 3, 18));
}

#[test]
fn syntax_error_position() {
    let e = error("package a:b;\n\ninterface i {\n  f: func()\n}\n");
    assert_eq!(e.message(), "expected ';', found '}'");
    assert_eq!((e.line(), e.column()), (5, 1));
    assert!(e.to_string().ends_with("5 | }\n  | ^"), "{e}");
}

#[test]
fn duplicate_and_cycle_positions() {
    let e = error("package a:b;\ninterface i {\n  type a = u32;\n  type a = u64;\n}\n");
    assert_eq!(e.message(), "name `a` is defined more than once");
    assert_eq!((e.line(), e.column()), (4, 8));
    let e = error("package a:b;\ninterface i {\n  type a = b;\n  type b = list<a>;\n}\n");
    assert!(e.message().contains("depends on itself"), "{e}");
    assert_eq!(e.line(), 3);
}

#[test]
fn lexer_error_position_and_wide_gutter() {
    let mut src = String::from("package a:b;\n");
    src.push_str(&"\n".repeat(100));
    src.push_str("interface i { f: func(x: u32) -> u32 $ }\n");
    let e = error(&src);
    assert_eq!(e.message(), "unexpected character '$'");
    assert_eq!((e.line(), e.column()), (102, 38));
    let text = e.to_string();
    assert!(
        text.contains("\n   --> api.wit:102:38\n    |\n102 | interface"),
        "{text}"
    );
    assert!(
        text.ends_with("    |                                      ^"),
        "{text}"
    );
}

#[test]
fn error_in_second_file_names_it() {
    let mut map = nanowasm_wit::SourceMap::new();
    map.push("a.wit", "package x:y;\ninterface a { type t = u32; }\n");
    map.push(
        "b.wit",
        "interface b {\n  use a.{t};\n  f: func(x: tt);\n}\n",
    );
    let e = map.resolve().unwrap_err();
    assert_eq!((e.file(), e.line(), e.column()), ("b.wit", 3, 14));
    assert!(e.to_string().contains("--> b.wit:3:14"));
}

#[test]
fn missing_package_header() {
    let e = error("interface i {}\n");
    assert!(e.message().contains("no `package` header"));
    assert_eq!((e.line(), e.column()), (1, 1));
}

#[test]
fn eof_error() {
    let e = error("package a:b;\ninterface i {");
    assert_eq!(
        e.message(),
        "expected `type`, `resource` or `func`, found eof"
    );
    assert_eq!((e.line(), e.column()), (2, 14));
}
