"""--max-queued for matrices and installs, and what installs leave behind
(issue 13, finding 7): every run a matrix or an install will queue counts from
the start, so they are refused up front (503 queue_full with Retry-After) like
a boot; a failed or cancelled install deletes its disk; DELETE
/api/v1/images/ID forgets an ISO or an installed disk and deletes what the
daemon made for it (never the user's own file), 409 while it is in use; the
same through MCP and the CLI. Guests: the MINIX console fixture (not MINIX)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import CLI, Daemon, fixture_boot, work_dir  # noqa: E402

ISO = os.environ['MA_FIXTURE_ISO']
FINAL = {'succeeded', 'failed', 'cancelled', 'interrupted'}
HANG = 'console=tty00 fixture=hang'
MCP_HEADERS = {'Accept': 'application/json, text/event-stream', 'MCP-Protocol-Version': '2025-06-18'}


def mcp_call(d, tool, arguments):
    init = {'jsonrpc': '2.0', 'id': 1, 'method': 'initialize', 'params': {
        'protocolVersion': '2025-06-18', 'capabilities': {}, 'clientInfo': {'name': 't', 'version': '1'}}}
    status, _, headers = d.json('POST', '/mcp', init, headers=MCP_HEADERS)
    assert status == 200
    h = dict(MCP_HEADERS, **{'Mcp-Session-Id': headers['Mcp-Session-Id']})
    status, reply, _ = d.json('POST', '/mcp', {'jsonrpc': '2.0', 'id': 2, 'method': 'tools/call',
                                               'params': {'name': tool, 'arguments': arguments}}, headers=h)
    assert status == 200, reply
    return reply['result']


def wait_install(d, install_id, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code, doc, _ = d.json('GET', f'/api/v1/installs/{install_id}')
        assert code == 200, doc
        if doc['status'] in FINAL:
            return doc
        time.sleep(0.05)
    raise AssertionError(f'install {install_id} still {doc["status"]}')


def register(d, iso=ISO):
    code, image, _ = d.json('POST', '/api/v1/images', {'iso': iso})
    assert code == 201, image
    return image


class MatrixQueueTest(unittest.TestCase):
    def test_a_matrix_counts_all_its_runs_against_max_queued(self):
        d = Daemon(extra_args=('--max-running', '1', '--max-queued', '4'))
        try:
            hang = fixture_boot(HANG, accel='tcg', timeout_s=120)
            code, first, _ = d.json('POST', '/api/v1/matrices', dict(hang, cpus=[1, 2], samples=2))
            self.assertEqual((code, first['total']), (202, 4), first)
            # One run started at once; three still count as waiting. Room for one more, not for two.
            code, reply, headers = d.json('POST', '/api/v1/matrices', dict(hang, cpus=[1], samples=2))
            self.assertEqual((code, reply['error']['code']), (503, 'queue_full'), reply)
            self.assertIn('Retry-After', headers)
            result = mcp_call(d, 'matrix_start', dict(hang, cpus=[1], samples=2))
            self.assertTrue(result['isError'])
            self.assertIn('queue_full', result['content'][0]['text'])
            # More runs than could ever wait: not worth a retry.
            code, reply, _ = d.json('POST', '/api/v1/matrices', dict(hang, cpus=list(range(1, 17)), samples=100))
            self.assertEqual((code, reply['error']['code'], reply['error']['field']), (400, 'too_many_runs', 'samples'))
            boot = d.boot(hang)  # the last place
            code, reply, headers = d.json('POST', '/api/v1/boots', hang)
            self.assertEqual((code, reply['error']['code']), (503, 'queue_full'), reply)
            self.assertEqual(d.json('DELETE', f"/api/v1/matrices/{first['id']}")[0], 202)
            d.json('DELETE', f'/api/v1/runs/{boot}')
            code, second, _ = d.json('POST', '/api/v1/matrices', dict(hang, cpus=[1], samples=2))
            self.assertEqual(code, 202, second)  # what the cancelled matrix held is free again
        finally:
            d.finish()


class InstallQueueTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(extra_args=('--max-running', '1', '--max-queued', '4'))
        cls.iso = register(cls.d)['id']
        cls.disks = os.path.join(cls.d.state_dir, 'disks')

    @classmethod
    def tearDownClass(cls):
        cls.d.finish()

    def start(self, **extra):
        body = {'image': self.iso, 'disk_mb': 64, 'disk_boot': 'kernel', 'accel': 'tcg'}
        body.update(extra)
        return self.d.json('POST', '/api/v1/installs', body)

    def test_installs_are_refused_up_front_and_cancelled_ones_leave_no_disk(self):
        # Each install will queue two runs (the install, the verification): two fill a queue of four.
        # A hanging boot holds the one running place first, so that no install run leaves the queue
        # while the test fills it (a running run no longer counts against --max-queued).
        blocker = self.d.boot(fixture_boot('console=tty00 fixture=hang', accel='tcg', timeout_s=120))
        self.d.wait(blocker, 30, statuses={'running'})
        accepted = []
        for _ in range(2):
            code, doc, _ = self.start(append='fixture=hang')
            self.assertEqual(code, 202, doc)
            accepted.append(doc)
        code, reply, headers = self.start()
        self.assertEqual((code, reply['error']['code']), (503, 'queue_full'), reply)
        self.assertIn('Retry-After', headers)
        code, reply, _ = self.d.json('POST', '/api/v1/boots', fixture_boot(accel='tcg'))
        self.assertEqual((code, reply['error']['code']), (503, 'queue_full'), reply)
        self.assertLessEqual(set(os.listdir(self.disks)), {os.path.basename(a['disk']) for a in accepted})
        for doc in accepted:
            self.assertEqual(self.d.json('DELETE', f"/api/v1/installs/{doc['id']}")[0], 202)
        self.d.request('DELETE', f'/api/v1/runs/{blocker}')
        for doc in accepted:
            done = wait_install(self.d, doc['id'])
            self.assertEqual((done['status'], done.get('disk_removed')), ('cancelled', True), done)
            self.assertFalse(os.path.exists(doc['disk']))
        self.assertEqual(os.listdir(self.disks), [])
        code, doc, _ = self.start(verify=False, scenario={'name': 'never', 'steps': [
            {'name': 'wait', 'expect': 'nologin: $', 'timeout_s': 1}]})
        self.assertEqual(code, 202, doc)  # room again
        wait_install(self.d, doc['id'])

    def test_a_failed_install_deletes_its_disk(self):
        code, doc, _ = self.start(verify=False, scenario={'name': 'wrong-login', 'steps': [
            {'name': 'wait', 'expect': 'nologin: $', 'timeout_s': 2}]})
        self.assertEqual(code, 202, doc)
        done = wait_install(self.d, doc['id'])
        self.assertEqual((done['status'], done['error']['code'], done.get('disk_removed')),
                         ('failed', 'install_failed', True), done)
        self.assertFalse(os.path.exists(done['disk']))


class ImageDeleteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        cls.work = work_dir('ma-delete-')

    @classmethod
    def tearDownClass(cls):
        cls.d.finish()
        shutil.rmtree(cls.work, ignore_errors=True)

    def own_iso(self, name):
        iso = os.path.join(self.work, name)
        with open(ISO, 'rb') as f, open(iso, 'wb') as g:
            g.write(f.read() + name.encode().ljust(2048, b'\0'))  # another SHA-256: another image
        return iso

    def test_deleting_an_iso_removes_its_extracted_files_not_the_iso(self):
        iso = self.own_iso('mine.iso')
        image = register(self.d, iso)
        run = self.d.wait(self.d.boot({'image': image['id'], 'profile': 'minix-3.4', 'accel': 'tcg',
                                       'timeout_s': 60}))
        self.assertEqual(run['status'], 'succeeded', run['error'])
        cache = os.path.join(self.d.state_dir, 'images', image['sha256'])
        self.assertTrue(os.path.isdir(cache))
        code, reply, _ = self.d.json('DELETE', f"/api/v1/images/{image['id']}")
        self.assertEqual((code, reply['id'], reply['removed']), (200, image['id'], [cache]), reply)
        self.assertGreater(reply['freed_bytes'], 0)
        self.assertFalse(os.path.exists(cache))
        self.assertTrue(os.path.exists(iso))  # the user's own file stays
        self.assertEqual(self.d.json('GET', f"/api/v1/images/{image['id']}")[0], 404)
        for bad in (image['id'], 'not-an-id'):
            code, reply, _ = self.d.json('DELETE', f'/api/v1/images/{bad}')
            self.assertEqual((code, reply['error']['code'], reply['error']['field']), (404, 'image_not_found', 'id'))

    def test_an_image_in_use_is_409_until_its_run_ends(self):
        image = register(self.d, self.own_iso('busy.iso'))
        run_id = self.d.boot({'image': image['id'], 'profile': 'minix-3.4', 'accel': 'tcg', 'timeout_s': 60,
                              'append': 'fixture=hang'})
        code, reply, _ = self.d.json('DELETE', f"/api/v1/images/{image['id']}")
        self.assertEqual((code, reply['error']['code']), (409, 'image_in_use'), reply)
        self.d.json('DELETE', f'/api/v1/runs/{run_id}')
        self.d.wait(run_id)
        self.assertEqual(self.d.json('DELETE', f"/api/v1/images/{image['id']}")[0], 200)

    def test_deleting_an_installed_disk_removes_the_disk(self):
        iso = register(self.d)
        code, doc, _ = self.d.json('POST', '/api/v1/installs', {'image': iso['id'], 'disk_mb': 64, 'verify': False,
                                                                'disk_boot': 'kernel', 'accel': 'tcg'})
        self.assertEqual(code, 202, doc)
        doc = wait_install(self.d, doc['id'])
        self.assertEqual(doc['status'], 'succeeded', doc)
        self.assertTrue(os.path.exists(doc['disk']))
        result = mcp_call(self.d, 'image_delete', {'id': 'ffffffffffffffff'})
        self.assertTrue(result['isError'])
        self.assertIn('image_not_found', result['content'][0]['text'])
        p = subprocess.run([CLI, '--server', self.d.base, '--json', 'image', 'delete', doc['disk_image']],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        reply = json.loads(p.stdout)
        self.assertEqual(reply['removed'], [doc['disk']])
        self.assertGreater(reply['freed_bytes'], 0)
        self.assertFalse(os.path.exists(doc['disk']))
        self.assertEqual(self.d.json('GET', f"/api/v1/images/{doc['disk_image']}")[0], 404)
        result = mcp_call(self.d, 'image_delete', {'id': iso['id']})
        self.assertFalse(result.get('isError'), result)
        self.assertEqual(result['structuredContent']['id'], iso['id'])


class CliImageDeleteTest(unittest.TestCase):
    def test_in_process_delete_and_its_lock(self):
        state = tempfile.mkdtemp(prefix='ma-cli-delete-')
        try:
            def cli(*args):
                return subprocess.run([CLI, '--state-dir', state, '--json', *args], capture_output=True, text=True,
                                      timeout=120)
            image = json.loads(cli('image', 'verify', '--iso', ISO).stdout)
            self.assertEqual(cli('boot', '--image', image['id'], '--profile', 'minix-3.4', '--accel', 'tcg')
                             .returncode, 0)
            cache = os.path.join(state, 'images', image['sha256'])
            self.assertTrue(os.path.isdir(cache))
            d = Daemon(state_dir=state)
            try:  # a daemon on the state dir: it must do the deleting, it knows its runs
                p = cli('image', 'delete', image['id'])
                self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
                self.assertIn('in use by another', p.stderr)
            finally:
                d.finish()
            p = cli('image', 'delete', image['id'])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout)['removed'], [cache])
            self.assertFalse(os.path.exists(cache))
            self.assertEqual(cli('image', 'delete', image['id']).returncode, 2)
            self.assertEqual(cli('image', 'delete').returncode, 2)
        finally:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
