"""Matrices end to end: real QEMU, the Linux guest (SMP) and the MINIX fixture
(uniprocessor, like stock MINIX 3.4), over REST and the CLI."""
import datetime
import json
import struct
import xml.etree.ElementTree as ElementTree
import os
import subprocess
import sys
import tempfile
import shutil
import signal
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import CLI, FIXTURE, WORK, Daemon, fixture_boot, linux_boot, qemu_pids  # noqa: E402


def render_svg(svg):
    """Renders an SVG document with headless Chromium; returns the PNG bytes."""
    work = tempfile.mkdtemp(prefix='ma-svg-')
    try:
        path = os.path.join(work, 'report.svg')
        with open(path, 'wb') as f:
            f.write(svg)
        png = os.path.join(work, 'report.png')
        subprocess.run(['chromium', '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                        '--disable-background-networking', '--disable-component-update', '--disable-sync',
                        f'--user-data-dir={work}/profile', f'--screenshot={png}', '--window-size=860,900',
                        'file://' + path], capture_output=True, timeout=120, check=True)
        with open(png, 'rb') as f:
            return f.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ts(s):
    return datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ')


class MatrixApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(extra_args=['--max-running', '2'])

    @classmethod
    def tearDownClass(cls):
        cls.d.finish()

    def start(self, body):
        status, reply, headers = self.d.json('POST', '/api/v1/matrices', body)
        self.assertEqual(status, 202, reply)
        self.assertEqual(headers['Location'], f"/api/v1/matrices/{reply['id']}")
        return reply['id'], reply['total']

    def wait(self, matrix_id, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, report, _ = self.d.json('GET', f'/api/v1/matrices/{matrix_id}')
            self.assertEqual(status, 200)
            if report['status'] != 'running':
                return report
            time.sleep(0.2)
        raise AssertionError('matrix still running')

    def test_linux_matrix_scales_with_all_cpus_online(self):
        matrix_id, total = self.start(dict(linux_boot(), cpus=[1, 2], samples=2))
        self.assertEqual(total, 4)
        report = self.wait(matrix_id)
        self.assertEqual(report['status'], 'done')
        self.assertEqual(report['progress'], {'done': 4, 'total': 4, 'succeeded': 4, 'failed': 0})
        self.assertEqual(report['isolation'], 'exclusive')
        for config in report['configs']:
            self.assertEqual(config['succeeded'], 2)
            self.assertEqual(config['guest_cpus_online'], {'min': config['cpus'], 'max': config['cpus']})
            self.assertEqual(config['boot_time_ms']['n'], 2)
            self.assertLessEqual(config['boot_time_ms']['min'], config['boot_time_ms']['mean'])
            self.assertEqual([m['name'] for m in config['markers']],
                             ['kernel_starts', 'cpus_up', 'init_started', 'shell_prompt'])
        self.assertTrue(report['scaling']['valid'], report['scaling'])
        rel = report['configs'][1]['relative_to_1_vcpu']
        self.assertAlmostEqual(rel['speedup'], report['configs'][0]['boot_time_ms']['mean'] /
                               report['configs'][1]['boot_time_ms']['mean'], places=9)
        self.assertAlmostEqual(rel['efficiency'], rel['speedup'] / 2, places=9)
        # Interleaved order, and exclusive: no two runs overlap.
        runs = [self.d.run(r) for r in report['runs']]
        self.assertEqual([r['cpus'] for r in runs], [1, 2, 1, 2])
        self.assertEqual([r['matrix_index'] for r in runs], [0, 1, 2, 3])
        self.assertTrue(all(r['matrix_id'] == matrix_id for r in runs))
        for before, after in zip(runs, runs[1:]):
            self.assertGreaterEqual(ts(after['started_at']), ts(before['finished_at']))
        means = {c['cpus']: c['boot_time_ms']['mean'] for c in report['configs']}
        self.assertAlmostEqual(means[1], sum(r['boot_time_ms'] for r in runs if r['cpus'] == 1) / 2, places=6)
        status, _, text = self.d.request('GET', f'/api/v1/matrices/{matrix_id}/report?format=text')
        self.assertEqual(status, 200)
        self.assertIn(b'Speedup relative to 1 vCPU', text)
        status, headers, csv = self.d.request('GET', f'/api/v1/matrices/{matrix_id}/report?format=csv')
        self.assertEqual(headers['Content-Type'], 'text/csv')
        lines = csv.decode().splitlines()
        self.assertEqual(len(lines), 5)
        self.assertTrue(lines[0].startswith('matrix_index,run_id,cpus,status'))
        status, headers, svg = self.d.request('GET', f'/api/v1/matrices/{matrix_id}/report?format=svg')
        self.assertEqual((status, headers['Content-Type']), (200, 'image/svg+xml'))
        root = ElementTree.fromstring(svg)
        self.assertEqual(root.tag, '{http://www.w3.org/2000/svg}svg')
        png = render_svg(svg)
        self.assertEqual(png[:8], b'\x89PNG\r\n\x1a\n')
        width, height = struct.unpack('>II', png[16:24])
        self.assertEqual((width, height), (860, 900))
        self.assertGreater(len(png), 10000, 'the rendered chart looks empty')
        status, headers, tex = self.d.request('GET', f'/api/v1/matrices/{matrix_id}/report?format=latex')
        self.assertIn(b'\\begin{tabular}', tex)
        self.assertIn(b'\\addplot+', tex)

    def test_fixture_matrix_reports_uniprocessor_guest(self):
        matrix_id, _ = self.start(dict(fixture_boot(), cpus=[1, 2], samples=1,
                                       isolation='parallel', parallel=2))
        report = self.wait(matrix_id)
        self.assertEqual(report['status'], 'done')
        self.assertEqual(report['parallel'], 2)
        self.assertEqual(report['configs'][1]['guest_cpus_online'], {'min': 1, 'max': 1})
        self.assertFalse(report['scaling']['valid'])
        self.assertIn('not multiprocessor scaling', report['scaling']['note'])
        self.assertIsNone(report['configs'][1]['relative_to_1_vcpu']['efficiency'])

    def test_events_follow_the_matrix_to_its_end(self):
        """GET /api/v1/matrices/ID/events: where it stands, a progress event per run, the end; a
        finished matrix's stream says only where it stands; an unknown id is 404."""
        matrix_id, total = self.start(dict(fixture_boot(), cpus=[1, 2], samples=2))
        events = self.d.events(matrix_id, timeout=300, collection='matrices')
        self.assertEqual(events[0], ('status', {'id': matrix_id, 'status': 'running', 'done': 0,
                                                'total': total}))
        progress = [data for event, data in events if event == 'progress']
        self.assertEqual([p['done'] for p in progress], list(range(1, total + 1)))
        self.assertEqual(sorted(p['cpus'] for p in progress), [1, 1, 2, 2])
        self.assertTrue(all(p['run_status'] == 'succeeded' and p['boot_time_ms'] > 0
                            for p in progress), progress)
        self.assertEqual(events[-1], ('status', {'id': matrix_id, 'status': 'done'}))
        self.assertEqual(self.d.events(matrix_id, collection='matrices'),
                         [('status', {'id': matrix_id, 'status': 'done', 'done': total,
                                      'total': total})])
        status, reply, _ = self.d.json('GET', '/api/v1/matrices/0123456789abcdef/events')
        self.assertEqual((status, reply['error']['code']), (404, 'matrix_not_found'))

    def test_cancel_kills_the_running_sample(self):
        matrix_id, _ = self.start(dict(fixture_boot('console=tty00 fixture=hang'), cpus=[1, 2], samples=3))
        deadline = time.monotonic() + 30
        run_id = None
        while time.monotonic() < deadline and not run_id:
            _, report, _ = self.d.json('GET', f'/api/v1/matrices/{matrix_id}')
            run_id = report['runs'][0] if report['runs'] else None
            time.sleep(0.05)
        self.d.wait_marker(run_id, 'multiuser_startup')
        status, reply, _ = self.d.json('DELETE', f'/api/v1/matrices/{matrix_id}')
        self.assertEqual(status, 202, reply)
        report = self.wait(matrix_id)
        self.assertEqual(report['status'], 'cancelled')
        self.assertEqual(len(report['runs']), 1)
        self.assertEqual(self.d.run(run_id)['status'], 'cancelled')
        self.assertEqual(qemu_pids(run_id), [])
        status, reply, _ = self.d.json('DELETE', f'/api/v1/matrices/{matrix_id}')
        self.assertEqual(status, 409)

    def test_bad_matrices_get_400(self):
        for body, field in ((dict(fixture_boot(), cpus=[1, 2], samples=0), 'samples'),
                            (dict(fixture_boot(), cpus=3, samples=1), 'cpus'),
                            (dict(fixture_boot(), cpus=[1], samples=1, isolation='parallel', parallel=99), 'parallel'),
                            (dict(fixture_boot(kernel=os.path.join(WORK, 'nonexistent')), cpus=[1], samples=1), 'kernel')):
            status, reply, _ = self.d.json('POST', '/api/v1/matrices', body)
            self.assertEqual((status, reply['error']['field']), (400, field), reply)
        status, reply, _ = self.d.json('GET', '/api/v1/matrices/0123456789abcdef')
        self.assertEqual((status, reply['error']['code']), (404, 'matrix_not_found'))

    def test_compare_two_matrices(self):
        ids = []
        for _ in range(2):
            matrix_id, _ = self.start(dict(fixture_boot(), cpus=[1, 2], samples=2))
            self.assertEqual(self.wait(matrix_id)['status'], 'done')
            ids.append(matrix_id)
        status, cmp, _ = self.d.json('GET', f'/api/v1/matrices/{ids[0]}/compare/{ids[1]}')
        self.assertEqual(status, 200, cmp)
        self.assertEqual((cmp['before'], cmp['after']), tuple(ids))
        self.assertEqual([c['cpus'] for c in cmp['configs']], [1, 2])
        for c in cmp['configs']:
            self.assertAlmostEqual(c['difference_ms'], c['mean_after_ms'] - c['mean_before_ms'], places=9)
            self.assertIn(c['verdict'], ('no significant change', 'regression', 'improvement',
                                         'not testable: needs two samples per side and some variation'))
        status, _, text = self.d.request('GET', f'/api/v1/matrices/{ids[0]}/compare/{ids[1]}?format=text')
        self.assertIn(b"Welch's t test", text)
        status, reply, _ = self.d.json('GET', f'/api/v1/matrices/{ids[0]}/compare/0123456789abcdef')
        self.assertEqual(status, 404)
        p = subprocess.run([CLI, '--server', self.d.base, 'compare', ids[0], ids[1]], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('against', p.stdout)

    def test_unsupported_report_format(self):
        matrix_id, _ = self.start(dict(fixture_boot(), cpus=[1], samples=1))
        self.wait(matrix_id)
        status, reply, _ = self.d.json('GET', f'/api/v1/matrices/{matrix_id}/report?format=pdf')
        self.assertEqual((status, reply['error']['code'], reply['error']['field']),
                         (400, 'unsupported_format', 'format'))


class MatrixRestartTest(unittest.TestCase):
    def test_matrix_left_running_by_a_killed_daemon_is_interrupted(self):
        d = Daemon()
        try:
            status, reply, _ = d.json('POST', '/api/v1/matrices',
                                      dict(fixture_boot('console=tty00 fixture=hang'), cpus=[1, 2], samples=2))
            self.assertEqual(status, 202)
            deadline = time.monotonic() + 30
            runs = []
            while not runs and time.monotonic() < deadline:
                runs = d.json('GET', f"/api/v1/matrices/{reply['id']}")[1]['runs']
                time.sleep(0.05)
            d.wait_marker(runs[0], 'multiuser_startup')
            d.stop(signal.SIGKILL)
            d2 = Daemon(state_dir=d.state_dir)
            try:
                status, report, _ = d2.json('GET', f"/api/v1/matrices/{reply['id']}")
                self.assertEqual(report['status'], 'interrupted')
                self.assertEqual(d2.run(runs[0])['status'], 'interrupted')
                self.assertEqual(report['progress']['done'], 1)
            finally:
                self.assertEqual(d2.stop(), 0)
        finally:
            d.cleanup()


MCP_HEADERS = {'Accept': 'application/json, text/event-stream', 'MCP-Protocol-Version': '2025-06-18'}
REPORT_FORMATS = ('json', 'text', 'csv', 'svg', 'latex')


class MatrixUnderWayTest(unittest.TestCase):
    """Issue 13, finding 1: a matrix with one run started and others queued (isolation parallel with
    the default --max-running 1) crashed the daemon on a read-only GET, and again after every restart
    (MCP matrix_report, /report, /compare, claims_validate, the CLI's report)."""

    def runs_of(self, d, matrix_id):
        runs = d.json('GET', '/api/v1/runs?limit=1000')[1]['runs']
        return [r for r in runs if r.get('matrix_id') == matrix_id]

    def mcp(self, d, session, name, arguments):
        status, reply, _ = d.json('POST', '/mcp', {'jsonrpc': '2.0', 'id': 2, 'method': 'tools/call',
                                                   'params': {'name': name, 'arguments': arguments}},
                                  headers=dict(MCP_HEADERS, **{'Mcp-Session-Id': session}))
        self.assertEqual(status, 200, reply)
        self.assertFalse(reply['result']['isError'], reply)
        return reply['result']['structuredContent']

    def mcp_session(self, d):
        init = {'jsonrpc': '2.0', 'id': 1, 'method': 'initialize', 'params': {
            'protocolVersion': '2025-06-18', 'capabilities': {}, 'clientInfo': {'name': 't', 'version': '1'}}}
        status, reply, headers = d.json('POST', '/mcp', init, headers=MCP_HEADERS)
        self.assertEqual(status, 200, reply)
        return headers['Mcp-Session-Id']

    def assert_every_report(self, d, matrix_id):
        for fmt in REPORT_FORMATS:
            status, _, body = d.request('GET', f'/api/v1/matrices/{matrix_id}/report?format={fmt}')
            self.assertEqual(status, 200, (fmt, body))
            self.assertTrue(body, fmt)
        for fmt in ('json', 'text'):
            status, _, body = d.request('GET', f'/api/v1/matrices/{matrix_id}/compare/{matrix_id}?format={fmt}')
            self.assertEqual(status, 200, (fmt, body))
        self.assertEqual(d.json('GET', '/api/v1/health')[0], 200)

    def test_reports_while_runs_are_queued_and_after_a_restart(self):
        d = Daemon()  # the default --max-running 1: of the two runs started at once, one waits
        d2 = None
        try:
            body = dict(fixture_boot('console=tty00 fixture=hang', timeout_s=30), cpus=[1, 2], samples=2,
                        isolation='parallel', parallel=2)
            status, reply, _ = d.json('POST', '/api/v1/matrices', body)
            self.assertEqual(status, 202, reply)
            matrix_id = reply['id']
            deadline = time.monotonic() + 30
            statuses = []
            while sorted(statuses) != ['queued', 'running'] and time.monotonic() < deadline:
                statuses = [r['status'] for r in self.runs_of(d, matrix_id)]
                time.sleep(0.05)
            self.assertEqual(sorted(statuses), ['queued', 'running'])
            status, report, _ = d.json('GET', f'/api/v1/matrices/{matrix_id}')
            self.assertEqual(status, 200, report)
            self.assertEqual(report['status'], 'running')
            self.assertEqual(len(report['accel']), 1, report['accel'])  # the queued run has none yet
            self.assertEqual(report['progress']['done'], 0)
            self.assertEqual(len(report['runs']), 2)
            self.assertEqual([r['status'] for r in self.runs_of(d, matrix_id)].count('queued'), 1)
            self.assert_every_report(d, matrix_id)
            running = [r['id'] for r in self.runs_of(d, matrix_id) if r['status'] == 'running']
            d.stop(signal.SIGKILL)

            d2 = Daemon(state_dir=d.state_dir)
            status, report, _ = d2.json('GET', f'/api/v1/matrices/{matrix_id}')
            self.assertEqual((status, report['status']), (200, 'interrupted'), report)
            self.assertEqual(d2.run(running[0])['status'], 'interrupted')
            self.assert_every_report(d2, matrix_id)
            session = self.mcp_session(d2)
            out = self.mcp(d2, session, 'matrix_report', {'id': matrix_id})
            self.assertEqual(out['report']['id'], matrix_id)
            self.assertEqual(out['report']['accel'], report['accel'])
            out = self.mcp(d2, session, 'matrix_report', {'id': matrix_id, 'format': 'text'})
            self.assertIn(f'Matrix {matrix_id}: interrupted', out['text'])
            out = self.mcp(d2, session, 'claims_validate', {'matrix_id': matrix_id})
            self.assertTrue(out['claims']['comparisons'])
            # report exits 1 as the README says for a matrix whose runs did not all succeed (the old code died
            # of SIGSEGV: -11 here, 139 in a shell), in-process and through the daemon alike (one command
            # now; through the daemon it used to exit 0).
            for where, code in ((['--server', d2.base], 1), (['--state-dir', d.state_dir], 1)):
                for fmt in REPORT_FORMATS:
                    p = subprocess.run([CLI, *where, 'report', matrix_id, '--format', fmt], capture_output=True,
                                       text=True, timeout=60)
                    self.assertEqual(p.returncode, code, (where, fmt, p.stderr))
                    self.assertTrue(p.stdout, (where, fmt))
            p = subprocess.run([CLI, '--state-dir', d.state_dir, 'report', matrix_id], capture_output=True,
                               text=True, timeout=60)
            self.assertIn(f'Matrix {matrix_id}: interrupted', p.stdout)
            self.assertEqual(d2.json('GET', '/api/v1/health')[0], 200)
        finally:
            if d2:
                d2.finish()
            d.cleanup()


class MatrixCliTest(unittest.TestCase):
    def test_matrix_in_process(self):
        state = tempfile.mkdtemp(prefix='ma-cli-matrix-')
        try:
            p = subprocess.run([CLI, '--state-dir', state, 'matrix', '--cpus', '1,2', '--samples', '2',
                                '--profile', 'minix-3.4', '--arch', 'i386', '--kernel', FIXTURE,
                                '--append', 'console=tty00'], capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn('4/4', p.stderr)
            self.assertRegex(p.stdout, r'Matrix [0-9a-f]{16}: done, 4 of 4 runs done \(4 succeeded, 0 failed\)')
            self.assertIn('Not scaling: the guest brought up 1 CPU(s) when 2 were requested', p.stdout)
            matrix_id = p.stdout.split()[1].rstrip(':')
            p = subprocess.run([CLI, '--state-dir', state, 'report', matrix_id, '--format', 'csv'],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(len(p.stdout.splitlines()), 5)
            p = subprocess.run([CLI, '--state-dir', state, '--json', 'report', matrix_id],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(json.loads(p.stdout)['configs'][0]['succeeded'], 2)
            p = subprocess.run([CLI, '--state-dir', state, 'matrix', '--cpus', '1', '--samples', '0',
                                '--profile', 'minix-3.4', '--kernel', FIXTURE], capture_output=True, text=True)
            self.assertEqual(p.returncode, 2)
            self.assertIn('in samples', p.stderr)
        finally:
            shutil.rmtree(state, ignore_errors=True)

    def test_matrix_through_daemon(self):
        d = Daemon()
        try:
            p = subprocess.run([CLI, '--server', d.base, 'matrix', '--cpus', '1,2', '--samples', '1',
                                '--profile', 'minix-3.4', '--arch', 'i386', '--kernel', FIXTURE,
                                '--append', 'console=tty00'], capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn('2 of 2 runs done', p.stdout)
            matrix_id = p.stdout.split()[1].rstrip(':')
            p = subprocess.run([CLI, '--server', d.base, 'report', matrix_id, '--format', 'csv'],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(len(p.stdout.splitlines()), 3)
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()


if __name__ == '__main__':
    unittest.main()
