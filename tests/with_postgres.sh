#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL cluster.
#
#   tests/with_postgres.sh COMMAND [ARGS...]
#   tests/with_postgres.sh --check      # only tell whether server binaries are installed
#
# The cluster lives in a fresh temporary directory, listens on a free port on 127.0.0.1
# only, trusts local connections and trades durability for speed. COMMAND runs with
# DATABASE_URL (and PGHOST/PGPORT/PGUSER) pointing at it. Whatever happens, the cluster
# is stopped and the directory removed; the exit status is COMMAND's.
#
# Exit status 3 means no PostgreSQL server binaries were found (nothing was run), so a
# caller can tell "PostgreSQL is missing" from "the command failed": use --check first
# when COMMAND itself may exit with 3 (pytest does, on an internal error).
# Set PG_BINDIR to use server binaries from a directory of your choice.
#
# WITH_POSTGRES_KEEP=DIR keeps the cluster in DIR instead (created on first use, reused
# afterwards, never removed): the benchmark's databases take minutes to build. The server
# is still stopped when COMMAND ends.
set -euo pipefail

MISSING=3

say() { echo "with_postgres: $*" >&2; }

usage() {
    echo "usage: $0 COMMAND [ARGS...]   or   $0 --check" >&2
    exit 2
}

[ $# -gt 0 ] || usage

has_server() { [ -x "$1/postgres" ] && [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ]; }

find_bindir() {
    local dir
    if [ -n "${PG_BINDIR:-}" ]; then
        has_server "$PG_BINDIR" && echo "$PG_BINDIR"
        return
    fi
    # Debian's layout, one directory per major version: newest first.
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
        if has_server "$dir"; then
            echo "$dir"
            return
        fi
    done
    # pg_config may come from the client library headers alone, so check what it names.
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$dir" ] && has_server "$dir"; then
            echo "$dir"
            return
        fi
    fi
}

BINDIR=$(find_bindir || true)
if [ -z "$BINDIR" ]; then
    say "no PostgreSQL server binaries found (looked for postgres, initdb and pg_ctl in" \
        "${PG_BINDIR:-/usr/lib/postgresql/*/bin and pg_config --bindir})." \
        "On Debian: apt-get install postgresql"
    exit "$MISSING"
fi

AS_ROOT=false
if [ "$(id -u)" -eq 0 ]; then
    AS_ROOT=true
    # initdb and pg_ctl refuse to run as root.
    if ! id -u postgres >/dev/null 2>&1; then
        say "running as root, but there is no 'postgres' system user to run the server as" \
            "(the Debian postgresql package creates it)."
        exit "$MISSING"
    fi
fi

if [ "$1" = "--check" ]; then
    say "PostgreSQL server binaries: $BINDIR"
    exit 0
fi

# Runs a server program as the user that may run it, from inside the temp dir (the
# postgres user may not be allowed into the caller's working directory).
as_pg() {
    if $AS_ROOT; then
        (cd "$WORKDIR" && runuser -u postgres -- "$@")
    else
        (cd "$WORKDIR" && "$@")
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

STARTED=false
WORKDIR=""
KEEP=false

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if $STARTED; then
        local pid i
        pid=$(head -n 1 "$WORKDIR/data/postmaster.pid" 2>/dev/null || true)
        as_pg "$BINDIR/pg_ctl" -D "$WORKDIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || as_pg "$BINDIR/pg_ctl" -D "$WORKDIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || say "could not stop the cluster in $WORKDIR/data"
        # pg_ctl detached the server, so init reaps it: wait until it is really gone, so
        # that nothing of the cluster outlives this script.
        for i in $(seq 100); do
            [ -n "$pid" ] && [ -e "/proc/$pid" ] || break
            sleep 0.1
        done
    fi
    if [ -n "$WORKDIR" ] && ! $KEEP; then
        rm -rf "$WORKDIR"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${WITH_POSTGRES_KEEP:-}" ]; then
    KEEP=true
    mkdir -p "$WITH_POSTGRES_KEEP"
    WORKDIR=$(cd "$WITH_POSTGRES_KEEP" && pwd)
    if $AS_ROOT; then
        chown postgres: "$WORKDIR"
    fi
# A short path: the Unix socket's full name must stay under ~100 characters. As root the
# directory must be one the postgres user can reach, so it is always under /tmp then.
elif $AS_ROOT; then
    WORKDIR=$(mktemp -d /tmp/with_postgres.XXXXXX)
    chown postgres: "$WORKDIR"
else
    WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/with_postgres.XXXXXX")
fi

if [ ! -f "$WORKDIR/data/PG_VERSION" ]; then
    as_pg mkdir -p "$WORKDIR/socket"
    # A UTF-8 character type: text search only treats Cyrillic and other non-ASCII
    # letters as letters under one.
    as_pg "$BINDIR/initdb" --pgdata="$WORKDIR/data" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$WORKDIR/initdb.log" 2>&1 || {
        say "initdb failed:"
        cat "$WORKDIR/initdb.log" >&2
        exit 1
    }
    cat >>"$WORKDIR/data/postgresql.conf" <<CONF

# with_postgres.sh: a throw-away cluster, so durability is traded for speed.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORKDIR/socket'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    if [ -n "${WITH_POSTGRES_CONF:-}" ]; then
        printf '%s\n' "$WITH_POSTGRES_CONF" >>"$WORKDIR/data/postgresql.conf"
    fi
fi

# Another process may take the free port between the pick and the start: try again then.
for attempt in 1 2 3; do
    PORT=$(free_port)
    if as_pg "$BINDIR/pg_ctl" -D "$WORKDIR/data" -l "$WORKDIR/postgres.log" -w -t 60 \
        -o "-p $PORT" start >/dev/null; then
        STARTED=true
        break
    fi
    say "the server did not start on port $PORT (attempt $attempt):"
    tail -n 20 "$WORKDIR/postgres.log" >&2 || true
done
if ! $STARTED; then
    exit 1
fi

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
export PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=postgres PGDATABASE=postgres
say "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, data in $WORKDIR"

status=0
"$@" || status=$?
exit "$status"
