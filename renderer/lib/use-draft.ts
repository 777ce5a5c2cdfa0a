// A form's editable copy of values that live in the gateway's config: it follows the config while
// untouched (another window, the CLI or a hot reload changed it) and is kept while being edited.
import { useEffect, useMemo, useState } from 'react';

export function useDraft<T>(initial: T): { draft: T; setDraft(next: T): void; dirty: boolean; reset(): void } {
  const initialKey = JSON.stringify(initial);
  const [draft, setDraftState] = useState(initial);
  const [base, setBase] = useState(initialKey);
  const dirty = useMemo(() => JSON.stringify(draft) !== initialKey, [draft, initialKey]);

  useEffect(() => {
    if (initialKey === base) return;
    setBase(initialKey);
    // Only an untouched form follows the new values.
    setDraftState((current) => (JSON.stringify(current) === base ? (JSON.parse(initialKey) as T) : current));
  }, [initialKey, base]);

  return {
    draft,
    setDraft: setDraftState,
    dirty,
    reset: () => setDraftState(JSON.parse(initialKey) as T),
  };
}
