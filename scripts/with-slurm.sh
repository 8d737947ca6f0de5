#!/usr/bin/env bash
# with-slurm.sh CMD [ARGS...]
#
# Runs CMD with a throwaway one-node Slurm cluster on this machine: a private
# munged (own key, socket, pid and log files) and a slurmctld + slurmd pair
# with their own slurm.conf, state, spool, pid and log files and free TCP
# ports, all inside one temp dir. No accounting daemon (slurmdbd): sacct has
# nothing to say here, so clients must make do with squeue and scontrol. CMD
# sees
#   SLURM_CONF=<temp>/slurm.conf     (sbatch, squeue, scancel, ... read it)
#   CAIRN_TEST_SLURM_PARTITION=debug
# Everything is stopped and the temp dir removed on exit, whatever happens.
# Exits with CMD's status; exits 0 with "skipped: ..." when the Slurm or
# MUNGE packages are not installed (scripts/install-deps.sh --test installs
# them). Must run as root (slurmd starts jobs as their users).
#
#   scripts/with-slurm.sh sinfo
#   scripts/with-slurm.sh build-slurm/slurm_test
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

for bin in slurmctld slurmd munged sbatch squeue scontrol sinfo; do
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1; then
    echo "skipped: slurm packages not installed ($bin missing; install slurmctld slurmd munge)"
    exit 0
  fi
done
export PATH="$PATH:/usr/sbin:/sbin"
if [[ "$(id -u)" -ne 0 ]]; then
  echo "skipped: with-slurm.sh must run as root (slurmd starts jobs as their owner)"
  exit 0
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/cairn-slurm.XXXXXX")"
chmod 755 "$TMP"  # jobs run as root, but keep the dir readable for tools
PIDS=()
MUNGED_PID=""

cleanup() {
  local rc=$?
  # Cancel what is left so slurmd does not leave job processes behind.
  if [[ -f "$TMP/slurm.conf" ]]; then
    SLURM_CONF="$TMP/slurm.conf" timeout 5 scancel --full --quiet --user=root >/dev/null 2>&1 || true
  fi
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  # MUNGE last: the Slurm daemons talk to it while they shut down.
  if [[ -n "${MUNGED_PID:-}" ]]; then
    kill -TERM "$MUNGED_PID" 2>/dev/null || true
    wait "$MUNGED_PID" 2>/dev/null || true
  fi
  if [[ "${CAIRN_KEEP_SLURM:-0}" == 1 ]]; then
    echo "with-slurm: kept $TMP" >&2
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "with-slurm: $1" >&2
  local f
  for f in "$TMP"/log/*.log "$TMP"/munge/munged.log; do
    [[ -f "$f" ]] || continue
    echo "---- $f (last 30 lines)" >&2
    tail -n 30 "$f" >&2
  done
  exit 1
}

# ---- MUNGE: a private daemon with its own key and socket.
# munged insists that its key is 0400 and owned by the user it runs as, and
# that its directories are not writable by others.
MUNGE="$TMP/munge"
mkdir -p "$MUNGE"
dd if=/dev/urandom of="$MUNGE/munge.key" bs=1 count=1024 status=none
MUNGE_USER=root
if id munge >/dev/null 2>&1; then MUNGE_USER=munge; fi
chown -R "$MUNGE_USER": "$MUNGE"
chmod 711 "$MUNGE"  # clients (slurmctld, slurmd, sbatch) must reach the socket
chmod 400 "$MUNGE/munge.key"
# In the foreground of a background job, so that we own (and reap) its pid.
setpriv --reuid="$MUNGE_USER" --regid="$MUNGE_USER" --init-groups -- munged --foreground --force \
  --key-file="$MUNGE/munge.key" --socket="$MUNGE/munge.socket" \
  --pid-file="$MUNGE/munged.pid" --log-file="$MUNGE/munged.log" \
  --seed-file="$MUNGE/munged.seed" >"$TMP/munged.out" 2>&1 &
MUNGED_PID=$!
for _ in $(seq 50); do [[ -S "$MUNGE/munge.socket" ]] && break; sleep 0.1; done
[[ -S "$MUNGE/munge.socket" ]] || { cat "$TMP/munged.out" >&2; fail "munged made no socket"; }

# ---- Slurm configuration.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB="$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)"
CTLD_PORT="$(free_port)"
SLURMD_PORT="$(free_port)"
while [[ "$SLURMD_PORT" == "$CTLD_PORT" ]]; do SLURMD_PORT="$(free_port)"; done
mkdir -p "$TMP/state" "$TMP/spool" "$TMP/log" "$TMP/run"
cat >"$TMP/slurm.conf" <<EOF
# Written by scripts/with-slurm.sh for a private test cluster.
ClusterName=cairntest
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# cred_expire also holds a requeued job back that long (default 120 s).
AuthInfo=socket=$MUNGE/munge.socket,cred_expire=10
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/run/slurmctld.pid
SlurmdPidFile=$TMP/run/slurmd.pid
SlurmctldLogFile=$TMP/log/slurmctld.log
SlurmdLogFile=$TMP/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
ReturnToService=2
JobRequeue=1
MinJobAge=600
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
export SLURM_CONF="$TMP/slurm.conf"

# ---- Daemons, in the foreground of background jobs so we own their pids.
slurmctld -D -i -f "$SLURM_CONF" >"$TMP/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" -N "$HOST" >"$TMP/log/slurmd.out" 2>&1 &
PIDS+=($!)

state=""
for _ in $(seq 150); do
  state="$(sinfo --noheader --nodes="$HOST" --format=%t 2>/dev/null | head -n1 || true)"
  [[ "$state" == idle ]] && break
  for pid in "${PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || fail "a Slurm daemon exited (see logs below)"
  done
  sleep 0.2
done
[[ "$state" == idle ]] || fail "node $HOST did not become idle within 30 s (state '$state')"

export CAIRN_TEST_SLURM_PARTITION=debug
echo "with-slurm: one-node cluster on $HOST ($CPUS CPUs), SLURM_CONF=$SLURM_CONF" >&2

set +e
"$@"
rc=$?
set -e
exit "$rc"
