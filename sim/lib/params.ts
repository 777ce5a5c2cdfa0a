// JSON-RPC parameter coercion, the same for every method (spec §1.8): lenient types, and anything
// that cannot be coerced counts as absent (so the default applies).

export type Params = Record<string, unknown>;

export function paramString(params: Params, key: string): string | undefined {
  const value = params[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  return undefined;
}

export function paramInt(params: Params, key: string): number | undefined {
  const value = params[key];
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

export function paramBool(params: Params, key: string): boolean | undefined {
  const value = params[key];
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

export function paramStringArray(params: Params, key: string): string[] | undefined {
  const value = params[key];
  let items: string[];
  if (Array.isArray(value)) {
    items = value.flatMap((item) =>
      typeof item === 'string' ? [item] : typeof item === 'number' || typeof item === 'boolean' ? [String(item)] : []);
  } else if (typeof value === 'string') {
    items = value.split(',');
  } else {
    return undefined;
  }
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}
