#!/usr/bin/env bash
# Base images for CI, made here because no container registry can be reached:
#   python:3.12-slim      Debian bookworm (minbase) + this machine's pyenv Python 3.12 in
#                         /usr/local, as the official image has it; the unchanged FROM resolves
#   ci-standin/postgres   Debian bookworm's PostgreSQL, official-image-like entrypoint
#   ci-standin/redis      Debian bookworm's Redis 7
#   ci-standin/nginx      Debian bookworm's nginx, official-image-like template rendering
# Packages come from the apt sources this machine is configured with, read here at run time.
# The machine's extra CA certificates go into every image, so pip works inside builds.
# Usage: build.sh python|services WORKDIR   (needs root, mmdebstrap, and DOCKER_HOST pointing
# at the engine). .ci/docker.sh makes the services' images while the app's image builds.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WHICH=$1
WORK=$2
mkdir -p "$WORK"

# The machine's apt sources, wherever its apt configuration says they are.
eval "$(apt-config shell SOURCE_LIST Dir::Etc::sourcelist/f SOURCE_PARTS Dir::Etc::sourceparts/d)"
SOURCES=()
if [ -s "$SOURCE_LIST" ] && grep -q '^deb ' "$SOURCE_LIST"; then SOURCES+=("$SOURCE_LIST"); fi
for f in "$SOURCE_PARTS"*.list "$SOURCE_PARTS"*.sources; do
  [ -s "$f" ] && SOURCES+=("$f")
done
[ "${#SOURCES[@]}" -gt 0 ] || { echo "no apt sources found" >&2; exit 1; }
# And the options that make them usable here (e.g. an archive snapshot's old Release dates).
APTOPTS=()
while IFS= read -r opt; do APTOPTS+=(--aptopt="$opt"); done < <(
  apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date) ' || true)
# The machine's own CA certificates (a TLS-terminating egress proxy signs with one of them).
EXTRA_CA=$(ls /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)

SLIM=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias')
CA_HOOK=(--customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"')
for crt in $EXTRA_CA; do
  CA_HOOK+=(--customize-hook="cp $crt \"\$1/usr/local/share/ca-certificates/\"")
done
CA_HOOK+=(--customize-hook='chroot "$1" update-ca-certificates >/dev/null')

# merged /usr without the usrmerge package (and the 50 MB of Perl it pulls in); dpkg without
# fsync where eatmydata is installed.
HOOKS=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
if [ -x /usr/bin/eatmydata ]; then HOOKS+=(--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata); fi

debootstrap_to() {  # debootstrap_to TARBALL PACKAGES [HOOKS...]
  local out=$1 packages=$2; shift 2
  mmdebstrap --quiet --variant=minbase --aptopt='APT::Install-Recommends "false"' \
    --include="ca-certificates,$packages" "${HOOKS[@]}" "${SLIM[@]}" "${APTOPTS[@]}" \
    "${CA_HOOK[@]}" "$@" bookworm "$out" "${SOURCES[@]}"
}

make_python() {
  # --- python:3.12-slim -------------------------------------------------------------------------
  PYENV_PY=${PYENV_PY:-$(ls -d "$HOME"/.pyenv/versions/3.12.* 2>/dev/null | sort -V | tail -1)}
  [ -x "$PYENV_PY/bin/python3.12" ] || { echo "no pyenv Python 3.12 on this machine" >&2; exit 1; }
  # As the official slim image: no test suite, no Tk, no bytecode, no static library.
  PY_TREE=$WORK/python
  rm -rf "$PY_TREE" && mkdir -p "$PY_TREE"
  cp -a "$PYENV_PY"/. "$PY_TREE"/
  rm -rf "$PY_TREE"/lib/python3.12/test "$PY_TREE"/lib/python3.12/idlelib \
    "$PY_TREE"/lib/python3.12/tkinter "$PY_TREE"/lib/python3.12/turtledemo \
    "$PY_TREE"/lib/python3.12/lib-dynload/_tkinter* "$PY_TREE"/share \
    "$PY_TREE"/lib/python3.12/site-packages/_sandboxing_*
  find "$PY_TREE" -depth \( -name __pycache__ -o -name '*.pyc' -o -name 'libpython*.a' \
    -o -name tests -o -name idle_test \) -exec rm -rf {} +
  # pyenv builds with debug symbols: 50 MB of the 70 that matter here.
  find "$PY_TREE" -name '*.so*' -type f -exec strip --strip-unneeded {} +
  strip --strip-unneeded "$PY_TREE/bin/python3.12"
  # Scripts name the interpreter by its pyenv path; inside the image it is /usr/local/bin.
  grep -rlI "^#!$PYENV_PY/bin/python" "$PY_TREE/bin" | while read -r script; do
    sed -i "1s|^#!.*|#!/usr/local/bin/python3.12|" "$script"
  done
  ln -sf python3.12 "$PY_TREE/bin/python"
  ln -sf pip3.12 "$PY_TREE/bin/pip" 2>/dev/null || true
  debootstrap_to "$WORK/python.tar" \
    "libssl3,libffi8,libsqlite3-0,libbz2-1.0,liblzma5,libreadline8,libncursesw6,zlib1g,libexpat1,libuuid1,libgdbm6,libgdbm-compat4,libnsl2,libtirpc3,netbase,tzdata" \
    --customize-hook="cp -a $PY_TREE/. \"\$1/usr/local/\"" \
    --customize-hook='chroot "$1" ldconfig' \
    --customize-hook='chroot "$1" /usr/local/bin/python3.12 -c "import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, readline"'
  docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' \
    "$WORK/python.tar" python:3.12-slim >/dev/null
  rm -f "$WORK/python.tar"
  rm -rf "$PY_TREE"
}

make_services() {
  # --- PostgreSQL, Redis, nginx: one Debian root, three images ------------------------------
  debootstrap_to "$WORK/services.tar" "postgresql,redis-server,nginx-light,gettext-base,curl" \
    --customize-hook="cp $HERE/postgres-entrypoint.sh \"\$1/usr/local/bin/postgres-entrypoint\"" \
    --customize-hook="cp $HERE/nginx-entrypoint.sh \"\$1/usr/local/bin/nginx-entrypoint\"" \
    --customize-hook='rm -f "$1"/etc/nginx/sites-enabled/* "$1"/etc/postgresql/*/main/*.conf' \
    --customize-hook='rm -rf "$1"/var/lib/postgresql/*/main "$1"/etc/postgresql/*' \
    --customize-hook='ln -sf /dev/stdout "$1/var/log/nginx/access.log"' \
    --customize-hook='ln -sf /dev/stderr "$1/var/log/nginx/error.log"'
  PGBIN=$(tar -tf "$WORK/services.tar" | grep -E '^\./usr/lib/postgresql/[0-9]+/bin/postgres$' | head -1)
  PGBIN=/${PGBIN#./}
  PGBIN=${PGBIN%/postgres}
  # One import of the root; the three images differ only in their configuration.
  docker import "$WORK/services.tar" ci-standin/services:latest >/dev/null
  docker build --quiet -t ci-standin/postgres:latest - >/dev/null <<EOF
FROM ci-standin/services:latest
ENV PATH=$PGBIN:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]
CMD ["postgres"]
EOF
  docker build --quiet -t ci-standin/redis:latest - >/dev/null <<'EOF'
FROM ci-standin/services:latest
USER redis
WORKDIR /var/lib/redis
CMD ["redis-server"]
EOF
  docker build --quiet -t ci-standin/nginx:latest - >/dev/null <<'EOF'
FROM ci-standin/services:latest
ENTRYPOINT ["/usr/local/bin/nginx-entrypoint"]
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
EOF
  rm -f "$WORK/services.tar"

  docker run --rm --network host --entrypoint sh ci-standin/services:latest -c \
    'echo "stand-ins: PostgreSQL $(ls /usr/lib/postgresql), $(redis-server --version | cut -d" " -f1-3), $(nginx -v 2>&1 | cut -d" " -f3)"'
}

case $WHICH in
  python) make_python ;;
  services) make_services ;;
  *) echo "usage: $0 python|services WORKDIR" >&2; exit 2 ;;
esac
