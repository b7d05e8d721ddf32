"""Issue 13, findings 2, 3, 4 and 8: what a hostile web page or one greedy local
client could do to the daemon over HTTP. Each test failed on the daemon of
2026-11-25: a foreign Origin or Host was served, 500 event streams locked
/health out, trickled headers held connections for ever, a stalled reader's
buffer grew without bound, one client could evict another's MCP session."""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

from harness import Daemon, DaemonCase, fixture_boot, sanitized


def raw_request(port, text, timeout=10):
    """Sends text as-is and returns the status line and the body (for headers urllib will not send)."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall(text.encode())
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    return head.split(b'\r\n')[0].decode(), body


def rss_kb(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def health_ms(port, timeout=10):
    start = time.monotonic()
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    c.request('GET', '/api/v1/health')
    status = c.getresponse().status
    c.close()
    return status, (time.monotonic() - start) * 1000


class CrossSiteTests(DaemonCase):
    """Finding 2: CSRF and DNS rebinding without --auth."""

    def post_boot(self, headers, body=None):
        return self.d.json('POST', '/api/v1/boots', raw=json.dumps(body or fixture_boot()).encode(), headers=headers)

    def test_a_foreign_origin_cannot_start_a_boot(self):
        status, reply, _ = self.post_boot({'Origin': 'http://evil.example', 'Content-Type': 'application/json'})
        self.assertEqual((status, reply['error']['code'], reply['error']['field']),
                         (403, 'origin_not_allowed', 'Origin'))
        status, runs, _ = self.d.json('GET', '/api/v1/runs')
        self.assertEqual(runs['runs'], [], 'a refused POST must start nothing')

    def test_the_origin_is_parsed_not_prefix_matched(self):
        for origin in ('http://localhost:80@evil.example', 'http://localhost.evil.example', 'null'):
            status, reply, _ = self.d.json('GET', '/api/v1/runs', headers={'Origin': origin})
            self.assertEqual((status, reply['error']['code']), (403, 'origin_not_allowed'), origin)
        status, _, _ = self.d.json('GET', '/api/v1/runs', headers={'Origin': f'http://localhost:{self.d.port}'})
        self.assertEqual(status, 200)

    def test_mcp_keeps_refusing_foreign_origins(self):
        status, reply, _ = self.d.json('POST', '/mcp', {'jsonrpc': '2.0', 'id': 1, 'method': 'ping'},
                                       headers={'Origin': 'http://localhost:80@evil.example'})
        self.assertEqual(status, 403)

    def test_a_simple_form_post_is_refused(self):
        # text/plain needs no CORS preflight: it is how a page posts across sites.
        for ctype in ('text/plain', 'application/x-www-form-urlencoded', None):
            headers = {'Content-Type': ctype} if ctype else {}
            status, _, data = self.d.request('POST', '/api/v1/boots', raw=json.dumps(fixture_boot()).encode(),
                                             headers=headers)
            if ctype is None:  # urllib adds its form type when none is given: send it raw
                line, data = raw_request(self.d.port, 'POST /api/v1/boots HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                                         f'Content-Length: 2\r\nConnection: close\r\n\r\n{{}}')
                status = int(line.split()[1])
            reply = json.loads(data)
            self.assertEqual((status, reply['error']['code'], reply['error']['field']),
                             (415, 'unsupported_media_type', 'Content-Type'), ctype)

    def test_a_rebinding_host_is_refused(self):
        for host in ('evil.example', f'evil.example:{self.d.port}', 'localhost.evil.example'):
            status, reply, _ = self.d.json('GET', '/api/v1/runs', headers={'Host': host})
            self.assertEqual((status, reply['error']['code'], reply['error']['field']),
                             (403, 'host_not_allowed', 'Host'), host)
        for host in (f'127.0.0.1:{self.d.port}', f'localhost:{self.d.port}'):
            status, _, _ = self.d.json('GET', '/api/v1/runs', headers={'Host': host})
            self.assertEqual(status, 200, host)

    def test_differing_content_lengths_are_refused(self):
        line, body = raw_request(self.d.port, 'POST /api/v1/boots HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                                 'Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n'
                                 'Connection: close\r\n\r\n{}')
        self.assertIn(' 400 ', line)
        self.assertEqual(json.loads(body)['error']['code'], 'conflicting_content_length')

    def test_long_arrays_are_refused_before_they_are_checked(self):
        body = fixture_boot(initrd=['/nonexistent/x'] * 28000)
        start = time.monotonic()
        status, reply, _ = self.d.json('POST', '/api/v1/boots', body)
        self.assertEqual((status, reply['error']['code']), (400, 'array_too_long'))
        self.assertLess(time.monotonic() - start, 1.0)
        status, reply, _ = self.d.json('POST', '/api/v1/boots', fixture_boot(initrd=['/nonexistent/x'] * 65))
        self.assertEqual((status, reply['error']['code'], reply['error']['field']), (400, 'out_of_range', 'initrd'))


class AllowListTests(unittest.TestCase):
    """--allow-origin and --allow-host name what else may be served."""

    def test_configured_names_are_served(self):
        d = Daemon(extra_args=['--allow-origin', 'https://lab.example:8443', '--allow-host', 'lab.example'])
        try:
            status, _, _ = d.json('GET', '/api/v1/runs', headers={'Origin': 'https://lab.example:8443',
                                                                  'Host': 'lab.example:8443'})
            self.assertEqual(status, 200)
            status, _, _ = d.json('GET', '/api/v1/runs', headers={'Origin': 'http://lab.example:8443'})
            self.assertEqual(status, 403)
        finally:
            d.finish()

    def test_a_bad_allowed_origin_stops_the_daemon(self):
        p = subprocess.run([os.environ['MA_DAEMON'], '--listen', '127.0.0.1:0', '--allow-origin', 'lab.example'],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn('--allow-origin wants SCHEME://HOST[:PORT]', p.stderr)
        for host in ('lab.example:8420', 'lab.example.', 'a b'):
            p = subprocess.run([os.environ['MA_DAEMON'], '--listen', '127.0.0.1:0', '--allow-host', host],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, host)
            self.assertIn('--allow-host wants a DNS name', p.stderr)


def open_stream(port, run_id, results, i):
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=20)
        s.sendall(f'GET /api/v1/runs/{run_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.encode())
        head = s.recv(4096)
        results[i] = (s, head.split(b'\r\n')[0].decode() if head else '')
    except OSError as e:
        results[i] = (None, str(e))


class ConnectionTests(unittest.TestCase):
    """Finding 3: one client must not lock everyone out."""

    def test_500_event_streams_leave_health_reachable(self):
        d = Daemon(extra_args=['--max-queued', '8'])
        socks = []
        try:
            run_id = d.boot(fixture_boot('console=tty00 fixture=hang', timeout_s=120))
            d.wait(run_id, 30, statuses={'running'})
            results = [None] * 500
            threads = [threading.Thread(target=open_stream, args=(d.port, run_id, results, i)) for i in range(500)]
            latencies = []
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            for _ in range(5):
                status, ms = health_ms(d.port)
                self.assertEqual(status, 200)
                latencies.append(ms)
            socks = [s for s, _ in results if s]
            served = sum(1 for _, line in results if ' 200 ' in line)
            refused = sum(1 for _, line in results if ' 429 ' in line)
            print(f'\n500 streams on one run: {served} served, {refused} answered 429, '
                  f'{500 - served - refused} not answered; /health max {max(latencies):.1f} ms', file=sys.stderr)
            self.assertEqual(served, 32, 'one client (one address, no token) holds at most 32 streams')
            _, _, text = d.request('GET', '/metrics')
            self.assertIn(b'\nminix_analysis_event_streams 32\n', text)
            self.assertLess(max(latencies), 1000)
            d.request('DELETE', f'/api/v1/runs/{run_id}')
        finally:
            for s in socks:
                s.close()
            d.finish()

    def test_one_address_cannot_take_every_connection(self):
        d = Daemon(extra_args=['--max-connections', '16', '--max-connections-per-address', '6'])
        held = []
        try:
            for _ in range(6):  # connections that send nothing: held until the request deadline
                held.append(socket.create_connection(('127.0.0.1', d.port), timeout=10))
            time.sleep(0.3)
            extra = socket.create_connection(('127.0.0.1', d.port), timeout=10)
            extra.sendall(b'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
            try:
                answer = extra.recv(4096)
            except OSError:
                answer = b''
            extra.close()
            self.assertEqual(answer, b'', 'the 7th connection from one address is closed unanswered')
            # Another address (the whole 127/8 is loopback) is still served.
            other = socket.create_connection(('127.0.0.1', d.port), timeout=10, source_address=('127.0.0.2', 0))
            other.sendall(b'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
            self.assertTrue(other.recv(4096).startswith(b'HTTP/1.1 200'))
            other.close()
        finally:
            for c in held:
                c.close()
            d.finish()

    def test_streams_leave_a_reserve_for_short_requests(self):
        d = Daemon(extra_args=['--max-connections', '24', '--max-streams', '8', '--max-queued', '8'])
        socks = []
        try:
            run_id = d.boot(fixture_boot('console=tty00 fixture=hang', timeout_s=120))
            d.wait(run_id, 30, statuses={'running'})
            results = [None] * 12
            for i in range(12):  # one client, under its own cap of 32: the total cap (8) answers
                open_stream(d.port, run_id, results, i)
            socks = [s for s, _ in results if s]
            lines = [line for _, line in results]
            self.assertEqual(sum(' 200 ' in line for line in lines), 8, lines)
            self.assertEqual(sum(' 429 ' in line for line in lines), 4, lines)
            status, ms = health_ms(d.port)  # the connections left over are for requests like this one
            self.assertEqual(status, 200)
            _, _, text = d.request('GET', '/metrics')
            self.assertIn(b'\nminix_analysis_event_streams 8\n', text)
            d.request('DELETE', f'/api/v1/runs/{run_id}')
        finally:
            for s in socks:
                s.close()
            d.finish()

    def test_trickled_headers_do_not_hold_connections(self):
        d = Daemon(extra_args=['--request-timeout-s', '3'])
        socks = []
        try:
            for _ in range(200):
                s = socket.create_connection(('127.0.0.1', d.port), timeout=10)
                s.sendall(b'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n')
                socks.append(s)
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:  # one header line each 1 s: MHD's idle timeout never fires
                for s in socks:
                    try:
                        s.sendall(b'X-Trickle: 1\r\n')
                    except OSError:
                        pass
                status, _ = health_ms(d.port)
                self.assertEqual(status, 200)
                time.sleep(1)
            open_ = 0
            for s in socks:
                s.settimeout(2)
                try:
                    open_ += s.recv(1) != b''
                except socket.timeout:
                    open_ += 1
                except OSError:
                    pass
            self.assertEqual(open_, 0, f'{open_} trickling connections still held after 8 s with a 3 s deadline')
            self.assertTrue(any('sent no whole request within 3 s' in line for line in d.log), ''.join(d.log))
        finally:
            for s in socks:
                s.close()
            d.finish()


class SlowReaderTests(unittest.TestCase):
    """Finding 4: a subscriber that never reads costs a bounded amount of memory."""

    def test_stalled_subscribers_are_cut_and_memory_stays_bounded(self):
        d = Daemon(extra_args=['--max-streams-per-client', '250', '--max-log-mb', '1'])
        socks = []
        try:
            run_id = d.boot(fixture_boot('console=tty00 fixture=flood', accel='tcg', timeout_s=400))
            d.wait(run_id, 30, statuses={'running'})
            before = rss_kb(d.proc.pid)
            for _ in range(200):
                # A small window set before connecting (set later, Linux stalls the connection in
                # zero-window probes and nothing flows even once the client reads).
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(10)
                s.connect(('127.0.0.1', d.port))
                s.sendall(f'GET /api/v1/runs/{run_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.encode())
                socks.append(s)  # never read
            run = d.wait(run_id, 400)
            grown = rss_kb(d.proc.pid) - before
            print(f'\n200 stalled subscribers on a 3 MB flood: daemon RSS grew {grown / 1024:.1f} MB, run '
                  f'{run["status"]} in {run["boot_time_ms"]} ms', file=sys.stderr)
            self.assertEqual(run['status'], 'succeeded', run)
            # 200 x 256 KiB of lag at most, plus allocator slack; the old daemon grew 676 MB.
            # ASan's quarantine keeps freed memory on purpose: the bound is checked in the plain build.
            if not sanitized(d.proc.pid):
                self.assertLess(grown, 120 * 1024)
            # A stalled stream ends with an event that says why.
            socks[0].settimeout(30)
            data = b''
            try:
                while b'slow_reader' not in data:
                    chunk = socks[0].recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                pass
            self.assertIn(b'event: error\ndata: {"code":"slow_reader"', data)
        finally:
            for s in socks:
                s.close()
            d.finish()


    def test_clients_leaving_mid_stream_are_not_logged_as_errors(self):
        d = Daemon()
        try:
            run_id = d.boot(fixture_boot('console=tty00 fixture=flood', accel='tcg', timeout_s=60))
            d.wait(run_id, 30, statuses={'running'})
            for _ in range(5):
                s = socket.create_connection(('127.0.0.1', d.port), timeout=10)
                s.sendall(f'GET /api/v1/runs/{run_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.encode())
                s.recv(100)
                time.sleep(0.3)
                s.close()
            d.request('DELETE', f'/api/v1/runs/{run_id}')
            d.wait(run_id)
        finally:
            d.finish()
        self.assertFalse([line for line in d.log if 'Failed to send' in line or 'minix-analysisd: http:' in line],
                         ''.join(d.log))


class McpSessionTests(unittest.TestCase):
    """Finding 8: MCP sessions belong to their token; 401s are rate-limited."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(extra_args=['--auth'])
        def create(*args):
            return subprocess.run([os.environ['MA_CLI'], '--state-dir', cls.d.state_dir, 'token', 'create', *args],
                                  capture_output=True, text=True, check=True).stdout.strip()
        cls.full = create('--name', 'full')
        cls.read = create('--name', 'viewer', '--read-only')

    @classmethod
    def tearDownClass(cls):
        cls.d.finish()

    def initialize(self, token):
        status, reply, headers = self.d.json('POST', '/mcp', {
            'jsonrpc': '2.0', 'id': 1, 'method': 'initialize',
            'params': {'protocolVersion': '2025-06-18', 'capabilities': {}, 'clientInfo': {'name': 't', 'version': '1'}}},
            headers={'Authorization': f'Bearer {token}'})
        self.assertEqual(status, 200, reply)
        return headers['Mcp-Session-Id']

    def ping(self, token, sid):
        status, _, _ = self.d.json('POST', '/mcp', {'jsonrpc': '2.0', 'id': 2, 'method': 'ping'},
                                   headers={'Authorization': f'Bearer {token}', 'Mcp-Session-Id': sid})
        return status

    def test_a_session_is_its_tokens_only(self):
        sid = self.initialize(self.full)
        self.assertEqual(self.ping(self.full, sid), 200)
        self.assertEqual(self.ping(self.read, sid), 404, 'another token used a session it did not make')

    def test_many_initializes_do_not_evict_another_tokens_session(self):
        sid = self.initialize(self.full)
        for _ in range(1100):
            self.initialize(self.read)
        self.assertEqual(self.ping(self.full, sid), 200, 'the read token evicted the full token\'s session')

    def test_unauthorized_requests_are_rate_limited(self):
        d = Daemon(extra_args=['--auth', '--rate-limit', '5', '--rate-burst', '5'])
        try:
            codes = [d.request('GET', '/api/v1/runs', headers={'Authorization': 'Bearer wrong'})[0]
                     for _ in range(20)]
            self.assertIn(429, codes, codes)
            self.assertEqual(codes[0], 401)
        finally:
            d.finish()


if __name__ == '__main__':
    unittest.main()
