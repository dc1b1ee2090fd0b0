// stdin: bytes.txt
// wasi:cli/stdin through wit-bindgen, no adapter: subscribe + block on stdin,
// then blocking-read in 37-byte requests until stream-error::closed; prints the
// byte and newline counts and the checksum of stdin_count (tests/wasi), then
// that a further read is closed again.
#include "p2_common.h"

bool exports_wasi_cli_run_run(void) {
    wasi_cli_stdin_own_input_stream_t in = wasi_cli_stdin_get_stdin();
    wasi_io_streams_borrow_input_stream_t b = wasi_io_streams_borrow_input_stream(in);
    wasi_io_poll_own_pollable_t p = wasi_io_streams_method_input_stream_subscribe(b);
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    say("ready_after_block=%d\n", wasi_io_poll_method_pollable_ready(wasi_io_poll_borrow_pollable(p)));
    wasi_io_poll_pollable_drop_own(p);

    /* sum is 32-bit like stdin_count's unsigned long on wasm32 (it wraps the same way). */
    unsigned long long total = 0, lines = 0, reads = 0, too_long = 0;
    uint32_t sum = 0;
    int closed = 0;
    for (;;) {
        command_list_u8_t got;
        wasi_io_streams_stream_error_t err;
        if (!wasi_io_streams_method_input_stream_blocking_read(b, 37, &got, &err)) {
            closed = err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED;
            if (!closed) wasi_io_streams_stream_error_free(&err);
            break;
        }
        reads++;
        if (got.len > 37) too_long = 1;
        for (size_t i = 0; i < got.len; i++) {
            sum = (sum * 31u + got.ptr[i]) % 1000000007u;
            if (got.ptr[i] == '\n') lines++;
        }
        total += got.len;
        command_list_u8_free(&got);
    }
    say("bytes=%llu\nnewlines=%llu\nchecksum=%u\n", total, lines, (unsigned)sum);
    say("ended_closed=%d\nreads_nonzero=%d\nread_over_len=%llu\n", closed, reads > 0, too_long);

    command_list_u8_t got;
    wasi_io_streams_stream_error_t err;
    int again = !wasi_io_streams_method_input_stream_read(b, 10, &got, &err) &&
                err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED;
    say("read_after_close_closed=%d\n", again);
    wasi_io_streams_input_stream_drop_own(in);
    return true;
}
