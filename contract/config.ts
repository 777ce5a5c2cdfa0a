// The shape of `~/.clawdbot/clawdbot.json` (JSON5), as a zod schema, and the types inferred from
// it. In the contract because every side reads or edits the config through it: main/config loads
// and validates the file with it, the control API types `config.get` / `config.patch` with it, and
// the app's settings screens edit it. (No Node here: the field checks are pure, config-checks.ts.)
//
// Defaults, and where they are applied:
// - `gateway` and `session` have no inheritance, so the schema fills their defaults in
//   (`gateway.port` 18789, `gateway.bind` "loopback", `session.dmScope` "per-channel-peer").
// - `channels.imessage` gets NO defaults here, neither at the top level nor in `accounts.<id>`:
//   an account inherits every key it does not set from the top level, and a default injected into
//   the account would hide the top-level value (the original does this, so a top-level
//   `dmPolicy: "allowlist"` silently became "pairing" once `accounts` was used). Defaults are
//   applied after merging, in main/config/accounts.ts, from IMESSAGE_DEFAULTS below.
//
// Keys of the original Clawdbot that we do not implement (other channels, plugins, cron, hooks,
// tools, browser, …) are accepted with a one-line warning each, so an existing config keeps
// working. Any other unknown key is an error in the sections where a typo would silently change
// behaviour (the top level, `gateway`, `channels.imessage`), and a warning in the agent/model
// sections, whose many optional tuning keys the original has and we ignore. Each object declares
// this policy with `section()`; main/config/validate.ts applies it.
//
// `gateway.bind`: "loopback" (127.0.0.1, default), "lan" (0.0.0.0) or an IP address of this machine.
// The original's "tailnet"/"auto"/"custom" modes are not supported (use the Tailscale IP instead).
// A non-loopback bind requires `gateway.auth.token`; the gateway server enforces that at start.
//
// `session.dmScope` uses the original's names. Our default is "per-channel-peer": one session per
// iMessage sender (the original's default "main" puts every approved sender into one shared
// conversation, which leaks context between people).
import { z } from 'zod';
import { checkBind, checkCliPath, checkGroupKey, checkRemoteHost, type FieldProblem } from './config-checks';
import { DEFAULT_GATEWAY_PORT, IMESSAGE_SERVICES } from './constants';

export const DM_POLICIES = ['pairing', 'allowlist', 'open', 'disabled'] as const;
export const GROUP_POLICIES = ['allowlist', 'open', 'disabled'] as const;
export const CHUNK_MODES = ['length', 'newline'] as const;
export const MODEL_APIS = ['openai-completions', 'anthropic-messages'] as const;
export const DM_SCOPES = ['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer'] as const;
export const GATEWAY_MODES = ['local', 'remote'] as const;

export type DmPolicy = (typeof DM_POLICIES)[number];
export type GroupPolicy = (typeof GROUP_POLICIES)[number];
export type ChunkMode = (typeof CHUNK_MODES)[number];
export type DmScope = (typeof DM_SCOPES)[number];
export type ModelApi = (typeof MODEL_APIS)[number];

/** Values an iMessage account gets for keys that neither the account nor the top level sets. */
export const IMESSAGE_DEFAULTS = {
  enabled: true,
  cliPath: 'imsg',
  dmPolicy: 'pairing',
  groupPolicy: 'allowlist',
  includeAttachments: false,
  mediaMaxMb: 16,
  textChunkLimit: 4000,
  chunkMode: 'length',
  /** Used when neither the account nor `messages.groupChat.historyLimit` sets one. */
  historyLimit: 50,
  service: 'auto',
  region: 'US',
} as const satisfies Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Unknown-key policy
// ---------------------------------------------------------------------------------------------

export interface KeyPolicy {
  /** Keys the original Clawdbot accepts here and we do not implement: warned about, ignored. */
  unsupported?: readonly string[];
  /** Any other unknown key: "error" (default) or "warn". */
  otherKeys?: 'error' | 'warn';
  /** Why such keys are ignored (ends the warning line). Default: "not supported by Clawdbot for Mac". */
  note?: string;
}

const keyPolicies = new WeakMap<object, KeyPolicy>();

/** A strict object (unknown keys are reported, see validate.ts) with its unknown-key policy. */
function section<Shape extends z.ZodRawShape>(shape: Shape, policy: KeyPolicy = {}) {
  const schema = z.strictObject(shape);
  keyPolicies.set(schema, policy);
  return schema;
}

export function keyPolicyOf(schema: object): KeyPolicy {
  return keyPolicies.get(schema) ?? {};
}

/**
 * Attaches a value check to a field. A problem becomes a zod "custom" issue carrying the fix in
 * `params.fix` (and, when the problem is about a key rather than a value, that key in `params.value`).
 */
function checked<T extends z.ZodType>(schema: T, check: (value: z.output<T>) => FieldProblem | undefined) {
  return schema.superRefine((value, ctx) => {
    const problem = check(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, params: { fix: problem.fix } });
  });
}

/** A record whose keys must pass `check` (issues point at the key). */
function checkedKeys<T extends z.ZodRecord>(schema: T, check: (key: string) => FieldProblem | undefined) {
  return schema.superRefine((value, ctx) => {
    for (const key of Object.keys(value as Record<string, unknown>)) {
      const problem = check(key);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem.message, params: { fix: problem.fix, value: key } });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// channels.imessage
// ---------------------------------------------------------------------------------------------

/** allowFrom entries: strings, or numbers (stringified); trimmed, empty entries dropped. */
const allowList = z
  .array(z.union([z.string(), z.number()]))
  .transform((entries) => entries.map((entry) => String(entry).trim()).filter((entry) => entry.length > 0));

/** History sizes: whole numbers, 0 disables. */
const historySize = z.number().int().nonnegative();

const groupSettingsSchema = section(
  {
    requireMention: z.boolean().optional(),
    allowFrom: allowList.optional(),
  },
  { unsupported: ['tools', 'toolsBySender'] },
);

const dmSettingsSchema = section({ historyLimit: historySize.optional() });

/** Keys valid both at `channels.imessage` and in each `channels.imessage.accounts.<id>`. */
const imessageAccountShape = {
  name: z.string().optional(),
  enabled: z.boolean().optional(),
  cliPath: checked(z.string().min(1), checkCliPath).optional(),
  dbPath: z.string().min(1).optional(),
  remoteHost: checked(z.string().min(1), checkRemoteHost).optional(),
  dmPolicy: z.enum(DM_POLICIES).optional(),
  allowFrom: allowList.optional(),
  groupPolicy: z.enum(GROUP_POLICIES).optional(),
  groupAllowFrom: allowList.optional(),
  groups: checkedKeys(z.record(z.string(), groupSettingsSchema), checkGroupKey).optional(),
  includeAttachments: z.boolean().optional(),
  mediaMaxMb: z.number().positive().optional(),
  textChunkLimit: z.number().int().positive().optional(),
  chunkMode: z.enum(CHUNK_MODES).optional(),
  historyLimit: historySize.optional(),
  dmHistoryLimit: historySize.optional(),
  dms: z.record(z.string(), dmSettingsSchema).optional(),
  service: z.enum(IMESSAGE_SERVICES).optional(),
  region: z.string().min(1).optional(),
};

const IMESSAGE_UNSUPPORTED = ['capabilities', 'configWrites', 'heartbeat', 'markdown', 'blockStreaming', 'blockStreamingCoalesce'];

const imessageAccountSchema = section(imessageAccountShape, { unsupported: IMESSAGE_UNSUPPORTED });

const imessageSectionSchema = section(
  { ...imessageAccountShape, accounts: z.record(z.string(), imessageAccountSchema).optional() },
  { unsupported: IMESSAGE_UNSUPPORTED },
);

const channelsSchema = section(
  { imessage: imessageSectionSchema.optional() },
  { otherKeys: 'warn', note: 'Clawdbot for Mac only has the iMessage channel' },
);

// ---------------------------------------------------------------------------------------------
// gateway
// ---------------------------------------------------------------------------------------------

const gatewayAuthSchema = section(
  { token: z.string().min(1).optional() },
  { unsupported: ['mode', 'password', 'allowTailscale'], note: 'not supported by Clawdbot for Mac (token auth only)' },
);

const gatewaySchema = section(
  {
    port: z.number().int().min(1).max(65535).default(DEFAULT_GATEWAY_PORT),
    bind: checked(z.string().min(1), checkBind).default('loopback'),
    mode: z.enum(GATEWAY_MODES).optional(),
    auth: gatewayAuthSchema.optional(),
  },
  {
    unsupported: ['controlUi', 'tailscale', 'remote', 'reload', 'tls', 'http', 'nodes', 'trustedProxies', 'customBindHost'],
  },
);

// ---------------------------------------------------------------------------------------------
// agents, models, messages, session (read by main/agent/; typed here, checked in depth there)
// ---------------------------------------------------------------------------------------------

const lenient: KeyPolicy = { otherKeys: 'warn', note: 'not used by Clawdbot for Mac' };

const modelRefObjectSchema = section({ primary: z.string().min(1).optional(), fallbacks: z.array(z.string()).optional() }, lenient);

/**
 * `agents.defaults.model`: "<provider>/<model>" or { primary, fallbacks }; normalized to the object.
 * (The parameter type is what may be written, for ClawdbotConfigInput; any value reaches it.)
 */
const modelRefSchema = z.preprocess(
  (value: string | z.input<typeof modelRefObjectSchema>) => (typeof value === 'string' ? { primary: value } : value),
  modelRefObjectSchema,
);

const agentEntrySchema = section(
  {
    id: z.string().min(1),
    default: z.boolean().optional(),
    name: z.string().optional(),
    identity: section({ name: z.string().optional(), emoji: z.string().optional() }, lenient).optional(),
    groupChat: section({ mentionPatterns: z.array(z.string()).optional() }, lenient).optional(),
  },
  lenient,
);

const agentsSchema = section(
  {
    defaults: section({ model: modelRefSchema.optional(), timeoutSeconds: z.number().positive().optional() }, lenient).optional(),
    list: z.array(agentEntrySchema).optional(),
  },
  lenient,
);

const modelEntrySchema = section(
  {
    id: z.string().min(1),
    name: z.string().optional(),
    maxTokens: z.number().int().positive().optional(),
    input: z.array(z.string()).optional(),
  },
  lenient,
);

const providerSchema = section(
  {
    baseUrl: z.string().min(1).optional(),
    apiKey: z.string().optional(),
    api: z.enum(MODEL_APIS).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    models: z.array(modelEntrySchema).optional(),
  },
  lenient,
);

const modelsSchema = section({ providers: z.record(z.string(), providerSchema).optional() }, lenient);

const messagesSchema = section(
  {
    responsePrefix: z.string().optional(),
    groupChat: section({ mentionPatterns: z.array(z.string()).optional(), historyLimit: historySize.optional() }, lenient).optional(),
  },
  lenient,
);

const sessionSchema = section({ dmScope: z.enum(DM_SCOPES).default('per-channel-peer') }, lenient);

// ---------------------------------------------------------------------------------------------
// The whole file
// ---------------------------------------------------------------------------------------------

/** Top-level keys of the original that we accept and ignore. */
const ORIGINAL_TOP_LEVEL_KEYS = [
  '$include', 'meta', 'env', 'wizard', 'diagnostics', 'logging', 'update', 'browser', 'ui', 'auth', 'nodeHost',
  'tools', 'bindings', 'broadcast', 'audio', 'media', 'commands', 'approvals', 'web', 'cron', 'hooks',
  'discovery', 'canvasHost', 'talk', 'skills', 'plugins', 'memory',
];

export const ConfigSchema = section(
  {
    /** Editor hint; ignored. */
    $schema: z.string().optional(),
    gateway: gatewaySchema.prefault({}),
    channels: channelsSchema.optional(),
    agents: agentsSchema.optional(),
    models: modelsSchema.optional(),
    messages: messagesSchema.optional(),
    session: sessionSchema.prefault({}),
  },
  { unsupported: ORIGINAL_TOP_LEVEL_KEYS },
);

/** A validated config, with the gateway/session defaults filled in. */
export type ClawdbotConfig = z.output<typeof ConfigSchema>;
/** What may be written in the file. */
export type ClawdbotConfigInput = z.input<typeof ConfigSchema>;
export type ImessageSectionConfig = z.output<typeof imessageSectionSchema>;
export type ImessageAccountConfig = z.output<typeof imessageAccountSchema>;
export type GatewayConfig = z.output<typeof gatewaySchema>;

/**
 * A change to the config file, as `config.patch` takes it (a JSON merge patch, RFC 7386): objects
 * merge key by key, `null` deletes a key, anything else (a value, a list) replaces what is there.
 * Typed from what may be written in the file; the merged result is validated as a whole before
 * anything is written.
 */
export type ConfigPatch = PatchOf<ClawdbotConfigInput>;

type PatchOf<T> = T extends readonly unknown[]
  ? T
  : T extends Record<string, unknown>
    ? { [K in keyof T]?: PatchOf<Exclude<T[K], undefined>> | null }
    : T;

/** The schema of the object at `path` (array indices and record keys walk into the element schema). */
export function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
  let node: z.ZodType | undefined = ConfigSchema;
  for (const segment of path) {
    node = unwrapSchema(node);
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, z.ZodType>)[String(segment)];
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else return undefined;
    if (!node) return undefined;
  }
  return unwrapSchema(node);
}

/** Strips optional/default/prefault wrappers and preprocess/transform pipes down to the value schema. */
function unwrapSchema(schema: z.ZodType): z.ZodType {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodPrefault) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) {
      // preprocess = pipe(transform, schema); .transform() = pipe(schema, transform).
      node = (node.in instanceof z.ZodTransform ? node.out : node.in) as z.ZodType;
    } else {
      return node;
    }
  }
}
