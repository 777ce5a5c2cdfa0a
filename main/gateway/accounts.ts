// Adding, changing and removing an iMessage account (control API `accounts.*`, and
// `clawdbot channels add|remove imessage` without a gateway): one validated config write each.
//
// Before anything is written, every field is checked and the resulting config is validated as a
// whole; all problems come back together, each with its config key path and fix (ConfigError), and
// nothing is written. An account that runs imsg over SSH (`ssh: { target, remoteCliPath }`) gets
// its wrapper script (main/imessage/ssh-wrapper.ts) written first, and the wrapper becomes its
// `cliPath`. A running gateway then picks the change up by hot reload, which probes and starts it.
import { promises as fs } from 'node:fs';
import type { ValidatedParams } from '../../contract/control-api';
import { isPlainHandle } from '../../contract/handles';
import { REMOTE_PATH_HINT, REMOTE_PATH_PATTERN } from '../../contract/setup';
import { accountKeyPath, addAccountPatch, checkAccountId, findAccount, removeAccountPatch, updateAccountPatch, type AccountChanges, type AccountFields } from '../config/account-edits';
import { ConfigError, type ConfigIssue } from '../config/errors';
import { isPlainObject } from '../config/json-path';
import { parseConfigText, readConfigText } from '../config/load';
import { expandHome } from '../config/paths';
import { validateConfig } from '../config/validate';
import { applyMergePatch, patchConfigFileWith, type MergePatch } from '../config/write';
import { parseAllowEntry } from '../imessage/allow-from';
import { WrapperExistsError, wrapperPath, writeSshWrapper, type WrittenWrapper } from '../imessage/ssh-wrapper';
import { ActionableError } from '../util/actionable-error';

export type AccountForm = ValidatedParams<'accounts.add'>['account'];
export type AccountFormChanges = ValidatedParams<'accounts.update'>['changes'];

export interface AccountWriteContext {
  configPath: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
}

export interface AccountWriteResult {
  accountId: string;
  path: string;
  /** The SSH wrapper, when the account runs imsg over SSH. */
  wrapper?: WrittenWrapper;
}

export async function addAccount(ctx: AccountWriteContext, accountId: string, form: AccountForm): Promise<AccountWriteResult> {
  const current = await readCurrent(ctx.configPath);
  checkAccountId(accountId);
  const { ssh, ...rest } = form;
  const fields: AccountFields = { ...rest };
  const keyOf = (field: string) => accountKeyPath(current, accountId, field);
  const issues: ConfigIssue[] = [];
  if (ssh) {
    if (form.cliPath !== undefined) issues.push(issue(keyOf('cliPath'), form.cliPath, 'give either cliPath or ssh, not both', 'Leave cliPath out: the SSH wrapper becomes the account’s cliPath.'));
    fields.cliPath = wrapperPath(ctx.stateDir, accountId);
  }
  // Choosing "open" means everyone (spec: the wizard adds "*" itself).
  if (fields.dmPolicy === 'open' && fields.allowFrom === undefined) fields.allowFrom = ['*'];
  issues.push(...(await checkFields(fields, keyOf, ctx.env, ssh !== undefined)));
  throwIfAny(issues);
  dryRun(current, addAccountPatch(current, accountId, fields), ctx);

  const wrapper = ssh ? await writeWrapper(ctx, accountId, ssh, false, keyOf('ssh.target')) : undefined;
  const written = await patchConfigFileWith(ctx.configPath, (file) => addAccountPatch(file, accountId, fields), { env: ctx.env });
  return { accountId, path: written.path, ...(wrapper ? { wrapper } : {}) };
}

export async function updateAccount(ctx: AccountWriteContext, accountId: string, changes: AccountFormChanges): Promise<AccountWriteResult> {
  const current = await readCurrent(ctx.configPath);
  if (!findAccount(current, accountId).exists) throw notFound(accountId);
  const { ssh, ...rest } = changes;
  const fieldChanges: AccountChanges = { ...rest };
  const keyOf = (field: string) => accountKeyPath(current, accountId, field);
  const issues: ConfigIssue[] = [];
  if (ssh) {
    if (changes.cliPath !== undefined && changes.cliPath !== null) issues.push(issue(keyOf('cliPath'), changes.cliPath, 'give either cliPath or ssh, not both', 'Leave cliPath out: the SSH wrapper becomes the account’s cliPath.'));
    fieldChanges.cliPath = wrapperPath(ctx.stateDir, accountId);
  } else if (ssh === null) {
    // No SSH any more: imsg on this Mac again (the wrapper file stays where it is).
    fieldChanges.cliPath = changes.cliPath ?? null;
  }
  const set = Object.fromEntries(Object.entries(fieldChanges).filter(([, value]) => value !== null && value !== undefined)) as AccountFields;
  issues.push(...(await checkFields(set, keyOf, ctx.env, Boolean(ssh))));
  throwIfAny(issues);
  dryRun(current, updateAccountPatch(current, accountId, fieldChanges), ctx);

  // Changing the SSH target is asking for the wrapper to be rewritten (the old one is kept as .bak).
  const wrapper = ssh ? await writeWrapper(ctx, accountId, ssh, true, keyOf('ssh.target')) : undefined;
  const written = await patchConfigFileWith(ctx.configPath, (file) => updateAccountPatch(file, accountId, fieldChanges), { env: ctx.env });
  return { accountId, path: written.path, ...(wrapper ? { wrapper } : {}) };
}

export async function removeAccount(ctx: AccountWriteContext, accountId: string): Promise<{ removed: boolean; path: string }> {
  const current = await readCurrent(ctx.configPath);
  if (!findAccount(current, accountId).exists) throw notFound(accountId);
  const written = await patchConfigFileWith(ctx.configPath, (file) => removeAccountPatch(file, accountId), { env: ctx.env });
  return { removed: true, path: written.path };
}

// ---------------------------------------------------------------------------------------------

function notFound(accountId: string): ActionableError {
  return new ActionableError('not_found', `No iMessage account "${accountId}" in the config`, 'Use an id from channels.imessage.accounts, or add the account first.');
}

async function readCurrent(configPath: string): Promise<Record<string, unknown>> {
  const text = await readConfigText(configPath);
  const current = text === undefined || text.trim() === '' ? {} : parseConfigText(text, configPath);
  if (!isPlainObject(current)) {
    throw new ConfigError([{ path: '', value: current, message: 'the config file must contain one object { … }', fix: `Fix ${configPath} by hand first.` }], { file: configPath });
  }
  return current;
}

/** The whole config as it would be after the patch must be valid (reports every problem at once). */
function dryRun(current: Record<string, unknown>, patch: MergePatch, ctx: AccountWriteContext): void {
  validateConfig(applyMergePatch(current, patch), { file: ctx.configPath, env: ctx.env });
}

function throwIfAny(issues: ConfigIssue[]): void {
  if (issues.length > 0) throw new ConfigError(issues);
}

function issue(path: string, value: unknown, message: string, fix: string): ConfigIssue {
  return { path, value, message, fix };
}

async function writeWrapper(ctx: AccountWriteContext, accountId: string, ssh: NonNullable<AccountForm['ssh']>, replace: boolean, path: string): Promise<WrittenWrapper> {
  try {
    return await writeSshWrapper({ stateDir: ctx.stateDir, accountId, target: ssh.target, ...(ssh.remoteCliPath ? { remoteCliPath: ssh.remoteCliPath } : {}), replace });
  } catch (error) {
    if (!(error instanceof WrapperExistsError)) throw error;
    throw new ConfigError([
      issue(path, ssh.target, `${error.message} (the SSH wrapper of this account goes there)`, `Look at it first; to replace it (kept as ${error.path}.bak), write the wrapper with replace (setup.sshWrapper, or \`clawdbot channels add imessage --replace\`).`),
    ]);
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;
/** chat_guid / chat_identifier values: what Messages uses (`iMessage;+;chat123`, `any;-;+1555…`), nothing a shell reads. */
const CHAT_REFERENCE = /^[A-Za-z0-9;+_.@:-]+$/;

/** Checks a form cannot express in its schema: allowlist entries, paths that are folders, SSH-safe paths. */
async function checkFields(fields: AccountFields, keyOf: (field: string) => string, env: NodeJS.ProcessEnv, overSsh: boolean): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const field of ['allowFrom', 'groupAllowFrom'] as const) {
    fields[field]?.forEach((entry, index) => {
      const problem = allowEntryProblem(entry);
      if (problem) issues.push(issue(`${keyOf(field)}[${index}]`, entry, problem, 'Use a phone number (+15555550123), an email address, chat_id:<number>, chat_guid:<guid> or "*" for everyone.'));
    });
  }
  if (fields.name !== undefined && CONTROL_CHARACTERS.test(fields.name)) issues.push(issue(keyOf('name'), fields.name, 'contains a line break or control character', 'Use a one-line name.'));
  if (fields.cliPath !== undefined && !overSsh) {
    const folder = await folderProblem(fields.cliPath, env);
    if (folder) issues.push(issue(keyOf('cliPath'), fields.cliPath, 'is a folder, not the imsg program', `Give the imsg executable itself${folder.inside ? `, e.g. ${folder.inside}/imsg` : ''} (\`which imsg\` prints it).`));
  }
  if (fields.dbPath !== undefined) {
    if (CONTROL_CHARACTERS.test(fields.dbPath)) {
      issues.push(issue(keyOf('dbPath'), fields.dbPath, 'contains a line break or control character', 'Give the path of chat.db on one line.'));
    } else if (overSsh && !REMOTE_PATH_PATTERN.test(fields.dbPath)) {
      issues.push(issue(keyOf('dbPath'), fields.dbPath, `is passed to imsg over SSH, so it must be ${REMOTE_PATH_HINT.replace(/^a path on the other Mac is /, '')}`, 'Give the full path of chat.db on that Mac, e.g. /Users/bot/Library/Messages/chat.db, or leave it out for the default.'));
    } else if (!overSsh) {
      const folder = await folderProblem(fields.dbPath, env);
      if (folder) issues.push(issue(keyOf('dbPath'), fields.dbPath, 'is a folder, not the chat.db file', `Give the database file itself, e.g. ${folder.inside}/chat.db.`));
    }
  }
  return issues;
}

/** Why an allowlist entry cannot be used, or undefined when it can. */
function allowEntryProblem(entry: string): string | undefined {
  if (CONTROL_CHARACTERS.test(entry)) return 'contains a line break or control character';
  const parsed = parseAllowEntry(entry);
  if (!parsed) return 'is empty';
  switch (parsed.kind) {
    case 'invalid':
      return parsed.problem;
    case 'chatGuid':
      return CHAT_REFERENCE.test(parsed.chatGuid) ? undefined : 'the chat guid contains spaces or shell characters';
    case 'chatIdentifier':
      return CHAT_REFERENCE.test(parsed.chatIdentifier) ? undefined : 'the chat identifier contains spaces or shell characters';
    case 'handle': {
      const raw = entry.trim().replace(/^((imessage|sms|auto):)+/i, '');
      return isPlainHandle(raw) ? undefined : 'is neither a phone number nor an email address (no spaces or shell characters)';
    }
    default:
      return undefined;
  }
}

async function folderProblem(path: string, env: NodeJS.ProcessEnv): Promise<{ inside: string } | undefined> {
  const pathLike = path.includes('/') || path.startsWith('~') || path.startsWith('.');
  if (!pathLike) return undefined;
  const expanded = expandHome(path, env);
  try {
    return (await fs.stat(expanded)).isDirectory() ? { inside: expanded.replace(/\/+$/, '') } : undefined;
  } catch {
    return undefined; // missing: the imsg / Messages checks say so once it is saved
  }
}
