"""The state dir's disk: a quota on its total use (--max-state-mb), freeing
space by deleting a finished run's console log, and a filesystem that fills
up while a guest floods its console (a real tmpfs of a few MiB mounted for
the test), against a real daemon and QEMU."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, fixture_boot  # noqa: E402


def post_until_accepted(d, body, timeout=15):
    """The quota is measured in the background: a retry sees space freed since a refusal."""
    deadline = time.monotonic() + timeout
    while True:
        status, reply, _ = d.json('POST', '/api/v1/boots', body)
        if status == 202 or time.monotonic() > deadline:
            return status, reply
        time.sleep(0.2)


class QuotaTest(unittest.TestCase):
    def test_new_work_is_refused_while_the_state_dir_is_over_its_quota(self):
        state = tempfile.mkdtemp(prefix='ma-quota-')
        os.makedirs(os.path.join(state, 'images'))
        big = os.path.join(state, 'images', 'big.img')
        with open(big, 'wb') as f:
            f.write(os.urandom(3 << 20))  # written, not sparse: it takes 3 MiB on disk
        d = Daemon(state_dir=state, extra_args=('--max-state-mb', '2'))
        try:
            status, reply, _ = d.json('POST', '/api/v1/boots', fixture_boot(accel='tcg'))
            self.assertEqual((status, reply['error']['code']), (507, 'state_dir_over_quota'), reply)
            for path, body in (('/api/v1/matrices', fixture_boot(accel='tcg', cpus=[1], samples=1)),
                               ('/api/v1/traces', {**fixture_boot(accel='tcg'), 'command': 'ls'})):
                status, reply, _ = d.json('POST', path, body)
                self.assertEqual((status, reply['error']['code']), (507, 'state_dir_over_quota'), (path, reply))
            _, health, _ = d.json('GET', '/api/v1/health')
            self.assertGreaterEqual(health['disk']['state_dir_bytes'], 3 << 20)
            self.assertEqual(health['disk']['quota_bytes'], 2 << 20)
            self.assertTrue(health['disk']['reserve_held'])
            metrics = d.request('GET', '/metrics')[2].decode()
            self.assertIn('minix_analysis_state_dir_quota_bytes 2097152\n', metrics)
            os.unlink(big)
            status, reply = post_until_accepted(d, fixture_boot(accel='tcg'))
            self.assertEqual(status, 202, reply)
            run = d.wait(reply['id'])
            self.assertEqual(run['status'], 'succeeded')
            _, health, _ = d.json('GET', '/api/v1/health')
            self.assertLess(health['disk']['state_dir_bytes'], 2 << 20)  # the reserve is not counted
            # Space comes back by deleting a finished run's console log; its measurement stays.
            status, reply, _ = d.json('DELETE', f"/api/v1/runs/{run['id']}/serial")
            self.assertEqual((status, reply['serial_deleted']), (200, True), reply)
            self.assertGreater(reply['freed_bytes'], 0)
            self.assertFalse(os.path.exists(os.path.join(state, 'runs', run['id'] + '.serial')))
            status, reply, _ = d.json('GET', f"/api/v1/runs/{run['id']}/serial")
            self.assertEqual((status, reply['error']['code']), (410, 'serial_deleted'))
            self.assertEqual(d.run(run['id'])['markers'], run['markers'])
            hung = d.boot(fixture_boot('console=tty00 fixture=hang', accel='tcg'))
            d.wait_marker(hung, 'multiuser_startup')
            status, reply, _ = d.json('DELETE', f'/api/v1/runs/{hung}/serial')
            self.assertEqual((status, reply['error']['code']), (409, 'run_not_finished'))
            d.json('DELETE', f'/api/v1/runs/{hung}')
        finally:
            d.finish()
            shutil.rmtree(state, ignore_errors=True)


@unittest.skipUnless(os.geteuid() == 0, 'mounting a tmpfs needs root (CI runs as root)')
class DiskFullTest(unittest.TestCase):
    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix='ma-full-')
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', self.mnt], check=True)

    def tearDown(self):
        subprocess.run(['umount', self.mnt], check=True)
        os.rmdir(self.mnt)

    def test_a_full_disk_ends_the_run_and_refuses_work_until_space_is_freed(self):
        d = Daemon(state_dir=self.mnt, extra_args=('--min-free-mb', '1'))
        try:
            # 3 MB of console into what is left of 4 MiB after the database and the 1 MiB reserve.
            run = d.wait(d.boot(fixture_boot('console=tty00 fixture=flood', timeout_s=120, accel='tcg')))
            self.assertEqual((run['status'], run['error']['code']), ('failed', 'disk_full'), run)
            self.assertIn('No space left on device', run['error']['message'])
            self.assertTrue(run['markers'], 'the markers seen before the disk filled were kept')
            _, health, _ = d.json('GET', '/api/v1/health')  # still serving
            self.assertFalse(health['disk']['reserve_held'])
            status, reply, _ = d.json('POST', '/api/v1/boots', fixture_boot(accel='tcg'))
            self.assertEqual((status, reply['error']['code']), (507, 'disk_full'), reply)
            status, reply, _ = d.json('DELETE', f"/api/v1/runs/{run['id']}/serial")
            self.assertEqual(status, 200, reply)
            self.assertGreater(reply['freed_bytes'], 2 << 20)
            status, reply, _ = d.json('POST', '/api/v1/boots', fixture_boot(accel='tcg'))
            self.assertEqual(status, 202, reply)
            self.assertEqual(d.wait(reply['id'])['status'], 'succeeded')
            _, health, _ = d.json('GET', '/api/v1/health')
            self.assertTrue(health['disk']['reserve_held'])
            self.assertEqual(d.run(run['id'])['error']['code'], 'disk_full')  # recorded for good
        finally:
            d.finish()


if __name__ == '__main__':
    unittest.main()
