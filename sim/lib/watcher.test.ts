// The watch engine in-process: a failing poll ends the subscription with one `error` event, and
// filtered rows are consumed (cursor moves past them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimDb } from './sim-db';
import { MessageStore } from './store';
import { versionProfile } from './version';
import { DbChangeNotifier, WatchSubscription, type SubscriptionOptions } from './watcher';

const dir = mkdtempSync(join(tmpdir(), 'imsg-sim-watcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base: SubscriptionOptions = { attachments: false, includeReactions: false, reactions: false, debounceMs: 0, fsEvents: false, pollMs: 20 };

describe('WatchSubscription', () => {
  it('reports a SQLite failure once as an error event and then stays silent', async () => {
    let polls = 0;
    const failing = {
      maxRowid: () => 0,
      poll: () => {
        polls++;
        throw Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
      },
    } as unknown as MessageStore;
    const errors: string[] = [];
    const sub = new WatchSubscription(1, failing, new DbChangeNotifier(join(dir, 'x.db')), base, {
      message: () => expect.fail('no message expected'),
      error: (text) => errors.push(text),
    });
    sub.start(true);
    await new Promise((r) => setTimeout(r, 120));
    expect(errors).toEqual(['database disk image is malformed (code: 11)']);
    expect(polls).toBe(1);
  });

  it('applies the participants filter case-insensitively after the query', async () => {
    const dbPath = join(dir, 'chat.db');
    const sim = SimDb.create(dbPath);
    const store = MessageStore.open(dbPath, versionProfile('0.9.0'), dir);
    const received: string[] = [];
    const sub = new WatchSubscription(1, store, new DbChangeNotifier(dbPath), { ...base, sinceRowid: -1, participants: ['B@example.com'] }, {
      message: (m) => received.push(m.text),
      error: (text) => expect.fail(text),
    });
    sim.injectMany([{ from: 'a@example.com', text: 'from a' }, { from: 'b@example.com', text: 'from b' }]);
    sub.start(true);
    expect(received).toEqual(['from b']);
    sim.inject({ from: 'a@example.com', text: 'later a' });
    await new Promise((r) => setTimeout(r, 80));
    expect(received).toEqual(['from b']);
    sub.stop();
    store.close();
    sim.close();
  });
});
