// Exercises the parts of wasm.h the examples leave out: type reflection,
// serialization and shared modules, host functions re-entering their store,
// references (externref, funcref), host info and finalizers, and failures.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include "nanowasm.h"

#define own

static wasm_memory_t* memory = NULL;
static wasm_func_t* double_func = NULL;
static int finalized = 0;

static void check(bool ok, const char* what) {
  if (!ok) {
    printf("> FAILED: %s\n", what);
    exit(1);
  }
}

static const char* kind_name(wasm_externkind_t k) {
  switch (k) {
    case WASM_EXTERN_FUNC: return "func";
    case WASM_EXTERN_GLOBAL: return "global";
    case WASM_EXTERN_TABLE: return "table";
    case WASM_EXTERN_MEMORY: return "memory";
    default: return "?";
  }
}

// Reads memory[arg] through the API and calls back into wasm ("double").
static own wasm_trap_t* peek(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  int32_t at = args->data[0].of.i32;
  *(int*)env += 1;
  byte_t* data = wasm_memory_data(memory);
  wasm_val_t in[1] = { WASM_I32_VAL(data[at]) };
  wasm_val_t out[1] = { WASM_INIT_VAL };
  wasm_val_vec_t in_vec = WASM_ARRAY_VEC(in), out_vec = WASM_ARRAY_VEC(out);
  own wasm_trap_t* trap = wasm_func_call(double_func, &in_vec, &out_vec);
  if (trap) return trap;
  results->data[0] = out[0];
  return NULL;
}

static void finalize(void* env) {
  (void)env;
  finalized += 1;
}

static void print_trap(own wasm_trap_t* trap) {
  own wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("> trap: %s\n", message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);

  FILE* file = fopen("api.wasm", "rb");
  check(file != NULL, "open api.wasm");
  fseek(file, 0L, SEEK_END);
  size_t size = ftell(file);
  fseek(file, 0L, SEEK_SET);
  wasm_byte_vec_t binary;
  wasm_byte_vec_new_uninitialized(&binary, size);
  check(fread(binary.data, size, 1, file) == 1, "read api.wasm");
  fclose(file);

  printf("Validating...\n");
  check(wasm_module_validate(store, &binary), "valid module");
  wasm_byte_vec_t garbage;
  wasm_byte_vec_new(&garbage, 4, "\0asx");
  check(!wasm_module_validate(store, &garbage), "garbage is invalid");
  check(wasm_module_new(store, &garbage) == NULL, "garbage does not compile");
  wasm_byte_vec_delete(&garbage);

  own wasm_module_t* compiled = wasm_module_new(store, &binary);
  check(compiled != NULL, "compile");
  wasm_byte_vec_delete(&binary);

  printf("Serializing and sharing...\n");
  wasm_byte_vec_t serialized;
  wasm_module_serialize(compiled, &serialized);
  own wasm_module_t* deserialized = wasm_module_deserialize(store, &serialized);
  check(deserialized != NULL, "deserialize");
  wasm_byte_vec_delete(&serialized);
  own wasm_shared_module_t* shared = wasm_module_share(deserialized);
  own wasm_module_t* module = wasm_module_obtain(store, shared);
  check(module != NULL, "obtain");
  wasm_shared_module_delete(shared);
  wasm_module_delete(deserialized);
  wasm_module_delete(compiled);

  printf("Imports:\n");
  wasm_importtype_vec_t imports_types;
  wasm_module_imports(module, &imports_types);
  for (size_t i = 0; i < imports_types.size; ++i) {
    const wasm_name_t* m = wasm_importtype_module(imports_types.data[i]);
    const wasm_name_t* n = wasm_importtype_name(imports_types.data[i]);
    const wasm_externtype_t* t = wasm_importtype_type(imports_types.data[i]);
    printf("> %.*s.%.*s: %s\n", (int)m->size, m->data, (int)n->size, n->data,
      kind_name(wasm_externtype_kind(t)));
  }
  wasm_importtype_vec_delete(&imports_types);

  printf("Exports:\n");
  wasm_exporttype_vec_t export_types;
  wasm_module_exports(module, &export_types);
  for (size_t i = 0; i < export_types.size; ++i) {
    const wasm_name_t* n = wasm_exporttype_name(export_types.data[i]);
    const wasm_externtype_t* t = wasm_exporttype_type(export_types.data[i]);
    printf("> %.*s: %s", (int)n->size, n->data, kind_name(wasm_externtype_kind(t)));
    const wasm_functype_t* f = wasm_externtype_as_functype_const(t);
    if (f) {
      printf(" (%zu params, %zu results", wasm_functype_params(f)->size, wasm_functype_results(f)->size);
      if (wasm_functype_params(f)->size > 0)
        printf(", first param kind %d", wasm_valtype_kind(wasm_functype_params(f)->data[0]));
      printf(")");
    }
    const wasm_memorytype_t* mt = wasm_externtype_as_memorytype_const(t);
    if (mt) printf(" (min %u, max %u)", wasm_memorytype_limits(mt)->min, wasm_memorytype_limits(mt)->max);
    const wasm_tabletype_t* tt = wasm_externtype_as_tabletype_const(t);
    if (tt) printf(" (element kind %d, min %u, no max %d)", wasm_valtype_kind(wasm_tabletype_element(tt)),
      wasm_tabletype_limits(tt)->min, wasm_tabletype_limits(tt)->max == wasm_limits_max_default);
    const wasm_globaltype_t* gt = wasm_externtype_as_globaltype_const(t);
    if (gt) printf(" (kind %d, %s)", wasm_valtype_kind(wasm_globaltype_content(gt)),
      wasm_globaltype_mutability(gt) == WASM_VAR ? "var" : "const");
    printf("\n");
  }
  wasm_exporttype_vec_delete(&export_types);

  printf("Instantiating...\n");
  int calls = 0;
  own wasm_functype_t* peek_type = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  own wasm_func_t* peek_func = wasm_func_new_with_env(store, peek_type, peek, &calls, finalize);
  check(wasm_func_param_arity(peek_func) == 1 && wasm_func_result_arity(peek_func) == 1, "arity");
  wasm_functype_delete(peek_type);
  own wasm_globaltype_t* limit_type = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  wasm_val_t limit_val = WASM_I32_VAL(99);
  own wasm_global_t* limit = wasm_global_new(store, limit_type, &limit_val);
  wasm_globaltype_delete(limit_type);

  // A missing import: a trap explains.
  wasm_extern_t* too_few[] = { wasm_func_as_extern(peek_func) };
  wasm_extern_vec_t too_few_vec = WASM_ARRAY_VEC(too_few);
  own wasm_trap_t* trap = NULL;
  check(wasm_instance_new(store, module, &too_few_vec, &trap) == NULL, "missing import fails");
  print_trap(trap);

  // A wrong import: a trap explains.
  wasm_extern_t* wrong[] = { wasm_global_as_extern(limit), wasm_global_as_extern(limit) };
  wasm_extern_vec_t wrong_vec = WASM_ARRAY_VEC(wrong);
  trap = NULL;
  check(wasm_instance_new(store, module, &wrong_vec, &trap) == NULL, "wrong import fails");
  print_trap(trap);

  wasm_extern_t* externs[] = { wasm_func_as_extern(peek_func), wasm_global_as_extern(limit) };
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  own wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  check(instance != NULL, "instantiate");
  wasm_func_delete(peek_func);
  wasm_global_delete(limit);
  wasm_module_delete(module);

  own wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  check(exports.size == 9, "nine exports");
  memory = wasm_extern_as_memory(exports.data[0]);
  wasm_table_t* table = wasm_extern_as_table(exports.data[1]);
  wasm_global_t* counter = wasm_extern_as_global(exports.data[2]);
  double_func = wasm_extern_as_func(exports.data[3]);
  wasm_func_t* run = wasm_extern_as_func(exports.data[4]);
  wasm_func_t* id = wasm_extern_as_func(exports.data[5]);
  wasm_func_t* getf = wasm_extern_as_func(exports.data[6]);
  wasm_func_t* get_limit = wasm_extern_as_func(exports.data[7]);
  wasm_func_t* div = wasm_extern_as_func(exports.data[8]);
  check(memory && table && counter && double_func && run && id && getf && get_limit && div, "export kinds");

  printf("Re-entering the store from a host function...\n");
  wasm_val_t a[1] = { WASM_I32_VAL(8) };
  wasm_val_t r[1] = { WASM_INIT_VAL };
  wasm_val_vec_t args = WASM_ARRAY_VEC(a), results = WASM_ARRAY_VEC(r);
  check(wasm_func_call(run, &args, &results) == NULL, "run");
  printf("> run(8) = %d after %d host call(s)\n", r[0].of.i32, calls);

  printf("Globals...\n");
  wasm_val_t g;
  wasm_val_t v42 = WASM_I64_VAL(42);
  wasm_global_set(counter, &v42);
  wasm_global_get(counter, &g);
  printf("> counter = %" PRId64 "\n", g.of.i64);
  wasm_val_t wrong_kind = WASM_I32_VAL(1);
  wasm_global_set(counter, &wrong_kind);
  wasm_global_get(counter, &g);
  printf("> counter after a wrong-kind set = %" PRId64 "\n", g.of.i64);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  check(wasm_func_call(get_limit, &none, &results) == NULL, "limit");
  printf("> limit = %d\n", r[0].of.i32);

  printf("References...\n");
  own wasm_foreign_t* foreign = wasm_foreign_new(store);
  int info = 7;
  wasm_foreign_set_host_info(foreign, &info);
  wasm_val_t fa[1] = { WASM_REF_VAL(wasm_foreign_as_ref(foreign)) };
  wasm_val_t fr[1] = { WASM_INIT_VAL };
  wasm_val_vec_t fargs = WASM_ARRAY_VEC(fa), fresults = WASM_ARRAY_VEC(fr);
  check(wasm_func_call(id, &fargs, &fresults) == NULL, "id");
  check(fr[0].of.ref != NULL, "id returns a reference");
  wasm_foreign_t* back = wasm_ref_as_foreign(fr[0].of.ref);
  printf("> id(foreign) is the same foreign: %d\n", back && wasm_foreign_same(foreign, back));
  printf("> host info of the handle: %d\n", *(int*)wasm_foreign_get_host_info(foreign));
  wasm_val_delete(&fr[0]);

  wasm_val_t na[1] = { WASM_REF_VAL(NULL) };
  wasm_val_vec_t nargs = WASM_ARRAY_VEC(na);
  check(wasm_func_call(id, &nargs, &fresults) == NULL, "id(null)");
  printf("> id(null) is null: %d\n", fr[0].of.ref == NULL);

  wasm_val_t ga[1] = { WASM_REF_VAL(wasm_global_as_ref(counter)) };
  wasm_val_vec_t gargs = WASM_ARRAY_VEC(ga);
  print_trap(wasm_func_call(id, &gargs, &fresults));

  check(wasm_func_call(getf, &none, &fresults) == NULL, "getf");
  wasm_func_t* f = wasm_ref_as_func(fr[0].of.ref);
  printf("> getf() is double: %d\n", f && wasm_func_same(f, double_func));
  wasm_val_t fa2[1] = { WASM_I32_VAL(21) };
  wasm_val_vec_t fargs2 = WASM_ARRAY_VEC(fa2);
  check(wasm_func_call(f, &fargs2, &results) == NULL, "call the returned funcref");
  printf("> getf()(21) = %d\n", r[0].of.i32);
  check(wasm_table_set(table, 0, wasm_func_as_ref(f)), "table.set");
  own wasm_ref_t* slot = wasm_table_get(table, 0);
  printf("> table[0] is double: %d\n", wasm_func_same(wasm_ref_as_func(slot), double_func));
  printf("> a global is not a function: %d\n", wasm_ref_as_func(wasm_global_as_ref(counter)) == NULL);
  check(!wasm_table_set(table, 0, wasm_foreign_as_ref(foreign)), "foreign in a funcref table fails");
  wasm_ref_delete(slot);
  wasm_val_vec_t copied;
  wasm_val_vec_copy(&copied, &fresults);
  wasm_val_vec_delete(&copied);
  wasm_val_delete(&fr[0]);

  printf("Failures...\n");
  wasm_val_t da[2] = { WASM_I32_VAL(1), WASM_I32_VAL(0) };
  wasm_val_vec_t dargs = WASM_ARRAY_VEC(da);
  trap = wasm_func_call(div, &dargs, &results);
  uint8_t code = 0;
  check(trap && nanowasm_trap_code(trap, &code) && code == NANOWASM_TRAP_INTEGER_DIVISION_BY_ZERO, "div by zero");
  print_trap(trap);
  print_trap(wasm_func_call(div, &args, &results));
  wasm_val_t wa[2] = { WASM_I64_VAL(1), WASM_I32_VAL(0) };
  wasm_val_vec_t wargs = WASM_ARRAY_VEC(wa);
  print_trap(wasm_func_call(div, &wargs, &results));
  wasm_val_t oka[2] = { WASM_I32_VAL(6), WASM_I32_VAL(3) };
  wasm_val_vec_t okargs = WASM_ARRAY_VEC(oka);
  print_trap(wasm_func_call(div, &okargs, &none));
  own wasm_byte_vec_t wat_error;
  wasm_byte_vec_t wasm_out;
  check(!nanowasm_wat2wasm("(module (func (i32.bogus)))", 27, &wasm_out, &wat_error), "bad wat");
  printf("> wat2wasm error: %s\n", wat_error.size > 0 ? "reported" : "missing");
  wasm_byte_vec_delete(&wat_error);
  check(!nanowasm_store_set_fuel(store, 1), "no fuel without consume_fuel");

  printf("Deleting the store before its objects...\n");
  wasm_instance_delete(instance);
  wasm_store_delete(store);
  printf("> finalizer ran: %d\n", finalized);
  wasm_foreign_delete(foreign);
  wasm_extern_vec_delete(&exports);
  printf("> finalizer ran: %d\n", finalized);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
