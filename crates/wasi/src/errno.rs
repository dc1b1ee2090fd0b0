//! WASI error numbers (`errno`) and the mapping from host errors.

use std::io;

/// A WASI `errno` value (`wasi_snapshot_preview1`), the result of every
/// function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
#[allow(missing_docs)]
pub enum Errno {
    Success = 0,
    TooBig = 1,
    Acces = 2,
    Again = 6,
    Badf = 8,
    Busy = 10,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Ilseq = 25,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Nametoolong = 37,
    Nfile = 41,
    Nodev = 43,
    Noent = 44,
    Nomem = 48,
    Nospc = 51,
    Nosys = 52,
    Notconn = 53,
    Notdir = 54,
    Notempty = 55,
    Notsock = 57,
    Notsup = 58,
    Notty = 59,
    Nxio = 60,
    Overflow = 61,
    Perm = 63,
    Pipe = 64,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Timedout = 73,
    Txtbsy = 74,
    Xdev = 75,
    Notcapable = 76,
    Connreset = 15,
    Connrefused = 14,
    Connaborted = 13,
    Addrinuse = 3,
    Addrnotavail = 4,
    Inprogress = 26,
}

impl Errno {
    /// The value with number `n`, if WASI defines one this crate returns.
    pub const fn from_raw(n: u16) -> Option<Errno> {
        Some(match n {
            0 => Errno::Success,
            1 => Errno::TooBig,
            2 => Errno::Acces,
            3 => Errno::Addrinuse,
            4 => Errno::Addrnotavail,
            6 => Errno::Again,
            8 => Errno::Badf,
            10 => Errno::Busy,
            13 => Errno::Connaborted,
            14 => Errno::Connrefused,
            15 => Errno::Connreset,
            20 => Errno::Exist,
            21 => Errno::Fault,
            22 => Errno::Fbig,
            25 => Errno::Ilseq,
            26 => Errno::Inprogress,
            27 => Errno::Intr,
            28 => Errno::Inval,
            29 => Errno::Io,
            31 => Errno::Isdir,
            32 => Errno::Loop,
            33 => Errno::Mfile,
            34 => Errno::Mlink,
            37 => Errno::Nametoolong,
            41 => Errno::Nfile,
            43 => Errno::Nodev,
            44 => Errno::Noent,
            48 => Errno::Nomem,
            51 => Errno::Nospc,
            52 => Errno::Nosys,
            53 => Errno::Notconn,
            54 => Errno::Notdir,
            55 => Errno::Notempty,
            57 => Errno::Notsock,
            58 => Errno::Notsup,
            59 => Errno::Notty,
            60 => Errno::Nxio,
            61 => Errno::Overflow,
            63 => Errno::Perm,
            64 => Errno::Pipe,
            68 => Errno::Range,
            69 => Errno::Rofs,
            70 => Errno::Spipe,
            73 => Errno::Timedout,
            74 => Errno::Txtbsy,
            75 => Errno::Xdev,
            76 => Errno::Notcapable,
            _ => return None,
        })
    }

    /// The value's name in the WASI specification's `errno` enum
    /// (`noent`, `badf`, `2big`...).
    pub const fn name(self) -> &'static str {
        match self {
            Errno::Success => "success",
            Errno::TooBig => "2big",
            Errno::Acces => "acces",
            Errno::Again => "again",
            Errno::Badf => "badf",
            Errno::Busy => "busy",
            Errno::Exist => "exist",
            Errno::Fault => "fault",
            Errno::Fbig => "fbig",
            Errno::Ilseq => "ilseq",
            Errno::Intr => "intr",
            Errno::Inval => "inval",
            Errno::Io => "io",
            Errno::Isdir => "isdir",
            Errno::Loop => "loop",
            Errno::Mfile => "mfile",
            Errno::Mlink => "mlink",
            Errno::Nametoolong => "nametoolong",
            Errno::Nfile => "nfile",
            Errno::Nodev => "nodev",
            Errno::Noent => "noent",
            Errno::Nomem => "nomem",
            Errno::Nospc => "nospc",
            Errno::Nosys => "nosys",
            Errno::Notconn => "notconn",
            Errno::Notdir => "notdir",
            Errno::Notempty => "notempty",
            Errno::Notsock => "notsock",
            Errno::Notsup => "notsup",
            Errno::Notty => "notty",
            Errno::Nxio => "nxio",
            Errno::Overflow => "overflow",
            Errno::Perm => "perm",
            Errno::Pipe => "pipe",
            Errno::Range => "range",
            Errno::Rofs => "rofs",
            Errno::Spipe => "spipe",
            Errno::Timedout => "timedout",
            Errno::Txtbsy => "txtbsy",
            Errno::Xdev => "xdev",
            Errno::Notcapable => "notcapable",
            Errno::Connreset => "connreset",
            Errno::Connrefused => "connrefused",
            Errno::Connaborted => "connaborted",
            Errno::Addrinuse => "addrinuse",
            Errno::Addrnotavail => "addrnotavail",
            Errno::Inprogress => "inprogress",
        }
    }
}

/// The result of a WASI function body.
pub type WasiResult<T> = Result<T, Errno>;

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        use rustix::io::Errno as E;
        match e {
            E::TOOBIG => Errno::TooBig,
            E::ACCESS => Errno::Acces,
            E::AGAIN => Errno::Again,
            E::BADF => Errno::Badf,
            E::BUSY => Errno::Busy,
            E::EXIST => Errno::Exist,
            E::FAULT => Errno::Fault,
            E::FBIG => Errno::Fbig,
            E::ILSEQ => Errno::Ilseq,
            E::INTR => Errno::Intr,
            E::INVAL => Errno::Inval,
            E::IO => Errno::Io,
            E::ISDIR => Errno::Isdir,
            E::LOOP => Errno::Loop,
            E::MFILE => Errno::Mfile,
            E::MLINK => Errno::Mlink,
            E::NAMETOOLONG => Errno::Nametoolong,
            E::NFILE => Errno::Nfile,
            E::NODEV => Errno::Nodev,
            E::NOENT => Errno::Noent,
            E::NOMEM => Errno::Nomem,
            E::NOSPC => Errno::Nospc,
            E::NOSYS => Errno::Nosys,
            E::NOTCONN => Errno::Notconn,
            E::NOTDIR => Errno::Notdir,
            E::NOTEMPTY => Errno::Notempty,
            E::NOTSOCK => Errno::Notsock,
            E::NOTSUP => Errno::Notsup,
            E::NOTTY => Errno::Notty,
            E::NXIO => Errno::Nxio,
            E::OVERFLOW => Errno::Overflow,
            E::PERM => Errno::Perm,
            E::PIPE => Errno::Pipe,
            E::RANGE => Errno::Range,
            E::ROFS => Errno::Rofs,
            E::SPIPE => Errno::Spipe,
            E::TIMEDOUT => Errno::Timedout,
            E::TXTBSY => Errno::Txtbsy,
            // `openat2` with `RESOLVE_BENEATH` reports an escape from the
            // preopened directory as EXDEV; to the guest that is a denied
            // permission, as in wasmtime.
            E::XDEV => Errno::Perm,
            E::CONNRESET => Errno::Connreset,
            E::CONNREFUSED => Errno::Connrefused,
            E::CONNABORTED => Errno::Connaborted,
            E::ADDRINUSE => Errno::Addrinuse,
            E::ADDRNOTAVAIL => Errno::Addrnotavail,
            E::INPROGRESS => Errno::Inprogress,
            _ => Errno::Io,
        }
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        match e.raw_os_error() {
            Some(n) => rustix::io::Errno::from_raw_os_error(n).into(),
            None => match e.kind() {
                io::ErrorKind::NotFound => Errno::Noent,
                io::ErrorKind::PermissionDenied => Errno::Acces,
                io::ErrorKind::WouldBlock => Errno::Again,
                io::ErrorKind::InvalidInput => Errno::Inval,
                io::ErrorKind::BrokenPipe => Errno::Pipe,
                _ => Errno::Io,
            },
        }
    }
}

/// How a WASI function that can block fails: with an `errno` returned to
/// the guest, or with a trap that ends the guest (the store's deadline,
/// [`crate::WasiCtx::set_deadline`], passed while the call waited).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasiError {
    /// An error number for the guest.
    Errno(Errno),
    /// A trap: the call does not return to the guest.
    Trap(nanowasm_runtime::TrapCode),
}

/// The result of a WASI function body that can block.
pub type BlockingResult<T> = Result<T, WasiError>;

impl From<Errno> for WasiError {
    fn from(e: Errno) -> WasiError {
        WasiError::Errno(e)
    }
}

impl From<rustix::io::Errno> for WasiError {
    fn from(e: rustix::io::Errno) -> WasiError {
        WasiError::Errno(e.into())
    }
}

impl From<io::Error> for WasiError {
    fn from(e: io::Error) -> WasiError {
        WasiError::Errno(e.into())
    }
}

/// Whether an error ends the guest rather than just the call: a loop that
/// made partial progress reports such an error instead of the progress.
pub(crate) trait Fatal {
    /// Whether `self` is a trap.
    fn is_fatal(&self) -> bool;
}

impl Fatal for Errno {
    fn is_fatal(&self) -> bool {
        false
    }
}

impl Fatal for WasiError {
    fn is_fatal(&self) -> bool {
        matches!(self, WasiError::Trap(_))
    }
}
