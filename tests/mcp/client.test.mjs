// End to end with the official MCP TypeScript SDK: a real daemon, real QEMU,
// the MINIX console fixture and the Linux test guest. The SDK validates every structuredContent against
// the tool's outputSchema, so a result that breaks its schema fails here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const FIXTURE = process.env.MA_FIXTURE_KERNEL;
const fixtureBoot = { arch: 'i386', kernel: FIXTURE, append: 'console=tty00', profile: 'minix-3.4', timeout_s: 60 };
const linuxBoot = { arch: 'x86_64', kernel: process.env.MA_LINUX_KERNEL, initrd: [process.env.MA_LINUX_INITRD],
                    append: 'console=ttyS0 panic=-1', profile: 'linux', accel: 'tcg', timeout_s: 120 };
let daemon, base, stateDir, log = '';

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'ma-mcp-'));
  // The daemon opens images only from its --image-dir directories: the build's guests.
  const imageDirs = [...new Set([FIXTURE, process.env.MA_LINUX_KERNEL, process.env.MA_LINUX_INITRD,
                                 process.env.MA_FIXTURE_ISO].map((p) => dirname(p)))];
  daemon = spawn(process.env.MA_DAEMON, ['--listen', '127.0.0.1:0', '--state-dir', stateDir,
                                         ...imageDirs.flatMap((d) => ['--image-dir', d])],
                 { stdio: ['ignore', 'ignore', 'pipe'] });
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('daemon did not start: ' + log)), 30000);
    daemon.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
});

after(async () => {
  daemon.kill('SIGTERM');
  const code = await new Promise((resolve) => daemon.on('exit', resolve));
  rmSync(stateDir, { recursive: true, force: true });
  assert.equal(code, 0, log);
  assert.ok(!/LeakSanitizer|runtime error/.test(log), log);
});

async function connect(path = '/mcp') {
  const client = new Client({ name: 'minix-analysis-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(base + path)));
  return client;
}

test('lists every tool, each with input and output schemas', async () => {
  const client = await connect();
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();
  assert.deepEqual(names, ['boot_measure', 'boot_status', 'boot_wait', 'claims_validate', 'image_delete', 'image_verify',
                           'matrix_report', 'matrix_start', 'memory_monitor', 'runs_list', 'syscall_trace']);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object', t.name);
    assert.equal(t.outputSchema.type, 'object', t.name);
  }
  const tracer = await connect('/mcp/syscall-tracer');
  assert.deepEqual((await tracer.listTools()).tools.map((t) => t.name), ['syscall_trace']);
  await tracer.close();
  await client.close();
});

test('boot_measure follows the boot with progress and returns the run', async () => {
  const client = await connect();
  const progress = [];
  const result = await client.callTool({ name: 'boot_measure', arguments: fixtureBoot }, undefined,
                                       { onprogress: (p) => progress.push(p) });
  assert.ok(!result.isError, JSON.stringify(result));
  const run = result.structuredContent.run;
  assert.equal(run.status, 'succeeded');
  assert.equal(run.markers.at(-1).name, 'shell_prompt');
  assert.equal(run.boot_time_ms, run.markers.at(-1).t_ms);
  assert.equal(run.guest_cpus_online, 1);
  assert.ok(progress.length >= 2, `progress notifications: ${progress.length}`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].progress > progress[i - 1].progress);
  assert.match(progress[0].message, /^kernel_starts at \d+\.\d+ ms$/);
  assert.equal(JSON.parse(result.content[0].text).id, run.id);

  const status = await client.callTool({ name: 'boot_status', arguments: { id: run.id } });
  assert.deepEqual(status.structuredContent.markers, run.markers);
  const list = await client.callTool({ name: 'runs_list', arguments: { limit: 5 } });
  assert.ok(list.structuredContent.runs.some((r) => r.id === run.id));
  await client.close();
});

test('boot_measure without progress returns at once; boot_wait waits for the end', async () => {
  const client = await connect('/mcp/boot-profiler');
  const started = await client.callTool({ name: 'boot_measure', arguments: fixtureBoot });
  assert.equal(started.structuredContent.run, null);
  const waited = await client.callTool({ name: 'boot_wait', arguments: { id: started.structuredContent.id, timeout_s: 60 } });
  assert.equal(waited.structuredContent.timed_out, false);
  assert.equal(waited.structuredContent.run.status, 'succeeded');
  await client.close();
});

test('matrix tools and claims', async () => {
  const client = await connect();
  const started = await client.callTool({ name: 'matrix_start', arguments: { ...fixtureBoot, cpus: [1, 2], samples: 1 } });
  assert.equal(started.structuredContent.total, 2);
  const id = started.structuredContent.id;
  let report;
  for (let i = 0; i < 300; i++) {
    report = (await client.callTool({ name: 'matrix_report', arguments: { id } })).structuredContent.report;
    if (report.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(report.status, 'done');
  assert.equal(report.scaling.valid, false);
  const text = await client.callTool({ name: 'matrix_report', arguments: { id, format: 'text' } });
  assert.match(text.structuredContent.text, /Not scaling/);
  const claims = await client.callTool({ name: 'claims_validate', arguments: { matrix_id: id } });
  assert.equal(claims.structuredContent.claims.name, 'whitepaper');
  await client.close();
});

test('image_verify registers the fixture ISO, boot_measure boots it', async () => {
  const client = await connect();
  const verified = await client.callTool({ name: 'image_verify', arguments: { iso: process.env.MA_FIXTURE_ISO } });
  assert.ok(!verified.isError, JSON.stringify(verified));
  assert.equal(verified.structuredContent.modules.length, 12);
  const run = await client.callTool({ name: 'boot_measure', arguments: { image: verified.structuredContent.id, profile: 'minix-3.4' } },
                                    undefined, { onprogress: () => {} });
  assert.equal(run.structuredContent.run.status, 'succeeded');
  await client.close();
});

test('memory_monitor samples a guest for the whole duration', async () => {
  const client = await connect('/mcp/memory-monitor');
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ['memory_monitor']);
  const result = await client.callTool({ name: 'memory_monitor',
                                         arguments: { ...fixtureBoot, duration_s: 2, memory_sample_ms: 50 } });
  assert.ok(!result.isError, JSON.stringify(result));
  const { status, samples, markers } = result.structuredContent;
  assert.equal(status, 'succeeded');
  assert.ok(samples.length >= 20, `samples: ${samples.length}`);
  assert.ok(samples.at(-1).t_ms > 1500, 'sampling went on past the login prompt');
  assert.ok(samples.every((s) => s.rss_kb > 10000));
  assert.equal(markers.at(-1).name, 'shell_prompt');
  await client.close();
});

test('tool failures come back as isError with the reason', async () => {
  const client = await connect();
  const bad = await client.callTool({ name: 'boot_measure', arguments: { ...fixtureBoot, cpus: 0 } });
  assert.equal(bad.isError, true);
  assert.match(bad.content[0].text, /out_of_range in cpus/);
  const unknown = await client.callTool({ name: 'boot_status', arguments: { id: '0123456789abcdef' } });
  assert.equal(unknown.isError, true);
  await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /-32602|Unknown tool|unknown tool/);
  await client.close();
});

async function post(body, headers = {}) {
  return fetch(base + '/mcp', {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
  });
}

test('transport rules: origin, sessions, versions', async () => {
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize',
                 params: { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
  let r = await post(init, { origin: 'http://evil.example' });
  assert.equal(r.status, 403);
  r = await post(init, { origin: 'http://localhost:3000' });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).result.protocolVersion, '2025-11-25'); // unknown version: our latest
  const sid = r.headers.get('mcp-session-id');
  assert.match(sid, /^[0-9a-f]{32}$/);
  r = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  assert.equal(r.status, 400);
  r = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': 'f'.repeat(32) });
  assert.equal(r.status, 404);
  r = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' });
  assert.equal(r.status, 400);
  r = await post({ jsonrpc: '2.0', id: 'x', method: 'server/discover' }, { 'mcp-session-id': sid });
  assert.deepEqual((await r.json()).error.code, -32601);
  r = await fetch(base + '/mcp', { method: 'GET', headers: { 'mcp-session-id': sid } });
  assert.equal(r.status, 405);
  r = await fetch(base + '/mcp', { method: 'DELETE', headers: { 'mcp-session-id': sid } });
  assert.equal(r.status, 200);
  r = await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, { 'mcp-session-id': sid });
  assert.equal(r.status, 404); // the session ended
});

test('syscall_trace runs a command under strace in the Linux guest and returns its table', async () => {
  const client = await connect('/mcp/syscall-tracer');
  const progress = [];
  const result = await client.callTool({ name: 'syscall_trace', arguments: { ...linuxBoot, command: '/bin/ls /' } },
                                       undefined, { onprogress: (p) => progress.push(p), timeout: 180000 });
  assert.ok(!result.isError, JSON.stringify(result));
  const trace = result.structuredContent;
  assert.equal(trace.status, 'succeeded');
  assert.equal(trace.exit_status, 0);
  const names = trace.table.syscalls.map((s) => s.name);
  for (const n of ['execve', 'openat', 'getdents64', 'write']) assert.ok(names.includes(n), n);
  assert.ok(progress.some((p) => /^collect at /.test(p.message)), JSON.stringify(progress.map((p) => p.message)));
  const bad = await client.callTool({ name: 'syscall_trace', arguments: { ...linuxBoot, command: 'ls\nreboot' } });
  assert.equal(bad.isError, true);
  assert.match(bad.content[0].text, /invalid_value in command/);
  await client.close();
});
