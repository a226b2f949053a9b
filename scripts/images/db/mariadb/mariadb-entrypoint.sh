#!/usr/bin/env bash
# A faithful subset of the official mariadb (and mysql) image's entrypoint:
# MARIADB_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD (or *_ALLOW_EMPTY_ROOT_PASSWORD),
# MARIADB_/MYSQL_DATABASE, _USER, _PASSWORD, the *_FILE variants,
# /docker-entrypoint-initdb.d, data in /var/lib/mysql.
# With DB_FLAVOUR=mysql it behaves like the official mysql image: root@localhost
# authenticates by password only (the mariadb image also accepts unix_socket).
set -Eeuo pipefail
. /usr/local/bin/entrypoint-lib.sh

datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock
if [ "${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi

# sql_string VALUE: VALUE as a quoted SQL string literal.
sql_string() {
  local v=${1//\\/\\\\}
  printf "'%s'" "${v//\'/\\\'}"
}

# env_either MARIADB_X MYSQL_X: the first one set wins, as in the official image.
env_either() {
  file_env "$1"; file_env "$2"
  if [ -n "${!1}" ]; then printf '%s' "${!1}"; else printf '%s' "${!2}"; fi
}

init_database() {
  local root_password database user password allow_empty
  root_password=$(env_either MARIADB_ROOT_PASSWORD MYSQL_ROOT_PASSWORD)
  allow_empty=$(env_either MARIADB_ALLOW_EMPTY_ROOT_PASSWORD MYSQL_ALLOW_EMPTY_PASSWORD)
  database=$(env_either MARIADB_DATABASE MYSQL_DATABASE)
  user=$(env_either MARIADB_USER MYSQL_USER)
  password=$(env_either MARIADB_PASSWORD MYSQL_PASSWORD)
  if [ -z "$root_password" ] && [ -z "$allow_empty" ]; then
    echo >&2 "error: database is uninitialized and password option is not specified"
    echo >&2 "       You need to specify one of MARIADB_ROOT_PASSWORD or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD"
    exit 1
  fi

  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=normal --skip-name-resolve >/dev/null
  mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket="$socket" &
  local pid=$!
  for _ in $(seq 1 60); do
    mysqladmin --socket="$socket" ping >/dev/null 2>&1 && break
    sleep 0.5
  done

  local rootauth="PASSWORD($(sql_string "$root_password"))"
  local sql="SET @@SESSION.SQL_LOG_BIN=0;
DELETE FROM mysql.global_priv WHERE user='' OR (user='root' AND host NOT IN ('localhost'));
FLUSH PRIVILEGES;"
  if [ "${DB_FLAVOUR:-mariadb}" = mysql ]; then
    sql+="ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING $rootauth;"
  else
    sql+="ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING $rootauth OR unix_socket;"
  fi
  sql+="CREATE USER root@'%' IDENTIFIED BY $(sql_string "$root_password");
GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;"
  if [ -n "$database" ]; then
    sql+="CREATE DATABASE IF NOT EXISTS \`$database\`;"
  fi
  if [ -n "$user" ] && [ -n "$password" ]; then
    sql+="CREATE USER $(sql_string "$user")@'%' IDENTIFIED BY $(sql_string "$password");"
    [ -n "$database" ] && sql+="GRANT ALL ON \`$database\`.* TO $(sql_string "$user")@'%';"
  fi
  mysql --protocol=socket --socket="$socket" -uroot <<<"$sql"
  run_initdb_scripts mysql --protocol=socket --socket="$socket" -uroot "--password=$root_password" ${database:+"$database"}
  kill "$pid"
  wait "$pid" || true
  echo "MariaDB init process done. Ready for start up."
}

if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
  mkdir -p /run/mysqld
  chown -R mysql:mysql /run/mysqld "$datadir"
  if [ ! -d "$datadir/mysql" ]; then
    init_database
  fi
  exec "$@" --user=mysql
fi
exec "$@"
