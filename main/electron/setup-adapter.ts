// The app reads setup checks in the shape of contract/setup.ts (SetupSnapshot). Until the gateway
// publishes that snapshot, this adapter derives the same shape from what it does publish today:
// each account's health (state, lastError, the last probe's `database` check, last send). When
// the snapshot arrives, the app uses it directly and this file goes away.
import type { AccountHealth } from '../../contract/gateway-api';
import { SETTINGS_PANES, type AccountSetup, type CheckState, type SetupCheck, type SetupFix } from '../../contract/setup';

export const FULL_DISK_ACCESS_FIX: SetupFix = {
  text: 'Turn on Clawdbot in Full Disk Access, then restart Clawdbot.',
  settingsUrl: SETTINGS_PANES['full-disk-access'].url,
  settingsPath: SETTINGS_PANES['full-disk-access'].path,
};

export const AUTOMATION_FIX: SetupFix = {
  text: 'Allow Clawdbot to control Messages in Automation (or reset it with `tccutil reset AppleEvents`), then send again.',
  command: 'tccutil reset AppleEvents',
  settingsUrl: SETTINGS_PANES.automation.url,
  settingsPath: SETTINGS_PANES.automation.path,
};

export const MESSAGES_FIX: SetupFix = {
  text: 'Open Messages on this Mac and sign in with your Apple Account, so that ~/Library/Messages/chat.db exists.',
};

/**
 * What a failed read of chat.db says about it, from the error text (an errno code, SQLite's
 * wording, or imsg's): no permission, no file, or a problem a permission cannot fix.
 */
export function chatDbReadState(errorText: string): { state: CheckState; detail: string; fix?: SetupFix } {
  const text = errorText.trim();
  if (/\bENOENT\b|no such file|does not exist/i.test(text)) {
    return { state: 'missing', detail: `chat.db does not exist: Messages has not been set up for this user (${text})`, fix: MESSAGES_FIX };
  }
  if (/\bEPERM\b|\bEACCES\b|operation not permitted|permission denied|not authori[sz]ed|authorization denied|full disk access|unable to open database|cannot open database/i.test(text)) {
    return { state: 'denied', detail: `chat.db cannot be read: Full Disk Access is off (${text})`, fix: FULL_DISK_ACCESS_FIX };
  }
  if (/\bEBUSY\b|SQLITE_BUSY|database is locked/i.test(text)) {
    return { state: 'unknown', detail: `chat.db is busy (Messages is writing to it); it will be checked again (${text})` };
  }
  if (/SQLITE_CORRUPT|SQLITE_NOTADB|malformed|not a database/i.test(text)) {
    return { state: 'unknown', detail: `chat.db is readable but damaged or not a Messages database (${text})`, fix: { text: 'Check channels.imessage.dbPath; quit and reopen Messages to let it repair its database.' } };
  }
  return { state: 'unknown', detail: `chat.db could not be checked (${text})` };
}

/** AppleScript's "not authorized" for Apple Events (-1743), as imsg reports a refused send. */
const AUTOMATION_DENIED = /-1743|not authori[sz]ed to send apple events|errAEEventNotPermitted/i;

function check(id: SetupCheck['id'], state: CheckState, detail: string, checkedAt: string | null, fix?: SetupFix): SetupCheck {
  return fix ? { id, state, detail, fix, checkedAt } : { id, state, detail, checkedAt };
}

function fullDiskAccessCheck(account: AccountHealth): SetupCheck {
  const probe = account.lastProbe;
  const database = probe?.checks.find((c) => c.id === 'database');
  if (database?.ok) return check('full-disk-access', 'ok', `imsg read chat.db (${database.detail})`, probe!.at);
  if (database) {
    const read = chatDbReadState(database.detail);
    return check('full-disk-access', read.state, read.detail, probe!.at, read.fix);
  }
  // No probe got as far as the database: a listening account has read it anyway.
  if (account.state === 'listening') return check('full-disk-access', 'ok', 'imsg is reading chat.db', account.since);
  const error = account.lastError;
  if (error && /database|chat\.db|full disk access/i.test(error.message)) {
    const read = chatDbReadState(error.message);
    return check('full-disk-access', read.state, read.detail, error.at, read.fix);
  }
  return check('full-disk-access', 'unknown', 'chat.db has not been read yet', null);
}

function automationCheck(account: AccountHealth): SetupCheck {
  const error = account.lastError;
  if (error && AUTOMATION_DENIED.test(error.message)) {
    return check('automation', 'denied', `Messages refused a send from Clawdbot (${error.message})`, error.at, AUTOMATION_FIX);
  }
  if (account.lastOutboundAt) return check('automation', 'ok', 'a message was sent through Messages', account.lastOutboundAt);
  return check('automation', 'unknown', 'nothing has been sent yet (macOS asks the first time Clawdbot sends)', null);
}

/** The setup checks of one account, as far as its health shows them. */
export function setupFromHealth(account: AccountHealth): AccountSetup {
  const remote = account.remoteHost !== null;
  const notHere = (id: SetupCheck['id'], why: string) => check(id, 'not-applicable', why, null);
  let checks: SetupCheck[];
  if (account.simulated) {
    checks = [notHere('full-disk-access', 'a simulated account reads no real chat.db'), notHere('automation', 'a simulated account sends nothing through Messages')];
  } else if (remote) {
    const there = `imsg runs on ${account.remoteHost}`;
    checks = [notHere('full-disk-access', `${there}: Full Disk Access is granted there`), notHere('automation', `${there}: Automation is granted there`)];
  } else {
    checks = [fullDiskAccessCheck(account), automationCheck(account)];
  }
  return { accountId: account.accountId, location: remote ? 'remote-mac' : 'this-mac', checks, restartNeeded: false };
}
