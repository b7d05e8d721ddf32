"""The daemon end to end: real QEMU (TCG), the MINIX console fixture and a real
Debian kernel, driven over REST exactly as a user would with curl."""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import fake_qemu  # noqa: E402
from harness import Daemon, assert_auto_decision, fixture_boot, kvm_modes, linux_boot, qemu_pids  # noqa: E402


def ts(s):
    return datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ')


def assert_markers_in_order(test, run):
    times = [m['t_ms'] for m in run['markers']]
    test.assertTrue(times, 'no marker observed')
    test.assertGreater(times[0], 0)
    # Markers completed by the same read share its stamp; otherwise time moves on.
    test.assertEqual(times, sorted(times))
    test.assertLess(times[0], times[-1])
    for m in run['markers']:
        test.assertEqual(m['source'], 'serial')


class DaemonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(extra_args=['--max-running', '2'])

    @classmethod
    def tearDownClass(cls):
        cls.d.finish()

    def test_every_run_records_its_host(self):
        run = self.d.wait(self.d.boot(fixture_boot()))
        health = self.d.json('GET', '/api/v1/health')[1]
        self.assertEqual(run['host']['name'], socket.gethostname())
        self.assertEqual(run['host']['qemu_version'], health['qemu']['version'])
        with open('/proc/cpuinfo') as f:
            models = [line.split(':', 1)[1].strip() for line in f if line.startswith('model name')]
        self.assertEqual(run['host']['cpu_model'], models[0] if models else 'unknown')
        self.assertIsNone(run['slurm_job'])

    def test_health(self):
        status, body, _ = self.d.json('GET', '/api/v1/health')
        self.assertEqual(status, 200)
        self.assertEqual(body['status'], 'ok')
        self.assertIn('QEMU emulator version', body['qemu']['version'])
        # QEMU's programs as found once in --qemu-dir (default /usr/bin), not through $PATH.
        self.assertEqual(body['qemu']['dir'], '/usr/bin')
        self.assertEqual(body['qemu']['binaries']['qemu-system-x86_64'], '/usr/bin/qemu-system-x86_64')
        kvm = body['kvm']
        self.assertIsInstance(kvm['usable'], bool)
        self.assertTrue(kvm['reason'])
        # One probe per x86 guest mode; usable only when every mode's probe passed.
        self.assertEqual(sorted(kvm['modes']), ['i386', 'x86_64'])
        for mode in kvm['modes'].values():
            self.assertIsInstance(mode['usable'], bool)
            self.assertTrue(mode['reason'])
            self.assertTrue(mode['probe_ms'] is None or mode['probe_ms'] >= 0, mode)
        self.assertEqual(kvm['usable'], all(m['usable'] for m in kvm['modes'].values()))
        if not os.path.exists('/dev/kvm'):
            self.assertFalse(kvm['usable'])
            self.assertIn('/dev/kvm', kvm['reason'])

    def test_fixture_boot_succeeds(self):
        run_id = self.d.boot(fixture_boot(cpus=2, label='fixture'))
        run = self.d.wait(run_id)
        self.assertEqual(run['status'], 'succeeded', run['error'])
        assert_markers_in_order(self, run)
        names = [m['name'] for m in run['markers']]
        self.assertEqual(names[0], 'kernel_starts')
        self.assertEqual(names[-1], 'shell_prompt')
        self.assertEqual(run['boot_time_ms'], run['markers'][-1]['t_ms'])
        self.assertEqual(run['terminal_marker'], 'shell_prompt')
        assert_auto_decision(self, run, kvm_modes(self.d))
        self.assertGreater(run['qemu_start_ms'], 0)
        self.assertEqual(run['missing_markers'], [])
        # The fixture, like stock MINIX 3.4, ignores the second vCPU: reported, not hidden.
        self.assertEqual(run['cpus'], 2)
        self.assertEqual(run['guest_cpus_online'], 1)
        self.assertEqual(len(run['unobservable_markers']), 8)
        self.assertEqual(run['label'], 'fixture')
        self.assertEqual(run['exit'], {'code': 0, 'signal': None})
        for key in ('created_at', 'started_at', 'finished_at'):
            self.assertRegex(run[key], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
        status, _, serial = self.d.request('GET', f'/api/v1/runs/{run_id}/serial')
        self.assertEqual(status, 200)
        self.assertIn(b'login: ', serial)
        self.assertEqual(len(serial), run['serial_bytes'])
        self.assertEqual(qemu_pids(run_id), [])

    def test_guest_meminfo_of_a_linux_guest(self):
        for attempt in (1, 2):
            status, reply, _ = self.d.json('POST', '/api/v1/memory',
                                           linux_boot(duration_s=10, guest_memory_ms=500, accel='tcg'))
            self.assertEqual(status, 202, reply)
            run = self.d.wait(reply['id'])
            # Seen once on a 2-core host under heavy load: the guest reset by itself 2 s into its boot, after
            # "clocksource: Switched to clocksource tsc-early" (QEMU exits at a guest reset: -no-reboot). That
            # is the guest's failure, reported as guest_exited; it gets one more boot, said on stderr.
            if attempt == 1 and (run['error'] or {}).get('code') == 'guest_exited':
                print(f"\nthe Linux guest stopped by itself ({run['error']['message']}); one more boot",
                      file=sys.stderr)
                continue
            break
        self.assertEqual(run['status'], 'succeeded', run['error'])
        status, mem, _ = self.d.json('GET', f"/api/v1/runs/{run['id']}/memory")
        guest = mem['guest']
        self.assertEqual(guest['interval_ms'], 500)
        samples = guest['samples']
        # Logged in at the prompt (~2 s idle, nearly 4 s on a loaded CI host), then one /proc/meminfo every
        # 0.5 s plus a round trip, until 10 s from the start: room for at least two even on a slow host.
        self.assertGreaterEqual(len(samples), 2, samples)
        times = [g['t_ms'] for g in samples]
        self.assertEqual(times, sorted(times))
        self.assertGreater(times[0], run['boot_time_ms'])
        total = {g['meminfo_kb']['MemTotal'] for g in samples}
        self.assertEqual(len(total), 1)
        self.assertTrue(100000 < total.pop() <= 256 * 1024)
        self.assertTrue(all(0 < g['meminfo_kb']['MemFree'] < g['meminfo_kb']['MemTotal'] for g in samples))
        steps = [m['name'] for m in run['markers'] if m['source'] == 'scenario']
        self.assertEqual(steps, ['login', 'shell', 'meminfo'])
        for body, field in ((linux_boot(guest_memory_ms=100), 'guest_memory_ms'),
                            (linux_boot(guest_memory_ms=500, scenario='minix-setup'), 'guest_memory_ms')):
            status, reply, _ = self.d.json('POST', '/api/v1/boots', body)
            self.assertEqual((status, reply['error']['field']), (400, field), reply)

    def test_info_mem_of_a_linux_guest(self):
        run = self.d.wait(self.d.boot(linux_boot(memory_sample_ms=100, accel='tcg')))
        self.assertEqual(run['status'], 'succeeded', run['error'])
        status, mem, _ = self.d.json('GET', f"/api/v1/runs/{run['id']}/memory")
        asked = [s for s in mem['samples'] if s['info_mem_us'] is not None]
        # About one a second over a 1.5-2.5 s boot: rate-limited, not one per 100 ms sample.
        self.assertGreaterEqual(len(asked), 1)
        self.assertLessEqual(len(asked), run['boot_time_ms'] / 1000 + 2)
        self.assertTrue(any(s['guest_mapped_kb'] and s['guest_mapped_kb'] > 0 for s in asked), asked)
        status, _, csv = self.d.request('GET', f"/api/v1/runs/{run['id']}/memory?format=csv")
        lines = csv.decode().splitlines()
        self.assertTrue(lines[0].endswith(',guest_mapped_kb,info_mem_us'))
        self.assertEqual(sum(1 for l in lines[1:] if not l.endswith(',,')), len(asked))

    def test_info_mem_of_a_64_bit_guest_with_512_mb(self):
        # Debian's generic kernel lists 3.8 MB in "info mem" (65,547 lines) from about 4 s of TCG on, past
        # the QMP framer's 1 MiB: the daemon used to kill QEMU there and call it a crash (issue 13).
        run = self.d.wait(self.d.boot(linux_boot(kernel=harness.LINUX_GENERIC_KERNEL, memory_mb=512,
                                                 memory_sample_ms=100, accel='tcg')))
        self.assertEqual(run['status'], 'succeeded', run['error'])
        samples = self.d.json('GET', f"/api/v1/runs/{run['id']}/memory")[1]['samples']
        mapped = [s for s in samples if s['guest_mapped_kb'] is not None]
        # At most an answer a second (slower while a long listing is being walked), each with the next
        # sample, from the first seconds (paging on) to the prompt: the last ones after the listing grew.
        self.assertGreaterEqual(len(mapped), 3, samples)
        self.assertLess(mapped[0]['t_ms'], 2500, samples)
        self.assertGreater(mapped[-1]['t_ms'], max(run['boot_time_ms'] - 2500, 4000), samples)
        self.assertTrue(all(s['guest_mapped_kb'] > 0 for s in mapped), mapped)

    def test_memory_samples(self):
        # "info mem" is asked only under TCG: this test asks for TCG, whatever this host's KVM does.
        run = self.d.wait(self.d.boot(fixture_boot(memory_sample_ms=20, cpus=2, accel='tcg')))
        self.assertEqual(run['status'], 'succeeded', run['error'])
        status, mem, _ = self.d.json('GET', f"/api/v1/runs/{run['id']}/memory")
        self.assertEqual(status, 200)
        self.assertEqual(mem['interval_ms'], 20)
        samples = mem['samples']
        # A ~320 ms boot sampled every 20 ms from t0: at least a handful.
        self.assertGreaterEqual(len(samples), 5, samples)
        times = [s['t_ms'] for s in samples]
        self.assertEqual(times, sorted(set(times)))
        self.assertGreaterEqual(times[0], 0)
        self.assertLessEqual(times[-1], run['boot_time_ms'] + 2000)
        self.assertTrue(all(s['rss_kb'] > 10000 for s in samples), samples)  # a QEMU uses tens of MB
        faults = [s['minflt'] for s in samples]
        self.assertEqual(faults, sorted(faults))
        # One host CPU time per vCPU thread (QMP query-cpus-fast), never decreasing; the guest's RAM.
        per_vcpu = [s['vcpu_cpu_ms'] for s in samples if s['vcpu_cpu_ms'] is not None]
        self.assertTrue(per_vcpu, samples)
        self.assertTrue(all(len(v) == 2 for v in per_vcpu), per_vcpu)
        self.assertEqual([v[0] for v in per_vcpu], sorted(v[0] for v in per_vcpu))
        self.assertEqual({s['guest_ram_mb'] for s in samples[-3:]}, {256})
        # "info mem" under TCG, once a second: asked at t0, its answer goes with the next sample. The fixture
        # never turns paging on, so nothing is mapped, but the query's cost is measured.
        asked = [s for s in samples if s['info_mem_us'] is not None]
        self.assertEqual(len(asked), 1, samples)
        self.assertGreater(asked[0]['info_mem_us'], 0)
        self.assertIsNone(asked[0]['guest_mapped_kb'])
        status, _, csv = self.d.request('GET', f"/api/v1/runs/{run['id']}/memory?format=csv")
        self.assertEqual(len(csv.decode().splitlines()), len(samples) + 1)
        status, headers, svg = self.d.request('GET', f"/api/v1/runs/{run['id']}/memory?format=svg")
        self.assertEqual((status, headers['Content-Type']), (200, 'image/svg+xml'))
        root = ElementTree.fromstring(svg)
        ns = '{http://www.w3.org/2000/svg}'
        self.assertEqual(len(root.findall(f'{ns}polyline')), 2)
        titles = [t.text for t in root.iter(f'{ns}title')]
        self.assertIn(f"shell_prompt at {run['boot_time_ms']:.3f} ms", titles)
        plain = self.d.wait(self.d.boot(fixture_boot()))
        self.assertEqual(self.d.json('GET', f"/api/v1/runs/{plain['id']}/memory")[1]['samples'], [])
        status, reply, _ = self.d.json('POST', '/api/v1/boots', fixture_boot(memory_sample_ms=5))
        self.assertEqual((status, reply['error']['field']), (400, 'memory_sample_ms'))

    def test_memory_monitoring_run(self):
        status, reply, headers = self.d.json('POST', '/api/v1/memory', fixture_boot(duration_s=2))
        self.assertEqual(status, 202, reply)
        run = self.d.wait(reply['id'])
        self.assertEqual(run['status'], 'succeeded', run['error'])
        self.assertEqual(run['request']['memory_sample_ms'], 100)  # the default of a monitoring run
        self.assertEqual(run['terminal_marker'], 'shell_prompt')
        started, finished = ts(run['started_at']), ts(run['finished_at'])
        self.assertGreaterEqual((finished - started).total_seconds(), 2.0)  # kept running past the prompt
        samples = self.d.json('GET', f"/api/v1/runs/{run['id']}/memory")[1]['samples']
        self.assertGreaterEqual(len(samples), 15)
        self.assertGreater(samples[-1]['t_ms'], 1500)
        status, reply, _ = self.d.json('POST', '/api/v1/memory', fixture_boot())
        self.assertEqual((status, reply['error']['field']), (400, 'duration_s'))

    def test_linux_boot_succeeds(self):
        run_id = self.d.boot(linux_boot(cpus=2))
        run = self.d.wait(run_id)
        self.assertEqual(run['status'], 'succeeded', run['error'])
        assert_markers_in_order(self, run)
        self.assertEqual([m['name'] for m in run['markers']],
                         ['kernel_starts', 'cpus_up', 'init_started', 'shell_prompt'])
        self.assertEqual(run['boot_time_ms'], run['markers'][-1]['t_ms'])
        self.assertEqual(run['guest_cpus_online'], 2)
        assert_auto_decision(self, run, kvm_modes(self.d))
        status, _, serial = self.d.request('GET', f'/api/v1/runs/{run_id}/serial')
        self.assertIn(b'minix-analysis-linux-guest login: ', serial)

    def test_until_overrides_terminal_marker(self):
        run = self.d.wait(self.d.boot(fixture_boot(until=r'Root device name is \S+')))
        self.assertEqual(run['status'], 'succeeded', run['error'])
        self.assertEqual(run['terminal_marker'], 'until')
        self.assertEqual(run['markers'][-1]['name'], 'until')
        self.assertEqual(run['boot_time_ms'], run['markers'][-1]['t_ms'])
        self.assertNotIn('shell_prompt', [m['name'] for m in run['markers']])

    def test_sse_delivers_markers_live(self):
        run_id = self.d.boot(fixture_boot())
        events = self.d.events(run_id)
        kinds = [e for e, _ in events]
        self.assertIn('marker', kinds)
        self.assertIn('serial', kinds)
        self.assertEqual(events[-1], ('status', {'id': run_id, 'status': 'succeeded'}))
        self.assertLess(kinds.index('marker'), len(kinds) - 1)
        markers = [d['name'] for e, d in events if e == 'marker']
        self.assertEqual(markers, [m['name'] for m in self.d.run(run_id)['markers']])
        # A finished run replays its markers and ends at once.
        replay = self.d.events(run_id)
        self.assertEqual([d['name'] for e, d in replay if e == 'marker'], markers)
        self.assertEqual(replay[-1][1]['status'], 'succeeded')

    def test_delete_kills_qemu(self):
        run_id = self.d.boot(fixture_boot('console=tty00 fixture=hang'))
        self.d.wait_marker(run_id, 'multiuser_startup')
        self.assertTrue(qemu_pids(run_id), 'QEMU of the run not found')
        status, body, _ = self.d.json('DELETE', f'/api/v1/runs/{run_id}')
        self.assertEqual(status, 202, body)
        run = self.d.wait(run_id)
        self.assertEqual(run['status'], 'cancelled')
        self.assertEqual(run['error']['code'], 'cancelled')
        self.assertIsNone(run['boot_time_ms'])
        self.assertEqual(qemu_pids(run_id), [])
        status, body, _ = self.d.json('DELETE', f'/api/v1/runs/{run_id}')
        self.assertEqual((status, body['error']['code']), (409, 'already_finished'))

    def test_guest_that_never_finishes_times_out(self):
        run = self.d.wait(self.d.boot(fixture_boot('console=tty00 fixture=hang', timeout_s=3)))
        self.assertEqual(run['status'], 'timeout')
        self.assertEqual(run['error']['code'], 'boot_timeout')
        self.assertIsNone(run['boot_time_ms'])
        self.assertIn('multiuser_startup', [m['name'] for m in run['markers']])
        self.assertEqual(run['missing_markers'], ['shell_prompt'])
        self.assertEqual(run['exit']['signal'], signal.SIGKILL)

    def test_silent_guest_is_detected(self):
        run = self.d.wait(self.d.boot(fixture_boot('console=tty00 fixture=hang', silence_timeout_s=1)))
        self.assertEqual(run['status'], 'timeout')
        self.assertEqual(run['error']['code'], 'guest_silent')

    def test_panicking_fixture_fails(self):
        run = self.d.wait(self.d.boot(fixture_boot('console=tty00 fixture=panic')))
        self.assertEqual(run['status'], 'failed')
        self.assertEqual(run['error']['code'], 'guest_failure')
        self.assertIn('kernel panic', run['error']['message'])
        self.assertIsNone(run['boot_time_ms'])

    def test_panicking_linux_fails(self):
        run = self.d.wait(self.d.boot(linux_boot('console=ttyS0 panic=-1 rdinit=/nonexistent')))
        self.assertEqual(run['status'], 'failed')
        self.assertEqual(run['error']['code'], 'guest_failure')
        self.assertIn('Kernel panic - not syncing', run['error']['message'])

    def test_qemu_exit_before_terminal_marker(self):
        # The fixture powers off at its login prompt; the until regex never matches.
        run = self.d.wait(self.d.boot(fixture_boot('console=tty00 fixture=exit', until='never printed')))
        self.assertEqual(run['status'], 'failed')
        self.assertEqual(run['error']['code'], 'qemu_exited')
        self.assertEqual(run['exit'], {'code': 1, 'signal': None})  # isa-debug-exit: (0 << 1) | 1

    def test_qemu_that_cannot_start(self):
        not_a_kernel = os.path.join(harness.work_dir('ma-not-a-kernel-'), 'README.md')
        shutil.copy(os.path.join(os.environ['MA_SOURCE_ROOT'], 'tests', 'data', 'README.md'), not_a_kernel)
        run = self.d.wait(self.d.boot(fixture_boot(kernel=not_a_kernel)))
        self.assertEqual(run['status'], 'failed')
        self.assertEqual(run['error']['code'], 'qemu_start_failed')
        self.assertIn('kernel', run['error']['message'].lower())
        self.assertIsNone(run['qemu_start_ms'])

    def test_qemu_crash_is_recorded(self):
        run_id = self.d.boot(fixture_boot('console=tty00 fixture=hang'))
        self.d.wait_marker(run_id, 'multiuser_startup')
        self.assertTrue(qemu_pids(run_id))
        for pid in qemu_pids(run_id):
            os.kill(pid, signal.SIGSEGV)
        run = self.d.wait(run_id)
        self.assertEqual(run['status'], 'failed')
        self.assertEqual(run['error']['code'], 'qemu_crashed')
        self.assertIn('signal 11', run['error']['message'])
        self.assertEqual(run['exit']['signal'], signal.SIGSEGV)

    def test_bad_requests_get_400_naming_the_field(self):
        cases = [
            (b'{"cpus": 1', 'invalid_json', None),
            (fixture_boot(colour='blue'), 'unknown_field', 'colour'),
            (fixture_boot(cpus=0), 'out_of_range', 'cpus'),
            (fixture_boot(kernel=os.path.join(harness.WORK, 'nonexistent')), 'file_not_found', 'kernel'),
            (fixture_boot(profile='haiku'), 'unknown_profile', 'profile'),
            (fixture_boot(memory_mb='lots'), 'wrong_type', 'memory_mb'),
            (fixture_boot(until='(unclosed'), 'invalid_regex', 'until'),
            (fixture_boot(accel_stall_s=0), 'out_of_range', 'accel_stall_s'),
            (fixture_boot(accel_stall_s='20'), 'wrong_type', 'accel_stall_s'),
        ]
        before = len(self.d.json('GET', '/api/v1/runs?limit=1000')[1]['runs'])
        for body, code, field in cases:
            raw = body if isinstance(body, bytes) else None
            status, reply, _ = self.d.json('POST', '/api/v1/boots', None if raw else body, raw)
            self.assertEqual(status, 400, (body, reply))
            self.assertEqual(reply['error']['code'], code)
            self.assertEqual(reply['error'].get('field'), field)
            self.assertTrue(reply['error']['message'])
        after = len(self.d.json('GET', '/api/v1/runs?limit=1000')[1]['runs'])
        self.assertEqual(before, after, 'a rejected request created a run')

    def test_oversized_body_gets_413(self):
        status, reply, _ = self.d.json('POST', '/api/v1/boots', raw=b' ' * (1024 * 1024 + 1))
        self.assertEqual(status, 413)
        self.assertEqual(reply['error']['code'], 'body_too_large')

    def test_a_flooding_guest_is_logged_up_to_the_cap(self):
        d = harness.Daemon(extra_args=('--max-log-mb', '1'))
        try:
            with open(f'/proc/{d.proc.pid}/status') as f:
                before = int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))
            # 3 MB through the UART, a VM exit per byte under KVM (minutes under a nested one): TCG.
            run = d.wait(d.boot(fixture_boot('console=tty00 fixture=flood', timeout_s=120, accel='tcg')))
            self.assertEqual(run['status'], 'succeeded', run['error'])
            self.assertGreater(run['serial_bytes'], 3_000_000)  # all of it counted and scanned
            self.assertTrue(run['serial_truncated'])
            self.assertEqual(run['terminal_marker'], 'shell_prompt')  # markers after the cut still found
            status, _, log = d.request('GET', f"/api/v1/runs/{run['id']}/serial")
            self.assertLess(len(log), (1 << 20) + 200)
            self.assertTrue(log.rstrip().endswith(b'(--max-log-mb); the run goes on]'))
            with open(f'/proc/{d.proc.pid}/status') as f:
                after = int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))
            # ASan's quarantine keeps freed memory on purpose: the bound is checked in the plain build.
            if not harness.sanitized(d.proc.pid):
                self.assertLess(after - before, 8 * 1024, 'the daemon kept the flood in memory')
            plain = d.wait(d.boot(fixture_boot()))
            self.assertFalse(plain['serial_truncated'])
        finally:
            d.finish()

    def test_deep_or_long_json_is_refused_before_parsing(self):
        deep = b'{"label":' + b'[' * 33 + b']' * 33 + b'}'
        status, reply, _ = self.d.json('POST', '/api/v1/boots', raw=deep)
        self.assertEqual((status, reply['error']['code']), (400, 'too_deep'))
        ok = b'{"label":' + b'[' * 30 + b']' * 30 + b'}'  # within the limit: judged by the validator instead
        self.assertEqual(self.d.json('POST', '/api/v1/boots', raw=ok)[1]['error']['code'], 'wrong_type')
        long = json.dumps({'label': 'x' * 70000, 'profile': 'linux'}).encode()
        status, reply, _ = self.d.json('POST', '/api/v1/boots', raw=long)
        self.assertEqual((status, reply['error']['code']), (400, 'string_too_long'))
        status, reply, _ = self.d.json('POST', '/mcp', raw=b'[' * 40 + b']' * 40,
                                       headers={'Accept': 'application/json, text/event-stream'})
        self.assertEqual((status, reply['error']['code']), (400, -32600))

    def test_unknown_ids_and_routes(self):
        for path in ('/api/v1/runs/0123456789abcdef', '/api/v1/runs/0123456789abcdef/serial',
                     '/api/v1/runs/0123456789abcdef/events', '/api/v1/runs/not-an-id'):
            status, reply, _ = self.d.json('GET', path)
            self.assertEqual((status, reply['error']['code']), (404, 'run_not_found'), path)
        status, reply, _ = self.d.json('GET', '/api/v1/runs/..%2f..%2fetc%2fpasswd')
        self.assertEqual(status, 404)
        status, reply, _ = self.d.json('GET', '/api/v1/nothing')
        self.assertEqual((status, reply['error']['code']), (404, 'not_found'))
        status, reply, headers = self.d.json('PUT', '/api/v1/runs')
        self.assertEqual((status, reply['error']['code']), (405, 'method_not_allowed'))
        self.assertEqual(headers['Allow'], 'GET')

    def test_list_runs_pages_and_filters(self):
        ids = [self.d.boot(fixture_boot('console=tty00 fixture=panic')) for _ in range(3)]
        for run_id in ids:
            self.d.wait(run_id)
        status, page, _ = self.d.json('GET', '/api/v1/runs?limit=2&status=failed')
        self.assertEqual(status, 200)
        self.assertEqual([r['id'] for r in page['runs']], ids[::-1][:2])
        self.assertNotIn('markers', page['runs'][0])
        status, page2, _ = self.d.json('GET', f"/api/v1/runs?limit=2&status=failed&cursor={page['next_cursor']}")
        self.assertEqual(page2['runs'][0]['id'], ids[0])
        for query, field in (('limit=0', 'limit'), ('status=done', 'status'), ('cursor=x', 'cursor')):
            status, reply, _ = self.d.json('GET', '/api/v1/runs?' + query)
            self.assertEqual((status, reply['error']['field']), (400, field))

    def test_a_repeated_page_follows_every_change(self):
        """Pages are kept while no run changes: each change must show at once."""
        first = self.d.json('GET', '/api/v1/runs?limit=3')[1]
        self.assertEqual(self.d.json('GET', '/api/v1/runs?limit=3')[1], first)
        run_id = self.d.boot(fixture_boot('console=tty00 fixture=hang'))
        page = self.d.json('GET', '/api/v1/runs?limit=3')[1]
        self.assertEqual(page['runs'][0]['id'], run_id)
        self.assertIn(page['runs'][0]['status'], ('queued', 'running'))
        self.d.wait_marker(run_id, 'multiuser_startup')
        self.assertEqual(self.d.json('DELETE', f'/api/v1/runs/{run_id}')[0], 202)
        self.d.wait(run_id)
        page = self.d.json('GET', '/api/v1/runs?limit=3')[1]
        self.assertEqual((page['runs'][0]['id'], page['runs'][0]['status']), (run_id, 'cancelled'))


class QmpProtocolTest(unittest.TestCase):
    """A scripted QEMU (fake_qemu.py as qemu-system-i386 in the daemon's --qemu-dir) for
    what a real one will not do on cue."""

    @classmethod
    def setUpClass(cls):
        cls.bin = tempfile.mkdtemp(prefix='ma-fake-qemu-')
        os.symlink(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fake_qemu.py'),
                   os.path.join(cls.bin, 'qemu-system-i386'))
        for name in ('qemu-system-x86_64', 'qemu-img'):  # the real ones, for the version and overlays
            os.symlink(os.path.join('/usr/bin', name), os.path.join(cls.bin, name))
        cls.d = Daemon(extra_args=['--qemu-dir', cls.bin])

    @classmethod
    def tearDownClass(cls):
        cls.d.finish()
        shutil.rmtree(cls.bin, ignore_errors=True)

    def test_an_oversized_qmp_message_is_the_daemons_kill_not_a_crash(self):
        run = self.d.wait(self.d.boot(fixture_boot('console=tty00 fake=oversized-event', accel='tcg')))
        self.assertEqual(run['status'], 'failed')
        self.assertEqual(run['error']['code'], 'qmp_protocol_error', run['error'])
        self.assertIn('QMP sent a message longer than 1048576 bytes (it began {"event": "FAKE", "data"',
                      run['error']['message'])
        self.assertIn('the daemon killed QEMU', run['error']['message'])
        self.assertEqual(run['exit'], {'code': None, 'signal': signal.SIGKILL})
        self.assertEqual(qemu_pids(run['id']), [])

    def test_cont_waits_until_qemu_has_accepted_the_console(self):
        # Before, `cont` followed our connect() at once; a QEMU that accepted later lost what the guest
        # printed first (seen: the ARM fixture's banner, under load).
        run = self.d.wait(self.d.boot(fixture_boot('console=tty00 fake=late-console', accel='tcg', timeout_s=5)))
        status, _, log = self.d.request('GET', f"/api/v1/runs/{run['id']}/serial")
        self.assertIn(b'fake QEMU started', log, run)

    def test_the_daemons_kill_before_t0_is_a_start_failure_not_a_crash(self):
        run = self.d.wait(self.d.boot(fixture_boot('console=tty00 fake=refuse-cont', accel='tcg')))
        self.assertEqual(run['status'], 'failed')
        self.assertEqual(run['error']['code'], 'qemu_start_failed', run['error'])
        self.assertIn('QMP refused cont: fake refusal', run['error']['message'])
        self.assertEqual(run['exit'], {'code': None, 'signal': signal.SIGKILL})

    def test_a_long_info_mem_reply_is_summed_as_it_streams(self):
        run = self.d.wait(self.d.boot(fixture_boot('console=tty00 fake=long-info-mem', accel='tcg',
                                                   memory_sample_ms=100, until='fake done')))
        self.assertEqual(run['status'], 'succeeded', run['error'])
        samples = self.d.json('GET', f"/api/v1/runs/{run['id']}/memory")[1]['samples']
        mapped = [s['guest_mapped_kb'] for s in samples if s['guest_mapped_kb'] is not None]
        self.assertTrue(mapped, samples)
        self.assertEqual(set(mapped), {fake_qemu.LONG_INFO_MEM_KB})


class FileModeTest(unittest.TestCase):
    def test_database_and_console_logs_are_private_under_umask_000(self):
        old = os.umask(0)
        try:
            d = Daemon()
        finally:
            os.umask(old)
        try:
            run = d.wait(d.boot(fixture_boot()))
            self.assertEqual(run['status'], 'succeeded', run['error'])
            db = os.path.join(d.state_dir, 'minix-analysis.db')
            files = [db, db + '-wal', db + '-shm'] + [os.path.join(d.state_dir, 'runs', f)
                                                      for f in os.listdir(os.path.join(d.state_dir, 'runs'))]
            self.assertGreaterEqual(len(files), 4)
            modes = {f: oct(os.stat(f).st_mode & 0o777) for f in files}
            self.assertEqual(set(modes.values()), {oct(0o600)}, modes)
        finally:
            d.finish()


class LifecycleTest(unittest.TestCase):
    """Signals: SIGTERM finishes cleanly; SIGKILL leaves no QEMU and the run is
    marked interrupted by the next daemon."""

    def test_boots_still_start_after_the_daemons_file_is_replaced(self):
        # An upgrade replaces the binary under a running daemon. QEMU is started through a re-exec of
        # the daemon: by the path /proc/self/exe named, every boot then failed with
        # qemu_start_failed ("cannot start /usr/bin/qemu-system-...: no such file or directory").
        tmp = tempfile.mkdtemp(prefix='ma-upgrade-')
        copy = os.path.join(tmp, 'minix-analysisd')
        shutil.copy2(harness.DAEMON, copy)
        saved, harness.DAEMON = harness.DAEMON, copy
        try:
            d = Daemon()
        finally:
            harness.DAEMON = saved
        try:
            first = d.wait(d.boot(fixture_boot()))
            self.assertEqual(first['status'], 'succeeded', first['error'])
            os.unlink(copy)  # what a package upgrade does: a new file in the old one's place
            with open(copy, 'w') as f:
                f.write('#!/bin/sh\nexit 99\n')
            os.chmod(copy, 0o755)
            run = d.wait(d.boot(fixture_boot()))
            self.assertEqual(run['status'], 'succeeded', run['error'])
        finally:
            d.finish()
            shutil.rmtree(tmp, ignore_errors=True)

    def start_hanging_run(self, d):
        run_id = d.boot(fixture_boot('console=tty00 fixture=hang'))
        d.wait_marker(run_id, 'multiuser_startup')
        self.assertTrue(qemu_pids(run_id))
        return run_id

    def test_sigterm_cancels_runs_and_exits_zero(self):
        d = Daemon()
        try:
            run_id = self.start_hanging_run(d)
            queued = d.boot(fixture_boot())
            followed = []
            follower = threading.Thread(target=lambda: followed.extend(d.events(run_id, timeout=30)))
            follower.start()
            time.sleep(0.5)
            self.assertEqual(d.stop(signal.SIGTERM), 0, ''.join(d.log))
            self.assertEqual(qemu_pids(run_id), [])
            follower.join(30)
            # A client following the run is told how it ended before the daemon goes.
            self.assertEqual(followed[-1], ('status', {'id': run_id, 'status': 'cancelled'}))
            d2 = Daemon(state_dir=d.state_dir)
            try:
                run = d2.run(run_id)
                self.assertEqual(run['status'], 'cancelled')
                self.assertEqual(run['error']['code'], 'daemon_stopping')
                self.assertEqual(d2.run(queued)['status'], 'cancelled')
            finally:
                self.assertEqual(d2.stop(), 0)
        finally:
            d.cleanup()

    def test_sigkill_leaves_no_qemu_and_run_is_interrupted(self):
        d = Daemon()
        try:
            run_id = self.start_hanging_run(d)
            d.stop(signal.SIGKILL)
            deadline = time.monotonic() + 10
            while qemu_pids(run_id) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(qemu_pids(run_id), [], 'QEMU outlived the daemon')
            d2 = Daemon(state_dir=d.state_dir)
            try:
                run = d2.run(run_id)
                self.assertEqual(run['status'], 'interrupted')
                self.assertIn('multiuser_startup', [m['name'] for m in run['markers']])
                status, _, serial = d2.request('GET', f'/api/v1/runs/{run_id}/serial')
                self.assertIn(b'Multiuser startup in progress', serial)
            finally:
                self.assertEqual(d2.stop(), 0)
        finally:
            d.cleanup()

    def test_non_loopback_listen_is_refused(self):
        import subprocess
        state = tempfile.mkdtemp(prefix='ma-listen-')
        try:
            p = subprocess.run([harness.DAEMON, '--listen', '0.0.0.0:0', '--state-dir', state],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2)
            self.assertIn('without --auth', p.stderr)
        finally:
            shutil.rmtree(state, ignore_errors=True)

    def test_second_daemon_on_same_state_dir_is_refused(self):
        d = Daemon()
        try:
            import subprocess
            p = subprocess.run([harness.DAEMON, '--listen', '127.0.0.1:0', '--state-dir', d.state_dir],
                               capture_output=True, text=True, timeout=30)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn('in use by another', p.stderr)
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()



class FlagTest(unittest.TestCase):
    """Numeric flags were read with atoi: '--max-running x' silently became 1 and the daemon started
    (issue 16). A value that is not a number, or out of range, is a usage error naming the flag: exit 2,
    before anything starts. The old daemon served instead, so a timeout here is the old behaviour."""

    def run_daemon(self, *flags):
        import subprocess
        state = tempfile.mkdtemp(prefix='ma-flags-')
        try:
            return subprocess.run([harness.DAEMON, '--listen', '127.0.0.1:0', '--state-dir', state, *flags],
                                  capture_output=True, text=True, timeout=10)
        finally:
            shutil.rmtree(state, ignore_errors=True)

    def test_bad_numbers_are_usage_errors(self):
        for flag, value in (('--max-running', 'x'), ('--max-running', '0'), ('--max-queued', '-3'),
                            ('--max-log-mb', '1.5'), ('--max-state-mb', ''), ('--min-free-mb', '99999999999999999999'),
                            ('--max-connections', '12abc'), ('--max-streams', 'many'),
                            ('--max-streams-per-client', '0'), ('--request-timeout-s', '10s'),
                            ('--max-connections-per-address', 'x'), ('--rate-limit', 'fast'),
                            ('--rate-limit', '0'), ('--rate-burst', 'nan')):
            with self.subTest(flag=flag, value=value):
                p = self.run_daemon(flag, value)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(f"{flag} wants", p.stderr)
                self.assertIn(f"got '{value}'", p.stderr)

    def test_cli_runs_limit_is_checked(self):
        import subprocess
        state = tempfile.mkdtemp(prefix='ma-flags-')
        try:
            for flag, value in (('--limit', 'x'), ('--limit', '0'), ('--limit', '1001'), ('--cursor', 'abc')):
                with self.subTest(flag=flag, value=value):
                    p = subprocess.run([harness.CLI, '--state-dir', state, 'runs', flag, value],
                                       capture_output=True, text=True, timeout=30)
                    self.assertEqual(p.returncode, 2, p.stderr)
                    # The same check and words as GET /api/v1/runs and MCP runs_list: one operation.
                    self.assertRegex(p.stderr, rf"(out_of_range|invalid_value) in {flag[2:]}: {flag[2:]} must be")
        finally:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == '__main__':
    unittest.main()
