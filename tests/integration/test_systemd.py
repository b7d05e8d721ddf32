"""The systemd unit as meson installs it passes `systemd-analyze verify`, its
`systemd-analyze security` exposure stays where the README says, and the
daemon speaks the notify protocol (Type=notify): READY=1 once listening,
STATUS= with the boots running, STOPPING=1 on SIGTERM. Then the unit runs
under a real systemd as PID 1: a systemd-nspawn container booted from this
machine's own /usr (--volatile=yes: an empty root on tmpfs), with the unit,
the sysusers file and the daemon bound in."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import DAEMON, FIXTURE, Daemon, fixture_boot  # noqa: E402

BUILD_UNIT = os.path.join(os.path.dirname(os.path.dirname(DAEMON)), 'systemd', 'minix-analysisd.service')


class UnitTest(unittest.TestCase):
    def unit(self, tmp):
        """The built unit with ExecStart pointing at this build's daemon (verify checks it exists)."""
        with open(BUILD_UNIT) as f:
            text = re.sub(r'^ExecStart=\S+', f'ExecStart={DAEMON}', f.read(), flags=re.M)
        path = os.path.join(tmp, 'minix-analysisd.service')
        with open(path, 'w') as f:
            f.write(text)
        return path, text

    def test_verify_and_security(self):
        with tempfile.TemporaryDirectory() as tmp:
            path, text = self.unit(tmp)
            for needed in ('Type=notify', 'User=minix-analysis', 'StateDirectory=minix-analysis',
                           'ProtectSystem=strict', 'NoNewPrivileges=yes', 'PrivateTmp=yes',
                           'SystemCallArchitectures=native', 'DeviceAllow=/dev/kvm rw',
                           'SystemCallFilter=@system-service', 'SystemCallFilter=~@privileged @resources',
                           'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
                           'MemoryMax=80%', 'TasksMax=4096', 'LimitNOFILE=4096'):
                self.assertIn(needed, text)
            self.assertNotIn('MemoryDenyWriteExecute=yes', text)  # TCG writes and runs code
            p = subprocess.run(['systemd-analyze', 'verify', path], capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stderr.strip()), (0, ''))
            p = subprocess.run(['systemd-analyze', 'security', '--offline=true', path], capture_output=True,
                               text=True)
            m = re.search(r'Overall exposure level for minix-analysisd\.service: ([\d.]+)', p.stdout)
            self.assertIsNotNone(m, p.stdout + p.stderr)
            self.assertLessEqual(float(m.group(1)), 1.7)  # the README's figure; a loosened unit fails here


class NotifyTest(unittest.TestCase):
    def test_ready_status_stopping(self):
        with tempfile.TemporaryDirectory() as tmp:
            sock_path = os.path.join(tmp, 'notify')
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(sock_path)
            sock.settimeout(10)
            os.environ['NOTIFY_SOCKET'] = sock_path
            try:
                d = Daemon()
            finally:
                del os.environ['NOTIFY_SOCKET']
            try:
                ready = sock.recv(4096).decode()
                self.assertIn('READY=1', ready)
                run_id = d.boot(fixture_boot('console=tty00 fixture=hang'))
                d.wait_marker(run_id, 'multiuser_startup')
                deadline, seen = time.monotonic() + 5, []
                while time.monotonic() < deadline and not any('1 boot(s) running' in s for s in seen):
                    seen.append(sock.recv(4096).decode())
                self.assertTrue(any('STATUS=1 boot(s) running, 0 queued' in s for s in seen), seen)
                self.assertEqual(d.stop(), 0)
                rest = []
                sock.settimeout(1)
                try:
                    while True:
                        rest.append(sock.recv(4096).decode())
                except socket.timeout:
                    pass
                self.assertTrue(any('STOPPING=1' in s for s in rest), rest)
            finally:
                d.cleanup()
                sock.close()


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@unittest.skipUnless(os.geteuid() == 0, 'systemd-nspawn needs root (CI runs as root)')
class UnderSystemdTest(unittest.TestCase):
    """The built unit, started and stopped by systemd 252 as PID 1."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='ma-nspawn-')
        self.port = free_port()
        with open(BUILD_UNIT) as f:
            unit = re.sub(r'^ExecStart=.*$', f'ExecStart=/opt/minix-analysis/minix-analysisd --listen '
                          f'127.0.0.1:{self.port} --state-dir /var/lib/minix-analysis --image-dir /srv/ma-images',
                          f.read(), flags=re.M)
        path = os.path.join(self.tmp, 'minix-analysisd.service')
        with open(path, 'w') as f:
            f.write(unit)
        sysusers = os.path.join(os.environ['MA_SOURCE_ROOT'], 'systemd', 'minix-analysis.sysusers.conf')
        binds = {path: '/etc/systemd/system/minix-analysisd.service',
                 sysusers: '/etc/sysusers.d/minix-analysis.conf',
                 DAEMON: '/opt/minix-analysis/minix-analysisd',
                 os.path.join(os.path.dirname(DAEMON), 'minix-analysis-iso'): '/opt/minix-analysis/minix-analysis-iso',
                 FIXTURE: '/srv/ma-images/minix-fixture.elf',
                 os.environ['MA_FIXTURE_ISO']: '/srv/ma-images/minix-fixture.iso'}
        needed = subprocess.run(['readelf', '-d', DAEMON], capture_output=True, text=True).stdout
        if 'libasan' in needed:
            # LeakSanitizer stops the daemon's threads with ptrace at exit, which the unit's
            # SystemCallFilter (@system-service) refuses: the sanitizer build's run adds @debug.
            dropin = os.path.join(self.tmp, 'asan.conf')
            with open(dropin, 'w') as f:
                f.write('[Service]\nSystemCallFilter=@debug\n')
            binds[dropin] = '/etc/systemd/system/minix-analysisd.service.d/asan.conf'
        self.log = open(os.path.join(self.tmp, 'nspawn.log'), 'w+')
        # --keep-unit --register=no: no systemd on the host to register with; the host's network is shared.
        self.nspawn = subprocess.Popen(['systemd-nspawn', '--directory=/', '--volatile=yes', '--register=no',
                                        '--keep-unit', '--boot', '--quiet', '--console=pipe',
                                        *[f'--bind-ro={src}:{dst}' for src, dst in binds.items()]],
                                       stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        self.leader = None
        while self.leader is None and time.monotonic() < deadline:  # nspawn's first child is a helper that goes
            kids = subprocess.run(['pgrep', '-P', str(self.nspawn.pid), '-x', 'systemd'], capture_output=True,
                                  text=True).stdout.split()
            self.leader = kids[0] if kids else None
            time.sleep(0.2)
        self.assertIsNotNone(self.leader, self.nspawn_log())

    def tearDown(self):
        if self.nspawn.poll() is None:
            self.nspawn.terminate()  # nspawn halts the container
            try:
                self.nspawn.wait(60)
            except subprocess.TimeoutExpired:
                self.nspawn.kill()
                self.nspawn.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def nspawn_log(self):
        self.log.seek(0)
        return self.log.read()

    def inside(self, *argv):
        """A command in the container's namespaces (systemctl talks to its PID 1)."""
        return subprocess.run(['nsenter', '-t', self.leader, '-a', *argv], capture_output=True, text=True, timeout=60)

    def show(self, prop):
        return self.inside('systemctl', 'show', 'minix-analysisd', '-p', prop, '--value').stdout.strip()

    def api(self, method, path, body=None):
        req = urllib.request.Request(f'http://127.0.0.1:{self.port}{path}', method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b'null')

    def wait_for(self, what, check, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.25)
        self.fail(f'{what} never happened; unit: {self.inside("systemctl", "status", "minix-analysisd").stdout}\n'
                  f'journal: {self.inside("journalctl", "-u", "minix-analysisd", "--no-pager").stdout}')

    def test_the_unit_runs_boots_and_stops_under_systemd(self):
        # Enabled by the distribution's preset on this first boot (WantedBy=multi-user.target), so
        # systemd starts it; Type=notify: "active" only after the daemon's READY=1.
        self.wait_for('the unit becoming active', lambda: self.show('ActiveState') == 'active')
        self.assertIn(self.show('StatusText'), ('listening; no boot running', '0 boot(s) running, 0 queued'))
        # The unit's ceilings, as systemd applied them (MemoryMax: 80% of this machine's RAM, in bytes).
        self.assertEqual((self.show('TasksMax'), self.show('LimitNOFILE'), self.show('LimitNOFILESoft')),
                         ('4096', '4096', '4096'))
        with open('/proc/meminfo') as f:
            ram = int(f.readline().split()[1]) * 1024
        self.assertAlmostEqual(int(self.show('MemoryMax')), ram * 0.8, delta=ram * 0.01)
        user = self.inside('getent', 'passwd', 'minix-analysis').stdout
        self.assertIn(':/var/lib/minix-analysis:', user)  # made by systemd-sysusers from our file
        self.assertIn('minix-analysis', self.inside('stat', '-c', '%U %a', '/var/lib/minix-analysis').stdout)
        health = self.api('GET', '/api/v1/health')
        self.assertFalse(health['kvm']['usable'])  # no /dev/kvm in the container: TCG
        boot = {'arch': 'i386', 'kernel': '/srv/ma-images/minix-fixture.elf', 'append': 'console=tty00 fixture=hang',
                'profile': 'minix-3.4', 'timeout_s': 120}
        hung = self.api('POST', '/api/v1/boots', boot)['id']
        self.wait_for('STATUS with the running boot', lambda: self.show('StatusText') == '1 boot(s) running, 0 queued')
        qemu_users = self.inside('ps', '-o', 'user=', '-C', 'qemu-system-i386').stdout.split()
        self.assertEqual(qemu_users, ['minix-analysis'])  # QEMU runs as the unit's user, hardened like it
        self.api('DELETE', f'/api/v1/runs/{hung}')
        boot['append'] = 'console=tty00'
        run_id = self.api('POST', '/api/v1/boots', boot)['id']
        run = self.wait_for('the boot ending',
                            lambda: (lambda r: r if r['status'] not in ('queued', 'running') else None)(
                                self.api('GET', f'/api/v1/runs/{run_id}')))
        self.assertEqual((run['status'], run['accel']), ('succeeded', 'tcg'), run)
        # The ISO reader, a child process, works under the same filter; the extracted kernel boots.
        image = self.api('POST', '/api/v1/images', {'iso': '/srv/ma-images/minix-fixture.iso'})
        run_id = self.api('POST', '/api/v1/boots', {'image': image['id'], 'profile': 'minix-3.4',
                                                     'timeout_s': 120})['id']
        run = self.wait_for('the boot from the image ending',
                            lambda: (lambda r: r if r['status'] not in ('queued', 'running') else None)(
                                self.api('GET', f'/api/v1/runs/{run_id}')))
        self.assertEqual(run['status'], 'succeeded', run)
        self.assertEqual(self.inside('systemctl', 'stop', 'minix-analysisd').returncode, 0)
        self.assertEqual((self.show('Result'), self.show('ExecMainStatus')), ('success', '0'))
        journal = self.inside('journalctl', '-u', 'minix-analysisd', '--no-pager').stdout
        self.assertIn('no QEMU left; exiting', journal)


if __name__ == '__main__':
    unittest.main()
