#!/usr/bin/env bash
# tests/export_torch.py on the archives e2e_export.sh left (exit 77: skipped
# when PyTorch is not installed)
SCRIPTS=$1; TESTS=$2
PYTHONPATH="$SCRIPTS" exec /usr/bin/python3 "$TESTS/export_torch.py" exp.h5 exp_synth.h5 \
  erm.npz dett.npz teacher.npz -- exp_images.h5 cnn.npz
