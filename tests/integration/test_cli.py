"""The minix-analysis CLI: in-process on a state dir, and against a daemon."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import CLI, Daemon, DaemonCase, FIXTURE, assert_auto_decision, fixture_boot  # noqa: E402

FIXTURE_BOOT = fixture_boot(accel='tcg')
FIXTURE_ARGS = ['--profile', 'minix-3.4', '--arch', 'i386', '--kernel', FIXTURE, '--append', 'console=tty00']


def cli(*args, timeout=180):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)


class InProcessTest(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix='ma-cli-')

    def tearDown(self):
        shutil.rmtree(self.state, ignore_errors=True)

    def test_boot_json(self):
        p = cli('--state-dir', self.state, '--json', 'boot', *FIXTURE_ARGS, '--cpus', '2', '--label', 'cli')
        self.assertEqual(p.returncode, 0, p.stderr)
        run = json.loads(p.stdout)
        self.assertEqual(run['status'], 'succeeded')
        self.assertEqual(run['profile'], 'minix-3.4')
        self.assertEqual(run['arch'], 'i386')
        self.assertEqual(run['label'], 'cli')
        times = [m['t_ms'] for m in run['markers']]
        self.assertGreater(times[0], 0)
        self.assertEqual(times, sorted(times))
        self.assertEqual(run['boot_time_ms'], times[-1])
        self.assertEqual(run['markers'][-1]['name'], 'shell_prompt')
        self.assertEqual(run['guest_cpus_online'], 1)
        assert_auto_decision(self, run)
        # The run is stored: runs and show find it.
        p = cli('--state-dir', self.state, '--json', 'runs')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)['runs'][0]['id'], run['id'])
        p = cli('--state-dir', self.state, '--json', 'show', run['id'])
        self.assertEqual(json.loads(p.stdout)['markers'], run['markers'])
        # Filters of the same operation as GET /api/v1/runs?profile=&label=.
        for args, ids in ((('--label', 'cli'), [run['id']]), (('--label', 'other'), []),
                          (('--profile', 'linux'), []), (('--profile', 'minix-3.4', '--label', 'cli'), [run['id']])):
            p = cli('--state-dir', self.state, '--json', 'runs', *args)
            self.assertEqual([r['id'] for r in json.loads(p.stdout)['runs']], ids, args)
        p = cli('--state-dir', self.state, 'runs', '--label', '')
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn('label', p.stdout + p.stderr)
        with open(os.path.join(self.state, 'runs', run['id'] + '.serial'), 'rb') as f:
            self.assertIn(b'login: ', f.read())

    def test_boot_of_a_registered_image_records_the_image(self):
        """The in-process boot took its own path from request to spec and dropped the image id that the
        daemon's records (issue 16): both now go through images_boot_spec."""
        p = cli('--state-dir', self.state, '--json', 'image', 'verify', '--iso', os.environ['MA_FIXTURE_ISO'])
        self.assertEqual(p.returncode, 0, p.stderr)
        image = json.loads(p.stdout)['id']
        p = cli('--state-dir', self.state, '--json', 'boot', '--image', image, '--profile', 'minix-3.4',
                '--accel', 'tcg', '--timeout-s', '60')
        self.assertEqual(p.returncode, 0, p.stderr)
        run = json.loads(p.stdout)
        self.assertEqual(run['request']['image'], image)
        p = cli('--state-dir', self.state, '--json', 'show', run['id'])
        self.assertEqual(json.loads(p.stdout)['request']['image'], image)

    def test_boot_table(self):
        p = cli('--state-dir', self.state, 'boot', *FIXTURE_ARGS, '--cpus', '2', '--accel', 'tcg')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r'kernel_starts\s+serial\s+MINIX 3\.4\.0\.')
        self.assertRegex(p.stdout, r'boot time: \d+\.\d{3} ms from QMP cont to shell_prompt')
        self.assertIn('guest CPUs online: 1 of 2 requested (the guest ignored the extra vCPUs)', p.stdout)
        self.assertIn('not observable over serial: multiboot_detected', p.stdout)
        self.assertIn('accel tcg', p.stdout)
        p = cli('--state-dir', self.state, 'runs')
        self.assertRegex(p.stdout, r'succeeded\s+minix-3\.4\s+i386\s+2\s+\d+\.\d{3}')

    def test_failed_boot_exits_1(self):
        p = cli('--state-dir', self.state, '--json', 'boot', '--profile', 'minix-3.4', '--arch', 'i386',
                '--kernel', FIXTURE, '--append', 'console=tty00 fixture=panic')
        self.assertEqual(p.returncode, 1)
        run = json.loads(p.stdout)
        self.assertEqual((run['status'], run['error']['code']), ('failed', 'guest_failure'))

    def test_bad_request_exits_2_naming_the_field(self):
        p = cli('--state-dir', self.state, '--json', 'boot', *FIXTURE_ARGS, '--cpus', '0')
        self.assertEqual(p.returncode, 2)
        self.assertEqual(json.loads(p.stdout)['error']['field'], 'cpus')
        p = cli('--state-dir', self.state, 'boot', '--profile', 'nope', '--kernel', FIXTURE)
        self.assertEqual(p.returncode, 2)
        self.assertIn('unknown_profile in profile', p.stderr)
        p = cli('--state-dir', self.state, 'boot', '--cpus', 'two')
        self.assertEqual(p.returncode, 2)
        p = cli('--state-dir', self.state, 'frobnicate')
        self.assertEqual(p.returncode, 2)

    def test_log_delete_and_prune(self):
        runs = []
        for _ in range(2):
            p = cli('--state-dir', self.state, '--json', 'boot', *FIXTURE_ARGS, '--accel', 'tcg')
            self.assertEqual(p.returncode, 0, p.stderr)
            runs.append(json.loads(p.stdout))
        logs = [os.path.join(self.state, 'runs', r['id'] + '.serial') for r in runs]
        p = cli('--state-dir', self.state, 'log', 'delete', runs[0]['id'])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, runs[0]['id'] + r'\t[1-9]\d* bytes freed')
        self.assertFalse(os.path.exists(logs[0]))
        shown = json.loads(cli('--state-dir', self.state, '--json', 'show', runs[0]['id']).stdout)
        self.assertEqual(shown['markers'], runs[0]['markers'])  # the measurement stays
        # Both runs are older than 0 days; a dry run names them and deletes nothing.
        p = cli('--state-dir', self.state, '--json', 'log', 'prune', '--older-than-days', '0', '--dry-run')
        out = json.loads(p.stdout)
        self.assertEqual((sorted(out['runs']), out['deleted']), (sorted(r['id'] for r in runs), 0))
        self.assertTrue(os.path.exists(logs[1]))
        p = cli('--state-dir', self.state, 'log', 'prune', '--older-than-days', '0')
        self.assertIn('2 finished run(s) older than 0 days: 2 log(s) deleted', p.stdout)
        self.assertFalse(os.path.exists(logs[1]))
        p = cli('--state-dir', self.state, 'log', 'prune', '--older-than-days', '1')  # nothing that old
        self.assertIn('0 finished run(s) older than 1 days: 0 log(s) deleted', p.stdout)
        self.assertEqual(cli('--state-dir', self.state, 'log', 'prune').returncode, 2)
        # 404 run_not_found is a request error (2), in-process as through a daemon.
        self.assertEqual(cli('--state-dir', self.state, 'log', 'delete', '0123456789abcdef').returncode, 2)

    def test_unknown_run(self):
        p = cli('--state-dir', self.state, 'show', '0123456789abcdef')
        self.assertEqual(p.returncode, 2)  # a 4xx request, as through a daemon (404 run_not_found)
        self.assertIn('no run with this id', p.stderr)


class ServerModeTest(DaemonCase):
    def test_boot_through_daemon(self):
        p = cli('--server', self.d.base, '--json', 'boot', *FIXTURE_ARGS)
        self.assertEqual(p.returncode, 0, p.stderr)
        run = json.loads(p.stdout)
        self.assertEqual(run['status'], 'succeeded')
        self.assertEqual(self.d.run(run['id'])['boot_time_ms'], run['boot_time_ms'])
        p = cli('--server', self.d.base, 'show', run['id'])
        self.assertIn('boot time:', p.stdout)
        p = cli('--server', self.d.base, '--json', 'runs', '--limit', '5')
        self.assertIn(run['id'], [r['id'] for r in json.loads(p.stdout)['runs']])
        p = cli('--server', self.d.base, '--json', 'runs', '--profile', 'linux')
        self.assertNotIn(run['id'], [r['id'] for r in json.loads(p.stdout)['runs']])

    def test_matrices_list_here_and_through_daemon(self):
        status, reply, _ = self.d.json('POST', '/api/v1/matrices', {**FIXTURE_BOOT, 'cpus': [1], 'samples': 1})
        self.assertEqual(status, 202, reply)
        self.d.events(reply['id'], collection='matrices')
        p = cli('--server', self.d.base, '--json', 'matrices', '--limit', '1')
        self.assertEqual(p.returncode, 0, p.stderr)
        listed = json.loads(p.stdout)['matrices']
        self.assertEqual([(m['id'], m['status'], m['done'], m['total']) for m in listed], [(reply['id'], 'done', 1, 1)])
        p = cli('--server', self.d.base, 'matrices')
        self.assertIn(f"{reply['id']}  done", p.stdout)
        self.assertIn('1/1', p.stdout)
        p = cli('--server', self.d.base, 'matrices', '--limit', '0')
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)

    def test_log_delete_through_daemon(self):
        run_id = self.d.boot(dict(FIXTURE_BOOT))
        self.assertEqual(self.d.wait(run_id)['status'], 'succeeded')
        p = cli('--server', self.d.base, '--json', 'log', 'delete', run_id)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreater(json.loads(p.stdout)['freed_bytes'], 0)
        status, reply, _ = self.d.json('GET', f'/api/v1/runs/{run_id}/serial')
        self.assertEqual((status, reply['error']['code']), (410, 'serial_deleted'))

    def test_daemon_errors_are_passed_on(self):
        p = cli('--server', self.d.base, '--json', 'boot', *FIXTURE_ARGS, '--memory-mb', '1')
        self.assertEqual(p.returncode, 2)
        self.assertEqual(json.loads(p.stdout)['error']['field'], 'memory_mb')

    def test_in_process_boot_refused_while_daemon_owns_state_dir(self):
        p = cli('--state-dir', self.d.state_dir, 'boot', *FIXTURE_ARGS)
        self.assertEqual(p.returncode, 3)
        self.assertIn('--server', p.stderr)

    def test_unreachable_server(self):
        p = cli('--server', 'http://127.0.0.1:1', 'runs')
        self.assertEqual(p.returncode, 3)
        self.assertIn('cannot reach the daemon', p.stderr)


class ServeAliasTest(unittest.TestCase):
    def test_serve_runs_the_daemon(self):
        state = tempfile.mkdtemp(prefix='ma-serve-')
        p = subprocess.Popen([CLI, 'serve', '--listen', '127.0.0.1:0', '--state-dir', state],
                             stderr=subprocess.PIPE, text=True)
        try:
            line = p.stderr.readline()
            self.assertIn('listening on http://127.0.0.1:', line)
        finally:
            p.terminate()
            self.assertEqual(p.wait(30), 0)
            p.stderr.close()
            shutil.rmtree(state, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
