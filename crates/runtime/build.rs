//! Chooses the interpreter's dispatch: handlers that tail-call each other
//! when optimizing (LLVM turns the calls into jumps), a portable loop at
//! `opt-level = 0`, where calls stay calls and the native stack would grow
//! with every instruction. `NANOWASM_DISPATCH=loop` forces the loop (to test it); so does a
//! sanitizer.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(nanowasm_tail_dispatch)");
    println!("cargo::rerun-if-env-changed=NANOWASM_DISPATCH");
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
