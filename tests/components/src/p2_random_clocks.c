// wasi:random/random, wasi:random/insecure, wasi:random/insecure-seed,
// wasi:clocks/wall-clock, wasi:clocks/monotonic-clock and wasi:io/poll through
// wit-bindgen, no adapter: draws differ, lengths are exact, the wall clock is after
// 2020, the monotonic clock never decreases, subscribe-duration(20 ms) + block
// waits >= 20 ms, blocking on a past instant returns at once, a far instant is not ready,
// poll() returns the index of the ready pollable. Only derived facts are printed.
#include "p2_common.h"

static int all_zero(const command_list_u8_t *l) {
    for (size_t i = 0; i < l->len; i++)
        if (l->ptr[i]) return 0;
    return 1;
}

bool exports_wasi_cli_run_run(void) {
    command_list_u8_t a, b, z;
    wasi_random_random_get_random_bytes(32, &a);
    wasi_random_random_get_random_bytes(32, &b);
    say("random_len=%zu,%zu\n", a.len, b.len);
    say("random_differs=%d\n", a.len == b.len && memcmp(a.ptr, b.ptr, a.len) != 0);
    say("random_nonzero=%d\n", !all_zero(&a));
    command_list_u8_free(&a);
    command_list_u8_free(&b);
    wasi_random_random_get_random_bytes(0, &z);
    say("random_len0=%zu\n", z.len);
    command_list_u8_free(&z);
    wasi_random_random_get_random_bytes(5000, &z);
    say("random_len5000=%zu\n", z.len);
    command_list_u8_free(&z);
    uint64_t u1 = wasi_random_random_get_random_u64(), u2 = wasi_random_random_get_random_u64();
    say("random_u64_differs=%d\n", u1 != u2);

    wasi_random_insecure_get_insecure_random_bytes(16, &a);
    say("insecure_len=%zu\n", a.len);
    command_list_u8_free(&a);
    (void)wasi_random_insecure_get_insecure_random_u64();
    say("insecure_u64=ok\n");
    command_tuple2_u64_u64_t seed;
    wasi_random_insecure_seed_insecure_seed(&seed);
    say("insecure_seed=ok\n");

    wasi_clocks_wall_clock_datetime_t now, res;
    wasi_clocks_wall_clock_now(&now);
    wasi_clocks_wall_clock_resolution(&res);
    say("wall_after_2020=%d\n", now.seconds > 1577836800ULL);
    say("wall_ns_valid=%d\n", now.nanoseconds < 1000000000u);
    say("wall_res_nonzero=%d\n", res.seconds > 0 || res.nanoseconds > 0);

    uint64_t t0 = wasi_clocks_monotonic_clock_now();
    say("mono_res_nonzero=%d\n", wasi_clocks_monotonic_clock_resolution() > 0);
    int monotonic = 1;
    uint64_t prev = t0;
    for (int i = 0; i < 1000; i++) {
        uint64_t t = wasi_clocks_monotonic_clock_now();
        if (t < prev) monotonic = 0;
        prev = t;
    }
    say("mono_never_decreases=%d\n", monotonic);

    uint64_t start = wasi_clocks_monotonic_clock_now();
    wasi_io_poll_own_pollable_t p = wasi_clocks_monotonic_clock_subscribe_duration(20000000ULL);
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    uint64_t elapsed = wasi_clocks_monotonic_clock_now() - start;
    say("duration_block_elapsed_ge_20ms=%d\n", elapsed >= 20000000ULL);
    say("ready_after_block=%d\n", wasi_io_poll_method_pollable_ready(wasi_io_poll_borrow_pollable(p)));
    wasi_io_poll_pollable_drop_own(p);

    /* A past instant: block returns at once (wasmtime's `ready` answers false
     * before the first block, so readiness is only checked after it). */
    start = wasi_clocks_monotonic_clock_now();
    p = wasi_clocks_monotonic_clock_subscribe_instant(t0);
    wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
    say("past_instant_block_returns=%d\n", wasi_clocks_monotonic_clock_now() - start < 1000000000ULL);
    say("past_instant_ready_after_block=%d\n", wasi_io_poll_method_pollable_ready(wasi_io_poll_borrow_pollable(p)));
    wasi_io_poll_pollable_drop_own(p);
    p = wasi_clocks_monotonic_clock_subscribe_instant(wasi_clocks_monotonic_clock_now() + 3600ULL * 1000000000ULL);
    say("far_instant_ready=%d\n", wasi_io_poll_method_pollable_ready(wasi_io_poll_borrow_pollable(p)));
    wasi_io_poll_own_pollable_t zero = wasi_clocks_monotonic_clock_subscribe_duration(0);

    wasi_io_poll_borrow_pollable_t both[2] = {wasi_io_poll_borrow_pollable(p), wasi_io_poll_borrow_pollable(zero)};
    wasi_io_poll_list_borrow_pollable_t in = {both, 2};
    command_list_u32_t ready;
    wasi_io_poll_poll(&in, &ready);
    say("poll_ready_count=%zu\n", ready.len);
    for (size_t i = 0; i < ready.len; i++) say("poll_ready[%zu]=%u\n", i, ready.ptr[i]);
    command_list_u32_free(&ready);
    wasi_io_poll_pollable_drop_own(p);
    wasi_io_poll_pollable_drop_own(zero);

    /* poll on a single 10 ms timer returns [0] and takes >= 10 ms. */
    start = wasi_clocks_monotonic_clock_now();
    p = wasi_clocks_monotonic_clock_subscribe_duration(10000000ULL);
    both[0] = wasi_io_poll_borrow_pollable(p);
    in.len = 1;
    wasi_io_poll_poll(&in, &ready);
    elapsed = wasi_clocks_monotonic_clock_now() - start;
    say("poll_single=%zu:%u elapsed_ge_10ms=%d\n", ready.len, ready.len ? ready.ptr[0] : 99u,
        elapsed >= 10000000ULL);
    command_list_u32_free(&ready);
    wasi_io_poll_pollable_drop_own(p);
    return true;
}
