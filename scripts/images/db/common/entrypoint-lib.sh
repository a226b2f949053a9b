# Shared by the test images' entrypoints. Mirrors helpers of the official images.

# file_env VAR [DEFAULT]: like the official images, VAR may instead be given as
# VAR_FILE, the path of a file (e.g. a Docker secret) holding the value.
file_env() {
  local var=$1 def=${2:-}
  local file_var=${var}_FILE
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo >&2 "error: both $var and $file_var are set (they are exclusive)"
    exit 1
  fi
  local val=$def
  if [ -n "${!var:-}" ]; then
    val=${!var}
  elif [ -n "${!file_var:-}" ]; then
    val=$(<"${!file_var}")
  fi
  export "$var"="$val"
  unset "$file_var"
}

# run_initdb_scripts RUNNER: runs /docker-entrypoint-initdb.d/* like the official images;
# RUNNER is the command that reads an .sql file on stdin.
run_initdb_scripts() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh) echo "running $f"; . "$f" ;;
      *.sql) echo "running $f"; "$@" <"$f" ;;
      *.sql.gz) echo "running $f"; gunzip -c "$f" | "$@" ;;
      *) echo "ignoring $f" ;;
    esac
  done
}
