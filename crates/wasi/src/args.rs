//! `args_*` and `environ_*`: the program's arguments and environment.
//!
//! Both are lists of NUL-terminated strings: `*_sizes_get(count: *size,
//! buf_size: *size)` reports how many and their total size with the NULs;
//! `*_get(ptrs: **u8, buf: *u8)` writes the strings back to back into
//! `buf` and a pointer to each into the array `ptrs` (4 bytes each).
//! Environment strings are `NAME=VALUE`.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::mem::GuestMemory;

fn sizes(list: &[String], mem: &mut GuestMemory<'_>, count: u32, size: u32) -> WasiResult<()> {
    let total: usize = list.iter().map(|s| s.len() + 1).sum();
    mem.write_u32(count, list.len() as u32)?;
    mem.write_u32(size, u32::try_from(total).map_err(|_| Errno::Overflow)?)
}

fn get(list: &[String], mem: &mut GuestMemory<'_>, ptrs: u32, buf: u32) -> WasiResult<()> {
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        mem.write_u32(ptrs.wrapping_add(4 * i as u32), at)?;
        mem.write(at, s.as_bytes())?;
        mem.write_u8(at.wrapping_add(s.len() as u32), 0)?;
        at = at.wrapping_add(s.len() as u32 + 1);
    }
    Ok(())
}

fn environ(ctx: &WasiCtx) -> Vec<String> {
    ctx.env.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// `args_sizes_get(argc: *size, argv_buf_size: *size) -> errno`.
pub fn args_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    count: u32,
    size: u32,
) -> WasiResult<()> {
    sizes(&ctx.args, mem, count, size)
}

/// `args_get(argv: **u8, argv_buf: *u8) -> errno`.
pub fn args_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    ptrs: u32,
    buf: u32,
) -> WasiResult<()> {
    get(&ctx.args, mem, ptrs, buf)
}

/// `environ_sizes_get(count: *size, buf_size: *size) -> errno`.
pub fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    count: u32,
    size: u32,
) -> WasiResult<()> {
    sizes(&environ(ctx), mem, count, size)
}

/// `environ_get(environ: **u8, environ_buf: *u8) -> errno`.
pub fn environ_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    ptrs: u32,
    buf: u32,
) -> WasiResult<()> {
    get(&environ(ctx), mem, ptrs, buf)
}
