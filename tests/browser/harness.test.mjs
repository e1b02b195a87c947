// The harness's own checks catch what they exist to catch, on small pages served here under
// the strict CSP renkei's pages use: a check that cannot fail would prove nothing.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import {
  assertFocusVisible,
  assertNoHorizontalScroll,
  assertNoInlineScript,
  checkA11y,
  expectProblem,
  launchBrowser,
  openPage,
  openPhonePage,
  tabTo,
  takeProblems,
  visit,
} from './lib/browser.mjs';

const STRICT = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'";

/** path -> [CSP, body]; every page is a complete, labelled document around `body`. */
const PAGES = {
  '/clean': [STRICT, '<main><h1>Clean</h1><p>Nothing wrong.</p><a href="/clean">again</a> <button>Go</button></main>'],
  '/inline-script': [STRICT, '<main><h1>Inline</h1><script>document.title = "ran"</script></main>'],
  '/outside-image': [STRICT.replace("default-src 'none'", 'default-src *'), '<main><h1>Outside</h1><img src="https://example.invalid/a.png" alt="a"></main>'],
  '/unlabelled': [STRICT, '<main><h1>Unlabelled</h1><button></button><input type="text"></main>'],
  '/wide': [STRICT, '<main><h1>Wide</h1><p>https://drive.example/files/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</p></main>'],
  '/unsafe-inline-csp': ["default-src 'none'; script-src 'self' 'unsafe-inline'", '<main><h1>Weak</h1></main>'],
  '/handler': [STRICT, '<main><h1>Handler</h1><button onclick="x()">Go</button></main>'],
  '/no-ring': [STRICT.replace("'self' 'unsafe-inline'", "'unsafe-inline'"), '<style>button:focus{outline:none}</style><main><h1>No ring</h1><button>Go</button><button tabindex="-1">Skipped</button></main>'],
};

let server;
let base;
let browser;

before(async () => {
  server = createServer((req, res) => {
    const page = PAGES[new URL(req.url, 'http://x').pathname];
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': page[0] });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>t</title></head><body>${page[1]}</body></html>`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('a clean page passes every check, and axe runs under script-src self without a CSP violation', async (t) => {
  const page = await openPage(t, browser);
  const response = await visit(page, `${base}/clean`);
  await assertNoInlineScript(page, response);
  const result = await checkA11y(page);
  assert.ok(result.passes.length > 5, 'axe evaluated the page');
  await assertNoHorizontalScroll(page);
  assert.equal(await tabTo(page, page.getByRole('button', { name: 'Go' })), 2);
  await assertFocusVisible(page);
  assert.deepEqual(takeProblems(page), []);
});

test('an inline script blocked by the CSP is a problem', async (t) => {
  const page = await openPage(t, browser);
  await visit(page, `${base}/inline-script`);
  await expectProblem(page, /^CSP violation on \/inline-script: script-src-elem blocked inline/);
  await expectProblem(page, /^console error .*Content Security Policy/);
  assert.notEqual(await page.title(), 'ran');
});

test('a request to an outside address is blocked and is a problem', async (t) => {
  const page = await openPage(t, browser);
  await visit(page, `${base}/outside-image`);
  await expectProblem(page, /^request to an outside address \(blocked\): https:\/\/example\.invalid\/a\.png$/);
  // (Chromium reports the aborted load too.)
  await expectProblem(page, /^console error .*ERR_BLOCKED_BY_CLIENT/);
});

test('axe findings of serious or critical impact fail, naming rule and element', async (t) => {
  const page = await openPage(t, browser);
  await visit(page, `${base}/unlabelled`);
  await assert.rejects(checkA11y(page), (error) => {
    assert.match(error.message, /\[critical\] button-name/);
    assert.match(error.message, /\[critical\] label/);
    assert.match(error.message, /<input type="text">/);
    return true;
  });
});

test('content wider than a phone fails, naming the element', async (t) => {
  const page = await openPhonePage(t, browser);
  await visit(page, `${base}/wide`);
  assert.equal(page.viewportSize().width, 390);
  await assert.rejects(assertNoHorizontalScroll(page), /scrolls sideways: \d+px of content on a 390px screen[\s\S]*<p>https:\/\/drive/);
});

test("a CSP allowing 'unsafe-inline' or a page with an on* handler fails the inline-script check", async (t) => {
  const page = await openPage(t, browser);
  const weak = await visit(page, `${base}/unsafe-inline-csp`);
  await assert.rejects(assertNoInlineScript(page, weak), /lets inline or foreign script run/);
  const handler = await visit(page, `${base}/handler`);
  await assert.rejects(assertNoInlineScript(page, handler), /has inline script[\s\S]*onclick/);
  // (Chromium also reports the handler the CSP refused to compile.)
  await expectProblem(page, /script-src-attr|inline event handler/);
});

test('a missing focus ring and an element Tab never reaches fail', async (t) => {
  const page = await openPage(t, browser);
  await visit(page, `${base}/no-ring`);
  await tabTo(page, page.getByRole('button', { name: 'Go' }));
  await assert.rejects(assertFocusVisible(page), /shows no focus ring/);
  await assert.rejects(tabTo(page, page.getByRole('button', { name: 'Skipped' }), { max: 3 }), /3 presses of Tab did not reach/);
});
