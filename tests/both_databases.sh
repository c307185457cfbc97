#!/usr/bin/env bash
# `make test`'s last step: the whole suite on SQLite and on PostgreSQL at the same time.
#
# The two runs share nothing but the source tree (each has its own test database, its own
# live servers on free ports, its own browser), and each is mostly one busy process, so
# on two cores they take about as long together as the longer one alone. Every line is
# printed as it comes, marked with its run; the status is the first failing run's.
set -uo pipefail

MAKE_CMD=${MAKE:-make}

run() {
    local name=$1 target=$2
    # The pipeline's status is the make's, not sed's.
    "$MAKE_CMD" --no-print-directory "$target" 2>&1 | sed -u "s/^/[$name] /"
    return "${PIPESTATUS[0]}"
}

run sqlite test-sqlite &
sqlite=$!
run postgres test-postgres &
postgres=$!

status=0
wait "$sqlite" || { status=$?; echo "FAILED: the SQLite run (exit $status)" >&2; }
wait "$postgres" || {
    code=$?
    echo "FAILED: the PostgreSQL run (exit $code)" >&2
    [ "$status" -ne 0 ] || status=$code
}
[ "$status" -ne 0 ] || echo "Both runs passed: SQLite and PostgreSQL."
exit "$status"
