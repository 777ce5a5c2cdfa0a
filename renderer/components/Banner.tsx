// A message across the top of a screen or a form: an error (announced at once), a warning, or
// information. Multi-line text keeps its lines (config errors list one problem per line).
import { useId, type ReactNode } from 'react';

export type Tone = 'error' | 'warning' | 'info' | 'ok';

const ICONS: Record<Tone, string> = { error: '!', warning: '!', info: 'i', ok: '✓' };

export function Banner({ tone, title, children, actions, className }: { tone: Tone; title: string; children?: ReactNode; actions?: ReactNode; className?: string }) {
  const id = useId();
  return (
    <section className={`banner banner-${tone}${className ? ` ${className}` : ''}`} role={tone === 'error' ? 'alert' : undefined} aria-labelledby={id}>
      <span className="banner-icon" aria-hidden="true">
        {ICONS[tone]}
      </span>
      <div className="banner-body">
        <h2 id={id} className="banner-title">
          {title}
        </h2>
        {children}
        {actions ? <div className="banner-actions">{actions}</div> : null}
      </div>
    </section>
  );
}

/** The outcome of the last action, announced politely; the space is kept so nothing jumps. */
export function Notice({ notice, className }: { notice: { kind: 'ok' | 'warning' | 'error'; text: string } | null; className?: string }) {
  return (
    <p role="status" aria-live="polite" className={`notice${notice ? ` notice-${notice.kind}` : ''}${className ? ` ${className}` : ''}`}>
      {notice?.text ?? ''}
    </p>
  );
}
