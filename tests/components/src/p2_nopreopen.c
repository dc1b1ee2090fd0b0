// dir: none
// No directory is preopened: wasi:filesystem/preopens get-directories returns an
// empty list; stdout still works.
#include "p2_fs_common.h"

bool exports_wasi_cli_run_run(void) {
    fd_own d = find_sandbox();
    say("sandbox_found=%d\n", d.__handle >= 0);
    return true;
}
