// The control API, defined once: every method with the zod schema of its params and the type of its
// result (CONTROL_METHODS), every event with the type of its payload (CONTROL_EVENT_PAYLOADS), and
// the frames that carry them over the WebSocket. Everything else derives from these two tables: the
// method and event lists, the server's validation (main/gateway/control-session.ts), the handlers
// the gateway implements (main/gateway/services.ts) and the typed client (control-client.ts). A new
// method is one entry here; the compiler then points at every side that must answer or may call it.
//
// Params are validated by the server, so they are zod schemas: a client sends `z.input` of the
// schema (ControlParams), the service receives `z.output` (ValidatedParams: trimmed, codes
// normalized). Results and events come from the gateway itself and are not re-checked, so the
// tables carry only their types (`returns<T>()`, `payload<T>()`: markers with no run-time content).
//
// This file loads zod. The browser side (renderer/, control-client.ts) imports it with `import type`
// only, which keeps zod out of the web bundle; run-time constants are in constants.ts.
import { z } from 'zod';
import { DM_POLICIES, GROUP_POLICIES, type ClawdbotConfig, type ConfigPatch } from './config';
import { IMESSAGE_SERVICES } from './constants';
import type {
  AccessLogEntry,
  ApprovedSender,
  ControlError,
  DemoSentMessage,
  GatewayStatus,
  LogRecord,
  PairingEvent,
  PairingRequest,
  ProbeResult,
  SendMessageResult,
} from './gateway-api';
import { isPlainHandle } from './handles';
import { describePairingCodeProblem, isValidPairingCode, normalizePairingCode } from './pairing-code';
import type { SetupCheck, SetupSnapshot, SshTestResult, SshWrapperResult, TestSendResult } from './setup';
import { REMOTE_PATH_HINT, REMOTE_PATH_PATTERN, SETTINGS_PANES, SSH_TARGET_HINT, SSH_TARGET_PATTERN } from './setup';

// ---------------------------------------------------------------------------------------------
// Type markers
// ---------------------------------------------------------------------------------------------

declare const carried: unique symbol;
/** A type carried by a table entry; holds nothing at run time. */
export interface Carries<T> {
  readonly [carried]?: T;
}
/** The result type of a method (what the gateway answers). */
const returns = <T>(): Carries<T> => ({});
/** The payload type of an event (what the gateway pushes). */
const payload = <T>(): Carries<T> => ({});

type Carried<C> = C extends Carries<infer T> ? T : never;

// ---------------------------------------------------------------------------------------------
// Params schemas
// ---------------------------------------------------------------------------------------------
// Params objects are strict: an unknown key is a client bug worth reporting, not something to ignore.

const empty = z.strictObject({});
const accountId = z.string().trim().min(1).max(64);
const limit = z.int().min(1).max(5000);

// Malformed codes are refused here, but still count against the approve/deny rate limit (the
// server takes the token before validating).
const pairingCode = z
  .string()
  .max(64)
  .transform(normalizePairingCode)
  .superRefine((code, ctx) => {
    // Says which characters are wrong (WRONG123: "O" and "1"), not only what a code looks like.
    if (!isValidPairingCode(code)) ctx.addIssue({ code: 'custom', message: describePairingCodeProblem(code) ?? 'not a pairing code, e.g. ABCD2345' });
  });

const connectParams = z.strictObject({
  token: z.string().max(1024),
  client: z.strictObject({ name: z.string().min(1).max(64), version: z.string().max(64).optional() }),
  protocol: z.int(),
});

const sendParams = z
  .strictObject({
    /** Target in the grammar of the spec: `imessage:+1555…`, `chat_id:42`, `user@example.com`, … */
    target: z.string().trim().min(1).max(1024),
    text: z.string().max(64 * 1024).optional(),
    /** Local path or http(s) URL. */
    media: z.string().trim().min(1).max(4096).optional(),
    accountId: accountId.optional(),
    service: z.enum(IMESSAGE_SERVICES).optional(),
  })
  .refine((p) => (p.text !== undefined && p.text.length > 0) || p.media !== undefined, {
    message: 'give text, media, or both',
  });

function isPhoneOrEmail(value: string): boolean {
  if (/^\+?[0-9 ().-]+$/.test(value)) return value.replace(/\D/g, '').length >= 3;
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

// Demo mode's "receive a message" form: the sender must look like what Messages would show (a
// phone number or an email address), so the pairing flow behaves as it does for real senders.
const demoSender = z
  .string()
  .trim()
  .min(1, 'give the sender, e.g. +15555550123 or someone@example.com')
  .max(64)
  .refine(isPhoneOrEmail, 'the sender must be a phone number (e.g. +15555550123) or an email address');

const demoInjectParams = z.strictObject({
  /** The sender: a phone number (`+15555550123`) or an email address. */
  from: demoSender,
  text: z.string().max(4000).refine((t) => t.trim().length > 0, 'the message is empty'),
  /** Deliver into this group chat (chat ROWID; created with `name` if it does not exist). */
  group: z
    .strictObject({
      id: z.int().min(1).max(2 ** 31 - 1),
      name: z.string().trim().min(1).max(100).optional(),
    })
    .optional(),
});

// ---- Setup and accounts (the onboarding wizard, the account screens, `clawdbot channels add`) ----

// The grammars live in setup.ts (the gateway and the CLI check the same values again).
const sshTarget = z.string().trim().max(300).regex(SSH_TARGET_PATTERN, SSH_TARGET_HINT);
const remotePath = z.string().trim().max(1024).regex(REMOTE_PATH_PATTERN, REMOTE_PATH_HINT);

const handleToText = z
  .string()
  .trim()
  .min(1, 'give the phone number or email address to text, e.g. +15555550123')
  .max(320)
  .refine(isPlainHandle, 'the recipient must be a phone number (e.g. +15555550123) or an email address, without spaces or shell characters');

/** An account as the account form edits it; keys as in `channels.imessage.accounts.<id>`. */
const accountFields = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  enabled: z.boolean().optional(),
  cliPath: z.string().trim().min(1).max(4096).optional(),
  dbPath: z.string().trim().min(1).max(4096).optional(),
  remoteHost: z.string().trim().min(1).max(300).optional(),
  /** Run imsg over SSH (a dedicated Mac user, or another Mac): writes the wrapper and uses it as cliPath. */
  ssh: z.strictObject({ target: sshTarget, remoteCliPath: remotePath.optional() }).optional(),
  dmPolicy: z.enum(DM_POLICIES).optional(),
  allowFrom: z.array(z.string().trim().min(1).max(320)).max(1000).optional(),
  groupPolicy: z.enum(GROUP_POLICIES).optional(),
  groupAllowFrom: z.array(z.string().trim().min(1).max(320)).max(1000).optional(),
});

/** The same fields for an update: each may also be null, which removes the key from the account. */
const accountChanges = z.strictObject(
  Object.fromEntries(Object.entries(accountFields.shape).map(([key, field]) => [key, field.unwrap().nullable().optional()])) as {
    [K in keyof typeof accountFields.shape]: z.ZodOptional<z.ZodNullable<(typeof accountFields.shape)[K]['_zod']['def']['innerType']>>;
  },
);

// The server checks only that a patch is an object; the merged result is then validated as a whole
// config (main/config/write.ts), which reports every problem with its key path and fix. The static
// type is the deep-partial patch of what the file may contain (contract/config.ts ConfigPatch).
const configPatch = z.record(z.string(), z.unknown()) as unknown as z.ZodType<ConfigPatch, ConfigPatch>;

// ---------------------------------------------------------------------------------------------
// Methods
// ---------------------------------------------------------------------------------------------

/** Every control API method: the schema of its params and the type of its result. */
export const CONTROL_METHODS = {
  /** The handshake: must be the first request of a connection. Answered by the server itself. */
  connect: {
    params: connectParams,
    result: returns<{ protocol: number; server: { version: string; pid: number }; status: GatewayStatus }>(),
  },
  status: { params: empty, result: returns<GatewayStatus>() },
  'channels.probe': { params: z.strictObject({ accountId: accountId.optional() }), result: returns<{ accounts: { accountId: string; probe: ProbeResult }[] }>() },
  'channels.restart': { params: z.strictObject({ accountId: accountId.optional() }), result: returns<{ restarted: string[] }>() },
  'pairing.list': { params: empty, result: returns<{ requests: PairingRequest[] }>() },
  'pairing.approve': {
    params: z.strictObject({ code: pairingCode, notify: z.boolean().optional() }),
    /**
     * `notifyError`: why the approval notice could not be sent (the approval itself succeeded).
     * `alreadyApproved`: the code had been approved earlier (within its hour); nothing changed.
     */
    result: returns<{ approved: PairingRequest; notified: boolean; notifyError?: string; alreadyApproved?: boolean }>(),
  },
  'pairing.deny': { params: z.strictObject({ code: pairingCode }), result: returns<{ denied: PairingRequest }>() },
  /** Denies every pending request (strangers holding all the slots); `denied` is empty when none was pending. */
  'pairing.denyAll': { params: empty, result: returns<{ denied: PairingRequest[] }>() },
  'pairing.revoke': { params: z.strictObject({ sender: z.string().trim().min(1).max(320) }), result: returns<{ revoked: boolean }>() },
  'allowlist.list': { params: empty, result: returns<{ approved: ApprovedSender[]; configured: string[] }>() },
  'accessLog.tail': { params: z.strictObject({ limit: limit.optional() }), result: returns<{ entries: AccessLogEntry[] }>() },
  'message.send': { params: sendParams, result: returns<SendMessageResult>() },
  /** The config in force (the last valid one) and the error of the last rejected reload. */
  'config.get': { params: empty, result: returns<{ path: string; config: ClawdbotConfig; error: string | null }>() },
  /** Deep-merges `patch` into the config file; `null` deletes a key. Validated before writing. */
  'config.patch': { params: z.strictObject({ patch: configPatch }), result: returns<{ path: string; config: ClawdbotConfig }>() },
  'logs.tail': { params: z.strictObject({ limit: limit.optional() }), result: returns<{ records: LogRecord[] }>() },
  'gateway.restart': { params: empty, result: returns<{ restarting: true }>() },
  /** Every setup check of every account (and the model), as last computed. Pushed as `setup` events. */
  'setup.get': { params: empty, result: returns<SetupSnapshot>() },
  /** Runs the checks again now (one account, or all) and answers the new snapshot. */
  'setup.check': { params: z.strictObject({ accountId: accountId.optional() }), result: returns<SetupSnapshot>() },
  /** A test message through the account's sender: the Automation check's real answer (raises the macOS prompt). */
  'setup.testSend': {
    params: z.strictObject({ accountId: accountId.optional(), to: handleToText, text: z.string().trim().min(1).max(1000).optional() }),
    result: returns<TestSendResult>(),
  },
  /** A minimal request to the configured model, with a timeout: ok, rejected key, or unreachable. */
  'setup.testModel': { params: empty, result: returns<SetupCheck>() },
  /** Writes `~/.clawdbot/scripts/imsg-<account>` for `target`; a different existing file is kept unless `replace`. */
  'setup.sshWrapper': {
    params: z.strictObject({ accountId, target: sshTarget, remoteCliPath: remotePath.optional(), replace: z.boolean().optional() }),
    result: returns<SshWrapperResult>(),
  },
  /** Tests an SSH target step by step (reach, host key, login, imsg, rpc, Full Disk Access there). */
  'setup.testSsh': { params: z.strictObject({ target: sshTarget, remoteCliPath: remotePath.optional() }), result: returns<SshTestResult>() },
  /** Opens a System Settings pane on this Mac (`opened: false` with the reason elsewhere). */
  'setup.openSettings': {
    params: z.strictObject({ pane: z.enum(Object.keys(SETTINGS_PANES) as [keyof typeof SETTINGS_PANES, ...(keyof typeof SETTINGS_PANES)[]]) }),
    result: returns<{ opened: boolean; reason?: string }>(),
  },
  /** Adds an iMessage account in one validated config write (nothing written on error: `issues` per field). */
  'accounts.add': { params: z.strictObject({ accountId, account: accountFields }), result: returns<{ accountId: string; path: string }>() },
  /** Changes an account's keys in one validated write; a key set to null is removed (the account inherits it again). */
  'accounts.update': {
    params: z.strictObject({ accountId, changes: accountChanges }),
    result: returns<{ accountId: string; path: string }>(),
  },
  'accounts.remove': { params: z.strictObject({ accountId }), result: returns<{ removed: boolean; path: string }>() },
  /** Demo mode only (else `unavailable`): writes an inbound message into the simulated chat.db. */
  'demo.inject': { params: demoInjectParams, result: returns<{ rowid: number }>() },
  /** Demo mode only (else `unavailable`): the last `limit` (default 20) messages sent, oldest first. */
  'demo.sent': { params: z.strictObject({ limit: z.int().min(1).max(100).optional() }), result: returns<{ messages: DemoSentMessage[] }>() },
} satisfies Record<string, { params: z.ZodType; result: Carries<unknown> }>;

export type ControlMethod = keyof typeof CONTROL_METHODS;
/** Params as a client sends them. */
export type ControlParams<M extends ControlMethod> = z.input<(typeof CONTROL_METHODS)[M]['params']>;
/** Params as the server hands them to the service, after validation (trimmed, codes normalized). */
export type ValidatedParams<M extends ControlMethod> = z.output<(typeof CONTROL_METHODS)[M]['params']>;
export type ControlResult<M extends ControlMethod> = Carried<(typeof CONTROL_METHODS)[M]['result']>;
/** Request → response shapes of every method, as one type. */
export type ControlMethods = { [M in ControlMethod]: { params: ControlParams<M>; result: ControlResult<M> } };

/** Every method the gateway's services answer: all of them but the handshake. */
export type ServiceMethod = Exclude<ControlMethod, 'connect'>;
export const SERVICE_METHODS = (Object.keys(CONTROL_METHODS) as ControlMethod[]).filter((method): method is ServiceMethod => method !== 'connect');

export function isServiceMethod(name: string): name is ServiceMethod {
  return name !== 'connect' && Object.hasOwn(CONTROL_METHODS, name);
}

/** `message.send` as the channel receives it. */
export type SendMessageParams = ValidatedParams<'message.send'>;
/** `demo.inject` as the web UI's form sends it. */
export type DemoInjectParams = ControlParams<'demo.inject'>;

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** Every event the gateway pushes to authenticated clients, with its payload type. */
export const CONTROL_EVENT_PAYLOADS = {
  /** The whole-gateway status, whenever it changes. */
  health: payload<GatewayStatus>(),
  pairing: payload<PairingEvent>(),
  accessLog: payload<AccessLogEntry>(),
  log: payload<LogRecord>(),
  /** The setup checks changed (probe, restart, config change, test send). */
  setup: payload<SetupSnapshot>(),
  /** The gateway stops; with `restartExpectedMs` when it restarts in-process. */
  shutdown: payload<{ reason: string; restartExpectedMs?: number }>(),
};

export type ControlEvents = { [E in keyof typeof CONTROL_EVENT_PAYLOADS]: Carried<(typeof CONTROL_EVENT_PAYLOADS)[E]> };
export type ControlEvent = keyof ControlEvents;
export const CONTROL_EVENTS = Object.keys(CONTROL_EVENT_PAYLOADS) as ControlEvent[];

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

export type RequestFrame<M extends ControlMethod = ControlMethod> = {
  type: 'req';
  id: string;
  method: M;
  params: ControlParams<M>;
};

/** The envelope of every request as the server checks it (the params are checked per method). */
export const requestFrameSchema = z.object({
  type: z.literal('req'),
  id: z.string().min(1).max(128),
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

export type ResponseFrame =
  | { type: 'res'; id: string; ok: true; result: unknown }
  | { type: 'res'; id: string; ok: false; error: ControlError };

export type EventFrame<E extends ControlEvent = ControlEvent> = {
  type: 'event';
  event: E;
  payload: ControlEvents[E];
  seq: number;
};

export type ServerFrame = ResponseFrame | EventFrame;
