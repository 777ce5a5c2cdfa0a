// A scrolling list whose newest entry is at the bottom (a conversation, a log) stays scrolled to
// the bottom as entries arrive and as the window is resized — unless the person scrolled up to
// read, as in Messages.
import { useEffect, useRef, type RefObject } from 'react';

/** How close to the end still counts as "at the bottom" (px). */
const SLACK_PX = 24;

export function useStickToBottom<T extends HTMLElement>(ref: RefObject<T | null>, itemCount: number): void {
  const atBottom = useRef(true);

  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const onScroll = () => {
      atBottom.current = box.scrollHeight - box.scrollTop - box.clientHeight <= SLACK_PX;
    };
    box.addEventListener('scroll', onScroll, { passive: true });
    const resized = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => {
      if (atBottom.current) box.scrollTop = box.scrollHeight;
    });
    resized?.observe(box);
    return () => {
      box.removeEventListener('scroll', onScroll);
      resized?.disconnect();
    };
  }, [ref, itemCount > 0]);

  useEffect(() => {
    const box = ref.current;
    if (box && atBottom.current) box.scrollTop = box.scrollHeight;
  }, [ref, itemCount]);
}
