"""Published JSON Schemas against what the product really ships and serves:
the built-in profiles and claims files, a matrix report of a real run, and
the OpenAPI document's schemas against a real run, install and trace."""
import glob
import json
import os
import shutil
import sys
import time
import unittest

import jsonschema
import yaml

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, fixture_boot, half_kvm_host, linux_boot  # noqa: E402

ROOT = os.environ['MA_SOURCE_ROOT']


def schema(name):
    with open(os.path.join(ROOT, 'schema', 'json', name)) as f:
        s = json.load(f)
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


def openapi_validator(name):
    """A component schema of api/openapi.yaml as JSON Schema: OpenAPI 3.0's
    nullable becomes a null type, $refs point into the document."""
    with open(os.path.join(ROOT, 'api', 'openapi.yaml')) as f:
        doc = yaml.safe_load(f)

    def convert(node):
        if isinstance(node, dict):
            out = {k: convert(v) for k, v in node.items() if k != 'nullable'}
            if node.get('nullable') and 'type' in out:
                out['type'] = [out['type'], 'null']
            if node.get('nullable') and '$ref' in out:
                out = {'anyOf': [{'$ref': out['$ref']}, {'type': 'null'}]}
            if '$ref' in out and isinstance(out['$ref'], str):
                out['$ref'] = out['$ref'].replace('#/components/schemas/', '#/$defs/')
            return out
        if isinstance(node, list):
            return [convert(x) for x in node]
        return node

    defs = convert(doc['components']['schemas'])
    s = {'$defs': defs, '$ref': f'#/$defs/{name}'}
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


class SchemaTest(unittest.TestCase):
    def test_openapi_schemas_describe_what_is_served(self):
        iso = os.environ['MA_FIXTURE_ISO']
        d = Daemon()
        try:
            run = d.wait(d.boot(fixture_boot(symbols=True, accel='tcg')))
            self.assertEqual(run['status'], 'succeeded')
            openapi_validator('Run').validate(run)
            with self.assertRaises(jsonschema.ValidationError):
                openapi_validator('Run').validate(dict(run, status='exploded'))
            status, image, _ = d.json('POST', '/api/v1/images', {'iso': iso})
            openapi_validator('Image').validate(image)
            status, doc, _ = d.json('POST', '/api/v1/installs', {'image': image['id'], 'disk_mb': 128,
                                                                  'disk_boot': 'kernel', 'accel': 'tcg'})
            self.assertEqual(status, 202, doc)
            status, trace, _ = d.json('POST', '/api/v1/traces', linux_boot(command='/bin/ls /', accel='tcg'))
            self.assertEqual(status, 202, trace)
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                _, doc, _ = d.json('GET', f"/api/v1/installs/{doc['id']}")
                _, trace, _ = d.json('GET', f"/api/v1/traces/{trace['id']}")
                openapi_validator('Install').validate(doc)
                openapi_validator('Trace').validate(trace)
                if doc['status'] in ('succeeded', 'failed') and trace['status'] != 'running':
                    break
                time.sleep(0.3)
            self.assertEqual((doc['status'], trace['status']), ('succeeded', 'succeeded'))
            _, disk, _ = d.json('GET', f"/api/v1/images/{doc['disk_image']}")
            openapi_validator('Image').validate(disk)
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()

    def test_health_of_this_host_and_of_a_half_working_kvm(self):
        v = openapi_validator('Health')
        root, qemu_dir, device = half_kvm_host()
        for args in ([], ['--qemu-dir', qemu_dir, '--kvm-device', device]):
            d = Daemon(extra_args=args)
            try:
                status, health, _ = d.json('GET', '/api/v1/health')
                self.assertEqual(status, 200)
                v.validate(health)
                with self.assertRaises(jsonschema.ValidationError):
                    v.validate(dict(health, kvm={k: x for k, x in health['kvm'].items() if k != 'modes'}))
            finally:
                d.finish()
        shutil.rmtree(root, ignore_errors=True)

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
