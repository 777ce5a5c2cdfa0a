// What the CLI knows about iMessage accounts without a gateway: the config's resolved accounts and
// a direct probe of each (the same probe the gateway runs), plus a short-lived `imsg rpc` client
// for direct sends. Shared by `channels status`, `doctor`, `message` and `pairing approve --notify`.
import type { ProbeResult } from '../../../contract/gateway-api';
import { resolveDefaultAccountId, resolveImessageAccounts } from '../../config/accounts';
import { ConfigError } from '../../config/errors';
import { loadConfig, type LoadedConfig } from '../../config/load';
import type { ResolvedImessageAccount } from '../../config/types';
import { sendImessage, type SendImessageResult } from '../../imessage/outbound';
import { classifyExit, probeImsg } from '../../imessage/probe';
import { ImsgRpcClient } from '../../imessage/rpc-client';
import type { ImessageService } from '../../config/types';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../output';

/** Loads the config for a command that cannot work without it; a broken file is a usage error with its issues. */
export async function loadConfigOrExplain(env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  try {
    return await loadConfig({ env });
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliError(error.message, error.kind === 'io' ? EXIT_FAILURE : EXIT_USAGE, 'Fix the config file (`clawdbot config validate` lists every problem).');
    }
    throw error;
  }
}

export function configuredAccounts(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): ResolvedImessageAccount[] {
  return resolveImessageAccounts(loaded.config, env);
}

/** The account a send goes through: `--account`, else the config's default account. */
export function pickAccount(loaded: LoadedConfig, accountId: string | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedImessageAccount {
  const accounts = configuredAccounts(loaded, env);
  const wanted = accountId ?? resolveDefaultAccountId(loaded.config);
  const account = accounts.find((candidate) => candidate.accountId === wanted);
  if (!account) {
    throw new CliError(`No iMessage account "${wanted}" (accounts: ${accounts.map((a) => a.accountId).join(', ')}).`, EXIT_USAGE, 'Use an id from channels.imessage.accounts, or omit --account.');
  }
  if (!account.enabled) throw new CliError(`iMessage account ${account.accountId} is disabled.`, EXIT_FAILURE, 'Set its `enabled` to true in the config.');
  return account;
}

/** Runs the full probe against an account's imsg, exactly as the gateway would. */
export function probeAccount(account: ResolvedImessageAccount, env: NodeJS.ProcessEnv = process.env): Promise<ProbeResult> {
  return probeImsg({ cliPath: account.cliPath, ...(account.dbPath ? { dbPath: account.dbPath } : {}), env });
}

export interface DirectSend {
  target: string;
  text?: string;
  media?: string;
  service?: ImessageService;
}

/**
 * Sends through a short-lived `<cliPath> rpc` (as the original's CLI always does): start, send,
 * stop. A failure to start imsg is explained with the probe's classification (missing binary,
 * Full Disk Access, …).
 */
export async function sendDirect(account: ResolvedImessageAccount, stateDir: string, send: DirectSend, env: NodeJS.ProcessEnv = process.env): Promise<SendImessageResult> {
  const client = new ImsgRpcClient({ cliPath: account.cliPath, ...(account.dbPath ? { dbPath: account.dbPath } : {}), env });
  try {
    await client.start();
  } catch {
    const failure = classifyExit(await client.waitForExit(), { cliPath: account.cliPath, ...(account.dbPath ? { dbPath: account.dbPath } : {}) });
    throw new CliError(failure.message, EXIT_FAILURE, failure.fix);
  }
  try {
    return await sendImessage(client, account, {
      target: send.target,
      stateDir,
      ...(send.text !== undefined ? { text: send.text } : {}),
      ...(send.media !== undefined ? { media: send.media } : {}),
      ...(send.service !== undefined ? { service: send.service } : {}),
    });
  } catch (error) {
    // imsg gone mid-send (no Full Disk Access, an SSH wrapper that cannot log in): say why.
    const exit = client.exited;
    if (exit && !exit.expected) {
      const failure = classifyExit(exit, { cliPath: account.cliPath, ...(account.dbPath ? { dbPath: account.dbPath } : {}) });
      throw new CliError(failure.message, EXIT_FAILURE, failure.fix);
    }
    throw error;
  } finally {
    await client.stop();
  }
}
