"""Timestamp fidelity: the MINIX fixture booted with fixture=timestamps starts
each console line with its own clock ("[@US] ", TSC calibrated against the
PIT, microseconds since pre_init). For every marker, offset = host stamp -
guest time. Within a boot the offset drifts linearly when the guest's clock
runs at a slightly wrong rate (its TSC is calibrated over 20 ms of PIT), so
a straight line is fitted per boot and the residuals are the stamping jitter;
the spread around the median, drift included, is reported too.

The anchor is the raw reader (bench/raw_boot.c --lines) on the same lines:
the first line matching each of the profile's marker patterns, stamped with
the read that completed it, as minix-analysis stamps a marker. Boots of the
two sides alternate, each side first in every other pair. Imported by
bench/run."""
import json
import os
import re
import statistics
import subprocess

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
    pts, left = [], list(patterns)
    for row in out[1:]:
        stamp, _, text = row.partition('\t')
        text = text.rstrip('\r')
        hit = next((p for p in left if p.search(text)), None)
        g = STAMP.match(text)
        if hit and g:  # each marker once, at its first line, as the detector does
            left.remove(hit)
            pts.append((int(g.group(1)), float(stamp)))
    return pts


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


def fidelity(build, guest, n, work, root, qemu_argv):
    """{'product': summary, 'raw': summary} over n boots each, interleaved."""
    state = os.path.join(work, 'fidelity')
    patterns = marker_patterns(root, guest['profile'])
    boots = {'product': [], 'raw': []}
    for i in range(n):
        for side in (('product', 'raw') if i % 2 == 0 else ('raw', 'product')):
            boots[side].append(product_points(build, guest, state) if side == 'product'
                               else raw_points(build, guest, work, qemu_argv, patterns))
    return {side: summarize(b) for side, b in boots.items()}
