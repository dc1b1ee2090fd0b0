//! `wasi_unstable` (snapshot 0), the WASI that older toolchains emit.
//!
//! [`crate::add_to_linker`] defines every function under this module name
//! too. Most are the same as in `wasi_snapshot_preview1`; what differs,
//! as in wasmtime:
//!
//! - `fd_seek`'s `whence` is numbered `CUR = 0, END = 1, SET = 2` (not
//!   `SET, CUR, END`);
//! - a `filestat` is 56 bytes, with a `u32` link count: `dev: u64` at 0,
//!   `ino: u64` at 8, `filetype: u8` at 16, `nlink: u32` at 20, `size:
//!   u64` at 24, `atim` at 32, `mtim` at 40, `ctim` at 48;
//! - a `subscription` is 56 bytes: the clock has an `identifier: u64`
//!   first (not used; events carry the subscription's `userdata`), see
//!   [`crate::poll`];
//! - the rights have no `SOCK_ACCEPT` (bit 29): `fd_fdstat_get` does not
//!   report it, and `fd_fdstat_set_rights` or `path_open` asking for it
//!   (or for any unknown right) fail with `EINVAL`; there is no
//!   `sock_accept`.

use crate::ctx::{rights, WasiCtx};
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;

/// The import module name of WASI snapshot 0.
pub const MODULE: &str = "wasi_unstable";

/// Checks rights a snapshot-0 guest passes (`fd_fdstat_set_rights`,
/// `path_open`): `EINVAL` for a bit that is not a snapshot-0 right, as
/// wasmtime's flags parsing gives, before anything else is looked at.
pub(crate) fn rights(base: u64, inheriting: u64) -> WasiResult<()> {
    const KNOWN: u64 = rights::SOCK_ACCEPT - 1; // bits 0..=28
    if (base | inheriting) & !KNOWN != 0 {
        return Err(Errno::Inval);
    }
    Ok(())
}

/// The snapshot-1 `whence` for a snapshot-0 one (an unknown one stays
/// unknown, for `fd_seek` to refuse with `EINVAL`).
pub(crate) fn whence(w: u32) -> u32 {
    match w {
        0 => 1, // CUR
        1 => 2, // END
        2 => 0, // SET
        _ => u32::MAX,
    }
}

/// A snapshot-1 `filestat` (64 bytes, [`crate::fd::filestat_bytes`]) laid
/// out as snapshot 0's 56 bytes (a link count past `u32::MAX` reads as
/// `u32::MAX`).
fn filestat(p1: [u8; 64]) -> [u8; 56] {
    let mut b = [0u8; 56];
    b[0..17].copy_from_slice(&p1[0..17]); // dev, ino, filetype
    let nlink = u64::from_le_bytes(p1[24..32].try_into().unwrap_or_default());
    b[20..24].copy_from_slice(&u32::try_from(nlink).unwrap_or(u32::MAX).to_le_bytes());
    b[24..56].copy_from_slice(&p1[32..64]); // size, atim, mtim, ctim
    b
}

/// `fd_filestat_get(fd, buf: *filestat) -> errno` with snapshot 0's
/// `filestat`.
pub fn fd_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    let b = crate::fd::filestat(ctx, fd)?;
    mem.write(buf, &filestat(b))
}

/// `path_filestat_get(fd, flags, path, path_len, buf: *filestat) ->
/// errno` with snapshot 0's `filestat`.
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    len: u32,
    buf: u32,
) -> WasiResult<()> {
    let b = crate::path::filestat(ctx, mem, fd, flags, path, len)?;
    mem.write(buf, &filestat(b))
}

/// `fd_fdstat_get(fd, buf: *fdstat) -> errno`: the same `fdstat`, without
/// the `SOCK_ACCEPT` right snapshot 0 does not have.
pub fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> WasiResult<()> {
    let mut b = [0u8; 24];
    crate::fd::fd_fdstat_get(ctx, &mut GuestMemory(&mut b), fd, 0)?;
    for at in [8, 16] {
        let r = u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
        b[at..at + 8].copy_from_slice(&(r & !rights::SOCK_ACCEPT).to_le_bytes());
    }
    mem.write(buf, &b)
}
