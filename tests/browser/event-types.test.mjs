// Event types (ACALL デバイス設定, HiManager 送信先設定, WORKPLACE 通知管理) and the route
// preview, as an administrator uses them: add a type, fix a mistake the form points out,
// switch a tool off in the matrix, and check where a notice would go before sending it.

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
  await world.api('/groups/soumu', { name: '総務', rooms: { chatwork: '#!rid5001' } }, { method: 'PUT' });
  await world.api(
    '/members/yamada',
    { name: '山田太郎', groups: ['soumu'], identities: { chatwork: { account_id: '2001' } } },
    { method: 'PUT' },
  );
});

after(async () => {
  await browser?.close();
  await world?.close();
});

test('an event type is added, corrected on its form, and switched off for a tool', async (t) => {
  // The form with a mistake is answered 422, which Chromium logs as an error.
  const page = await openPage(t, browser, { locale: 'ja-JP', allowConsoleErrors: [/status of 422/] });
  await world.signIn(page, { returnTo: '/console/event-types' });
  await page.getByRole('heading', { level: 1, name: '通知の種類' }).waitFor();
  await checkA11y(page, { label: 'event types (empty)' });

  await page.getByLabel('キー', { exact: true }).fill('visitor.arrived');
  await page.getByLabel('表示名').fill('来訪通知');
  await page.getByRole('radio', { name: /^ダイレクト/ }).check();
  await page.getByLabel('確認リンクの有効期間').selectOption({ label: '3日' });
  await page.getByRole('button', { name: '追加する' }).click();
  await page.getByText('通知の種類を追加しました。').waitFor();
  const row = page.getByRole('row', { name: /来訪通知/ }).first();
  await row.getByRole('cell', { name: 'ダイレクト' }).waitFor();
  await checkA11y(page, { label: 'event types (one type)' });

  // A name left empty: the summary at the top takes the focus and links to the field.
  await page.getByRole('link', { name: /編集/ }).first().click();
  await page.getByRole('heading', { level: 1, name: '「来訪通知」の設定' }).waitFor();
  await page.getByLabel('表示名').fill('');
  await page.getByRole('button', { name: '保存する' }).click();
  const summary = page.locator('#error-summary');
  await summary.getByRole('link', { name: '表示名を入力してください（1行、255文字以内）。' }).waitFor();
  assert.equal(await summary.evaluate((el) => el === document.activeElement), true, 'the summary has the focus');
  assert.equal(await page.getByLabel('表示名').getAttribute('aria-invalid'), 'true');
  await checkA11y(page, { label: 'event type form with an error' });
  await page.getByLabel('表示名').fill('来訪のお知らせ');
  await page.getByRole('button', { name: '保存する' }).click();
  await page.getByText('通知の種類の設定を保存しました。').waitFor();

  const box = page.getByRole('checkbox', { name: '来訪のお知らせ: Chatwork' });
  assert.equal(await box.isChecked(), true);
  await box.uncheck();
  await page.getByRole('button', { name: 'ツールごとの設定を保存する' }).click();
  await page.getByText('ツールごとの設定を保存しました。').waitFor();
  assert.equal(await page.getByRole('checkbox', { name: '来訪のお知らせ: Chatwork' }).isChecked(), false);
  const preview = await world.api('/route-preview', { type: 'visitor.arrived', to: { tenant: true }, title: 't' });
  assert.deepEqual(
    preview.deliveries.map((d) => [d.status, d.reason_code]),
    [['skipped', 'preference_off']],
  );
});

test('the route preview shows where a notice would go, why, and as Chatwork shows it', async (t) => {
  await world.api('/event-types/praise', { name: '称賛', delivery: 'room' }, { method: 'PUT' });
  const page = await openPage(t, browser, { locale: 'ja-JP' });
  await world.signIn(page, { returnTo: '/console/preview' });
  await page.getByRole('heading', { level: 1, name: '送信先プレビュー' }).waitFor();
  await checkA11y(page, { label: 'route preview form' });

  await page.getByRole('checkbox', { name: /事務所全体/ }).uncheck();
  await page.getByLabel('グループ ID').fill('soumu');
  await page.getByLabel('メンバー ID').fill('yamada, ghost');
  await page.getByLabel('通知の種類（キー）').fill('praise');
  await page.getByLabel('件名').fill('称賛が届きました');
  await page.getByLabel('本文').fill('佐藤さんから称賛が届きました');
  await page.getByRole('button', { name: '送信先を確認する' }).click();
  await page.getByRole('heading', { level: 2, name: '確認結果' }).waitFor();
  await page.getByRole('heading', { level: 3, name: 'Chatwork · ルーム 5001' }).waitFor();
  const shown = await page.locator('pre.rendered').first().innerText();
  assert.match(shown, /\[To:2001\]/);
  assert.match(shown, /称賛が届きました/);
  await page.getByRole('cell', { name: 'この ID のメンバーは登録されていません。' }).waitFor();
  // Why, in Japanese: the group's room, and the unknown ID named.
  await page.getByText(/^グループ .+ の Chatwork ルーム 5001 へ、連携 #\d+ から$/).first().waitFor();
  await page.getByText('外部 ID「ghost」のメンバーはいません').waitFor();
  await checkA11y(page, { label: 'route preview result' });
  const posted = await world.fakes.chatwork.messages();
  assert.deepEqual(posted.filter((m) => m.body.includes('佐藤さんから')), [], 'a preview sent something');
});

test('the event type and preview pages fit a phone', async (t) => {
  const page = await openPhonePage(t, browser, { locale: 'en-US' });
  await world.signIn(page, { returnTo: '/console/event-types' });
  await page.getByRole('heading', { level: 1, name: 'Event types' }).waitFor();
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'event types (phone, en)' });
  await page.goto(`${world.url}/console/preview`);
  await page.getByLabel('Group IDs').fill('soumu');
  await page.getByLabel('Event type (key)').fill('praise');
  await page.getByRole('button', { name: 'Preview the route' }).click();
  await page.getByRole('heading', { level: 2, name: 'Result' }).waitFor();
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'route preview result (phone, en)' });
});
