// The console's connections as an administrator uses them (Cells Drive, ACALL, HiManager):
// connect Chatwork by pasting its token (and see a refused token's message on the form),
// switch a connection off and on, pick its room from Chatwork's rooms, disconnect after the
// confirmation, register the Chatwork OAuth client and go through Chatwork's consent; every
// page checked with axe, and the connect forms on a phone.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  assertNoHorizontalScroll,
  assertNoInlineScript,
  checkA11y,
  launchBrowser,
  openPage,
  openPhonePage,
  tabTo,
} from './lib/browser.mjs';
import { startWorld } from './lib/world.mjs';

/** The fake Chatwork's demo account: its token, name, and rooms (5001 総務, 5002 開発部). */
const DEMO_TOKEN = 'demo-token-0001';
const DEMO_NAME = 'renkei 通知';

let world;
let browser;

before(async () => {
  world = await startWorld({ fakes: ['chatwork', 'line'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await world?.close();
});

async function connections() {
  return world.api('/connections');
}

test('an administrator connects Chatwork through the form; a refused token is shown on the form', async (t) => {
  const page = await openPage(t, browser, { allowConsoleErrors: [/status of 422/] });
  const response = await world.signIn(page, { returnTo: '/console/connections' });
  await assertNoInlineScript(page, response);
  await page.getByRole('heading', { level: 1, name: '連携' }).waitFor();
  await checkA11y(page, { label: 'connections (none yet)' });

  await page.getByRole('link', { name: '接続する (Chatwork)' }).click();
  await page.getByRole('heading', { level: 1, name: 'Chatwork を接続' }).waitFor();
  await page.getByText('「サービス連携」を開きます').waitFor();
  await checkA11y(page, { label: 'connect Chatwork' });

  // A token Chatwork does not know: the answer is the same form, with the reason at the field.
  await page.getByLabel('API トークン').fill('a-token-chatwork-refuses');
  await page.getByLabel('送信先ルーム').fill('https://www.chatwork.com/#!rid5001');
  const refused = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: '接続する' }).click();
  assert.equal((await refused).status(), 422);
  const fieldError = page.locator('#api_token-error');
  await fieldError.waitFor();
  assert.match(await fieldError.innerText(), /Chatwork がこの API トークンを受け付けませんでした/);
  const summary = page.getByRole('alert');
  assert.match(await summary.innerText(), /受け付けませんでした/);
  // console.js puts the keyboard at the summary, whose link leads to the field.
  await page.waitForFunction(() => document.activeElement?.id === 'error-summary');
  assert.equal(await page.getByLabel('API トークン').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('API トークン').inputValue(), '', 'a refused token is not shown back');
  assert.equal(await page.getByLabel('送信先ルーム').inputValue(), 'https://www.chatwork.com/#!rid5001');
  await checkA11y(page, { label: 'connect Chatwork, token refused' });
  assert.deepEqual(await connections(), []);

  // The right token, typed by keyboard after following the summary's link.
  await summary.getByRole('link').click();
  await page.waitForFunction(() => document.activeElement?.id === 'api_token');
  await page.keyboard.type(DEMO_TOKEN);
  await tabTo(page, page.getByRole('button', { name: '接続する' }));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Chatwork の接続' }).waitFor();
  await page.getByRole('status').filter({ hasText: '接続しました' }).waitFor();
  await page.getByText(DEMO_NAME).first().waitFor();
  assert.ok(!(await page.content()).includes(DEMO_TOKEN), 'the token is on the page');
  await checkA11y(page, { label: 'a Chatwork connection' });
  const [conn] = await connections();
  assert.equal(conn.room, '5001');
  assert.equal(conn.account.name, DEMO_NAME);

  await page.getByRole('link', { name: '連携の一覧に戻る' }).click();
  const row = page.getByRole('row').filter({ hasText: DEMO_NAME });
  await row.getByText('接続中').waitFor();
  await checkA11y(page, { label: 'connections (one)' });
  await world.api(`/connections/${conn.id}`, undefined, { method: 'DELETE' });
});

test('switch off and on, pick the room from Chatwork, then disconnect after the confirmation', async (t) => {
  const conn = await world.connectChatwork();
  const page = await openPage(t, browser);
  await world.signIn(page, { returnTo: `/console/connections/${conn.id}` });
  await page.getByRole('heading', { level: 1, name: 'Chatwork の接続' }).waitFor();

  await page.getByRole('button', { name: 'オフにする' }).click();
  await page.getByRole('status').filter({ hasText: '接続をオフにしました' }).waitFor();
  assert.equal((await world.api(`/connections/${conn.id}`)).enabled, false);
  await page.getByRole('button', { name: 'オンにする' }).click();
  await page.getByRole('status').filter({ hasText: '接続をオンにしました' }).waitFor();
  assert.equal((await world.api(`/connections/${conn.id}`)).enabled, true);

  await page.getByRole('link', { name: 'ルームの一覧から選ぶ' }).click();
  await page.getByRole('heading', { level: 1, name: 'ルームの一覧' }).waitFor();
  await checkA11y(page, { label: 'Chatwork rooms' });
  // The filter (a script enhancement) narrows the list as one types.
  await page.getByLabel('ルーム名で絞り込む').fill('開発');
  assert.equal(await page.getByRole('row').filter({ hasText: '総務' }).isVisible(), false);
  await page.getByRole('button', { name: 'このルームに送る (開発部)' }).click();
  await page.getByRole('status').filter({ hasText: '送信先ルームを保存しました' }).waitFor();
  assert.equal((await world.api(`/connections/${conn.id}`)).room, '5002');

  await page.getByRole('link', { name: '接続を解除する…' }).click();
  await page.getByRole('heading', { level: 1, name: 'Chatwork の接続を解除' }).waitFor();
  await page.getByText('送信待ちの通知はありません').waitFor();
  await page.getByText('すぐに送られなくなります').waitFor();
  await checkA11y(page, { label: 'disconnect confirmation' });
  await page.getByRole('button', { name: '接続を解除する' }).click();
  await page.getByRole('status').filter({ hasText: '接続を解除しました' }).waitFor();
  assert.equal((await world.apiRaw(`/connections/${conn.id}`)).status, 404);
});

test('Chatwork OAuth: the redirect URL and scopes to copy, then the consent round trip', async (t) => {
  const page = await openPage(t, browser);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.url });
  await world.signIn(page, { returnTo: '/console/connections/oauth/chatwork' });
  await page.getByRole('heading', { level: 1, name: 'Chatwork と OAuth で連携' }).waitFor();
  const redirect = `${world.url}/oauth/chatwork/callback`;
  await page.getByText(redirect, { exact: true }).waitFor();
  await page.getByText('rooms.all:read_write', { exact: true }).waitFor();
  await checkA11y(page, { label: 'Chatwork OAuth (no client)' });

  // The copy buttons appear with the script and put the value on the clipboard.
  const copy = page.getByRole('button', { name: 'コピー (リダイレクト先 URL)' });
  await copy.click();
  await page.getByRole('button', { name: 'コピーしました' }).first().waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), redirect);

  await page.getByLabel('クライアント ID').fill('console-client');
  await page.getByLabel('クライアントシークレット').fill('console-secret-0c1e');
  await page.getByRole('button', { name: 'この内容で保存する' }).click();
  await page.getByRole('status').filter({ hasText: 'OAuth クライアントを保存しました' }).waitFor();
  await page.getByText('…0c1e').waitFor();
  await checkA11y(page, { label: 'Chatwork OAuth (client registered)' });

  // Chatwork knows the client with this redirect URL; the admin (account 1001) will allow.
  const chatwork = world.fakes.chatwork;
  await chatwork.post('/_fake/oauth/clients', {
    client_id: 'console-client',
    client_secret: 'console-secret-0c1e',
    redirect_uri: redirect,
    confidential: true,
  });
  await chatwork.post('/_fake/oauth/consent', { approve_account_id: 1001 });
  await page.getByRole('button', { name: 'Chatwork と連携する' }).click();
  await page.getByRole('heading', { level: 1, name: 'Chatwork の接続' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Chatwork と連携しました' }).waitFor();
  await page.getByText('OAuth 連携').waitFor();
  const oauth = (await connections()).filter((c) => c.kind === 'oauth');
  assert.equal(oauth.length, 1);
  assert.equal(new URL(page.url()).pathname, `/console/connections/${oauth[0].id}`);
  await world.api(`/connections/${oauth[0].id}`, undefined, { method: 'DELETE' });
});

test('every connect form, and a LINE connection with its friend QR code, on a phone and in English', async (t) => {
  const line = await world.api('/connections', {
    provider: 'line',
    owner: { tenant: true },
    credentials: { channel_access_token: 'demo-line-token-0001', channel_secret: '5e1d5e1d5e1d5e1d5e1d5e1d5e1d5e1d' },
  });
  const page = await openPhonePage(t, browser);
  await world.signIn(page, { returnTo: `/console/connections/${line.id}` });
  await page.getByRole('heading', { level: 1, name: 'LINE の接続' }).waitFor();
  await page.getByRole('img', { name: '友だち追加の QR コード' }).waitFor();
  await assertNoHorizontalScroll(page);
  await checkA11y(page, { label: 'LINE connection (phone)' });

  for (const [provider, heading] of [
    ['chatwork', 'Chatwork を接続'],
    ['slack', 'Slack を接続'],
    ['teams', 'Microsoft Teams を接続'],
    ['google_chat', 'Google Chat を接続'],
    ['line_works', 'LINE WORKS を接続'],
    ['line', 'LINE を接続'],
  ]) {
    await page.goto(`${world.url}/console/connections/new/${provider}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await assertNoHorizontalScroll(page);
    await checkA11y(page, { label: `connect ${provider} (phone)` });
  }

  const en = await openPage(t, browser, { locale: 'en-US' });
  await world.signIn(en, { returnTo: '/console/connections' });
  await en.getByRole('heading', { level: 1, name: 'Connections' }).waitFor();
  await en.getByRole('cell', { name: 'LINE', exact: true }).waitFor();
  await checkA11y(en, { label: 'connections (en)' });
  await en.getByRole('link', { name: 'Connect (LINE WORKS)' }).click();
  await en.getByRole('heading', { level: 3, name: 'Older manuals (API 1.0) and this form' }).waitFor();
  await checkA11y(en, { label: 'connect LINE WORKS (en)' });
});
