"""Unattended installs on the MINIX *fixture* (not MINIX): its setup dialogue
(the installer's prompts from shared/minix/console-reference.md, in the
reference order and in another order with the conditional prompts) is played
by the shipped minix-setup scenario onto a new qcow2; the disk then boots
through overlays that leave it unchanged. Also: unanswered prompts, bad
requests, disk overlays of a plain file, and the CLI."""
import copy
import hashlib
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
SCENARIO = os.path.join(os.environ['MA_SOURCE_ROOT'], 'schema', 'scenarios', 'minix-setup.json')
FINAL = {'succeeded', 'failed', 'cancelled', 'interrupted'}


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        code, image, _ = cls.d.json('POST', '/api/v1/images', {'iso': ISO})
        assert code == 201, image
        cls.iso_image = image['id']

    @classmethod
    def tearDownClass(cls):
        cls.d.finish()

    def install(self, **extra):
        body = {'image': self.iso_image, 'disk_mb': 256, 'disk_boot': 'kernel', 'accel': 'tcg'}
        body.update(extra)
        code, doc, headers = self.d.json('POST', '/api/v1/installs', body)
        self.assertEqual(code, 202, doc)
        self.assertEqual(headers['Location'], f"/api/v1/installs/{doc['id']}")
        self.assertEqual(doc['status'], 'creating_disk')
        deadline = time.monotonic() + 180
        seen = set()
        while time.monotonic() < deadline:
            code, doc, _ = self.d.json('GET', f"/api/v1/installs/{doc['id']}")
            self.assertEqual(code, 200, doc)
            seen.add(doc['status'])
            if doc['status'] == 'installing' and doc.get('progress', {}).get('run') == doc.get('install_run'):
                seen.add('installing, its run shown')  # stored as soon as submitted: followable while it runs
            if doc['status'] in FINAL:
                return doc, seen
            time.sleep(0.05)
        self.fail(f'install still {doc["status"]} after 180 s')

    def scenario_steps(self, run_id):
        run = self.d.run(run_id)
        return [(m['name'], m['text']) for m in run['markers'] if m['source'] == 'scenario'], run

    def check_installed(self, doc):
        self.assertEqual(doc['status'], 'succeeded', doc)
        self.assertEqual(doc['sha256'], sha256(doc['disk']))
        self.assertTrue(doc['base_unchanged_by_verify'])
        steps, run = self.scenario_steps(doc['install_run'])
        self.assertEqual(run['status'], 'succeeded')
        names = [n for n, _ in steps if _ == 'step started']
        self.assertEqual(names, ['login', 'start-setup', 'setup', 'mount', 'serial-console', 'check-console',
                                 'unmount', 'poweroff', 'power-off'])
        progress = [t for n, t in steps if n == 'setup' and t != 'step started']
        extracting = [t for t in progress if t.startswith('extracting ')]
        self.assertEqual(extracting, ['extracting ' + s for s in ('base', 'comp', 'etc', 'games', 'man', 'misc',
                                                                  'tests')])
        times = [m['t_ms'] for m in run['markers'] if m['source'] == 'scenario']
        self.assertEqual(times, sorted(times))
        verify = self.d.run(doc['verify_run'])
        self.assertEqual(verify['status'], 'succeeded')
        self.assertEqual(verify['terminal_marker'], 'shell_prompt')
        root = [m['text'] for m in verify['markers'] if m['name'] == 'root_device']
        self.assertEqual(root, ['Root device name is /dev/c0d0p0s0'])
        self.assertAlmostEqual(doc['verify_boot_ms'], verify['boot_time_ms'], places=3)
        code, image, _ = self.d.json('GET', f"/api/v1/images/{doc['disk_image']}")
        self.assertEqual((code, image['kind'], image['path'], image['installed_from']),
                         (200, 'disk', doc['disk'], self.iso_image))
        return progress

    def test_install_in_the_reference_order_then_boot_the_disk(self):
        doc, seen = self.install()
        self.assertTrue({'installing', 'installing, its run shown', 'succeeded'} <= seen, seen)
        progress = self.check_installed(doc)
        self.assertNotIn('MBR', progress)  # the fixed order has no conditional prompts
        base = sha256(doc['disk'])
        # Every boot of the disk image writes (a boot counter) to a fresh overlay, never to the base.
        for keep in (False, True):
            body = {'image': doc['disk_image'], 'profile': 'minix-3.4', 'accel': 'tcg', 'timeout_s': 60}
            if keep:
                body['keep_overlay'] = True
            run = self.d.wait(self.d.boot(body))
            self.assertEqual(run['status'], 'succeeded', run)
            code, _, serial = self.d.request('GET', f"/api/v1/runs/{run['id']}/serial")
            self.assertIn(b'(fixture: boot number 1 of this installed fixture disk)', serial)
            self.assertEqual(sha256(doc['disk']), base)
            overlay = os.path.join(self.d.state_dir, 'overlays', run['id'] + '.qcow2')
            self.assertEqual(os.path.exists(overlay), keep)
            if keep:
                self.assertEqual(run['request']['overlay'], overlay)
                info = json.loads(subprocess.run(['qemu-img', 'info', '--output=json', overlay], check=True,
                                                 capture_output=True, text=True).stdout)
                self.assertEqual((info['format'], info['backing-filename']), ('qcow2', doc['disk']))

    def test_install_in_another_order_with_the_conditional_prompts(self):
        doc, _ = self.install(append='fixture=setup-varied')
        progress = self.check_installed(doc)
        self.assertIn('MBR', progress)
        self.assertIn('reinstall', progress)
        self.assertLess(progress.index('network menu'), progress.index('network interface'))

    def test_an_unanswered_prompt_fails_with_the_prompt_and_the_transcript(self):
        with open(SCENARIO) as f:
            scenario = json.load(f)
        quick = copy.deepcopy(scenario)
        for step in quick['steps']:
            if step['name'] == 'setup':
                step['stall_s'] = 2
        t0 = time.monotonic()
        doc, _ = self.install(append='fixture=setup-surprise', scenario=quick)
        self.assertLess(time.monotonic() - t0, 60)
        self.assertEqual((doc['status'], doc['error']['code']), ('failed', 'install_failed'), doc)
        self.assertIn("Install the fixture's pony set? [n]", doc['error']['message'])
        run = self.d.run(doc['install_run'])
        self.assertEqual((run['status'], run['error']['code']), ('failed', 'unexpected_prompt'))
        self.assertIn('step setup', run['error']['message'])
        code, _, serial = self.d.request('GET', f"/api/v1/runs/{run['id']}/serial")
        self.assertIn(b"Install the fixture's pony set? [n] ", serial)
        self.assertNotIn('disk_image', doc)
        self.assertNotIn('verify_run', doc)

    def test_a_scenario_timeout_names_the_step(self):
        quick = {'name': 'wrong-login', 'steps': [{'name': 'wait', 'expect': 'nologin: $', 'timeout_s': 2}]}
        doc, _ = self.install(scenario=quick, verify=False)
        run = self.d.run(doc['install_run'])
        self.assertEqual((run['status'], run['error']['code']), ('failed', 'scenario_timeout'))
        self.assertIn('step wait: waited 2.0 s for nologin: $', run['error']['message'])

    def test_bad_requests_name_the_field(self):
        cases = [
            ({}, 'image', 'missing_field'),
            ({'image': self.iso_image, 'colour': 1}, 'colour', 'unknown_field'),
            ({'image': self.iso_image, 'disk_mb': 10}, 'disk_mb', 'out_of_range'),
            ({'image': self.iso_image, 'disk_boot': 'floppy'}, 'disk_boot', 'invalid_value'),
            ({'image': 'ffffffffffffffff'}, 'image', 'unknown_image'),
            ({'image': self.iso_image, 'scenario': 'no-such'}, 'scenario', 'unknown_scenario'),
            ({'image': self.iso_image, 'scenario': {'name': 'x', 'steps': [{'name': 'a', 'expect': '('}]}},
             'expect', 'invalid_scenario'),
            ({'image': self.iso_image, 'timeout_s': 0}, 'timeout_s', 'out_of_range'),
        ]
        for body, field, code in cases:
            status, reply, _ = self.d.json('POST', '/api/v1/installs', body)
            self.assertEqual((status, reply['error']['code'], reply['error'].get('field')), (400, code, field), body)
        status, reply, _ = self.d.json('GET', '/api/v1/installs/ffffffffffffffff')
        self.assertEqual((status, reply['error']['code']), (404, 'install_not_found'))
        status, reply, _ = self.d.json('DELETE', '/api/v1/installs/ffffffffffffffff')
        self.assertEqual(status, 404)
        code, listing, _ = self.d.json('GET', '/api/v1/installs')
        self.assertEqual(code, 200)
        self.assertNotIn(None, [i.get('id') for i in listing['installs']])

    def test_a_disk_image_cannot_be_installed_onto(self):
        doc, _ = self.install(verify=False)
        self.assertEqual(doc['status'], 'succeeded', doc)
        self.assertNotIn('verify_run', doc)
        status, reply, _ = self.d.json('POST', '/api/v1/installs', {'image': doc['disk_image']})
        self.assertEqual((status, reply['error']['code']), (400, 'wrong_image_kind'))


class OverlayTest(unittest.TestCase):
    def test_a_plain_disk_is_booted_through_an_overlay_and_left_alone(self):
        d = Daemon()
        work = work_dir('ma-disk-')
        try:
            disk = os.path.join(work, 'data.raw')
            with open(disk, 'wb') as f:
                f.write(b'not a boot sector' * 100)
            before = sha256(disk)
            # The fixture kernel boots; the raw disk comes along as data, through an overlay.
            run = d.wait(d.boot(fixture_boot(disk=disk, keep_overlay=True, accel='tcg')))
            self.assertEqual(run['status'], 'succeeded', run)
            info = json.loads(subprocess.run(['qemu-img', 'info', '--output=json', run['request']['overlay']],
                                             check=True, capture_output=True, text=True).stdout)
            self.assertEqual((info['backing-filename'], info['backing-filename-format']), (disk, 'raw'))
            run = d.wait(d.boot(fixture_boot(disk=disk, accel='tcg')))
            self.assertEqual(run['status'], 'succeeded', run)
            self.assertFalse(os.path.exists(os.path.join(d.state_dir, 'overlays', run['id'] + '.qcow2')))
            self.assertEqual(sha256(disk), before)
            status, reply, _ = d.json('POST', '/api/v1/boots', fixture_boot(keep_overlay=True))
            self.assertEqual((status, reply['error']['field']), (400, 'keep_overlay'))
        finally:
            shutil.rmtree(work, ignore_errors=True)
            d.finish()


class CliInstallTest(unittest.TestCase):
    def test_in_process_install_registers_the_iso_and_the_disk(self):
        state = tempfile.mkdtemp(prefix='ma-cli-install-')
        try:
            p = subprocess.run([CLI, '--state-dir', state, 'install', '--iso', ISO, '--disk-mb', '128',
                                '--disk-boot', 'kernel', '--accel', 'tcg'], capture_output=True, text=True,
                               timeout=180)
            self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
            self.assertIn('base unchanged by the verification boot: yes', p.stdout)
            self.assertIn('succeeded', p.stdout)
            p = subprocess.run([CLI, '--state-dir', state, 'image', 'list'], capture_output=True, text=True)
            kinds = sorted(i['kind'] for i in json.loads(p.stdout)['images'])
            self.assertEqual(kinds, ['disk', 'iso'])
            p = subprocess.run([CLI, '--state-dir', state, 'install', '--iso', ISO, '--image', 'x'],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 2)
        finally:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
