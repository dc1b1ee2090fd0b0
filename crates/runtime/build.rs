//! Chooses the interpreter's dispatch: handlers that tail-call each other
//! when optimizing (LLVM turns the calls into jumps), a portable loop at
//! `opt-level = 0`, where calls stay calls and the native stack would grow
//! with every instruction. `NANOWASM_DISPATCH=loop` forces the loop (to test it); so does a
//! sanitizer.
//!
//! Also chooses what the engine takes from the system: without the `std`
//! feature, only `alloc` and `core` (`nanowasm_portable`: linear memory in
//! a heap buffer, float rounding from `libm`). `NANOWASM_PORTABLE=1` makes
//! a `std` build do the same, so the host's test suites can run that
//! configuration.
//!
//! `nanowasm_compiler`: the x86-64 compiler is built (feature `compiler`
//! on an x86-64 Linux target).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(nanowasm_tail_dispatch)");
    println!("cargo::rerun-if-env-changed=NANOWASM_DISPATCH");
    println!("cargo::rustc-check-cfg=cfg(nanowasm_portable)");
    println!("cargo::rerun-if-env-changed=NANOWASM_PORTABLE");
    let std = std::env::var_os("CARGO_FEATURE_STD").is_some();
    if !std || std::env::var("NANOWASM_PORTABLE").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=nanowasm_portable");
    }
    println!("cargo::rustc-check-cfg=cfg(nanowasm_compiler)");
    let compiler = std::env::var_os("CARGO_FEATURE_COMPILER").is_some()
        && std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64")
        && std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    if compiler {
        println!("cargo::rustc-cfg=nanowasm_compiler");
    }
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    // Sanitizers instrument stack frames, which can keep LLVM from making
    // the tail calls (cargo fuzz builds with AddressSanitizer).
    let sanitized = std::env::var_os("CARGO_CFG_SANITIZE").is_some();
    let tail = match std::env::var("NANOWASM_DISPATCH").as_deref() {
        Ok("loop") => false,
        _ if sanitized => false,
        // Only where LLVM's tail-call elimination runs (it does not at
        // `opt-level = 1`).
        _ => matches!(opt.as_str(), "2" | "3" | "s" | "z"),
    };
    if tail {
        println!("cargo::rustc-cfg=nanowasm_tail_dispatch");
    }
}
