import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTROL_UI_CSP, CONTROL_UI_CSP_META } from './http-static';

// Serving itself (MIME, traversal, fallback) is tested through the real server in
// control-server.test.ts; this checks the policy against the page it protects.
describe('CONTROL_UI_CSP', () => {
  it('is the policy of the renderer page meta tag, plus frame-ancestors', () => {
    const html = readFileSync(fileURLToPath(new URL('../../renderer/index.html', import.meta.url)), 'utf8');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTROL_UI_CSP_META);
    expect(CONTROL_UI_CSP).toBe(`${meta}; frame-ancestors 'none'`);
  });

  it('allows no inline script or style and no framing', () => {
    expect(CONTROL_UI_CSP).not.toContain('unsafe-inline');
    expect(CONTROL_UI_CSP).not.toContain('unsafe-eval');
    expect(CONTROL_UI_CSP).toContain("frame-ancestors 'none'");
    expect(CONTROL_UI_CSP).toContain("default-src 'none'");
  });
});
