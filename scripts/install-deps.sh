#!/usr/bin/env bash
# Installs what building, running and testing the modules needs, from
# Debian's archive only.  Idempotent: a second run installs nothing.
#
# Test::Nginx is not in bookworm; Debian's unstable archive packages it
# (libtest-nginx-perl, arch all, every dependency in bookworm).  We fetch
# that one .deb through a private apt source list so the system's apt
# configuration is left untouched.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
work=${MOBILITY_DEPS_DIR:-$top/.deps}

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd="sudo"
fi

pkgs="nginx nginx-dev libnginx-mod-http-echo libssl-dev libjansson-dev
      liblmdb-dev lmdb-utils libxml2-dev libnghttp2-dev dpkg-dev gcc clang make openssl
      curl valgrind perl libtest-base-perl libtext-diff-perl
      liblist-moreutils-perl libwww-perl liburi-perl libipc-run-perl
      libhttp-message-perl libtest-longstring-perl procps
      python3 python3-cryptography python3-h2 libxml-libxml-perl strace"

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
         | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq \
        --no-install-recommends $missing
fi

# Debian's nginx package starts a service on port 80 where it can; our
# demo and tests run their own nginx, so leave a system one alone.

if ! perl -MTest::Nginx::Socket -e 1 2>/dev/null; then
    echo "install-deps: fetching libtest-nginx-perl from Debian unstable"
    src_uri=$(awk '/^URIs:/{print $2; exit}' \
              /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    if [ -z "$src_uri" ]; then
        src_uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
    fi
    d=$work/aptsid
    mkdir -p "$d/parts" "$d/lists/partial" "$d/cache/archives/partial"
    printf 'Types: deb\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$src_uri" > "$d/parts/sid.sources"
    o="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$d/parts"
    o="$o -o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache"
    # shellcheck disable=SC2086
    $sudo_cmd apt-get $o update -qq
    rm -f "$d"/libtest-nginx-perl_*_all.deb
    # shellcheck disable=SC2086
    (cd "$d" && apt-get $o download libtest-nginx-perl)
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq \
        --no-install-recommends "$d"/libtest-nginx-perl_*_all.deb
fi

echo "install-deps: Test::Nginx $(dpkg-query -W -f='${Version}' libtest-nginx-perl 2>/dev/null || echo '?'), nginx $(dpkg-query -W -f='${Version}' nginx)"
