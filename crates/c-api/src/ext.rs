//! nanowasm.h: fuel, epochs, trap details, WASI and `nanowasm_wat2wasm`.

use std::ffi::{c_char, c_int, CStr};

use nanowasm::wasi::{self, DirPerms, FilePerms, Stdio, WasiCtx};
use nanowasm::{Error, Linker, TrapCode};

use crate::object::{instantiate, trap_info, trap_raw, wasm_extern_vec_t, Object};
use crate::store::{wasm_config_t, wasm_engine_t, wasm_store_t, StoreData};
use crate::vec::{name_from, wasm_byte_vec_t, CVec};
use crate::{borrow, borrow_mut, from_raw, guard, into_raw, write_out};

/// The exit status of a guest that called WASI `proc_exit`, if `e` is that.
pub(crate) fn exit_status(e: &Error) -> Option<i32> {
    e.exit_status()
}

/// Count fuel (see `nanowasm_store_set_fuel`): running out traps.
///
/// # Safety
///
/// `c` is null or a valid configuration.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_config_consume_fuel(c: *mut wasm_config_t, enable: bool) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { borrow_mut(c) } {
            c.config.consume_fuel(enable);
        }
    })
}

/// Check epochs (see `nanowasm_engine_increment_epoch`).
///
/// # Safety
///
/// `c` is null or a valid configuration.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_config_epoch_interruption(c: *mut wasm_config_t, enable: bool) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { borrow_mut(c) } {
            c.config.epoch_interruption(enable);
        }
    })
}

/// The most native stack, in bytes, a store may use for host-to-wasm
/// re-entries.
///
/// # Safety
///
/// `c` is null or a valid configuration.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_config_max_wasm_stack(c: *mut wasm_config_t, bytes: usize) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { borrow_mut(c) } {
            c.config.max_wasm_stack(bytes);
        }
    })
}

/// Advances the engine's epoch; may be called from any thread.
///
/// # Safety
///
/// `e` is null or a valid engine.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_engine_increment_epoch(e: *const wasm_engine_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(e) = unsafe { borrow(e) } {
            e.engine.increment_epoch();
        }
    })
}

/// Sets the store's fuel; false if the engine does not consume fuel.
///
/// # Safety
///
/// `s` is null or a valid store.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_store_set_fuel(s: *mut wasm_store_t, fuel: u64) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        unsafe { borrow(s) }.is_some_and(|s| s.cell.with(|s| s.set_fuel(fuel).is_ok()))
    })
}

/// The store's remaining fuel in `*fuel`; false if the engine does not
/// consume fuel.
///
/// # Safety
///
/// `s` is null or a valid store; `fuel` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_store_get_fuel(s: *const wasm_store_t, fuel: *mut u64) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(s) }.and_then(|s| s.cell.with(|s| s.get_fuel().ok())) {
            Some(f) => {
                // SAFETY: the caller's contract.
                unsafe { write_out(fuel, f) };
                true
            }
            None => false,
        }
    })
}

/// Interrupts the store's wasm once the engine's epoch is `ticks` past its
/// current value.
///
/// # Safety
///
/// `s` is null or a valid store.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_store_set_epoch_deadline(s: *mut wasm_store_t, ticks: u64) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(s) = unsafe { borrow(s) } {
            s.cell.with(|s| s.set_epoch_deadline(ticks));
        }
    })
}

/// If the trap is a guest's WASI `proc_exit`, its status in `*status`.
///
/// # Safety
///
/// `t` is null or a valid trap; `status` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_trap_exit_status(t: *const Object, status: *mut c_int) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }
            .and_then(trap_info)
            .and_then(|t| t.exit)
        {
            Some(s) => {
                // SAFETY: the caller's contract.
                unsafe { write_out(status, s) };
                true
            }
            None => false,
        }
    })
}

/// The code of a trap raised by wasm code (`NANOWASM_TRAP_*`), if it is
/// one.
fn trap_code_number(code: TrapCode) -> u8 {
    match code {
        TrapCode::Unreachable => 0,
        TrapCode::IntegerOverflow => 1,
        TrapCode::IntegerDivisionByZero => 2,
        TrapCode::BadConversionToInteger => 3,
        TrapCode::MemoryOutOfBounds => 4,
        TrapCode::TableOutOfBounds => 5,
        TrapCode::UndefinedElement => 6,
        TrapCode::UninitializedElement => 7,
        TrapCode::IndirectCallTypeMismatch => 8,
        TrapCode::StackOverflow => 9,
        TrapCode::OutOfFuel => 10,
        TrapCode::Interrupted => 11,
        _ => 255,
    }
}

/// If wasm code raised the trap, its `NANOWASM_TRAP_*` code in `*code`.
///
/// # Safety
///
/// `t` is null or a valid trap; `code` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_trap_code(t: *const Object, code: *mut u8) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        match unsafe { borrow(t) }
            .and_then(trap_info)
            .and_then(|t| t.code)
        {
            Some(c) => {
                // SAFETY: the caller's contract.
                unsafe { write_out(code, trap_code_number(c)) };
                true
            }
            None => false,
        }
    })
}

/// `nanowasm_wasi_config_t`: what a guest's WASI may see.
#[derive(Default)]
pub struct nanowasm_wasi_config_t {
    args: Vec<String>,
    env: Vec<(String, String)>,
    inherit: [bool; 3],
    preopens: Vec<(String, String, DirPerms, FilePerms)>,
    clocks: bool,
    random: bool,
}

/// A WASI configuration granting nothing: no arguments, no environment,
/// null standard streams, no directories, no clocks, no randomness.
#[no_mangle]
pub extern "C" fn nanowasm_wasi_config_new() -> *mut nanowasm_wasi_config_t {
    guard(std::ptr::null_mut(), || {
        into_raw(nanowasm_wasi_config_t::default())
    })
}

/// Deletes a WASI configuration.
///
/// # Safety
///
/// `c` is null or owned.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_wasi_config_delete(c: *mut nanowasm_wasi_config_t) {
    // SAFETY: the caller's contract.
    guard((), || drop(unsafe { from_raw(c) }))
}

/// The C strings at `p[0..n]`, lossily as UTF-8; `None` if one is null.
///
/// # Safety
///
/// `p` is null (with `n` 0) or points to `n` pointers, each null or a
/// NUL-terminated string.
unsafe fn strings(n: usize, p: *const *const c_char) -> Option<Vec<String>> {
    if n == 0 {
        return Some(Vec::new());
    }
    if p.is_null() {
        return None;
    }
    (0..n)
        .map(|i| {
            // SAFETY: the caller's contract: `p` holds `n` pointers.
            let s = unsafe { *p.add(i) };
            // SAFETY: the caller's contract: each is null or a C string.
            (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
        })
        .collect()
}

/// Sets the program arguments (the first is the program's name); false if
/// one is null.
///
/// # Safety
///
/// `c` is null or valid; `argv` holds `argc` C strings.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_wasi_config_set_argv(
    c: *mut nanowasm_wasi_config_t,
    argc: usize,
    argv: *const *const c_char,
) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        match (unsafe { borrow_mut(c) }, unsafe { strings(argc, argv) }) {
            (Some(c), Some(args)) => {
                c.args = args;
                true
            }
            _ => false,
        }
    })
}

/// Sets the environment to `names[i]=values[i]`; false if one is null.
///
/// # Safety
///
/// `c` is null or valid; `names` and `values` hold `n` C strings each.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_wasi_config_set_env(
    c: *mut nanowasm_wasi_config_t,
    n: usize,
    names: *const *const c_char,
    values: *const *const c_char,
) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        let (c, names, values) = unsafe { (borrow_mut(c), strings(n, names), strings(n, values)) };
        match (c, names, values) {
            (Some(c), Some(names), Some(values)) => {
                c.env = names.into_iter().zip(values).collect();
                true
            }
            _ => false,
        }
    })
}

/// Gives the guest this process's environment.
///
/// # Safety
///
/// `c` is null or valid.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_wasi_config_inherit_env(c: *mut nanowasm_wasi_config_t) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { borrow_mut(c) } {
            c.env = std::env::vars_os()
                .map(|(k, v)| {
                    (
                        k.to_string_lossy().into_owned(),
                        v.to_string_lossy().into_owned(),
                    )
                })
                .collect();
        }
    })
}

macro_rules! inherit {
    ($name:ident, $i:expr, $what:literal) => {
        #[doc = concat!("Gives the guest this process's ", $what, ".")]
        ///
        /// # Safety
        ///
        /// `c` is null or valid.
        #[no_mangle]
        pub unsafe extern "C" fn $name(c: *mut nanowasm_wasi_config_t) {
            guard((), || {
                // SAFETY: the caller's contract.
                if let Some(c) = unsafe { borrow_mut(c) } {
                    c.inherit[$i] = true;
                }
            })
        }
    };
}

inherit!(nanowasm_wasi_config_inherit_stdin, 0, "standard input");
inherit!(nanowasm_wasi_config_inherit_stdout, 1, "standard output");
inherit!(nanowasm_wasi_config_inherit_stderr, 2, "standard error");

/// Grants (or denies) the real clocks.
///
/// # Safety
///
/// `c` is null or valid.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_wasi_config_allow_clocks(
    c: *mut nanowasm_wasi_config_t,
    allow: bool,
) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { borrow_mut(c) } {
            c.clocks = allow;
        }
    })
}

/// Grants (or denies) `random_get`.
///
/// # Safety
///
/// `c` is null or valid.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_wasi_config_allow_random(
    c: *mut nanowasm_wasi_config_t,
    allow: bool,
) {
    guard((), || {
        // SAFETY: the caller's contract.
        if let Some(c) = unsafe { borrow_mut(c) } {
            c.random = allow;
        }
    })
}

/// Grants the host directory `host_path` to the guest as `guest_path`,
/// with what the guest may do beneath it (`dir_perms`: read 1, mutate 2)
/// and with the files it opens there (`file_perms`: read 1, write 2), as
/// wasmtime's `wasi_config_preopen_dir`. The directory is opened by
/// `nanowasm_store_set_wasi`, which fails if it cannot be. False if a path
/// is null or a permission has an unknown bit.
///
/// # Safety
///
/// `c` is null or valid; the paths are null or C strings.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_wasi_config_preopen_dir(
    c: *mut nanowasm_wasi_config_t,
    host_path: *const c_char,
    guest_path: *const c_char,
    dir_perms: u8,
    file_perms: u8,
) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        let paths = unsafe { strings(2, [host_path, guest_path].as_ptr()) };
        let perms = DirPerms::from_bits(dir_perms).zip(FilePerms::from_bits(file_perms));
        // SAFETY: the caller's contract.
        match (unsafe { borrow_mut(c) }, paths.as_deref(), perms) {
            (Some(c), Some([host, guest]), Some((dir, file))) => {
                c.preopens.push((host.clone(), guest.clone(), dir, file));
                true
            }
            _ => false,
        }
    })
}

fn build_wasi(c: &nanowasm_wasi_config_t) -> std::io::Result<WasiCtx> {
    let mut b = WasiCtx::builder();
    b.args(c.args.iter().cloned());
    for (k, v) in &c.env {
        b.env(k.clone(), v.clone());
    }
    if c.inherit[0] {
        b.stdin(Stdio::Inherit);
    }
    if c.inherit[1] {
        b.stdout(Stdio::Inherit);
    }
    if c.inherit[2] {
        b.stderr(Stdio::Inherit);
    }
    for (host, guest, dir, file) in &c.preopens {
        b.preopened_dir(host, guest.clone(), *dir, *file);
    }
    b.allow_clocks(c.clocks);
    b.allow_random(c.random);
    b.build()
}

/// Gives the store a WASI context built from `config` (taking ownership of
/// it). False if it cannot be built (a preopened directory that cannot be
/// opened, say), with the reason in `*error` (NUL-terminated) if `error`
/// is not null.
///
/// # Safety
///
/// `s` is null or a valid store; `config` is null or owned; `error` is
/// null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_store_set_wasi(
    s: *mut wasm_store_t,
    config: *mut nanowasm_wasi_config_t,
    error: *mut wasm_byte_vec_t,
) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract.
        let (s, config) = unsafe { (borrow(s), from_raw(config)) };
        let (Some(s), Some(config)) = (s, config) else {
            return false;
        };
        match build_wasi(&config) {
            Ok(ctx) => {
                s.cell.with(|store| store.data_mut().wasi = ctx);
                true
            }
            Err(e) => {
                // SAFETY: the caller's contract.
                unsafe { write_out(error, name_from(&e.to_string(), true)) };
                false
            }
        }
    })
}

/// Instantiates `module` with WASI: each import that `imports` (in import
/// order; may be NULL or shorter) gives as NULL is taken from WASI
/// preview1 (`wasi_snapshot_preview1` or `wasi_unstable`) using the
/// store's WASI context. Otherwise as `wasm_instance_new`.
///
/// # Safety
///
/// Each argument is null or valid.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_instance_new_with_wasi(
    store: *mut wasm_store_t,
    module: *const Object,
    imports: *const wasm_extern_vec_t,
    trap: *mut *mut Object,
) -> *mut Object {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's contract.
        let (store, module, imports) = unsafe { (borrow(store), borrow(module), borrow(imports)) };
        let (Some(store), Some(module)) = (store, module) else {
            return std::ptr::null_mut();
        };
        let mut linker: Linker<StoreData> = Linker::new(&store.engine());
        let linked = wasi::add_to_linker(&mut linker, |d: &mut StoreData| &mut d.wasi);
        let result = match linked {
            Ok(()) => {
                let resolve =
                    |s: &mut nanowasm::Store<StoreData>, m: &str, n: &str| linker.get(s, m, n);
                instantiate(
                    store,
                    module,
                    imports.map_or(&[][..], CVec::as_slice),
                    Some(&resolve),
                )
            }
            Err(e) => Err(store
                .cell
                .with(|s| crate::object::TrapInfo::from_error(e, s.data()))),
        };
        match result {
            Ok(i) => i,
            Err(info) => {
                // SAFETY: the caller's contract.
                unsafe { write_out(trap, trap_raw(Some(&store.cell), info)) };
                std::ptr::null_mut()
            }
        }
    })
}

/// Encodes the WebAssembly text `wat` (`len` bytes, UTF-8) as a binary
/// module in `*out`. False if the text is not a valid module, with the
/// error (NUL-terminated) in `*error` if `error` is not null.
///
/// # Safety
///
/// `wat` points to `len` bytes; `out` and `error` are null or valid for
/// writes.
#[no_mangle]
pub unsafe extern "C" fn nanowasm_wat2wasm(
    wat: *const c_char,
    len: usize,
    out: *mut wasm_byte_vec_t,
    error: *mut wasm_byte_vec_t,
) -> bool {
    guard(false, || {
        let bytes = if wat.is_null() || len == 0 {
            &[][..]
        } else {
            // SAFETY: the caller's contract.
            unsafe { std::slice::from_raw_parts(wat.cast::<u8>(), len) }
        };
        let result = std::str::from_utf8(bytes)
            .map_err(|e| format!("the text is not UTF-8: {e}"))
            .and_then(|text| nanowasm_text::parse_wat(text).map_err(|e| e.to_string()));
        match result {
            Ok(wasm) => {
                // SAFETY: the caller's contract.
                unsafe { write_out(out, CVec::from(wasm)) };
                true
            }
            Err(e) => {
                // SAFETY: the caller's contract.
                unsafe { write_out(error, name_from(&e, true)) };
                false
            }
        }
    })
}
