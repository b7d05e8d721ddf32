"""Symbol markers: breakpoints through QEMU's gdbstub on the functions the
minix-3.4 profile names for the phases MINIX prints nothing for, on the MINIX
*fixture* kernel (which has functions of those names; it is not MINIX)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FIXTURE, Daemon, fixture_boot, linux_boot, work_dir  # noqa: E402

ISO = os.environ['MA_FIXTURE_ISO']
ORDER = ['multiboot_detected', 'pre_init_phase', 'kmain_phase', 'cstart_phase', 'process_init', 'memory_init',
         'system_init', 'scheduler_ready']


class SymbolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        cls.work = work_dir('ma-sym-')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)
        cls.d.finish()

    def check_symbol_markers(self, run):
        self.assertEqual(run['status'], 'succeeded', run)
        symbols = [m for m in run['markers'] if m['source'] == 'symbol']
        self.assertEqual([m['name'] for m in symbols], ORDER)
        times = [m['t_ms'] for m in symbols]
        self.assertEqual(times, sorted(times))
        self.assertTrue(all(0 < t < run['boot_time_ms'] for t in times))
        by_name = {m['name']: m['t_ms'] for m in run['markers']}
        # The fixture calls switch_to_user after it prints the banner; the others come before it.
        self.assertLess(by_name['system_init'], by_name['kernel_starts'])
        self.assertGreater(by_name['scheduler_ready'], by_name['kernel_starts'])
        # The fixture's system_init waits 8 ms (PIT) before the banner: the stamps see it.
        self.assertGreater(by_name['kernel_starts'] - by_name['system_init'], 7.0)
        self.assertIn('breakpoint at switch_to_user (0x', symbols[-1]['text'])
        bps = run['request']['breakpoints']
        self.assertEqual(sorted(b['marker'] for b in bps), sorted(ORDER))
        self.assertEqual({b['function'] for b in bps if b['marker'] == 'multiboot_detected'}, {'MINIX'})

    def test_fixture_kernel_phases_in_order(self):
        run = self.d.wait(self.d.boot(fixture_boot(symbols=True, accel='tcg')))
        self.check_symbol_markers(run)
        self.assertEqual(run['request']['symbols'], True)

    def test_from_a_registered_image(self):
        code, image, _ = self.d.json('POST', '/api/v1/images', {'iso': ISO})
        self.assertEqual(code, 201, image)
        self.assertTrue(image['kernel_elf']['symbols'])
        run = self.d.wait(self.d.boot({'image': image['id'], 'profile': 'minix-3.4', 'symbols': True,
                                       'accel': 'tcg', 'timeout_s': 60}))
        self.check_symbol_markers(run)

    def test_without_symbols_there_are_none(self):
        run = self.d.wait(self.d.boot(fixture_boot(accel='tcg')))
        self.assertEqual(run['status'], 'succeeded')
        self.assertEqual([m for m in run['markers'] if m['source'] == 'symbol'], [])
        self.assertNotIn('breakpoints', run['request'])

    def test_refusals(self):
        stripped = os.path.join(self.work, 'stripped.elf')
        subprocess.run(['objcopy', '--strip-all', FIXTURE, stripped], check=True)
        cases = [
            (fixture_boot(kernel=stripped, symbols=True), 'no_symbols', 'symbols'),
            (linux_boot(symbols=True), 'no_symbol_phases', 'symbols'),
            ({'iso': ISO, 'profile': 'minix-3.4', 'arch': 'i386', 'symbols': True}, 'conflicting_fields', 'symbols'),
            (fixture_boot(symbols='yes'), 'wrong_type', 'symbols'),
        ]
        for body, code, field in cases:
            status, reply, _ = self.d.json('POST', '/api/v1/boots', body)
            self.assertEqual((status, reply['error']['code'], reply['error']['field']), (400, code, field), reply)


if __name__ == '__main__':
    unittest.main()
