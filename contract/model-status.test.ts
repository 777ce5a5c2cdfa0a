import { describe, expect, it } from 'vitest';
import { DEMO_ECHO_MODEL } from './constants';
import { describeModelStatus } from './model-status';

describe('describeModelStatus', () => {
  it('words each state once, with a fix where something is missing or wrong', () => {
    expect(describeModelStatus({ model: 'anthropic/claude-opus-4-5', modelError: null })).toEqual({ state: 'ready', summary: 'anthropic/claude-opus-4-5' });
    expect(describeModelStatus({ model: null, modelError: null })).toMatchObject({ state: 'none', summary: 'none configured: incoming messages are logged, not answered', fix: expect.stringMatching(/agents\.defaults\.model/) });
    expect(describeModelStatus({ model: DEMO_ECHO_MODEL, modelError: null })).toMatchObject({ state: 'demo', summary: expect.stringMatching(/^demo\/echo: the demo assistant answers/) });
    expect(describeModelStatus({ model: 'anthropic/claude-x', modelError: '401 invalid x-api-key' })).toMatchObject({ state: 'error', summary: 'anthropic/claude-x does not work: 401 invalid x-api-key' });
    expect(describeModelStatus({ model: null, modelError: 'agents.defaults.model: unknown provider "foo"' })).toMatchObject({ state: 'error' });
  });
});
