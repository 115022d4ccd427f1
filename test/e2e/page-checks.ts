// Checks the journey makes on many pages: the flash after an action, the skip link and a visible
// focus ring for keyboard use, a confirmation before anything is deleted, and which of the bulk
// panel's schedule fields are shown.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/** The page says what the last action did, in a flash message. */
export async function assertFlash(page: Page, text: RegExp): Promise<void> {
  const flashes = await page.locator('p.flash').allInnerTexts();
  assert.ok(flashes.some((f) => text.test(f)), `a flash says ${text} (flashes: ${JSON.stringify(flashes)})`);
}

/**
 * Keyboard use: the first Tab lands on a visible "Skip to content" link whose focus ring shows, and
 * following it puts the focus on <main>.
 */
export async function assertSkipLink(page: Page): Promise<void> {
  await page.locator('body').focus();
  await page.keyboard.press('Tab');
  const focused = String(await page.evaluate("document.activeElement.className + '|' + document.activeElement.getAttribute('href')"));
  assert.equal(focused, 'skip-link|#main', 'the first Tab reaches the skip link');
  const box = await page.locator('.skip-link').boundingBox();
  assert.ok(box && box.x >= 0 && box.y >= 0 && box.width > 0, 'the focused skip link is on screen');
  const outline = String(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth"));
  assert.doesNotMatch(outline, /^none| 0px$/, `the skip link shows its focus (${outline})`);
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate('document.activeElement.id'), 'main', 'the skip link moves the focus to the content');
}

/** Follows a delete link or button, expects a confirmation page, and cancels it. Returns the page's heading. */
export async function assertConfirmsDelete(page: Page, trigger: ReturnType<Page['locator']>, backTo: RegExp): Promise<string> {
  const before = page.url();
  await Promise.all([page.waitForNavigation(), trigger.click()]);
  assert.notEqual(page.url(), before, 'deleting asks first, on a page of its own');
  const heading = await page.locator('h1').first().innerText();
  assert.equal(await page.getByRole('button', { name: /Delete/ }).count(), 1, 'the confirmation has one Delete button');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Cancel' }).click()]);
  assert.match(page.url(), backTo);
  return heading;
}

/** Which of the bulk panel's schedule fields are visible, by name. */
export async function visibleBulkFields(page: Page): Promise<string[]> {
  const names = ['scheduleType', 'dailyTime', 'cronExpression', 'intervalMinutes'];
  const shown: string[] = [];
  for (const name of names) if (await page.locator(`.bulk [name="${name}"]`).isVisible()) shown.push(name);
  return shown;
}
