"""Syscall traces on the real Linux test guest (Debian's kernel, busybox, and
Debian's strace in the initramfs): the table of `/bin/ls /`, the -c summary,
a command that fails, one the tracer cannot run, bad requests, the CLI."""
import os
import subprocess
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from harness import CLI, Daemon, DaemonCase, LINUX_INITRD, LINUX_KERNEL, fixture_boot, linux_boot  # noqa: E402


class TraceTest(DaemonCase):
    def trace(self, command, boot=linux_boot, **extra):
        body = boot(command=command, accel='tcg', **extra)
        code, doc, headers = self.d.json('POST', '/api/v1/traces', body)
        self.assertEqual(code, 202, doc)
        self.assertEqual(headers['Location'], f"/api/v1/traces/{doc['id']}")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            code, doc, _ = self.d.json('GET', f"/api/v1/traces/{doc['id']}")
            self.assertEqual(code, 200)
            if doc['status'] != 'running':
                return doc
            time.sleep(0.2)
        self.fail('trace still running after 180 s')

    @staticmethod
    def calls(doc):
        return {r['name']: r for r in doc['table']['syscalls']}

    def test_ls_is_traced_with_its_syscalls_and_exit_status(self):
        doc = self.trace('/bin/ls /')
        self.assertEqual(doc['status'], 'succeeded', doc)
        self.assertEqual((doc['tracer'], doc['exit_status']), ('strace', 0))
        calls = self.calls(doc)
        for name in ('execve', 'openat', 'getdents64', 'write'):
            self.assertGreaterEqual(calls[name]['calls'], 1, name)
        self.assertEqual(calls['execve']['calls'], 1)
        # -T times every call that returns; exit_group does not return.
        self.assertTrue(all(r['time_s'] is not None for n, r in calls.items() if n != 'exit_group'))
        self.assertIsNone(calls['exit_group']['time_s'])
        self.assertEqual(doc['table']['unparsed'], 0)
        self.assertAlmostEqual(sum(r['share'] for r in calls.values()), 1.0, places=6)
        self.assertIn('proc', doc['output'])  # what ls printed
        self.assertIn('execve("/bin/ls", ["/bin/ls", "/"]', doc['transcript'])
        run = self.d.run(doc['run'])
        self.assertEqual(run['status'], 'succeeded')
        self.assertEqual([m['name'] for m in run['markers'] if m['source'] == 'scenario'],
                         ['login', 'run', 'command', 'collect', 'power-off'])
        status, headers, text = self.d.request('GET', f"/api/v1/traces/{doc['id']}?format=text")
        self.assertEqual(status, 200)
        self.assertIn(b'getdents64', text)
        status, headers, csv = self.d.request('GET', f"/api/v1/traces/{doc['id']}?format=csv")
        self.assertEqual((status, headers['Content-Type']), (200, 'text/csv'))
        self.assertEqual(len(csv.decode().strip().split('\n')), 1 + len(calls))
        status, headers, svg = self.d.request('GET', f"/api/v1/traces/{doc['id']}?format=svg")
        self.assertEqual(headers['Content-Type'], 'image/svg+xml')
        root = ET.fromstring(svg)
        self.assertEqual(len(root.findall('{http://www.w3.org/2000/svg}rect')),
                         1 + len(calls) + sum(1 for r in calls.values() if r['errors']))
        status, reply, _ = self.d.json('GET', f"/api/v1/traces/{doc['id']}?format=pdf")
        self.assertEqual((status, reply['error']['field']), (400, 'format'))

    def test_summary_mode_counts_the_same_calls(self):
        doc = self.trace('/bin/ls /', summary=True)
        self.assertEqual(doc['status'], 'succeeded', doc)
        self.assertEqual(doc['table']['tracer'], 'strace -c')
        calls = self.calls(doc)
        self.assertEqual(calls['execve']['calls'], 1)
        self.assertGreaterEqual(calls['getdents64']['calls'], 1)

    def test_a_failing_command_is_traced_with_its_status(self):
        doc = self.trace('/bin/false')
        self.assertEqual(doc['status'], 'succeeded', doc)
        self.assertEqual(doc['exit_status'], 1)
        self.assertEqual(doc['table']['exit']['code'], 1)
        self.assertIn('exit_group', self.calls(doc))

    def test_a_missing_binary_fails_with_the_guests_words(self):
        t0 = time.monotonic()
        doc = self.trace('/nonexistent --help')
        self.assertLess(time.monotonic() - t0, 90)
        self.assertEqual((doc['status'], doc['error']['code']), ('failed', 'command_not_run'), doc)
        self.assertIn("Can't stat '/nonexistent'", doc['error']['message'])
        self.assertEqual(doc['exit_status'], 1)

    def test_minix_trace_path_on_the_fixture(self):
        """The MINIX fixture's shell has a `trace` that writes made-up lines in the shapes of MINIX's
        trace(1): this checks the MINIX path (scenario, extraction, parser), not MINIX."""
        doc = self.trace('ls /', boot=fixture_boot)
        self.assertEqual(doc['status'], 'succeeded', doc)
        self.assertEqual((doc['tracer'], doc['exit_status']), ('trace', 0))
        calls = self.calls(doc)
        self.assertEqual({n: r['calls'] for n, r in calls.items()},
                         {'execve': 1, 'brk': 1, 'getuid': 1, 'open': 2, 'fstat': 1, 'getdents': 2, 'close': 1,
                          'write': 1, 'exit': 1})
        self.assertEqual(calls['open']['errnos'], {'ENOENT': 1})
        # A lone traced process prints no pid on its lines: it is the one of "Tracing ls (pid 7)".
        self.assertEqual(doc['table']['exit'], {'pid': 7, 'code': 0})
        self.assertIn('bin  boot  dev', doc['output'])
        doc = self.trace('/nonexistent', boot=fixture_boot)
        self.assertEqual((doc['status'], doc['error']['code'], doc['exit_status']), ('failed', 'command_not_run', 1))
        self.assertIn('No such file or directory', doc['error']['message'])
        status, reply, _ = self.d.json('POST', '/api/v1/traces', fixture_boot(command='ls /', summary=True))
        self.assertEqual((status, reply['error']['field']), (400, 'summary'))

    def test_bad_requests(self):
        cases = [
            (linux_boot(), 'command', 'missing_field'),
            (linux_boot(command=''), 'command', 'out_of_range'),
            (linux_boot(command='ls\nreboot'), 'command', 'invalid_value'),
            (linux_boot(command='ls', tracer='dtrace'), 'tracer', 'invalid_value'),
            (linux_boot(command='ls', tracer='trace', summary=True), 'summary', 'conflicting_fields'),
            (linux_boot(command='ls', scenario='minix-setup'), 'scenario', 'conflicting_fields'),
            (linux_boot(command='ls', command_timeout_s=0), 'command_timeout_s', 'out_of_range'),
            (linux_boot(command='ls', cpus=0), 'cpus', 'out_of_range'),
        ]
        for body, field, code in cases:
            status, reply, _ = self.d.json('POST', '/api/v1/traces', body)
            self.assertEqual((status, reply['error']['code'], reply['error'].get('field')), (400, code, field), body)
        status, reply, _ = self.d.json('GET', '/api/v1/traces/ffffffffffffffff')
        self.assertEqual((status, reply['error']['code']), (404, 'trace_not_found'))
        status, listing, _ = self.d.json('GET', '/api/v1/traces')
        self.assertEqual(status, 200)
        self.assertIsInstance(listing['traces'], list)

    def test_trap_counts_of_a_linux_boot(self):
        run = self.d.wait(self.d.boot(linux_boot(trap_counts=True)))
        self.assertEqual(run['status'], 'succeeded', run)
        self.assertEqual(run['accel'], 'tcg')
        self.assertIn('trap counts', run['accel_note'])
        code, traps, _ = self.d.json('GET', f"/api/v1/runs/{run['id']}/traps")
        self.assertEqual(code, 200)
        self.assertTrue(traps['enabled'])
        totals = {(t['hex'], t['kind']): t for t in traps['totals']}
        # A Linux boot takes page faults and timer interrupts; its syscalls (syscall instruction) are not here.
        self.assertGreater(totals[('0x0e', 'exception')]['count'], 10)
        self.assertEqual(totals[('0x0e', 'exception')]['name'], 'page fault (#PF)')
        self.assertTrue(any(k == 'hardware' for _, k in totals))
        per_second = traps['per_second']
        self.assertEqual([p['second'] for p in per_second], sorted({p['second'] for p in per_second}))
        self.assertEqual(sum(c['count'] for p in per_second for c in p['counts']),
                         sum(t['count'] for t in traps['totals']))
        self.assertLessEqual(per_second[-1]['second'], run['boot_time_ms'] / 1000 + 1)
        self.assertTrue(any('sysenter' in n for n in traps['notes']))
        self.assertFalse(os.path.exists(os.path.join(self.d.state_dir, 'sock', run['id'] + '.int')))
        # Without the flag nothing is counted, and the answer says so.
        plain = self.d.wait(self.d.boot(linux_boot(accel='tcg')))
        code, traps, _ = self.d.json('GET', f"/api/v1/runs/{plain['id']}/traps")
        self.assertEqual((code, traps['enabled'], traps['totals']), (200, False, []))
        status, reply, _ = self.d.json('POST', '/api/v1/boots', dict(linux_boot(trap_counts=True), arch='arm'))
        self.assertEqual((status, reply['error']['code'], reply['error']['field']), (400, 'invalid_value', 'trap_counts'))
        # With KVM asked for: refused for trap_counts, or first because KVM is unusable on this host.
        status, reply, _ = self.d.json('POST', '/api/v1/boots', linux_boot(trap_counts=True, accel='kvm'))
        self.assertEqual(status, 400)
        self.assertIn((reply['error']['code'], reply['error']['field']),
                      [('conflicting_fields', 'trap_counts'), ('accel_unavailable', 'accel')])

    def test_cli_through_the_daemon(self):
        p = subprocess.run([CLI, '--server', self.d.base, 'trace', '--profile', 'linux', '--kernel', LINUX_KERNEL,
                            '--initrd', LINUX_INITRD, '--append', 'console=ttyS0 panic=-1', '--accel', 'tcg', '--',
                            '/bin/ls', '/'], capture_output=True, text=True, timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('exit status: 0', p.stdout)
        self.assertIn('getdents64', p.stdout)
        p = subprocess.run([CLI, '--server', self.d.base, 'trace', '--profile', 'linux'], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2)


if __name__ == '__main__':
    unittest.main()
