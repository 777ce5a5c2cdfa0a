import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CursorStore } from './cursor-store';

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'cursor-store-'));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

const open = (extra: Partial<Parameters<typeof CursorStore.open>[0]> = {}) => CursorStore.open({ stateDir, accountId: 'default', compactDelayMs: 60_000, ...extra });

describe('CursorStore', () => {
  it('starts empty (live) and sets its base at the first row seen', async () => {
    const store = await open();
    expect(store.watermark).toBeNull();
    store.markStarted(101);
    expect(store.watermark).toBe(100);
    expect(store.isDone(100)).toBe(true);
    expect(store.isDone(101)).toBe(false);
    expect(store.isInFlight(101)).toBe(true);
    await store.close();
  });

  it('establishBase: sets the first resume point, journaled at once (survives a crash), never moves an existing one', async () => {
    const store = await open();
    store.establishBase(41);
    expect(store.watermark).toBe(41);
    store.establishBase(99); // already set: ignored
    expect(store.watermark).toBe(41);
    // No close: a gateway killed now still has the journal line.
    const again = await open();
    expect(again.watermark).toBe(41);
    expect(again.isDone(41)).toBe(true);
    expect(again.isDone(42)).toBe(false);
    await again.close();
    await store.close();
  });

  it('moves the watermark only past rows that are all done (out-of-order completion)', async () => {
    const store = await open();
    for (const id of [10, 11, 13, 14]) store.markStarted(id); // 12 is a gap (never delivered)
    store.markDone(13);
    store.markDone(14);
    expect(store.watermark).toBe(9); // 10 and 11 still running
    expect(store.isDone(13)).toBe(true);
    expect(store.isDone(11)).toBe(false);
    store.markDone(11);
    expect(store.watermark).toBe(9); // 10 still running
    store.markDone(10);
    expect(store.watermark).toBe(14); // gap 12 does not hold it back
    expect(store.inFlightCount).toBe(0);
    await store.close();
  });

  it('persists through close/open: watermark and done rows above it', async () => {
    const store = await open();
    for (const id of [1, 2, 3]) store.markStarted(id);
    store.markDone(1);
    store.markDone(3);
    await store.close();
    const file = JSON.parse(readFileSync(store.cursorPath, 'utf8'));
    expect(file).toMatchObject({ version: 1, watermark: 1, doneAbove: [3] });
    expect(statSync(store.cursorPath).mode & 0o777).toBe(0o600);
    const again = await open();
    expect(again.watermark).toBe(1);
    expect(again.isDone(3)).toBe(true);
    expect(again.isDone(2)).toBe(false); // was in flight: delivered again
    await again.close();
  });

  it('replays the journal after a crash (no compaction ever happened)', async () => {
    const store = await open();
    for (const id of [50, 51, 52]) store.markStarted(id);
    store.markDone(52);
    store.markDone(50);
    // Simulate SIGKILL: no close(), no compaction; only the journal appends reached the OS.
    expect(existsSync(store.cursorPath)).toBe(false);
    expect(readFileSync(store.journalPath, 'utf8')).toBe('b 49\nd 52\nd 50\n');
    const recovered = await open();
    expect(recovered.watermark).toBe(50);
    expect(recovered.isDone(52)).toBe(true);
    expect(recovered.isDone(51)).toBe(false);
    expect(recovered.report.replayedJournalLines).toBe(3);
    // Replay is compacted right away into the cursor file.
    expect(JSON.parse(readFileSync(recovered.cursorPath, 'utf8'))).toMatchObject({ watermark: 50, doneAbove: [52] });
    await recovered.close();
  });

  it('compacts every N completions and keeps marks made during the atomic write', async () => {
    const store = await open({ compactEvery: 3 });
    for (let id = 1; id <= 10; id++) store.markStarted(id);
    for (let id = 1; id <= 10; id++) store.markDone(id); // several compactions overlap these marks
    await store.flush();
    await store.flush();
    const file = JSON.parse(readFileSync(store.cursorPath, 'utf8'));
    expect(file.watermark).toBe(10);
    expect(readFileSync(store.journalPath, 'utf8')).toBe('');
    expect(existsSync(`${store.journalPath}.old`)).toBe(false);
    // Crash now (no close) and reload: nothing lost.
    const reloaded = await open();
    expect(reloaded.watermark).toBe(10);
    await reloaded.close();
    await store.close();
  });

  it('tolerates a torn last journal line', async () => {
    mkdirSync(join(stateDir, 'imessage'), { recursive: true });
    writeFileSync(join(stateDir, 'imessage', 'default.cursor.json'), JSON.stringify({ version: 1, watermark: 5, doneAbove: [], updatedAt: '' }));
    appendFileSync(join(stateDir, 'imessage', 'default.cursor.journal'), 'd 6\nd 8\nd 1');
    const store = await open();
    // "d 1" is a valid line; a torn "d 1" of "d 12" would be harmless (rows ≤ watermark).
    // Row 7 may have been in flight at the crash: the watermark stops before the hole.
    expect(store.watermark).toBe(6);
    expect(store.isDone(8)).toBe(true);
    expect(store.isDone(7)).toBe(false);
    await store.close();
    appendFileSync(store.journalPath, 'd 9\ngarbage\nd');
    const again = await open();
    expect(again.report.badJournalLines).toBe(2);
    expect(again.isDone(9)).toBe(true);
    await again.close();
  });

  it('preserves a corrupt cursor file aside and resumes from live', async () => {
    mkdirSync(join(stateDir, 'imessage'), { recursive: true });
    const path = join(stateDir, 'imessage', 'default.cursor.json');
    writeFileSync(path, '{"version":1,"watermark":"oops"');
    appendFileSync(join(stateDir, 'imessage', 'default.cursor.journal'), 'd 7\n');
    const store = await open();
    expect(store.watermark).toBeNull();
    expect(store.report.corruptReason).toMatch(/not JSON/);
    expect(store.report.corruptPreservedAt).toMatch(/default\.cursor\.json\.corrupt-/);
    expect(readFileSync(store.report.corruptPreservedAt!, 'utf8')).toBe('{"version":1,"watermark":"oops"');
    const names = readdirSync(join(stateDir, 'imessage'));
    expect(names.some((n) => n.startsWith('default.cursor.journal.corrupt-'))).toBe(true);
    await store.close();
  });

  it('rejects a structurally wrong cursor file the same way', async () => {
    mkdirSync(join(stateDir, 'imessage'), { recursive: true });
    writeFileSync(join(stateDir, 'imessage', 'default.cursor.json'), JSON.stringify({ version: 1, watermark: -4, doneAbove: [] }));
    const store = await open();
    expect(store.report.corruptReason).toMatch(/watermark is -4/);
    expect(store.watermark).toBeNull();
    await store.close();
  });

  it('bounds the rows remembered above a stuck one', async () => {
    const store = await open({ maxDoneAbove: 5 });
    store.markStarted(1); // stuck forever
    for (let id = 2; id <= 10; id++) {
      store.markStarted(id);
      store.markDone(id);
    }
    expect(store.watermark).toBe(5); // gave up on 1 once more than 5 rows piled up above it
    expect(store.isDone(10)).toBe(true);
    await store.close();
  });

  it('ignores marks after close (they will be delivered again)', async () => {
    const store = await open();
    store.markStarted(3);
    await store.close();
    store.markDone(3);
    const again = await open();
    expect(again.isDone(3)).toBe(false);
    expect(again.watermark).toBe(2);
    await again.close();
  });

  it('a send started and not done before a crash leaves the row uncertain, with its fingerprint', async () => {
    const store = await open();
    for (const id of [20, 21, 22]) store.markStarted(id);
    store.markSendStarted(20, 'ab12');
    store.markDone(20);
    store.markSendStarted(21, 'cd34');
    store.markSendStarted(22); // no fingerprint
    // No close: the gateway is killed here.
    const again = await open();
    expect(again.isUncertain(20)).toBe(false); // "s" then "d": answered and recorded
    expect(again.isDone(20)).toBe(true);
    expect(again.isUncertain(21)).toBe(true);
    expect(again.uncertainFingerprint(21)).toBe('cd34');
    expect(again.isUncertain(22)).toBe(true);
    expect(again.uncertainFingerprint(22)).toBe('');
    expect(again.uncertainFingerprint(20)).toBeUndefined();
    expect(again.watermark).toBe(20);
    // Handled again: markDone clears the uncertainty, also for the next load.
    again.markStarted(21);
    again.markDone(21);
    expect(again.isUncertain(21)).toBe(false);
    const third = await open();
    expect(third.isUncertain(21)).toBe(false);
    expect(third.isUncertain(22)).toBe(true);
    await third.close();
    await again.close();
    await store.close();
  });

  it('keeps open send starts through compactions (they are not in the cursor file)', async () => {
    const store = await open({ compactEvery: 2 });
    for (const id of [30, 31, 32, 33]) store.markStarted(id);
    store.markSendStarted(30, 'ee');
    store.markDone(31);
    store.markDone(32); // compaction: the journal holding "s 30" is rotated away
    await store.flush();
    expect(readFileSync(store.journalPath, 'utf8')).toBe('s 30 ee\n');
    const again = await open(); // crash
    expect(again.uncertainFingerprint(30)).toBe('ee');
    // Its own load compaction must not drop it either.
    const third = await open();
    expect(third.isUncertain(30)).toBe(true);
    await third.close();
    await again.close();
    await store.close();
  });

  it('rejects a fingerprint that is not lowercase hex (it goes into the journal line)', async () => {
    const store = await open();
    store.markStarted(5);
    expect(() => store.markSendStarted(5, 'x y\nd 6')).toThrow(/lowercase hex/);
    await store.close();
  });

  it('keeps accounts apart', async () => {
    const a = await CursorStore.open({ stateDir, accountId: 'a' });
    const b = await CursorStore.open({ stateDir, accountId: 'b' });
    a.markStarted(10);
    a.markDone(10);
    await a.close();
    await b.close();
    expect((await CursorStore.open({ stateDir, accountId: 'b' })).watermark).toBeNull();
  });
});
