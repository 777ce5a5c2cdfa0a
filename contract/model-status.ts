// The model's state in words, one source for every place that shows it: the gateway's start-up
// log, `clawdbot channels status`, `clawdbot doctor`, the web UI and the app. The gateway decides
// the state (GatewayStatus.model / modelError, demo mode's stand-in included); everyone words it
// with this function, so the log cannot say "not answered" while the demo assistant answers.
import { DEMO_ECHO_MODEL } from './constants';
import type { GatewayStatus } from './gateway-api';

export type ModelState =
  /** A model is configured and its last call (if any) worked. */
  | 'ready'
  /** Demo mode's stand-in answers (an echo, not an AI). */
  | 'demo'
  /** No model: messages are logged and not answered. */
  | 'none'
  /** A model is configured but cannot work (bad settings, rejected key, unreachable). */
  | 'error';

export interface ModelStatusText {
  state: ModelState;
  /** One line: `anthropic/claude-opus-4-5`, `none configured: incoming messages are logged, not answered`, … */
  summary: string;
  /** What to do, when something is missing or wrong. */
  fix?: string;
}

const SET_MODEL = 'Set agents.defaults.model, e.g. `clawdbot config set agents.defaults.model anthropic/claude-opus-4-5`, and export ANTHROPIC_API_KEY';

export function describeModelStatus(status: Pick<GatewayStatus, 'model' | 'modelError'>): ModelStatusText {
  const { model, modelError } = status;
  if (model === DEMO_ECHO_MODEL && !modelError) {
    return { state: 'demo', summary: `${DEMO_ECHO_MODEL}: the demo assistant answers by echoing (a stand-in, not an AI)`, fix: `${SET_MODEL} for real replies.` };
  }
  if (modelError) return { state: 'error', summary: `${model ?? 'the model'} does not work: ${modelError}`, fix: 'Check agents.defaults.model, the provider settings and the API key (`clawdbot doctor`).' };
  if (model === null) return { state: 'none', summary: 'none configured: incoming messages are logged, not answered', fix: `${SET_MODEL}.` };
  return { state: 'ready', summary: model };
}
