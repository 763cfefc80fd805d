#!/usr/bin/env bash
# Starts a real single-node Slurm cluster on this machine (munged, slurmctld, slurmd) for the Slurm executor's
# tests, and waits until the node is idle. Run as root on Debian 12 with `slurm-wlm` and `munge` installed.
#   bash scripts/slurm-up.sh        exit 0 once `sinfo` shows this host idle; fast when it already is
# Idempotent: a running cluster is left alone; a drained or down node is resumed.
set -euo pipefail

HOST=$(hostname -s)
node_ready() { sinfo -h -N -n "$HOST" -o "%T" 2>/dev/null | grep -qE '^(idle|mixed|allocated|completing)'; }

if node_ready; then
  echo "slurm-up: $HOST is up"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "slurm-up: must run as root (it starts munged, slurmctld and slurmd)" >&2
  exit 1
fi
for tool in munged slurmctld slurmd sinfo sbatch; do
  command -v "$tool" >/dev/null || { echo "slurm-up: '$tool' not found; apt-get install slurm-wlm munge" >&2; exit 1; }
done

# munge: a key, then the daemon (as the munge user).
if [[ ! -s /etc/munge/munge.key ]]; then
  mkdir -p /etc/munge
  if command -v mungekey >/dev/null; then mungekey --create --force; else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! pgrep -u munge -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged
fi

# slurm.conf: this host as the only node, its CPUs and 90% of its memory (more than it has would drain it).
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
CPUS=$(nproc)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
CONF=/etc/slurm/slurm.conf
if ! grep -q "^# earshot single-node test cluster" "$CONF" 2>/dev/null; then
  [[ -f "$CONF" ]] && cp "$CONF" "$CONF.before-earshot"
  cat > "$CONF" <<EOF
# earshot single-node test cluster (written by scripts/slurm-up.sh)
ClusterName=earshot
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=300
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
fi

pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd

for _ in $(seq 1 60); do
  if node_ready; then
    echo "slurm-up: $HOST is up ($CPUS CPUs, ${MEM_MB} MB)"
    exit 0
  fi
  state=$(sinfo -h -N -n "$HOST" -o "%T" 2>/dev/null || true)
  if [[ "$state" =~ ^(down|drained|draining|drain|fail) ]]; then
    scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
  fi
  sleep 0.5
done
echo "slurm-up: $HOST did not become idle (sinfo: $(sinfo -h -N -o '%N %T %E' 2>&1)); see /var/log/slurm/" >&2
tail -5 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
