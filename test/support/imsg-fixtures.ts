// Test helpers for the imsg transport tests: the simulator's paths, and a tiny scripted fake
// `imsg` for the transport failures the simulator does not produce (oversized or non-UTF-8
// lines, a child that ignores EOF or SIGTERM, SSH wrapper errors). Test-only; not bundled.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveImessageAccounts } from '../../main/config/accounts';
import type { ResolvedImessageAccount } from '../../main/config/types';
import { validateConfig } from '../../main/config/validate';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The simulator executable (after `npm run build:node`, which vitest's global setup runs). */
export const simImsg = join(repoRoot, 'sim/bin/imsg');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes an executable script (`#!` + body) and returns its path. */
export function writeScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}

/**
 * A scripted fake `imsg rpc`. Methods: `ping` (echo params), `fail` (-32602 error), `hang` (never
 * answers), `burst` (params.count `message` notifications, then the answer), `say` (writes
 * params.raw verbatim first), `sayHex` (writes raw bytes), `big` (a line of params.bytes bytes),
 * `die` (exits with params.code), `chats.list` (no chats, or FAKE_CHATS_RESULT parsed as JSON), `watch.subscribe` (ids 1, 2, …; with
 * FAKE_WATCH_ERROR set, an `error` notification carrying that text follows each one). Env: FAKE_IGNORE_EOF=1 keeps running at stdin EOF,
 * FAKE_IGNORE_TERM=1 ignores SIGTERM, FAKE_STARTUP_TEXT printed to stdout then exit 1 (pre-0.8.2
 * startup failure), FAKE_STDERR printed to stderr at start.
 */
export function writeFakeImsg(dir: string): string {
  return writeScript(
    dir,
    'fake-imsg',
    `#!${process.execPath}
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\\n');
const args = process.argv.slice(2);
if (args.includes('--version')) { console.log('0.9.0'); process.exit(0); }
if (args.includes('--help')) { console.log('imsg rpc\\nRun JSON-RPC over stdin/stdout'); process.exit(0); }
let subscriptions = 0;
if (process.env.FAKE_STDERR) process.stderr.write(process.env.FAKE_STDERR + '\\n');
if (process.env.FAKE_STARTUP_TEXT) { process.stdout.write(process.env.FAKE_STARTUP_TEXT + '\\n'); process.exit(1); }
if (process.env.FAKE_IGNORE_TERM) process.on('SIGTERM', () => {});
let buffer = '';
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let i;
  while ((i = buffer.indexOf('\\n')) >= 0) {
    const line = buffer.slice(0, i);
    buffer = buffer.slice(i + 1);
    const req = JSON.parse(line);
    const p = req.params || {};
    switch (req.method) {
      case 'ping': out({ jsonrpc: '2.0', id: req.id, result: { pong: p } }); break;
      case 'fail': out({ jsonrpc: '2.0', id: req.id, error: { code: -32602, message: 'Invalid params', data: 'chat_id is required' } }); break;
      case 'hang': break;
      case 'burst':
        for (let n = 1; n <= p.count; n++) out({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, message: { id: n } } });
        out({ jsonrpc: '2.0', id: req.id, result: { sent: p.count } });
        break;
      case 'say': process.stdout.write(p.raw); out({ jsonrpc: '2.0', id: req.id, result: { ok: true } }); break;
      case 'sayHex': process.stdout.write(Buffer.from(p.hex, 'hex')); out({ jsonrpc: '2.0', id: req.id, result: { ok: true } }); break;
      case 'big': process.stdout.write('{"junk":"' + 'x'.repeat(p.bytes) + '"}\\n'); out({ jsonrpc: '2.0', id: req.id, result: { ok: true } }); break;
      case 'chats.list': out({ jsonrpc: '2.0', id: req.id, result: process.env.FAKE_CHATS_RESULT ? JSON.parse(process.env.FAKE_CHATS_RESULT) : { chats: [] } }); break;
      case 'watch.unsubscribe': out({ jsonrpc: '2.0', id: req.id, result: { ok: true } }); break;
      case 'watch.subscribe': {
        const subscription = ++subscriptions;
        out({ jsonrpc: '2.0', id: req.id, result: { subscription } });
        if (process.env.FAKE_WATCH_ERROR) setTimeout(() => out({ jsonrpc: '2.0', method: 'error', params: { subscription, error: { message: process.env.FAKE_WATCH_ERROR } } }), 50);
        break;
      }
      case 'die': process.stdout.write('', () => process.exit(p.code)); break;
      default: out({ jsonrpc: '2.0', id: req.id, error: { code: -32601, message: 'Method not found', data: req.method } });
    }
  }
});
process.stdin.on('end', () => { if (!process.env.FAKE_IGNORE_EOF) process.exit(0); });
setInterval(() => {}, 1 << 30);
`,
  );
}

/**
 * An account as the config resolver makes it from an empty `channels.imessage` section (so tests
 * follow the real defaults), pointed at the simulator, with `overrides` applied.
 */
export function testAccount(overrides: Partial<ResolvedImessageAccount> = {}): ResolvedImessageAccount {
  const [defaults] = resolveImessageAccounts(validateConfig({ channels: { imessage: {} } }).config);
  return { ...(defaults as ResolvedImessageAccount), cliPath: simImsg, ...overrides };
}
