//! The `no_std` check as a program: no `std`, no Rust runtime, only libc for
//! memory and output (`rt.rs`). It runs [`nanowasm_no_std_check::check`]
//! and [`nanowasm_no_std_check::run`] and prints the results; the exit
//! status is 0 if both passed.
//!
//! The `#[panic_handler]` in `rt.rs` is the build-time half of the check:
//! were `std` linked, it would define the same lang item and the build
//! would fail.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use core::ffi::{c_char, c_int};
use core::fmt::Write;

use rt::print;

mod rt;

/// The C entry point, called by the C runtime's start-up code.
#[no_mangle]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    let mut out = String::new();
    match nanowasm_no_std_check::check() {
        Ok((summary, bad_opcode)) => {
            let _ = writeln!(out, "no_std decode+validate ok: {summary}");
            let _ = writeln!(out, "rejected a corrupted copy: {bad_opcode}");
        }
        Err(e) => {
            let _ = writeln!(out, "no_std check failed: {e}");
            print(2, &out);
            return 1;
        }
    }
    match nanowasm_no_std_check::run() {
        Ok(ran) => {
            let _ = writeln!(out, "no_std engine ok: {ran}");
            print(1, &out);
            0
        }
        Err(e) => {
            print(1, &out);
            let mut msg = String::new();
            let _ = writeln!(msg, "no_std engine run failed: {e}");
            print(2, &msg);
            1
        }
    }
}
