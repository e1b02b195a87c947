// Every console page, reached the way a person reaches it (the section links in the
// navigation, then the first item of each list), passes the page checks in both languages:
// axe finds nothing serious or critical, no console error or CSP violation, and a phone
// never scrolls sideways. New sections are covered as soon as the navigation links them.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertNoHorizontalScroll, checkA11y, launchBrowser, openPage, openPhonePage } from './lib/browser.mjs';
import { startWorld } from './lib/world.mjs';

let world;
let browser;

before(async () => {
  world = await startWorld({ fakes: ['chatwork'] });
  browser = await launchBrowser();
  await world.connectChatwork({ room: 5001 });
  await world.api('/event-types/file.uploaded', { name: '書類のアップロード', delivery: 'room' }, { method: 'PUT' });
  await world.api('/groups/honsha', { name: '本社', rooms: { chatwork: '5001' } }, { method: 'PUT' });
  await world.api('/groups/dev', { name: '開発部', parent: 'honsha' }, { method: 'PUT' });
  await world.api('/clients/acme', { name: '株式会社アクメ', rooms: { chatwork: '5002' } }, { method: 'PUT' });
  await world.api('/members/yamada', { name: '山田 太郎', groups: ['dev'], identities: { chatwork: { account_id: '101' } } }, { method: 'PUT' });
  const id = await world.sendEvent({ type: 'file.uploaded', to: { groups: ['dev'], clients: ['acme'] }, title: '書類が届きました', body: '確認してください' });
  await world.settled(id, { timeoutMs: 20_000 });
});

after(async () => {
  await browser?.close();
  await world?.close();
});

/** The section links of the console's navigation, as the page shows them. */
async function sections(page) {
  const links = page.getByRole('navigation').getByRole('link');
  const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.length >= 10, `the navigation shows ${hrefs.length} sections`);
  return hrefs;
}

/** The first link in the page's main content that goes one level deeper into the section. */
async function firstDetail(page, section) {
  const hrefs = await page.locator('main a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  return hrefs.find((h) => h && h.startsWith(`${section}/`) && !h.includes('?') && !/\/(new|import)$/.test(h));
}

for (const locale of ['ja-JP', 'en-US']) {
  test(`every console page passes the page checks (${locale})`, async (t) => {
    const page = await openPage(t, browser, { locale });
    await world.signIn(page);
    const visited = [];
    for (const href of await sections(page)) {
      const response = await page.goto(`${world.url}${href}`);
      assert.equal(response.status(), 200, `${href} answered ${response.status()}`);
      await checkA11y(page, { label: `${href} (${locale})` });
      visited.push(href);
      const detail = await firstDetail(page, href.replace(/\/new$/, ''));
      if (detail && !visited.includes(detail)) {
        const r = await page.goto(`${world.url}${detail}`);
        assert.equal(r.status(), 200, `${detail} answered ${r.status()}`);
        await checkA11y(page, { label: `${detail} (${locale})` });
        visited.push(detail);
      }
    }
    t.diagnostic(`checked ${visited.length} pages: ${visited.join(' ')}`);
  });
}

test('every console section fits a phone', async (t) => {
  const page = await openPhonePage(t, browser, { locale: 'ja-JP' });
  await world.signIn(page);
  for (const href of await sections(page)) {
    await page.goto(`${world.url}${href}`);
    await assertNoHorizontalScroll(page);
  }
});
