"""Shared pieces of the integration tests: a real daemon on a free port with a
temporary state dir, a small JSON-over-HTTP client, SSE reading, and a look
into /proc for the QEMU processes a run owns."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

DAEMON = os.environ['MA_DAEMON']
CLI = os.environ['MA_CLI']
FIXTURE = os.environ['MA_FIXTURE_KERNEL']
LINUX_KERNEL = os.environ['MA_LINUX_KERNEL']
LINUX_INITRD = os.environ['MA_LINUX_INITRD']
# Debian's generic kernel (ninja linux-guest builds it next to the cloud one).
LINUX_GENERIC_KERNEL = os.environ.get('MA_LINUX_GENERIC_KERNEL',
                                      os.path.join(os.path.dirname(LINUX_KERNEL), 'vmlinuz-generic'))
FINAL = {'succeeded', 'failed', 'timeout', 'cancelled', 'interrupted'}
# Where tests put the files they make for a daemon to open: the daemon only
# opens images from its state dir's images/ and the --image-dir directories.
WORK = tempfile.mkdtemp(prefix='ma-images-')
IMAGE_DIRS = sorted({os.path.dirname(p) for p in (FIXTURE, LINUX_KERNEL, LINUX_INITRD, LINUX_GENERIC_KERNEL,
                                                  os.environ['MA_FIXTURE_ISO'],
                                                  os.environ['MA_ARM_FIXTURE'])} | {WORK})


def work_dir(prefix):
    """A fresh directory inside WORK (so inside the test daemons' --image-dir)."""
    return tempfile.mkdtemp(prefix=prefix, dir=WORK)


def fixture_boot(append='console=tty00', **extra):
    """Request body booting the MINIX console fixture (not MINIX)."""
    body = {'arch': 'i386', 'kernel': FIXTURE, 'append': append, 'profile': 'minix-3.4', 'timeout_s': 60}
    body.update(extra)
    return body


def linux_boot(append='console=ttyS0 panic=-1', **extra):
    """Request body booting Debian's kernel with the busybox initramfs."""
    body = {'arch': 'x86_64', 'kernel': LINUX_KERNEL, 'initrd': [LINUX_INITRD], 'append': append,
            'profile': 'linux', 'timeout_s': 120}
    body.update(extra)
    return body


def half_kvm_host():
    """(root, qemu_dir, kvm_device) that make a daemon see the nested KVM of issue 14 on any host: a QEMU
    directory whose emulators are tests/integration/qemu-kvm-hangs-long-mode.sh (TCG stands in for KVM;
    64-bit guests stop when they enable long mode) and a file standing in for /dev/kvm. Remove root after."""
    wrapper = os.path.join(os.environ['MA_SOURCE_ROOT'], 'tests', 'integration', 'qemu-kvm-hangs-long-mode.sh')
    root = tempfile.mkdtemp(prefix='ma-half-kvm-')
    qemu_dir = os.path.join(root, 'qemu')
    os.mkdir(qemu_dir)
    for name in ('qemu-system-i386', 'qemu-system-x86_64'):
        os.symlink(wrapper, os.path.join(qemu_dir, name))
    os.symlink('/usr/bin/qemu-img', os.path.join(qemu_dir, 'qemu-img'))
    device = os.path.join(root, 'kvm')
    open(device, 'w').close()
    return root, qemu_dir, device


def kvm_modes(d):
    """health.kvm.modes of daemon d: what its KVM probes found on this host, per guest mode."""
    status, health, _ = d.json('GET', '/api/v1/health')
    assert status == 200, health
    return health['kvm']['modes']


def assert_auto_decision(test, run, modes=None):
    """The accelerator `auto` chose for run is the documented one for what the probes found on this host
    (modes: health.kvm.modes; None for an in-process run, judged by its note alone): KVM only when the
    probe of the guest's mode passed, and the note names what decided. Never a fixed accelerator."""
    arch, note = run['arch'], run['accel_note']
    test.assertEqual(run['accel_requested'], 'auto')
    if modes is not None and arch in modes:
        test.assertEqual(run['accel'], 'kvm' if modes[arch]['usable'] else 'tcg', (modes[arch], note))
        if not modes[arch]['usable']:
            test.assertIn(modes[arch]['reason'], note)
    if run['accel'] == 'kvm':
        test.assertTrue(note.startswith(f'auto: KVM because the KVM {arch} probe passed'), note)
    else:
        test.assertTrue(note.startswith('auto: TCG because '), note)


def qemu_pids(run_id):
    """PIDs of live QEMU processes whose command line names this run (its sockets do), or any text (a state dir)."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmd = f.read()
            with open(f'/proc/{entry}/stat') as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except OSError:
            continue
        if run_id.encode() in cmd and b'qemu-system' in cmd and state != 'Z':
            pids.append(int(entry))
    return pids


def sanitized(pid):
    """Whether the process runs the ASan build (its quarantine keeps freed memory: RSS bounds do not hold)."""
    with open(f'/proc/{pid}/maps') as f:
        return 'libasan' in f.read()


class Daemon:
    """minix-analysisd on 127.0.0.1 with a port the kernel picked."""

    def __init__(self, state_dir=None, extra_args=(), image_dirs=None, env=None):
        self.own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix='ma-it-')
        self.log = []
        if image_dirs is None:
            image_dirs = () if '--image-dir' in extra_args else IMAGE_DIRS
        dirs = [a for d in image_dirs for a in ('--image-dir', d)]
        self.proc = subprocess.Popen(
            [DAEMON, '--listen', '127.0.0.1:0', '--state-dir', self.state_dir, *dirs, *extra_args],
            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
        self.ready = threading.Event()
        self.port = None
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self.ready.wait(30):
            self.proc.kill()
            raise RuntimeError('daemon did not start: ' + ''.join(self.log))
        self.base = f'http://127.0.0.1:{self.port}'

    def _read_log(self):
        for line in self.proc.stderr:
            self.log.append(line)
            m = re.search(r'listening on http://127\.0\.0\.1:(\d+)', line)
            if m:
                self.port = int(m.group(1))
                self.ready.set()

    token = None  # sent as a bearer token when set

    def request(self, method, path, body=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = {'Content-Type': 'application/json', **(headers or {})}
        if self.token and 'Authorization' not in h:
            h['Authorization'] = f'Bearer {self.token}'
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, method, path, body=None, raw=None, headers=None):
        status, headers, data = self.request(method, path, body, raw, headers)
        return status, json.loads(data) if data else None, headers

    def boot(self, body):
        status, reply, headers = self.json('POST', '/api/v1/boots', body)
        assert status == 202, (status, reply)
        assert headers['Location'] == f"/api/v1/runs/{reply['id']}"
        return reply['id']

    def run(self, run_id):
        status, reply, _ = self.json('GET', f'/api/v1/runs/{run_id}')
        assert status == 200, (status, reply)
        return reply

    def wait(self, run_id, timeout=180, statuses=FINAL):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.run(run_id)
            if run['status'] in statuses:
                return run
            time.sleep(0.1)
        raise AssertionError(f'run {run_id} still {run["status"]} after {timeout}s')

    def wait_marker(self, run_id, name, timeout=60):
        """Waits until the run has observed marker `name` (QEMU is past t0)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.run(run_id)
            if name in [m['name'] for m in run['markers']]:
                return run
            time.sleep(0.05)
        raise AssertionError(f'run {run_id} never showed {name}')

    def events(self, run_id, timeout=180, collection='runs'):
        """Reads the SSE stream of a run (or of a matrix: collection='matrices') to its end: a list
        of (event, data) pairs."""
        req = urllib.request.Request(f'{self.base}/api/v1/{collection}/{run_id}/events')
        out, event = [], None
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            assert resp.headers['Content-Type'] == 'text/event-stream'
            for raw in resp:
                line = raw.decode().rstrip('\n')
                if line.startswith('event: '):
                    event = line[7:]
                elif line.startswith('data: '):
                    out.append((event, json.loads(line[6:])))
        return out

    def stop(self, sig=signal.SIGTERM):
        """Stops the daemon and returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        return code

    def finish(self):
        """Stops the daemon with SIGTERM, removes it, and asserts it exited 0
        with no sanitizer report (leaks, undefined behaviour)."""
        code = self.stop()
        log = ''.join(self.log)
        self.cleanup()
        assert code == 0, f'daemon exited {code}:\n{log}'
        assert 'LeakSanitizer' not in log and 'runtime error' not in log, log

    def cleanup(self):
        self.stop(signal.SIGKILL)
        self.proc.stderr.close()
        if self.own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)


class DaemonCase(unittest.TestCase):
    """Test cases that share one daemon (self.d), started with the class's daemon_args and
    checked by finish() (exit 0, no sanitizer report) once they are done."""
    daemon_args = ()

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(extra_args=cls.daemon_args)

    @classmethod
    def tearDownClass(cls):
        cls.d.finish()
