// Clients, groups and members as an administrator uses them: paste a room URL on a group and
// see its sub-group inherit it (ACALL), pick a member's Chatwork account from the connection's
// contacts (HiManager scenario 22), import a Chatwork user list through a preview of every row,
// plus the accessibility check of every page of the section and one phone check.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertNoHorizontalScroll, checkA11y, launchBrowser, openPage, openPhonePage } from './lib/browser.mjs';
import { startWorld } from './lib/world.mjs';

let world;
let browser;

const put = (path, body) => world.api(path, body, { method: 'PUT' });

before(async () => {
  world = await startWorld({ fakes: ['chatwork'] });
  browser = await launchBrowser();
  // The fake's demo account (1001) is in rooms 5001 "総務" and 5002 "開発部"; 2001 is its contact.
  await world.connectChatwork({ room: 5001 });
  await put('/groups/kaihatsu', { name: '開発部' });
  await put('/groups/kaihatsu-1', { name: '開発一課', parent: 'kaihatsu' });
  await put('/clients/aoba', { name: '株式会社あおば食品', rooms: { chatwork: '5001' } });
  await put('/members/yamada', { name: '山田 太郎', groups: ['kaihatsu-1', 'kaihatsu'] });
  await put('/members/tanaka', { name: '田中 美咲', email: 'tanaka@example.jp' });
  await put('/members/sato', { name: '佐藤 花子', client: 'aoba', identities: { chatwork: { account_id: '3001' } } });
});

after(async () => {
  await browser?.close();
  await world?.close();
});

test("a group's room pasted as a room URL is inherited by its sub-group", async (t) => {
  // The refused cycle is answered 422, which Chromium logs as an error.
  const page = await openPage(t, browser, { locale: 'ja-JP', allowConsoleErrors: [/status of 422/] });
  await world.signIn(page, { returnTo: '/console/groups' });
  await page.getByRole('heading', { level: 1, name: 'グループ' }).waitFor();
  await checkA11y(page, { label: 'groups (tree)' });
  await page.getByRole('link', { name: '開発部', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'グループ「開発部」' }).waitFor();
  await checkA11y(page, { label: 'group page' });

  await page.getByLabel('Chatwork のルーム').fill('https://www.chatwork.com/#!rid5002');
  await page.getByRole('button', { name: '保存する' }).click();
  await page.getByText('設定を保存しました。').waitFor();
  assert.equal(await page.getByLabel('Chatwork のルーム').inputValue(), '5002');

  await page.goto(`${world.url}/console/groups/kaihatsu-1`);
  await page.getByRole('heading', { level: 1, name: 'グループ「開発一課」' }).waitFor();
  await page.getByText('ルーム 5002（開発部から継承）').waitFor();
  const child = await world.api('/groups/kaihatsu-1');
  assert.equal(child.effective_rooms.chatwork.room, '5002');
  assert.equal(child.effective_rooms.chatwork.inherited_from.name, '開発部');
  await page.goto(`${world.url}/console/groups`);
  const tree = page.locator('ul.tree');
  await tree.getByText('ルーム 5002（開発部から継承）').waitFor();

  // 開発部 under its own sub-group would be a loop: refused, with the reason at the field.
  await page.goto(`${world.url}/console/groups/kaihatsu`);
  await page.getByLabel('親グループ').selectOption('kaihatsu-1');
  await page.getByRole('button', { name: '保存する' }).click();
  await page.locator('#parent-error').getByText(/親グループにできません/).waitFor();
  await page.locator('#error-summary').getByRole('link', { name: /親グループにできません/ }).waitFor();
  assert.equal(await page.getByLabel('親グループ').getAttribute('aria-invalid'), 'true');
  await checkA11y(page, { label: 'group page with the cycle refused' });
  assert.equal((await world.api('/groups/kaihatsu')).parent, null);

  await page.goto(`${world.url}/console/groups/kaihatsu/delete`);
  await page.getByText(/下位のグループ（開発一課）があるため削除できません/).waitFor();
  await checkA11y(page, { label: 'group delete, refused' });
});

test("a member's Chatwork account is picked from the connection's contacts", async (t) => {
  const page = await openPage(t, browser, { locale: 'ja-JP' });
  await world.signIn(page, { returnTo: '/console/members' });
  await page.getByRole('heading', { level: 1, name: 'メンバー' }).waitFor();
  await checkA11y(page, { label: 'members' });
  await page.getByRole('link', { name: '山田 太郎' }).click();
  await page.getByRole('heading', { level: 1, name: 'メンバー「山田 太郎」' }).waitFor();
  await page.getByText(/Chatwork のアカウントが未設定のため/).waitFor();
  await checkA11y(page, { label: 'member page' });

  await page.getByRole('link', { name: 'Chatwork のコンタクトから選ぶ' }).click();
  await page.getByRole('heading', { level: 1, name: '「山田 太郎」の Chatwork アカウントを選ぶ' }).waitFor();
  await checkA11y(page, { label: 'Chatwork contacts' });
  await page.getByRole('radio', { name: /山田太郎/ }).check();
  await page.getByRole('button', { name: 'このアカウントを設定する' }).click();
  await page.getByText('設定を保存しました。').waitFor();
  assert.equal(await page.getByLabel('Chatwork のアカウント ID').inputValue(), '2001');
  assert.equal(await page.getByText(/Chatwork のアカウントが未設定のため/).count(), 0);
  assert.deepEqual((await world.api('/members/yamada')).identities, { chatwork: '2001' });

  // The primary group moves down: 開発部 becomes the primary one.
  await page.getByRole('button', { name: '開発一課を下へ' }).click();
  await page.getByText('所属グループを更新しました。').waitFor();
  assert.deepEqual((await world.api('/members/yamada')).groups, ['kaihatsu', 'kaihatsu-1']);
  const first = page.locator('ol.group-order li').first();
  await first.getByText('主所属').waitFor();
  await first.getByText('開発部').waitFor();

  await page.getByRole('link', { name: 'このメンバーを削除する…' }).click();
  await page.getByRole('heading', { level: 1, name: '「山田 太郎」を削除しますか？' }).waitFor();
  await checkA11y(page, { label: 'member delete confirmation' });
});

test('a Chatwork user list is imported after a preview of every row', async (t) => {
  const page = await openPage(t, browser, { locale: 'ja-JP' });
  await world.signIn(page, { returnTo: '/console/members/import' });
  await page.getByRole('heading', { level: 1, name: 'Chatwork のユーザーリストを取り込む' }).waitFor();
  await checkA11y(page, { label: 'import upload' });
  const csv = ['識別ID,名前,メールアドレス', '2101,田中美咲,tanaka@example.jp', '3002,佐藤 花子,', '4001,鈴木 一郎,suzuki@example.jp', ''].join('\r\n');
  await page.getByLabel('ユーザーリストの CSV ファイル').setInputFiles({
    name: 'users.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv, 'utf8'),
  });
  await page.getByRole('button', { name: '内容を確認する' }).click();
  await page.getByRole('heading', { level: 1, name: '取り込む内容の確認' }).waitFor();
  // One new, one changed, one problem: each row with what becomes of it.
  const row = (line) => page.locator('table.import-rows tbody tr').filter({ has: page.getByRole('cell', { name: String(line), exact: true }) });
  await row(2).getByText('新しく設定').waitFor();
  await row(2).getByRole('link', { name: '田中 美咲' }).waitFor();
  await row(3).getByText('変更').waitFor();
  assert.match(await row(3).innerText(), /3001\s*→\s*3002/);
  await row(4).getByText('要確認').waitFor();
  await row(4).getByText(/一致するメンバーがいません/).waitFor();
  assert.equal(await page.locator('table.import-rows tbody tr').count(), 3);
  await checkA11y(page, { label: 'import preview' });
  assert.deepEqual((await world.api('/members/tanaka')).identities, {}, 'the preview changed something');

  await page.getByRole('button', { name: '2人に設定する' }).click();
  await page.getByText(/CSV から 2人のメンバーに Chatwork のアカウント ID を設定しました/).waitFor();
  await page.getByRole('row', { name: /田中 美咲/ }).getByText('2101').waitFor();
  assert.deepEqual((await world.api('/members/tanaka')).identities, { chatwork: '2101' });
  assert.deepEqual((await world.api('/members/sato')).identities, { chatwork: '3002' });
});

test('client pages: a room pasted, and every page checked', async (t) => {
  const page = await openPage(t, browser, { locale: 'en-US' });
  await world.signIn(page, { returnTo: '/console/clients' });
  await page.getByRole('heading', { level: 1, name: 'Clients' }).waitFor();
  await page.getByRole('cell', { name: 'Room 5001' }).waitFor();
  await checkA11y(page, { label: 'clients (en)' });
  await page.getByRole('link', { name: '株式会社あおば食品', exact: true }).click();
  await page.getByLabel('Chatwork room').fill('#!rid5002');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  assert.deepEqual((await world.api('/clients/aoba')).rooms, { chatwork: '5002' });
  await checkA11y(page, { label: 'client page (en)' });
  await page.getByRole('link', { name: 'Delete this client…' }).click();
  await page.getByText(/Its 1 member stays, without a client/).waitFor();
  await checkA11y(page, { label: 'client delete confirmation (en)' });
});

test('the directory pages fit a phone', async (t) => {
  const page = await openPhonePage(t, browser, { locale: 'ja-JP' });
  await world.signIn(page, { returnTo: '/console/members' });
  await page.getByRole('heading', { level: 1, name: 'メンバー' }).waitFor();
  for (const path of ['/console/members', '/console/members/sato', '/console/groups', '/console/groups/kaihatsu-1', '/console/clients', '/console/clients/aoba']) {
    await page.goto(`${world.url}${path}`);
    await page.locator('h1').waitFor();
    await assertNoHorizontalScroll(page);
    await checkA11y(page, { label: `${path} (phone)` });
  }
});
