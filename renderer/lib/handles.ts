// Light checks of what a person types into a sender list, so a typo shows while typing. The
// gateway validates again when the list is saved, and its answer is the one that counts.
import { normalizeHandle } from '../../contract/handles';

const PHONE = /^\+?[0-9][0-9 ().\-/]*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What is wrong with an allowFrom entry, or null when it is one the gateway understands. */
export function allowEntryProblem(raw: string): string | null {
  const entry = raw.trim();
  if (entry === '') return 'Type a phone number, an email address or a chat id.';
  if (entry === '*') return null;
  const lower = entry.toLowerCase();
  if (lower.startsWith('chat_id:')) return /^\d+$/.test(entry.slice(8).trim()) ? null : 'A chat id is a number, e.g. chat_id:42.';
  if (lower.startsWith('chat_guid:') || lower.startsWith('chat_identifier:')) return entry.split(':').slice(1).join(':').trim() ? null : 'Give the chat after the colon.';
  return handleProblem(entry);
}

/** What is wrong with a phone number or email address to text, or null. */
export function handleProblem(raw: string): string | null {
  const handle = raw.trim().replace(/^(imessage|sms|auto|tel):/i, '').trim();
  if (handle === '') return 'Type a phone number or an email address.';
  if (handle.includes('@')) return EMAIL.test(handle) ? null : 'This email address looks incomplete (e.g. someone@example.com).';
  if (PHONE.test(handle)) return handle.replace(/\D/g, '').length >= 3 ? null : 'This phone number is too short.';
  return 'Use a phone number with country code (e.g. +15555550123) or an email address.';
}

/** The form the gateway compares entries in (`+15555550123`, lower-case email); other entries as typed. */
export function canonicalEntry(raw: string): string {
  const entry = raw.trim();
  if (entry === '*' || /^chat_(id|guid|identifier):/i.test(entry)) return entry;
  return normalizeHandle(entry);
}
