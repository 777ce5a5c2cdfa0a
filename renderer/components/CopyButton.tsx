// A command to copy: the text itself (selectable) and a Copy button. Where the clipboard is not
// available (an insecure page, a denied permission) the text is selected for ⌘C instead.
import { useRef, useState } from 'react';

export function CommandLine({ command, label }: { command: string; label?: string }) {
  const codeRef = useRef<HTMLElement>(null);
  const [state, setState] = useState<'idle' | 'copied' | 'select'>('idle');

  const copy = () => {
    const selectText = () => {
      const node = codeRef.current;
      const selection = window.getSelection();
      if (node && selection) {
        const range = document.createRange();
        range.selectNodeContents(node);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setState('select');
    };
    if (!navigator.clipboard) return selectText();
    navigator.clipboard.writeText(command).then(() => setState('copied'), selectText);
  };

  return (
    <div className="command">
      <code ref={codeRef} className="command-text">
        {command}
      </code>
      <button type="button" className="small" onClick={copy} aria-label={label ?? `Copy ${command}`}>
        {state === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span className="visually-hidden" role="status">
        {state === 'copied' ? 'Copied to the clipboard.' : state === 'select' ? 'Selected: press Command-C to copy.' : ''}
      </span>
    </div>
  );
}
