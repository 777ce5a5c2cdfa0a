// The pairing store shared by separate processes (gateway, CLI, app): 20 worker processes
// approve and request at the same moment while this process adds requests. Nothing may be lost.
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PairingStore } from './store';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = join(ROOT, 'test/support/pairing-worker.ts');
const MAX_PENDING = 1000;

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'pairing-mp-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

interface WorkerOutput {
  ok: boolean;
  results?: unknown[];
  error?: string;
}

function runWorker(credentialsDir: string, barrier: string, op: string, values: string[]): Promise<WorkerOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER, '--dir', credentialsDir, '--barrier', barrier, '--max-pending', String(MAX_PENDING), op, ...values],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        const output = JSON.parse(stdout.trim().split('\n').pop() ?? '') as WorkerOutput;
        if (code !== 0 || !output.ok) reject(new Error(`worker ${op} failed (exit ${code}): ${output.error ?? ''} ${stderr}`));
        else resolve(output);
      } catch {
        reject(new Error(`worker ${op} printed no result (exit ${code}): ${stdout} ${stderr}`));
      }
    });
  });
}

async function waitForReady(barrier: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await fs.readdir(barrier)).filter((name) => name.startsWith('ready-')).length < count) {
    if (Date.now() > deadline) throw new Error('workers did not start in time');
    await sleep(20);
  }
}

it('20 processes approving and requesting at once while this process writes: nothing lost, files valid, mode 0600', { timeout: 60_000 }, async () => {
  const credentials = join(dir, 'credentials');
  const barrier = join(dir, 'barrier');
  await fs.mkdir(barrier);
  const store = new PairingStore({ credentialsDir: credentials, maxPending: MAX_PENDING });

  // 10 requests to be approved by 10 workers.
  const toApprove: { id: string; code: string }[] = [];
  for (let i = 0; i < 10; i += 1) {
    const { request } = await store.upsertRequest(`+1555100${String(i).padStart(4, '0')}`);
    toApprove.push({ id: request!.id, code: request!.code });
  }

  const workerSenders = Array.from({ length: 10 }, (_, w) => [`+1555200${w}001`, `+1555200${w}002`]);
  const workers = [
    ...toApprove.map(({ code }) => runWorker(credentials, barrier, 'approve', [code.toLowerCase()])),
    ...workerSenders.map((senders) => runWorker(credentials, barrier, 'request', senders)),
  ];
  await waitForReady(barrier, 20);
  await fs.writeFile(join(barrier, 'go'), '');

  // This process writes at the same time.
  const ownSenders = Array.from({ length: 10 }, (_, i) => `+1555300${String(i).padStart(4, '0')}`);
  const own = await Promise.all(ownSenders.map((sender) => store.upsertRequest(sender)));
  const outputs = await Promise.all(workers);

  expect(own.every((r) => r.created)).toBe(true);
  for (const output of outputs.slice(0, 10)) expect(output.results?.[0]).toMatchObject({ id: expect.stringMatching(/^\+1555100/) });
  for (const output of outputs.slice(10)) expect(output.results?.every((r) => (r as { created: boolean }).created)).toBe(true);

  // Both files are complete, valid JSON with every change from every process.
  const pairing = JSON.parse(await fs.readFile(join(credentials, 'imessage-pairing.json'), 'utf8')) as { version: number; requests: { id: string; code: string }[] };
  const allow = JSON.parse(await fs.readFile(join(credentials, 'imessage-allowFrom.json'), 'utf8')) as { version: number; allowFrom: string[] };
  expect(pairing.version).toBe(1);
  expect(allow.version).toBe(1);
  expect(allow.allowFrom.slice().sort()).toEqual(toApprove.map((r) => r.id).sort());
  expect(pairing.requests.map((r) => r.id).sort()).toEqual([...workerSenders.flat(), ...ownSenders].sort());
  expect(new Set(pairing.requests.map((r) => r.code)).size).toBe(pairing.requests.length);

  for (const name of ['imessage-pairing.json', 'imessage-allowFrom.json']) expect(statSync(join(credentials, name)).mode & 0o777).toBe(0o600);
  expect(statSync(credentials).mode & 0o777).toBe(0o700);
  const leftovers = (await fs.readdir(credentials)).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock'));
  expect(leftovers).toEqual([]);

  // The approvals made by other processes are visible here without a restart.
  expect(store.allowFromSnapshot().slice().sort()).toEqual(toApprove.map((r) => r.id).sort());
  expect(existsSync(join(barrier, 'go'))).toBe(true);
});
