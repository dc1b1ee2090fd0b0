// nanowasm.h: nanowasm's additions to the standard WebAssembly C API.
//
// Include it instead of (or after) wasm.h; link with libnanowasm_c (see
// crates/c-api/README.md).
//
// # How nanowasm implements wasm.h
//
// Every function wasm.h declares is implemented. Where nanowasm's engine
// differs, the function returns wasm.h's failure value, as follows:
//
// - wasm_module_serialize gives the module's binary, and
//   wasm_module_deserialize accepts a binary (nanowasm is an interpreter
//   that translates functions lazily: there is no compiled form to keep).
// - wasm_frame_instance returns NULL: backtraces name functions by index.
// - wasm_frame_func_offset is computed when the store instantiated the
//   frame's module (by name); otherwise it is SIZE_MAX.
// - Traps raised by host functions (a callback returning a wasm_trap_t)
//   reach the caller with their message but without wasm frames.
// - References: a funcref is a wasm_func_t; an externref is a
//   wasm_foreign_t (wasm_foreign_new) or NULL. Other objects (globals,
//   tables, ...) cannot be passed as references: calls and table writes
//   that try fail (a trap, false or NULL).
// - v128: a value type of kind NANOWASM_V128 describes it, but wasm_val_t
//   cannot hold one: calling a function with v128 parameters or results
//   through wasm_func_call returns a trap.
// - Tag types (wasm_tagtype_t) can be built and inspected; nanowasm has no
//   exception handling, so no module imports or exports a tag.
// - wasm_func_call with a results vector too small for the function's
//   results runs the function, then returns a trap saying so (upstream's
//   examples call trapping functions with no room for results, so the
//   check cannot come first).
// - wasm_global_set does nothing for an immutable global or a value of the
//   wrong type (wasm.h has no way to report it).
// - Host info belongs to a handle: a copy (wasm_X_copy, or a new handle
//   from wasm_instance_exports) starts without it, and the finalizer runs
//   when that handle is deleted. A wasm_func_new_with_env finalizer runs
//   when the store goes.
// - Objects keep their store alive, so deleting a store before its objects
//   is safe. A store and its objects must be used from one thread at a
//   time; engines and shared modules (wasm_module_share) may be shared.
// - No function aborts or unwinds into C: a Rust panic inside one becomes
//   its failure value.
//
// Copyright the nanowasm authors. Licensed under Apache-2.0 WITH
// LLVM-exception.

#ifndef NANOWASM_H
#define NANOWASM_H

#include "wasm.h"

// Ownership marker, as in wasm.h (which undefines it at its end).
#define own

#ifdef __cplusplus
extern "C" {
#endif

// Value kind of v128 (see above): not in wasm.h.
#define NANOWASM_V128 4

///////////////////////////////////////////////////////////////////////////////
// Fuel and epochs

// Count executed instructions against each store's fuel; a store without
// fuel traps (NANOWASM_TRAP_OUT_OF_FUEL). Set before wasm_engine_new_with_config.
WASM_API_EXTERN void nanowasm_config_consume_fuel(wasm_config_t*, bool enable);

// Check the engine's epoch at function entries and loop headers (see
// nanowasm_engine_increment_epoch).
WASM_API_EXTERN void nanowasm_config_epoch_interruption(wasm_config_t*, bool enable);

// The most native stack a store may use when host functions call back into
// wasm (default 512 KiB).
WASM_API_EXTERN void nanowasm_config_max_wasm_stack(wasm_config_t*, size_t bytes);

// Sets / reads a store's fuel. Both return false if the engine does not
// consume fuel.
WASM_API_EXTERN bool nanowasm_store_set_fuel(wasm_store_t*, uint64_t fuel);
WASM_API_EXTERN bool nanowasm_store_get_fuel(const wasm_store_t*, uint64_t* fuel);

// Advances the engine's epoch. Thread-safe: call it from a timer thread to
// interrupt guests (NANOWASM_TRAP_INTERRUPTED).
WASM_API_EXTERN void nanowasm_engine_increment_epoch(const wasm_engine_t*);

// Interrupt the store's wasm once the epoch is `ticks` past its current
// value (requires epoch interruption).
WASM_API_EXTERN void nanowasm_store_set_epoch_deadline(wasm_store_t*, uint64_t ticks);

///////////////////////////////////////////////////////////////////////////////
// Traps

enum nanowasm_trap_code_enum {
  NANOWASM_TRAP_UNREACHABLE,
  NANOWASM_TRAP_INTEGER_OVERFLOW,
  NANOWASM_TRAP_INTEGER_DIVISION_BY_ZERO,
  NANOWASM_TRAP_BAD_CONVERSION_TO_INTEGER,
  NANOWASM_TRAP_MEMORY_OUT_OF_BOUNDS,
  NANOWASM_TRAP_TABLE_OUT_OF_BOUNDS,
  NANOWASM_TRAP_UNDEFINED_ELEMENT,
  NANOWASM_TRAP_UNINITIALIZED_ELEMENT,
  NANOWASM_TRAP_INDIRECT_CALL_TYPE_MISMATCH,
  NANOWASM_TRAP_STACK_OVERFLOW,
  NANOWASM_TRAP_OUT_OF_FUEL,
  NANOWASM_TRAP_INTERRUPTED,
  NANOWASM_TRAP_OTHER = 255,
};

// If wasm code raised the trap, its NANOWASM_TRAP_* code in *code.
WASM_API_EXTERN bool nanowasm_trap_code(const wasm_trap_t*, uint8_t* code);

// If the trap is a guest's WASI proc_exit, its exit status in *status.
WASM_API_EXTERN bool nanowasm_trap_exit_status(const wasm_trap_t*, int* status);

///////////////////////////////////////////////////////////////////////////////
// WASI preview1

// What a guest's WASI may see. A new configuration grants nothing: no
// arguments, no environment, null standard streams, no directories, no
// clocks, no randomness.
typedef struct nanowasm_wasi_config_t nanowasm_wasi_config_t;

WASM_API_EXTERN own nanowasm_wasi_config_t* nanowasm_wasi_config_new(void);
WASM_API_EXTERN void nanowasm_wasi_config_delete(own nanowasm_wasi_config_t*);

// Program arguments (argv[0] is the program's name) and environment.
// False if a string is NULL.
WASM_API_EXTERN bool nanowasm_wasi_config_set_argv(
  nanowasm_wasi_config_t*, size_t argc, const char* const argv[]);
WASM_API_EXTERN bool nanowasm_wasi_config_set_env(
  nanowasm_wasi_config_t*, size_t n, const char* const names[],
  const char* const values[]);
WASM_API_EXTERN void nanowasm_wasi_config_inherit_env(nanowasm_wasi_config_t*);

// This process's standard streams.
WASM_API_EXTERN void nanowasm_wasi_config_inherit_stdin(nanowasm_wasi_config_t*);
WASM_API_EXTERN void nanowasm_wasi_config_inherit_stdout(nanowasm_wasi_config_t*);
WASM_API_EXTERN void nanowasm_wasi_config_inherit_stderr(nanowasm_wasi_config_t*);

// The real clocks, and random_get.
WASM_API_EXTERN void nanowasm_wasi_config_allow_clocks(nanowasm_wasi_config_t*, bool);
WASM_API_EXTERN void nanowasm_wasi_config_allow_random(nanowasm_wasi_config_t*, bool);

// What the guest may do beneath a preopened directory (wasmtime's
// wasi_dir_perms) and with the files it opens there (wasi_file_perms).
#define NANOWASM_WASI_DIR_PERMS_READ 1    // look up, open, list, stat
#define NANOWASM_WASI_DIR_PERMS_MUTATE 2  // create, remove, rename, link
#define NANOWASM_WASI_FILE_PERMS_READ 1   // read contents
#define NANOWASM_WASI_FILE_PERMS_WRITE 2  // write, resize, set times

// Grants host directory `host_path` as `guest_path` (e.g. "." or "/data")
// with these permissions (read-only: both READ). The guest cannot leave the
// directory (no `..` or symbolic link escapes). False if a path is NULL or
// a permission has an unknown bit.
WASM_API_EXTERN bool nanowasm_wasi_config_preopen_dir(
  nanowasm_wasi_config_t*, const char* host_path, const char* guest_path,
  uint8_t dir_perms, uint8_t file_perms);

// Gives the store a WASI context built from `config` (taking ownership).
// False if it cannot be built (a directory that cannot be opened), with the
// reason, NUL-terminated, in *error if error is not NULL.
WASM_API_EXTERN bool nanowasm_store_set_wasi(
  wasm_store_t*, own nanowasm_wasi_config_t* config, own wasm_message_t* error);

// Instantiates a module with WASI: every import that `imports` (in import
// order; it may be NULL or shorter than the module's imports) leaves NULL
// is taken from WASI preview1 (wasi_snapshot_preview1 or wasi_unstable),
// which uses the store's WASI context. Otherwise as wasm_instance_new.
// Run the guest by calling its "_start" export; if it calls proc_exit, the
// call returns a trap for which nanowasm_trap_exit_status gives the status.
WASM_API_EXTERN own wasm_instance_t* nanowasm_instance_new_with_wasi(
  wasm_store_t*, const wasm_module_t*, const wasm_extern_vec_t* imports,
  own wasm_trap_t** trap);

///////////////////////////////////////////////////////////////////////////////
// Text format

// Encodes the WebAssembly text `wat` (`len` bytes of UTF-8) as a binary
// module in *out. False if it is not a valid module, with the error,
// NUL-terminated, in *error if error is not NULL.
WASM_API_EXTERN bool nanowasm_wat2wasm(
  const char* wat, size_t len, own wasm_byte_vec_t* out,
  own wasm_message_t* error);

#undef own

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // NANOWASM_H
