"""The API under load: a daemon whose store holds many runs, wrk on two GET
routes and on MCP tools/call boot_status, while guests boot; and the
daemon's footprint while it supervises many guests at once. Imported by
bench/run; each function returns table rows."""
import datetime
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


class Daemon:
    def __init__(self, build, state, *args):
        self.p = subprocess.Popen([os.path.join(build, 'programs', 'minix-analysisd'), '--listen', '127.0.0.1:0',
                                   '--state-dir', state, '--image-dir', os.path.join(build, 'guests'), *args],
                                  stderr=subprocess.PIPE, text=True)
        line = self.p.stderr.readline()
        self.base = re.search(r'(http://127\.0\.0\.1:\d+)', line).group(1)

    def post(self, path, body, headers=None):
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method='POST',
                                     headers={'Content-Type': 'application/json', **(headers or {})})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=30) as r:
            return json.loads(r.read())

    def cpu_ms(self):
        with open(f'/proc/{self.p.pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf('SC_CLK_TCK')

    def rss_kb(self):
        with open(f'/proc/{self.p.pid}/status') as f:
            return int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(60)
        self.p.stderr.close()


def fill_runs(state, template_id, n):
    """Copies one real run (and its markers) n times under new ids: a store with n runs."""
    db = sqlite3.connect(os.path.join(state, 'minix-analysis.db'))
    cols = [r[1] for r in db.execute('PRAGMA table_info(runs)') if r[1] != 'seq']
    row = db.execute(f'SELECT {",".join(cols)} FROM runs WHERE id=?', (template_id,)).fetchone()
    markers = db.execute('SELECT ord, name, t_us, source, text FROM markers WHERE run_id=?', (template_id,)).fetchall()
    idx = cols.index('id')
    with db:
        for i in range(n):
            new = list(row)
            new[idx] = f'{i:016x}'
            db.execute(f'INSERT INTO runs ({",".join(cols)}) VALUES ({",".join("?" * len(cols))})', new)
            db.executemany('INSERT INTO markers (run_id, ord, name, t_us, source, text) VALUES (?,?,?,?,?,?)',
                           [(new[idx], *m) for m in markers])
    db.close()


def wrk(url, seconds, script=None):
    """p50/p99 latency in ms and requests/s from wrk --latency."""
    argv = ['wrk', '-t2', '-c16', f'-d{seconds}s', '--latency']
    if script:
        argv += ['-s', script]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout

    def ms(label):
        m = re.search(rf'^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$', out, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == 'us' else v * 1000 if unit == 's' else v
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    return ms('50'), ms('99'), rps, int(non2xx.group(1)) if non2xx else 0


def mcp_session(d):
    status, headers, _ = d.post('/mcp', {'jsonrpc': '2.0', 'id': 1, 'method': 'initialize', 'params': {
        'protocolVersion': '2025-06-18', 'capabilities': {}, 'clientInfo': {'name': 'bench', 'version': '1'}}})
    sid = headers['Mcp-Session-Id']
    d.post('/mcp', {'jsonrpc': '2.0', 'method': 'notifications/initialized'}, {'Mcp-Session-Id': sid})
    return sid


def api_load(build, guests, n_runs, seconds, work):
    """Rows: wrk on GET /runs/{id}, GET /runs?limit=50 and MCP boot_status, n_runs in the store, 2 guests booting."""
    state = os.path.join(work, 'api')
    d = Daemon(build, state, '--max-running', '2', '--max-queued', '100')
    try:
        fixture = guests['MINIX fixture']
        body = {'arch': 'i386', 'kernel': fixture['kernel'], 'append': fixture['append'], 'profile': 'minix-3.4',
                'accel': 'tcg'}
        _, _, reply = d.post('/api/v1/boots', body)
        template = json.loads(reply)['id']
        while d.get(f'/api/v1/runs/{template}')['status'] in ('queued', 'running'):
            time.sleep(0.1)
    finally:
        d.stop()
    fill_runs(state, template, n_runs)
    d = Daemon(build, state, '--max-running', '2', '--max-queued', '100')
    rows = []
    try:
        linux = guests['Linux guest']
        busy = {'arch': 'x86_64', 'kernel': linux['kernel'], 'initrd': [linux['initrd']], 'append': linux['append'],
                'profile': 'linux', 'accel': 'tcg', 'duration_s': seconds * 3 + 30}
        for _ in range(2):  # two guests run for the whole measurement
            d.post('/api/v1/memory', busy)
        time.sleep(2)
        sid = mcp_session(d)
        script = os.path.join(work, 'boot_status.lua')
        call = json.dumps({'jsonrpc': '2.0', 'id': 7, 'method': 'tools/call',
                           'params': {'name': 'boot_status', 'arguments': {'id': template}}})
        with open(script, 'w') as f:
            f.write('wrk.method = "POST"\n'
                    f'wrk.body = {json.dumps(call)}\n'
                    'wrk.headers["Content-Type"] = "application/json"\n'
                    'wrk.headers["Accept"] = "application/json, text/event-stream"\n'
                    f'wrk.headers["Mcp-Session-Id"] = "{sid}"\n'
                    'wrk.headers["MCP-Protocol-Version"] = "2025-06-18"\n')
        for what, url, lua in ((f'GET /api/v1/runs/{{id}}', f'{d.base}/api/v1/runs/{template}', None),
                               ('GET /api/v1/runs?limit=50', f'{d.base}/api/v1/runs?limit=50', None),
                               ('MCP tools/call boot_status', f'{d.base}/mcp', script)):
            p50, p99, rps, bad = wrk(url, seconds, lua)
            rows.append((what, p50, p99, rps, bad))
    finally:
        d.stop()
    return rows


def stamp(rfc3339):
    return datetime.datetime.fromisoformat(rfc3339.replace('Z', '+00:00')).timestamp()


def matrix_cost(build, guests, samples_list, work):
    """Wall time of a fixture matrix (1,2,4,8 vCPUs) exclusive and parallel, and the daemon's CPU per run as the
    samples grow (linear cost means a flat CPU per run)."""
    d = Daemon(build, os.path.join(work, 'matrix'), '--max-running', str(os.cpu_count() or 1))
    rows = []
    try:
        fixture = guests['MINIX fixture']
        for samples in samples_list:
            for isolation in ('exclusive', 'parallel'):
                body = {'arch': 'i386', 'kernel': fixture['kernel'], 'append': fixture['append'],
                        'profile': 'minix-3.4', 'accel': 'tcg', 'cpus': [1, 2, 4, 8], 'samples': samples,
                        'isolation': isolation}
                cpu0, t0 = d.cpu_ms(), time.monotonic()
                mid = json.loads(d.post('/api/v1/matrices', body)[2])['id']
                while d.get(f'/api/v1/matrices/{mid}')['status'] == 'running':
                    time.sleep(0.2)
                wall, cpu = time.monotonic() - t0, d.cpu_ms() - cpu0
                report = d.get(f'/api/v1/matrices/{mid}')
                rows.append((samples, isolation, wall, cpu / (4 * samples), report['progress']['succeeded'],
                             4 * samples))
    finally:
        d.stop()
    return rows


def many_guests(build, guests, n, hold_s, work):
    """Daemon RSS idle and with n fixture guests running at once, and its CPU time per guest-second."""
    d = Daemon(build, os.path.join(work, 'many'), '--max-running', str(n), '--max-queued', str(n))
    try:
        time.sleep(1)
        idle = d.rss_kb()
        fixture = guests['MINIX fixture']
        body = {'arch': 'i386', 'kernel': fixture['kernel'], 'append': fixture['append'], 'profile': 'minix-3.4',
                'accel': 'tcg', 'duration_s': hold_s}
        cpu0 = d.cpu_ms()
        ids = [json.loads(d.post('/api/v1/memory', dict(body, memory_sample_ms=1000))[2])['id'] for _ in range(n)]
        peak, running_seen = idle, 0
        while True:
            runs = [d.get(f'/api/v1/runs/{i}') for i in ids]
            running = sum(r['status'] == 'running' for r in runs)
            running_seen = max(running_seen, running)
            peak = max(peak, d.rss_kb())
            if all(r['status'] not in ('queued', 'running') for r in runs):
                break
            time.sleep(0.5)
        cpu = d.cpu_ms() - cpu0
        guest_s = sum((stamp(r['finished_at']) - stamp(r['started_at'])) for r in runs)
        ok = sum(r['status'] == 'succeeded' for r in runs)
    finally:
        d.stop()
    return idle, peak, running_seen, cpu, guest_s, ok


def _flood_boot(d, kernel, subscribers):
    """One fixture boot with 3 MB of console; `subscribers` event streams that never read follow it."""
    import socket
    _, _, body = d.post('/api/v1/boots', {'arch': 'i386', 'kernel': kernel, 'append': 'console=tty00 fixture=flood',
                                          'profile': 'minix-3.4', 'accel': 'tcg', 'timeout_s': 300})
    run_id = json.loads(body)['id']
    socks = []
    port = int(d.base.rsplit(':', 1)[1])
    for _ in range(subscribers):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window, not a stall
        s.settimeout(10)
        s.connect(('127.0.0.1', port))
        s.sendall(f'GET /api/v1/runs/{run_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.encode())
        socks.append(s)
    peak = d.rss_kb()
    while True:
        run = d.get(f'/api/v1/runs/{run_id}')
        peak = max(peak, d.rss_kb())
        if run['status'] not in ('queued', 'running'):
            break
        time.sleep(0.2)
    for s in socks:
        s.close()
    assert run['status'] == 'succeeded', run
    return run['boot_time_ms'], peak


def stalled_subscribers(build, guests, n, work, subscribers=200):
    """Boot time and daemon RSS of a flooding fixture boot with `subscribers` stalled event streams against
    none, interleaved (issue 13: they once grew the daemon by 676 MB and slowed the boot 3.3x)."""
    state = tempfile.mkdtemp(prefix='streams-', dir=work)
    d = Daemon(build, state, '--max-streams-per-client', str(subscribers + 8), '--max-streams',
               str(subscribers + 16), '--max-connections', str(subscribers + 64), '--max-log-mb', '1')
    out = {0: [], subscribers: []}
    try:
        for i in range(n):
            for k in (list(out) if i % 2 == 0 else list(out)[::-1]):
                out[k].append(_flood_boot(d, guests['MINIX fixture']['kernel'], k))
    finally:
        d.stop()
    return out
