// `clawdbot channels add imessage` and `clawdbot channels remove imessage --account <id>`.
//
// add: asks on a terminal (@clack/prompts), takes flags in scripts (`--yes` or no terminal: no
// questions). It writes the account in one validated config write — through the running gateway
// (`accounts.add`, whose hot reload starts the account) or, without one, to the file directly —
// with the SSH wrapper for `--ssh user@host`, then runs the same setup checks the app shows and
// prints each with ✓/✗ and its fix, and the next steps. An existing account is updated instead.
// Exit: 0 when every check is fine, 1 when one needs attention, 2 for bad input (nothing written).
import * as prompts from '@clack/prompts';
import type { ControlParams } from '../../../contract/control-api';
import { ControlClientError } from '../../../contract/control-client';
import { DM_POLICIES, GROUP_POLICIES } from '../../../contract/config';
import { isPlainHandle } from '../../../contract/handles';
import { DEFAULT_REMOTE_IMSG_PATH, REMOTE_PATH_HINT, REMOTE_PATH_PATTERN, SSH_TARGET_HINT, SSH_TARGET_PATTERN, type AccountSetup, type SetupCheck } from '../../../contract/setup';
import { findAccount } from '../../config/account-edits';
import { normalizeAccountId, resolveImessageAccounts } from '../../config/accounts';
import { ConfigError, formatIssues } from '../../config/errors';
import { loadConfig, parseConfigText, readConfigText } from '../../config/load';
import { resolveConfigPath, resolveStateDir } from '../../config/paths';
import { addAccount, removeAccount, updateAccount, type AccountForm } from '../../gateway/accounts';
import { locateImsg } from '../../imessage/setup-checks';
import { writeSshWrapper, WrapperExistsError } from '../../imessage/ssh-wrapper';
import { connectToGateway, type GatewayLookup } from '../gateway-connection';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../output';
import { directSetup, formatAccountSetup, needsAttention } from '../setup-view';

export interface ChannelsAddOptions {
  account?: string;
  name?: string;
  cliPath?: string;
  dbPath?: string;
  ssh?: string;
  remoteCliPath?: string;
  remoteHost?: string;
  dmPolicy?: string;
  allowFrom?: string;
  groupPolicy?: string;
  replace?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** The account as asked for, before it is written. */
interface Answers {
  accountId: string;
  form: AccountForm;
  replace: boolean;
}

const ACCOUNT_REQUEST_TIMEOUT_MS = 60_000;

export async function channelsAdd(channel: string | undefined, opts: ChannelsAddOptions): Promise<number> {
  checkChannel(channel);
  const env = process.env;
  const stateDir = resolveStateDir(env);
  const configPath = resolveConfigPath(env);
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !opts.yes && !opts.json;
  if (interactive) prompts.intro('Clawdbot · set up an iMessage account');
  const answers = interactive ? await ask(opts, env) : await fromFlags(opts, env);
  const current = await readConfigFile(configPath);
  const exists = findAccount(current, answers.accountId).exists;
  if (interactive && exists) {
    const update = await prompts.confirm({ message: `The account "${answers.accountId}" already exists. Update it with these settings?` });
    if (prompts.isCancel(update) || !update) return cancelled();
  }

  const spinner = interactive ? prompts.spinner() : undefined;
  spinner?.start('Writing the account and checking it');
  const lookup = await connectToGateway({ env, stateDir, configPath });
  let setup: AccountSetup | undefined;
  let modelCheckResult: SetupCheck | undefined;
  try {
    if (lookup.kind === 'running') {
      ({ setup, model: modelCheckResult } = await writeThroughGateway(lookup, answers, exists));
    } else {
      await writeDirectly({ configPath, stateDir, env }, answers, exists);
      const loaded = await loadConfig({ path: configPath, env });
      const account = resolveImessageAccounts(loaded.config, env).filter((a) => a.accountId === answers.accountId);
      const { snapshot } = await directSetup(loaded, account, { env, stateDir });
      setup = snapshot.accounts[0];
      modelCheckResult = snapshot.model;
    }
  } catch (error) {
    spinner?.error('Nothing was written');
    throw error;
  } finally {
    if (lookup.kind === 'running') lookup.close();
  }
  spinner?.stop(`${exists ? 'Updated' : 'Added'} iMessage account ${answers.accountId} in ${configPath}`);

  const attention = setup ? setup.checks.filter(needsAttention).length : 0;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ accountId: answers.accountId, action: exists ? 'updated' : 'added', configPath, gatewayRunning: lookup.kind === 'running', setup, ok: attention === 0 }, null, 2)}\n`);
    return attention === 0 ? EXIT_OK : EXIT_FAILURE;
  }
  const lines = interactive ? [] : [`${exists ? 'Updated' : 'Added'} iMessage account ${answers.accountId} in ${configPath}.`, ''];
  lines.push(...(setup ? formatAccountSetup(setup) : ['The checks could not run.']));
  const steps = nextSteps(answers, setup, lookup.kind === 'running', modelCheckResult);
  if (interactive) {
    prompts.log.message(lines.join('\n'));
    prompts.note(steps.join('\n'), 'Next steps');
    prompts.outro(attention === 0 ? 'Done.' : `${attention} check${attention === 1 ? ' needs' : 's need'} attention: the fixes are above.`);
  } else {
    lines.push('', 'Next steps:', ...steps.map((step) => `  ${step}`));
    if (attention > 0) lines.push('', `${attention} check${attention === 1 ? ' needs' : 's need'} attention: the fixes are listed above.`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return attention === 0 ? EXIT_OK : EXIT_FAILURE;
}

export async function channelsRemove(channel: string | undefined, opts: { account?: string; yes?: boolean; json?: boolean }): Promise<number> {
  checkChannel(channel);
  if (!opts.account) throw new CliError('Which account? Give --account <id> (see `clawdbot channels status`).', EXIT_USAGE);
  const accountId = opts.account;
  const env = process.env;
  const stateDir = resolveStateDir(env);
  const configPath = resolveConfigPath(env);
  if (!opts.yes) {
    if (!process.stdin.isTTY || !process.stdout.isTTY) throw new CliError(`Not removing iMessage account ${accountId} without confirmation.`, EXIT_USAGE, 'Add --yes to remove it without asking.');
    const sure = await prompts.confirm({ message: `Remove the iMessage account "${accountId}" from ${configPath}?`, initialValue: false });
    if (prompts.isCancel(sure) || !sure) return cancelled();
  }
  const lookup = await connectToGateway({ env, stateDir, configPath });
  try {
    if (lookup.kind === 'running') await lookup.client.request('accounts.remove', { accountId }, { timeoutMs: ACCOUNT_REQUEST_TIMEOUT_MS });
    else await removeAccount({ configPath, stateDir, env }, accountId);
  } catch (error) {
    throw explain(error);
  } finally {
    if (lookup.kind === 'running') lookup.close();
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ accountId, removed: true, configPath })}\n`);
  else process.stdout.write(`Removed iMessage account ${accountId} from ${configPath}.${lookup.kind === 'running' ? ' The gateway stopped it.' : ''}\n`);
  return EXIT_OK;
}

// ---------------------------------------------------------------------------------------------
// Answers: flags, or questions on a terminal
// ---------------------------------------------------------------------------------------------

function checkChannel(channel: string | undefined): void {
  if (channel !== undefined && channel.toLowerCase() !== 'imessage') {
    throw new CliError(`Unknown channel "${channel}": Clawdbot for Mac has one channel, imessage.`, EXIT_USAGE, 'Run `clawdbot channels add imessage`.');
  }
}

function cancelled(): number {
  prompts.cancel('Nothing was written.');
  return EXIT_USAGE;
}

/** Why a flag value cannot be used (the same rules the prompts apply), or undefined. */
const problems = {
  account: (value: string) => {
    const normalized = normalizeAccountId(value);
    if (!normalized) return 'an account id needs letters or digits, e.g. "work"';
    return normalized === value ? undefined : `account ids are lower-case letters, digits, "-" and "_": use "${normalized}"`;
  },
  ssh: (value: string) => (SSH_TARGET_PATTERN.test(value.trim()) ? undefined : SSH_TARGET_HINT),
  remoteCliPath: (value: string) => (REMOTE_PATH_PATTERN.test(value.trim()) ? undefined : REMOTE_PATH_HINT),
  dmPolicy: (value: string) => ((DM_POLICIES as readonly string[]).includes(value) ? undefined : `use one of ${DM_POLICIES.join(', ')}`),
  groupPolicy: (value: string) => ((GROUP_POLICIES as readonly string[]).includes(value) ? undefined : `use one of ${GROUP_POLICIES.join(', ')}`),
  allowFrom: (value: string) => {
    const bad = splitList(value).find((entry) => entry !== '*' && !/^(chat_id|chat_guid|chat_identifier):/i.test(entry) && !isPlainHandle(entry.replace(/^(imessage|sms):/i, '')));
    return bad === undefined ? undefined : `${JSON.stringify(bad)} is neither a phone number, an email address, chat_id:<n>, chat_guid:… nor "*"`;
  },
};

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

async function fromFlags(opts: ChannelsAddOptions, env: NodeJS.ProcessEnv): Promise<Answers> {
  const check = (flag: string, value: string | undefined, problem: (value: string) => string | undefined) => {
    const why = value === undefined ? undefined : problem(value);
    if (why) throw new CliError(`--${flag} ${JSON.stringify(value)}: ${why}.`, EXIT_USAGE, 'Nothing was written.');
  };
  check('account', opts.account, problems.account);
  check('ssh', opts.ssh, problems.ssh);
  check('remote-cli-path', opts.remoteCliPath, problems.remoteCliPath);
  check('dm-policy', opts.dmPolicy, problems.dmPolicy);
  check('group-policy', opts.groupPolicy, problems.groupPolicy);
  check('allow-from', opts.allowFrom, problems.allowFrom);
  if (opts.ssh && opts.cliPath) throw new CliError('Give either --ssh or --cli-path: with --ssh, the SSH wrapper is the account’s imsg.', EXIT_USAGE);
  if (opts.remoteCliPath && !opts.ssh) throw new CliError('--remote-cli-path needs --ssh user@host.', EXIT_USAGE);
  return {
    accountId: opts.account ?? 'default',
    form: await formOf(opts, env),
    replace: opts.replace === true,
  };
}

async function formOf(opts: ChannelsAddOptions, env: NodeJS.ProcessEnv): Promise<AccountForm> {
  let cliPath = opts.cliPath;
  // Write where imsg is: an app started from Finder does not have Homebrew on its PATH.
  if (!cliPath && !opts.ssh) cliPath = (await locateImsg(env))?.path;
  const form: AccountForm = {};
  if (opts.name !== undefined) form.name = opts.name;
  if (cliPath !== undefined) form.cliPath = cliPath;
  if (opts.dbPath !== undefined) form.dbPath = opts.dbPath;
  if (opts.remoteHost !== undefined) form.remoteHost = opts.remoteHost;
  if (opts.ssh) form.ssh = { target: opts.ssh.trim(), ...(opts.remoteCliPath ? { remoteCliPath: opts.remoteCliPath.trim() } : {}) };
  if (opts.dmPolicy !== undefined) form.dmPolicy = opts.dmPolicy as AccountForm['dmPolicy'];
  if (opts.allowFrom !== undefined) form.allowFrom = splitList(opts.allowFrom);
  if (opts.groupPolicy !== undefined) form.groupPolicy = opts.groupPolicy as AccountForm['groupPolicy'];
  return form;
}

/** Questions for what the flags did not say; each answer is checked as it is typed. */
async function ask(opts: ChannelsAddOptions, env: NodeJS.ProcessEnv): Promise<Answers> {
  const answered = <T>(value: T): Exclude<T, symbol> => {
    if (prompts.isCancel(value)) {
      prompts.cancel('Nothing was written.');
      throw new CliError('Cancelled.', EXIT_USAGE);
    }
    return value as Exclude<T, symbol>;
  };
  const validate = (problem: (value: string) => string | undefined) => (value: string | undefined) => problem((value ?? '').trim());
  const next: ChannelsAddOptions = { ...opts };

  next.account ??= answered(await prompts.text({ message: 'Account id', placeholder: 'default', defaultValue: 'default', validate: (v) => (v ? problems.account(v.trim()) : undefined) })).trim();
  if (!next.ssh && !next.cliPath) {
    const where = answered(
      await prompts.select({
        message: 'Where does imsg run?',
        options: [
          { value: 'this-mac', label: 'On this Mac, as me', hint: 'Messages signed in here' },
          { value: 'ssh', label: 'As another user, or on another Mac (SSH)', hint: 'a dedicated Mac user for the assistant, or a remote Mac' },
        ],
      }),
    );
    if (where === 'ssh') {
      next.ssh = answered(await prompts.text({ message: 'SSH target (user@host)', placeholder: 'clawdbot@localhost', validate: validate(problems.ssh) })).trim();
      next.remoteCliPath = answered(await prompts.text({ message: 'imsg on that side', defaultValue: DEFAULT_REMOTE_IMSG_PATH, placeholder: DEFAULT_REMOTE_IMSG_PATH, validate: (v) => (v ? problems.remoteCliPath(v.trim()) : undefined) })).trim();
    } else {
      const found = await locateImsg(env);
      if (found) {
        prompts.log.success(`imsg found at ${found.path}`);
        next.cliPath = found.path;
      } else {
        prompts.log.warn('imsg was not found (install it with `brew install steipete/tap/imsg`).');
        next.cliPath = answered(await prompts.text({ message: 'Path of imsg', defaultValue: 'imsg', placeholder: '/opt/homebrew/bin/imsg' })).trim();
      }
    }
  }
  next.dmPolicy ??= answered(
    await prompts.select({
      message: 'Who may talk to the assistant in direct messages?',
      initialValue: 'pairing',
      options: [
        { value: 'pairing', label: 'pairing', hint: 'unknown senders get a code you approve (recommended)' },
        { value: 'allowlist', label: 'allowlist', hint: 'only the handles you list' },
        { value: 'open', label: 'open', hint: 'anyone' },
        { value: 'disabled', label: 'disabled', hint: 'no direct messages' },
      ],
    }),
  );
  if (next.allowFrom === undefined && (next.dmPolicy === 'allowlist' || next.dmPolicy === 'pairing')) {
    const list = answered(await prompts.text({ message: 'Allowed senders (comma-separated; empty for none yet)', placeholder: '+15555550123, me@icloud.com', defaultValue: '', validate: (v) => (v ? problems.allowFrom(v) : undefined) }));
    if (list.trim()) next.allowFrom = list;
  }
  next.groupPolicy ??= answered(
    await prompts.select({
      message: 'Group chats',
      initialValue: 'allowlist',
      options: [
        { value: 'allowlist', label: 'allowlist', hint: 'only allowed senders, when they mention the assistant' },
        { value: 'open', label: 'open', hint: 'anyone in any group' },
        { value: 'disabled', label: 'disabled', hint: 'ignore groups' },
      ],
    }),
  );
  return fromFlags(next, env);
}

// ---------------------------------------------------------------------------------------------
// Writing and checking
// ---------------------------------------------------------------------------------------------

async function readConfigFile(configPath: string): Promise<Record<string, unknown>> {
  try {
    const text = await readConfigText(configPath);
    const value = text === undefined || text.trim() === '' ? {} : parseConfigText(text, configPath);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch (error) {
    throw explain(error);
  }
}

async function writeThroughGateway(lookup: Extract<GatewayLookup, { kind: 'running' }>, answers: Answers, exists: boolean): Promise<{ setup: AccountSetup | undefined; model: SetupCheck }> {
  const { client } = lookup;
  const { accountId, form } = answers;
  try {
    if (form.ssh && answers.replace) {
      await client.request('setup.sshWrapper', { accountId, target: form.ssh.target, ...(form.ssh.remoteCliPath ? { remoteCliPath: form.ssh.remoteCliPath } : {}), replace: true });
    }
    const options = { timeoutMs: ACCOUNT_REQUEST_TIMEOUT_MS };
    if (exists) await client.request('accounts.update', { accountId, changes: form as ControlParams<'accounts.update'>['changes'] }, options);
    else await client.request('accounts.add', { accountId, account: form }, options);
    const snapshot = await client.request('setup.check', { accountId }, options);
    return { setup: snapshot.accounts.find((a) => a.accountId === accountId), model: snapshot.model };
  } catch (error) {
    throw explain(error);
  }
}

async function writeDirectly(ctx: { configPath: string; stateDir: string; env: NodeJS.ProcessEnv }, answers: Answers, exists: boolean): Promise<void> {
  const { accountId, form } = answers;
  try {
    if (form.ssh && answers.replace) {
      await writeSshWrapper({ stateDir: ctx.stateDir, accountId, target: form.ssh.target, ...(form.ssh.remoteCliPath ? { remoteCliPath: form.ssh.remoteCliPath } : {}), replace: true });
    }
    if (exists) await updateAccount(ctx, accountId, form);
    else await addAccount(ctx, accountId, form);
  } catch (error) {
    throw explain(error);
  }
}

/** A refused write, as the CLI prints it: every problem with its key and fix (exit 2, nothing written). */
function explain(error: unknown): unknown {
  if (error instanceof ConfigError) {
    return new CliError(`Nothing was written. ${error.message}`, error.kind === 'io' ? EXIT_FAILURE : EXIT_USAGE);
  }
  if (error instanceof WrapperExistsError) return new CliError(`Nothing was written. ${error.message}.`, EXIT_USAGE, 'Look at it first; add --replace to replace it (the old one is kept as .bak).');
  if (error instanceof ControlClientError) {
    if (error.issues && error.issues.length > 0) {
      const issues = error.issues.map((issue) => ({ path: issue.path, value: undefined, message: issue.message, fix: issue.fix ?? '' }));
      return new CliError(`Nothing was written. ${formatIssues(issues)}`, EXIT_USAGE);
    }
    return new CliError(error.message, error.code === 'bad_request' || error.code === 'not_found' ? EXIT_USAGE : EXIT_FAILURE, error.fix);
  }
  return error;
}

function nextSteps(answers: Answers, setup: AccountSetup | undefined, gatewayRunning: boolean, model: SetupCheck | undefined): string[] {
  const steps: string[] = [];
  const account = answers.accountId === 'default' ? '' : ` --account ${answers.accountId}`;
  if (!gatewayRunning) steps.push('Start the gateway, which starts this account: `clawdbot gateway` (or open the Clawdbot app).');
  if (setup?.checks.some(needsAttention)) steps.push('Fix the ✗ items above, then check again: `clawdbot channels status --probe`.');
  const automation = setup?.checks.find((c) => c.id === 'automation');
  if (automation?.state !== 'ok') {
    steps.push(`Send yourself a test message (the first send makes macOS ask whether Clawdbot may control Messages; click OK): \`clawdbot message${account} --to imessage:<your phone or email> "Hello from Clawdbot!"\`.`);
  }
  if ((answers.form.dmPolicy ?? 'pairing') === 'pairing') steps.push('When someone texts the assistant, they get a code: `clawdbot pairing list imessage`, then `clawdbot pairing approve imessage <CODE>`.');
  if (model && model.state !== 'ok' && model.state !== 'unknown') steps.push(`Choose the model that answers (${model.detail}): \`${model.fix?.command ?? 'clawdbot config set agents.defaults.model anthropic/claude-opus-4-5'}\`, with its API key in the environment.`);
  steps.push('Check the account any time: `clawdbot channels status --probe`.');
  return steps;
}
