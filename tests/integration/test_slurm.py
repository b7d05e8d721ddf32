"""Issue 18: matrices on Slurm, against a real one-node cluster the test starts itself
(slurm_cluster.py): a fixture matrix through Slurm gives the fields a local one gives, each run with
its job and host; a task cancelled with scancel and a node whose slurmd died end their runs with
Slurm's codes while the rest goes on; a daemon SIGKILLed in the middle adopts the jobs again, losing
and duplicating nothing; a bad configuration is a 400 at submission."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import slurm_cluster  # noqa: E402
from harness import Daemon, fixture_boot  # noqa: E402

WHY = slurm_cluster.missing()


def setUpModule():
    if WHY:
        print(f'SKIP: {WHY}', file=sys.stderr)
        raise unittest.SkipTest(WHY)


def slurm_matrix(append='console=tty00', **extra):
    return {**fixture_boot(append, accel='tcg'), 'cpus': [1, 2], 'samples': 2, 'executor': 'slurm', **extra}


class SlurmTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = slurm_cluster.Cluster()
        cls.spool = tempfile.mkdtemp(prefix='ma-spool-')
        cls.d = cls.daemon()

    @classmethod
    def daemon(cls, state_dir=None, partition='ma'):
        return Daemon(state_dir=state_dir, env=cls.cluster.env,
                      extra_args=['--slurm-partition', partition, '--slurm-spool', cls.spool])

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.finish()
        finally:
            # Tasks of the node that was killed are orphans: their CLIs (and so their QEMUs) go too.
            subprocess.run(['pkill', '-KILL', '-f', f'slurm-task {cls.spool}'], capture_output=True)
            cls.cluster.stop()
            shutil.rmtree(cls.spool, ignore_errors=True)

    def start(self, body, d=None):
        status, reply, _ = (d or self.d).json('POST', '/api/v1/matrices', body)
        self.assertEqual(status, 202, reply)
        return reply['id']

    def wait_matrix(self, mid, d=None, timeout=180):
        d = d or self.d
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = d.json('GET', f'/api/v1/matrices/{mid}')[1]
            if m['status'] != 'running':
                return m
            time.sleep(0.3)
        raise AssertionError(f'matrix {mid} still running after {timeout} s: {m["progress"]}')

    def runs_of(self, m, d=None):
        return [(d or self.d).run(r) for r in m['runs']]

    def wait_running(self, run_id, timeout=60):
        return self.d.wait(run_id, timeout, statuses={'running'})

    def test_a_fixture_matrix_through_slurm_gives_what_a_local_one_gives(self):
        t0 = time.monotonic()
        slurm = self.wait_matrix(self.start(slurm_matrix()))
        slurm_wall = time.monotonic() - t0
        t0 = time.monotonic()
        local = self.wait_matrix(self.start(slurm_matrix(executor='local')))
        local_wall = time.monotonic() - t0
        print(f'\nthe same 2 x 2 fixture matrix: local {local_wall:.1f} s, through Slurm {slurm_wall:.1f} s',
              file=sys.stderr)
        self.assertEqual((slurm['status'], slurm['progress']['succeeded']), ('done', 4), slurm)
        self.assertEqual(slurm['request']['executor'], 'slurm')
        self.assertEqual(local['request']['executor'], 'local')
        for a, b in zip(slurm['configs'], local['configs']):
            self.assertEqual(sorted(a), sorted(b))
            self.assertEqual(sorted(a['boot_time_ms']), sorted(b['boot_time_ms']))
            self.assertEqual(a['boot_time_ms']['n'], 2)
            self.assertEqual([m['name'] for m in a['markers']], [m['name'] for m in b['markers']])
        jobs = set()
        for k, run in enumerate(self.runs_of(slurm)):
            self.assertEqual(run['status'], 'succeeded')
            self.assertRegex(run['slurm_job'], rf'^\d+_{k}$')
            jobs.add(run['slurm_job'].split('_')[0])
            self.assertEqual(run['host']['name'], socket.gethostname())
            self.assertEqual(run['markers'][-1]['name'], 'shell_prompt')
            status, _, log = self.d.request('GET', f'/api/v1/runs/{run["id"]}/serial')
            self.assertEqual(status, 200)
            self.assertIn(b'login: ', log)
        self.assertEqual(len(jobs), 1, 'one job array for the matrix')
        for run in self.runs_of(local):
            self.assertIsNone(run['slurm_job'])

    def test_a_boot_on_slurm_is_a_matrix_of_one_run(self):
        status, reply, headers = self.d.json('POST', '/api/v1/boots', {**fixture_boot(accel='tcg'), 'cpus': 2,
                                                                      'executor': 'slurm'})
        self.assertEqual(status, 202, reply)
        self.assertEqual(headers['Location'], f"/api/v1/runs/{reply['id']}")
        run = self.d.wait(reply['id'], 120)
        self.assertEqual((run['status'], run['cpus']), ('succeeded', 2), run)
        self.assertRegex(run['slurm_job'], r'^\d+_0$')
        m = self.d.json('GET', f"/api/v1/matrices/{run['matrix_id']}")[1]
        self.assertEqual((m['total'], m['runs'], m['status']), (1, [run['id']], 'done'))
        status, reply, _ = self.d.json('POST', '/api/v1/boots', {**fixture_boot(), 'executor': 'cloud'})
        self.assertEqual((status, reply['error']['field']), (400, 'executor'), reply)
        run = self.d.wait(self.d.boot({**fixture_boot(), 'executor': 'local'}))
        self.assertEqual((run['status'], run['slurm_job']), ('succeeded', None))

    def test_scancel_of_one_task_ends_its_run_and_the_others_finish(self):
        # Each run of this matrix hangs until its 6 s timeout: a result, status timeout.
        mid = self.start(slurm_matrix('console=tty00 fixture=hang', timeout_s=6, samples=1, cpus=[1, 2, 3]))
        m = self.d.json('GET', f'/api/v1/matrices/{mid}')[1]
        victim = self.d.run(m['runs'][1])
        deadline = time.monotonic() + 30
        while not victim['slurm_job'] and time.monotonic() < deadline:
            time.sleep(0.2)
            victim = self.d.run(victim['id'])
        self.cluster.run('scancel', victim['slurm_job'], check=True)
        m = self.wait_matrix(mid)
        runs = self.runs_of(m)
        self.assertEqual(runs[1]['status'], 'failed')
        self.assertEqual(runs[1]['error']['code'], 'slurm_cancelled')
        self.assertIn('CANCELLED', runs[1]['error']['message'])
        for run in (runs[0], runs[2]):
            self.assertEqual((run['status'], run['error']['code']), ('timeout', 'boot_timeout'))
        self.assertEqual((m['status'], m['progress']['done']), ('done', 3))

    def test_delete_of_one_run_cancels_its_task(self):
        mid = self.start(slurm_matrix('console=tty00 fixture=hang', timeout_s=6, samples=1, cpus=[1, 2, 3]))
        m = self.d.json('GET', f'/api/v1/matrices/{mid}')[1]
        victim = m['runs'][1]
        deadline = time.monotonic() + 30
        while not self.d.run(victim)['slurm_job'] and time.monotonic() < deadline:
            time.sleep(0.2)
        status, reply, _ = self.d.json('DELETE', f'/api/v1/runs/{victim}')
        self.assertEqual((status, reply['status']), (202, 'cancelling'), reply)
        m = self.wait_matrix(mid)
        runs = self.runs_of(m)
        self.assertEqual((runs[1]['status'], runs[1]['error']['code']), ('cancelled', 'cancelled'), runs[1])
        for run in (runs[0], runs[2]):
            self.assertEqual((run['status'], run['error']['code']), ('timeout', 'boot_timeout'))
        self.assertEqual(m['status'], 'done')

    def test_delete_cancels_the_job_array(self):
        mid = self.start(slurm_matrix('console=tty00 fixture=hang', timeout_s=60))
        m = self.d.json('GET', f'/api/v1/matrices/{mid}')[1]
        self.wait_running(m['runs'][0])
        status, reply, _ = self.d.json('DELETE', f'/api/v1/matrices/{mid}')
        self.assertEqual((status, reply['status']), (202, 'cancelling'), reply)
        m = self.wait_matrix(mid, timeout=60)
        self.assertEqual(m['status'], 'cancelled')
        for run in self.runs_of(m):
            self.assertEqual((run['status'], run['error']['code']), ('cancelled', 'cancelled'), run)

    def test_a_daemon_killed_in_the_middle_adopts_its_jobs(self):
        # Parallel, without a throttle: its stored request says parallel 0, which a request may not.
        mid = self.start(slurm_matrix(samples=3, isolation='parallel'))
        m = self.d.json('GET', f'/api/v1/matrices/{mid}')[1]
        self.d.wait(m['runs'][0], 60)  # the first result is in; the others are still out
        type(self).d.stop(signal.SIGKILL)
        state = self.d.state_dir
        self.d.own_dir = False
        self.d.cleanup()
        type(self).d = self.daemon(state_dir=state)
        self.d.own_dir = True
        m = self.wait_matrix(mid)
        self.assertEqual((m['status'], m['progress']['succeeded']), ('done', 6), m['progress'])
        runs = self.runs_of(m)
        self.assertEqual(len({r['id'] for r in runs}), 6)
        listed = [r for r in self.d.json('GET', '/api/v1/runs?limit=1000')[1]['runs'] if r.get('matrix_id') == mid]
        self.assertEqual(len(listed), 6, 'no run lost, none twice')
        for run in runs:
            names = [mk['name'] for mk in run['markers']]
            self.assertEqual(len(names), len(set(names)), f'markers stored twice: {names}')
        self.assertTrue(any('following job array' in line for line in self.d.log), ''.join(self.d.log))

    def test_bad_configurations_are_a_400_at_submission(self):
        bad = self.daemon(partition='no-such-partition')
        plain = Daemon()
        try:
            status, reply, _ = bad.json('POST', '/api/v1/matrices', slurm_matrix())
            self.assertEqual((status, reply['error']['code'], reply['error']['field']),
                             (400, 'slurm_unavailable', 'executor'), reply)
            self.assertIn('no-such-partition', reply['error']['message'])
            status, reply, _ = plain.json('POST', '/api/v1/matrices', slurm_matrix())
            self.assertEqual((status, reply['error']['code'], reply['error']['field']),
                             (400, 'slurm_not_configured', 'executor'), reply)
            status, reply, _ = plain.json('POST', '/api/v1/matrices', slurm_matrix(executor='cloud'))
            self.assertEqual((status, reply['error']['field']), (400, 'executor'), reply)
            status, reply, _ = plain.json('POST', '/api/v1/boots', {**fixture_boot(), 'executor': 'slurm'})
            self.assertEqual((status, reply['error']['code']), (400, 'slurm_not_configured'), reply)
        finally:
            bad.finish()
            plain.finish()

    def test_zz_a_node_whose_slurmd_died_fails_its_runs(self):
        # Last: it takes the cluster's only node away.
        mid = self.start(slurm_matrix('console=tty00 fixture=hang', timeout_s=120, samples=1,
                                      isolation='parallel'))
        m = self.d.json('GET', f'/api/v1/matrices/{mid}')[1]
        self.wait_running(m['runs'][0])
        self.cluster.kill('slurmd')
        m = self.wait_matrix(mid, timeout=120)
        codes = {r['error']['code'] for r in self.runs_of(m)}
        self.assertEqual(codes, {'slurm_node_fail'}, [r['error'] for r in self.runs_of(m)])


if __name__ == '__main__':
    unittest.main()
