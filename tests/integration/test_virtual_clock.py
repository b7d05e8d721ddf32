"""The virtual clock (issue 19): markers counted in guest instructions under QEMU's -icount, by our
TCG plugin. On the MINIX *fixture* (not MINIX) and Debian's Linux kernel, both under TCG.

What is asserted: every marker's instruction count is identical across 10 boots (the documented
bound is 0 for guests without disk reads); a fixture built with 2 x 50,000 more instructions in
proc_init shows exactly +100,000 in that phase and 0 in every other; requests the clock cannot
serve get a 400 naming the field."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import unittest

import jsonschema

sys.path.insert(0, os.path.dirname(__file__))
from harness import CLI, FIXTURE, Daemon, fixture_boot, linux_boot, work_dir  # noqa: E402

FIXTURE_WORK = os.environ['MA_FIXTURE_WORK_KERNEL']
ISO = os.environ['MA_FIXTURE_ISO']
EXTRA = 2 * 50_000  # guests/meson.build: FIXTURE_EXTRA_WORK=50000, two instructions a turn


def cv(values):
    return statistics.stdev(values) / statistics.mean(values) if len(values) > 1 else float('nan')


class VirtualClockTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        cls.work = work_dir('ma-vclock-')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)
        cls.d.finish()

    def matrix(self, body, timeout=600):
        status, reply, _ = self.d.json('POST', '/api/v1/matrices', body)
        self.assertEqual(status, 202, reply)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, report, _ = self.d.json('GET', f"/api/v1/matrices/{reply['id']}")
            if report['status'] != 'running':
                return report
            time.sleep(0.3)
        raise AssertionError('matrix still running')

    def runs_of(self, report):
        runs = [self.d.run(i) for i in report['runs']]
        for r in runs:
            self.assertEqual(r['status'], 'succeeded', r)
        return runs

    def assert_identical_counts(self, runs, what):
        """Every marker's instruction count the same in every run; prints host against virtual CV."""
        first = runs[0]
        self.assertEqual(first['clock'], 'virtual')
        self.assertEqual(first['accel'], 'tcg')
        self.assertIn('virtual clock', first['accel_note'])
        self.assertIn('instructions', first['clocks'])
        self.assertTrue(first['clocks']['instructions']['repeatable'])
        names = [m['name'] for m in first['markers']]
        self.assertGreater(len(names), 3)
        for r in runs:
            self.assertEqual([m['name'] for m in r['markers']], names)
            for m in r['markers']:
                self.assertIsInstance(m['instructions'], int, (r['id'], m))
        for k, name in enumerate(names):
            counts = {r['markers'][k]['instructions'] for r in runs}
            self.assertEqual(len(counts), 1, f'{what}: {name} counted {sorted(counts)}')
        boot = [r['boot_time_ms'] for r in runs]
        self.assertEqual(len({r['boot_instructions'] for r in runs}), 1)
        print(f"\n{what}: {len(runs)} boots, boot time CV {cv(boot) * 100:.2f}% on the host clock, "
              f"0% on the virtual clock ({first['boot_instructions']} instructions)", file=sys.stderr)

    def test_fixture_markers_identical_in_10_boots(self):
        report = self.matrix(dict(fixture_boot(symbols=True, clock='virtual'), cpus=[1], samples=10))
        runs = self.runs_of(report)
        self.assert_identical_counts(runs, 'fixture')
        # Symbol markers come from the plugin's address list, in the order the fixture calls them.
        symbols = [m for m in runs[0]['markers'] if m['source'] == 'symbol']
        self.assertEqual([m['name'] for m in symbols][:3], ['multiboot_detected', 'pre_init_phase', 'kmain_phase'])
        serial = [m['instructions'] for m in runs[0]['markers'] if m['source'] == 'serial']
        self.assertEqual(serial, sorted(serial))
        # The report: statistics on both clocks, the virtual one with no spread.
        cfg = report['configs'][0]
        schema = os.path.join(os.environ['MA_SOURCE_ROOT'], 'schema', 'json', 'matrix-report.schema.json')
        with open(schema) as f:
            jsonschema.Draft202012Validator(json.load(f)).validate(report)
        self.assertEqual(report['clock'], 'virtual')
        self.assertEqual(report['icount_shift'], 4)
        self.assertEqual(cfg['boot_instructions']['n'], 10)
        self.assertEqual(cfg['boot_instructions']['stdev'], 0)
        self.assertEqual(cfg['boot_instructions']['mean'], runs[0]['boot_instructions'])
        self.assertGreater(cfg['boot_time_ms']['stdev'], 0)
        phase = next(p for p in cfg['phases'] if p['phase'] == 'process_init -> memory_init')
        self.assertEqual(phase['instructions']['stdev'], 0)
        mid = report['id']
        text = self.d.request('GET', f'/api/v1/matrices/{mid}/report?format=text')[2].decode()
        self.assertIn('Virtual clock: guest instructions', text)
        self.assertIn(str(runs[0]['boot_instructions']), text)
        csv = self.d.request('GET', f'/api/v1/matrices/{mid}/report?format=csv')[2].decode()
        header, row = csv.splitlines()[0].split(','), csv.splitlines()[1].split(',')
        self.assertIn('boot_instructions', header)
        self.assertIn('kernel_starts_instructions', header)
        self.assertEqual(int(row[header.index('boot_instructions')]), runs[0]['boot_instructions'])
        tex = self.d.request('GET', f'/api/v1/matrices/{mid}/report?format=latex')[2].decode()
        self.assertIn('shift=4', tex)
        self.assertIn(f"{runs[0]['boot_instructions']} & {runs[0]['boot_instructions']}", tex)

    def test_linux_markers_identical_in_10_boots(self):
        report = self.matrix(dict(linux_boot(clock='virtual'), cpus=[1], samples=10))
        self.assert_identical_counts(self.runs_of(report), 'Linux')

    def test_linux_counts_hold_while_the_host_is_loaded(self):
        """Two busy processes on the host's cores: the counts do not move. With the console on a unix
        socket they did (QEMU's one-byte writes filled it during Linux's first burst, the UART then
        waited on the host): the console is a FIFO now."""
        quiet = self.d.wait(self.d.boot(linux_boot(clock='virtual')))
        hogs = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(2)]
        try:
            loaded = [self.d.wait(self.d.boot(linux_boot(clock='virtual'))) for _ in range(3)]
        finally:
            for h in hogs:
                h.kill()
                h.wait()
        self.assert_identical_counts([quiet] + loaded, 'Linux, 1 boot on a quiet host and 3 under load')

    def test_added_work_shows_in_its_phase_only(self):
        # The multiboot command line holds the kernel's path, which the fixture parses: the two
        # kernels get paths of the same length, else the parse alone differs.
        kernels = []
        for side, src in (('a', FIXTURE), ('b', FIXTURE_WORK)):
            os.makedirs(os.path.join(self.work, side), exist_ok=True)
            kernels.append(os.path.join(self.work, side, 'kernel.elf'))
            shutil.copy(src, kernels[-1])
        reports = [self.matrix(dict(fixture_boot(kernel=k, symbols=True, clock='virtual'), cpus=[1], samples=3))
                   for k in kernels]
        status, cmp, _ = self.d.json('GET', f"/api/v1/matrices/{reports[0]['id']}/compare/{reports[1]['id']}")
        self.assertEqual(status, 200, cmp)
        c = cmp['configs'][0]
        v = c['virtual']
        self.assertTrue(v['exact'], v)
        self.assertEqual(v['difference'], EXTRA)
        self.assertEqual(v['verdict'], 'more instructions')
        phases = {p['phase']: p for p in v['phases']}
        self.assertEqual(phases['process_init -> memory_init']['difference'], EXTRA)
        moved = {name: p['difference'] for name, p in phases.items() if p['difference'] != 0}
        self.assertEqual(moved, {'process_init -> memory_init': EXTRA})
        for p in phases.values():
            self.assertTrue(p['exact'], p)
        # What the host clock makes of the same runs, for the reader (asserted only to be there).
        print(f"\nsensitivity: +{EXTRA} instructions in proc_init, virtual clock: exactly +{v['difference']:.0f}; "
              f"host clock: {c.get('difference_ms', float('nan')):+.3f} ms, {c['verdict']}", file=sys.stderr)
        self.assertIn('verdict', c)
        text = self.d.request('GET', f"/api/v1/matrices/{reports[0]['id']}/compare/{reports[1]['id']}"
                              '?format=text')[2].decode()
        self.assertIn(f'process_init -> memory_init', text)
        self.assertIn(f'+{EXTRA} instructions (exact)', text)

    def test_health_names_the_plugin(self):
        _, health, _ = self.d.json('GET', '/api/v1/health')
        self.assertTrue(health['virtual_clock']['available'], health)
        self.assertTrue(health['virtual_clock']['plugin'].endswith('minix-analysis-vclock.so'))

    def test_refusals(self):
        cases = [
            (fixture_boot(clock='virtual', accel='kvm'), 'conflicting_fields', 'accel'),
            (dict(fixture_boot(clock='virtual'), arch='arm'), 'invalid_value', 'arch'),
            (dict(fixture_boot(clock='virtual'), arch='aarch64'), 'invalid_value', 'arch'),
            (fixture_boot(clock='wall'), 'invalid_value', 'clock'),
            (fixture_boot(clock=1), 'wrong_type', 'clock'),
            (fixture_boot(icount_shift=3), 'conflicting_fields', 'icount_shift'),
            (fixture_boot(clock='virtual', icount_shift=11), 'out_of_range', 'icount_shift'),
            (linux_boot(clock='virtual', symbols=True), 'no_symbol_phases', 'symbols'),
            (fixture_boot(clock='virtual', scenario='minix-setup'), 'conflicting_fields', 'scenario'),
            (fixture_boot(clock='virtual', guest_memory_ms=500), 'conflicting_fields', 'guest_memory_ms'),
            (dict(fixture_boot(clock='virtual', symbols=True), arch='arm'), 'invalid_value', 'arch'),
            ({'iso': ISO, 'profile': 'minix-3.4', 'arch': 'i386', 'symbols': True, 'clock': 'virtual'},
             'conflicting_fields', 'symbols'),
        ]
        for body, code, field in cases:
            status, reply, _ = self.d.json('POST', '/api/v1/boots', body)
            self.assertEqual((status, reply['error']['code'], reply['error']['field']), (400, code, field), body)
        status, reply, _ = self.d.json('POST', '/api/v1/matrices',
                                       dict(fixture_boot(clock='virtual', accel='kvm'), cpus=[1, 2], samples=1))
        self.assertEqual((status, reply['error']['field']), (400, 'accel'), reply)

    def test_without_the_plugin_the_clock_is_refused_and_the_rest_works(self):
        d = Daemon(extra_args=['--vclock-plugin', '/nonexistent/vclock.so'])
        try:
            status, reply, _ = d.json('POST', '/api/v1/boots', fixture_boot(clock='virtual'))
            self.assertEqual((status, reply['error']['code'], reply['error']['field']),
                             (400, 'virtual_clock_unavailable', 'clock'), reply)
            self.assertIn('/nonexistent/vclock.so', reply['error']['message'])
            _, health, _ = d.json('GET', '/api/v1/health')
            self.assertFalse(health['virtual_clock']['available'])
            self.assertIn('/nonexistent/vclock.so', health['virtual_clock']['reason'])
            run = d.wait(d.boot(fixture_boot(accel='tcg')))
            self.assertEqual((run['status'], run['clock']), ('succeeded', 'host'))
            self.assertNotIn('instructions', run['markers'][0])
        finally:
            d.finish()

    def test_cli_in_process(self):
        state = os.path.join(self.work, 'cli-state')
        p = subprocess.run([CLI, '--state-dir', state, 'boot', '--profile', 'minix-3.4', '--arch', 'i386',
                            '--kernel', FIXTURE, '--append', 'console=tty00', '--clock', 'virtual',
                            '--icount-shift', '5'], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('instructions', p.stdout)
        self.assertRegex(p.stdout, r'virtual clock: \d+ guest instructions to shell_prompt \(-icount shift 5\)')


if __name__ == '__main__':
    unittest.main()
