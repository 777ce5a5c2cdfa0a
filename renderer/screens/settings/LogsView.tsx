// The gateway's recent log, read on request and then followed live, newest last; a level filter
// hides the chatter.
import { useEffect, useRef, useState } from 'react';
import type { LogLevel } from '../../../contract/gateway-api';
import { useApp, useAppState } from '../../app/context';
import { clockTime, localTime } from '../../lib/format';
import { useStickToBottom } from '../../lib/stick-to-bottom';

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function LogsView() {
  const [open, setOpen] = useState(false);
  return (
    <div className="logs">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide the gateway log' : 'Show the gateway log'}
      </button>
      {open ? <LogLines /> : null}
    </div>
  );
}

function LogLines() {
  const state = useAppState();
  const logs = useApp((s) => s.logs);
  const problem = useApp((s) => s.logsProblem);
  const [minimum, setMinimum] = useState<LogLevel>('info');
  const box = useRef<HTMLOListElement>(null);

  useEffect(() => {
    void state().loadLogs();
    return () => state().dropLogs();
  }, [state]);

  const shown = (logs ?? []).filter((record) => LEVELS.indexOf(record.level) >= LEVELS.indexOf(minimum));
  useStickToBottom(box, shown.length);

  return (
    <div className="log-view">
      <label className="inline-label">
        Show{' '}
        <select value={minimum} onChange={(e) => setMinimum(e.target.value as LogLevel)}>
          <option value="debug">everything</option>
          <option value="info">info and above</option>
          <option value="warn">warnings and errors</option>
          <option value="error">errors only</option>
        </select>
      </label>
      {problem ? <p className="field-error">{problem.message}</p> : null}
      {logs === null && !problem ? <p className="placeholder">Loading the log…</p> : null}
      {logs !== null ? (
        <ol className="log-lines" ref={box} aria-label="Gateway log" tabIndex={0}>
          {shown.map((record, index) => (
            <li key={`${record.ts}-${index}`} className={`log-line log-${record.level}`}>
              <time dateTime={record.ts} title={localTime(record.ts)}>
                {clockTime(record.ts)}
              </time>{' '}
              <span className="log-level">{record.level}</span> <span className="log-scope">{record.scope}</span> {record.msg}
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}
