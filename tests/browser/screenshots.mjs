// Regenerates docs/screenshots/ from a running `renkei demo` (scripts/screenshots starts it):
// each main console page in Japanese and English at desktop width, and a few at phone width;
// and a member's and a client's own settings pages (ja, en, desktop and phone).
// Usage: node screenshots.mjs <base url> <api key> <output dir> [name filter regex]
// (e.g. `^self-` to retake only the self-service pages).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM, CHROMIUM_FLAGS, DESKTOP, PHONE } from './lib/browser.mjs';

const [base, apiKey, out, only] = process.argv.slice(2);
const wanted = (file) => !only || new RegExp(only).test(file);
if (!base || !apiKey || !out) {
  console.error('usage: node screenshots.mjs <base url> <api key> <output dir>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

async function api(path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** The demo's failed delivery's event, and one group, client and member to show in detail. */
async function subjects() {
  const failed = await api('/events?status=failed&limit=1');
  const groups = await api('/groups?limit=200');
  const child = groups.items.find((g) => g.parent) ?? groups.items[0];
  const clients = await api('/clients?limit=1');
  const members = await api('/members?limit=1');
  const connections = await api('/connections');
  const list = Array.isArray(connections) ? connections : connections.items ?? connections.connections;
  return {
    event: failed.items[0]?.id,
    group: child?.external_id,
    client: clients.items[0]?.external_id,
    member: members.items[0]?.external_id,
    connection: list?.[0]?.id,
    // The self-service pages show someone who linked something of their own.
    ownMember: list?.find((c) => c.owner?.member)?.owner.member ?? members.items[0]?.external_id,
    ownClient: list?.find((c) => c.owner?.client)?.owner.client ?? clients.items[0]?.external_id,
  };
}

function pages(s) {
  return [
    ['home', '/console'],
    ['connections', '/console/connections'],
    ['connection', `/console/connections/${s.connection}`],
    ['connect-chatwork', '/console/connections/new/chatwork'],
    ['clients', '/console/clients'],
    ['client', `/console/clients/${encodeURIComponent(s.client)}`],
    ['groups', '/console/groups'],
    ['group', `/console/groups/${encodeURIComponent(s.group)}`],
    ['members', '/console/members'],
    ['member', `/console/members/${encodeURIComponent(s.member)}`],
    ['members-import', '/console/members/import'],
    ['event-types', '/console/event-types'],
    ['bulk-send', `/console/bulk-sends/new?connection=${s.connection}`],
    ['log', '/console/events'],
    ['event-failed', `/console/events/${s.event}`],
    ['preview', '/console/preview'],
    ['settings', '/console/settings'],
    ['audit', '/console/audit'],
  ];
}

const PHONE_PAGES = new Set(['home', 'log', 'event-failed', 'group', 'bulk-send']);

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false, args: CHROMIUM_FLAGS });
let failures = 0;
try {
  const s = await subjects();
  for (const [lang, locale] of [['ja', 'ja-JP'], ['en', 'en-US']]) {
    for (const [device, size] of [['', DESKTOP], ['-phone', PHONE]]) {
      const context = await browser.newContext({ locale, timezoneId: 'Asia/Tokyo', ...size });
      const page = await context.newPage();
      if (!only || wanted(`console-`)) {
        const { url } = await api('/console-links', {});
        await page.goto(url);
      }
      for (const [name, path] of pages(s)) {
        if (device && !PHONE_PAGES.has(name)) continue;
        if (!wanted(`console-${name}-${lang}${device}`)) continue;
        const response = await page.goto(`${base}${path}`);
        if (response.status() !== 200) {
          console.error(`${path} answered ${response.status()}`);
          failures += 1;
          continue;
        }
        const file = join(out, `console-${name}-${lang}${device}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(file);
      }
      // The member's and the client's own pages, opened as their links open them.
      for (const [name, kind, id] of [['member', 'members', s.ownMember], ['client', 'clients', s.ownClient]]) {
        if (!wanted(`self-${name}-${lang}${device}`)) continue;
        const { url } = await api(`/${kind}/${encodeURIComponent(id)}/settings-links`, {});
        const response = await page.goto(url);
        if (response.status() !== 200) {
          console.error(`the ${name} settings link answered ${response.status()}`);
          failures += 1;
          continue;
        }
        const file = join(out, `self-${name}-${lang}${device}.png`);
        // In CSS pixels: the member page is long, and three times its size says no more.
        await page.screenshot({ path: file, fullPage: true, scale: 'css' });
        console.log(file);
      }
      await context.close();
    }
  }
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
