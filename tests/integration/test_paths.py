"""The --image-dir policy against what QEMU really opens (issue 13, finding 5):
an initrd name QEMU splits at a space, a qcow2 whose backing file or data file
lies outside the image dirs, a queued run's kernel swapped for a symlink out
after the 202, and a FIFO given to image registration (answered at once, and
SIGTERM still prompt). The daemons here serve one image dir of the test's own;
a second directory outside it holds what must never be opened."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import FIXTURE, Daemon, fixture_boot  # noqa: E402

MCP_HEADERS = {'Accept': 'application/json, text/event-stream', 'MCP-Protocol-Version': '2025-06-18',
               'Content-Type': 'application/json'}


def qemu_img(*args):
    subprocess.run(['qemu-img', *args], check=True, capture_output=True, timeout=60)


class PathPolicyTest(unittest.TestCase):
    def setUp(self):
        self.allowed = tempfile.mkdtemp(prefix='ma-allowed-')
        self.outside = tempfile.mkdtemp(prefix='ma-outside-')
        self.kernel = os.path.join(self.allowed, 'fixture.elf')
        shutil.copy(FIXTURE, self.kernel)
        self.secret = os.path.join(self.outside, 'secret.elf')
        shutil.copy(FIXTURE, self.secret)
        self.d = None

    def tearDown(self):
        if self.d:
            self.d.finish()
        shutil.rmtree(self.allowed, ignore_errors=True)
        shutil.rmtree(self.outside, ignore_errors=True)

    def daemon(self, *extra):
        self.d = Daemon(extra_args=('--image-dir', self.allowed, *extra))
        return self.d

    def boot(self, **extra):
        return dict(fixture_boot(kernel=self.kernel, accel='tcg'), **extra)

    def test_an_initrd_name_with_a_space_is_refused(self):
        # "/dir/secretlink x" is a regular file inside the dir; QEMU's multiboot loader would open
        # /dir/secretlink (a symlink out) and hand "x" to the module as its arguments.
        spaced = os.path.join(self.allowed, 'secretlink x')
        shutil.copy(FIXTURE, spaced)
        os.symlink(self.secret, os.path.join(self.allowed, 'secretlink'))
        d = self.daemon()
        for name in (spaced, os.path.join(self.allowed, 'a,b')):
            status, reply, _ = d.json('POST', '/api/v1/boots', self.boot(initrd=[name]))
            self.assertEqual((status, reply['error']['code'], reply['error']['field']), (400, 'invalid_path', 'initrd'),
                             reply)
        status, reply, _ = d.json('POST', '/api/v1/matrices', dict(self.boot(initrd=[spaced]), cpus=[1], samples=1))
        self.assertEqual((status, reply['error']['field']), (400, 'initrd'), reply)
        self.assertEqual(d.json('GET', '/api/v1/runs')[1]['runs'], [])  # nothing was started

    def test_a_backing_file_outside_the_image_dirs_is_never_opened(self):
        base = os.path.join(self.outside, 'base.raw')
        qemu_img('create', '-q', '-f', 'raw', base, '16M')
        escape = os.path.join(self.allowed, 'escape.qcow2')
        qemu_img('create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', escape)
        # Two levels, the outer one relative: judged as QEMU resolves it (beside the image naming it).
        outer = os.path.join(self.allowed, 'outer.qcow2')
        qemu_img('create', '-q', '-f', 'qcow2', '-b', 'escape.qcow2', '-F', 'qcow2', outer)
        data = os.path.join(self.allowed, 'data.qcow2')
        qemu_img('create', '-q', '-f', 'qcow2', '-o', f'data_file={os.path.join(self.outside, "data.raw")}', data,
                 '16M')
        inside_base = os.path.join(self.allowed, 'base.raw')
        qemu_img('create', '-q', '-f', 'raw', inside_base, '16M')
        inside = os.path.join(self.allowed, 'inside.qcow2')
        qemu_img('create', '-q', '-f', 'qcow2', '-b', inside_base, '-F', 'raw', inside)
        d = self.daemon()
        for disk, culprit in ((escape, base), (outer, base), (data, os.path.join(self.outside, 'data.raw'))):
            run = d.wait(d.boot(self.boot(disk=disk, timeout_s=30)))
            self.assertEqual((run['status'], run['error']['code']), ('failed', 'path_not_allowed'), run['error'])
            self.assertIn(culprit, run['error']['message'])
            self.assertIsNone(run['qemu_start_ms'])  # QEMU never started
            self.assertEqual(os.listdir(os.path.join(d.state_dir, 'overlays')), [])  # nor qemu-img create
        run = d.wait(d.boot(self.boot(disk=inside, timeout_s=60)))  # a chain inside the dirs boots
        self.assertEqual(run['status'], 'succeeded', run['error'])

    def test_a_kernel_swapped_for_a_symlink_while_queued_is_not_opened(self):
        d = self.daemon('--max-running', '1')
        first = d.boot(self.boot(append='console=tty00 fixture=hang', timeout_s=4))
        d.wait(first, statuses={'running'})
        swapped = os.path.join(self.allowed, 'swapped.elf')
        shutil.copy(FIXTURE, swapped)
        queued = d.boot(self.boot(kernel=swapped, timeout_s=60))
        self.assertEqual(d.run(queued)['status'], 'queued')
        os.unlink(swapped)  # after the 202: the same name, now a link out of the image dirs
        os.symlink(self.secret, swapped)
        run = d.wait(queued)
        self.assertEqual((run['status'], run['error']['code']), ('failed', 'path_not_allowed'), run['error'])
        self.assertIn('checked again when the run started', run['error']['message'])
        self.assertIn(swapped, run['error']['message'])
        self.assertIsNone(run['qemu_start_ms'])
        self.assertEqual(d.wait(first)['status'], 'timeout')

    def test_a_fifo_is_refused_at_once_and_sigterm_stays_prompt(self):
        fifo = os.path.join(self.allowed, 'image.iso')
        os.mkfifo(fifo)
        d = self.daemon()
        t0 = time.monotonic()
        req = urllib.request.Request(d.base + '/api/v1/images', data=json.dumps({'iso': fifo}).encode(),
                                     method='POST', headers={'Content-Type': 'application/json'})
        try:
            urllib.request.urlopen(req, timeout=10)
            self.fail('a FIFO was registered')
        except urllib.error.HTTPError as e:
            reply = json.loads(e.read())
            self.assertEqual((e.code, reply['error']['code'], reply['error']['field']), (400, 'not_a_file', 'iso'))
        self.assertLess(time.monotonic() - t0, 3)
        for field, body in (('kernel', self.boot(kernel=fifo)), ('disk', self.boot(disk=fifo)),
                            ('iso', {'arch': 'i386', 'iso': fifo, 'profile': 'minix-3.4'})):
            status, reply, _ = d.json('POST', '/api/v1/boots', body)
            self.assertEqual((status, reply['error']['code'], reply['error']['field']), (400, 'not_a_file', field))
        t0 = time.monotonic()
        self.assertEqual(d.stop(signal.SIGTERM), 0, ''.join(d.log))
        self.assertLess(time.monotonic() - t0, 10)

    def test_mcp_image_verify_obeys_the_image_dirs(self):
        d = self.daemon()
        iso = os.path.join(self.outside, 'fixture.iso')
        shutil.copy(os.environ['MA_FIXTURE_ISO'], iso)
        init = {'jsonrpc': '2.0', 'id': 1, 'method': 'initialize', 'params': {
            'protocolVersion': '2025-06-18', 'capabilities': {}, 'clientInfo': {'name': 't', 'version': '1'}}}
        status, _, headers = d.json('POST', '/mcp', init, headers=MCP_HEADERS)
        self.assertEqual(status, 200)
        h = dict(MCP_HEADERS, **{'Mcp-Session-Id': headers['Mcp-Session-Id']})
        status, reply, _ = d.json('POST', '/mcp', {'jsonrpc': '2.0', 'id': 2, 'method': 'tools/call',
                                                   'params': {'name': 'image_verify', 'arguments': {'iso': iso}}},
                                  headers=h)
        self.assertEqual(status, 200, reply)
        self.assertTrue(reply['result']['isError'], reply)
        self.assertIn('path_not_allowed', reply['result']['content'][0]['text'])
        self.assertEqual(d.json('GET', '/api/v1/images')[1]['images'], [])


if __name__ == '__main__':
    unittest.main()
