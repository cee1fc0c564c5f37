#!/usr/bin/env bash
# Builds pyrometer against CPython 3.13 and runs the end-to-end suites (tests/python) there,
# inside a Debian trixie chroot (trixie's python3 is 3.13). The host stays on its own Python.
#
# The chroot is cached outside the repository (CI runs on a clean clone), in
# $PYROMETER_CHROOT (default /var/cache/pyrometer/trixie), and rebuilt when it is missing or
# when the package list below changed. Needs root (debootstrap, chroot, mounts); debootstrap
# is installed on the host with apt when missing. The source tree is bind-mounted at /src;
# the 3.13 wheel builds in build/wheel-cp313-* there, next to the host's cp311 build.
#
# Usage: scripts/py313-chroot.sh [pytest args...]   (default: tests/python -q)
set -euo pipefail
cd "$(dirname "$0")/.."
source_tree=$PWD

root=${PYROMETER_CHROOT:-/var/cache/pyrometer/trixie}
mirror=${PYROMETER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=trixie
# Everything the chroot needs; changing this list rebuilds the chroot. The build tools come
# from Debian (built for trixie's python3 = 3.13). numpy does not: Debian's is stripped of
# its symbol table, so the native tests could not name its functions; the PyPI wheel, like
# the host's, keeps it.
packages=(
  python3.13-dev python3.13-venv g++ cmake ninja-build pkg-config
  libunwind-dev libdw-dev libelf-dev libjemalloc-dev libfmt-dev
  pybind11-dev python3-pybind11 python3-scikit-build-core python3-pytest
)
stamp_text="debootstrap --variant=minbase $suite; packages: ${packages[*]}"
stamp=$root/etc/pyrometer-chroot.stamp
venv=/opt/pyrometer-venv  # inside the chroot

log() { echo "py313-chroot: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "error: needs root (debootstrap, chroot and bind mounts); run it as root or with sudo"
  exit 2
fi

mkdir -p "$(dirname "$root")"
# One user of the chroot at a time: a second run waits instead of sharing or rebuilding it.
exec 9>"$root.lock"
flock 9

# Mounts made by this run, innermost last; unmounted in reverse on every exit path.
mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
  done
  mounted=()
}
trap unmount_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mount_into() {  # mount_into CHROOT TARGET MOUNT-ARGS...
  local target=$1/$2
  shift 2
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
}

mount_system() {  # the kernel file systems a build and the tests need
  mount_into "$1" proc -t proc proc
  mount_into "$1" sys -t sysfs sysfs
  mount_into "$1" dev --bind /dev
  mount_into "$1" dev/pts --bind /dev/pts
  mount_into "$1" dev/shm -t tmpfs -o mode=1777 shm  # multiprocessing semaphores
}

# Refuses to delete a directory that still has something mounted under it (a bind-mounted
# /dev or source tree would be deleted with it).
remove_tree() {
  if grep -q " $1/" /proc/mounts || grep -q " $1 " /proc/mounts; then
    log "error: $1 still has mounts under it; not deleting it"
    exit 1
  fi
  rm -rf --one-file-system "$1"
}

build_chroot() {
  local new=$root.new
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the host"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  remove_tree "$new"
  log "debootstrap $suite into $new"
  debootstrap --variant=minbase "$suite" "$new" "$mirror" >"$root.log" 2>&1 \
    || { tail -n 30 "$root.log" >&2; log "error: debootstrap failed (log: $root.log)"; exit 1; }
  mount_system "$new"
  log "installing ${#packages[@]} packages"
  chroot "$new" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" && apt-get clean' \
    sh "${packages[@]}" >>"$root.log" 2>&1 \
    || { tail -n 30 "$root.log" >&2; log "error: apt-get install failed (log: $root.log)"; exit 1; }
  unmount_all
  echo "$stamp_text" >"$new/etc/pyrometer-chroot.stamp"
  remove_tree "$root"
  mv "$new" "$root"
}

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$stamp_text" ]; then
  build_chroot
fi

mount_system "$root"
mount_into "$root" src --bind "$source_tree"

# A clean environment: nothing of the host's Python, PATH or preloads leaks in.
in_chroot() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 CI="${CI:-}" \
    PATH=$venv/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# The venv sees Debian's pytest, pybind11 and scikit-build-core (system site packages);
# pyrometer itself must be installed into site-packages because the agent starts from a
# .pth file there.
in_chroot sh -c "[ -x $venv/bin/python ] || python3.13 -m venv --system-site-packages $venv"
# numpy's cp313 wheel is downloaded by the host's pip (set up for this machine's package
# index), kept next to the chroot, and installed into the venv once (the venv lives in the
# cached chroot).
if ! in_chroot python -c 'import numpy' 2>/dev/null; then
  wheels=$(dirname "$root")/wheels
  if ! compgen -G "$wheels/numpy-*-cp313-*.whl" >/dev/null; then
    log "downloading numpy for CPython 3.13 into $wheels"
    python3 -m pip download -q --disable-pip-version-check --only-binary=:all: \
      --python-version 3.13 --implementation cp --abi cp313 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 -d "$wheels" numpy
  fi
  mkdir -p "$root/opt/wheels"
  cp "$wheels"/numpy-*-cp313-*.whl "$root/opt/wheels/"
  in_chroot python -m pip install -q --disable-pip-version-check --no-index \
    --find-links /opt/wheels numpy
fi
log "building pyrometer for $(in_chroot $venv/bin/python -c 'import sys; print(sys.version.split()[0])')"
in_chroot sh -c "cd /src && python -m pip install -q --disable-pip-version-check --no-index \
  --no-build-isolation --no-deps --force-reinstall . >/tmp/pyrometer-pip.log 2>&1 \
  || { cat /tmp/pyrometer-pip.log; exit 1; }"
[ $# -gt 0 ] || set -- tests/python -q
# pytest's summary stays the last line of the output (CI reads it).
log "chroot and build ready after ${SECONDS}s; running pytest $*"
in_chroot sh -c 'cd /src && exec python -m pytest -p no:cacheprovider "$@"' sh "$@"
