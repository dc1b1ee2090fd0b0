//! Bounds-checked access to the guest's linear memory.
//!
//! Every pointer and length a guest passes is untrusted: each access is
//! checked against the memory's size and fails with `EFAULT`, never a
//! panic. Multi-byte values are little-endian at any alignment.

use std::io::IoSlice;

use crate::errno::{Errno, WasiResult};

/// The most bytes one vectored read or write moves: a longer one is short
/// (it reports fewer bytes than asked, as POSIX allows), so that no call
/// makes the host do work or hold memory in proportion to the sizes a
/// guest declares (an `iovec` array may repeat the whole memory thousands
/// of times).
pub const MAX_IO: usize = 16 << 20;

/// The longest path a WASI call takes, in bytes (Linux's `PATH_MAX`).
pub const PATH_MAX: usize = 4096;

/// The most buffers one vectored write hands the host (Linux's `IOV_MAX`).
pub const MAX_IOVS: usize = 1024;

/// A read into several buffers shorter than this goes through one host
/// buffer of at most this many bytes, which is then copied out; a longer
/// first buffer is read into directly (alone).
pub const CHUNK: usize = 64 << 10;

/// `(buf, buf_len)` of an 8-byte `iovec`.
fn iovec(e: &[u8]) -> (u32, u32) {
    (
        u32::from_le_bytes([e[0], e[1], e[2], e[3]]),
        u32::from_le_bytes([e[4], e[5], e[6], e[7]]),
    )
}

/// The guest memory during one WASI call.
pub struct GuestMemory<'a>(pub &'a mut [u8]);

impl GuestMemory<'_> {
    /// `len` bytes at `ptr`.
    pub fn slice(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
        self.0.get(start..end).ok_or(Errno::Fault)
    }

    /// `len` bytes at `ptr`, mutably.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
        self.0.get_mut(start..end).ok_or(Errno::Fault)
    }

    /// A UTF-8 string of `len` bytes at `ptr` (`EILSEQ` if not UTF-8).
    pub fn str(&self, ptr: u32, len: u32) -> WasiResult<&str> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    /// A path argument: a UTF-8 string of `len` bytes at `ptr`;
    /// `ENAMETOOLONG` past [`PATH_MAX`] bytes (checked first, so a guest
    /// cannot make the host copy or scan more), `EFAULT`, `EILSEQ`.
    pub fn path(&self, ptr: u32, len: u32) -> WasiResult<&str> {
        if len as usize > PATH_MAX {
            return Err(Errno::Nametoolong);
        }
        let path = self.str(ptr, len)?;
        tracing::trace!(path, "path argument");
        Ok(path)
    }

    /// Reads `N` bytes at `ptr`.
    pub fn array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.slice(ptr, N as u32)?);
        Ok(a)
    }

    /// Reads a `u8`.
    pub fn u8(&self, ptr: u32) -> WasiResult<u8> {
        Ok(self.array::<1>(ptr)?[0])
    }

    /// Reads a `u16`.
    pub fn u16(&self, ptr: u32) -> WasiResult<u16> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }

    /// Reads a `u32`.
    pub fn u32(&self, ptr: u32) -> WasiResult<u32> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }

    /// Reads a `u64`.
    pub fn u64(&self, ptr: u32) -> WasiResult<u64> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    /// Writes bytes at `ptr`.
    pub fn write(&mut self, ptr: u32, bytes: &[u8]) -> WasiResult<()> {
        self.slice_mut(ptr, u32::try_from(bytes.len()).map_err(|_| Errno::Fault)?)?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// Writes a `u8`.
    pub fn write_u8(&mut self, ptr: u32, v: u8) -> WasiResult<()> {
        self.write(ptr, &[v])
    }

    /// Writes a `u16`.
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> WasiResult<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Writes a `u32`.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> WasiResult<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// Writes a `u64`.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> WasiResult<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// The raw entries of an `iovec` / `ciovec` array, once the array and
    /// every buffer it names are checked to lie in memory (`EFAULT`
    /// otherwise). Allocates nothing.
    fn iovec_array(&self, iovs: u32, count: u32) -> WasiResult<&[u8]> {
        let bytes = self.slice(iovs, count.checked_mul(8).ok_or(Errno::Fault)?)?;
        for e in bytes.chunks_exact(8) {
            let (ptr, len) = iovec(e);
            self.slice(ptr, len)?;
        }
        Ok(bytes)
    }

    /// The buffers of a `ciovec` array, in guest memory, for one vectored
    /// write: `EFAULT` if any lies outside memory; empty buffers are left
    /// out, and so is everything past the first [`MAX_IOVS`] buffers and
    /// [`MAX_IO`] bytes (the last buffer cut short), so a write of them may
    /// be short. Nothing is copied; the list is at most [`MAX_IOVS`] long.
    pub fn ciovecs(&self, iovs: u32, count: u32) -> WasiResult<Vec<IoSlice<'_>>> {
        let bytes = self.iovec_array(iovs, count)?;
        let mut out = Vec::new();
        let mut left = MAX_IO;
        for e in bytes.chunks_exact(8) {
            if out.len() == MAX_IOVS || left == 0 {
                break;
            }
            let (ptr, len) = iovec(e);
            let buf = self.slice(ptr, len)?;
            let buf = &buf[..buf.len().min(left)];
            if !buf.is_empty() {
                left -= buf.len();
                out.push(IoSlice::new(buf));
            }
        }
        Ok(out)
    }

    /// Reads into an `iovec` array with one call of `read`, bounded:
    /// `EFAULT` if any buffer lies outside memory; otherwise, if the first
    /// non-empty buffer is the only one or at least [`CHUNK`] bytes long,
    /// `read` fills it directly (at most [`MAX_IO`] bytes of it); if not,
    /// `read` fills one host buffer of at most [`CHUNK`] bytes, which is
    /// then copied into the buffers in order. Returns the bytes read, which
    /// may be fewer than the buffers hold (a short read). Buffers may
    /// overlap: only one is ever borrowed mutably at a time.
    pub fn read_iovecs<E: From<Errno>>(
        &mut self,
        iovs: u32,
        count: u32,
        read: impl FnOnce(&mut [u8]) -> Result<usize, E>,
    ) -> Result<usize, E> {
        let mut first = None;
        let mut total = 0usize;
        for e in self.iovec_array(iovs, count)?.chunks_exact(8) {
            let (ptr, len) = iovec(e);
            if len == 0 {
                continue;
            }
            first.get_or_insert((ptr, len));
            total = total.saturating_add(len as usize);
            if total >= CHUNK {
                break;
            }
        }
        let Some((ptr, len)) = first else {
            return read(&mut []);
        };
        if len as usize >= CHUNK || total == len as usize {
            let len = (len as usize).min(MAX_IO) as u32;
            return read(self.slice_mut(ptr, len)?);
        }
        let mut buf = vec![0u8; total.min(CHUNK)];
        let n = read(&mut buf)?.min(buf.len());
        self.scatter_array(iovs, count, &buf[..n])?;
        Ok(n)
    }

    /// Copies `data` into the buffers of the (checked) `iovec` array at
    /// `iovs` in order.
    fn scatter_array(&mut self, iovs: u32, count: u32, mut data: &[u8]) -> WasiResult<()> {
        let mut at = iovs;
        for _ in 0..count {
            if data.is_empty() {
                break;
            }
            let (ptr, len) = iovec(&self.array::<8>(at)?);
            let k = (len as usize).min(data.len());
            self.slice_mut(ptr, k as u32)?.copy_from_slice(&data[..k]);
            data = &data[k..];
            at = at.checked_add(8).ok_or(Errno::Fault)?;
        }
        Ok(())
    }
}

/// Writes `bufs` in order with `write`, one piece of at most [`CHUNK`]
/// bytes at a time (for writers that take one buffer, such as the wrapped
/// standard streams), and stops at the first short write. Returns the
/// bytes written; an error once some were written ends the write with
/// that count instead (the guest sees the error on its next write).
pub(crate) fn write_pieces<E: crate::errno::Fatal>(
    bufs: &[IoSlice<'_>],
    mut write: impl FnMut(&[u8]) -> Result<usize, E>,
) -> Result<usize, E> {
    let mut done = 0;
    for buf in bufs {
        for piece in buf.chunks(CHUNK) {
            match write(piece) {
                Ok(n) => {
                    done += n;
                    if n < piece.len() {
                        return Ok(done);
                    }
                }
                // A trap ends the guest even after a partial write.
                Err(e) if done == 0 || e.is_fatal() => return Err(e),
                Err(_) => return Ok(done),
            }
        }
    }
    Ok(done)
}

/// Retries a host call that `EINTR` interrupted.
pub(crate) fn retry<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> WasiResult<T> {
    loop {
        match f() {
            Err(rustix::io::Errno::INTR) => continue,
            r => return Ok(r?),
        }
    }
}
