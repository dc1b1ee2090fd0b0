// exit: 1
// wasi:cli/exit exit(err) in the middle of run: what was written before is on
// stdout, nothing after; the exit status is 1 (the status of err).
#include "p2_common.h"

bool exports_wasi_cli_run_run(void) {
    say("before exit\n");
    wasi_cli_exit_result_void_void_t status = {.is_err = true};
    wasi_cli_exit_exit(&status);
    say("after exit (must not appear)\n");
    return true;
}
