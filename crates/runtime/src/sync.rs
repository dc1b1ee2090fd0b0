//! The locks the engine shares between threads, with and without `std`.
//!
//! With `std`, they are the standard library's (blocking, fair under
//! contention). Without it there is no way to block a thread, so they are
//! `spin`'s spin locks. Each is taken only briefly and rarely: a type
//! registration when a module loads or a host function is made, one
//! translation per function.
//!
//! A poisoned `std` lock only means another thread panicked while holding
//! it. Every critical section here leaves its data consistent (one insert,
//! one initialization), so the guard is taken over either way.

#[cfg(feature = "std")]
pub(crate) use std::sync::OnceLock;

/// A value initialized once, by the first thread that asks for it.
#[cfg(not(feature = "std"))]
#[derive(Debug, Default)]
pub(crate) struct OnceLock<T>(spin::Once<T>);

#[cfg(not(feature = "std"))]
impl<T> OnceLock<T> {
    pub(crate) const fn new() -> OnceLock<T> {
        OnceLock(spin::Once::new())
    }

    pub(crate) fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
        self.0.call_once(f)
    }
}

/// A reader-writer lock that ignores poisoning.
#[derive(Debug, Default)]
pub(crate) struct RwLock<T> {
    #[cfg(feature = "std")]
    inner: std::sync::RwLock<T>,
    #[cfg(not(feature = "std"))]
    inner: spin::RwLock<T>,
}

impl<T> RwLock<T> {
    pub(crate) fn read(&self) -> impl core::ops::Deref<Target = T> + '_ {
        #[cfg(feature = "std")]
        return self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        #[cfg(not(feature = "std"))]
        return self.inner.read();
    }

    pub(crate) fn write(&self) -> impl core::ops::DerefMut<Target = T> + '_ {
        #[cfg(feature = "std")]
        return self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        #[cfg(not(feature = "std"))]
        return self.inner.write();
    }
}
