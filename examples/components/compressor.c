// The compressor process: pure computation, no capabilities at all (its
// manifest entry grants nothing, and its core module imports nothing from
// WASI, so it is built without an adapter). Exports the WIT interface
// demo:app/compressor@0.1.0 (wit/app.wit) through the bindings of
// `wit-bindgen c --world demo:app/compressor-process`: run-length encoding,
// (count, byte) pairs, and a record result with the ratio.
#include <stdlib.h>
#include "compressor_process.h"

// Exported functions own their arguments; results are freed by the
// generated post-return functions after the caller has copied them.
void exports_demo_app_compressor_compress(compressor_process_list_u8_t *data,
                                          exports_demo_app_compressor_compressed_t *ret) {
    const uint8_t *in = data->ptr;
    size_t len = data->len, n = 0;
    uint8_t *out = malloc(2 * len + 1);
    for (size_t i = 0; i < len;) {
        size_t run = 1;
        while (i + run < len && in[i + run] == in[i] && run < 255) run++;
        out[n++] = (uint8_t)run;
        out[n++] = in[i];
        i += run;
    }
    ret->bytes.ptr = out;
    ret->bytes.len = n;
    ret->ratio = len ? (float)n / (float)len : 0.0f;
    compressor_process_list_u8_free(data);
}

void exports_demo_app_compressor_decompress(compressor_process_list_u8_t *data,
                                            compressor_process_list_u8_t *ret) {
    const uint8_t *in = data->ptr;
    size_t len = data->len, total = 0, n = 0;
    for (size_t i = 0; i + 1 < len; i += 2) total += in[i];
    uint8_t *out = malloc(total + 1);
    for (size_t i = 0; i + 1 < len; i += 2)
        for (uint8_t k = 0; k < in[i]; k++) out[n++] = in[i + 1];
    ret->ptr = out;
    ret->len = n;
    compressor_process_list_u8_free(data);
}
