"""arch arm: the ARM fixture (guests/arm-fixture, not MINIX: MINIX/earm runs on
boards QEMU does not emulate) on qemu-system-arm -M virt with its PL011 UART,
measured with the minix-3.4 profile, whose report says plainly what it is not."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import CLI, Daemon, DaemonCase  # noqa: E402

ARM = os.environ['MA_ARM_FIXTURE']


def arm_boot(**extra):
    body = {'arch': 'arm', 'kernel': ARM, 'profile': 'minix-3.4', 'timeout_s': 60}
    body.update(extra)
    return body


class ArmTest(DaemonCase):
    def test_boot_to_login_on_virt_says_it_is_not_minix(self):
        run = self.d.wait(self.d.boot(arm_boot()))
        self.assertEqual(run['status'], 'succeeded', run)
        self.assertEqual(run['accel'], 'tcg')
        self.assertIn("KVM needs a guest of the host's arch", run['accel_note'])
        names = [m['name'] for m in run['markers']]
        self.assertEqual(names[0], 'kernel_starts')
        self.assertEqual(names[-1], 'shell_prompt')
        self.assertIn('root_device', names)
        self.assertEqual(len(run['notes']), 1)
        self.assertIn('not MINIX/earm', run['notes'][0])
        self.assertIn('QEMU does not emulate', run['notes'][0])
        times = [m['t_ms'] for m in run['markers']]
        self.assertEqual(times, sorted(times))

    def test_a_scenario_logs_in_and_powers_off_through_psci(self):
        scenario = {'name': 'poweroff', 'steps': [
            {'name': 'login', 'expect': 'login: $', 'send': 'root\r'},
            {'name': 'shell', 'expect': '# $', 'send': 'poweroff\r'},
            {'name': 'off', 'expect_exit': True, 'timeout_s': 20}]}
        run = self.d.wait(self.d.boot(arm_boot(scenario=scenario)))
        self.assertEqual(run['status'], 'succeeded', run)
        self.assertEqual(run['exit']['code'], 0)  # PSCI SYSTEM_OFF: QEMU exits cleanly
        steps = [m['name'] for m in run['markers'] if m['source'] == 'scenario']
        self.assertEqual(steps, ['login', 'shell', 'off'])

    def test_the_cli_prints_the_note(self):
        p = subprocess.run([CLI, '--server', self.d.base, 'boot', '--arch', 'arm', '--kernel', ARM, '--profile',
                            'minix-3.4'], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('note: MINIX\'s ARM port (earm) targets BeagleBone/BeagleBoard boards', p.stdout)

    def test_kvm_is_refused_for_arm(self):
        status, reply, _ = self.d.json('POST', '/api/v1/boots', arm_boot(accel='kvm'))
        self.assertEqual((status, reply['error']['code'], reply['error']['field']), (400, 'accel_unavailable', 'accel'))


if __name__ == '__main__':
    unittest.main()
