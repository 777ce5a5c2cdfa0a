// `<stateDir>/gateway.json`: how the CLI and the app find a running gateway without guessing ports.
//
// The gateway writes it (atomically, 0600) once its control server listens and removes it when it
// stops. A gateway that crashed leaves it behind, and its pid can stay alive without being a
// gateway (a zombie until its parent reaps it, or a pid reused after a reboot): whether the
// recorded gateway runs is decided by asking its port (`checkRecordedGateway`: /health must answer
// with our service id and the recorded pid). `readInstanceFile` is the cheap pid-only reading.
// Shape: {"pid":123,"port":18789,"host":"127.0.0.1","url":"http://127.0.0.1:18789",
//         "startedAt":"2026-…Z","version":"0.1.0"}
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomic } from '../util/atomic-file';
import { reachableHost } from './addresses';
import { askHealth } from './listen';

export const INSTANCE_FILE_NAME = 'gateway.json';

const instanceSchema = z.object({
  pid: z.int().positive(),
  port: z.int().min(1).max(65535),
  host: z.string().min(1),
  /** Base URL of the control API (HTTP; the WebSocket is at `<url>/ws` with `ws:`). */
  url: z.string().min(1),
  startedAt: z.string(),
  version: z.string(),
});

export type GatewayInstance = z.infer<typeof instanceSchema>;

export function instanceFilePath(stateDir: string): string {
  return join(stateDir, INSTANCE_FILE_NAME);
}

export async function writeInstanceFile(stateDir: string, instance: GatewayInstance): Promise<void> {
  await writeFileAtomic(instanceFilePath(stateDir), `${JSON.stringify(instance, null, 2)}\n`);
}

/**
 * The running gateway recorded in the state dir, or undefined when there is none: no file, an
 * unreadable one, or one left behind by a gateway that is no longer running.
 */
export async function readInstanceFile(stateDir: string): Promise<GatewayInstance | undefined> {
  const instance = await parseInstanceFile(stateDir);
  return instance && isProcessAlive(instance.pid) ? instance : undefined;
}

/** What `gateway.json` says about a running gateway, checked on its port. */
export type RecordedGateway =
  /** No file, an unreadable one, or one left behind (nothing or something else answers its port). */
  | { state: 'none' }
  /** The recorded gateway answers /health with its pid. */
  | { state: 'running'; instance: GatewayInstance }
  /** The recorded pid is alive, but its port gives no answer in time: hung, or overloaded. */
  | { state: 'unresponsive'; instance: GatewayInstance; path: string };

/**
 * Whether the gateway recorded in the state dir runs, decided by what answers on its port. A dead
 * pid or a refused connection (a zombie, a reused pid) decide at once; only a port that accepts and
 * stays silent waits for `timeoutMs`, generous so that a busy machine is not taken for a hung gateway.
 */
export async function checkRecordedGateway(stateDir: string, timeoutMs = 3_000): Promise<RecordedGateway> {
  const instance = await parseInstanceFile(stateDir);
  if (!instance || !isProcessAlive(instance.pid)) return { state: 'none' };
  const answer = await askHealth(reachableHost(instance.host), instance.port, timeoutMs);
  if (answer.kind === 'gateway') return answer.health.pid === instance.pid ? { state: 'running', instance } : { state: 'none' };
  if (answer.kind === 'no-answer' && isProcessAlive(instance.pid)) return { state: 'unresponsive', instance, path: instanceFilePath(stateDir) };
  return { state: 'none' };
}

async function parseInstanceFile(stateDir: string): Promise<GatewayInstance | undefined> {
  const text = await readFileIfExists(instanceFilePath(stateDir)).catch(() => undefined);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = instanceSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}

/**
 * Removes the file if it still describes this process. A second gateway that failed to start
 * must not delete the record of the one that is running.
 */
export async function removeInstanceFile(stateDir: string, pid: number = process.pid): Promise<void> {
  const path = instanceFilePath(stateDir);
  const text = await readFileIfExists(path).catch(() => undefined);
  if (text === undefined) return;
  try {
    if ((JSON.parse(text) as { pid?: unknown }).pid !== pid) return;
  } catch {
    // Unparseable: it belongs to nobody; remove it.
  }
  await fs.rm(path, { force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
