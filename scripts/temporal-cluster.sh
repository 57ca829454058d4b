#!/usr/bin/env bash
# A production-shaped Temporal here: two server processes (all four services in each) sharing one
# PostgreSQL, as a platform team would run it, for test/production and `bench:scale -- --temporal cluster`.
#
#   scripts/temporal-cluster.sh build        build the server and its SQL schema tool, install PostgreSQL
#                                            (the two halves alone: `server`, `postgresql`)
#   scripts/temporal-cluster.sh start DIR    start what is not running (PostgreSQL, server 1, server 2),
#                                            create the schemas, the namespace and our search attributes,
#                                            and wait until both frontends answer
#   scripts/temporal-cluster.sh stop DIR     kill both servers and stop PostgreSQL
#
# The server is go.temporal.io/server v1.29.1 (the one the Temporal CLI v1.5.1 of scripts/temporal-server.sh
# embeds), `cmd/server` and `cmd/tools/sql`, built by a pinned `go install` into a cache outside the
# repo keyed by the version, with the module's PostgreSQL schema files beside them. PostgreSQL is
# Debian's package (installed with apt-get as root or through sudo when missing), its database in
# DIR/postgresql, run as the postgres user when started by root; both the default store and SQL
# advanced visibility use the postgres12 plugin. Each process's config is deploy/temporal-server.yaml
# with its ports filled in; the dynamic config is deploy/temporal-dynamicconfig.yaml.
#
# Ports (all on 127.0.0.1): TEMPORAL_CLUSTER_PORT = P (default 7300) for PostgreSQL; server N (1, 2)
# frontend P+10N-9 (7301, 7311), its HTTP port +1, history +2, matching +3, worker +4. The membership
# ports of server N's four services are M+10N-10..+3, M = TEMPORAL_CLUSTER_MEMBERSHIP_PORT (default P+20):
# all below 32768 (the PostgreSQL schema keeps them in a smallint).
# DIR/addresses lists the two frontends; DIR/server-N/{pid,server.log}; DIR/postgresql/{data,postgres.log}
# (a link to the postgres user's home when that user cannot reach DIR).
# Settings (environment): TEMPORAL_CLUSTER_PORT, TEMPORAL_NAMESPACE (default), TEMPORAL_LOG_LEVEL (warn),
# K8S_RU_CACHE (~/.cache/k8s-rolling-upgrade).
set -euo pipefail

TEMPORAL_SERVER_VERSION=v1.29.1
CACHE=${K8S_RU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-rolling-upgrade}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$CACHE/temporal-server-$TEMPORAL_SERVER_VERSION
BASE=${TEMPORAL_CLUSTER_PORT:-7300}
MEMBERSHIP=${TEMPORAL_CLUSTER_MEMBERSHIP_PORT:-$((BASE + 20))}
NS=${TEMPORAL_NAMESPACE:-default}
# The same search attributes as the dev server's (scripts/temporal-server.sh; model/search.ts).
SEARCH_ATTRIBUTES=(UpgradeCluster UpgradeTargetVersion UpgradePhase)

as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else
    echo "temporal-cluster: PostgreSQL is missing: install Debian's package (apt-get install postgresql) as root" >&2
    return 1
  fi
}

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [[ -x $dir/pg_ctl ]] && { echo "$dir"; return; }; done
  return 1
}

# apt-get waits for the dpkg lock (scripts/chromium.sh may install at the same time in .ci/run).
install_postgresql() {
  pg_bin >/dev/null && return 0
  echo "installing Debian's postgresql package (first time only)" >&2
  local start=$SECONDS apt=(apt-get -o DPkg::Lock::Timeout=600 -qq)
  for _ in 1 2 3 4 5; do as_root "${apt[@]}" update >&2 && break; sleep 10; done
  DEBIAN_FRONTEND=noninteractive as_root "${apt[@]}" install -y --no-install-recommends postgresql >/dev/null
  pg_bin >/dev/null || { echo "temporal-cluster: postgresql installed but no pg_ctl under /usr/lib/postgresql" >&2; return 1; }
  echo "installed PostgreSQL in $((SECONDS - start)) s" >&2
}

build_server() {
  if [[ ! -x $BUILD/bin/temporal-server || ! -x $BUILD/bin/temporal-sql-tool || ! -d $BUILD/schema ]]; then
    echo "building the Temporal server $TEMPORAL_SERVER_VERSION from the Go module proxy into $BUILD (first time only, several minutes)" >&2
    local start=$SECONDS tmp=$BUILD.tmp
    rm -rf "$tmp" && mkdir -p "$tmp"
    GOBIN=$tmp/bin CGO_ENABLED=0 GOFLAGS=-trimpath go install \
      "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
      "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" >&2
    mv "$tmp/bin/server" "$tmp/bin/temporal-server" && mv "$tmp/bin/sql" "$tmp/bin/temporal-sql-tool"
    local module
    module=$(go env GOMODCACHE)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION
    cp -R "$module/schema/postgresql" "$tmp/schema" && chmod -R u+w "$tmp/schema"
    rm -rf "$BUILD" && mv "$tmp" "$BUILD"
    echo "built the Temporal server in $((SECONDS - start)) s" >&2
  fi
}

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
# Runs a PostgreSQL command as the postgres user when we are root (it refuses to run as root).
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# PostgreSQL's folder: DIR/postgresql, or, when root started us in a folder the postgres user cannot
# reach (a home folder of mode 700), a folder in that user's home which DIR/postgresql links to.
pg_folder() {
  local dir=$1
  if [[ $(id -u) == 0 && ! -e $dir/postgresql ]] && ! runuser -u postgres -- test -x "$dir"; then
    local elsewhere
    elsewhere=$(getent passwd postgres | cut -d: -f6)/k8s-rolling-upgrade/$(printf %s "$dir" | md5sum | cut -c1-16)
    rm -rf "$elsewhere" && mkdir -p "$elsewhere"
    ln -s "$elsewhere" "$dir/postgresql"
  fi
  readlink -f "$dir/postgresql"
}

start_postgresql() {
  local pg bin
  bin=$(pg_bin) || { echo "temporal-cluster: PostgreSQL is not installed: run \`$0 build\` first" >&2; return 1; }
  pg=$(pg_folder "$1")
  if [[ ! -f $pg/data/PG_VERSION ]]; then
    rm -rf "$pg" && mkdir -p "$pg"
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$pg/password"
    chmod 600 "$pg/password"
    if [[ $(id -u) == 0 ]]; then chown -R postgres: "$pg"; fi
    as_pg "$bin/initdb" -D "$pg/data" -U temporal --pwfile="$pg/password" --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 >"$pg/initdb.log" 2>&1 ||
      { cat "$pg/initdb.log" >&2; return 1; }
    printf '%s\n' "listen_addresses = '127.0.0.1'" "port = $BASE" "unix_socket_directories = '$pg/data'" \
      "max_connections = 200" | as_pg tee -a "$pg/data/postgresql.conf" >/dev/null
  fi
  if as_pg "$bin/pg_ctl" -D "$pg/data" status >/dev/null 2>&1; then return 0; fi
  as_pg "$bin/pg_ctl" -D "$pg/data" -l "$pg/postgres.log" -w -t 60 start >/dev/null ||
    { echo "PostgreSQL did not start; its log ($pg/postgres.log):" >&2; tail -20 "$pg/postgres.log" >&2; return 1; }
}

# The default and visibility databases, each at the newest schema version of the server's files.
create_schemas() {
  local dir=$1 store
  [[ -f $dir/postgresql/schema-$TEMPORAL_SERVER_VERSION ]] && return 0
  for store in temporal visibility; do
    local db=temporal_visibility
    [[ $store == temporal ]] && db=temporal
    local sql=("$BUILD/bin/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p "$BASE" -u temporal
      --pw "$(cat "$dir/postgresql/password")" --db "$db")
    { "${sql[@]}" create-database && "${sql[@]}" setup-schema -v 0.0 &&
      "${sql[@]}" update-schema -d "$BUILD/schema/v12/$store/versioned"; } >>"$dir/schema.log" 2>&1 ||
      { echo "creating the $store schema failed; log: $dir/schema.log" >&2; tail -20 "$dir/schema.log" >&2; return 1; }
  done
  touch "$dir/postgresql/schema-$TEMPORAL_SERVER_VERSION"
}

frontend() { echo "127.0.0.1:$((BASE + 10 * $1 - 9))"; }

start_server() {
  local dir=$1 n=$2 p=$((BASE + 10 * $2 - 9)) m=$((MEMBERSHIP + 10 * $2 - 10))
  local home=$dir/server-$n
  alive "$home/pid" && return 0
  mkdir -p "$home/config"
  TEMPORAL_PG_PORT=$BASE TEMPORAL_PG_PASSWORD=$(cat "$dir/postgresql/password") \
    TEMPORAL_FRONTEND_PORT=$p TEMPORAL_FRONTEND_HTTP_PORT=$((p + 1)) TEMPORAL_HISTORY_PORT=$((p + 2)) \
    TEMPORAL_MATCHING_PORT=$((p + 3)) TEMPORAL_WORKER_PORT=$((p + 4)) \
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT=$m TEMPORAL_HISTORY_MEMBERSHIP_PORT=$((m + 1)) \
    TEMPORAL_MATCHING_MEMBERSHIP_PORT=$((m + 2)) TEMPORAL_WORKER_MEMBERSHIP_PORT=$((m + 3)) \
    TEMPORAL_CLUSTER_FRONTEND=$(frontend 1) TEMPORAL_DYNAMIC_CONFIG=$ROOT/deploy/temporal-dynamicconfig.yaml \
    TEMPORAL_LOG_LEVEL=${TEMPORAL_LOG_LEVEL:-warn} \
    perl -pe 's/\$\{(\w+)\}/exists $ENV{$1} ? $ENV{$1} : die "no value for \${$1}\n"/ge unless /^\s*#/' \
    "$ROOT/deploy/temporal-server.yaml" >"$home/config/production.yaml"
  setsid "$BUILD/bin/temporal-server" --root / --config "$home/config" --env production --allow-no-auth start \
    >>"$home/server.log" 2>&1 </dev/null &
  echo $! >"$home/pid"
}

temporal_cli() { bash "$ROOT/scripts/temporal-server.sh" cli; }

# Waits until `what` succeeds against server n's frontend (or the process dies, or 120 s pass).
await_server() {
  local dir=$1 n=$2 what=$3 deadline=$((SECONDS + 120))
  shift 3
  until "$@" --address "$(frontend "$n")" >/dev/null 2>&1; do
    if ! alive "$dir/server-$n/pid"; then
      echo "Temporal server $n exited during start; its log ($dir/server-$n/server.log):" >&2
      tail -20 "$dir/server-$n/server.log" >&2
      return 1
    fi
    ((SECONDS > deadline)) && { echo "Temporal server $n ($(frontend "$n")): $what not ready within 120 s" >&2; return 1; }
    sleep 0.5
  done
}

# The search attributes not yet listed by the frontend at $1 (none: prints nothing).
missing_search_attributes() {
  local list sa
  list=$("$cli" operator search-attribute list --address "$1" -n "$NS" -o json 2>/dev/null) || { echo "${SEARCH_ATTRIBUTES[*]}"; return; }
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do grep -q "\"$sa\"" <<<"$list" || echo "$sa"; done
}

# Registers them, all in one request (requests made close together can overwrite each other's), and
# waits until both frontends list them (each caches them for a while).
register_search_attributes() {
  local dir=$1 deadline=$((SECONDS + 120)) n missing sa
  for n in 1 2; do
    while missing=$(missing_search_attributes "$(frontend "$n")") && [[ -n $missing ]]; do
      ((SECONDS > deadline)) && { echo "Temporal server $n does not list the search attributes $missing within 120 s" >&2; return 1; }
      local names=()
      for sa in $missing; do names+=(--name "$sa"); done
      "$cli" operator search-attribute create --address "$(frontend 1)" -n "$NS" "${names[@]}" --type Keyword \
        >/dev/null 2>&1 || true
      sleep 1
    done
  done
}

start() {
  local dir=${1:?usage: $0 start DIR}
  if ((MEMBERSHIP + 13 > 32767)); then
    echo "temporal-cluster: membership ports $MEMBERSHIP..$((MEMBERSHIP + 13)) go past 32767 (PostgreSQL keeps them in a smallint): set TEMPORAL_CLUSTER_MEMBERSHIP_PORT lower" >&2
    return 2
  fi
  build_server
  install_postgresql
  cli=$(temporal_cli)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  start_postgresql "$dir"
  create_schemas "$dir"
  # One after the other: on a new database the first one writes the cluster's metadata.
  local n
  for n in 1 2; do
    start_server "$dir" "$n"
    await_server "$dir" "$n" health "$cli" operator cluster health
  done
  printf '%s\n' "$(frontend 1)" "$(frontend 2)" >"$dir/addresses"
  if ! "$cli" operator namespace describe --address "$(frontend 1)" -n "$NS" >/dev/null 2>&1; then
    "$cli" operator namespace create --address "$(frontend 1)" -n "$NS" --retention 72h >/dev/null
  fi
  for n in 1 2; do await_server "$dir" "$n" "namespace $NS" "$cli" operator namespace describe -n "$NS"; done
  register_search_attributes "$dir"
  echo "Temporal servers on $(frontend 1) and $(frontend 2) (namespace $NS, PostgreSQL 127.0.0.1:$BASE, state $dir)" >&2
}

kill_server() {
  local pidfile=$1
  alive "$pidfile" && kill -KILL "$(cat "$pidfile")" 2>/dev/null
  while alive "$pidfile"; do sleep 0.1; done
  rm -f "$pidfile"
}

stop() {
  local dir=${1:?usage: $0 stop DIR} bin
  kill_server "$dir/server-1/pid"
  kill_server "$dir/server-2/pid"
  if [[ -f $dir/postgresql/data/postmaster.pid ]] && bin=$(pg_bin); then
    as_pg "$bin/pg_ctl" -D "$(readlink -f "$dir/postgresql")/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

case ${1:-} in
  build) build_server && install_postgresql ;;
  server) build_server ;;
  postgresql) install_postgresql ;;
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 build | server | postgresql | start DIR | stop DIR" >&2; exit 2 ;;
esac
