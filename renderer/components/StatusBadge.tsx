// A coloured dot and a word, as macOS shows a state (the word carries the meaning; the colour helps).
import type { ReactNode } from 'react';

export type StatusTone = 'ok' | 'warning' | 'error' | 'neutral' | 'progress';

export function StatusBadge({ tone, children, testId }: { tone: StatusTone; children: ReactNode; testId?: string }) {
  return (
    <span className={`status status-${tone}`} data-testid={testId}>
      <span className="status-dot" aria-hidden="true" />
      {children}
    </span>
  );
}
