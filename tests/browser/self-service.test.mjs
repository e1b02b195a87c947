// The self-service pages as members and clients use them (issue 10): a member opens the link
// their product gave them, links Slack by webhook, gets a test notice, switches a notice off
// for Slack; links LINE through LINE Login; a client connects its own Chatwork token; the
// member page inside the product's frame (examples/embed/host.html) from an allowed origin,
// refused from another; and a member's link reaches that member only.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
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

const SLACK_WEBHOOK = '/services/T0000FAKE1/B0DEMO0001/demowebhooksecret0001';
const SLACK_CHANNEL = 'C0DEMO0001';
const LINE_SATO = 'U22222222222222222222222222222222';
const HOST_PAGE = readFileSync(join(import.meta.dirname, '../../examples/embed/host.html'), 'utf8');

let world;
let browser;
const servers = [];

before(async () => {
  world = await startWorld({ fakes: ['chatwork', 'slack', 'line'] });
  browser = await launchBrowser();
  await world.api('/connections', {
    provider: 'line',
    owner: { tenant: true },
    credentials: {
      channel_access_token: 'demo-line-token-0001',
      channel_secret: '5e1d5e1d5e1d5e1d5e1d5e1d5e1d5e1d',
      login_channel_id: '2000000002',
      login_channel_secret: '10c10c10c10c10c10c10c10c10c10c10',
    },
  });
  await world.api('/event-types/post.mentioned', { name: '自分宛ての投稿', delivery: 'direct' }, { method: 'PUT' });
  await world.api('/event-types/file.uploaded', { name: '書類のアップロード', delivery: 'direct' }, { method: 'PUT' });
  for (const [id, name] of [['yamada', '山田太郎'], ['sato', '佐藤花子'], ['suzuki', '鈴木一郎']]) {
    await world.api(`/members/${id}`, { name }, { method: 'PUT' });
  }
  await world.api('/clients/acme', { name: 'アクメ商事' }, { method: 'PUT' });
});

after(async () => {
  for (const server of servers) server.close();
  await browser?.close();
  await world?.close();
});

/** Opens a member's (or client's) settings link in `page`; resolves with the response. */
async function openLink(page, kind, id, query = '') {
  const { url } = await world.api(`/${kind}/${id}/settings-links`, {});
  const response = await page.goto(url + query);
  assert.equal(response.status(), 200, `the settings link answered ${response.status()} at ${page.url()}`);
  return response;
}

/** The Slack card of the member page. */
const slackCard = (page) => page.locator('#tool-slack');

test('a member links Slack, gets a test notice, and switches a notice off for Slack', async (t) => {
  const page = await openPage(t, browser, { locale: 'ja-JP' });
  const response = await openLink(page, 'members', 'yamada');
  await assertNoInlineScript(page, response);
  assert.equal(new URL(page.url()).pathname, '/me');
  await page.getByRole('heading', { level: 1, name: '通知設定' }).waitFor();
  await page.getByText('山田太郎 さん').waitFor();
  await checkA11y(page, { label: 'member page (nothing linked)' });

  const card = slackCard(page);
  // Each tool's form is folded under its summary, as the seed's gear icon opens it.
  await card.getByText('Slack と連携する').click();
  await card.getByLabel('Webhook URL').fill(world.fakes.slack.url + SLACK_WEBHOOK);
  await card.getByLabel('メンバーID').fill('U0DEMO0001');
  await card.getByRole('button', { name: '接続する' }).click();
  await page.getByText('保存しました。').waitFor();
  await slackCard(page).getByText('接続中').waitFor();
  const own = (await world.api('/connections')).filter((c) => c.owner.member === 'yamada');
  assert.deepEqual(own.map((c) => [c.provider, c.kind]), [['slack', 'webhook']]);
  assert.ok(!(await page.content()).includes('demowebhooksecret0001'), 'the webhook URL is shown back');
  await checkA11y(page, { label: 'member page (Slack linked)' });

  // The test notice: the result appears on the page (script follows it) and in Slack.
  await slackCard(page).getByRole('button', { name: 'テスト通知を送る' }).click();
  await slackCard(page).locator('.test-result').getByText('届きました').waitFor({ timeout: 15_000 });
  const posted = await world.fakes.slack.messages({ channel: SLACK_CHANNEL });
  const test = posted.filter((m) => m.text.includes('テスト通知'));
  assert.equal(test.length, 1, JSON.stringify(posted));
  assert.ok(test[0].text.includes('<@U0DEMO0001>'), test[0].text);

  // Mentions off for Slack: the next one skips Slack, and says why.
  const box = page.getByRole('checkbox', { name: '自分宛ての投稿 を Slack で受け取る' });
  assert.equal(await box.isChecked(), true);
  await box.uncheck();
  await page.getByRole('button', { name: '保存する' }).last().click();
  await page.getByText('通知の受け取り方を保存しました。').waitFor();
  assert.equal(await page.getByRole('checkbox', { name: '自分宛ての投稿 を Slack で受け取る' }).isChecked(), false);
  assert.deepEqual(await world.api('/members/yamada/preferences'), { 'post.mentioned': { slack: false } });
  const before = (await world.fakes.slack.messages({ channel: SLACK_CHANNEL })).length;
  const id = await world.sendEvent({ type: 'post.mentioned', to: { members: ['yamada'] }, title: '工程に投稿がありました' });
  const event = await world.settled(id);
  const slack = event.deliveries.find((d) => d.provider === 'slack');
  assert.equal(slack.status, 'skipped', JSON.stringify(event));
  assert.equal(slack.reason_code, 'preference_off');
  assert.match(slack.reason, /switched slack off for post\.mentioned/);
  assert.equal((await world.fakes.slack.messages({ channel: SLACK_CHANNEL })).length, before);
  // Another type still reaches Slack.
  await world.settled(await world.sendEvent({ type: 'file.uploaded', to: { members: ['yamada'] }, title: '書類が届きました' }));
  assert.equal((await world.fakes.slack.messages({ channel: SLACK_CHANNEL })).length, before + 1);

  await page.reload();
  const latest = page.locator('table.recent');
  await latest.getByText('工程に投稿がありました').waitFor();
  await latest.getByText('この通知はこのツールで受け取らない設定です。').first().waitFor();
  await checkA11y(page, { label: 'member page (notices)' });
});

test('a member links LINE through LINE Login from their page', async (t) => {
  const page = await openPage(t, browser, { locale: 'ja-JP' });
  await openLink(page, 'members', 'sato');
  const card = page.locator('#tool-line');
  await card.getByText('まだ LINE と連携していません。').waitFor();
  await card.getByRole('link', { name: 'https://line.me/R/ti/p/%40123renkei' }).waitFor();
  await card.getByRole('img', { name: '公式アカウントを友だち追加する QR コード' }).waitFor();
  await card.getByRole('link', { name: 'LINE でログインして連携' }).click();
  // The fake LINE Login signs 佐藤 in and sends the browser back; the page says so.
  await page.getByText('LINE と連携しました。').waitFor();
  assert.equal(new URL(page.url()).pathname, '/me');
  await page.locator('#tool-line').getByText('LINE と連携済みです。').waitFor();
  const member = await world.api('/members/sato');
  assert.equal(member.identities.line, LINE_SATO);
  await checkA11y(page, { label: 'member page (LINE linked)' });
});

test('a client connects its own Chatwork token and its next notice lands in its My Chat', async (t) => {
  const page = await openPage(t, browser, { locale: 'ja-JP', allowConsoleErrors: [/status of 422/] });
  const response = await openLink(page, 'clients', 'acme');
  await assertNoInlineScript(page, response);
  await page.getByRole('heading', { level: 1, name: 'Chatwork 通知設定' }).waitFor();
  await page.getByText('アクメ商事 さん').waitFor();
  await checkA11y(page, { label: 'client page (not connected)' });

  // A wrong token is said next to the field and in the summary.
  await page.getByLabel('API トークン').fill('not-a-token');
  await page.getByRole('button', { name: '接続する' }).click();
  const summary = page.locator('#error-summary');
  await summary.getByRole('link', { name: /API トークンを受け付けませんでした/ }).waitFor();
  assert.equal(await page.getByLabel('API トークン').getAttribute('aria-invalid'), 'true');
  await checkA11y(page, { label: 'client page (refused token)' });

  await page.getByLabel('API トークン').fill('demo-token-0001');
  await page.getByRole('button', { name: '接続する' }).click();
  await page.getByText('保存しました。').waitFor();
  await page.getByText('御社のトークン（renkei 通知）で、マイチャットに届きます。').waitFor();
  const own = (await world.api('/connections')).find((c) => c.owner.client === 'acme');
  assert.ok(own, 'the client owns a connection');
  const myChat = Number(own.default_room);

  const id = await world.sendEvent({ type: 'file.uploaded', to: { clients: ['acme'] }, title: 'アクメ商事へのお知らせ' });
  const event = await world.settled(id);
  assert.equal(event.deliveries[0].status, 'delivered', JSON.stringify(event));
  const inMyChat = await world.fakes.chatwork.messages({ room_id: myChat });
  assert.ok(inMyChat.some((m) => m.body.includes('アクメ商事へのお知らせ')), JSON.stringify(inMyChat));
  await checkA11y(page, { label: 'client page (connected)' });
});

/** Serves examples/embed/host.html on a port of its own, framing `settingsUrl`. */
async function hostPage(settingsUrl) {
  const html = HOST_PAGE.replaceAll('{{RENKEI_SETTINGS_URL}}', settingsUrl).replaceAll('{{RENKEI_ORIGIN}}', world.url);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

test('the member page works in a frame of an allowed origin and is refused by another', async (t) => {
  const allowed = await hostPage((await world.api('/members/suzuki/settings-links', {})).url);
  const refused = await hostPage((await world.api('/members/suzuki/settings-links', {})).url);
  await world.api('/settings', { frame_origins: [allowed] }, { method: 'PUT' });

  const page = await openPage(t, browser, { locale: 'ja-JP' });
  await page.goto(allowed);
  const frame = page.frameLocator('#renkei');
  await frame.getByRole('heading', { level: 1, name: '通知設定' }).waitFor();
  await frame.getByText('鈴木一郎 さん').waitFor();
  // Saving inside the frame works (cookie and CSRF token), and the product hears of it.
  const card = frame.locator('#tool-slack');
  await card.getByText('Slack と連携する').click();
  await card.getByLabel('メンバーID').fill('U0DEMO0002');
  await card.getByRole('button', { name: '接続する' }).click();
  await frame.getByText('保存しました。').waitFor();
  await page.getByText('保存されました (slack)').waitFor();
  assert.equal(await page.evaluate(() => document.body.dataset.saved), 'slack');
  assert.equal((await world.api('/members/suzuki')).identities.slack, 'U0DEMO0002');
  // Still the compact view after the save.
  const inner = page.frames().find((f) => f.url().includes('/me'));
  assert.match(inner.url(), /embed=1/);

  // Another origin: the browser refuses to show the page in its frame.
  const other = await openPage(t, browser, { locale: 'ja-JP', allowConsoleErrors: [/frame-ancestors|Refused to frame/] });
  await other.goto(refused);
  await eventually('the frame is refused', async () =>
    other.frames().some((f) => f !== other.mainFrame() && f.url().startsWith('chrome-error:')),
  );
  assert.equal(await other.frameLocator('#renkei').getByRole('heading', { name: '通知設定' }).count(), 0);
});

test("a member's link opens that member's page and nothing else", async (t) => {
  const page = await openPage(t, browser, { locale: 'ja-JP', allowConsoleErrors: [/status of 401/] });
  await openLink(page, 'members', 'sato');
  await page.getByText('佐藤花子 さん').waitFor();
  assert.equal(await page.getByText('山田太郎').count(), 0);
  // No path names a member: the session decides. The client page and the console stay shut.
  for (const path of ['/client', '/console']) {
    const response = await page.goto(world.url + path);
    assert.equal(response.status(), 401, path);
  }
  await page.getByRole('heading', { level: 1, name: /通知設定を開けませんでした|ログインしていません/ }).waitFor();
  await page.goto(`${world.url}/me`);
  await page.getByText('佐藤花子 さん').waitFor();
});

test('the member and client pages fit a phone, in Japanese and English', async (t) => {
  const page = await openPhonePage(t, browser, { locale: 'ja-JP' });
  await openLink(page, 'members', 'yamada');
  await page.getByRole('heading', { level: 1, name: '通知設定' }).waitFor();
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'member page (phone)' });
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { level: 1, name: 'Notification settings' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'member page (phone, en)' });

  const client = await openPhonePage(t, browser, { locale: 'en-US' });
  await openLink(client, 'clients', 'acme');
  await client.getByRole('heading', { level: 1, name: 'Chatwork notifications' }).waitFor();
  await assertNoHorizontalScroll(client);
  await checkA11y(client, { label: 'client page (phone, en)' });
});
