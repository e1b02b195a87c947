// The delivery log as an administrator uses it after a complaint ("the notice never came"):
// open the log, filter by failed, open the event, see why it went where it went and what
// Chatwork answered, press "resend" with the keyboard, and see it delivered.

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
} from './lib/browser.mjs';
import { eventually, startWorld } from './lib/world.mjs';

let world;
let browser;
let connection;
let failedEvent;

before(async () => {
  world = await startWorld({ fakes: ['chatwork'] });
  browser = await launchBrowser();
  connection = await world.connectChatwork({ room: 5001 });
  // Client みなと物流's notices go to room 5002 (開発部 in the fake).
  await world.api('/clients/minato', { name: '株式会社みなと物流', rooms: { chatwork: '5002' } }, { method: 'PUT' });
  await world.settled(await world.sendEvent({ type: 'file.uploaded', to: { tenant: true }, title: '事務所へのお知らせ' }));
  // Chatwork refuses the next post into room 5002 (403: no permission), once: the notice
  // fails for good, and the room accepts posts again afterwards (the "fix").
  await world.fakes.chatwork.post('/_fake/fail', { count: 1, status: 403, path_contains: '/rooms/5002/' });
  failedEvent = await world.sendEvent({
    type: 'file.uploaded',
    to: { clients: ['minato'] },
    title: 'みなと物流から書類が届きました',
    body: '雇用契約書 4月入社分.pdf',
  });
  const event = await world.settled(failedEvent);
  assert.equal(event.deliveries[0].status, 'failed', JSON.stringify(event));
});

after(async () => {
  await browser?.close();
  await world?.close();
});

test('find a failed delivery and resend it with the keyboard', async (t) => {
  const page = await openPage(t, browser, { locale: 'ja-JP' });
  const response = await world.signIn(page, { returnTo: '/console/events' });
  await assertNoInlineScript(page, response);
  await page.getByRole('heading', { level: 1, name: '送信履歴' }).waitFor();
  assert.equal(await page.getByRole('link', { name: '事務所へのお知らせ' }).count(), 1);
  await checkA11y(page, { label: 'delivery log' });

  await page.getByLabel('送信結果').selectOption('failed');
  await page.getByRole('button', { name: '絞り込む' }).click();
  await page.waitForURL(/status=failed/);
  await page.getByRole('heading', { level: 2, name: '条件に合う通知' }).waitFor();
  assert.equal(await page.getByRole('link', { name: '事務所へのお知らせ' }).count(), 0, 'a delivered event is listed under failed');
  const row = page.getByRole('row', { name: /みなと物流から書類が届きました/ });
  await row.getByText('失敗 1').waitFor();
  await checkA11y(page, { label: 'delivery log filtered by failed' });

  await row.getByRole('link').click();
  await page.waitForURL(new RegExp(`/console/events/${failedEvent}$`));
  await page.getByRole('heading', { level: 1, name: 'みなと物流から書類が届きました' }).waitFor();
  // The count of failed deliveries narrows the page to those.
  await page.getByRole('link', { name: '失敗 1' }).click();
  await page.waitForURL(new RegExp(`/console/events/${failedEvent}\\?status=failed$`));
  await page.getByText('送信結果が「失敗」の送信先だけを表示しています。').waitFor();
  const delivery = page.locator('article.delivery');
  assert.equal(await delivery.count(), 1, 'only the failed delivery is shown');
  await delivery.getByText('相手先がこの送信先への投稿を受け付けませんでした').first().waitFor();
  await delivery.getByRole('cell', { name: '403', exact: true }).waitFor();
  // Why it went to room 5002, in Japanese like the rest of the page.
  await delivery
    .getByText('顧問先 minato 自身の Chatwork 連携はないため、事務所の連携 #1 から顧問先のルーム 5002 へ')
    .waitFor();
  await checkA11y(page, { label: 'event page with a failed delivery' });

  // The keyboard alone: Tab to the button (it shows its focus), Enter, accept the question.
  const resend = delivery.getByRole('button', { name: '再送する' });
  await tabTo(page, resend, { max: 60 });
  await assertFocusVisible(page);
  const asked = new Promise((resolve) => {
    page.once('dialog', async (dialog) => {
      resolve(dialog.message());
      await dialog.accept();
    });
  });
  await page.keyboard.press('Enter');
  assert.equal(await asked, 'この送信先に通知をもう一度送信します。よろしいですか？');
  await page.waitForURL(/flash=log-resent/);
  await page.getByRole('status').getByText('再送を受け付けました。').waitFor();

  // It goes out in a moment: the page shows it once reloaded.
  await eventually(
    'the delivery shows as delivered',
    async () => {
      await page.reload();
      return (await page.locator('article.delivery .badge-delivered').count()) === 1;
    },
    { timeoutMs: 20_000, intervalMs: 300 },
  );
  await delivery.getByRole('cell', { name: '200', exact: true }).waitFor();
  assert.equal(await delivery.getByRole('button', { name: '再送する' }).count(), 0, 'a delivered notice offers no resend');
  await checkA11y(page, { label: 'event page after the resend' });
  const posted = await world.fakes.chatwork.messages({ room_id: 5002 });
  assert.equal(posted.filter((m) => m.body.includes('雇用契約書 4月入社分.pdf')).length, 1, JSON.stringify(posted));

  await page.goto(`${world.url}/console/audit`);
  await page.getByText('delivery.resend').waitFor();
});

test('resend every failed delivery since a time: mistakes are said on the form', async (t) => {
  // A form sent with a mistake answers 422, which Chromium reports in the console.
  const page = await openPage(t, browser, { locale: 'ja-JP', allowConsoleErrors: [/status of 422/] });
  await world.signIn(page, { returnTo: '/console/events/resend-failed' });
  await page.getByRole('heading', { level: 1, name: '失敗した通知をまとめて再送' }).waitFor();
  await checkA11y(page, { label: 'resend-failed form' });
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: '失敗した通知を再送する' }).click();
  await page.getByRole('alert').getByRole('link', { name: '再送する連携を選んでください。' }).waitFor();
  await checkA11y(page, { label: 'resend-failed form with an error' });

  await page.getByLabel('連携', { exact: true }).selectOption(String(connection.id));
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: '失敗した通知を再送する' }).click();
  await page.waitForURL(/\/console\/events\?resent=\d+$/);
  await page.getByRole('status').getByText(/再送/).waitFor();
});

test('the log and an event page fit a phone, in English', async (t) => {
  const page = await openPhonePage(t, browser, { locale: 'en-US' });
  await world.signIn(page, { returnTo: '/console/events' });
  await page.getByRole('heading', { level: 1, name: 'Delivery log' }).waitFor();
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'delivery log (phone, en)' });
  await page.getByRole('link', { name: 'みなと物流から書類が届きました' }).click();
  await page.getByRole('heading', { level: 2, name: 'The event' }).waitFor();
  await page.getByText('Why it went there').first().waitFor();
  await page
    .getByText("client minato has no Chatwork connection of its own, so the office's connection #1 posts into the client's room 5002")
    .waitFor();
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'event page (phone, en)' });
});
