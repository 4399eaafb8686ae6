#!/usr/bin/env bash
# Throw-away PostgreSQL server for tests (CI and local).
#
#   .ci/postgres.sh start DIR   start a fresh cluster (or reuse the one running for DIR);
#                               prints its SQLAlchemy URL on stdout and writes it to DIR/url
#   .ci/postgres.sh url DIR     print the URL of the server running for DIR
#   .ci/postgres.sh stop DIR    stop the server, delete the cluster and DIR (DIR only if
#                               nothing else is in it); quietly does nothing if already stopped
#
# URL: postgresql+psycopg://careline@127.0.0.1:PORT/careline  (trust auth, superuser
# "careline", so tests may CREATE DATABASE). The cluster itself lives in
# /tmp/careline-pg.XXXXXX (path recorded in DIR/cluster) so that the unprivileged
# user "careline-pg" used when we are root can reach it wherever DIR is, and the
# unix socket path stays short. Settings trade durability for speed.
set -euo pipefail

die() { echo "!!! postgres.sh: $1" >&2; exit "${2:-1}"; }

find_bin() {  # directory holding initdb/pg_ctl/postgres, or nothing
    local p
    if p=$(command -v initdb) && command -v pg_ctl >/dev/null; then
        dirname "$(readlink -f "$p")"
    else
        ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true
    fi
}

as_pg() {  # postgres refuses to run as root
    if [[ $EUID -eq 0 ]]; then runuser -u careline-pg -- "$@"; else "$@"; fi
}

running() {  # DIR holds a cluster whose server is up
    [[ -f $DIR/cluster && -f $DIR/url ]] && as_pg "$BIN/pg_ctl" status -D "$(cat "$DIR/cluster")/data" >/dev/null 2>&1
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
    if running; then cat "$DIR/url"; return; fi
    stop_quietly  # leftovers of a killed session

    mkdir -p "$DIR"
    local cluster url port
    cluster=$(mktemp -d /tmp/careline-pg.XXXXXX)
    echo "$cluster" >"$DIR/cluster"
    if [[ $EUID -eq 0 ]]; then
        id -u careline-pg >/dev/null 2>&1 ||
            useradd -r -M -d /nonexistent -s /usr/sbin/nologin careline-pg 2>/dev/null ||
            id -u careline-pg >/dev/null || die "cannot create user careline-pg"
        chown careline-pg: "$cluster"
        chmod 755 "$cluster"  # socket usable by everyone
    fi
    as_pg "$BIN/initdb" -D "$cluster/data" -A trust -U careline --encoding=UTF8 --no-locale --no-sync \
        >"$cluster/initdb.log" 2>&1 || { cat "$cluster/initdb.log" >&2; die "initdb failed"; }
    cat >>"$cluster/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$cluster'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    # Take the first free port from 55432 up; retry if another process grabs it first.
    for ((port = 55432; port < 55632; port++)); do
        port_busy "$port" && continue
        if as_pg "$BIN/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -o "-p $port" -w -t 60 start >/dev/null 2>&1; then
            "$BIN/createdb" -h 127.0.0.1 -p "$port" -U careline careline || die "createdb failed"
            url="postgresql+psycopg://careline@127.0.0.1:$port/careline"
            echo "$url" >"$DIR/url"
            echo "$url"
            return
        fi
        tail -n 3 "$cluster/server.log" 2>/dev/null | grep -qi "could not bind\|could not create any TCP" ||
            { tail -n 20 "$cluster/server.log" >&2 || true; die "pg_ctl start failed"; }
    done
    die "no free port in 55432-55631"
}

stop_quietly() {
    [[ -f $DIR/cluster ]] || return 0
    local cluster
    cluster=$(cat "$DIR/cluster")
    if [[ -n $BIN && -d $cluster/data ]]; then
        as_pg "$BIN/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    [[ $cluster == /tmp/careline-pg.* ]] && rm -rf -- "$cluster"
    rm -f -- "$DIR/cluster" "$DIR/url"
}

[[ $# -eq 2 ]] || die "usage: $0 start|stop|url DIR" 2
DIR=$(realpath -m -- "$2")
cd /  # the server user may not be able to enter the caller's cwd

BIN=$(find_bin)
if [[ -z $BIN && $1 == start && $EUID -eq 0 ]]; then
    echo "postgres.sh: installing PostgreSQL with apt-get ..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 || true
    BIN=$(find_bin)
fi
case $1 in
    start)
        [[ -n $BIN ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found and could not be installed" 3
        start ;;
    url) [[ -n $BIN ]] && running || die "no server running for $DIR"; cat "$DIR/url" ;;
    stop) stop_quietly; [[ ! -d $DIR ]] || rmdir -- "$DIR" 2>/dev/null || echo "postgres.sh: left non-empty $DIR" >&2 ;;
    *) die "usage: $0 start|stop|url DIR" 2 ;;
esac
