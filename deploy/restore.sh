#!/bin/sh
# Restore a backup made by deploy/backup.sh into the EMPTY database at DATABASE_URL (create it first:
# createdb -O homeostasis homeostasis). Refuses a database that already has tables: nothing is overwritten.
# Usage: deploy/restore.sh FILE.dump
set -eu
: "${DATABASE_URL:?DATABASE_URL is not set (source the environment file first)}"
file=${1:?usage: deploy/restore.sh FILE.dump}
url=$(printf '%s' "$DATABASE_URL" | sed -e 's#^postgresql+psycopg://#postgresql://#' -e 's#^postgres://#postgresql://#')
tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$url" \
  --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
  echo "restore.sh: the database already has $tables tables; restore into a new, empty database" >&2
  exit 1
fi
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$url" "$file"
echo "restored $file"
