# shellcheck shell=bash
# Sourced by scripts/browser-setup and scripts/screenshots: Debian's Chromium and a Japanese
# font (without one every kana and kanji renders as a box), installed with apt when missing.
# Every step fails loudly: a browser that could not be installed must fail the run, never
# quietly skip the tests that need it.

# apt_install PACKAGE...: installs Debian packages; on a fresh machine (no package lists yet)
# it refreshes the lists once and tries again.
apt_install() {
  echo "installing $* (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get install -y -qq "$@" >&2; then
    return 0
  fi
  echo "apt-get install failed; refreshing the package lists and trying once more" >&2
  if apt-get update -qq >&2 && apt-get install -y -qq "$@" >&2; then
    return 0
  fi
  echo "ERROR: could not install $* with apt-get (run as root, with Debian's package mirrors reachable)" >&2
  return 1
}

# deb_installed PACKAGE: whether dpkg has the package fully installed.
deb_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

# ensure_chromium: /usr/bin/chromium and fonts-noto-cjk, installed when missing.
ensure_chromium() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  deb_installed fonts-noto-cjk || missing+=(fonts-noto-cjk)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}" || return 1
  fi
  if ! [ -x /usr/bin/chromium ] || ! deb_installed fonts-noto-cjk; then
    echo "ERROR: /usr/bin/chromium or fonts-noto-cjk is still missing after apt-get install" >&2
    return 1
  fi
}
