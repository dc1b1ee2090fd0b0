// exit: 1
// wasi:cli/run returns err (no call to wasi:cli/exit): the runtime reports a
// failure, exit status 1 (as `wasmtime run` does); stdout written before is kept.
#include "p2_common.h"

bool exports_wasi_cli_run_run(void) {
    say("returning err from run\n");
    return false;
}
