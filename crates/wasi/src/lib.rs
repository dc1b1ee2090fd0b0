//! WASI preview1 (`wasi_snapshot_preview1`, and the older `wasi_unstable`) for
//! nanowasm.
//!
//! [`add_to_linker`] defines every preview1 function in a
//! [`nanowasm_runtime::Linker`]; each store carries its own [`WasiCtx`] (arguments,
//! environment, standard streams, descriptor table), so WASI state is as
//! isolated as the store. Capabilities are deny-by-default: a guest sees
//! only the directories and sockets preopened for it (see [`ctx`] for how
//! paths are confined). A capability can also be granted wrapped: coarse
//! or virtual clocks, a seeded random stream, prefixed and size-limited
//! standard output (see [`ctx`], "Wrapped capabilities").
//!
//! [`p2`] is WASI 0.2 for components (the component runtime's linker), on
//! the same [`WasiCtx`] and the same code.
//!
//! Every function is defined under both import modules, the current
//! `wasi_snapshot_preview1` and the older `wasi_unstable` ([`unstable`]).
//!
//! Errors are WASI `errno` values returned to the guest; only `proc_exit`
//! (an [`ErrorKind::Exit`](nanowasm_runtime::ErrorKind::Exit) carrying an
//! [`I32Exit`] for a status below 126; as in wasmtime, a larger
//! one is an error, "invalid exit status"), a module without an exported
//! `memory`, and a blocking call that reaches the context's deadline
//! ([`WasiCtx::set_deadline`], the interrupt trap) end the call. Nothing
//! a guest passes can panic the host: every pointer is checked ([`mem`]),
//! and no call allocates on the host in proportion to the sizes a guest
//! declares ([`mem::MAX_IO`]).
//!
//! ```
//! use nanowasm_runtime::{Engine, I32Exit, Linker, Module, Store};
//! use nanowasm_wasi::{DirPerms, FilePerms, Stdio, WasiCtx};
//!
//! let engine = Engine::default();
//! // A command: writes "hello\n" to standard output, then exits with 3.
//! let module = Module::new(
//!     &engine,
//!     r#"(module
//!          (import "wasi_snapshot_preview1" "fd_write"
//!            (func $fd_write (param i32 i32 i32 i32) (result i32)))
//!          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!          (memory (export "memory") 1)
//!          (data (i32.const 16) "hello\n")
//!          (func (export "_start")
//!            (i32.store (i32.const 0) (i32.const 16))  ;; iovec: base
//!            (i32.store (i32.const 4) (i32.const 6))   ;; iovec: length
//!            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
//!            (call $exit (i32.const 3))))"#,
//! )?;
//! let mut linker = Linker::new(&engine);
//! nanowasm_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx)?;
//! // Only what is granted: here the arguments, a captured standard output
//! // and a read-only view of the temporary directory.
//! let (stdout, output) = Stdio::buffer(Vec::new());
//! let cx = WasiCtx::builder()
//!     .arg("hello.wasm")
//!     .stdout(stdout)
//!     .preopened_dir(std::env::temp_dir(), "/tmp", DirPerms::READ, FilePerms::READ)
//!     .build()?;
//! let mut store = Store::new(&engine, cx);
//! let instance = linker.instantiate(&mut store, &module)?;
//! let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
//! let err = start.call(&mut store, ()).unwrap_err();
//! assert_eq!(err.downcast_ref::<I32Exit>(), Some(&I32Exit(3)));
//! assert_eq!(*output.lock().unwrap(), b"hello\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The functions mirror the WASI ABI, whose signatures are long.
#![allow(clippy::too_many_arguments)]

pub mod args;
pub mod clock;
pub mod ctx;
pub mod errno;
pub mod fd;
pub mod mem;
pub mod net;
pub mod p2;
pub mod path;
pub mod perms;
pub mod poll;
pub mod sock;
pub mod unstable;

pub use ctx::{FdBudget, Stdio, WasiCtx, WasiCtxBuilder};
pub use errno::{Errno, WasiError};
pub use nanowasm_runtime::I32Exit;
pub use perms::{DirPerms, FilePerms};

use nanowasm_runtime::{Caller, Error, Extern, Linker, Trap};

use crate::mem::GuestMemory;

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Every import module name [`add_to_linker`] defines functions under:
/// [`MODULE`] and the older snapshot's [`unstable::MODULE`].
pub const MODULES: [&str; 2] = [MODULE, unstable::MODULE];

/// Whether `name` is a WASI import module ([`MODULES`]).
pub fn is_wasi_module(name: &str) -> bool {
    MODULES.contains(&name)
}

/// Runs one WASI function body with the caller's memory and WASI state;
/// the result is the `errno` returned to the guest, or the trap that ends
/// it ([`WasiError::Trap`]: a blocking call reached the deadline).
fn call<T, G, E>(
    caller: &mut Caller<'_, T>,
    get: G,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> Result<(), E>,
) -> Result<i32, Error>
where
    G: Fn(&mut T) -> &mut WasiCtx,
    E: Into<WasiError>,
{
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(Error::host(
            "WASI functions need the calling module to export its memory as `memory`",
        ));
    };
    let (data, host) = memory.data_and_store_mut(caller)?;
    match f(get(host), &mut GuestMemory(data)).map_err(Into::into) {
        Ok(()) => Ok(0),
        Err(WasiError::Errno(e)) => Ok(e as i32),
        Err(WasiError::Trap(code)) => Err(Error::from(Trap::new(code))),
    }
}

/// Runs `f` out of line: the building of a log event stays out of the
/// code of the WASI call around it.
#[cold]
#[inline(never)]
fn cold(f: impl FnOnce()) {
    f()
}

/// The outcome of a WASI call as logged: `success`, `noent (44)`,
/// `trap: interrupted`, `error: ...`.
struct Outcome<'a>(&'a Result<i32, Error>);

impl std::fmt::Display for Outcome<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Ok(0) => f.write_str("success"),
            Ok(n) => match u16::try_from(*n).ok().and_then(Errno::from_raw) {
                Some(e) => write!(f, "{} ({n})", e.name()),
                None => write!(f, "{n}"),
            },
            Err(e) => match e.trap_code() {
                Some(code) => write!(f, "trap: {code}"),
                None => write!(f, "error: {e}"),
            },
        }
    }
}

/// How a WASI argument is logged: an `i32` (a pointer, a length, a
/// descriptor, flags) as unsigned, an `i64` as it is.
trait LogArg {
    /// The logged value.
    type Logged: tracing::Value;
    /// `self` as logged.
    fn logged(self) -> Self::Logged;
}

impl LogArg for i32 {
    type Logged = u32;
    #[inline]
    fn logged(self) -> u32 {
        self as u32
    }
}

impl LogArg for i64 {
    type Logged = i64;
    #[inline]
    fn logged(self) -> i64 {
        self
    }
}

/// Defines WASI function `$name` in `$linker` under `$module`. Each call is
/// logged at `trace` (target `nanowasm_wasi`) when it returns, one line:
/// its name, its outcome and its arguments (named as in the WASI
/// specification), e.g. `fd_write -> success fd=1 iovs=0 iovs_len=1
/// nwritten=8`. Nothing is formatted when that level is off. (A call
/// about to block logs that first: see [`poll`].)
macro_rules! wasi {
    ($linker:ident, $get:ident, $module:ident, $name:literal, |$ctx:pat_param, $mem:pat_param $(, $arg:ident : $ty:ty)*| $body:expr) => {
        $linker.func_wrap(
            $module,
            $name,
            move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> Result<i32, Error> {
                let result = call(&mut caller, $get, |$ctx: &mut WasiCtx, $mem: &mut GuestMemory<'_>| $body);
                // One level check per call, after it: checked before the
                // call, it made a `clock_time_get` 15% slower (a stall
                // the instruction count does not show). The event is
                // built out of line.
                if tracing::enabled!(tracing::Level::TRACE) {
                    cold(|| tracing::trace!($($arg = LogArg::logged($arg),)* "{} -> {}", $name, Outcome(&result)));
                }
                result
            },
        )?;
    };
}

/// Defines every WASI function in `linker`, under both import modules
/// ([`MODULES`]: `wasi_snapshot_preview1` and the older `wasi_unstable`,
/// see [`unstable`]); `get` finds the [`WasiCtx`] in the store's data.
pub fn add_to_linker<T: 'static, G>(linker: &mut Linker<T>, get: G) -> Result<(), Error>
where
    G: Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
{
    for module in MODULES {
        add_module(linker, get, module)?;
    }
    Ok(())
}

/// Defines the functions of WASI import module `module` (one of
/// [`MODULES`]).
fn add_module<T: 'static, G>(
    linker: &mut Linker<T>,
    get: G,
    module: &'static str,
) -> Result<(), Error>
where
    G: Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
{
    use std::primitive::{i32 as I, i64 as L};
    let snapshot0 = module == unstable::MODULE;
    wasi!(
        linker,
        get,
        module,
        "args_get",
        |c, m, argv: I, argv_buf: I| { args::args_get(c, m, argv as u32, argv_buf as u32) }
    );
    wasi!(
        linker,
        get,
        module,
        "args_sizes_get",
        |c, m, argc: I, argv_buf_size: I| {
            args::args_sizes_get(c, m, argc as u32, argv_buf_size as u32)
        }
    );
    wasi!(
        linker,
        get,
        module,
        "environ_get",
        |c, m, environ: I, environ_buf: I| {
            args::environ_get(c, m, environ as u32, environ_buf as u32)
        }
    );
    wasi!(
        linker,
        get,
        module,
        "environ_sizes_get",
        |c, m, environc: I, environ_buf_size: I| {
            args::environ_sizes_get(c, m, environc as u32, environ_buf_size as u32)
        }
    );
    wasi!(
        linker,
        get,
        module,
        "clock_res_get",
        |c, m, id: I, resolution: I| { clock::clock_res_get(c, m, id as u32, resolution as u32) }
    );
    wasi!(
        linker,
        get,
        module,
        "clock_time_get",
        |c, m, id: I, precision: L, time: I| {
            clock::clock_time_get(c, m, id as u32, time as u32)
        }
    );
    wasi!(
        linker,
        get,
        module,
        "random_get",
        |c, m, buf: I, buf_len: I| { clock::random_get(c, m, buf as u32, buf_len as u32) }
    );
    wasi!(linker, get, module, "sched_yield", |_, _| {
        std::thread::yield_now();
        Ok::<(), Errno>(())
    });
    wasi!(linker, get, module, "proc_raise", |_, _, sig: I| {
        Err(Errno::Nosys)
    });
    linker.func_wrap(module, "proc_exit", |rval: I| -> Result<(), Error> {
        tracing::trace!(rval, "proc_exit");
        // As in wasmtime: a status of 126 or more (taken as unsigned, so
        // negative ones too) is not an exit status a process can report
        // faithfully (truncated to 8 bits, 256 would read as success, and
        // 126..=255 are the shell's "cannot run" and signal statuses), so
        // it ends the call with an error instead of an exit.
        let status = rval as u32;
        if status < 126 {
            Err(Error::from(I32Exit(rval)))
        } else {
            Err(Error::host(format!(
                "exit with invalid exit status outside of [0..126): {status}"
            )))
        }
    })?;
    wasi!(
        linker,
        get,
        module,
        "fd_advise",
        |c, _, fd: I, offset: L, len: L, advice: I| fd::fd_advise(
            c,
            fd as u32,
            offset as u64,
            len as u64,
            advice as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "fd_allocate",
        |c, _, fd: I, offset: L, len: L| { fd::fd_allocate(c, fd as u32) }
    );
    wasi!(linker, get, module, "fd_close", |c, _, fd: I| fd::fd_close(
        c, fd as u32
    ));
    wasi!(linker, get, module, "fd_datasync", |c, _, fd: I| {
        fd::fd_datasync(c, fd as u32)
    });
    wasi!(linker, get, module, "fd_sync", |c, _, fd: I| fd::fd_sync(
        c, fd as u32
    ));
    wasi!(
        linker,
        get,
        module,
        "fd_fdstat_get",
        |c, m, fd: I, stat: I| {
            if snapshot0 {
                unstable::fd_fdstat_get(c, m, fd as u32, stat as u32)
            } else {
                fd::fd_fdstat_get(c, m, fd as u32, stat as u32)
            }
        }
    );
    wasi!(
        linker,
        get,
        module,
        "fd_fdstat_set_flags",
        |c, _, fd: I, flags: I| { fd::fd_fdstat_set_flags(c, fd as u32, flags as u16) }
    );
    wasi!(
        linker,
        get,
        module,
        "fd_fdstat_set_rights",
        |c, _, fd: I, fs_rights_base: L, fs_rights_inheriting: L| {
            let (base, inheriting) = (fs_rights_base as u64, fs_rights_inheriting as u64);
            if snapshot0 {
                unstable::rights(base, inheriting)?;
            }
            fd::fd_fdstat_set_rights(c, fd as u32, base, inheriting)
        }
    );
    wasi!(
        linker,
        get,
        module,
        "fd_filestat_get",
        |c, m, fd: I, buf: I| {
            if snapshot0 {
                unstable::fd_filestat_get(c, m, fd as u32, buf as u32)
            } else {
                fd::fd_filestat_get(c, m, fd as u32, buf as u32)
            }
        }
    );
    wasi!(
        linker,
        get,
        module,
        "fd_filestat_set_size",
        |c, _, fd: I, size: L| fd::fd_filestat_set_size(c, fd as u32, size as u64)
    );
    wasi!(
        linker,
        get,
        module,
        "fd_filestat_set_times",
        |c, _, fd: I, atim: L, mtim: L, fst_flags: I| fd::fd_filestat_set_times(
            c,
            fd as u32,
            atim as u64,
            mtim as u64,
            fst_flags as u16
        )
    );
    wasi!(
        linker,
        get,
        module,
        "fd_pread",
        |c, m, fd: I, iovs: I, iovs_len: I, offset: L, nread: I| fd::fd_pread(
            c,
            m,
            fd as u32,
            iovs as u32,
            iovs_len as u32,
            offset as u64,
            nread as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "fd_pwrite",
        |c, m, fd: I, iovs: I, iovs_len: I, offset: L, nwritten: I| fd::fd_pwrite(
            c,
            m,
            fd as u32,
            iovs as u32,
            iovs_len as u32,
            offset as u64,
            nwritten as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "fd_prestat_get",
        |c, m, fd: I, buf: I| { fd::fd_prestat_get(c, m, fd as u32, buf as u32) }
    );
    wasi!(
        linker,
        get,
        module,
        "fd_prestat_dir_name",
        |c, m, fd: I, path: I, path_len: I| fd::fd_prestat_dir_name(
            c,
            m,
            fd as u32,
            path as u32,
            path_len as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "fd_read",
        |c, m, fd: I, iovs: I, iovs_len: I, nread: I| fd::fd_read(
            c,
            m,
            fd as u32,
            iovs as u32,
            iovs_len as u32,
            nread as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "fd_write",
        |c, m, fd: I, iovs: I, iovs_len: I, nwritten: I| fd::fd_write(
            c,
            m,
            fd as u32,
            iovs as u32,
            iovs_len as u32,
            nwritten as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "fd_readdir",
        |c, m, fd: I, buf: I, buf_len: I, cookie: L, bufused: I| fd::fd_readdir(
            c,
            m,
            fd as u32,
            buf as u32,
            buf_len as u32,
            cookie as u64,
            bufused as u32
        )
    );
    wasi!(linker, get, module, "fd_renumber", |c, _, fd: I, to: I| {
        fd::fd_renumber(c, fd as u32, to as u32)
    });
    wasi!(
        linker,
        get,
        module,
        "fd_seek",
        |c, m, fd: I, offset: L, whence: I, newoffset: I| {
            let whence = if snapshot0 {
                unstable::whence(whence as u32)
            } else {
                whence as u32
            };
            fd::fd_seek(c, m, fd as u32, offset, whence, newoffset as u32)
        }
    );
    wasi!(linker, get, module, "fd_tell", |c, m, fd: I, offset: I| {
        fd::fd_tell(c, m, fd as u32, offset as u32)
    });
    wasi!(
        linker,
        get,
        module,
        "path_create_directory",
        |c, m, fd: I, path: I, path_len: I| path::path_create_directory(
            c,
            m,
            fd as u32,
            path as u32,
            path_len as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "path_remove_directory",
        |c, m, fd: I, path: I, path_len: I| path::path_remove_directory(
            c,
            m,
            fd as u32,
            path as u32,
            path_len as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "path_unlink_file",
        |c, m, fd: I, path: I, path_len: I| path::path_unlink_file(
            c,
            m,
            fd as u32,
            path as u32,
            path_len as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "path_filestat_get",
        |c, m, fd: I, flags: I, path: I, path_len: I, buf: I| {
            let (fd, fl, p, n, buf) = (
                fd as u32,
                flags as u32,
                path as u32,
                path_len as u32,
                buf as u32,
            );
            if snapshot0 {
                unstable::path_filestat_get(c, m, fd, fl, p, n, buf)
            } else {
                path::path_filestat_get(c, m, fd, fl, p, n, buf)
            }
        }
    );
    wasi!(
        linker,
        get,
        module,
        "path_filestat_set_times",
        |c, m, fd: I, flags: I, path: I, path_len: I, atim: L, mtim: L, fst_flags: I| {
            path::path_filestat_set_times(
                c,
                m,
                fd as u32,
                flags as u32,
                path as u32,
                path_len as u32,
                atim as u64,
                mtim as u64,
                fst_flags as u16,
            )
        }
    );
    wasi!(
        linker,
        get,
        module,
        "path_link",
        |c,
         m,
         old_fd: I,
         old_flags: I,
         old_path: I,
         old_path_len: I,
         new_fd: I,
         new_path: I,
         new_path_len: I| path::path_link(
            c,
            m,
            old_fd as u32,
            old_flags as u32,
            old_path as u32,
            old_path_len as u32,
            new_fd as u32,
            new_path as u32,
            new_path_len as u32
        )
    );
    wasi!(
        linker,
        get,
        module,
        "path_open",
        |c,
         m,
         fd: I,
         dirflags: I,
         path: I,
         path_len: I,
         oflags: I,
         fs_rights_base: L,
         fs_rights_inheriting: L,
         fdflags: I,
         opened_fd: I| {
            let (base, inheriting) = (fs_rights_base as u64, fs_rights_inheriting as u64);
            if snapshot0 {
                unstable::rights(base, inheriting)?;
            }
            path::path_open(
                c,
                m,
                fd as u32,
                dirflags as u32,
                path as u32,
                path_len as u32,
                oflags as u16,
                base,
                inheriting,
                fdflags as u16,
                opened_fd as u32,
            )
        }
    );
    wasi!(
        linker,
        get,
        module,
        "path_readlink",
        |c, m, fd: I, path: I, path_len: I, buf: I, buf_len: I, bufused: I| {
            path::path_readlink(
                c,
                m,
                fd as u32,
                path as u32,
                path_len as u32,
                buf as u32,
                buf_len as u32,
                bufused as u32,
            )
        }
    );
    wasi!(
        linker,
        get,
        module,
        "path_rename",
        |c, m, fd: I, old_path: I, old_path_len: I, new_fd: I, new_path: I, new_path_len: I| {
            path::path_rename(
                c,
                m,
                fd as u32,
                old_path as u32,
                old_path_len as u32,
                new_fd as u32,
                new_path as u32,
                new_path_len as u32,
            )
        }
    );
    wasi!(
        linker,
        get,
        module,
        "path_symlink",
        |c, m, old_path: I, old_path_len: I, fd: I, new_path: I, new_path_len: I| {
            path::path_symlink(
                c,
                m,
                old_path as u32,
                old_path_len as u32,
                fd as u32,
                new_path as u32,
                new_path_len as u32,
            )
        }
    );
    wasi!(
        linker,
        get,
        module,
        "poll_oneoff",
        |c, m, subscriptions: I, events: I, nsubscriptions: I, nevents: I| {
            let layout = if snapshot0 {
                poll::PREVIEW0
            } else {
                poll::PREVIEW1
            };
            poll::poll_with(
                c,
                m,
                subscriptions as u32,
                events as u32,
                nsubscriptions as u32,
                nevents as u32,
                layout,
            )
        }
    );
    if !snapshot0 {
        wasi!(
            linker,
            get,
            module,
            "sock_accept",
            |c, m, fd: I, flags: I, ro_fd: I| {
                sock::sock_accept(c, m, fd as u32, flags as u16, ro_fd as u32)
            }
        );
    }
    wasi!(
        linker,
        get,
        module,
        "sock_recv",
        |c, m, fd: I, ri_data: I, ri_data_len: I, ri_flags: I, ro_datalen: I, ro_flags: I| {
            sock::sock_recv(
                c,
                m,
                fd as u32,
                ri_data as u32,
                ri_data_len as u32,
                ri_flags as u16,
                ro_datalen as u32,
                ro_flags as u32,
            )
        }
    );
    wasi!(
        linker,
        get,
        module,
        "sock_send",
        |c, m, fd: I, si_data: I, si_data_len: I, si_flags: I, so_datalen: I| {
            sock::sock_send(
                c,
                m,
                fd as u32,
                si_data as u32,
                si_data_len as u32,
                so_datalen as u32,
            )
        }
    );
    wasi!(
        linker,
        get,
        module,
        "sock_shutdown",
        |c, _, fd: I, how: I| { sock::sock_shutdown(c, fd as u32, how as u32) }
    );
    Ok(())
}
