// `clawdbot message --to <target> "<text>"` (the tutorial's form) and
// `clawdbot message send --channel imessage --target <target> -m "<text>" [--media <path>]` (the
// original's form). With a running gateway the message goes through it (its live imsg, its health
// records the send); without one, through a short-lived `imsg rpc` of the account (as the
// original's CLI always does).
//
// The target is checked against its grammar before anything is sent (targets.ts parseUserTarget:
// phone numbers with the account's region, e-mail addresses, chat forms, known prefixes only); the
// result names what the message went out as, and a message id only when imsg returned one.
import { isAbsolute, resolve } from 'node:path';
import { ControlClientError } from '../../../contract/control-client';
import { displaySafe } from '../../../contract/display-text';
import type { SendMessageResult } from '../../../contract/gateway-api';
import { loadConfig } from '../../config/load';
import { resolveStateDir } from '../../config/paths';
import { formatTarget, parseUserTarget, TargetError } from '../../imessage/targets';
import { connectToGateway, refuseBehindGateway } from '../gateway-connection';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../output';
import { loadConfigOrExplain, pickAccount, sendDirect } from './accounts';

export interface MessageOptions {
  media?: string;
  account?: string;
  json?: boolean;
  dryRun?: boolean;
}

const SHORT_USAGE = 'Usage: clawdbot message --to imessage:+15555550123 "Hello from Clawdbot!"  (or: clawdbot message send --channel imessage --target <target> -m <text>)';

export async function messageShortForm(words: string[], opts: MessageOptions & { to?: string }): Promise<number> {
  if (!opts.to) throw new CliError(`Missing --to <target>.\n${SHORT_USAGE}`, EXIT_USAGE);
  return deliver({ target: opts.to, text: words.join(' '), ...opts });
}

export async function messageSend(opts: MessageOptions & { channel: string; target?: string; message?: string }): Promise<number> {
  const channel = opts.channel.trim().toLowerCase();
  if (channel !== 'imessage' && channel !== 'imsg') throw new CliError(`Channel ${opts.channel} is not supported: Clawdbot for Mac only has the imessage channel.`, EXIT_USAGE);
  if (!opts.target) throw new CliError(`Missing --target <target>.\n${SHORT_USAGE}`, EXIT_USAGE);
  return deliver({ target: opts.target, text: opts.message ?? '', ...opts });
}

interface Delivery extends MessageOptions {
  target: string;
  text: string;
}

/** The region phone numbers without a country code are read in: the account's, else US. Best effort: the gateway checks again with its own. */
async function regionFor(accountId: string | undefined): Promise<string> {
  try {
    return pickAccount(await loadConfig(), accountId).region;
  } catch {
    return 'US';
  }
}

async function deliver(request: Delivery): Promise<number> {
  let where: string;
  try {
    where = formatTarget(parseUserTarget(request.target, { region: await regionFor(request.account) }));
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    throw new CliError(`Invalid target "${displaySafe(request.target)}": ${error.message}.`, EXIT_USAGE, error.fix);
  }
  const text = request.text.trim() === '' ? undefined : request.text;
  if (text === undefined && !request.media) throw new CliError(`Nothing to send: give the message text (or --media).\n${SHORT_USAGE}`, EXIT_USAGE);
  // The gateway runs in another folder: a relative media path must mean this shell's folder.
  const media = request.media && !/^[a-z][a-z0-9+.-]*:\/\//i.test(request.media) && !isAbsolute(request.media) ? resolve(request.media) : request.media;

  if (request.dryRun) {
    const payload = { via: 'dry-run', to: where, ...(request.account ? { accountId: request.account } : {}), ...(text !== undefined ? { text } : {}), ...(media ? { media } : {}) };
    print(request, { action: 'send', channel: 'imessage', dryRun: true, handledBy: 'none', payload }, `Dry run: would send to ${where}${media ? ` with ${media}` : ''}: ${text ?? ''}`);
    return EXIT_OK;
  }

  const lookup = await connectToGateway();
  if (lookup.kind === 'running') {
    try {
      const result = await lookup.client.request('message.send', {
        target: request.target,
        ...(text !== undefined ? { text } : {}),
        ...(media ? { media } : {}),
        ...(request.account ? { accountId: request.account } : {}),
      });
      report(request, 'gateway', where, result);
      return EXIT_OK;
    } catch (error) {
      if (error instanceof ControlClientError) throw new CliError(error.message, error.code === 'bad_request' ? EXIT_USAGE : EXIT_FAILURE, error.fix);
      throw error;
    } finally {
      lookup.close();
    }
  }
  // A second imsg next to a running gateway's would send behind its back (and outside its health).
  if (lookup.kind === 'unreachable') throw refuseBehindGateway(lookup, 'sending through a second imsg');

  const loaded = await loadConfigOrExplain();
  const account = pickAccount(loaded, request.account);
  let result;
  try {
    // The checked target (phone numbers as E.164 with this account's region).
    const checked = formatTarget(parseUserTarget(request.target, { region: account.region }));
    result = await sendDirect(account, resolveStateDir(), { target: checked, ...(text !== undefined ? { text } : {}), ...(media ? { media } : {}) });
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof TargetError) throw new CliError(error.message, EXIT_USAGE, error.fix);
    throw new CliError((error as Error).message, EXIT_FAILURE);
  }
  report(request, 'direct', where, { accountId: account.accountId, chunks: result.chunks, messageIds: result.messageIds, sentVia: result.sentVia });
  return EXIT_OK;
}

/**
 * `✅ Sent via SMS to sms:+15555550123. Message ID: 8DF9…` — the service it went out as (a chat
 * addressed by id keeps its own), and the ids imsg returned (none with an older imsg).
 */
export function formatSent(to: string, result: Pick<SendMessageResult, 'chunks' | 'messageIds' | 'sentVia'>): string {
  const how = result.sentVia ? `via ${result.sentVia} to ${to}` : `to ${to} (over the chat's own service, iMessage or SMS)`;
  const count = result.chunks > 1 ? ` as ${result.chunks} messages` : '';
  const ids = result.messageIds.length === 0 ? '' : result.messageIds.length === 1 ? ` Message ID: ${result.messageIds[0]}` : ` Message IDs: ${result.messageIds.join(', ')}`;
  return `✅ Sent ${how}${count}.${ids}`;
}

function report(request: Delivery, via: 'gateway' | 'direct', to: string, result: SendMessageResult): void {
  const { accountId, chunks, messageIds, sentVia } = result;
  const payload = { via, to, accountId, sentVia, chunks, ...(messageIds[0] ? { messageId: messageIds[0] } : {}), messageIds };
  print(request, { action: 'send', channel: 'imessage', dryRun: false, handledBy: via, payload }, formatSent(to, result));
}

function print(request: Delivery, json: unknown, text: string): void {
  process.stdout.write(request.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
}
