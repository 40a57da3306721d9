# Sourced by the scripts: Open MPI settings for this kind of machine.
# As root, Open MPI refuses to start unless both variables are set.
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# more ranks than cores is fine for correctness runs (never for timing)
export OMPI_MCA_rmaps_base_oversubscribe=1
# one BLAS thread per rank
export OPENBLAS_NUM_THREADS=1
