// args: one "two words" "" --flag=x
// env: ALPHA=first
// env: EMPTY=
// env: WITH_EQUALS=a=b=c
// env: GREETING=hello world
// wasi:cli/environment (get-arguments, get-environment, initial-cwd), wasi:cli/terminal-* (none: stdio are not terminals), wasi:cli/stdout
// and wasi:cli/stderr through wit-bindgen, no adapter: prints the arguments, the
// environment sorted by name, whether there is an initial cwd, and writes through a
// second stdout handle and stderr; run returns ok (exit 0).
#include "p2_common.h"

static int cmp_env(const void *a, const void *b) {
    const command_tuple2_string_string_t *x = a, *y = b;
    size_t n = x->f0.len < y->f0.len ? x->f0.len : y->f0.len;
    int c = memcmp(x->f0.ptr, y->f0.ptr, n);
    return c ? c : (x->f0.len > y->f0.len) - (x->f0.len < y->f0.len);
}

bool exports_wasi_cli_run_run(void) {
    command_list_string_t args;
    wasi_cli_environment_get_arguments(&args);
    say("argc=%zu\n", args.len);
    say("arg0_nonempty=%d\n", args.len > 0 && args.ptr[0].len > 0);
    for (size_t i = 1; i < args.len; i++)
        say("arg[%zu]=\"%.*s\" len=%zu\n", i, (int)args.ptr[i].len, (char *)args.ptr[i].ptr,
            args.ptr[i].len);
    command_list_string_free(&args);

    command_list_tuple2_string_string_t env;
    wasi_cli_environment_get_environment(&env);
    say("envc=%zu\n", env.len);
    qsort(env.ptr, env.len, sizeof env.ptr[0], cmp_env);
    for (size_t i = 0; i < env.len; i++)
        say("env %.*s=%.*s\n", (int)env.ptr[i].f0.len, (char *)env.ptr[i].f0.ptr,
            (int)env.ptr[i].f1.len, (char *)env.ptr[i].f1.ptr);
    command_list_tuple2_string_string_free(&env);

    command_string_t cwd;
    bool has_cwd = wasi_cli_environment_initial_cwd(&cwd);
    say("initial_cwd_some=%d\n", has_cwd);
    if (has_cwd) command_string_free(&cwd);

    /* Not terminals here (stdio are files or pipes): all three are none. */
    wasi_cli_terminal_stdin_own_terminal_input_t ti;
    wasi_cli_terminal_stdout_own_terminal_output_t to, te;
    bool has_ti = wasi_cli_terminal_stdin_get_terminal_stdin(&ti);
    bool has_to = wasi_cli_terminal_stdout_get_terminal_stdout(&to);
    bool has_te = wasi_cli_terminal_stderr_get_terminal_stderr(&te);
    say("terminal stdin=%d stdout=%d stderr=%d\n", has_ti, has_to, has_te);
    if (has_ti) wasi_cli_terminal_input_terminal_input_drop_own(ti);
    if (has_to) wasi_cli_terminal_output_terminal_output_drop_own(to);
    if (has_te) wasi_cli_terminal_output_terminal_output_drop_own(te);

    /* A second handle on stdout: writes interleave in order with the first. */
    wasi_cli_stdout_own_output_stream_t second = wasi_cli_stdout_get_stdout();
    p2_write(second, "via second stdout handle\n", 25);
    wasi_io_streams_output_stream_drop_own(second);
    say("after dropping the second handle\n");

    wasi_cli_stderr_own_output_stream_t err = wasi_cli_stderr_get_stderr();
    p2_write(err, "to stderr (not compared)\n", 25);
    wasi_io_streams_output_stream_drop_own(err);
    say("done\n");
    return true;
}
