//! A guest that re-exports every WASI function it imports, as is, so a
//! test calls them with any raw arguments: for the rights and red-team
//! tests, which need exact errnos of single calls.

use nanowasm_runtime::{Engine, Instance, Linker, Module, Store, Val};
use nanowasm_wasi::WasiCtx;

/// The preview1 functions tested, with their parameter types.
pub const SIGS: &[(&str, &str)] = &[
    ("fd_advise", "i32 i64 i64 i32"),
    ("fd_allocate", "i32 i64 i64"),
    ("fd_close", "i32"),
    ("fd_datasync", "i32"),
    ("fd_fdstat_get", "i32 i32"),
    ("fd_fdstat_set_flags", "i32 i32"),
    ("fd_fdstat_set_rights", "i32 i64 i64"),
    ("fd_filestat_get", "i32 i32"),
    ("fd_filestat_set_size", "i32 i64"),
    ("fd_filestat_set_times", "i32 i64 i64 i32"),
    ("fd_pread", "i32 i32 i32 i64 i32"),
    ("fd_pwrite", "i32 i32 i32 i64 i32"),
    ("fd_read", "i32 i32 i32 i32"),
    ("fd_readdir", "i32 i32 i32 i64 i32"),
    ("fd_seek", "i32 i64 i32 i32"),
    ("fd_sync", "i32"),
    ("fd_tell", "i32 i32"),
    ("fd_write", "i32 i32 i32 i32"),
    ("path_create_directory", "i32 i32 i32"),
    ("path_filestat_get", "i32 i32 i32 i32 i32"),
    ("path_filestat_set_times", "i32 i32 i32 i32 i64 i64 i32"),
    ("path_link", "i32 i32 i32 i32 i32 i32 i32"),
    ("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32"),
    ("path_readlink", "i32 i32 i32 i32 i32 i32"),
    ("path_remove_directory", "i32 i32 i32"),
    ("path_rename", "i32 i32 i32 i32 i32 i32"),
    ("path_symlink", "i32 i32 i32 i32 i32"),
    ("path_unlink_file", "i32 i32 i32"),
    ("sock_accept", "i32 i32 i32"),
    ("sock_recv", "i32 i32 i32 i32 i32 i32"),
    ("sock_send", "i32 i32 i32 i32 i32"),
    ("sock_shutdown", "i32 i32"),
    ("poll_oneoff", "i32 i32 i32 i32"),
];

/// A module that re-exports every function of [`SIGS`] as is.
pub fn guest_wat() -> String {
    let mut s = String::from("(module\n");
    for (name, params) in SIGS {
        s += &format!(
            "(import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param {params}) (result i32)))\n"
        );
    }
    s += "(memory (export \"memory\") 1)\n";
    for (name, params) in SIGS {
        let n = params.split(' ').count();
        let args: String = (0..n).map(|i| format!(" (local.get {i})")).collect();
        s += &format!(
            "(func (export \"{name}\") (param {params}) (result i32) (call ${name}{args}))\n"
        );
    }
    s + ")"
}

// Guest memory: scratch results at 0..64, an iovec at 64 (-> 128, 4
// bytes), paths from 256 on, a buffer at 1024.
pub const OUT: i64 = 0;
pub const IOV: i64 = 64;
pub const BUF: i64 = 1024;

pub struct Raw {
    pub store: Store<WasiCtx>,
    pub inst: Instance,
    /// Removed (with everything in it) when the guest is dropped.
    pub dir: std::path::PathBuf,
    /// Where the next path string goes.
    pub next: usize,
}

impl Raw {
    /// A guest whose WASI context preopens `preopen` as `/d` (descriptor
    /// 3), then whatever `build` adds; `dir` is removed when it is dropped.
    pub fn new(
        dir: std::path::PathBuf,
        preopen: &std::path::Path,
        build: impl FnOnce(&mut nanowasm_wasi::WasiCtxBuilder),
    ) -> Raw {
        let mut b = WasiCtx::builder();
        b.preopened_dir(
            preopen,
            "/d",
            nanowasm_wasi::DirPerms::all(),
            nanowasm_wasi::FilePerms::all(),
        );
        build(&mut b);
        let engine = Engine::default();
        let module = Module::new(&engine, nanowasm_text::parse_wat(&guest_wat()).unwrap()).unwrap();
        let mut linker = Linker::new(&engine);
        nanowasm_wasi::add_to_linker(&mut linker, |cx: &mut WasiCtx| cx).unwrap();
        let mut store = Store::new(&engine, b.build().unwrap());
        let inst = linker.instantiate(&mut store, &module).unwrap();
        let mut g = Raw {
            store,
            inst,
            dir,
            next: 256,
        };
        g.poke(IOV as usize, &[128, 0, 0, 0, 4, 0, 0, 0]);
        g
    }

    pub fn poke(&mut self, at: usize, bytes: &[u8]) {
        let mem = self.inst.get_memory(&self.store, "memory").unwrap();
        mem.write(&mut self.store, at, bytes).unwrap();
    }

    pub fn u32_at(&self, at: usize) -> u32 {
        let mem = self.inst.get_memory(&self.store, "memory").unwrap();
        let mut b = [0u8; 4];
        mem.read(&self.store, at, &mut b).unwrap();
        u32::from_le_bytes(b)
    }

    pub fn u64_at(&self, at: usize) -> u64 {
        let mem = self.inst.get_memory(&self.store, "memory").unwrap();
        let mut b = [0u8; 8];
        mem.read(&self.store, at, &mut b).unwrap();
        u64::from_le_bytes(b)
    }

    /// A path in guest memory: its `(ptr, len)`.
    pub fn s(&mut self, text: &str) -> (i64, i64) {
        let at = self.next;
        self.poke(at, text.as_bytes());
        self.next += text.len() + 1;
        (at as i64, text.len() as i64)
    }

    /// Calls `name` with `args` (converted to its parameter types); the
    /// errno.
    pub fn call(&mut self, name: &str, args: &[i64]) -> i32 {
        let params = SIGS.iter().find(|(n, _)| *n == name).unwrap().1;
        let vals: Vec<Val> = params
            .split(' ')
            .zip(args)
            .map(|(t, &a)| {
                if t == "i64" {
                    Val::I64(a)
                } else {
                    Val::I32(a as i32)
                }
            })
            .collect();
        assert_eq!(vals.len(), args.len(), "{name}: argument count");
        let f = self.inst.get_func(&self.store, name).unwrap();
        let mut out = [Val::I32(0)];
        f.call(&mut self.store, &vals, &mut out).unwrap();
        match out[0] {
            Val::I32(e) => e,
            _ => unreachable!(),
        }
    }

    /// `path_open` beneath `dir`: the new descriptor or the errno.
    pub fn open(
        &mut self,
        dir: u32,
        path: &str,
        oflags: i64,
        base: u64,
        inheriting: u64,
    ) -> Result<u32, i32> {
        let (p, n) = self.s(path);
        match self.call(
            "path_open",
            &[
                dir as i64,
                0,
                p,
                n,
                oflags,
                base as i64,
                inheriting as i64,
                0,
                OUT,
            ],
        ) {
            0 => Ok(self.u32_at(0)),
            e => Err(e),
        }
    }

    pub fn set_rights(&mut self, fd: u32, base: u64, inheriting: u64) -> i32 {
        self.call(
            "fd_fdstat_set_rights",
            &[fd as i64, base as i64, inheriting as i64],
        )
    }

    /// The base and inheriting rights `fd_fdstat_get` reports.
    pub fn rights(&mut self, fd: u32) -> (u64, u64) {
        assert_eq!(self.call("fd_fdstat_get", &[fd as i64, OUT]), 0);
        (self.u64_at(8), self.u64_at(16))
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
