"""Timestamp fidelity: the MINIX fixture booted with fixture=timestamps starts
each console line with its own clock ("[@US] ", TSC calibrated against the
PIT, microseconds since pre_init). For every marker, offset = host stamp -
guest time. Within a boot the offset drifts linearly when the guest's clock
runs at a slightly wrong rate (its TSC is calibrated over 20 ms of PIT), so
a straight line is fitted per boot and the residuals are the stamping jitter;
the spread around the median, drift included, is reported too.

The anchor is the raw reader (bench/raw_boot.c --lines) on the same lines:
the first line matching each of the profile's marker patterns, stamped with
the read that completed it, as minix-analysis stamps a marker. Two more
anchors: grabserial (Debian's package), what embedded and kernel developers
use to timestamp boot consoles, reading the console from a pty (-serial pty;
it stamps a line when its first character arrives); and QEMU's serial_write
trace event with the log backend, which stamps each byte (gettimeofday) on
the vCPU thread as the guest writes it to the UART: a stamp taken where the
byte is written, not where it is read. Boots of the sides rotate, each side
first in turn. Imported by bench/run."""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time

STAMP = re.compile(r'\[@(\d+)\] ')


def fit(pts):
    """pts: (guest_us, host_us) of one boot. Per point: (offset - median, residual of the line fit); the slope."""
    offsets = [(g, h - g) for g, h in pts]
    med = statistics.median(o for _, o in offsets)
    line = statistics.linear_regression([g for g, _ in offsets], [o for _, o in offsets])
    return [(o - med, o - (line.intercept + line.slope * g)) for g, o in offsets], line.slope


def product_points(build, guest, state):
    argv = [os.path.join(build, 'programs', 'minix-analysis'), '--state-dir', state, '--json', 'boot',
            '--profile', guest['profile'], '--arch', guest['arch'], '--kernel', guest['kernel'],
            '--append', guest['append'] + ' fixture=timestamps', '--accel', 'tcg']
    run = json.loads(subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout)
    assert run['status'] == 'succeeded', run['error']
    pts = []
    for m in run['markers']:
        g = STAMP.match(m['text'] or '')
        if g and m['source'] == 'serial':
            pts.append((int(g.group(1)), m['t_ms'] * 1000))
    return pts


def marker_patterns(root, profile):
    with open(os.path.join(root, 'schema', 'profiles', profile + '.json')) as f:
        return [re.compile(m['pattern']) for m in json.load(f)['markers']]


def raw_points(build, guest, work, qemu_argv, patterns):
    qmp, ser = os.path.join(work, 'fid.qmp'), os.path.join(work, 'fid.ser')
    argv = [os.path.join(build, 'bench', 'raw_boot'), '--lines', 'login: ',
            *qemu_argv(guest['arch'], guest['kernel'], guest['initrd'], guest['append'] + ' fixture=timestamps',
                       qmp, ser)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout.splitlines()
    lines = []
    for row in out[1:]:
        stamp, _, text = row.partition('\t')
        lines.append((float(stamp), text.rstrip('\r')))
    return marker_lines(lines, patterns)


def marker_lines(lines, patterns):
    """(guest_us, host_us) of the first line matching each pattern, from (host_us, text) lines."""
    pts, left = [], list(patterns)
    for host_us, text in lines:
        hit = next((p for p in left if p.search(text)), None)
        g = STAMP.match(text)
        if hit and g:
            left.remove(hit)
            pts.append((int(g.group(1)), host_us))
    return pts


def trace_points(build, guest, work, qemu_argv, patterns):
    """The raw reader's boot with QEMU's serial_write trace event logged: each line stamped with the
    trace's stamp of its newline byte, written to the transmit register (offset 0, DLAB clear)."""
    qmp, ser, log = (os.path.join(work, f) for f in ('tr.qmp', 'tr.ser', 'serial-trace.log'))
    argv = [os.path.join(build, 'bench', 'raw_boot'), 'login: ',
            *qemu_argv(guest['arch'], guest['kernel'], guest['initrd'], guest['append'] + ' fixture=timestamps',
                       qmp, ser), '-trace', 'serial_write', '-D', log, '-msg', 'timestamp=on']
    subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)
    event = re.compile(r'^\d+@(\d+)\.(\d{6}):serial_write write addr 0x([0-9a-f]+) val 0x([0-9a-f]+)')
    lines, text, dlab = [], bytearray(), False
    with open(log) as f:
        for row in f:
            m = event.match(row)
            if not m:
                continue
            addr, val = int(m.group(3), 16), int(m.group(4), 16)
            if addr == 3:
                dlab = bool(val & 0x80)
            if addr != 0 or dlab:
                continue
            if val == 0x0a:
                lines.append((int(m.group(1)) * 1e6 + int(m.group(2)), text.decode(errors='replace').rstrip('\r')))
                text = bytearray()
            else:
                text.append(val)
    return marker_lines(lines, patterns)


def qmp_command(sock, name):
    sock.sendall(json.dumps({'execute': name}).encode() + b'\n')
    buf = b''
    while True:
        buf += sock.recv(65536)
        for line in buf.split(b'\n'):
            if line.strip() and b'"return"' in line:
                return json.loads(line)['return']


def grabserial_points(guest, work, qemu_argv, patterns):
    """grabserial -t on the console as a pty (-serial pty); QEMU paused until grabserial has it open."""
    qmp = os.path.join(work, 'gs.qmp')
    argv = qemu_argv(guest['arch'], guest['kernel'], guest['initrd'], guest['append'] + ' fixture=timestamps',
                     qmp, os.path.join(work, 'unused.ser'))
    at = argv.index('-chardev')
    argv[at:at + 4] = ['-serial', 'pty']  # the pty in place of the socket chardev and its -serial
    if os.path.exists(qmp):
        os.unlink(qmp)
    qemu = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    grab = None
    try:
        for _ in range(200):
            if os.path.exists(qmp):
                break
            time.sleep(0.01)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(qmp)
        sock.recv(65536)  # greeting
        qmp_command(sock, 'qmp_capabilities')
        pty = next(c['filename'][4:] for c in qmp_command(sock, 'query-chardev') if c['filename'].startswith('pty:'))
        grab = subprocess.Popen(['grabserial', '-S', '-d', pty, '-t', '-q', 'login: ', '-e', '60'],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors='replace')
        for _ in range(500):  # its pty open: the guest's first bytes are not dropped
            fds = os.listdir(f'/proc/{grab.pid}/fd')
            if any(os.path.realpath(f'/proc/{grab.pid}/fd/{fd}') == os.path.realpath(pty) for fd in fds):
                break
            time.sleep(0.01)
        qmp_command(sock, 'cont')
        out, _ = grab.communicate(timeout=90)
        sock.close()
        if os.environ.get('MA_BENCH_DEBUG'):
            print(out[:2000], file=sys.stderr)
    finally:
        qemu.kill()
        qemu.wait()
        if grab and grab.poll() is None:
            grab.kill()
    stamped = re.compile(r'^\[\s*([0-9.]+)\s+[0-9.]+\] (.*)$')
    lines = []
    for row in out.splitlines():
        m = stamped.match(row)
        if m:
            lines.append((float(m.group(1)) * 1e6, m.group(2).rstrip('\r')))
    return marker_lines(lines, patterns)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def summarize(boots):
    """boots: lists of (guest_us, host_us). Residual and raw spreads in microseconds."""
    devs, resid, slopes, first, rest = [], [], [], [], []
    for pts in boots:
        d, slope = fit(pts)
        devs += [abs(x) for x, _ in d]
        resid += [abs(r) for _, r in d]
        first.append(abs(d[0][1]))  # the boot's first stamped line, apart: it carries the tail
        rest += [abs(r) for _, r in d[1:]]
        slopes.append(abs(slope))
    return dict(count=len(devs), per_run=min(len(b) for b in boots), resid_p50=pct(resid, 50),
                resid_p99=pct(resid, 99), resid_max=max(resid), raw_p50=pct(devs, 50), raw_p99=pct(devs, 99),
                first_p50=pct(first, 50), first_max=max(first), rest_p99=pct(rest, 99), rest_max=max(rest),
                rate_err_median=statistics.median(slopes))


def fidelity(build, guest, n, work, root, qemu_argv, rotated):
    """{'product', 'raw', 'grabserial', 'trace': summary} over n boots each, interleaved (grabserial:
    None when it is not installed)."""
    state = os.path.join(work, 'fidelity')
    patterns = marker_patterns(root, guest['profile'])
    boots = {'product': [], 'raw': [], 'trace': []}
    if subprocess.run(['sh', '-c', 'command -v grabserial'], capture_output=True).returncode == 0:
        boots['grabserial'] = []
    read = {'product': lambda: product_points(build, guest, state),
            'raw': lambda: raw_points(build, guest, work, qemu_argv, patterns),
            'trace': lambda: trace_points(build, guest, work, qemu_argv, patterns),
            'grabserial': lambda: grabserial_points(guest, work, qemu_argv, patterns)}
    for i in range(n):
        for side in rotated(boots, i):
            boots[side].append(read[side]())
    out = {side: summarize(b) for side, b in boots.items()}
    out.setdefault('grabserial', None)
    return out
