#!/usr/bin/env bash
# The demo: install what is missing, build, write the synthetic data set and
# train one ERM job on it with 2 MPI ranks, printing the per-group table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/mpienv.sh
mkdir -p build/demo
build/dett data synth -o build/demo/synth.h5
mpirun -np 2 build/dett train --data build/demo/synth.h5 --arch mlp:64,64 \
  --method erm --epochs 10 --batch 64 --lr 0.01 --seed 1
