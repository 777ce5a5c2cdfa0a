// What happened: the access log (who was let in, who was blocked and why; pushed line by line)
// and the gateway's log (read when the Logs view is open, then followed).
import type { AccessLogEntry, LogRecord } from '../../contract/gateway-api';
import { describeError, type Problem } from '../gateway/errors';
import type { Slice } from './types';

/** Access log lines kept (newest kept). */
export const ACCESS_LOG_SHOWN = 50;
/** Gateway log records kept while the Logs view is open. */
export const LOG_RECORDS_SHOWN = 200;

export interface ActivitySlice {
  /** Oldest first. */
  accessLog: AccessLogEntry[];
  accessLogLoaded: boolean;
  /** null until the Logs view asks for them. */
  logs: LogRecord[] | null;
  logsProblem: Problem | null;
  refreshAccessLog(): Promise<void>;
  loadLogs(): Promise<void>;
  /** Stops following the log (the Logs view closed). */
  dropLogs(): void;
}

export const activitySlice: Slice<ActivitySlice> = ({ link }) => (set) => ({
  accessLog: [],
  accessLogLoaded: false,
  logs: null,
  logsProblem: null,
  async refreshAccessLog() {
    try {
      const { entries } = await link.request('accessLog.tail', { limit: ACCESS_LOG_SHOWN });
      set({ accessLog: entries, accessLogLoaded: true });
    } catch {
      // Disconnected meanwhile: the reconnect reads it again.
    }
  },
  async loadLogs() {
    try {
      const { records } = await link.request('logs.tail', { limit: LOG_RECORDS_SHOWN });
      set({ logs: records, logsProblem: null });
    } catch (error) {
      set({ logsProblem: describeError(error) });
    }
  },
  dropLogs: () => set({ logs: null, logsProblem: null }),
});
