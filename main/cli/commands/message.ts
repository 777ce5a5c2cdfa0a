// `clawdbot message --to <target> "<text>"` (the tutorial's form) and
// `clawdbot message send --channel imessage --target <target> -m "<text>" [--media <path>]` (the
// original's form). With a running gateway the message goes through it (its live imsg, its health
// records the send); without one, through a short-lived `imsg rpc` of the account (as the
// original's CLI always does).
import { isAbsolute, resolve } from 'node:path';
import { ControlClientError } from '../../../contract/control-client';
import { resolveStateDir } from '../../config/paths';
import { formatTarget, parseTarget } from '../../imessage/targets';
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

async function deliver(request: Delivery): Promise<number> {
  let where: string;
  try {
    where = formatTarget(parseTarget(request.target));
  } catch (error) {
    throw new CliError(`Invalid target "${request.target}": ${(error as Error).message}.`, EXIT_USAGE, 'Write it as imessage:+15555550123, sms:+1555…, user@example.com, chat_id:42, chat_guid:… or chat_identifier:….');
  }
  const text = request.text.trim() === '' ? undefined : request.text;
  if (text === undefined && !request.media) throw new CliError(`Nothing to send: give the message text (or --media).\n${SHORT_USAGE}`, EXIT_USAGE);
  // The gateway runs in another folder: a relative media path must mean this shell's folder.
  const media = request.media && !/^[a-z][a-z0-9+.-]*:\/\//i.test(request.media) && !isAbsolute(request.media) ? resolve(request.media) : request.media;

  if (request.dryRun) {
    const payload = { via: 'dry-run', to: where, ...(request.account ? { accountId: request.account } : {}), ...(text !== undefined ? { text } : {}), ...(media ? { media } : {}) };
    print(request, { action: 'send', channel: 'imessage', dryRun: true, handledBy: 'none', payload }, `Dry run: would send via iMessage to ${where}${media ? ` with ${media}` : ''}: ${text ?? ''}`);
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
      report(request, 'gateway', where, result.accountId, result.messageIds);
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
    result = await sendDirect(account, resolveStateDir(), { target: request.target, ...(text !== undefined ? { text } : {}), ...(media ? { media } : {}) });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError((error as Error).message, EXIT_FAILURE);
  }
  report(request, 'direct', where, account.accountId, result.messageIds);
  return EXIT_OK;
}

function report(request: Delivery, via: 'gateway' | 'direct', to: string, accountId: string, messageIds: string[]): void {
  const payload = { via, to, accountId, chunks: messageIds.length, messageId: messageIds[0] ?? 'unknown', messageIds };
  const text =
    messageIds.length > 1
      ? `✅ Sent via iMessage (${messageIds.length} messages). Message IDs: ${messageIds.join(', ')}`
      : `✅ Sent via iMessage. Message ID: ${messageIds[0] ?? 'unknown'}`;
  print(request, { action: 'send', channel: 'imessage', dryRun: false, handledBy: via, payload }, text);
}

function print(request: Delivery, json: unknown, text: string): void {
  process.stdout.write(request.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
}
