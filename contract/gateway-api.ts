// The one contract shared by the gateway (server), the `clawdbot` CLI and the renderer.
//
// Everything that crosses the control API (HTTP + WebSocket on 127.0.0.1) is typed here, so a
// change on one side breaks the others at compile time. This file is pure types and constants:
// no Node or DOM imports, so both typecheck projects (tsconfig.node.json, tsconfig.web.json)
// include it.

// ---------------------------------------------------------------------------------------------
// Channel health
// ---------------------------------------------------------------------------------------------

/** Life cycle of one iMessage account's `imsg rpc` process, as the supervisor drives it. */
export type ChannelState =
  | 'stopped' // not running: disabled, not configured, or stopped on purpose
  | 'probing' // checking binary, `rpc --help` and `chats.list` before starting
  | 'starting' // `imsg rpc` spawned, subscribing
  | 'listening' // subscribed to new messages
  | 'backing-off' // a transient failure; a restart is scheduled (see `retryAt`)
  | 'failed-fatal'; // a failure that a restart cannot fix (waits for a config change or an explicit retry)

export type ProbeCheckId =
  | 'binary' // the imsg executable (or wrapper script) exists and is executable
  | 'rpc-support' // `imsg rpc --help` prints the rpc help (old versions lack the subcommand)
  | 'database' // imsg can open chat.db (Full Disk Access)
  | 'rpc-answers'; // `chats.list {limit:1}` answered over JSON-RPC

export interface ProbeCheck {
  id: ProbeCheckId;
  ok: boolean;
  /** What was checked and what was found, in one sentence. */
  detail: string;
  /** The exact fix when `ok` is false (a command to run, a setting to change). */
  fix?: string;
}

export interface ProbeResult {
  ok: boolean;
  /** True when retrying cannot help (missing binary, no rpc subcommand, no Full Disk Access). */
  fatal: boolean;
  /** First failing check's message, when not ok. */
  error?: string;
  fix?: string;
  checks: ProbeCheck[];
  /** `imsg --version` output when it could be read. */
  imsgVersion?: string;
  durationMs: number;
  /** ISO time the probe finished. */
  at: string;
}

export interface ChannelError {
  message: string;
  /** What the user should do about it. */
  fix?: string;
  fatal: boolean;
  /** ISO time. */
  at: string;
}

/** Health of one iMessage account: what the CLI status line, the web UI and the menu bar show. */
export interface AccountHealth {
  accountId: string;
  name?: string;
  enabled: boolean;
  configured: boolean;
  /** True for the demo account backed by the imsg simulator. */
  simulated: boolean;
  state: ChannelState;
  /** ISO time the current state was entered. */
  since: string;
  pid: number | null;
  /** Restarts after failures since the gateway started (not counting config reloads). */
  restarts: number;
  /** ISO time of the next restart attempt while backing off. */
  retryAt: string | null;
  lastError: ChannelError | null;
  lastInboundAt: string | null;
  lastOutboundAt: string | null;
  lastProbe: ProbeResult | null;
  imsgVersion: string | null;
  cliPath: string;
  dbPath: string | null;
  remoteHost: string | null;
  /** Last chat.db ROWID fully processed (persisted; resume point after a restart). */
  lastRowid: number | null;
  /** Things that work but deserve attention, e.g. "no mention patterns configured". */
  warnings: string[];
}

/** Whole-gateway status returned by `status` and pushed as `health` events. */
export interface GatewayStatus {
  version: string;
  pid: number;
  startedAt: string;
  /** Demo mode: a simulated Messages account, temp state dir. */
  demo: boolean;
  bind: string;
  port: number;
  configPath: string;
  stateDir: string;
  /** Error of the last config reload that was rejected (the gateway keeps the last good config). */
  configError: string | null;
  /**
   * "anthropic/claude-…" or null when no model is configured (messages are logged, not answered).
   * In demo mode without a model: DEMO_ECHO_MODEL, the built-in stand-in that echoes messages.
   */
  model: string | null;
  modelError: string | null;
  accounts: AccountHealth[];
  pendingPairing: number;
}

// ---------------------------------------------------------------------------------------------
// Pairing and access control
// ---------------------------------------------------------------------------------------------

export interface PairingRequest {
  /** Normalized sender id (E.164 phone number or lower-cased email). */
  id: string;
  /** 8 characters from ABCDEFGHJKLMNPQRSTUVWXYZ23456789. */
  code: string;
  createdAt: string;
  lastSeenAt: string;
  /** createdAt + 1 hour. */
  expiresAt: string;
  meta?: Record<string, string>;
}

export interface ApprovedSender {
  id: string;
}

export type PairingEventKind = 'requested' | 'approved' | 'denied' | 'revoked' | 'expired';

export interface PairingEvent {
  kind: PairingEventKind;
  channel: 'imessage';
  senderId: string;
  code?: string;
  at: string;
}

export type AccessDecision = 'accepted' | 'rejected' | 'pairing' | 'skipped' | 'dropped';

/** One line of the access log: why a message was (or was not) handed to the assistant. */
export interface AccessLogEntry {
  ts: string;
  accountId: string;
  chatId: number | null;
  chatName?: string;
  isGroup: boolean;
  sender: string;
  messageId: number | null;
  decision: AccessDecision;
  /** Machine-readable reason, e.g. `dmPolicy=allowlist`, `not in groupAllowFrom`, `no mention`. */
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  ts: string;
  level: LogLevel;
  /** Subsystem, e.g. `gateway`, `imessage:default`, `agent`. */
  scope: string;
  msg: string;
  data?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Control API: WebSocket frames
// ---------------------------------------------------------------------------------------------

export const CONTROL_PROTOCOL_VERSION = 1;
/** Largest frame the gateway accepts (bytes). Bigger frames close the socket with 1009. */
export const MAX_FRAME_BYTES = 256 * 1024;
export const DEFAULT_GATEWAY_PORT = 18789;
/** Path of the WebSocket endpoint on the gateway's port (`ws://127.0.0.1:18789/ws`). */
export const CONTROL_WS_PATH = '/ws';
/** `service` field of `GET /health`: how a second gateway recognizes the one holding its port. */
export const GATEWAY_SERVICE_ID = 'clawdbot-gateway';

/**
 * `GET /health`. Without a token: liveness only. With `Authorization: Bearer <token>`: also the
 * full status. A wrong token is answered 401.
 */
export interface HealthResponse {
  ok: true;
  service: typeof GATEWAY_SERVICE_ID;
  version: string;
  pid: number;
  status?: GatewayStatus;
}

export interface SendMessageParams {
  /** Target in the grammar of the spec: `imessage:+1555…`, `chat_id:42`, `user@example.com`, … */
  target: string;
  text?: string;
  /** Local path or http(s) URL. */
  media?: string;
  accountId?: string;
  service?: 'imessage' | 'sms' | 'auto';
}

export interface SendMessageResult {
  accountId: string;
  chunks: number;
  messageIds: string[];
}

/**
 * `status.model` of a demo gateway without a configured model: a built-in stand-in (not an AI)
 * answers `Demo assistant (no AI model configured): you said "…"` so pairing → approve → reply can
 * be tried end to end. A gateway outside demo mode never reports it.
 */
export const DEMO_ECHO_MODEL = 'demo/echo';

/** Demo mode: a message the gateway sent on the simulated Mac (read from the simulated chat.db). */
export interface DemoSentMessage {
  /** chat.db ROWID of the outgoing row. */
  rowid: number;
  /** The recipient's handle in a 1:1 chat, `chat_id:<id>` in a group. */
  to: string;
  text: string;
  /** ISO time. */
  createdAt: string;
}

/** Demo mode: a message "received" on the simulated Mac, as if `from` had texted it. */
export interface DemoInjectParams {
  /** The sender: a phone number (`+15555550123`) or an email address. */
  from: string;
  text: string;
  /** Deliver into this group chat (chat ROWID; created with `name` if it does not exist). */
  group?: { id: number; name?: string };
}

/** Request → response shapes of every control API method. */
export interface ControlMethods {
  connect: {
    params: { token: string; client: { name: string; version?: string }; protocol: number };
    result: { protocol: number; server: { version: string; pid: number }; status: GatewayStatus };
  };
  status: { params: Record<string, never>; result: GatewayStatus };
  'channels.probe': { params: { accountId?: string }; result: { accounts: { accountId: string; probe: ProbeResult }[] } };
  'channels.restart': { params: { accountId?: string }; result: { restarted: string[] } };
  'pairing.list': { params: Record<string, never>; result: { requests: PairingRequest[] } };
  'pairing.approve': {
    params: { code: string; notify?: boolean };
    /** `notifyError`: why the approval notice could not be sent (the approval itself succeeded). */
    result: { approved: PairingRequest; notified: boolean; notifyError?: string };
  };
  'pairing.deny': { params: { code: string }; result: { denied: PairingRequest } };
  'pairing.revoke': { params: { sender: string }; result: { revoked: boolean } };
  'allowlist.list': { params: Record<string, never>; result: { approved: ApprovedSender[]; configured: string[] } };
  'accessLog.tail': { params: { limit?: number }; result: { entries: AccessLogEntry[] } };
  'message.send': { params: SendMessageParams; result: SendMessageResult };
  'config.get': { params: Record<string, never>; result: { path: string; config: unknown; error: string | null } };
  /** Deep-merge `patch` into the config file; `null` deletes a key. Validated before writing. */
  'config.patch': { params: { patch: Record<string, unknown> }; result: { path: string; config: unknown } };
  'logs.tail': { params: { limit?: number }; result: { records: LogRecord[] } };
  'gateway.restart': { params: Record<string, never>; result: { restarting: true } };
  /** Demo mode only (else `unavailable`): writes an inbound message into the simulated chat.db. */
  'demo.inject': { params: DemoInjectParams; result: { rowid: number } };
  /** Demo mode only (else `unavailable`): the last `limit` (default 20) messages sent, oldest first. */
  'demo.sent': { params: { limit?: number }; result: { messages: DemoSentMessage[] } };
}

export type ControlMethod = keyof ControlMethods;
export type ControlParams<M extends ControlMethod> = ControlMethods[M]['params'];
export type ControlResult<M extends ControlMethod> = ControlMethods[M]['result'];

/** Server-pushed events. */
export interface ControlEvents {
  health: GatewayStatus;
  pairing: PairingEvent;
  accessLog: AccessLogEntry;
  log: LogRecord;
  shutdown: { reason: string; restartExpectedMs?: number };
}

export type ControlEvent = keyof ControlEvents;

export type ControlErrorCode =
  | 'unauthorized'
  | 'bad_request'
  | 'not_found'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface ControlError {
  code: ControlErrorCode;
  message: string;
  /** What to do about it, when there is something to do. */
  fix?: string;
  /** With `rate_limited`: how long to wait before the next attempt can succeed. */
  retryAfterMs?: number;
}

export type RequestFrame<M extends ControlMethod = ControlMethod> = {
  type: 'req';
  id: string;
  method: M;
  params: ControlParams<M>;
};

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
