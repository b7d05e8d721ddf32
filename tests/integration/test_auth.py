"""Bearer tokens: made, listed and revoked with the CLI on the daemon's state
dir (beside the running daemon); a daemon with --auth answers 401 without a
valid token, 403 when a read-only token asks to change something (REST and
MCP alike), and serves everything to a full token; non-loopback addresses
need --auth."""
import json
import os
import subprocess
import sys
import re
import shutil
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import CLI, DAEMON, FIXTURE, Daemon, fixture_boot  # noqa: E402

MCP_HEADERS = {'Accept': 'application/json, text/event-stream', 'MCP-Protocol-Version': '2025-06-18'}


def token(state, *args):
    p = subprocess.run([CLI, '--state-dir', state, 'token', *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(extra_args=('--auth',))
        cls.full = token(cls.d.state_dir, 'create', '--name', 'ci')
        cls.read = token(cls.d.state_dir, 'create', '--name', 'viewer', '--read-only')

    @classmethod
    def tearDownClass(cls):
        cls.d.token = None
        cls.d.finish()

    def call(self, tok, method, path, body=None, headers=None):
        h = dict(headers or {})
        if tok:
            h['Authorization'] = f'Bearer {tok}'
        return self.d.json(method, path, body, headers=h)

    def test_tokens_look_and_are_kept_hashed(self):
        self.assertRegex(self.full, r'^ma_[0-9a-f]{48}$')
        listing = json.loads(token(self.d.state_dir, 'list'))
        scopes = {t['name']: t['scope'] for t in listing}
        self.assertEqual((scopes['ci'], scopes['viewer']), ('full', 'read'))
        self.assertTrue(all(set(t) == {'id', 'name', 'scope', 'created_at', 'revoked_at'} for t in listing))
        with open(os.path.join(self.d.state_dir, 'minix-analysis.db'), 'rb') as f:
            db = f.read()
        wal = os.path.join(self.d.state_dir, 'minix-analysis.db-wal')
        if os.path.exists(wal):
            with open(wal, 'rb') as f:
                db += f.read()
        self.assertNotIn(self.full.encode(), db)
        self.assertNotIn(self.read.encode(), db)

    def test_without_a_valid_token_401(self):
        status, body, headers = self.call(None, 'GET', '/api/v1/runs')
        self.assertEqual((status, body['error']['code']), (401, 'unauthorized'))
        self.assertEqual(headers['WWW-Authenticate'], 'Bearer realm="minix-analysis"')
        status, body, _ = self.call('ma_' + '0' * 48, 'GET', '/api/v1/runs')
        self.assertEqual(status, 401)
        status, body, _ = self.call(None, 'POST', '/mcp', {'jsonrpc': '2.0', 'id': 1, 'method': 'ping'}, MCP_HEADERS)
        self.assertEqual(status, 401)
        self.assertEqual(self.call(None, 'GET', '/metrics')[0], 401)
        # The health check stays open, for load balancers.
        self.assertEqual(self.call(None, 'GET', '/api/v1/health')[0], 200)

    def test_read_token_looks_but_does_not_start(self):
        self.assertEqual(self.call(self.read, 'GET', '/api/v1/runs')[0], 200)
        status, body, _ = self.call(self.read, 'POST', '/api/v1/boots', fixture_boot())
        self.assertEqual((status, body['error']['code']), (403, 'forbidden'))
        init = {'jsonrpc': '2.0', 'id': 1, 'method': 'initialize', 'params': {
            'protocolVersion': '2025-06-18', 'capabilities': {}, 'clientInfo': {'name': 't', 'version': '1'}}}
        status, _, headers = self.call(self.read, 'POST', '/mcp', init, MCP_HEADERS)
        self.assertEqual(status, 200)
        h = dict(MCP_HEADERS, **{'Mcp-Session-Id': headers['Mcp-Session-Id']})
        status, reply, _ = self.call(self.read, 'POST', '/mcp', {'jsonrpc': '2.0', 'id': 2, 'method': 'tools/call',
                                     'params': {'name': 'runs_list', 'arguments': {'limit': 1}}}, h)
        self.assertEqual(status, 200, reply)
        status, reply, _ = self.call(self.read, 'POST', '/mcp', {'jsonrpc': '2.0', 'id': 3, 'method': 'tools/call',
                                     'params': {'name': 'boot_measure', 'arguments': fixture_boot()}}, h)
        self.assertEqual((status, reply['error']['code']), (403, 'forbidden'))

    def test_full_token_runs_boots_and_the_cli_sends_it(self):
        status, reply, _ = self.call(self.full, 'POST', '/api/v1/boots', fixture_boot(accel='tcg'))
        self.assertEqual(status, 202, reply)
        self.d.token = self.full
        try:
            run = self.d.wait(reply['id'])
        finally:
            self.d.token = None
        self.assertEqual(run['status'], 'succeeded')
        p = subprocess.run([CLI, '--server', self.d.base, '--token', self.full, 'runs', '--limit', '1'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(reply['id'], p.stdout)
        p = subprocess.run([CLI, '--server', self.d.base, 'runs'], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('unauthorized', p.stderr)

    def test_revoked_tokens_stop_working(self):
        t = token(self.d.state_dir, 'create', '--name', 'short-lived')
        self.assertEqual(self.call(t, 'GET', '/api/v1/runs')[0], 200)
        tid = [x['id'] for x in json.loads(token(self.d.state_dir, 'list')) if x['name'] == 'short-lived'][0]
        token(self.d.state_dir, 'revoke', tid)
        self.assertEqual(self.call(t, 'GET', '/api/v1/runs')[0], 401)
        revoked = [x for x in json.loads(token(self.d.state_dir, 'list')) if x['id'] == tid][0]
        self.assertIsNotNone(revoked['revoked_at'])
        p = subprocess.run([CLI, '--state-dir', self.d.state_dir, 'token', 'revoke', tid], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2)


class ListenTest(unittest.TestCase):
    def test_non_loopback_needs_auth(self):
        with tempfile.TemporaryDirectory() as state:
            p = subprocess.run([DAEMON, '--listen', '0.0.0.0:0', '--state-dir', state], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(p.returncode, 2)
            self.assertIn('without --auth', p.stderr)
        with tempfile.TemporaryDirectory() as state:
            p = subprocess.Popen([DAEMON, '--auth', '--listen', '0.0.0.0:0', '--state-dir', state],
                                 stderr=subprocess.PIPE, text=True)
            try:
                self.assertIn('listening on http://0.0.0.0:', p.stderr.readline())
            finally:
                p.terminate()
                log = p.communicate(timeout=30)[1]
            self.assertEqual(p.returncode, 0, log)
            self.assertNotIn('LeakSanitizer', log)


class RateLimitTest(unittest.TestCase):
    def test_token_buckets_per_client(self):
        d = Daemon(extra_args=('--auth', '--rate-limit', '5', '--rate-burst', '5'))
        try:
            a = token(d.state_dir, 'create', '--name', 'a')
            b = token(d.state_dir, 'create', '--name', 'b')
            codes, retry = [], None
            for _ in range(20):
                status, body, headers = d.json('GET', '/api/v1/runs', headers={'Authorization': f'Bearer {a}'})
                codes.append(status)
                if status == 429:
                    retry = headers['Retry-After']
                    self.assertEqual(body['error']['code'], 'rate_limited')
            self.assertEqual(codes[:5], [200] * 5)
            self.assertGreaterEqual(codes.count(429), 14)  # a few may refill while the loop runs
            self.assertGreaterEqual(int(retry), 1)
            # Another token has its own bucket; the health check is never limited.
            self.assertEqual(d.json('GET', '/api/v1/runs', headers={'Authorization': f'Bearer {b}'})[0], 200)
            self.assertEqual(d.json('GET', '/api/v1/health')[0], 200)
            time.sleep(1.3)
            self.assertEqual(d.json('GET', '/api/v1/runs', headers={'Authorization': f'Bearer {a}'})[0], 200)
            _, _, metrics = d.request('GET', '/metrics', headers={'Authorization': f'Bearer {b}'})
            m = re.search(rb'^minix_analysis_rate_limited_total (\d+)$', metrics, re.M)
            self.assertEqual(int(m.group(1)), codes.count(429))
        finally:
            d.finish()



class PathPolicyTest(unittest.TestCase):
    def test_only_files_inside_image_dirs(self):
        iso_src = os.environ['MA_FIXTURE_ISO']
        with tempfile.TemporaryDirectory() as allowed, tempfile.TemporaryDirectory() as outside:
            kernel = os.path.join(allowed, 'fixture.elf')
            shutil.copy(FIXTURE, kernel)
            stray = os.path.join(outside, 'fixture.elf')
            shutil.copy(FIXTURE, stray)
            os.symlink(stray, os.path.join(allowed, 'escape.elf'))
            os.mkfifo(os.path.join(allowed, 'fifo'))
            iso = os.path.join(allowed, 'minix.iso')
            shutil.copy(iso_src, iso)
            d = Daemon(extra_args=('--image-dir', allowed))
            try:
                run = d.wait(d.boot(fixture_boot(kernel=kernel, accel='tcg')))
                self.assertEqual(run['status'], 'succeeded')
                for path, code, status in ((stray, 'path_not_allowed', 403),
                                           (os.path.join(allowed, 'escape.elf'), 'path_not_allowed', 403),
                                           (os.path.join(allowed, '..', os.path.basename(outside), 'fixture.elf'),
                                            'path_not_allowed', 403),
                                           (os.path.join(allowed, 'fifo'), 'not_a_file', 400)):
                    st, reply, _ = d.json('POST', '/api/v1/boots', fixture_boot(kernel=path))
                    self.assertEqual((st, reply['error']['code'], reply['error']['field']), (status, code, 'kernel'),
                                     path)
                st, reply, _ = d.json('POST', '/api/v1/images', {'iso': iso_src})
                self.assertEqual((st, reply['error']['code']), (403, 'path_not_allowed'))
                st, image, _ = d.json('POST', '/api/v1/images', {'iso': iso})
                self.assertEqual(st, 201, image)
                # The kernel and modules the daemon extracts into its state dir are its own: allowed.
                run = d.wait(d.boot({'image': image['id'], 'profile': 'minix-3.4', 'accel': 'tcg', 'timeout_s': 60}))
                self.assertEqual(run['status'], 'succeeded')
            finally:
                d.finish()

    def test_without_image_dir_only_the_state_dirs_images_are_opened(self):
        d = Daemon(image_dirs=())
        try:
            st, reply, _ = d.json('POST', '/api/v1/boots', fixture_boot())
            self.assertEqual((st, reply['error']['code'], reply['error']['field']), (403, 'path_not_allowed', 'kernel'))
            self.assertIn("state dir's images/", reply['error']['message'])
            kernel = os.path.join(d.state_dir, 'images', 'fixture.elf')
            shutil.copy(FIXTURE, kernel)
            run = d.wait(d.boot(fixture_boot(kernel=kernel, accel='tcg')))
            self.assertEqual(run['status'], 'succeeded')
        finally:
            d.finish()

    def test_image_dirs_from_the_config_file_and_at_most_16(self):
        with tempfile.TemporaryDirectory() as state:
            config = os.path.join(state, 'config.json')
            with open(config, 'w') as f:
                json.dump({'image_dirs': [os.path.dirname(FIXTURE)]}, f)
            d = Daemon(extra_args=('--config', config), image_dirs=())
            try:
                run = d.wait(d.boot(fixture_boot(accel='tcg')))
                self.assertEqual(run['status'], 'succeeded')
            finally:
                d.finish()
            many = [a for i in range(17) for a in ('--image-dir', state)]
            p = subprocess.run([DAEMON, '--listen', '127.0.0.1:0', '--state-dir', state, *many], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn('more than 16 image directories', p.stderr)


if __name__ == '__main__':
    unittest.main()
