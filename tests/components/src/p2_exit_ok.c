// wasi:cli/exit exit(ok) in the middle of run, which would otherwise return err:
// exit status 0, nothing printed after the call.
#include "p2_common.h"

bool exports_wasi_cli_run_run(void) {
    say("before exit\n");
    wasi_cli_exit_result_void_void_t status = {.is_err = false};
    wasi_cli_exit_exit(&status);
    say("after exit (must not appear)\n");
    return false;
}
