"""GET /metrics, parsed by the rules of Prometheus' text format (0.0.4):
HELP and TYPE before a family's samples, valid names and labels, numeric
values, histograms whose buckets are cumulative and end in +Inf = _count."""
import math
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, fixture_boot  # noqa: E402

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf'^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? (\S+)$')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


def parse(text):
    """{family: {'type', 'help', 'samples': [(name, {labels}, value)]}}, asserting the format as it goes."""
    families, current = {}, None
    assert text.endswith('\n')
    for line in text.splitlines():
        if line.startswith('# HELP '):
            name, help_text = line[7:].split(' ', 1)
            assert re.fullmatch(NAME, name), line
            assert name not in families, f'family {name} given twice'
            current = families[name] = {'help': help_text, 'type': None, 'samples': []}
        elif line.startswith('# TYPE '):
            name, typ = line[7:].split(' ')
            assert current is families.get(name) and typ in TYPES and current['type'] is None, line
            current['type'] = typ
        else:
            m = SAMPLE.match(line)
            assert m, f'not a sample line: {line!r}'
            name, labels, value = m.groups()
            base = re.sub(r'_(bucket|sum|count)$', '', name) if current and current['type'] == 'histogram' else name
            assert current is families.get(base), f'{name} outside its family'
            pairs = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ''))
            v = float(value)
            assert not math.isnan(v), line
            current['samples'].append((name, pairs, v))
    return families


class MetricsTest(unittest.TestCase):
    def test_metrics_follow_the_format_and_count_what_happened(self):
        d = Daemon()
        try:
            run = d.wait(d.boot(fixture_boot(accel='tcg')))
            self.assertEqual(run['status'], 'succeeded')
            self.assertEqual(d.json('GET', '/api/v1/runs/ffffffffffffffff')[0], 404)
            self.assertEqual(d.json('GET', '/api/v1/nowhere')[0], 404)
            self.assertEqual(d.json('POST', '/api/v1/boots', {'profile': 'nope'})[0], 400)
            status, headers, body = d.request('GET', '/metrics')
            self.assertEqual(status, 200)
            self.assertEqual(headers['Content-Type'], 'text/plain; version=0.0.4; charset=utf-8')
            fam = parse(body.decode())
            for name in ('minix_analysis_runs', 'minix_analysis_queue_length', 'minix_analysis_qemu_running',
                         'minix_analysis_boot_time_seconds', 'minix_analysis_http_responses_total'):
                self.assertIn(name, fam)
            runs = {s[1]['status']: s[2] for s in fam['minix_analysis_runs']['samples']}
            self.assertEqual(runs['succeeded'], 1)
            self.assertEqual(fam['minix_analysis_qemu_running']['samples'][0][2], 0)
            hist = fam['minix_analysis_boot_time_seconds']
            self.assertEqual(hist['type'], 'histogram')
            buckets = [(s[1]['le'], s[2]) for s in hist['samples']
                       if s[0].endswith('_bucket') and s[1]['profile'] == 'minix-3.4']
            values = [v for _, v in buckets]
            self.assertEqual(values, sorted(values))
            self.assertEqual(buckets[-1][0], '+Inf')
            count = [s[2] for s in hist['samples'] if s[0].endswith('_count')][0]
            total = [s[2] for s in hist['samples'] if s[0].endswith('_sum')][0]
            self.assertEqual((buckets[-1][1], count), (1, 1))
            self.assertAlmostEqual(total, run['boot_time_ms'] / 1000, places=5)
            # The one run is counted in every bucket from the first bound at or above its boot time (about
            # 0.3 s for the fixture on an idle host, 1 s on a loaded one) and in none below it.
            seconds = run['boot_time_ms'] / 1000
            for le, value in buckets:
                self.assertEqual(value, 1 if le == '+Inf' or seconds <= float(le) else 0, (le, seconds, buckets))
            http = {(s[1]['route'], s[1]['code']): s[2] for s in fam['minix_analysis_http_responses_total']['samples']}
            self.assertEqual(http[('/api/v1/boots', '202')], 1)
            self.assertEqual(http[('/api/v1/boots', '400')], 1)
            self.assertEqual(http[('/api/v1/runs/{id}', '404')], 1)
            self.assertEqual(http[('unmatched', '404')], 1)
            self.assertGreaterEqual(http[('/api/v1/runs/{id}', '200')], 1)
        finally:
            d.finish()


if __name__ == '__main__':
    unittest.main()
