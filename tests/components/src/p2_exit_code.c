// exit: 42
// wasi:cli/exit exit-with-code(42) (@since 0.2.12) in the middle of run: what
// was written before is on stdout, nothing after; the exit status is 42.
#include "p2_common.h"

bool exports_wasi_cli_run_run(void) {
    say("before exit-with-code\n");
    wasi_cli_exit_exit_with_code(42);
    say("after exit (must not appear)\n");
    return true;
}
