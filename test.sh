#!/usr/bin/env bash
# Runs every test of the workspace, including the spec testsuite checks.
# The testsuite is found through $NANOWASM_TESTSUITE or ../shared/testsuite-2.0
# beside the repository; the tests fail if it is missing.
set -euo pipefail
cd "$(dirname "$0")"
exec cargo test --workspace --profile quick-release "$@"
