# Starts a throwaway PostgreSQL server (Debian `postgresql`) for a test: a fresh cluster in the
# test's scratch directory, listening on a free loopback port, stopped on exit. Sets PG_URL.
# Source after lib.sh. As root, the server runs as the `postgres` system user.
pg_start() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$bin/initdb" ] || { echo "FAIL PostgreSQL server not installed (make deps)"; exit 1; }
  local as=()
  PGDIR="$T/pg"
  mkdir -p "$PGDIR"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$T" "$PGDIR"
    chmod 711 "$T"
    as=(runuser -u postgres --)
  fi
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${as[@]}" "$bin/initdb" -D "$PGDIR/data" -U callguard -A trust --no-sync -E UTF8 >"$T/initdb.log" 2>&1 ||
    { cat "$T/initdb.log"; echo "FAIL initdb"; exit 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PGDIR -c fsync=off -c max_connections=100" start >/dev/null ||
    { cat "$PGDIR/server.log"; echo "FAIL PostgreSQL did not start"; exit 1; }
  PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$PGDIR/data" -m immediate stop)
  "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U callguard callguard
  PG_URL="postgresql://callguard@127.0.0.1:$PG_PORT/callguard?connect_timeout=5"
}
pg_stop() { [ -n "${PG_STOP[*]:-}" ] && "${PG_STOP[@]}" >/dev/null 2>&1; PG_STOP=(); }
