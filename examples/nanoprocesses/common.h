// The nanowasm calling convention between nanoprocesses (see
// crates/host/src/abi.rs): `string`/`bytes` parameters arrive as (ptr, len)
// in memory the host allocated with our `cabi_realloc`; results of those
// types return as (len << 32) | ptr.
#include <stdint.h>
#include <stdlib.h>

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old, size_t align, size_t len) {
    (void)old;
    (void)align;
    return realloc(ptr, len ? len : 1);
}

static inline int64_t pack(const void *ptr, uint32_t len) {
    return ((int64_t)len << 32) | (uint32_t)(uintptr_t)ptr;
}
