#!/usr/bin/env bash
# cmake --install into a temporary prefix: what users and the Slurm recipe
# rely on is there and works; the README shows the batch script verbatim.
#   install.sh CMAKE BUILD_DIR SOURCE_DIR
set -u
CMAKE=$1; BUILD=$2; SRC=$3
fail() { echo "FAILED: $*"; exit 1; }
P=$PWD/prefix
rm -rf "$P"
"$CMAKE" --install "$BUILD" --prefix "$P" > install.log 2>&1 || { cat install.log; fail "install"; }
"$P/bin/dett" --version | grep -q "^dett " || fail "installed dett does not run"
for f in share/dett/experiments/quickstart.lua share/dett/experiments/paper_table.lua \
         share/dett/slurm/dett-grid.sbatch share/dett/scripts/fetch_mnist.sh \
         share/dett/scripts/make_cps1988.sh share/dett/scripts/mpienv.sh \
         share/man/man1/dett.1 share/doc/dett/README.md; do
  [ -s "$P/$f" ] || fail "$f not installed"
done
[ -x "$P/share/dett/scripts/fetch_mnist.sh" ] || fail "scripts not executable"
if command -v man > /dev/null; then
  MANWIDTH=80 man -l "$P/share/man/man1/dett.1" 2> man.err | grep -q "dett run" || { cat man.err; fail "man page"; }
  [ -s man.err ] && { cat man.err; fail "man page warnings"; }
fi
# the README's block after "`scripts/dett-grid.sbatch` (installed as" is the file
awk '/^`scripts\/dett-grid.sbatch` \(installed as/ { want = 1; next }
     want && /^```sh$/ { inb = 1; next }
     inb && /^```$/ { exit }
     inb { print }' "$SRC/README.md" > readme.sbatch
diff -u "$SRC/scripts/dett-grid.sbatch" readme.sbatch > sbatch.diff || { cat sbatch.diff; fail "README's Slurm script differs from scripts/dett-grid.sbatch"; }
echo "installed tree complete; README shows dett-grid.sbatch verbatim"
echo "1 passed, 0 failed"
