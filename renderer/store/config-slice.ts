// The config in force (`config.get`: the last valid one, and the error of the last rejected
// reload) and changes to it (`config.patch`: validated as a whole by the gateway before anything
// is written; refused with the problems by field).
import type { ClawdbotConfig, ConfigPatch } from '../../contract/config';
import { describeError, formFailure, type FieldLabels, type FormOutcome, type Problem } from '../gateway/errors';
import type { Slice } from './types';

export interface ConfigView {
  path: string;
  config: ClawdbotConfig;
  /** Why the file on disk was rejected (the gateway keeps using `config`), or null. */
  error: string | null;
}

export interface ConfigSlice {
  config: ConfigView | null;
  configProblem: Problem | null;
  loadConfig(): Promise<void>;
  patchConfig(patch: ConfigPatch, labels?: FieldLabels): Promise<FormOutcome>;
}

export const configSlice: Slice<ConfigSlice> = ({ link }) => (set, get) => ({
  config: null,
  configProblem: null,
  async loadConfig() {
    try {
      set({ config: await link.request('config.get', {}), configProblem: null });
    } catch (error) {
      set({ configProblem: describeError(error) });
    }
  },
  async patchConfig(patch, labels) {
    try {
      const { path, config } = await link.request('config.patch', { patch });
      set({ config: { path, config, error: null } });
      // The written file is now the config in force; re-read for the gateway's own view of it.
      void get().loadConfig();
      return { ok: true };
    } catch (error) {
      return formFailure(error, labels);
    }
  },
});
