"""Published JSON Schemas against what the product really ships and serves:
the built-in profiles and claims files, and a matrix report of a real run."""
import glob
import json
import os
import sys
import time
import unittest

import jsonschema

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, fixture_boot  # noqa: E402

ROOT = os.environ['MA_SOURCE_ROOT']


def schema(name):
    with open(os.path.join(ROOT, 'schema', 'json', name)) as f:
        s = json.load(f)
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


class SchemaTest(unittest.TestCase):
    def test_profiles(self):
        v = schema('profile.schema.json')
        files = glob.glob(os.path.join(ROOT, 'schema', 'profiles', '*.json'))
        self.assertGreaterEqual(len(files), 2)
        for path in files:
            with open(path) as f:
                v.validate(json.load(f))
        with self.assertRaises(jsonschema.ValidationError):
            v.validate({'name': 'x', 'markers': [{'name': 'a'}], 'terminal': 'a'})

    def test_claims(self):
        v = schema('claims.schema.json')
        for path in glob.glob(os.path.join(ROOT, 'schema', 'claims', '*.json')):
            with open(path) as f:
                v.validate(json.load(f))

    def test_matrix_report_of_a_real_matrix(self):
        v = schema('matrix-report.schema.json')
        d = Daemon()
        try:
            status, reply, _ = d.json('POST', '/api/v1/matrices', dict(fixture_boot(), cpus=[1, 2], samples=2))
            self.assertEqual(status, 202, reply)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                status, report, _ = d.json('GET', f"/api/v1/matrices/{reply['id']}")
                v.validate(report)  # also while running
                if report['status'] != 'running':
                    break
                time.sleep(0.2)
            self.assertEqual(report['status'], 'done')
            self.assertEqual(len(report['claims']['comparisons']), 6)
            statuses = {c['id']: c['status'] for c in report['claims']['comparisons']}
            # The fixture is not MINIX: the whitepaper's claims do not apply to it.
            self.assertEqual(statuses['i386_total_boot'], 'NOT_APPLICABLE')
            self.assertIn(statuses['repeatability'], ('VERIFIED', 'NEEDS_VALIDATION'))
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()


if __name__ == '__main__':
    unittest.main()
