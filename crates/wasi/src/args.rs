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

/// The strings of a list, each as its parts (`NAME`, `=`, `VALUE` for the
/// environment), so that nothing is joined on the host per call.
fn sizes<'a, I, P>(list: I, mem: &mut GuestMemory<'_>, count: u32, size: u32) -> WasiResult<()>
where
    I: Iterator<Item = P>,
    P: IntoIterator<Item = &'a [u8]>,
{
    let (mut n, mut total) = (0usize, 0usize);
    for parts in list {
        n += 1;
        total += parts.into_iter().map(<[u8]>::len).sum::<usize>() + 1;
    }
    mem.write_u32(count, u32::try_from(n).map_err(|_| Errno::Overflow)?)?;
    mem.write_u32(size, u32::try_from(total).map_err(|_| Errno::Overflow)?)
}

fn get<'a, I, P>(list: I, mem: &mut GuestMemory<'_>, ptrs: u32, buf: u32) -> WasiResult<()>
where
    I: Iterator<Item = P>,
    P: IntoIterator<Item = &'a [u8]>,
{
    let mut at = buf;
    for (i, parts) in list.enumerate() {
        mem.write_u32(ptrs.wrapping_add(4 * i as u32), at)?;
        for part in parts {
            mem.write(at, part)?;
            at = at.wrapping_add(part.len() as u32);
        }
        mem.write_u8(at, 0)?;
        at = at.wrapping_add(1);
    }
    Ok(())
}

fn args(ctx: &WasiCtx) -> impl Iterator<Item = [&[u8]; 1]> {
    ctx.args.iter().map(|a| [a.as_bytes()])
}

fn environ(ctx: &WasiCtx) -> impl Iterator<Item = [&[u8]; 3]> {
    ctx.env
        .iter()
        .map(|(k, v)| [k.as_bytes(), b"=".as_slice(), v.as_bytes()])
}

/// `args_sizes_get(argc: *size, argv_buf_size: *size) -> errno`.
pub fn args_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    count: u32,
    size: u32,
) -> WasiResult<()> {
    sizes(args(ctx), mem, count, size)
}

/// `args_get(argv: **u8, argv_buf: *u8) -> errno`.
pub fn args_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    ptrs: u32,
    buf: u32,
) -> WasiResult<()> {
    get(args(ctx), mem, ptrs, buf)
}

/// `environ_sizes_get(count: *size, buf_size: *size) -> errno`.
pub fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    count: u32,
    size: u32,
) -> WasiResult<()> {
    sizes(environ(ctx), mem, count, size)
}

/// `environ_get(environ: **u8, environ_buf: *u8) -> errno`.
pub fn environ_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    ptrs: u32,
    buf: u32,
) -> WasiResult<()> {
    get(environ(ctx), mem, ptrs, buf)
}
