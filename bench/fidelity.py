"""Timestamp fidelity: the MINIX fixture booted with fixture=timestamps starts
each console line with its own clock ("[@US] ", TSC calibrated against the
PIT, microseconds since pre_init). For every marker, offset = host stamp -
guest time. Within a boot the offset drifts linearly when the guest's clock
runs at a slightly wrong rate (its TSC is calibrated over 20 ms of PIT), so
a straight line is fitted per boot and the residuals are the stamping jitter;
the spread around the median, drift included, is reported too. Imported by
bench/run."""
import json
import os
import re
import statistics
import subprocess


def offsets_of_run(run):
    """Per marker of one run: (offset - median, residual of the per-boot line fit, rate error of that line)."""
    pts = []
    for m in run['markers']:
        g = re.match(r'\[@(\d+)\] ', m['text'] or '')
        if g and m['source'] == 'serial':
            pts.append((int(g.group(1)), m['t_ms'] * 1000 - int(g.group(1))))
    med = statistics.median(o for _, o in pts)
    fit = statistics.linear_regression([g for g, _ in pts], [o for _, o in pts])
    return [(o - med, o - (fit.intercept + fit.slope * g)) for g, o in pts], fit.slope


def fidelity(build, guest, n, work):
    state = os.path.join(work, 'fidelity')
    devs, resid, slopes, per_run, first, rest = [], [], [], [], [], []
    for _ in range(n):
        argv = [os.path.join(build, 'daemon', 'minix-analysis'), '--state-dir', state, '--json', 'boot',
                '--profile', guest['profile'], '--arch', guest['arch'], '--kernel', guest['kernel'],
                '--append', guest['append'] + ' fixture=timestamps', '--accel', 'tcg']
        run = json.loads(subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout)
        assert run['status'] == 'succeeded', run['error']
        d, slope = offsets_of_run(run)
        devs += [abs(x) for x, _ in d]
        resid += [abs(r) for _, r in d]
        first.append(abs(d[0][1]))  # the boot's first stamped line, apart: it carries the tail
        rest += [abs(r) for _, r in d[1:]]
        slopes.append(abs(slope))
        per_run.append(len(d))

    def pct(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
    return dict(count=len(devs), per_run=min(per_run), resid_p50=pct(resid, 50), resid_p99=pct(resid, 99),
                resid_max=max(resid), raw_p50=pct(devs, 50), raw_p99=pct(devs, 99),
                first_p50=pct(first, 50), first_max=max(first), rest_p99=pct(rest, 99), rest_max=max(rest),
                rate_err_median=statistics.median(slopes))
