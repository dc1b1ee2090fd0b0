// An embedding of nanowasm through nanowasm.h: a WASI guest, given as
// WebAssembly text and encoded with nanowasm_wat2wasm, greets the name
// passed as its argument, reads a file from a read-only preopened
// directory, is refused writing there, and exits with status 3, all under
// a fuel budget.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include "nanowasm.h"

static const char GUEST[] =
  "(module\n"
  "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
  "    (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
  "  (import \"wasi_snapshot_preview1\" \"args_sizes_get\"\n"
  "    (func $args_sizes_get (param i32 i32) (result i32)))\n"
  "  (import \"wasi_snapshot_preview1\" \"args_get\"\n"
  "    (func $args_get (param i32 i32) (result i32)))\n"
  "  (import \"wasi_snapshot_preview1\" \"path_open\"\n"
  "    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))\n"
  "  (import \"wasi_snapshot_preview1\" \"fd_read\"\n"
  "    (func $fd_read (param i32 i32 i32 i32) (result i32)))\n"
  "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n"
  "  (memory (export \"memory\") 1)\n"
  "  (data (i32.const 16) \"Hello, \")\n"
  "  (data (i32.const 32) \"!\\n\")\n"
  "  (data (i32.const 48) \"greeting.txt\")\n"
  "  (data (i32.const 64) \"new.txt\")\n"
  "  (data (i32.const 80) \"write refused\\n\")\n"
  "  ;; Writes memory[ptr, ptr+len) to standard output.\n"
  "  (func $print (param $ptr i32) (param $len i32)\n"
  "    (i32.store (i32.const 0) (local.get $ptr))\n"
  "    (i32.store (i32.const 4) (local.get $len))\n"
  "    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))\n"
  "  (func (export \"_start\")\n"
  "    (local $start i32)\n"
  "    (call $print (i32.const 16) (i32.const 7))\n"
  "    ;; argc at 100, argument bytes at 104; argv at 200, strings at 300.\n"
  "    (drop (call $args_sizes_get (i32.const 100) (i32.const 104)))\n"
  "    (drop (call $args_get (i32.const 200) (i32.const 300)))\n"
  "    ;; The last argument ends one byte (its NUL) before 300 + size.\n"
  "    (local.set $start (i32.load (i32.const 204)))\n"
  "    (call $print (local.get $start)\n"
  "      (i32.sub (i32.add (i32.const 299) (i32.load (i32.const 104))) (local.get $start)))\n"
  "    (call $print (i32.const 32) (i32.const 2))\n"
  "    ;; Open greeting.txt in the preopened directory (fd 3), read it to 1024.\n"
  "    (if (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 48)\n"
  "          (i32.const 12) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0)\n"
  "          (i32.const 120)))\n"
  "      (then\n"
  "        (i32.store (i32.const 8) (i32.const 1024))\n"
  "        (i32.store (i32.const 12) (i32.const 512))\n"
  "        (drop (call $fd_read (i32.load (i32.const 120)) (i32.const 8) (i32.const 1)\n"
  "          (i32.const 124)))\n"
  "        (call $print (i32.const 1024) (i32.load (i32.const 124)))))\n"
  "    ;; Creating new.txt for writing is refused: the directory is read-only.\n"
  "    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 64)\n"
  "          (i32.const 7) (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0)\n"
  "          (i32.const 128))\n"
  "      (then (call $print (i32.const 80) (i32.const 14))))\n"
  "    (call $proc_exit (i32.const 3))))\n";

static void fail(const char* what) {
  printf("> Error: %s\n", what);
  exit(1);
}

int main(void) {
  printf("Initializing...\n");
  wasm_config_t* config = wasm_config_new();
  nanowasm_config_consume_fuel(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  wasm_store_t* store = wasm_store_new(engine);
  if (!nanowasm_store_set_fuel(store, 1000000)) fail("setting fuel");

  printf("Encoding the guest...\n");
  wasm_byte_vec_t binary;
  wasm_message_t error;
  if (!nanowasm_wat2wasm(GUEST, strlen(GUEST), &binary, &error)) {
    printf("> %s\n", error.data);
    wasm_byte_vec_delete(&error);
    return 1;
  }
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) fail("compiling the module");

  printf("Configuring WASI...\n");
  FILE* file = fopen("greeting.txt", "w");
  if (!file) fail("writing greeting.txt");
  fputs("A file from a read-only directory.\n", file);
  fclose(file);
  nanowasm_wasi_config_t* wasi = nanowasm_wasi_config_new();
  const char* argv[] = {"wasi.wasm", "C API"};
  if (!nanowasm_wasi_config_set_argv(wasi, 2, argv)) fail("setting argv");
  nanowasm_wasi_config_inherit_stdout(wasi);
  if (!nanowasm_wasi_config_preopen_dir(wasi, ".", ".",
        NANOWASM_WASI_DIR_PERMS_READ, NANOWASM_WASI_FILE_PERMS_READ)) fail("preopening .");
  if (!nanowasm_store_set_wasi(store, wasi, &error)) {
    printf("> %s\n", error.data);
    wasm_byte_vec_delete(&error);
    return 1;
  }

  printf("Instantiating with WASI...\n");
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = nanowasm_instance_new_with_wasi(store, module, NULL, &trap);
  if (!instance) {
    wasm_trap_message(trap, &error);
    printf("> %s\n", error.data);
    return 1;
  }

  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_func_t* start = NULL;
  for (size_t i = 0; i < exports.size; ++i) {
    if (wasm_extern_kind(exports.data[i]) == WASM_EXTERN_FUNC) start = wasm_extern_as_func(exports.data[i]);
  }
  if (!start) fail("finding _start");

  printf("Running _start...\n");
  fflush(stdout);  // The guest writes to the same standard output.
  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
  trap = wasm_func_call(start, &args, &results);
  int status = -1;
  if (!trap || !nanowasm_trap_exit_status(trap, &status)) fail("expected proc_exit");
  printf("> exit status %d\n", status);
  FILE* created = fopen("new.txt", "r");
  printf("> new.txt %s\n", created ? "created!" : "not created");
  if (created) fclose(created);
  wasm_trap_delete(trap);

  uint64_t fuel = 0;
  if (!nanowasm_store_get_fuel(store, &fuel)) fail("reading fuel");
  printf("> fuel used: %s\n", fuel < 1000000 ? "some" : "none");

  printf("Running out of fuel...\n");
  if (!nanowasm_store_set_fuel(store, 10)) fail("setting fuel");
  trap = wasm_func_call(start, &args, &results);
  uint8_t code = 0;
  if (!trap || !nanowasm_trap_code(trap, &code) || code != NANOWASM_TRAP_OUT_OF_FUEL) fail("expected out of fuel");
  wasm_trap_message(trap, &error);
  printf("> %s\n", error.data);
  wasm_byte_vec_delete(&error);
  wasm_trap_delete(trap);

  printf("Shutting down...\n");
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
