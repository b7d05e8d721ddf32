"""What the dashboard (issue 17) needs from the daemon, over plain HTTP: its files with a strict
Content-Security-Policy (served without a token, refused to foreign Hosts), the session and profile
routes, the matrices list, run filters by profile and label, the runs list's ETag (304 while
nothing changed), and serial events numbered so a page can join them to the log it read."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import CLI, Daemon, DaemonCase, fixture_boot  # noqa: E402


class DashboardFilesTest(DaemonCase):
    def test_the_page_and_its_assets_carry_a_strict_policy(self):
        status, headers, body = self.d.request('GET', '/')
        self.assertEqual(status, 200)
        self.assertTrue(headers['Content-Type'].startswith('text/html'))
        csp = headers['Content-Security-Policy']
        self.assertIn("script-src 'self'", csp)
        self.assertIn("default-src 'none'", csp)
        self.assertNotIn('unsafe', csp)
        self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')
        self.assertIn(b'/assets/app.js', body)
        self.assertNotIn(b'<script>', body)  # no inline script: the policy would refuse it
        web = os.path.join(os.path.dirname(__file__), '..', '..', 'web')
        for name in sorted(os.listdir(web)):
            kind = {'.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml'}[
                os.path.splitext(name)[1]]
            status, headers, body = self.d.request('GET', f'/assets/{name}')
            self.assertEqual((status, headers['Content-Type'].split(';')[0]), (200, kind), name)
            with open(os.path.join(web, name), 'rb') as f:
                self.assertEqual(body, f.read(), name)  # what is served is what is in web/
            # Markup is never made from strings: no HTML sinks, no eval.
            sink = re.search(rb'\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function',
                             body)
            self.assertIsNone(sink, f'{name}: {sink and sink.group(0)}')
        status, headers, _ = self.d.request('GET', '/assets/app.js', headers={'If-None-Match': headers['ETag']})
        self.assertEqual(status, 200)  # the ETag of dom.js is not app.js's
        etag = self.d.request('GET', '/assets/app.js')[1]['ETag']
        self.assertEqual(self.d.request('GET', '/assets/app.js', headers={'If-None-Match': etag})[0], 304)

    def test_unknown_files_other_methods_and_foreign_hosts_are_refused(self):
        status, reply, _ = self.d.json('GET', '/assets/nothing.js')
        self.assertEqual((status, reply['error']['code']), (404, 'not_found'))
        self.assertEqual(self.d.json('GET', '/assets/..%2Fopenapi.yaml')[0], 404)
        status, reply, headers = self.d.json('POST', '/', {})
        self.assertEqual((status, headers['Allow']), (405, 'GET, HEAD'))
        status, reply, _ = self.d.json('GET', '/', headers={'Host': 'evil.example'})
        self.assertEqual((status, reply['error']['code']), (403, 'host_not_allowed'))

    def test_session_and_profiles(self):
        status, reply, _ = self.d.json('GET', '/api/v1/session')
        self.assertEqual((status, reply), (200, {'auth_required': False, 'scope': 'full'}))
        status, reply, _ = self.d.json('GET', '/api/v1/profiles')
        names = [p['name'] for p in reply['profiles']]
        self.assertEqual(status, 200)
        self.assertIn('minix-3.4', names)
        self.assertIn('linux', names)
        self.assertEqual({p['terminal_marker'] for p in reply['profiles']}, {'shell_prompt'})

    def test_runs_filters_and_etag(self):
        a = self.d.boot(fixture_boot(label='filter-a'))
        b = self.d.boot(fixture_boot(label='filter-b'))
        self.d.wait(a)
        self.d.wait(b)
        status, page, headers = self.d.json('GET', '/api/v1/runs?label=filter-a')
        self.assertEqual([r['id'] for r in page['runs']], [a])
        self.assertEqual(self.d.json('GET', '/api/v1/runs?profile=linux&label=filter-b')[1]['runs'], [])
        self.assertEqual([r['id'] for r in self.d.json('GET', '/api/v1/runs?profile=minix-3.4&label=filter-b')[1]['runs']], [b])
        status, reply, _ = self.d.json('GET', '/api/v1/runs?label=')
        self.assertEqual((status, reply['error']['field']), (400, 'label'))
        etag = headers['ETag']
        self.assertEqual(self.d.request('GET', '/api/v1/runs?label=filter-a', headers={'If-None-Match': etag})[0], 304)
        c = self.d.boot(fixture_boot(label='filter-c'))  # any run changing changes the ETag
        status, after, _ = self.d.request('GET', '/api/v1/runs?label=filter-a', headers={'If-None-Match': etag})
        self.assertEqual(status, 200)
        self.assertNotEqual(after['ETag'], etag)
        self.d.wait(c)

    def test_serial_events_are_numbered_like_the_log(self):
        run_id = self.d.boot(fixture_boot())
        events = self.d.events(run_id)
        self.d.wait(run_id)
        serial = [data for ev, data in events if ev == 'serial']
        status, _, log = self.d.request('GET', f'/api/v1/runs/{run_id}/serial')
        lines = log.decode().split('\n')
        # Subscribed after the first lines: the numbers continue the log's, one by one.
        self.assertTrue(serial, events)
        self.assertEqual([s['n'] for s in serial], list(range(serial[0]['n'], serial[0]['n'] + len(serial))))
        for s in serial:
            self.assertEqual(lines[s['n'] - 1].rstrip('\r'), s['line'])

    def test_matrices_are_listed_newest_first_with_their_progress(self):
        first = self.d.json('POST', '/api/v1/matrices', {**fixture_boot(), 'cpus': [1], 'samples': 1})[1]['id']
        second = self.d.json('POST', '/api/v1/matrices', {**fixture_boot(), 'cpus': [1, 2], 'samples': 1})[1]['id']
        self.d.events(second, collection='matrices')
        self.d.events(first, collection='matrices')
        status, reply, _ = self.d.json('GET', '/api/v1/matrices')
        listed = [m['id'] for m in reply['matrices']]
        self.assertEqual(status, 200)
        self.assertLess(listed.index(second), listed.index(first))
        m = reply['matrices'][listed.index(second)]
        self.assertEqual((m['status'], m['done'], m['total'], m['request']['cpus']), ('done', 2, 2, [1, 2]))
        self.assertEqual(len(self.d.json('GET', '/api/v1/matrices?limit=1')[1]['matrices']), 1)
        self.assertEqual(self.d.json('GET', '/api/v1/matrices?limit=0')[1]['error']['field'], 'limit')


class DashboardAuthTest(unittest.TestCase):
    def test_pages_need_no_token_and_the_session_tells_the_scope(self):
        d = Daemon(extra_args=('--auth',))
        try:
            make = lambda *a: subprocess.run([CLI, '--state-dir', d.state_dir, 'token', 'create', *a],  # noqa: E731
                                             capture_output=True, text=True, check=True).stdout.strip()
            full, read = make('--name', 'f'), make('--name', 'r', '--read-only')
            self.assertEqual(d.request('GET', '/')[0], 200)
            self.assertEqual(d.request('GET', '/assets/app.js')[0], 200)
            self.assertEqual(d.json('GET', '/api/v1/session')[1]['error']['code'], 'unauthorized')
            for tok, scope in ((full, 'full'), (read, 'read')):
                status, reply, _ = d.json('GET', '/api/v1/session', headers={'Authorization': f'Bearer {tok}'})
                self.assertEqual((status, reply), (200, {'auth_required': True, 'scope': scope}))
        finally:
            d.finish()


if __name__ == '__main__':
    unittest.main()
