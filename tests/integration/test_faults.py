"""Faults and load: SIGKILL of the daemon in the middle of a matrix (nothing
finished is lost, no QEMU survives, the next daemon marks what was in flight,
the database passes integrity_check), 1,000 bad requests of many kinds (each
gets its 4xx, the daemon's memory stays flat), and a soak of 200 fixture
boots with 4 clients polling (every run accounted for). Figures go to
stderr for the README's reliability section."""
import json
import os
import shutil
import signal
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, fixture_boot, qemu_pids, sanitized, work_dir  # noqa: E402


def rss_kb(pid):
    with open(f'/proc/{pid}/status') as f:
        return int([l for l in f if l.startswith('VmRSS:')][0].split()[1])


class FaultTest(unittest.TestCase):
    def test_sigkill_during_a_matrix_loses_nothing_finished(self):
        d = Daemon()
        try:
            body = dict(fixture_boot(accel='tcg'), cpus=[1, 2], samples=4)
            status, m, _ = d.json('POST', '/api/v1/matrices', body)
            self.assertEqual(status, 202, m)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                report = d.json('GET', f"/api/v1/matrices/{m['id']}")[1]
                if report['progress']['done'] >= 3:
                    break
                time.sleep(0.05)
            done_before = {r['id']: r for r in d.json('GET', '/api/v1/runs?limit=100')[1]['runs']
                           if r['status'] == 'succeeded'}
            self.assertGreaterEqual(len(done_before), 3)
            d.stop(signal.SIGKILL)
            deadline = time.monotonic() + 10
            leftovers = ['?']
            while leftovers and time.monotonic() < deadline:
                leftovers = qemu_pids(d.state_dir)
                time.sleep(0.05)
            self.assertEqual(leftovers, [], 'QEMU outlived the daemon')
            db = sqlite3.connect(os.path.join(d.state_dir, 'minix-analysis.db'))
            self.assertEqual(db.execute('PRAGMA integrity_check').fetchone()[0], 'ok')
            db.close()
            d2 = Daemon(state_dir=d.state_dir)
            try:
                runs = {r['id']: r for r in d2.json('GET', '/api/v1/runs?limit=100')[1]['runs']}
                for rid, before in done_before.items():
                    after = d2.run(rid)
                    self.assertEqual((after['status'], after['boot_time_ms']), ('succeeded', before['boot_time_ms']))
                    self.assertEqual(after['markers'][-1]['name'], 'shell_prompt')
                self.assertTrue(all(r['status'] in ('succeeded', 'interrupted') for r in runs.values()),
                                {r['status'] for r in runs.values()})
                report = d2.json('GET', f"/api/v1/matrices/{m['id']}")[1]
                self.assertEqual(report['status'], 'interrupted')
                print(f"\nfaults: SIGKILL during a matrix: {len(done_before)} finished runs kept, "
                      f"{sum(r['status'] == 'interrupted' for r in runs.values())} in flight marked interrupted, "
                      "integrity_check ok, no QEMU left", file=sys.stderr)
            finally:
                self.assertEqual(d2.stop(), 0)
        finally:
            d.cleanup()

    def test_a_thousand_bad_requests(self):
        d = Daemon()
        not_an_iso = os.path.join(work_dir('ma-faults-'), 'passwd')
        shutil.copy('/etc/passwd', not_an_iso)
        try:
            kinds = [
                ('POST', '/api/v1/boots', b'{', 400), ('POST', '/api/v1/boots', b'[]', 400),
                ('POST', '/api/v1/boots', json.dumps({'profile': 'linux'}).encode(), 400),
                ('POST', '/api/v1/boots', json.dumps(fixture_boot(cpus=999)).encode(), 400),
                ('POST', '/api/v1/boots', json.dumps(fixture_boot(kernel='relative')).encode(), 400),
                ('POST', '/api/v1/boots', b'{"a":' + b'[' * 40 + b']' * 40 + b'}', 400),
                ('GET', '/api/v1/runs/zzzz', None, 404), ('GET', '/api/v1/runs?limit=0', None, 400),
                ('GET', '/api/v1/nowhere', None, 404), ('PUT', '/api/v1/runs', None, 405),
                ('POST', '/api/v1/installs', b'{}', 400), ('POST', '/api/v1/traces', b'{"profile":"linux"}', 400),
                ('POST', '/api/v1/images', json.dumps({'iso': not_an_iso}).encode(), 400),
                ('POST', '/api/v1/images', b'{"iso":"/etc/passwd"}', 403),  # outside --image-dir
                ('POST', '/api/v1/matrices', b'{"cpus":[0]}', 400),
                ('GET', '/api/v1/traces/ffffffffffffffff', None, 404),
                ('POST', '/mcp', b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}', 400),  # no session
                # What a hostile page sends (issue 13): a foreign Origin, a rebound Host, a form post, a huge array.
                ('POST', '/api/v1/boots', json.dumps(fixture_boot()).encode(), 403, {'Origin': 'http://evil.example'}),
                ('GET', '/api/v1/runs', None, 403, {'Host': 'evil.example'}),
                ('POST', '/api/v1/boots', json.dumps(fixture_boot()).encode(), 415, {'Content-Type': 'text/plain'}),
                ('POST', '/api/v1/boots', json.dumps(fixture_boot(initrd=['/x'] * 2000)).encode(), 400),
            ]
            accept = {'Accept': 'application/json, text/event-stream'}
            # Warm up first: the thread pool that reads images gets its malloc arenas once (about 3 MB).
            for method, path, body, _, *headers in kinds * 10:
                d.request(method, path, raw=body, headers={**accept, **(headers[0] if headers else {})})
            before = rss_kb(d.proc.pid)
            wrong = []
            for i in range(1000):
                method, path, body, want, *headers = kinds[i % len(kinds)]
                status, _, _ = d.request(method, path, raw=body, headers={**accept, **(headers[0] if headers else {})})
                if status != want:
                    wrong.append((method, path, status, want))
            after = rss_kb(d.proc.pid)
            self.assertEqual(wrong, [])
            if not sanitized(d.proc.pid):  # ASan's quarantine holds freed memory on purpose
                self.assertLess(after - before, 2048, f'RSS grew from {before} to {after} kB')
            print(f"\nfaults: 1000 bad requests of {len(kinds)} kinds, each with its 4xx; daemon RSS {before} -> "
                  f"{after} kB", file=sys.stderr)
            self.assertEqual(d.json('GET', '/api/v1/health')[0], 200)
        finally:
            d.finish()

    def test_soak_of_200_boots_with_4_pollers(self):
        d = Daemon(extra_args=('--max-running', '2', '--max-queued', '300'))
        ids, errors, polls = [], [], [0]
        stop = threading.Event()

        def poll():
            while not stop.is_set():
                try:
                    status, page, _ = d.json('GET', '/api/v1/runs?limit=50')
                    if status != 200:
                        errors.append(status)
                    if ids:
                        d.json('GET', f'/api/v1/runs/{ids[-1]}')
                    polls[0] += 1
                except Exception as e:  # noqa: BLE001 - any failure of a poller is a finding
                    errors.append(repr(e))

        threads = [threading.Thread(target=poll) for _ in range(4)]
        try:
            for t in threads:
                t.start()
            t0 = time.monotonic()
            for _ in range(200):
                ids.append(d.boot(fixture_boot(accel='tcg')))
            runs = [d.wait(i, timeout=600) for i in ids]
            wall = time.monotonic() - t0
            stop.set()
            for t in threads:
                t.join(30)
            statuses = {}
            for r in runs:
                statuses[r['status']] = statuses.get(r['status'], 0) + 1
            self.assertEqual(statuses, {'succeeded': 200})
            self.assertEqual(errors, [])
            listed = {r['id'] for r in d.json('GET', '/api/v1/runs?limit=1000')[1]['runs']}
            self.assertTrue(set(ids) <= listed)
            print(f"\nfaults: soak: 200 fixture boots, 2 at a time, {polls[0]} polls by 4 clients, "
                  f"{wall:.0f} s, 200 succeeded, none lost", file=sys.stderr)
        finally:
            stop.set()
            d.finish()


if __name__ == '__main__':
    unittest.main()
