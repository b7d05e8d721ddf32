"""How fast the daemon ingests Slurm results (spool to store), without a cluster: the daemon's
--slurm-bin-dir points at stand-ins for scontrol, sbatch and squeue. The stand-in sbatch "runs" the
whole job array at once by writing every task's result and console log into the spool (a real run
object and log of the fixture, made first by the CLI's own slurm-task), and squeue lists every task
COMPLETED; so what is timed is the daemon's side only: the matrix's runs queued in the store and the
spool written (the POST), then every result read, checked, copied and stored (POST answered to
matrix done). Imported by bench/run."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

FAKE_SBATCH = r'''#!/usr/bin/env python3
# bench stand-in for sbatch: every task of the array ends at once with the template's result; the
# moment it is done goes to $TEMPLATE_DIR/sbatch-done (CLOCK_MONOTONIC, as the bench's own clock)
import os, shutil, sys, time
opts = dict(a[2:].split('=', 1) for a in sys.argv[1:] if a.startswith('--') and '=' in a)
last = int(opts['array'][2:].split('%')[0])
tdir = os.environ['TEMPLATE_DIR']
result = open(os.path.join(tdir, 'result.json'), 'rb').read()
for k in range(last + 1):
    shutil.copyfile(os.path.join(tdir, 'serial.log'), os.path.join(opts['chdir'], f'serial-{k}.log'))
    tmp = os.path.join(opts['chdir'], f'.r-{k}')
    with open(tmp, 'wb') as f:
        f.write(result)
    os.rename(tmp, os.path.join(opts['chdir'], f'result-{k}.json'))
with open(os.path.join(tdir, 'sbatch-done'), 'w') as f:
    f.write(repr(time.monotonic()))
print(4242)
'''
FAKE_SQUEUE = '#!/bin/sh\n# bench stand-in for squeue: nothing pending\nexit 0\n'
FAKE_SCONTROL = '#!/bin/sh\nexit 0\n'


def template(build, work, kernel):
    """A real result: the fixture booted once by slurm-task, as a node would."""
    d = os.path.join(work, 'template-task')
    os.makedirs(d)
    with open(os.path.join(d, 'task-0.json'), 'w') as f:
        json.dump({'arch': 'i386', 'kernel': kernel, 'append': 'console=tty00', 'profile': 'minix-3.4',
                   'accel': 'tcg'}, f)
    subprocess.run([os.path.join(build, 'programs', 'minix-analysis'), 'slurm-task', d, '0'], check=True,
                   capture_output=True, timeout=120)
    out = os.path.join(work, 'template')
    os.makedirs(out)
    shutil.copy(os.path.join(d, 'result-0.json'), os.path.join(out, 'result.json'))
    shutil.copy(os.path.join(d, 'serial-0.log'), os.path.join(out, 'serial.log'))
    return out


def ingest_rate(build, work, api_daemon, sizes):
    """[(runs, POST seconds, ingestion seconds)] for matrices of each size (runs = cpus x samples);
    ingestion counts from the moment the stand-in sbatch had written every result."""
    kernel = os.path.join(build, 'guests', 'minix-fixture.elf')
    tdir = template(build, work, kernel)
    bindir = os.path.join(work, 'fake-slurm')
    os.makedirs(bindir)
    for name, text in (('sbatch', FAKE_SBATCH), ('squeue', FAKE_SQUEUE), ('scontrol', FAKE_SCONTROL)):
        with open(os.path.join(bindir, name), 'w') as f:
            f.write(text)
        os.chmod(os.path.join(bindir, name), 0o755)
    os.environ['TEMPLATE_DIR'] = tdir
    d = api_daemon(build, os.path.join(work, 'ingest-state'), '--slurm-partition', 'bench', '--slurm-spool',
                   os.path.join(work, 'spool'), '--slurm-bin-dir', bindir)
    rows = []
    try:
        for n in sizes:
            cpus = list(range(1, 17))
            samples = n // 16
            body = {'arch': 'i386', 'kernel': kernel, 'append': 'console=tty00', 'profile': 'minix-3.4',
                    'accel': 'tcg', 'cpus': cpus, 'samples': samples, 'executor': 'slurm', 'isolation': 'parallel'}
            t0 = time.monotonic()
            mid = json.loads(d.post('/api/v1/matrices', body)[2])['id']
            t1 = time.monotonic()
            while True:
                m = d.get(f'/api/v1/matrices/{mid}')
                if m['status'] != 'running':
                    break
                time.sleep(0.05)
            t2 = time.monotonic()
            assert m['progress']['succeeded'] == 16 * samples, m['progress']
            with open(os.path.join(tdir, 'sbatch-done')) as f:
                t_sbatch = float(f.read())
            rows.append((16 * samples, t1 - t0, t2 - max(t1, t_sbatch)))
    finally:
        d.stop()
    return rows
