#!/bin/sh
# Creates Temporal's two databases on PostgreSQL and brings their schemas to the version of the server binary that
# ships the schema files. Safe to re-run: an existing database is kept, and update-schema only applies what is
# missing. The one schema job for both users: docker-compose.yml's temporal-schema service (in the admin-tools
# image) and `npm run test:cluster` (with the tool and schema built from the Go module proxy).
#
#   POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, POSTGRES_PWD   the PostgreSQL server and Temporal's role there
#   DBNAME, VISIBILITY_DBNAME                              default temporal and temporal_visibility
#   SQL_TOOL                                               default temporal-sql-tool (on PATH)
#   SCHEMA_DIR                                             default /etc/temporal/schema/postgresql/v12
set -eu

: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS (the PostgreSQL host)}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${POSTGRES_PWD:?set POSTGRES_PWD}"
DB_PORT="${DB_PORT:-5432}"
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"
SQL_TOOL="${SQL_TOOL:-temporal-sql-tool}"
SCHEMA_DIR="${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"

# The password goes through the environment, never the command line (ps shows that to every user).
export SQL_PASSWORD="$POSTGRES_PWD"

sql() {
  db="$1"
  shift
  "$SQL_TOOL" --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port "$DB_PORT" --user "$POSTGRES_USER" \
    --database "$db" "$@"
}

for pair in "$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"; do
  db="${pair%%:*}"
  schema="${pair#*:}"
  if out=$(sql "$db" create-database 2>&1); then
    echo "created database $db"
  elif echo "$out" | grep -q 'already exists'; then
    echo "database $db exists"
  else
    echo "$out" >&2
    exit 1
  fi
  sql "$db" setup-schema -v 0.0
  sql "$db" update-schema -d "$SCHEMA_DIR/$schema/versioned"
  echo "schema $schema is current in $db"
done
