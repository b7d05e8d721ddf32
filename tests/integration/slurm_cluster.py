"""A one-node Slurm cluster for the tests, started by the test itself: Debian's slurm-wlm and
munge, a slurm.conf generated for this host (its own munge key and socket, its own ports, no
accounting database), munged, slurmctld and slurmd run as this process's children and stopped by
their pids. About 3 s to start."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PROGRAMS = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/squeue',
            '/usr/bin/scontrol', '/usr/bin/scancel', '/usr/bin/sinfo']


def missing():
    """Why this host cannot run the cluster, or None."""
    gone = [p for p in PROGRAMS if not os.access(p, os.X_OK)]
    if gone:
        return f'{", ".join(gone)} not installed (Debian: slurmctld slurmd slurm-client munge; tests/bootstrap.sh)'
    if os.geteuid() != 0:
        return 'the test cluster runs slurmd, which needs root'
    return None


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, slurmd_timeout=10, min_job_age=300):
        self.dir = tempfile.mkdtemp(prefix='ma-slurm-')
        self.host = socket.gethostname().split('.')[0]
        self.procs = {}
        d = self.dir
        for sub in ('munge', 'state', 'spool', 'log'):
            os.makedirs(os.path.join(d, sub), mode=0o700)
        key = os.path.join(d, 'munge', 'key')
        with open(key, 'wb') as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        self.munge_socket = os.path.join(d, 'munge', 'socket')
        self.conf = os.path.join(d, 'slurm.conf')
        with open('/proc/meminfo') as f:
            mem_mb = int(next(line for line in f if line.startswith('MemTotal')).split()[1]) // 1024 * 8 // 10
        with open(self.conf, 'w') as f:
            f.write(f"""ClusterName=matest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
AuthInfo=socket={self.munge_socket}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge={min_job_age}
SlurmctldTimeout=30
SlurmdTimeout={slurmd_timeout}
InactiveLimit=0
KillWait=2
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={mem_mb} State=UNKNOWN
PartitionName=ma Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
""")
        self.env = {**os.environ, 'SLURM_CONF': self.conf}
        try:
            self._spawn('munged', ['/usr/sbin/munged', '-F', '--force', f'--key-file={key}',
                                   f'--socket={self.munge_socket}', f'--pid-file={d}/munge/pid',
                                   f'--log-file={d}/munge/log', f'--seed-file={d}/munge/seed'])
            self._wait(lambda: os.path.exists(self.munge_socket), 'munged')
            self._spawn('slurmctld', ['/usr/sbin/slurmctld', '-D', '-f', self.conf])
            self.start_slurmd()
            self._wait(lambda: 'idle' in self.run('sinfo', '-h', '-o', '%t').stdout, 'an idle node')
        except Exception:
            self.stop()
            raise

    def _spawn(self, name, argv):
        with open(os.path.join(self.dir, 'log', name + '.err'), 'w') as err:
            self.procs[name] = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL, stderr=err)

    def start_slurmd(self):
        self._spawn('slurmd', ['/usr/sbin/slurmd', '-D', '-f', self.conf, '-N', self.host])

    def _wait(self, ok, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ok():
                return
            time.sleep(0.2)
        raise RuntimeError(f'the test cluster has no {what} after {timeout} s; logs in {self.dir}/log')

    def run(self, *argv, check=False):
        return subprocess.run([f'/usr/bin/{argv[0]}', *argv[1:]], env=self.env, capture_output=True, text=True,
                              timeout=30, check=check)

    def kill(self, name):
        """SIGKILL one daemon of the cluster (slurmd: the node dies as far as slurmctld can tell)."""
        p = self.procs.pop(name)
        p.kill()
        p.wait()

    def stop(self):
        # The jobs' processes first (slurmstepd and what it runs), then the daemons, newest first.
        subprocess.run(['pkill', '-KILL', '-f', f'slurmstepd.*{self.host}'], capture_output=True)
        for name in reversed(list(self.procs)):
            p = self.procs[name]
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
