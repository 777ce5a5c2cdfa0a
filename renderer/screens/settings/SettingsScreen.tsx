// Settings: who may talk to the assistant, message limits, the gateway's port, the model, and the
// app (launch at login, logs, onboarding). Each section saves on its own through `config.patch`
// (only the keys that changed); the gateway validates the whole config first and writes nothing
// when it refuses, answering the problems by field.
import type { ChunkMode, ClawdbotConfig, ConfigPatch } from '../../../contract/config';
import { describeModelStatus } from '../../../contract/model-status';
import { useApp, useAppState } from '../../app/context';
import { CheckRow } from '../../components/CheckRow';
import { Field } from '../../components/Field';
import { ListEditor } from '../../components/HandleListEditor';
import { PolicyFields, RadioGroup, type PolicyValue } from '../../components/PolicyFields';
import { SimulatedAccountSwitch } from '../../components/SimulatedAccountSwitch';
import { describeError, issuesFor, problemText, type FormOutcome } from '../../gateway/errors';
import { configuredModel, imessageSection, sameList } from '../../lib/config-edit';
import { DEFAULT_GATEWAY_PORT, IMESSAGE_DEFAULTS_SHOWN } from '../../lib/defaults';
import { useDraft } from '../../lib/use-draft';
import { LogsView } from './LogsView';
import { SettingsForm } from './SettingsForm';
import { useState } from 'react';

export function SettingsScreen() {
  const config = useApp((s) => s.config);
  const problem = useApp((s) => s.configProblem);
  return (
    <div className="screen" aria-labelledby="settings-title">
      <header className="screen-head">
        <h1 id="settings-title">Settings</h1>
        <p className="screen-intro">
          Saved to <code className="path">{config?.path ?? '~/.clawdbot/clawdbot.json'}</code> (comments and formatting are kept). The
          gateway applies most changes at once.
        </p>
      </header>
      {!config ? (
        <p className="placeholder card">{problem ? `The settings could not be read: ${problem.message}` : 'Loading settings…'}</p>
      ) : (
        <>
          <PoliciesSection config={config.config} />
          <LimitsSection config={config.config} />
          <ModelSection config={config.config} />
          <GatewaySection config={config.config} />
        </>
      )}
      <AppSection />
    </div>
  );
}

// ---- Who may talk to the assistant ----

interface PoliciesDraft extends PolicyValue {
  mentionPatterns: string[];
}

function PoliciesSection({ config }: { config: ClawdbotConfig }) {
  const state = useAppState();
  const top = imessageSection(config);
  const initial: PoliciesDraft = {
    dmPolicy: top.dmPolicy ?? IMESSAGE_DEFAULTS_SHOWN.dmPolicy,
    allowFrom: top.allowFrom ?? [],
    groupPolicy: top.groupPolicy ?? IMESSAGE_DEFAULTS_SHOWN.groupPolicy,
    groupAllowFrom: top.groupAllowFrom ?? [],
    mentionPatterns: config.messages?.groupChat?.mentionPatterns ?? [],
  };
  const { draft, setDraft, dirty, reset } = useDraft(initial);

  const save = (): Promise<FormOutcome> => {
    const imessage: Record<string, unknown> = {};
    if (draft.dmPolicy !== initial.dmPolicy) imessage.dmPolicy = draft.dmPolicy;
    if (draft.groupPolicy !== initial.groupPolicy) imessage.groupPolicy = draft.groupPolicy;
    if (!sameList(draft.allowFrom, initial.allowFrom)) imessage.allowFrom = draft.allowFrom;
    if (!sameList(draft.groupAllowFrom, initial.groupAllowFrom)) imessage.groupAllowFrom = draft.groupAllowFrom;
    const patch: Record<string, unknown> = {};
    if (Object.keys(imessage).length > 0) patch.channels = { imessage };
    if (!sameList(draft.mentionPatterns, initial.mentionPatterns)) patch.messages = { groupChat: { mentionPatterns: draft.mentionPatterns } };
    return state().patchConfig(patch as ConfigPatch);
  };

  return (
    <SettingsForm
      title="Who may talk to the assistant"
      intro="For every account that does not set its own rules (Accounts)."
      dirty={dirty}
      save={save}
      revert={reset}
      placedKeys={['dmPolicy', 'allowFrom', 'groupPolicy', 'groupAllowFrom', 'mentionPatterns']}
    >
      {(issues) => (
        <>
          <PolicyFields value={draft} onChange={(policy) => setDraft({ ...draft, ...policy })} issues={issues} />
          <ListEditor
            label="Mention patterns"
            hint="In group chats the assistant answers only messages that match one of these (regular expressions, e.g. @clawd or \bclawd\b)."
            values={draft.mentionPatterns}
            onChange={(mentionPatterns) => setDraft({ ...draft, mentionPatterns })}
            issues={issuesFor(issues, 'mentionPatterns')}
            placeholder="@clawd"
          />
        </>
      )}
    </SettingsForm>
  );
}

// ---- Message limits ----

interface LimitsDraft {
  textChunkLimit: string;
  chunkMode: ChunkMode;
  mediaMaxMb: string;
  includeAttachments: boolean;
  historyLimit: string;
  dmHistoryLimit: string;
}

const NUMBER_KEYS = ['textChunkLimit', 'mediaMaxMb', 'historyLimit', 'dmHistoryLimit'] as const;
type NumberKey = (typeof NUMBER_KEYS)[number];

function LimitsSection({ config }: { config: ClawdbotConfig }) {
  const state = useAppState();
  const top = imessageSection(config);
  const text = (value: number | undefined) => (value === undefined ? '' : String(value));
  const initial: LimitsDraft = {
    textChunkLimit: text(top.textChunkLimit),
    chunkMode: top.chunkMode ?? IMESSAGE_DEFAULTS_SHOWN.chunkMode,
    mediaMaxMb: text(top.mediaMaxMb),
    includeAttachments: top.includeAttachments ?? IMESSAGE_DEFAULTS_SHOWN.includeAttachments,
    historyLimit: text(top.historyLimit),
    dmHistoryLimit: text(top.dmHistoryLimit),
  };
  const { draft, setDraft, dirty, reset } = useDraft(initial);
  const [typed, setTyped] = useState<Partial<Record<NumberKey, string>>>({});

  const save = async (): Promise<FormOutcome> => {
    const imessage: Record<string, unknown> = {};
    const problems: Partial<Record<NumberKey, string>> = {};
    for (const key of NUMBER_KEYS) {
      if (draft[key] === initial[key]) continue;
      const raw = draft[key].trim();
      if (raw === '') imessage[key] = null;
      else if (Number.isFinite(Number(raw))) imessage[key] = Number(raw);
      else problems[key] = 'Type a number, or leave it empty for the default.';
    }
    setTyped(problems);
    if (Object.keys(problems).length > 0) return { ok: false, problem: null, issues: [], unavailable: false };
    if (draft.chunkMode !== initial.chunkMode) imessage.chunkMode = draft.chunkMode;
    if (draft.includeAttachments !== initial.includeAttachments) imessage.includeAttachments = draft.includeAttachments;
    return state().patchConfig({ channels: { imessage } } as ConfigPatch);
  };

  const numberField = (key: NumberKey, label: string, hint: string, issues: Parameters<typeof issuesFor>[0]) => (
    <Field label={label} hint={hint} issues={[...(typed[key] ? [{ message: typed[key]! }] : []), ...issuesFor(issues, key)]}>
      {(control) => (
        <input
          {...control}
          type="text"
          inputMode="numeric"
          value={draft[key]}
          placeholder={String(IMESSAGE_DEFAULTS_SHOWN[key as keyof typeof IMESSAGE_DEFAULTS_SHOWN] ?? '')}
          onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
        />
      )}
    </Field>
  );

  return (
    <SettingsForm
      title="Messages"
      intro="How replies are split and what the assistant reads. Empty fields use the default shown in grey."
      dirty={dirty}
      save={save}
      revert={() => {
        reset();
        setTyped({});
      }}
      placedKeys={['textChunkLimit', 'chunkMode', 'mediaMaxMb', 'includeAttachments', 'historyLimit', 'dmHistoryLimit']}
    >
      {(issues) => (
        <>
          <div className="form-grid">
            {numberField('textChunkLimit', 'Longest message (characters)', 'Longer replies are sent as several messages.', issues)}
            {numberField('mediaMaxMb', 'Largest attachment (MB)', 'Bigger attachments are skipped, in and out.', issues)}
            {numberField('historyLimit', 'Group history (messages)', 'Recent group messages the assistant sees; 0 for none.', issues)}
            {numberField('dmHistoryLimit', 'Direct message history (messages)', 'Recent messages of a 1:1 chat the assistant sees.', issues)}
          </div>
          <RadioGroup
            legend="Split long replies"
            name="chunkMode"
            value={draft.chunkMode}
            onChange={(chunkMode) => setDraft({ ...draft, chunkMode })}
            issues={issuesFor(issues, 'chunkMode')}
            choices={[
              { value: 'length', label: 'By length', detail: 'Fill each message up to the limit.' },
              { value: 'newline', label: 'At blank lines', detail: 'One message per paragraph (each still within the limit).' },
            ]}
          />
          <label className="checkbox">
            <input type="checkbox" checked={draft.includeAttachments} onChange={(e) => setDraft({ ...draft, includeAttachments: e.target.checked })} />
            <span>Give attachments (photos, files) to the assistant</span>
          </label>
        </>
      )}
    </SettingsForm>
  );
}

// ---- Model ----

const PROVIDERS = [
  { value: 'anthropic', label: 'Anthropic', env: 'ANTHROPIC_API_KEY', example: 'claude-sonnet-4-5' },
  { value: 'openai', label: 'OpenAI', env: 'OPENAI_API_KEY', example: 'gpt-4.1' },
];

interface ModelDraft {
  provider: string;
  model: string;
  apiKey: string;
}

export function splitModel(ref: string | null): { provider: string; model: string } {
  if (!ref) return { provider: 'anthropic', model: '' };
  const slash = ref.indexOf('/');
  return slash === -1 ? { provider: ref, model: '' } : { provider: ref.slice(0, slash), model: ref.slice(slash + 1) };
}

export function ModelFields({ draft, setDraft, issues }: { draft: ModelDraft; setDraft(draft: ModelDraft): void; issues: Parameters<typeof issuesFor>[0] }) {
  const known = PROVIDERS.find((p) => p.value === draft.provider);
  return (
    <div className="form-grid">
      <Field label="Provider" hint="Anthropic, OpenAI, or any OpenAI-compatible provider set up under models.providers." issues={issuesFor(issues, 'providers')}>
        {(control) => (
          <input {...control} type="text" list="model-providers" value={draft.provider} spellCheck={false} autoComplete="off" onChange={(e) => setDraft({ ...draft, provider: e.target.value.trim() })} />
        )}
      </Field>
      <datalist id="model-providers">
        {PROVIDERS.map((p) => (
          <option key={p.value} value={p.value}>
            {p.label}
          </option>
        ))}
      </datalist>
      <Field label="Model" hint={known ? `e.g. ${known.example}` : 'The model name at that provider.'} issues={issuesFor(issues, 'model')}>
        {(control) => <input {...control} type="text" value={draft.model} spellCheck={false} autoComplete="off" onChange={(e) => setDraft({ ...draft, model: e.target.value })} />}
      </Field>
      <Field
        label="API key"
        hint={`Stored in the config file (readable only by you). Leave empty to keep the current key${known ? ` or to use $${known.env}` : ''}.`}
        issues={issuesFor(issues, 'apiKey')}
        className="field-wide"
      >
        {(control) => <input {...control} type="password" value={draft.apiKey} autoComplete="off" spellCheck={false} onChange={(e) => setDraft({ ...draft, apiKey: e.target.value })} />}
      </Field>
    </div>
  );
}

export function modelPatch(draft: ModelDraft): ConfigPatch {
  const patch: Record<string, unknown> = { agents: { defaults: { model: `${draft.provider}/${draft.model.trim()}` } } };
  if (draft.apiKey.trim()) patch.models = { providers: { [draft.provider]: { apiKey: draft.apiKey.trim() } } };
  return patch as ConfigPatch;
}

function ModelSection({ config }: { config: ClawdbotConfig }) {
  const state = useAppState();
  const status = useApp((s) => s.status);
  const current = configuredModel(config);
  const initial: ModelDraft = { ...splitModel(current), apiKey: '' };
  const { draft, setDraft, dirty, reset } = useDraft(initial);

  const save = async (): Promise<FormOutcome> => {
    if (!draft.provider || !draft.model.trim()) return { ok: false, problem: { message: 'Give both the provider and the model, e.g. anthropic and claude-sonnet-4-5.' }, issues: [], unavailable: false };
    const outcome = await state().patchConfig(modelPatch(draft));
    if (outcome.ok) setDraft({ ...draft, apiKey: '' });
    return outcome;
  };

  return (
    <SettingsForm
      title="Model"
      intro={
        // The gateway's view of the model, in the words the CLI and the log use (the error, if
        // any, is shown inline below instead).
        status && !status.modelError ? `Model: ${describeModelStatus(status).summary}.` : current ? `Configured: ${current}.` : 'No model configured.'
      }
      dirty={dirty}
      save={save}
      revert={reset}
      placedKeys={['model', 'apiKey', 'providers']}
    >
      {(issues) => (
        <>
          {status?.modelError ? <p className="field-error">{status.modelError}</p> : null}
          <ModelFields draft={draft} setDraft={setDraft} issues={issues} />
          <ModelTest />
        </>
      )}
    </SettingsForm>
  );
}

export function ModelTest() {
  const state = useAppState();
  const test = useApp((s) => s.modelTest);
  return (
    <div className="model-test">
      <button type="button" disabled={test?.phase === 'testing'} onClick={() => void state().testModel()}>
        {test?.phase === 'testing' ? 'Testing…' : 'Test the saved model'}
      </button>
      {test?.phase === 'done' ? (
        <ul className="checks">
          <CheckRow title="Model" check={test.check} />
        </ul>
      ) : test?.phase === 'failed' ? (
        <p className={test.unavailable ? 'muted' : 'field-error'} role="status">
          {test.unavailable ? 'This gateway cannot test the model yet; a message to the assistant will show whether it answers.' : test.problem.message}
        </p>
      ) : null}
    </div>
  );
}

// ---- Gateway ----

function GatewaySection({ config }: { config: ClawdbotConfig }) {
  const state = useAppState();
  const status = useApp((s) => s.status);
  const native = useApp((s) => s.native);
  const initial = { port: String(config.gateway.port) };
  const { draft, setDraft, dirty, reset } = useDraft(initial);
  const [restart, setRestart] = useState<string | null>(null);
  const running = status?.port;

  const save = async (): Promise<FormOutcome> => {
    const port = Number(draft.port.trim());
    if (!Number.isInteger(port)) return { ok: false, problem: null, issues: [{ path: 'gateway.port', message: 'Type a port number, e.g. 18789.' }], unavailable: false };
    return state().patchConfig({ gateway: { port } });
  };

  const restartGateway = async () => {
    setRestart('Restarting…');
    try {
      await state().restartGateway();
      setRestart('The gateway is restarting.');
    } catch (error) {
      setRestart(problemText(describeError(error)));
    }
  };

  return (
    <SettingsForm title="Gateway" dirty={dirty} save={save} revert={reset} placedKeys={['port']}>
      {(issues) => (
        <>
          <div className="form-grid">
            <Field
              label="Port"
              hint={`Default ${DEFAULT_GATEWAY_PORT}. A new port takes effect when the gateway restarts${native ? '' : '; this page then lives at the new address'}.`}
              issues={issuesFor(issues, 'port')}
            >
              {(control) => <input {...control} type="text" inputMode="numeric" value={draft.port} onChange={(e) => setDraft({ port: e.target.value })} />}
            </Field>
          </div>
          {status ? (
            <dl className="facts facts-inline">
              <div>
                <dt>Listening on</dt>
                <dd>
                  {status.bind}:{running}
                </dd>
              </div>
              <div>
                <dt>Version</dt>
                <dd>{status.version}</dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>{new Date(status.startedAt).toLocaleString()}</dd>
              </div>
            </dl>
          ) : null}
          <p>
            <button type="button" onClick={() => void restartGateway()}>
              Restart gateway
            </button>{' '}
            <span role="status" className="muted small-text">
              {restart ?? ''}
            </span>
          </p>
        </>
      )}
    </SettingsForm>
  );
}

// ---- The app ----

function AppSection() {
  const state = useAppState();
  const native = useApp((s) => s.native);
  const loginItem = useApp((s) => s.loginItem);
  return (
    <section className="group card settings-section" aria-labelledby="app-settings-title">
      <h2 id="app-settings-title">Clawdbot</h2>
      {native ? (
        <label className="checkbox">
          <input type="checkbox" checked={loginItem ?? false} disabled={loginItem === null} onChange={(e) => void state().setLoginItem(e.target.checked)} />
          <span>Open Clawdbot at login (replies stop while it is not running)</span>
        </label>
      ) : (
        <p className="muted small-text">Launch at login and the log file are set in the Clawdbot app on the Mac.</p>
      )}
      <SimulatedAccountSwitch offerToTry={false} />
      <div className="button-row">
        {native ? (
          <button type="button" onClick={() => state().revealLogs()}>
            Show log file in Finder
          </button>
        ) : null}
        <a
          className="button"
          href="#screen=onboarding&step=welcome"
          onClick={() => {
            state().restartOnboarding();
          }}
        >
          Open setup again…
        </a>
      </div>
      <LogsView />
    </section>
  );
}
