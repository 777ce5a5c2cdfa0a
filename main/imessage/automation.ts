// The macOS Automation permission (may Clawdbot drive Messages?), as each account's sends show it.
// Nothing can read this permission without raising the prompt, so its state comes from sends: a
// send that went out → ok; imsg's `Not authorized to send Apple events to Messages. (-1743)` →
// denied; a send that has not returned after a few seconds → pending (macOS is showing its prompt
// and waits for a click). Other failures say nothing about Automation.
//
// The tracker watches every `send` request of an account (agent replies, pairing replies, the
// control API, the setup screen's test send) by wrapping the account's rpc (account-runtime.ts).
// The last known answer (ok, denied) is remembered under `<stateDir>/imessage/<account>.automation.json`,
// so a restarted gateway still knows it; `pending` is only ever in memory (a restart ends the wait).
import { join } from 'node:path';
import { Emitter } from '../../contract/emitter';
import type { ImsgMethod, ImsgParams, ImsgResult } from '../../contract/imsg';
import { readFileIfExists, writeFileAtomic } from '../util/atomic-file';
import type { Logger } from '../util/logger';
import type { ImsgRpc } from './types';

export type AutomationState = 'ok' | 'denied' | 'pending';

/** The last thing a send told us about the Automation permission. */
export interface AutomationRecord {
  state: AutomationState;
  /** One sentence: what happened, e.g. the refusal imsg reported. */
  detail: string;
  /** ISO time of the send that told us. */
  at: string;
}

/** How imsg words a refused Apple Event to Messages (AppleScript errAEEventNotPermitted, spec imsg-protocol §1.7). */
export const AUTOMATION_DENIED_PATTERN = /-1743\b|not authori[sz]ed to send apple events/i;

/** A send still running after this long is waiting on the macOS prompt (Messages answers in well under a second otherwise). */
export const DEFAULT_AUTOMATION_PENDING_MS = 4000;

/** What a finished send says about Automation: ok, denied, or nothing (it failed for another reason). */
export function automationOutcome(error: unknown): 'ok' | 'denied' | null {
  if (error === undefined) return 'ok';
  const text = describeError(error);
  return AUTOMATION_DENIED_PATTERN.test(text) ? 'denied' : null;
}

export interface AutomationTrackerOptions {
  stateDir: string;
  logger: Logger;
  /** A send running longer than this marks the account `pending` (default 4 s). */
  pendingAfterMs?: number;
  now?: () => number;
}

export class AutomationTracker {
  private readonly records = new Map<string, AutomationRecord | null>();
  /** The remembered (ok/denied) record under a `pending` one, to fall back to when the send fails otherwise. */
  private readonly settled = new Map<string, AutomationRecord | null>();
  private readonly events = new Emitter<{ change: string }>();
  private readonly now: () => number;
  private changes = 0;

  constructor(private readonly opts: AutomationTrackerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Counts changes: a cheap way to see that something changed since last time. */
  get revision(): number {
    return this.changes;
  }

  /** The state as far as it is in memory (undefined: not read from the state dir yet). */
  peek(accountId: string): AutomationRecord | null | undefined {
    return this.records.get(accountId);
  }

  get pendingAfterMs(): number {
    return this.opts.pendingAfterMs ?? DEFAULT_AUTOMATION_PENDING_MS;
  }

  /** The account's last known state (read from the state dir on first use); null when no send has told us yet. */
  async get(accountId: string): Promise<AutomationRecord | null> {
    if (this.records.has(accountId)) return this.records.get(accountId) ?? null;
    const stored = await this.readStored(accountId);
    // A send may have reported while the file was being read: that answer is newer.
    if (!this.records.has(accountId)) {
      this.records.set(accountId, stored);
      this.settled.set(accountId, stored);
    }
    return this.records.get(accountId) ?? null;
  }

  /** Called with the account id whenever its state changed. */
  onChange(listener: (accountId: string) => void): () => void {
    return this.events.on('change', listener);
  }

  /**
   * The account's rpc with every `send` observed: a send that runs longer than pendingAfterMs marks
   * the account pending; its end records ok or denied (other failures restore the last known state).
   */
  observe(accountId: string, rpc: ImsgRpc): ImsgRpc {
    return {
      call: <M extends ImsgMethod>(method: M, params: ImsgParams<M>, options?: { timeoutMs?: number }): Promise<ImsgResult<M>> => {
        if (method !== 'send') return rpc.call(method, params, options);
        const timer = setTimeout(() => this.markPending(accountId), this.pendingAfterMs);
        timer.unref();
        return rpc.call(method, params, options).then(
          (result) => {
            clearTimeout(timer);
            this.settle(accountId, undefined);
            return result;
          },
          (error: unknown) => {
            clearTimeout(timer);
            this.settle(accountId, error);
            throw error;
          },
        );
      },
    };
  }

  /** Records what a finished send said (used by observe(); exported for sends made elsewhere). */
  settle(accountId: string, error: unknown): void {
    const outcome = automationOutcome(error);
    const at = new Date(this.now()).toISOString();
    if (outcome === 'ok') {
      // Every reply is a send: write the file only when the state changes.
      if (this.records.get(accountId)?.state === 'ok') return;
      this.set(accountId, { state: 'ok', detail: 'a message went out through Messages', at }, true);
    } else if (outcome === 'denied') {
      this.set(accountId, { state: 'denied', detail: `Messages refused the send: ${firstLine(describeError(error))}`, at }, true);
    } else if (this.records.get(accountId)?.state === 'pending') {
      // The wait ended without an answer about Automation (a timeout, imsg restarted): back to what
      // we knew (read from the state dir again if we never had it in memory).
      if (this.settled.has(accountId)) {
        this.set(accountId, this.settled.get(accountId) ?? null, false);
      } else {
        this.records.delete(accountId);
        this.changes += 1;
        this.events.emit('change', accountId);
      }
    }
  }

  private markPending(accountId: string): void {
    if (this.records.get(accountId)?.state === 'pending') return;
    if (!this.settled.has(accountId) && this.records.has(accountId)) this.settled.set(accountId, this.records.get(accountId) ?? null);
    const seconds = Math.round(this.pendingAfterMs / 1000);
    this.set(accountId, { state: 'pending', detail: `a send has been waiting on Messages for ${seconds} s: macOS is asking for permission`, at: new Date(this.now()).toISOString() }, false);
  }

  private set(accountId: string, record: AutomationRecord | null, persist: boolean): void {
    this.records.set(accountId, record);
    if (persist) {
      this.settled.set(accountId, record);
      if (record) {
        writeFileAtomic(this.filePath(accountId), `${JSON.stringify(record)}\n`).catch((error: unknown) =>
          this.opts.logger.warn(`imessage: could not remember the Automation state of ${accountId}: ${describeError(error)}`),
        );
      }
    }
    this.changes += 1;
    this.events.emit('change', accountId);
  }

  private filePath(accountId: string): string {
    return join(this.opts.stateDir, 'imessage', `${accountId}.automation.json`);
  }

  private async readStored(accountId: string): Promise<AutomationRecord | null> {
    try {
      const text = await readFileIfExists(this.filePath(accountId));
      if (text === undefined) return null;
      const value = JSON.parse(text) as Partial<AutomationRecord>;
      if ((value.state === 'ok' || value.state === 'denied') && typeof value.detail === 'string' && typeof value.at === 'string') {
        return { state: value.state, detail: value.detail, at: value.at };
      }
    } catch {
      // A damaged file only loses what the last send said; the next send tells again.
    }
    return null;
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const data = (error as { data?: unknown }).data;
    return typeof data === 'string' && !error.message.includes(data) ? `${error.message} ${data}` : error.message;
  }
  return String(error);
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? text).trim().slice(0, 300);
}
