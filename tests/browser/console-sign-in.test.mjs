// Getting into the admin console as an administrator does: a link minted by the product,
// the home page in Japanese, the switch to English and back by keyboard, sign-out; and what
// is refused: a link opened twice, a form without its CSRF token.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertFocusVisible,
  assertNoHorizontalScroll,
  assertNoInlineScript,
  checkA11y,
  launchBrowser,
  openPage,
  openPhonePage,
  tabTo,
  visit,
} from './lib/browser.mjs';
import { startWorld } from './lib/world.mjs';

let world;
let browser;

before(async () => {
  world = await startWorld({ fakes: ['chatwork'] });
  browser = await launchBrowser();
  await world.connectChatwork({ room: 5001 });
});

after(async () => {
  await browser?.close();
  await world?.close();
});

test('an administrator signs in with a minted link and switches the console to English and back', async (t) => {
  const page = await openPage(t, browser, { locale: 'ja-JP' });
  const response = await world.signIn(page);
  await assertNoInlineScript(page, response);
  assert.equal(new URL(page.url()).pathname, '/console');
  await page.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();
  await page.getByText(world.tenant.name).first().waitFor();
  await page.getByRole('cell', { name: '接続中' }).first().waitFor();
  await checkA11y(page, { label: 'home (ja)' });

  await tabTo(page, page.getByRole('link', { name: 'English' }));
  await assertFocusVisible(page);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await checkA11y(page, { label: 'home (en)' });

  // Every console page keeps the choice; the audit log is one of them.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
  await checkA11y(page, { label: 'audit (en)' });

  await tabTo(page, page.getByRole('link', { name: '日本語' }));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: '操作履歴' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
});

test('the console fits a phone', async (t) => {
  const page = await openPhonePage(t, browser, { locale: 'ja-JP' });
  await world.signIn(page);
  await page.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'home (phone)' });
});

test('a link works once: opened again it says it was used', async (t) => {
  const { url } = await world.consoleLink();
  const first = await openPage(t, browser);
  await visit(first, url);
  await first.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();

  const second = await openPage(t, browser, { allowConsoleErrors: [/status of 410/] });
  await visit(second, url, { status: 410 });
  await second.getByText('このリンクはすでに使われています').waitFor();
  await checkA11y(second, { label: 'used link' });
});

test('a form without its CSRF token is refused, and signing out by keyboard ends the session', async (t) => {
  const page = await openPage(t, browser, { allowConsoleErrors: [/status of 401/] });
  await world.signIn(page);
  // The same cookies, but no token: what a forged cross-site form would send.
  const forged = await page.request.post(`${world.url}/console/sign-out`, { form: {}, maxRedirects: 0 });
  assert.equal(forged.status(), 403);
  assert.match(await forged.text(), /再読み込み/);
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();

  await tabTo(page, page.getByRole('button', { name: 'ログアウト' }));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'ログアウトしました' }).waitFor();
  const again = await page.goto(`${world.url}/console`);
  assert.equal(again.status(), 401);
  await page.getByRole('heading', { level: 1, name: 'ログインしていません' }).waitFor();
  await checkA11y(page, { label: 'signed out' });
});

test('the front page explains how to get in', async (t) => {
  const page = await openPage(t, browser, { locale: 'en-US' });
  await visit(page, `${world.url}/`);
  await page.getByRole('heading', { level: 1, name: 'renkei notification hub' }).waitFor();
  await page.getByText('renkei tenant console-link').waitFor();
  await checkA11y(page, { label: 'front page' });
});
