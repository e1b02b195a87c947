// The confirmation-link page (Cells Drive 確認リンク) as a person meets it: opened from the
// notice that reached the fake Chatwork, confirmed with the keyboard alone, read again in
// English, on a desktop and on a phone.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  allowConsoleError,
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
import { eventually, startWorld } from './lib/world.mjs';

const ROOM = 5001;

let world;
let browser;

before(async () => {
  world = await startWorld({ fakes: ['chatwork'] });
  browser = await launchBrowser();
  await world.api('/settings', { confirmation_link_ttl_days: 7 }, { method: 'PUT' });
  await world.connectChatwork({ room: ROOM });
});

after(async () => {
  await browser?.close();
  await world?.close();
});

/** Sends the event and resolves with `[eventId, link]`, the link read from the message the
 * fake Chatwork received, as the person would click it. */
async function notice(event) {
  const id = await world.sendEvent({ type: 'file.uploaded', to: { tenant: true }, ...event });
  const message = await eventually(`the notice "${event.title}" reached Chatwork room ${ROOM}`, async () =>
    (await world.fakes.chatwork.messages({ room_id: ROOM })).find((m) => m.body.includes(event.title)),
  );
  const link = message.body.match(/確認 \/ Confirm: (http\S+?)(\[\/info\]|\s|$)/)?.[1];
  assert.ok(link, `no confirmation link in the message: ${message.body}`);
  return [id, link];
}

async function delivery(eventId) {
  return (await world.api(`/events/${eventId}`)).deliveries[0];
}

test('a person confirms a notice with the keyboard alone in Japanese, then reads it in English', async (t) => {
  const [id, link] = await notice({ title: '給与データが届きました', body: '2026年11月分の給与データです。\nご確認ください。' });
  const page = await openPage(t, browser, { locale: 'ja-JP' });

  const response = await visit(page, link);
  await assertNoInlineScript(page, response);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.getByRole('heading', { level: 1, name: '通知の確認' }).waitFor();
  await page.getByRole('heading', { level: 2, name: '給与データが届きました' }).waitFor();
  await checkA11y(page, { label: 'the notice (ja)' });

  const confirm = page.getByRole('button', { name: '確認しました' });
  await tabTo(page, confirm);
  await assertFocusVisible(page);
  assert.equal((await delivery(id)).confirmed_at, null, 'opening the page alone confirmed nothing');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: '確認しました' }).waitFor();
  await page.getByText(/に確認したことが記録されました/).waitFor();
  await checkA11y(page, { label: 'the confirmation (ja)' });
  const confirmed = await delivery(id);
  assert.ok(confirmed.confirmed_at, `the delivery is not confirmed: ${JSON.stringify(confirmed)}`);

  const english = page.getByRole('link', { name: 'English' });
  await tabTo(page, english);
  await assertFocusVisible(page);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Confirm this notice' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.getByText(/^This notice was confirmed on \d{4}-\d\d-\d\d \d\d:\d\d \(Japan time\)\.$/).waitFor();
  assert.equal(await page.getByRole('button').count(), 0, 'a confirmed notice offers no button');
  await checkA11y(page, { label: 'the confirmed notice (en)' });
  // Switching back: the other language's link is always there.
  await page.getByRole('link', { name: '日本語' }).waitFor();
  assert.equal((await delivery(id)).confirmed_at, confirmed.confirmed_at, 'the first confirmation is kept');
});

test('on a phone the page fits the screen in both languages, even with a long link in the notice', async (t) => {
  const url = `https://drive.example/files/2026/11/${'0123456789abcdef'.repeat(6)}/給与データ.pdf?download=1`;
  const [, link] = await notice({ title: '書類が届きました', body: `共有フォルダ\n${'とても長い説明文です。'.repeat(8)}`, url });
  for (const locale of ['ja-JP', 'en-US']) {
    const page = await openPhonePage(t, browser, { locale });
    const response = await visit(page, link);
    await assertNoInlineScript(page, response);
    await page.getByRole('link', { name: url }).waitFor();
    await assertNoHorizontalScroll(page);
    await checkA11y(page, { label: `the notice on a phone (${locale})` });
  }
});

test('an altered link answers a page that says so, in the reader language', async (t) => {
  const [, link] = await notice({ title: '改ざんテスト' });
  // Someone lengthens the link's lifetime: `/c/{delivery}.{expires_ms}.{signature}`.
  const altered = link.replace(/(\/c\/\d+\.)(\d+)/, (_, head, expires) => `${head}${Number(expires) + 86_400_000}`);
  assert.notEqual(altered, link);
  for (const [locale, heading] of [
    ['ja-JP', 'リンクが正しくありません'],
    ['en-US', 'This link is not valid'],
  ]) {
    const page = await openPage(t, browser, { locale });
    allowConsoleError(page, /status of 400/);
    const response = await visit(page, altered, { status: 400 });
    await assertNoInlineScript(page, response);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    assert.equal(await page.getByRole('button').count(), 0);
    await checkA11y(page, { label: `the altered-link page (${locale})` });
  }
});
