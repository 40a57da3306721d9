#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, and dett's batch script
# (scripts/dett-grid.sbatch, shown in README "On a Slurm cluster") run
# through it with sbatch, from an installed dett (cmake --install).
#
#   scripts/slurm-local.sh [--step all|grid|requeue|checkpoint] [--keep]
#
# Steps (default all: the three in turn):
#   grid        the installed quickstart grid on 2 tasks; must finish (25 jobs)
#               and write the LaTeX report
#   requeue     a 37-job grid (about 1.5-2 min of work) under --time=00:01:00:
#               Slurm signals the batch script 20 s before the limit
#               (--signal=B:TERM@20), the script requeues itself, and the next
#               allocation resumes from the results file, keeping the jobs
#               that finished; must end with every job done after 2 or more
#               allocations
#   checkpoint  two 1600-epoch teachers (each a minute of work or more) and a
#               student of each under the same limit with DETT_CHECKPOINTS=1:
#               the batch script lets dett checkpoint its running jobs on
#               SIGTERM before it requeues; every teacher must be stopped and
#               resume from its checkpoint (not from epoch 1), and every job's
#               results must be h5diff-identical to an uninterrupted mpirun
# Needs root (it starts munged, slurmctld and slurmd and installs slurm-wlm
# and munge when missing). Everything else lives under build/slurm/: the
# configuration (SLURM_CONF points there; /etc/slurm is not touched),
# state, logs, the dett installation (prefix/) and the work directory.
# The daemons are stopped on exit (--keep leaves them running).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STEP=all; KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --step) STEP=$2; shift 2 ;;
    --step=*) STEP=${1#--step=}; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "slurm-local: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "slurm-local: run as root (it starts the Slurm daemons)" >&2; exit 2; }
log() { echo "slurm-local: $*"; }
T0=$(date +%s)

# ---- packages and dett ----------------------------------------------------
for p in slurm-wlm munge; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge
    break
  fi
done
[ -x build/dett ] || scripts/setup.sh
S=$ROOT/build/slurm
PREFIX=$S/prefix
rm -rf "$PREFIX"
cmake --install build --prefix "$PREFIX" > /dev/null
export PATH=$PREFIX/bin:$PATH
log "installed $(dett --version) into $PREFIX"

# ---- configuration ----------------------------------------------------------
HOST=$(hostname -s)
mkdir -p "$S/state" "$S/spool" "$S/log" "$S/run" "$S/work"
export SLURM_CONF=$S/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=dettlocal
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
KillWait=5
MinJobAge=600
JobRequeue=1
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

# ---- daemons (stopped on exit) ------------------------------------------------
STARTED_MUNGE=0
stop() {
  [ "$KEEP" = 1 ] && { log "daemons left running (SLURM_CONF=$SLURM_CONF)"; return; }
  for f in "$S/run/slurmd.pid" "$S/run/slurmctld.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2> /dev/null || true
  done
  if [ "$STARTED_MUNGE" = 1 ] && [ -f /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2> /dev/null || true
  fi
  sleep 1
  log "daemons stopped"
}
trap stop EXIT
[ -f /etc/munge/munge.key ] || mungekey -c
chown -R munge: /etc/munge /var/lib/munge /var/log/munge
mkdir -p /run/munge && chown munge: /run/munge
if ! pgrep -x munged > /dev/null; then
  su -s /bin/sh munge -c /usr/sbin/munged
  STARTED_MUNGE=1
fi
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"
for i in $(seq 1 30); do
  sinfo -h -o %T 2> /dev/null | grep -q "^idle" && break
  sleep 1
  [ "$i" = 30 ] && { sinfo || true; tail -20 "$S/log/slurmctld.log" "$S/log/slurmd.log"; exit 1; }
done
log "cluster up: $(sinfo -h -o '%P %D node(s) %c CPUs %T')"

# the environment the batch script runs with (sbatch passes it on)
. "$ROOT/scripts/mpienv.sh"
export HDF5_USE_FILE_LOCKING=FALSE
W=$S/work
cd "$W"
rm -f ./*.h5 ./*.tex ./*.out

# submit [sbatch options]: the installed batch script, 1 node, 2 tasks; the
# job id on stdout
submit() {
  sbatch --parsable --chdir="$W" --nodes=1 --ntasks=2 --ntasks-per-node=2 "$@" \
    "$PREFIX/share/dett/slurm/dett-grid.sbatch"
}
# wait_job ID TIMEOUT: until the job has ended; prints its final state. Slurm
# holds a requeued job back for 120 s (BeginTime); this harness releases it
# at once (scontrol update StartTime=now) so the test takes minutes less
wait_job() {
  local id=$1 limit=$2 st info
  for _ in $(seq 1 "$limit"); do
    info=$(scontrol show job "$id" 2> /dev/null)
    st=$(echo "$info" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
    case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) echo "$st"; return 0 ;; esac
    if [ "$st" = PENDING ] && echo "$info" | grep -q "Reason=BeginTime"; then
      scontrol update JobId="$id" StartTime=now > /dev/null 2>&1 || true
    fi
    sleep 1
  done
  echo "STILL-${st:-UNKNOWN}"
}

step_grid() {
  mkdir -p build/demo
  dett data synth -o build/demo/synth.h5 > /dev/null
  local id
  id=$(DETT_GRID=$PREFIX/share/dett/experiments/quickstart.lua DETT_OUT=$W/quickstart.h5 \
       DETT_RANKS_PER_JOB=1 submit --time=00:05:00 --output="$W/grid-%j.out")
  log "grid: job $id (quickstart, 2 tasks)"
  local st; st=$(wait_job "$id" 300)
  grep -q "25 jobs: 25 done" "grid-$id.out" || { cat "grid-$id.out"; log "grid: $st, not every job done"; return 1; }
  [ -s quickstart.tex ] || { log "grid: no report"; return 1; }
  log "grid: $st; $(grep 'jobs: ' "grid-$id.out")"
}

step_requeue() {
  dett data synth --n-train 20000 -o eta_synth.h5 > /dev/null
  cp "$ROOT/bench/eta_grid.lua" requeue.lua
  local id
  id=$(DETT_GRID=requeue.lua DETT_OUT=$W/requeue.h5 DETT_RANKS_PER_JOB=1 \
       submit --time=00:01:00 --signal=B:TERM@20 --output="$W/requeue-%j.out")
  log "requeue: job $id (37 jobs, --time=00:01:00 --signal=B:TERM@20)"
  local st; st=$(wait_job "$id" 400)
  local restarts; restarts=$(scontrol show job "$id" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
  local out="requeue-$id.out"
  grep -q "37 jobs: 37 done" "$out" || { cat "$out"; log "requeue: $st after $restarts restarts, not every job done"; return 1; }
  [ "${restarts:-0}" -ge 1 ] || { cat "$out"; log "requeue: finished in one allocation: the limit was not exercised"; return 1; }
  log "requeue: $st after $((restarts + 1)) allocations; per allocation:"
  grep "^dett run \|requeueing\|^37 jobs" "$out" | sed 's/^/  /'
  # every job ran to the end exactly once in a finished allocation
  # (a completion line: "[ n/ N] jID ... (E epochs, S s)", students, teachers
  # and identification jobs alike; a job the limit cut prints STOPPED)
  local ndone nids
  ndone=$(grep -E "^\[ *[0-9]+/ *[0-9]+\] j[0-9]+ " "$out" | grep -vc "STOPPED")
  nids=$(grep -E "^\[ *[0-9]+/ *[0-9]+\] j[0-9]+ " "$out" | grep -v "STOPPED" | grep -o "\] j[0-9]*" | sort -u | wc -l)
  [ "$ndone" = 37 ] && [ "$nids" = 37 ] \
    || { log "requeue: $ndone job completions of $nids distinct jobs for 37 jobs"; return 1; }
  log "requeue: every job completed once over the allocations (finished jobs were kept)"
}

# the grid of the checkpoint step: two 1600-epoch teachers (each longer than
# one allocation) and a KD student of each
write_checkpoint_grid() {
  cat > checkpoint.lua <<'LUA'
local d = dataset "eta_synth.h5"
local grids = {}
for s = 1, 2 do
  local teacher = train {
    data = d, arch = mlp{64, 64}, method = erm{},
    optim = sgd{ lr = 0.01, momentum = 0.9, wd = 1e-4 }, epochs = 1600, batch = 64, seed = s,
  }
  grids[s] = grid {
    data = d, teacher = teacher, epochs = 20, batch = 64, seeds = {s},
    student = sweep{ mlp{8} }, method = sweep{ kd{ T = 4, alpha = 0.9 } },
  }
end
return grids
LUA
}

step_checkpoint() {
  dett data synth --n-train 20000 -o eta_synth.h5 > /dev/null
  write_checkpoint_grid
  local id t1
  t1=$(date +%s)
  id=$(DETT_GRID=checkpoint.lua DETT_OUT=$W/checkpoint.h5 DETT_RANKS_PER_JOB=1 DETT_CHECKPOINTS=1 \
       submit --time=00:01:00 --signal=B:TERM@20 --output="$W/checkpoint-%j.out")
  log "checkpoint: job $id (2 teachers of 1600 epochs + 2 students, --time=00:01:00 --signal=B:TERM@20, DETT_CHECKPOINTS=1)"
  local st; st=$(wait_job "$id" 900)
  local t2; t2=$(date +%s)
  local restarts; restarts=$(scontrol show job "$id" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
  local out="checkpoint-$id.out"
  grep -q "4 jobs: 4 done" "$out" || { cat "$out"; log "checkpoint: $st after $restarts restarts, not every job done"; return 1; }
  [ "${restarts:-0}" -ge 1 ] || { cat "$out"; log "checkpoint: finished in one allocation: the limit was not exercised"; return 1; }
  log "checkpoint: $st after $((restarts + 1)) allocations in $((t2 - t1)) s; per allocation:"
  grep "^dett run \|requeueing\|stopped\|resumed from\|^4 jobs\|teacher" "$out" | sed 's/^/  /'
  # each teacher was stopped at least once and every resume started past epoch 1
  local t teachers
  teachers=$(grep -o "\] j[0-9]* teacher" "$out" | awk '{ print $2 }' | sort -u)
  [ "$(echo $teachers | wc -w)" = 2 ] || { log "checkpoint: expected 2 finished teachers, got '$teachers'"; return 1; }
  for t in $teachers; do
    grep -q "^dett run: $t stopped: stopped at epoch" "$out" \
      || { log "checkpoint: teacher $t was never stopped by the limit"; return 1; }
    grep -q "^dett run: $t resumed from its checkpoint (epoch [0-9]" "$out" \
      || { log "checkpoint: teacher $t never resumed from a checkpoint"; return 1; }
  done
  if grep "resumed from its checkpoint" "$out" | grep -q "(epoch 1 step"; then
    log "checkpoint: a job resumed from its first epoch (from scratch)"; return 1
  fi
  # the same grid uninterrupted (mpirun, no Slurm): the same bits
  local t3; t3=$(date +%s)
  mpirun -np 2 dett run checkpoint.lua -o ref.h5 --progress lines:60 > ref.out 2>&1 \
    || { cat ref.out; log "checkpoint: the uninterrupted run failed"; return 1; }
  log "checkpoint: uninterrupted reference (mpirun -np 2) in $(( $(date +%s) - t3 )) s: $(grep '^4 jobs' ref.out)"
  local g ds n=0
  for g in $(h5ls ref.h5/jobs | awk '$2 == "Group" { print $1 }'); do
    for ds in train_loss acc worst avg mean selected params; do
      h5diff -c ref.h5 checkpoint.h5 "/jobs/$g/$ds" "/jobs/$g/$ds" > diff.txt 2>&1 \
        || { head -20 diff.txt; log "checkpoint: /jobs/$g/$ds differs from the uninterrupted run"; return 1; }
      n=$((n + 1))
    done
  done
  h5diff ref.h5 checkpoint.h5 /artifacts /artifacts > diff.txt 2>&1 \
    || { head -20 diff.txt; log "checkpoint: /artifacts differ from the uninterrupted run"; return 1; }
  log "checkpoint: h5diff: $n datasets of 4 jobs and the artifacts identical to the uninterrupted run"
}

case $STEP in
  all) step_grid; step_requeue; step_checkpoint ;;
  grid) step_grid ;;
  requeue) step_requeue ;;
  checkpoint) step_checkpoint ;;
  *) echo "slurm-local: unknown step $STEP" >&2; exit 2 ;;
esac
log "done in $(( $(date +%s) - T0 )) s"
