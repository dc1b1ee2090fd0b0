//! Bounds-checked access to the guest's linear memory.
//!
//! Every pointer and length a guest passes is untrusted: each access is
//! checked against the memory's size and fails with `EFAULT`, never a
//! panic. Multi-byte values are little-endian at any alignment.

use crate::errno::{Errno, WasiResult};

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

    /// The `(ptr, len)` pairs of an `iovec` / `ciovec` array: `count`
    /// entries of 8 bytes at `iovs`, each `buf: u32` at +0 and
    /// `buf_len: u32` at +4. Every buffer is checked to lie in memory.
    pub fn iovecs(&self, iovs: u32, count: u32) -> WasiResult<Vec<(u32, u32)>> {
        let bytes = self.slice(iovs, count.checked_mul(8).ok_or(Errno::Fault)?)?;
        let mut out = Vec::with_capacity(count as usize);
        for e in bytes.chunks_exact(8) {
            let ptr = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            let len = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
            self.slice(ptr, len)?;
            out.push((ptr, len));
        }
        Ok(out)
    }

    /// The bytes of a `ciovec` array, concatenated.
    pub fn gather(&self, iovs: u32, count: u32) -> WasiResult<Vec<u8>> {
        let mut out = Vec::new();
        for (ptr, len) in self.iovecs(iovs, count)? {
            out.extend_from_slice(self.slice(ptr, len)?);
        }
        Ok(out)
    }

    /// Copies `data` into an `iovec` array in order; returns the bytes
    /// copied.
    pub fn scatter(&mut self, iovs: &[(u32, u32)], mut data: &[u8]) -> WasiResult<usize> {
        let mut n = 0;
        for &(ptr, len) in iovs {
            if data.is_empty() {
                break;
            }
            let k = (len as usize).min(data.len());
            self.slice_mut(ptr, k as u32)?.copy_from_slice(&data[..k]);
            data = &data[k..];
            n += k;
        }
        Ok(n)
    }
}

/// The total length of an `iovec` array, capped so one call never asks the
/// host for an unbounded buffer.
pub fn iov_total(iovs: &[(u32, u32)]) -> usize {
    const MAX: usize = 64 << 20;
    iovs.iter()
        .map(|&(_, l)| l as usize)
        .sum::<usize>()
        .min(MAX)
}
