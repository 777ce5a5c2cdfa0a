// `clawdbot pairing list|approve|deny|revoke imessage …` (spec imessage-channel §3.5).
//
// The files under <stateDir>/credentials are the source of truth. When a gateway runs, the command
// goes through its control API, so the gateway's events fire (the web UI and menu bar update at
// once) and `--notify` uses its live imsg. Without one — or when it cannot be reached — the files
// are changed directly (under the same cross-process lock); a running gateway applies an approval
// to the very next message either way.
import { ControlClientError } from '../../../contract/control-client';
import type { PairingRequest } from '../../../contract/gateway-api';
import { resolveCredentialsDir } from '../../config/paths';
import { normalizeHandle } from '../../../contract/handles';
import {
  APPROVED_NOTICE,
  cliInvocationFromEnv,
  formatAlreadyApproved,
  formatApproved,
  formatDenied,
  formatDeniedAll,
  formatMalformedCode,
  formatNotified,
  formatNotifyFailed,
  formatPairingList,
  formatPairingListJson,
  formatRevoked,
  formatTooManyArguments,
  formatUnresolvedCode,
  formatUnsupportedChannel,
  formatUsage,
  pairingReplyTarget,
  type PairingAction,
} from '../../pairing/messages';
import { PairingStore, PairingStoreError } from '../../pairing/store';
import { connectToGateway, refuseBehindGateway, type GatewayLookup } from '../gateway-connection';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, gatewayNow } from '../output';
import { loadConfigOrExplain, pickAccount, sendDirect } from './accounts';

export interface PairingOptions {
  channel?: string;
  notify?: boolean;
  json?: boolean;
  /** `deny --all`: every pending request. */
  all?: boolean;
}

const CHANNEL_ALIASES = new Set(['imessage', 'imsg']);

/** Checks `<channel> <arg>` / `--channel <channel> <arg>`; returns the action's argument. */
export function parsePairingArgs(action: PairingAction, args: readonly string[], channelOption: string | undefined, all = false): string | undefined {
  const cli = cliInvocationFromEnv(process.env);
  const wantsArgument = action !== 'list' && !all;
  let channel = channelOption;
  let rest = [...args];
  if (channel !== undefined) {
    if (rest.length > (wantsArgument ? 1 : 0)) throw new CliError(formatTooManyArguments(action, cli), EXIT_USAGE);
  } else if (action === 'list' && rest.length === 0) {
    // iMessage is the only channel: `clawdbot pairing list` is unambiguous.
    channel = 'imessage';
  } else {
    channel = rest.shift();
    if (rest.length > (wantsArgument ? 1 : 0)) throw new CliError(formatTooManyArguments(action, cli), EXIT_USAGE);
  }
  if (channel === undefined || (wantsArgument && rest.length === 0)) throw new CliError(formatUsage(action, cli), EXIT_USAGE);
  if (!CHANNEL_ALIASES.has(channel.trim().toLowerCase())) throw new CliError(formatUnsupportedChannel(channel), EXIT_USAGE);
  return rest[0];
}

export async function runPairing(action: PairingAction, args: string[], opts: PairingOptions): Promise<number> {
  if (opts.all && action !== 'deny') throw new CliError(`--all works with \`pairing deny\` only.`, EXIT_USAGE);
  const argument = parsePairingArgs(action, args, opts.channel, opts.all);
  if ((action === 'approve' || action === 'deny') && !opts.all) {
    // Not even shaped like a code: nothing can match it. Say which characters are wrong.
    const malformed = formatMalformedCode(argument!);
    if (malformed) throw new CliError(malformed, EXIT_USAGE, 'Copy the code from the pairing reply, or list pending codes with `clawdbot pairing list imessage`.');
  }

  const lookup = await connectToGateway();
  if (lookup.kind === 'unreachable') {
    // Reading the files is harmless; changing them behind a running gateway's back is not.
    if (action !== 'list') throw refuseBehindGateway(lookup, 'changing the pairing files');
    process.stderr.write(`Gateway not reachable (${lookup.message}); listing the pairing files directly.\n`);
  }
  try {
    return lookup.kind === 'running' ? await viaGateway(action, argument, opts, lookup) : await viaFiles(action, argument, opts, lookup.stateDir);
  } finally {
    if (lookup.kind === 'running') lookup.close();
  }
}

async function viaGateway(action: PairingAction, argument: string | undefined, opts: PairingOptions, lookup: Extract<GatewayLookup, { kind: 'running' }>): Promise<number> {
  const { client } = lookup;
  try {
    switch (action) {
      case 'list': {
        const [{ requests }, status] = await Promise.all([client.request('pairing.list', {}), client.request('status', {})]);
        // Ages and time left on the gateway's clock, which stamped the requests.
        return printList(requests, opts, status.maxPendingPairing, gatewayNow(status));
      }
      case 'approve': {
        const result = await client.request('pairing.approve', { code: argument!, ...(opts.notify ? { notify: true } : {}) });
        if (result.alreadyApproved) return printAlreadyApproved(result.approved, opts);
        return printApproved(result.approved, opts, opts.notify ? { notified: result.notified, ...(result.notifyError ? { error: result.notifyError } : {}) } : undefined);
      }
      case 'deny':
        if (opts.all) return printDeniedAll((await client.request('pairing.denyAll', {})).denied, opts);
        return printDenied((await client.request('pairing.deny', { code: argument! })).denied, opts);
      case 'revoke':
        return printRevoked(argument!, (await client.request('pairing.revoke', { sender: argument! })).revoked, opts);
    }
  } catch (error) {
    if (error instanceof ControlClientError) {
      const code = error.code === 'not_found' ? EXIT_FAILURE : error.code === 'bad_request' ? EXIT_USAGE : EXIT_FAILURE;
      throw new CliError(error.message, code, error.fix);
    }
    throw error;
  }
}

async function viaFiles(action: PairingAction, argument: string | undefined, opts: PairingOptions, stateDir: string): Promise<number> {
  const store = new PairingStore({ credentialsDir: resolveCredentialsDir(stateDir) });
  try {
    switch (action) {
      case 'list':
        return printList(await store.list(), opts, store.maxPending);
      case 'approve': {
        const approved = await store.approve(argument!);
        if (!approved) {
          const earlier = await store.resolution(argument!);
          if (earlier?.outcome === 'approved') return printAlreadyApproved(earlier.request, opts);
          throw new CliError(formatUnresolvedCode(argument!, earlier), EXIT_FAILURE, 'List pending requests with `clawdbot pairing list imessage` (codes expire after 1 hour).');
        }
        return printApproved(approved, opts, opts.notify ? await notifyDirect(approved, stateDir) : undefined);
      }
      case 'deny': {
        if (opts.all) return printDeniedAll(await store.denyAll(), opts);
        const denied = await store.deny(argument!);
        if (!denied) throw new CliError(formatUnresolvedCode(argument!, await store.resolution(argument!)), EXIT_FAILURE, 'List pending requests with `clawdbot pairing list imessage`.');
        return printDenied(denied, opts);
      }
      case 'revoke':
        return printRevoked(argument!, await store.revoke(argument!), opts);
    }
  } catch (error) {
    if (error instanceof PairingStoreError) {
      throw new CliError(error.message, error.code === 'invalid-sender' ? EXIT_USAGE : EXIT_FAILURE, error.preservedAt ? `The unreadable file was kept as ${error.preservedAt}.` : undefined);
    }
    throw error;
  }
}

/**
 * `--notify` without a gateway: a direct send through a short-lived `imsg rpc` of the account the
 * request came in on, into the chat its code was sent in.
 */
async function notifyDirect(request: PairingRequest, stateDir: string): Promise<{ notified: boolean; error?: string }> {
  try {
    const loaded = await loadConfigOrExplain();
    const account = pickAccount(loaded, request.accountId);
    await sendDirect(account, stateDir, { target: pairingReplyTarget({ chatId: request.chatId ?? null, sender: request.id }), text: APPROVED_NOTICE });
    return { notified: true };
  } catch (error) {
    const err = error as Error & { fix?: string };
    return { notified: false, error: err.fix ? `${err.message} (${err.fix})` : err.message };
  }
}

function printList(requests: PairingRequest[], opts: PairingOptions, maxPending: number, now: number = Date.now()): number {
  process.stdout.write(`${opts.json ? formatPairingListJson(requests) : formatPairingList(requests, { maxPending, now, ...cliInvocationFromEnv(process.env) })}\n`);
  return EXIT_OK;
}

function printAlreadyApproved(approved: PairingRequest, opts: PairingOptions): number {
  process.stdout.write(opts.json ? `${JSON.stringify({ channel: 'imessage', approved, alreadyApproved: true }, null, 2)}\n` : `${formatAlreadyApproved(approved)}\n`);
  return EXIT_OK;
}

function printDeniedAll(denied: PairingRequest[], opts: PairingOptions): number {
  process.stdout.write(opts.json ? `${JSON.stringify({ channel: 'imessage', denied }, null, 2)}\n` : `${formatDeniedAll(denied)}\n`);
  return EXIT_OK;
}

function printApproved(approved: PairingRequest, opts: PairingOptions, notify?: { notified: boolean; error?: string }): number {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ channel: 'imessage', approved, ...(notify ? { notified: notify.notified, ...(notify.error ? { notifyError: notify.error } : {}) } : {}) }, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatApproved(approved)}\n`);
    if (notify?.notified) process.stdout.write(`${formatNotified(approved)}\n`);
  }
  if (notify && !notify.notified) {
    process.stderr.write(`${formatNotifyFailed(new Error(notify.error ?? 'unknown error'))}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

function printDenied(denied: PairingRequest, opts: PairingOptions): number {
  process.stdout.write(opts.json ? `${JSON.stringify({ channel: 'imessage', denied }, null, 2)}\n` : `${formatDenied(denied)}\n`);
  return EXIT_OK;
}

function printRevoked(rawSender: string, revoked: boolean, opts: PairingOptions): number {
  const sender = normalizeHandle(rawSender);
  process.stdout.write(opts.json ? `${JSON.stringify({ channel: 'imessage', sender, revoked }, null, 2)}\n` : `${formatRevoked(sender, revoked)}\n`);
  return revoked ? EXIT_OK : EXIT_FAILURE;
}
