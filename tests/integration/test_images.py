"""ISO images: verification of the MINIX fixture ISO (built with xorriso at
build time, MINIX's layout, the fixture kernel; not MINIX), refusal of bad
images, registration, and boots from a registered image."""
import hashlib
import json
import os
import socket
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import CLI, Daemon, work_dir  # noqa: E402

ISO = os.environ['MA_FIXTURE_ISO']


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class ShutdownDuringVerificationTest(unittest.TestCase):
    def test_sigterm_while_an_image_is_being_verified(self):
        """MHD cannot stop with suspended connections: the daemon must let the
        verification answer, then exit 0 (it aborted before this was handled)."""
        d = Daemon()
        big = d.big = os.path.realpath(os.path.join(d.state_dir, 'images', 'big.iso'))
        with open(big, 'wb') as f:
            f.truncate(1 << 30)  # sparse: hashing it still reads 1 GiB
        # The request goes out whole before anything else (a thread's POST could still be on its way
        # when SIGTERM came, under ASan on a loaded host, and was then never answered).
        body = json.dumps({'iso': big}).encode()
        s = socket.create_connection(('127.0.0.1', d.port), timeout=60)
        try:
            s.sendall(b'POST /api/v1/images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
                      b'Content-Length: %d\r\nConnection: close\r\n\r\n%s' % (len(body), body))
            deadline = time.monotonic() + 30
            while not self.hashing(d) and time.monotonic() < deadline:
                time.sleep(0.05)
            code, health, _ = d.json('GET', '/api/v1/health')  # the loop is free while it hashes
            self.assertEqual((code, health['status']), (200, 'ok'))
            self.assertEqual(d.stop(signal.SIGTERM), 0, ''.join(d.log))
            answer = b''
            while chunk := s.recv(65536):
                answer += chunk
            head, _, reply = answer.partition(b'\r\n\r\n')
            self.assertTrue(head.startswith(b'HTTP/1.1 400'), answer)
            self.assertEqual(json.loads(reply)['error']['code'], 'not_an_iso')
        finally:
            s.close()
            d.cleanup()

    @staticmethod
    def hashing(d):
        """Whether the image is being read: some process (the daemon, or its ISO reader) has it open."""
        for pid in os.listdir('/proc'):
            fds = f'/proc/{pid}/fd'
            try:
                if pid.isdigit() and any(os.readlink(os.path.join(fds, fd)) == d.big for fd in os.listdir(fds)):
                    return True
            except OSError:
                continue
        return False


class IsoReaderTest(unittest.TestCase):
    """ISOs are read by a child process (minix-analysis-iso): libarchive never runs in the daemon."""

    def test_the_daemon_does_not_load_libarchive(self):
        d = Daemon()
        try:
            status, image, _ = d.json('POST', '/api/v1/images', {'iso': ISO})
            self.assertEqual(status, 201, image)
            with open(f'/proc/{d.proc.pid}/maps') as f:
                self.assertNotIn('libarchive', f.read())
        finally:
            d.finish()

    def test_a_reader_that_crashes_is_a_refused_image(self):
        reader = os.path.join(work_dir('ma-reader-'), 'crashing-reader')
        with open(reader, 'w') as f:
            f.write('#!/bin/sh\nkill -SEGV $$\n')
        os.chmod(reader, 0o755)
        d = Daemon(env={'MINIX_ANALYSIS_ISO_READER': reader})
        try:
            status, reply, _ = d.json('POST', '/api/v1/images', {'iso': ISO})
            self.assertEqual((status, reply['error']['code'], reply['error']['field']),
                             (400, 'iso_reader_crashed', 'iso'), reply)
            self.assertIn('signal 11', reply['error']['message'])
            self.assertEqual(d.json('GET', '/api/v1/health')[0], 200)  # the daemon was never at risk
        finally:
            d.finish()


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        cls.work = work_dir('ma-iso-')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)
        cls.d.finish()

    def register(self, body, status=201):
        code, reply, _ = self.d.json('POST', '/api/v1/images', body)
        self.assertEqual(code, status, reply)
        return reply

    def variant(self, name, boot_cfg):
        """An ISO like the fixture's but with another boot.cfg."""
        root = os.path.join(self.work, name)
        subprocess.run(['xorriso', '-osirrox', 'on', '-indev', ISO, '-extract', '/', root],
                       check=True, capture_output=True)
        os.chmod(root, 0o755)
        for dirpath, dirs, files in os.walk(root):
            for n in dirs + files:
                os.chmod(os.path.join(dirpath, n), 0o755)
        with open(os.path.join(root, 'boot.cfg'), 'w') as f:
            f.write(boot_cfg)
        out = os.path.join(self.work, name + '.iso')
        subprocess.run(['xorriso', '-as', 'mkisofs', '-quiet', '-R', '-J', '-V', 'MINIX', '-o', out, root],
                       check=True, capture_output=True)
        return out

    def test_fixture_iso_facts(self):
        image = self.register({'iso': ISO})
        self.assertEqual(image['sha256'], sha256(ISO))
        self.assertEqual(image['sha1'], hashlib.sha1(open(ISO, 'rb').read()).hexdigest())
        self.assertEqual(image['size'], os.path.getsize(ISO))
        self.assertEqual(image['release'], '3.4.0')
        self.assertEqual(image['kernel'], 'boot/minix_default/kernel')
        self.assertEqual(image['kernel_args'], 'bootcd=1 cdproberoot=1')
        self.assertEqual(len(image['modules']), 12)
        self.assertEqual(image['modules'][0], 'boot/minix_default/mod01_ds')
        self.assertEqual(image['modules'][-1], 'boot/minix_default/mod12_init')
        self.assertEqual(image['kernel_elf'], {'bits': 32, 'machine': 3, 'entry': image['kernel_elf']['entry'],
                                               'symbols': True})
        self.assertEqual(image['warnings'], [])
        self.assertIn('git revision, not a checksum', image['note'])
        again = self.register({'iso': ISO, 'sha256': sha256(ISO).upper()})
        self.assertEqual(again['id'], image['id'])
        status, listed, _ = self.d.json('GET', '/api/v1/images')
        self.assertIn(image['id'], [i['id'] for i in listed['images']])
        status, one, _ = self.d.json('GET', f"/api/v1/images/{image['id']}")
        self.assertEqual(one['sha256'], image['sha256'])

    def test_bad_images_are_refused(self):
        reply = self.register({'iso': ISO, 'sha256': '0' * 64}, 400)
        self.assertEqual((reply['error']['code'], reply['error']['field']), ('checksum_mismatch', 'sha256'))
        truncated = os.path.join(self.work, 'truncated.iso')
        with open(ISO, 'rb') as f, open(truncated, 'wb') as g:
            g.write(f.read()[:40 * 1024])
        self.assertIn(self.register({'iso': truncated}, 400)['error']['code'], ('corrupt_iso', 'not_an_iso'))
        garbage = os.path.join(self.work, 'garbage.iso')
        with open(garbage, 'wb') as g:
            g.write(os.urandom(256 * 1024))
        self.assertEqual(self.register({'iso': garbage}, 400)['error']['code'], 'not_an_iso')
        missing = self.variant('missing', 'menu=Regular MINIX 3:multiboot /boot/minix_default/kernel bootcd=1\n'
                                          'load=/boot/minix_default/mod01_ds\nload=/boot/minix_default/mod13_nope\n')
        reply = self.register({'iso': missing}, 400)
        self.assertEqual(reply['error']['code'], 'missing_module')
        self.assertIn('mod13_nope', reply['error']['message'])
        mods = sorted(m for m in os.listdir(os.path.join(self.work, 'missing', 'boot', 'minix_default'))
                      if m != 'kernel')[:11]
        eleven = self.variant('eleven', 'menu=Regular MINIX 3:multiboot /boot/minix_default/kernel bootcd=1\n' +
                              ''.join(f'load=/boot/minix_default/{m}\n' for m in mods))
        self.assertIn('expects exactly 12', self.register({'iso': eleven})['warnings'][0])
        for body, field in (({}, 'iso'), ({'iso': 'relative.iso'}, 'iso'), ({'iso': ISO, 'sha256': 'xyz'}, 'sha256'),
                            ({'iso': ISO, 'colour': 1}, 'colour')):
            self.assertEqual(self.register(body, 400)['error']['field'], field)

    def test_boot_from_registered_image(self):
        image = self.register({'iso': ISO})
        run_id = self.d.boot({'image': image['id'], 'profile': 'minix-3.4', 'cpus': 2, 'timeout_s': 60})
        run = self.d.wait(run_id)
        self.assertEqual(run['status'], 'succeeded', run['error'])
        self.assertEqual(run['markers'][-1]['name'], 'shell_prompt')
        self.assertEqual(run['request']['image'], image['id'])
        self.assertEqual(run['request']['append'], 'bootcd=1 cdproberoot=1 console=tty00')
        self.assertEqual(len(run['request']['initrd']), 12)
        cache = os.path.join(self.d.state_dir, 'images', image['sha256'])
        self.assertEqual(sorted(os.listdir(cache))[0], 'kernel')
        with open(os.path.join(cache, 'kernel'), 'rb') as f:
            self.assertEqual(f.read()[:4], b'\x7fELF')
        code, matrix, _ = self.d.json('POST', '/api/v1/matrices', {'image': image['id'], 'profile': 'minix-3.4',
                                                                   'cpus': [1, 2], 'samples': 1})
        self.assertEqual(code, 202, matrix)
        for _ in range(600):
            code, report, _ = self.d.json('GET', f"/api/v1/matrices/{matrix['id']}")
            if report['status'] != 'running':
                break
            time.sleep(0.1)
        self.assertEqual(report['progress']['succeeded'], 2, report)
        self.assertEqual(report['request']['image'], image['id'])
        self.assertFalse(report['scaling']['valid'])
        code, reply, _ = self.d.json('POST', '/api/v1/boots', {'image': '0123456789abcdef', 'profile': 'minix-3.4'})
        self.assertEqual((code, reply['error']['code']), (400, 'unknown_image'))

    def test_cli_image_verify(self):
        state = tempfile.mkdtemp(prefix='ma-cli-img-')
        try:
            p = subprocess.run([CLI, '--state-dir', state, 'image', 'verify', '--iso', ISO, '--sha256', sha256(ISO)],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn('"release": "3.4.0"', p.stdout)
            p = subprocess.run([CLI, '--state-dir', state, 'image', 'verify', '--iso', ISO, '--sha256', '1' * 64],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 2)
            self.assertIn('checksum_mismatch', p.stderr)
        finally:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
