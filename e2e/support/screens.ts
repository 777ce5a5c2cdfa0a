// What every screen is checked for in the browser tests: no serious accessibility violations (axe),
// no horizontal scroll from 360 px up, and a screenshot in light and dark mode for a person to
// look at (test-results/screenshots/, git-ignored).
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCREENSHOT_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)), 'test-results', 'screenshots');

/** The narrowest window the screens support (a menu-bar popover) and a full one. */
export const WIDTHS = { popover: 360, window: 1100 } as const;

export interface AxeProblem {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/** Serious and critical axe violations on the page as it is now (none expected). */
export async function seriousA11yProblems(page: Page): Promise<AxeProblem[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, targets: violation.nodes.map((node) => node.target.join(' ')) }));
}

/** The page is not wider than the window (nothing sticks out sideways). */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return { scroll: root.scrollWidth, client: root.clientWidth };
  });
  expect(widths.scroll, 'the page scrolls sideways').toBeLessThanOrEqual(widths.client);
}

/**
 * Checks the screen now showing at both widths and in both colour schemes: axe, no sideways
 * scroll, and a full-page screenshot named `<name>-<width>-<scheme>.png`.
 */
export async function checkScreen(page: Page, name: string, ready: () => Promise<void>): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const [label, width] of Object.entries(WIDTHS)) {
    await page.setViewportSize({ width, height: label === 'popover' ? 640 : 800 });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
      await ready();
      expect(await seriousA11yProblems(page), `${name} at ${width} px, ${scheme}`).toEqual([]);
      await expectNoHorizontalScroll(page);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}-${scheme}.png`), fullPage: true, animations: 'disabled' });
    }
  }
}
