//! Printed backtraces: mangled Rust and C++ names from the name section
//! demangled, deep backtraces capped, the full backtrace kept in the API.

use nanowasm_runtime::*;

use super::module;

/// The trap of calling export `run` of `src`.
fn trap_of(src: &str) -> Trap {
    let engine = Engine::default();
    let m = module(&engine, src);
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let run = i.get_typed_func::<(), ()>(&mut store, "run").unwrap();
    let err = run.call(&mut store, ()).unwrap_err();
    err.as_trap().expect("a trap").clone()
}

#[test]
#[cfg(feature = "demangle")]
fn rust_and_cpp_names_are_demangled() {
    let trap = trap_of(
        r#"(module $app
            (func $_ZN4core9panicking5panic17h0123456789abcdefE unreachable)
            (func $_Z3fooi (param i32) (call $_ZN4core9panicking5panic17h0123456789abcdefE))
            (func $_RNvCs1234_7mycrate4main (call $_Z3fooi (i32.const 1)))
            (func $run (export "run") (call $_RNvCs1234_7mycrate4main)))"#,
    );
    assert_eq!(
        trap.to_string(),
        "wasm trap: unreachable\n\
         wasm backtrace:\n  \
         0: app!core::panicking::panic::h0123456789abcdef (func 0) at offset 0x27\n  \
         1: app!foo(int) (func 1) at offset 0x2b\n  \
         2: app!mycrate[3c1c0]::main (func 2) at offset 0x32\n  \
         3: app!run (func 3) at offset 0x37"
    );
    // (The v0 symbol's crate disambiguator, `s1234_`, is base 62: 0x3c1c0.)
    // The API keeps the names as the module spells them.
    let raw: Vec<_> = trap
        .backtrace
        .iter()
        .map(|f| f.func_name.as_deref().unwrap())
        .collect();
    assert_eq!(
        raw,
        [
            "_ZN4core9panicking5panic17h0123456789abcdefE",
            "_Z3fooi",
            "_RNvCs1234_7mycrate4main",
            "run"
        ]
    );
}

#[test]
fn names_that_only_look_mangled_print_as_they_are() {
    // A name cut short (`_Z3fo` for a 3-letter name), and a bare C++ type (`i`): neither is
    // a function's symbol, so each prints as the name section spells it.
    let trap = trap_of(
        r#"(module
            (func $_Z3fo unreachable)
            (func $i (call $_Z3fo))
            (func $run (export "run") (call $i)))"#,
    );
    let text = trap.to_string();
    assert!(
        text.contains("\n  0: _Z3fo (func 0) at offset 0x"),
        "{text}"
    );
    assert!(text.contains("\n  1: i (func 1) at offset 0x"), "{text}");
}

#[test]
#[cfg(not(feature = "demangle"))]
fn without_the_demangle_feature_names_print_as_they_are() {
    let trap = trap_of(
        r#"(module
            (func $_Z3fooi unreachable)
            (func $run (export "run") (call $_Z3fooi)))"#,
    );
    let text = trap.to_string();
    assert!(
        text.contains("\n  0: _Z3fooi (func 0) at offset 0x"),
        "{text}"
    );
}

/// A trap with `n` made-up frames, innermost first.
fn trap_with_frames(n: usize) -> Trap {
    let mut t = Trap::new(TrapCode::StackOverflow);
    t.backtrace = (0..n)
        .map(|i| FrameInfo {
            func_index: i as u32,
            func_name: None,
            offset: 0x10 + i,
            module_name: None,
        })
        .collect();
    t
}

#[test]
fn short_backtraces_print_every_frame() {
    // 20 innermost and 10 outermost frames are kept; a backtrace of up to
    // 31 frames prints whole (leaving one out would save no line).
    for n in [1, 30, 31] {
        let text = trap_with_frames(n).to_string();
        assert_eq!(text.lines().count(), 2 + n, "{text}");
        assert!(!text.contains("omitted"), "{text}");
        assert!(
            text.ends_with(&format!(
                "\n  {}: func {} at offset {:#x}",
                n - 1,
                n - 1,
                0x10 + n - 1
            )),
            "{text}"
        );
    }
}

#[test]
fn long_backtraces_print_the_innermost_and_outermost_frames() {
    let text = trap_with_frames(32).to_string();
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 2 + 20 + 1 + 10, "{text}");
    assert_eq!(lines[2 + 19], "  19: func 19 at offset 0x23");
    assert_eq!(lines[2 + 20], "  ... 2 frames omitted ...");
    assert_eq!(lines[2 + 21], "  22: func 22 at offset 0x26");
    assert_eq!(lines[2 + 30], "  31: func 31 at offset 0x2f");
}

#[test]
fn a_stack_overflow_prints_a_capped_backtrace_and_keeps_every_frame() {
    let trap = trap_of(
        r#"(module $deep
            (func $recurse (param i32) (call $recurse (i32.add (local.get 0) (i32.const 1))))
            (func $run (export "run") (call $recurse (i32.const 0))))"#,
    );
    assert_eq!(trap.code, TrapCode::StackOverflow);
    let depth = trap.backtrace.len();
    assert!(depth > 1000, "{depth} frames");
    assert_eq!(trap.backtrace[depth - 1].func_name.as_deref(), Some("run"));
    assert!(trap.backtrace[..depth - 1]
        .iter()
        .all(|f| f.func_name.as_deref() == Some("recurse")));

    let text = trap.to_string();
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 2 + 20 + 1 + 10, "{text}");
    assert_eq!(lines[0], "wasm trap: call stack exhausted");
    assert_eq!(lines[1], "wasm backtrace:");
    for (line, i) in lines[2..22].iter().zip(0..) {
        assert!(
            line.starts_with(&format!("  {i}: deep!recurse (func 0) at offset 0x")),
            "{line}"
        );
    }
    assert_eq!(
        lines[22],
        format!("  ... {} frames omitted ...", depth - 30)
    );
    for (line, i) in lines[23..32].iter().zip(depth - 10..) {
        assert!(
            line.starts_with(&format!("  {i}: deep!recurse (func 0) at offset 0x")),
            "{line}"
        );
    }
    assert!(
        lines[32].starts_with(&format!("  {}: deep!run (func 1) at offset 0x", depth - 1)),
        "{}",
        lines[32]
    );
}

#[test]
#[cfg(feature = "demangle")]
fn a_cpp_guest_traps_with_demangled_names() {
    // tests/guests/cpp_trap.cpp, built by clang++ (tests/guests/build.sh).
    let engine = Engine::default();
    let m = Module::new(&engine, include_bytes!("../guests/cpp_trap.wasm")).unwrap();
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &m, &[]).unwrap();
    let run = i.get_typed_func::<i32, i32>(&mut store, "run").unwrap();
    assert_eq!(run.call(&mut store, 2).unwrap(), 80);
    let err = run.call(&mut store, 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "wasm trap: unreachable\n\
         wasm backtrace:\n  \
         0: int geometry::checked_div<int>(int, int) (func 1) at offset 0x63\n  \
         1: geometry::aspect(geometry::Rect const&) (func 0) at offset 0x54\n  \
         2: geometry::aspect(geometry::Rect const&, int) (func 2) at offset 0x70\n  \
         3: run (func 3) at offset 0xa4"
    );
    let trap = err.as_trap().unwrap();
    assert_eq!(
        trap.backtrace[0].func_name.as_deref(),
        Some("_ZN8geometry11checked_divIiEET_S1_S1_")
    );
}
