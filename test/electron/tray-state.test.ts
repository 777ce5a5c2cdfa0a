// The tray icon's state and title, and the "working" signal's transitions.
import { describe, expect, it } from 'vitest';
import type { AccessLogEntry } from '../../contract/gateway-api';
import { trayView, WORKING_MAX_MS, WorkTracker } from '../../main/electron/tray-state';
import { account, appState, iso, NOW, pairingRequest, status } from './support/fixtures';

const accepted = (msFromNow: number, accountId = 'default'): AccessLogEntry => ({
  ts: iso(msFromNow),
  accountId,
  chatId: 1,
  isGroup: false,
  sender: '+15555550100',
  messageId: 10,
  decision: 'accepted',
  reason: 'allowFrom',
});

describe('tray icon', () => {
  it('idle when listening with nothing pending', () => {
    expect(trayView(appState())).toEqual({ icon: 'idle', title: '', tooltip: 'Clawdbot' });
  });

  it('working while a message is handled', () => {
    expect(trayView(appState({ working: true })).icon).toBe('working');
  });

  it('attention with the count as title while requests are pending (over working)', () => {
    const view = trayView(appState({ working: true, pending: [pairingRequest(0), pairingRequest(1)] }));
    expect(view).toMatchObject({ icon: 'attention', title: '2' });
    expect(view.tooltip).toBe('Clawdbot: 2 pairing requests waiting');
  });

  it('error when a channel failed or backs off, keeping the count', () => {
    const failed = appState({ status: status([account({ state: 'failed-fatal' })]), pending: [pairingRequest(0)] });
    expect(trayView(failed)).toMatchObject({ icon: 'error', title: '1' });
    expect(trayView(appState({ status: status([account({ state: 'backing-off' })]) })).icon).toBe('error');
  });

  it('error when the gateway is down (failed to start, or restarting after an error)', () => {
    expect(trayView(appState({ gateway: { kind: 'failed', message: 'x' }, status: null })).icon).toBe('error');
    expect(trayView(appState({ gateway: { kind: 'crashed', error: 'x', retryAt: NOW }, status: null })).icon).toBe('error');
  });

  it('paused wins over everything; starting is idle', () => {
    expect(trayView(appState({ gateway: { kind: 'paused' }, status: null })).icon).toBe('paused');
    expect(trayView(appState({ gateway: { kind: 'starting' }, status: null }))).toMatchObject({ icon: 'idle', tooltip: 'Clawdbot: starting' });
  });

  it('a disabled account is not an error', () => {
    expect(trayView(appState({ status: status([account({ state: 'stopped', enabled: false })]) })).icon).toBe('idle');
  });
});

describe('WorkTracker', () => {
  it('accepted → working; the next send after it → idle', () => {
    const work = new WorkTracker();
    work.health(status([account({ lastOutboundAt: iso(-60_000) })])); // an older send
    work.accepted(accepted(0), true);
    expect(work.isWorking(NOW)).toBe(true);
    work.health(status([account({ lastOutboundAt: iso(-60_000) })])); // the same old send again
    expect(work.isWorking(NOW + 10)).toBe(true);
    work.health(status([account({ lastOutboundAt: iso(1500) })]));
    expect(work.isWorking(NOW + 1600)).toBe(false);
  });

  it('two messages need two sends', () => {
    const work = new WorkTracker();
    work.accepted(accepted(0), true);
    work.accepted(accepted(100), true);
    work.health(status([account({ lastOutboundAt: iso(200) })]));
    expect(work.isWorking(NOW + 300)).toBe(true);
    work.health(status([account({ lastOutboundAt: iso(400) })]));
    expect(work.isWorking(NOW + 500)).toBe(false);
  });

  it('a send on another account does not count', () => {
    const work = new WorkTracker();
    work.accepted(accepted(0, 'work'), true);
    work.health(status([account({ lastOutboundAt: iso(200) })]));
    expect(work.isWorking(NOW + 300)).toBe(true);
  });

  it('without a model nothing is answered, so nothing is in progress; other decisions never are', () => {
    const work = new WorkTracker();
    work.accepted(accepted(0), false);
    work.accepted({ ...accepted(0), decision: 'pairing' }, true);
    expect(work.isWorking(NOW)).toBe(false);
  });

  it('stops counting after WORKING_MAX_MS without a reply, and says when', () => {
    const work = new WorkTracker();
    work.accepted(accepted(0), true);
    expect(work.nextExpiry(NOW)).toBe(NOW + WORKING_MAX_MS);
    expect(work.isWorking(NOW + WORKING_MAX_MS - 1)).toBe(true);
    expect(work.isWorking(NOW + WORKING_MAX_MS)).toBe(false);
    expect(work.nextExpiry(NOW + WORKING_MAX_MS)).toBeNull();
  });
});
