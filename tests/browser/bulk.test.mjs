// Bulk send as the office does it (Cells Drive L1B): filter the Chatwork connection's rooms,
// tick three, write one message, send, and watch the progress reach 100 % without a reload.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertNoHorizontalScroll,
  assertNoInlineScript,
  checkA11y,
  launchBrowser,
  openPage,
  openPhonePage,
} from './lib/browser.mjs';
import { eventually, startWorld } from './lib/world.mjs';

let world;
let browser;
let connection;

before(async () => {
  world = await startWorld({ fakes: ['chatwork'] });
  browser = await launchBrowser();
  connection = await world.connectChatwork({ room: 5001 });
});

after(async () => {
  await browser?.close();
  await world?.close();
});

test('a message goes to three ticked rooms and the progress reaches 100 % live', async (t) => {
  const page = await openPage(t, browser, { locale: 'ja-JP' });
  const response = await world.signIn(page, { returnTo: '/console/bulk-sends/new' });
  await assertNoInlineScript(page, response);
  await page.getByRole('heading', { level: 1, name: '一斉送信' }).waitFor();
  await checkA11y(page, { label: 'bulk send form' });

  // The filter and the "select shown" button work together: only the filtered room is ticked.
  await page.getByLabel('ルーム名で絞り込む').fill('総務');
  await page.getByRole('button', { name: '表示中のルームをすべて選択' }).click();
  assert.equal(await page.getByRole('checkbox', { name: /開発部/ }).isVisible(), false);
  await page.getByLabel('ルーム名で絞り込む').fill('');
  assert.equal(await page.getByRole('checkbox', { name: /総務/ }).isChecked(), true);
  assert.equal(await page.getByRole('checkbox', { name: /開発部/ }).isChecked(), false);
  await page.getByRole('checkbox', { name: /開発部/ }).check();
  await page.getByRole('checkbox', { name: /^マイチャット/ }).check();
  await page.getByLabel('件名（任意）').fill('年末調整のお知らせ');
  await page.getByLabel('本文').fill('年末調整の書類を12月10日までにお送りください。');

  // Each post now takes a while to answer, so the page opens before the send is done. The
  // names of the rooms were read with the form: the progress page does not ask Chatwork.
  await world.fakes.chatwork.post('/_fake/delay', { ms: 1500 });
  t.after(() => world.fakes.chatwork.post('/_fake/delay', { ms: 0 }));
  await page.getByRole('button', { name: '送信', exact: true }).click();
  await page.waitForURL(/\/console\/bulk-sends\/\d+$/);
  const box = page.locator('[data-poll]');
  assert.equal(await box.getAttribute('data-done'), 'false', 'the send was already finished when the page opened');
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  });

  await page.getByText('100% 完了').waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('[data-poll]').getAttribute('data-done'), 'true');
  assert.equal(await page.locator('progress').getAttribute('value'), '100');
  assert.equal(navigations, 0, 'the progress reloaded the page instead of updating in place');
  for (const room of ['総務', '開発部', 'マイチャット']) {
    const row = page.getByRole('row', { name: new RegExp(room) });
    await row.getByText('送信済み').waitFor();
  }
  await checkA11y(page, { label: 'bulk send progress (done)' });

  const messages = await eventually('three posts in the fake', async () => {
    const all = await world.fakes.chatwork.messages();
    const ours = all.filter((m) => m.body.includes('年末調整の書類を12月10日まで'));
    return ours.length === 3 && ours;
  });
  const rooms = messages.map((m) => String(m.room_id)).sort();
  assert.ok(rooms.includes('5001') && rooms.includes('5002'), `posted to ${rooms}`);
});

test('the bulk send pages fit a phone', async (t) => {
  const page = await openPhonePage(t, browser, { locale: 'en-US' });
  await world.signIn(page, { returnTo: '/console/bulk-sends/new' });
  await page.getByRole('heading', { level: 1, name: 'Bulk send' }).waitFor();
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'bulk send form (phone, en)' });
  const { id } = await world.api('/bulk-sends', { connection_id: connection.id, rooms: ['5001'], body: 'phone check' });
  await page.goto(`${world.url}/console/bulk-sends/${id}`);
  await page.getByText('100% done').waitFor({ timeout: 20_000 });
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'bulk send progress (phone, en)' });
});
