// A separate process that changes the pairing store, for the multi-process tests: what the CLI
// or another gateway does while the gateway writes.
//
//   node --import tsx test/support/pairing-worker.ts --dir <credentialsDir>
//        [--barrier <dir>] [--max-pending <n>] <op> <args…>
//
//   op: request <sender…> | approve <code…> | deny <code…> | revoke <sender…>
//
// With --barrier, the worker writes `<dir>/ready-<pid>` and waits for `<dir>/go` before starting,
// so the test can release all workers at the same moment. Prints one JSON line
// `{"ok":true,"results":[…]}` or `{"ok":false,"error":"…","code":"…"}` (exit 1).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PairingStore } from '../../main/pairing/store';

interface WorkerArgs {
  dir: string;
  barrier?: string;
  maxPending?: number;
  op: string;
  values: string[];
}

function parseArgs(argv: readonly string[]): WorkerArgs {
  const rest: string[] = [];
  let dir: string | undefined;
  let barrier: string | undefined;
  let maxPending: number | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--dir') dir = argv[++i];
    else if (arg === '--barrier') barrier = argv[++i];
    else if (arg === '--max-pending') maxPending = Number(argv[++i]);
    else rest.push(arg);
  }
  const [op, ...values] = rest;
  if (!dir || !op) throw new Error('usage: pairing-worker --dir <credentialsDir> [--barrier <dir>] [--max-pending <n>] <op> <args…>');
  return { dir, barrier, maxPending, op, values };
}

async function waitForGo(barrier: string): Promise<void> {
  writeFileSync(join(barrier, `ready-${process.pid}`), '');
  while (!existsSync(join(barrier, 'go'))) await sleep(2);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const store = new PairingStore({ credentialsDir: args.dir, maxPending: args.maxPending });
  if (args.barrier) await waitForGo(args.barrier);
  const results: unknown[] = [];
  for (const value of args.values) {
    switch (args.op) {
      case 'request':
        results.push(await store.upsertRequest(value, { sender: value }));
        break;
      case 'approve':
        results.push(await store.approve(value));
        break;
      case 'deny':
        results.push(await store.deny(value));
        break;
      case 'revoke':
        results.push(await store.revoke(value));
        break;
      default:
        throw new Error(`unknown op ${args.op}`);
    }
  }
  process.stdout.write(`${JSON.stringify({ ok: true, results })}\n`);
}

main().catch((error: unknown) => {
  const err = error as Error & { code?: string };
  process.stdout.write(`${JSON.stringify({ ok: false, error: err.message, code: err.code })}\n`);
  process.exitCode = 1;
});
