# Shared by the scripts: where the toolchain is, and how to install a Debian package once.

# Swift must be on PATH. A shell started without a login profile can miss the PATH entry the
# system profile adds for it, so that profile is read once before giving up.
ensure_swift() {
  if ! command -v swift >/dev/null 2>&1 && [ -r /etc/profile ]; then
    set +u
    # shellcheck disable=SC1091
    . /etc/profile >/dev/null 2>&1 || true
    set -u
  fi
  command -v swift >/dev/null 2>&1 || {
    echo "error: swift is not installed or not on PATH; install Swift 6 (https://www.swift.org/install) and retry" >&2
    exit 1
  }
}

apt_updated=no
# ensure_packages COMMAND PACKAGE...: installs PACKAGEs when COMMAND is missing.
ensure_packages() {
  local command=$1
  shift
  command -v "$command" >/dev/null 2>&1 || install_packages "$@"
}

# install_packages PACKAGE...: installs Debian packages (apt-get update once per script).
install_packages() {
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "error: $command is missing and this user cannot install $*; install them and retry" >&2
    exit 1
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  if [ "$apt_updated" = no ]; then
    $sudo apt-get update -qq
    apt_updated=yes
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
