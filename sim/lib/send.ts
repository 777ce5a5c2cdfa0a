// `send`, shared by the RPC method and the CLI command: imsg's validation order and target
// resolution (spec §2.5, §5.9), then the simulated Messages.app writes the outgoing row(s) into
// chat.db (so a watching client sees its own echo), then imsg's verification finds the row's id.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { expandTilde, type SimSettings } from './settings';
import type { OutgoingTarget, Service, SimDb } from './sim-db';
import type { ChatInfo, MessageStore } from './store';
import { automationAnswer } from './automation';
import { LINUX_SEND_FAILURE, NOT_SIGNED_IN_FAILURE } from './texts';

export interface SendRequest {
  to?: string;
  chatId?: number;
  chatIdentifier?: string;
  chatGuid?: string;
  text?: string;
  file?: string;
  service?: string;
  region?: string;
  /** RPC only, 0.8.1+. */
  transport?: string;
}

export type SendFailure =
  | { kind: 'invalidService'; value: string }
  | { kind: 'invalidTransport'; value: string }
  | { kind: 'targetConflict' }
  | { kind: 'missingTo' }
  | { kind: 'missingContent' }
  | { kind: 'unknownChatId'; chatId: number }
  | { kind: 'missingChatIdentifier' }
  | { kind: 'bridge'; invalidParams: boolean; text: string }
  | { kind: 'appleScript'; reason: string };

export class SendError extends Error {
  constructor(readonly failure: SendFailure) {
    super(failure.kind);
  }
}

export interface SendContext {
  store: MessageStore;
  /** The simulated Messages.app (opened lazily: most RPC sessions never send). */
  messages(): SimDb;
  settings: SimSettings;
  /** Run imsg's verification for the sent row's id/guid (RPC, 0.6.0+). */
  verify: boolean;
}

export interface SendOutcome {
  rowid?: number;
  guid?: string;
}

const SERVICES = new Set(['auto', 'imessage', 'sms']);
const TRANSPORTS = new Set(['auto', 'bridge', 'applescript']);
const SERVICE_PREFIX = /^(imessage|sms|auto):/i;

/** A chat identifier that is really a handle gets a direct buddy send (spec §5.9 step 1). */
export function looksLikeHandle(identifier: string): boolean {
  return identifier.includes('@') || /^[+0-9 ()-]+$/.test(identifier) || SERVICE_PREFIX.test(identifier);
}

/** Phone numbers to E.164 (US/CA rules; other regions keep their digits), prefixes stripped, emails as-is. */
export function normalizeHandle(raw: string, region = 'US'): string {
  const handle = raw.trim().replace(SERVICE_PREFIX, '');
  if (handle.includes('@') || !/^[+0-9 ().-]+$/.test(handle)) return handle;
  const digits = handle.replace(/\D/g, '');
  if (handle.startsWith('+')) return `+${digits}`;
  const nanp = region.toUpperCase() === 'US' || region.toUpperCase() === 'CA';
  if (nanp && digits.length === 10) return `+1${digits}`;
  if (nanp && digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return digits;
}

function fail(failure: SendFailure): never {
  throw new SendError(failure);
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export async function performSend(request: SendRequest, ctx: SendContext): Promise<SendOutcome> {
  const { profile } = ctx.settings;
  const service = request.service ?? 'auto';
  if (!SERVICES.has(service === '' ? 'auto' : service)) fail({ kind: 'invalidService', value: service });
  const transport = (request.transport ?? 'auto').toLowerCase();
  if (profile.sendTransport && !TRANSPORTS.has(transport === '' ? 'auto' : transport)) {
    fail({ kind: 'invalidTransport', value: request.transport ?? '' });
  }
  const to = request.to ?? '';
  const hasChat = request.chatId !== undefined || !!request.chatIdentifier || !!request.chatGuid;
  if (to !== '' && hasChat) fail({ kind: 'targetConflict' });
  if (to === '' && !hasChat) fail({ kind: 'missingTo' });
  const text = request.text ?? '';
  const file = request.file ?? '';
  if (text === '' && file === '') fail({ kind: 'missingContent' });
  if (profile.sendTransport && transport === 'bridge') {
    if (!hasChat) fail({ kind: 'bridge', invalidParams: true, text: 'bridge transport requires an existing chat target' });
    if (text !== '' && file !== '') fail({ kind: 'bridge', invalidParams: true, text: 'bridge transport does not support text and file together' });
    fail({ kind: 'bridge', invalidParams: false, text: 'imsg bridge not ready: Messages.app is only available on macOS.' });
  }

  let chat: ChatInfo | null = null;
  let chatIdentifier = request.chatIdentifier ?? '';
  let chatGuid = request.chatGuid ?? '';
  if (request.chatId !== undefined) {
    chat = ctx.store.chatInfo(request.chatId);
    if (!chat) fail({ kind: 'unknownChatId', chatId: request.chatId });
    chatIdentifier = chat.identifier;
    chatGuid = chat.guid;
  }
  if (to === '' && chatIdentifier === '' && chatGuid === '') fail({ kind: 'missingChatIdentifier' });

  let filePath = '';
  if (file !== '') {
    filePath = resolve(expandTilde(file));
    if (statSync(filePath, { throwIfNoEntry: false })?.isFile() !== true) {
      fail({ kind: 'appleScript', reason: `Attachment not found at ${filePath}` });
    }
  }
  if (ctx.settings.linuxSend) fail({ kind: 'appleScript', reason: LINUX_SEND_FAILURE });
  // Driving Messages needs the Automation permission first (the prompt, or -1743), then an
  // iMessage account to send from.
  const refused = await automationAnswer(ctx.settings);
  if (refused !== null) fail({ kind: 'appleScript', reason: refused });
  if (!ctx.messages().signedIn) fail({ kind: 'appleScript', reason: NOT_SIGNED_IN_FAILURE });
  if (ctx.settings.sendDelayMs > 0) await sleep(ctx.settings.sendDelayMs);

  // What the AppleScript addresses, and which chat imsg's verification looks in.
  const directService: Service = service === 'sms' ? 'SMS' : 'iMessage';
  let target: OutgoingTarget;
  let verifyChatId: number | null = chat?.id ?? null;
  const directIdentifier = to !== '' ? to : looksLikeHandle(chatIdentifier) ? chatIdentifier : '';
  if (directIdentifier !== '') {
    const handle = normalizeHandle(directIdentifier, request.region);
    if (!handle.includes('@') && !/^\+?\d+$/.test(handle)) {
      // A contact name that Contacts could not resolve (there are no Contacts here).
      fail({ kind: 'appleScript', reason: `Messages got an error: Can’t get buddy id "${handle}". (-1728)` });
    }
    target = { kind: 'direct', handle, service: directService };
  } else {
    const found = ctx.store.findChat([chatGuid, chatIdentifier].filter((c) => c !== ''));
    if (!found) fail({ kind: 'appleScript', reason: `Messages got an error: Can’t get chat id "${chatGuid || chatIdentifier}". (-1728)` });
    target = { kind: 'chat', chatId: found.id };
    verifyChatId ??= found.id;
  }

  const sentAt = Date.now();
  const deferFromMe = ctx.settings.fromMeDelayMs > 0;
  const messages = ctx.messages();
  const written = messages.recordOutgoing(target, { text, file: filePath }, deferFromMe);
  if (deferFromMe) {
    const rowids = [written.text?.rowid, written.file?.rowid].filter((r): r is number => r !== undefined);
    setTimeout(() => messages.markFromMe(rowids), ctx.settings.fromMeDelayMs);
  }
  if (!ctx.verify || text === '') return {};

  if (target.kind === 'direct' && verifyChatId === null) {
    const candidates = directService === 'SMS'
      ? [`SMS;-;${target.handle}`]
      : service === 'imessage'
        ? [`iMessage;-;${target.handle}`, `any;-;${target.handle}`]
        : [`iMessage;-;${target.handle}`, `any;-;${target.handle}`, `SMS;-;${target.handle}`];
    verifyChatId = ctx.store.findChat([...candidates, target.handle])?.id ?? null;
  }
  // imsg looks for up to 2 s, every 100 ms; the simulated write is already committed, so normally the first look finds it.
  for (let attempt = 0; attempt < 20; attempt++) {
    const row = ctx.store.findSentRow(text, sentAt - 2000, verifyChatId);
    if (row) return { rowid: row.rowid, guid: row.guid };
    await sleep(100);
  }
  return {};
}

/** JSON-RPC error (code, data) for a send failure. */
export function rpcSendError(failure: SendFailure): { code: number; data: string } {
  switch (failure.kind) {
    case 'invalidService': return { code: -32602, data: 'invalid service' };
    case 'invalidTransport': return { code: -32602, data: 'invalid transport' };
    case 'targetConflict': return { code: -32602, data: 'use to or chat_*; not both' };
    case 'missingTo': return { code: -32602, data: 'to is required for direct sends' };
    case 'missingContent': return { code: -32602, data: 'text or file is required' };
    case 'unknownChatId': return { code: -32602, data: `unknown chat_id ${failure.chatId}` };
    case 'missingChatIdentifier': return { code: -32602, data: 'missing chat identifier or guid' };
    case 'bridge': return { code: failure.invalidParams ? -32602 : -32603, data: failure.text };
    case 'appleScript': return { code: -32603, data: `AppleScript failed: ${failure.reason}` };
  }
}

/** The CLI's stdout line for a send failure (readable from 0.7.0, Swift enum dumps before). */
export function cliSendError(failure: SendFailure, readable: boolean): string {
  const quoted = (s: string) => JSON.stringify(s);
  switch (failure.kind) {
    case 'invalidService': return readable ? `Invalid service: ${failure.value}` : `invalidService(${quoted(failure.value)})`;
    case 'invalidTransport': return 'Invalid value for option: --transport';
    case 'targetConflict': return 'Invalid value for option: --to';
    case 'missingTo': return 'Missing required option: --to';
    case 'missingContent': return 'Missing required option: --text or file';
    case 'unknownChatId': return readable ? `Invalid chat target: Unknown chat id ${failure.chatId}` : `invalidChatTarget(${quoted(`Unknown chat id ${failure.chatId}`)})`;
    case 'missingChatIdentifier': return readable ? 'Invalid chat target: Missing chat identifier or guid' : `invalidChatTarget(${quoted('Missing chat identifier or guid')})`;
    case 'bridge': return failure.text;
    case 'appleScript': return readable ? `AppleScript failed: ${failure.reason}` : `appleScriptFailure(${quoted(failure.reason)})`;
  }
}
