#!/bin/sh
# Back up everything: one pg_dump of the database, which holds the lab files too (stored_files).
# Usage: deploy/backup.sh [DIRECTORY]   (default /var/backups/homeostasis); prints the file it wrote.
# Reads DATABASE_URL from the environment, e.g.  set -a; . /etc/homeostasis/homeostasis.env; set +a
set -eu
: "${DATABASE_URL:?DATABASE_URL is not set (source the environment file first)}"
url=$(printf '%s' "$DATABASE_URL" | sed -e 's#^postgresql+psycopg://#postgresql://#' -e 's#^postgres://#postgresql://#')
directory=${1:-/var/backups/homeostasis}
mkdir -p "$directory"
umask 077
file="$directory/homeostasis-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --no-privileges --file="$file.partial" "$url"
mv "$file.partial" "$file"
echo "$file"
