// The tray icon's state and title from AppState, and the "working" signal: a message accepted for
// the assistant whose reply has not gone out yet.
import type { AccessLogEntry, GatewayStatus } from '../../contract/gateway-api';
import type { AppState } from './app-state';

export const TRAY_ICONS = ['idle', 'working', 'attention', 'error', 'paused'] as const;
export type TrayIcon = (typeof TRAY_ICONS)[number];

export interface TrayView {
  icon: TrayIcon;
  /** Text beside the icon: the number of pending pairing requests, or empty. */
  title: string;
  tooltip: string;
}

/** Highest first: a failure hides everything else, pending requests hide activity. */
export function trayView(state: AppState): TrayView {
  const phase = state.gateway;
  const pending = phase.kind === 'running' ? state.pending.length : 0;
  const title = pending > 0 ? String(pending) : '';
  const accounts = state.status?.accounts ?? [];
  const failing = accounts.filter((a) => a.state === 'failed-fatal' || a.state === 'backing-off');
  if (phase.kind === 'paused') return { icon: 'paused', title, tooltip: 'Clawdbot: paused' };
  if (phase.kind === 'failed' || phase.kind === 'crashed') return { icon: 'error', title, tooltip: 'Clawdbot: the gateway is not running' };
  if (failing.length > 0) return { icon: 'error', title, tooltip: `Clawdbot: iMessage ${failing.map((a) => a.accountId).join(', ')} not listening` };
  if (pending > 0) return { icon: 'attention', title, tooltip: `Clawdbot: ${pending} pairing request${pending === 1 ? '' : 's'} waiting` };
  if (state.working) return { icon: 'working', title, tooltip: 'Clawdbot: answering a message' };
  return { icon: 'idle', title, tooltip: phase.kind === 'running' ? 'Clawdbot' : 'Clawdbot: starting' };
}

/** A reply can take this long (the model's own timeout); after it the message stops counting as in progress. */
export const WORKING_MAX_MS = 120_000;

/**
 * Messages in flight per account: an `accepted` access-log entry starts one; the account's next
 * send (lastOutboundAt in a health update after it) ends it, as does WORKING_MAX_MS without one.
 */
export class WorkTracker {
  /** accountId → accept times (epoch ms) not answered yet. */
  private readonly inFlight = new Map<string, number[]>();
  /** accountId → the lastOutboundAt already accounted for (health repeats it). */
  private readonly lastSend = new Map<string, string>();

  accepted(entry: AccessLogEntry, modelConfigured: boolean): void {
    // Without a model, accepted messages are logged, not answered: nothing is in progress.
    if (entry.decision !== 'accepted' || !modelConfigured) return;
    const list = this.inFlight.get(entry.accountId) ?? [];
    list.push(Date.parse(entry.ts));
    this.inFlight.set(entry.accountId, list);
  }

  health(status: GatewayStatus): void {
    for (const account of status.accounts) {
      const list = this.inFlight.get(account.accountId);
      if (!account.lastOutboundAt || this.lastSend.get(account.accountId) === account.lastOutboundAt) continue;
      this.lastSend.set(account.accountId, account.lastOutboundAt);
      if (!list) continue;
      const sentAt = Date.parse(account.lastOutboundAt);
      // One send answers the oldest message accepted before it.
      const index = list.findIndex((acceptedAt) => acceptedAt <= sentAt);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.inFlight.delete(account.accountId);
    }
  }

  clear(): void {
    this.inFlight.clear();
  }

  isWorking(now: number): boolean {
    return this.nextExpiry(now) !== null;
  }

  /** When the oldest message in flight stops counting (epoch ms), or null when none is. */
  nextExpiry(now: number): number | null {
    let next: number | null = null;
    for (const [account, list] of this.inFlight) {
      const live = list.filter((acceptedAt) => acceptedAt + WORKING_MAX_MS > now);
      if (live.length === 0) this.inFlight.delete(account);
      else this.inFlight.set(account, live);
      for (const acceptedAt of live) next = Math.min(next ?? Infinity, acceptedAt + WORKING_MAX_MS);
    }
    return next;
  }
}
