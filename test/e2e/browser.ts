// Driving Debian's Chromium with playwright-core for the end-to-end tests: launching it with a fresh
// profile, running axe-core in a page, and keeping a screenshot and the HTML of a page that failed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Why the browser tests cannot run here, or false when they can. */
export const noBrowser: string | false = fs.existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM} (apt-get install chromium); the browser tests are skipped`;

export const OUTPUT_DIR = path.resolve('test-output');
export const SCREENSHOT_DIR = path.join(OUTPUT_DIR, 'screenshots');

export type Browser = { context: BrowserContext; close(): Promise<void> };

/** A browser with its own new profile directory, removed on close. */
export async function launchBrowser(options: { width?: number; height?: number; locale?: string } = {}): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    locale: options.locale ?? 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(10_000);
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Keeps what the page looked like: a full-page PNG and its HTML, under test-output/. */
export async function savePage(page: Page, name: string, dir = path.join(OUTPUT_DIR, 'e2e')): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name.replace(/[^\w.-]+/g, '-'));
  await page.screenshot({ path: `${file}.png`, fullPage: true }).catch(() => undefined);
  fs.writeFileSync(`${file}.html`, await page.content().catch(() => ''));
  return file;
}

/** Runs `fn`; when it throws, saves the page first so the failure can be looked at. */
export async function step<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const file = await savePage(page, `failed-${name}`);
    if (err instanceof Error) err.message += `\n(page saved as ${file}.png and .html)`;
    throw err;
  }
}

const AXE_SOURCE = fs.readFileSync(path.resolve('node_modules/axe-core/axe.min.js'), 'utf8');

export type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] };

/**
 * The serious and critical axe-core violations of the page as it is now. The script is evaluated
 * through the DevTools protocol, which the page's CSP (scripts from our origin only) does not govern.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Strings, not functions: they run in the page, and this project's TypeScript has no DOM types.
  if (!(await page.evaluate("typeof window.axe === 'object'"))) await page.evaluate(AXE_SOURCE);
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
  const violations = await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(tags)} } }).then((r) => r.violations)`);
  return (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A readable list of violations for an assertion message. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join('\n  ')}`).join('\n');
}
