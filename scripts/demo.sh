#!/usr/bin/env bash
# The demo: install what is missing, build, write the synthetic data set, run
# the quickstart grid on 2 MPI ranks and print its report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/mpienv.sh
mkdir -p build/demo
build/dett data synth -o build/demo/synth.h5
rm -f build/demo/quickstart.h5
mpirun -np 2 build/dett run experiments/quickstart.lua -o build/demo/quickstart.h5
build/dett report build/demo/quickstart.h5 --plots build/demo/plots
