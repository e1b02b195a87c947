// Headless Debian Chromium driven by playwright-core, and the checks every page must pass:
// no console error, no CSP violation, no request leaving this machine, no serious or critical
// axe-core finding, no horizontal scroll on a phone, and everything reachable by keyboard.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';

/** Debian's Chromium (`scripts/browser-setup` installs it); `RENKEI_CHROMIUM` overrides. */
export const CHROMIUM = process.env.RENKEI_CHROMIUM ?? '/usr/bin/chromium';

/** As root without a sandbox, and without Chromium's own calls home (the network is closed:
 * they would fail, slowly and noisily). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { viewport: { width: 1280, height: 800 } };
/** A phone: 390 x 844 CSS pixels, touch, mobile layout. */
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Launches the browser (one per test file: `before` / `after`). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_FLAGS,
    timeout: 30_000,
  });
}

const problemsOf = new WeakMap();

function isLoopback(url) {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/**
 * A fresh page in its own browser context (no cookies shared with other pages). Until the
 * test ends it collects problems: console errors, uncaught exceptions, CSP violations and
 * requests to any address but this machine (which are blocked). At the end of the test `t`
 * the context is closed and the test FAILS if there was any problem.
 *
 * Options: `locale` ('ja-JP' default: sets Accept-Language), `device` (DESKTOP or PHONE),
 * `allowConsoleErrors` (regexes for console errors a test expects, e.g. the 410 of an expired
 * link: /status of 410/).
 */
export async function openPage(t, browser, { locale = 'ja-JP', device = DESKTOP, allowConsoleErrors = [] } = {}) {
  const context = await browser.newContext({ locale, timezoneId: 'Asia/Tokyo', ...device });
  const problems = [];
  const allowed = [...allowConsoleErrors];
  await context.exposeBinding('__renkeiCspViolation', (_source, v) => {
    problems.push(`CSP violation on ${v.page}: ${v.directive} blocked ${v.blocked} (${v.sample || 'no sample'})`);
  });
  // Init scripts are added by the browser, not by the page: the page's CSP does not apply.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__renkeiCspViolation({
        page: location.pathname,
        directive: e.effectiveDirective,
        blocked: e.blockedURI,
        sample: e.sample,
      });
    });
  });
  await context.route(
    (url) => !isLoopback(url),
    (route) => {
      problems.push(`request to an outside address (blocked): ${route.request().url()}`);
      return route.abort('blockedbyclient');
    },
  );
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.setDefaultNavigationTimeout(15_000);
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (allowed.some((re) => re.test(text))) return;
    problems.push(`console error on ${page.url()}: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception on ${page.url()}: ${error.message}`));
  problemsOf.set(page, { problems, allowed });
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], `the page had problems:\n  - ${problems.join('\n  - ')}`);
  });
  return page;
}

/** `openPage` with the PHONE device. */
export function openPhonePage(t, browser, options = {}) {
  return openPage(t, browser, { ...options, device: PHONE });
}

/** From now on, console errors matching `regex` are expected on this page, not problems. */
export function allowConsoleError(page, regex) {
  problemsOf.get(page).allowed.push(regex);
}

/** The problems collected so far, which are then forgotten: a test that expects a problem
 * (a test of this harness) asserts on them instead of failing at its end. */
export function takeProblems(page) {
  return problemsOf.get(page).problems.splice(0);
}

/** Waits (the browser reports asynchronously) until a problem matching `regex` was collected;
 * takes every problem matching it and resolves with them. */
export async function expectProblem(page, regex, { timeoutMs = 5_000 } = {}) {
  const { problems } = problemsOf.get(page);
  const deadline = Date.now() + timeoutMs;
  while (!problems.some((p) => regex.test(p))) {
    if (Date.now() > deadline) assert.fail(`no problem matching ${regex} within ${timeoutMs} ms; problems: ${JSON.stringify(problems)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const taken = problems.filter((p) => regex.test(p));
  problems.splice(0, problems.length, ...problems.filter((p) => !regex.test(p)));
  return taken;
}

/** Navigates and asserts the status (default 200); resolves with the response. */
export async function visit(page, url, { status = 200 } = {}) {
  const response = await page.goto(url);
  assert.ok(response, `no response for ${url}`);
  assert.equal(response.status(), status, `GET ${url} answered ${response.status()}`);
  return response;
}

/** Parses a Content-Security-Policy header: `Map<directive, sources[]>`. */
export function parseCsp(header) {
  const directives = new Map();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/** Sources that let inline or foreign script run. */
const UNSAFE_SCRIPT_SOURCE = /^('unsafe-inline'|'unsafe-eval'|'unsafe-hashes'|'wasm-unsafe-eval'|'nonce-.*'|'sha(256|384|512)-.*'|\*|data:|blob:|https?:|filesystem:)$/i;

/**
 * The page runs no inline script: its response's CSP limits script (script-src, else
 * default-src) and allows no inline code, eval, nonce, hash or any-host source; and its DOM
 * has no inline <script>, no on* handler attribute and no javascript: link.
 */
export async function assertNoInlineScript(page, response) {
  const header = (await response.allHeaders())['content-security-policy'];
  assert.ok(header, `${response.url()} has no Content-Security-Policy header`);
  const csp = parseCsp(header);
  for (const directive of ['script-src', 'script-src-elem', 'script-src-attr']) {
    const sources = csp.get(directive) ?? (directive === 'script-src' ? csp.get('default-src') : undefined);
    if (directive === 'script-src') {
      assert.ok(sources, `the CSP "${header}" limits no script: it has neither script-src nor default-src`);
    }
    const unsafe = (sources ?? []).filter((s) => UNSAFE_SCRIPT_SOURCE.test(s));
    assert.deepEqual(unsafe, [], `the CSP "${header}" lets inline or foreign script run (${directive})`);
  }
  const inline = await page.evaluate(() => {
    const describe = (el) => el.outerHTML.slice(0, 120);
    const isScript = (s) => !s.type || /^(module|(text|application)\/(java|ecma)script)$/i.test(s.type);
    return [
      ...[...document.querySelectorAll('script:not([src])')].filter(isScript).map(describe),
      ...[...document.querySelectorAll('*')]
        .filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name)))
        .map(describe),
      ...[...document.querySelectorAll('[href^="javascript:" i], [action^="javascript:" i]')].map(describe),
    ];
  });
  assert.deepEqual(inline, [], `${page.url()} has inline script`);
}

/**
 * Runs axe-core on the page and fails on any serious or critical violation, listing each with
 * its elements and the fix axe suggests. axe is evaluated through the DevTools protocol, which
 * the page's CSP does not govern: the policy under test stays as strict as it is served.
 * Resolves with axe's full result (for moderate findings, or more assertions).
 */
export async function checkA11y(page, { label = page.url(), disableRules = [] } = {}) {
  if (!(await page.evaluate(() => typeof window.axe?.run === 'function'))) {
    await page.evaluate(AXE_SOURCE);
  }
  const result = await page.evaluate(
    (disabled) =>
      window.axe.run(document, {
        rules: Object.fromEntries(disabled.map((id) => [id, { enabled: false }])),
      }),
    disableRules,
  );
  assert.ok(result.passes.length > 0, `axe checked nothing on ${label}`);
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    const lines = bad.map((v) => {
      const nodes = v.nodes
        .slice(0, 5)
        .map((n) => `      at ${n.target.join(' ')}: ${n.html.slice(0, 160)}\n        ${n.failureSummary.replace(/\n/g, '\n        ')}`)
        .join('\n');
      return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
    });
    assert.fail(`accessibility: ${bad.length} serious or critical violation(s) on ${label}:\n${lines.join('\n')}`);
  }
  return result;
}

/** Fails when the page is wider than the screen (horizontal scroll), naming what sticks out. */
export async function assertNoHorizontalScroll(page) {
  const r = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // Boxes past the right edge, and boxes whose content spills out (a long unbroken URL):
    // the innermost of them are the culprits.
    const wide = [...document.body.querySelectorAll('*')].filter(
      (el) =>
        el.getBoundingClientRect().right > width + 1 ||
        (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible'),
    );
    const over = wide
      .filter((el) => !wide.some((other) => other !== el && el.contains(other)))
      .slice(0, 5)
      .map((el) => {
        const box = el.getBoundingClientRect();
        const size = `${Math.round(Math.max(box.width, el.scrollWidth))}px wide, right edge at ${Math.round(Math.max(box.right, box.left + el.scrollWidth))}px`;
        return `${el.tagName.toLowerCase()} (${size}): ${el.outerHTML.slice(0, 100)}`;
      });
    return { width, scrollWidth: document.documentElement.scrollWidth, over };
  });
  assert.ok(
    r.scrollWidth <= r.width,
    `${page.url()} scrolls sideways: ${r.scrollWidth}px of content on a ${r.width}px screen; too wide:\n  ${r.over.join('\n  ')}`,
  );
}

/** What has the keyboard focus, e.g. `button "確認しました"`. */
export function describeFocus(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '(nothing: the page itself)';
    const text = (el.getAttribute('aria-label') || el.innerText || el.value || '').trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${text}"`;
  });
}

/**
 * Presses Tab (or Shift+Tab with `back: true`) until `target` (a Locator) has the focus, as a
 * keyboard user would; resolves with the number of presses. Fails after `max` presses, listing
 * where the focus went.
 */
export async function tabTo(page, target, { max = 30, back = false } = {}) {
  const visited = [];
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return presses;
    visited.push(await describeFocus(page));
  }
  assert.fail(`${max} presses of Tab did not reach ${target}; the focus went to:\n  ${visited.join('\n  ')}`);
}

/** The focused element shows that it has the focus (an outline or a shadow), as it must for a
 * keyboard user. */
export async function assertFocusVisible(page) {
  const r = await page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { none: true };
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    return { visible: el.matches(':focus-visible') && (outline || s.boxShadow !== 'none'), style: `outline: ${s.outline}; box-shadow: ${s.boxShadow}` };
  });
  assert.ok(!r.none, 'nothing has the focus');
  assert.ok(r.visible, `the focused ${await describeFocus(page)} shows no focus ring (${r.style})`);
}
