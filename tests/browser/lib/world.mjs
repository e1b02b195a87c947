// A fresh renkei for one test file: the fake providers and `renkei serve` as processes of the
// real binary (each on a port the system picked), a temporary data directory (SQLite), and a
// tenant made with `renkei tenant create` as an operator would.
//
//   const world = await startWorld();            // in `before`
//   await world.api('/connections', {...});      // the tenant's API key
//   const { url } = await world.consoleLink();   // a signed-in admin's way in
//   await world.signIn(page);                    // ... or straight into a page
//   await world.close();                         // in `after`: kills everything, removes the dir

import assert from 'node:assert/strict';
import { join } from 'node:path';

import { Child, removeDirectory, renkeiBinary, run, temporaryDirectory } from './processes.mjs';

/** Every fake the binary has (`renkei fake <name>`), and the settings that point renkei at it. */
const FAKES = {
  chatwork: (url) => ({
    RENKEI_CHATWORK_API_URL: `${url}/v2`,
    RENKEI_CHATWORK_OAUTH_URL: `${url}/oauth`,
    RENKEI_CHATWORK_LOGIN_URL: `${url}/packages/oauth2/login.php`,
  }),
  slack: (url) => ({ RENKEI_SLACK_API_URL: `${url}/api` }),
  // Teams and Google Chat are reached by the webhook URLs people paste (`fake.url + ...`).
  teams: () => ({}),
  'google-chat': () => ({}),
  'line-works': (url) => ({
    RENKEI_LINEWORKS_AUTH_URL: `${url}/oauth2/v2.0`,
    RENKEI_LINEWORKS_API_URL: `${url}/v1.0`,
  }),
  line: (url) => ({ RENKEI_LINE_API_URL: url, RENKEI_LINE_LOGIN_URL: url }),
};
export const ALL_FAKES = Object.keys(FAKES);

/** Rate-limit windows of the fakes and of renkei, scaled alike (as the Rust tests do). */
const DEFAULT_SCALE = 0.01;

/** Retries and scans quick enough for a test (the values of the Rust integration tests). */
const FAST_NODE = {
  RENKEI_ALLOW_PRIVATE_TARGETS: 'true',
  RENKEI_RETRY_INITIAL_MS: '50',
  RENKEI_RETRY_MAX_DELAY_MS: '200',
  RENKEI_RETRY_GIVE_UP_SECS: '30',
  RENKEI_PROVIDER_TIMEOUT_MS: '2000',
  RENKEI_LEASE_TTL_MS: '3000',
  RENKEI_SCAN_INTERVAL_MS: '100',
  RENKEI_LOG: 'warn',
};

/** Polls `check` (async, truthy = done) every `intervalMs` until it holds or `timeoutMs` passes;
 * resolves with its value. `what` names the condition in the error. */
export async function eventually(what, check, { timeoutMs = 10_000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`not within ${timeoutMs} ms: ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A fake provider process and its `/_fake/*` inspection and control routes. */
export class Fake {
  constructor(name, child, url) {
    this.name = name;
    this.child = child;
    /** `http://127.0.0.1:PORT`, without a path. */
    this.url = url;
  }

  /** `GET` one of the fake's routes; resolves with its JSON. */
  get(path) {
    return this.#call('GET', path);
  }

  /** `POST` to one of the fake's control routes (e.g. `/_fake/fail`); resolves with its JSON
   * or null. */
  post(path, body) {
    return this.#call('POST', path, body ?? {});
  }

  async #call(method, path, body) {
    const res = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} fake ${this.name} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Every request the fake recorded (`GET /_fake/requests`). */
  requests() {
    return this.get('/_fake/requests');
  }

  /** Messages the fake accepted (`GET /_fake/messages`, e.g. `{ room_id: 5001 }`); Teams has
   * `runs()` instead, LINE `pushes()`. */
  messages(query = {}) {
    return this.get(`/_fake/messages${queryString(query)}`);
  }
}

function queryString(query) {
  const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return q ? `?${q}` : '';
}

export class World {
  /** Use `startWorld`. */
  constructor(dir, env) {
    this.dir = dir;
    this.env = env;
    /** `name -> Fake` for the fakes started. */
    this.fakes = {};
    this.server = null;
    /** renkei's base URL, `http://127.0.0.1:PORT` (its default public URL: links point here). */
    this.url = null;
    /** `{ id, name }` of the tenant made at start, and its API key. */
    this.tenant = null;
    this.apiKey = null;
    this.closed = false;
  }

  /** Runs the renkei CLI with this world's settings (its data directory, the fakes' URLs);
   * resolves with what it printed on stdout. */
  cli(...args) {
    return run(renkeiBinary(), args, { env: this.env, cwd: this.dir });
  }

  /** `renkei tenant create --name NAME`: resolves with its JSON (`id`, `name`, `api_key`, ...). */
  async createTenant(name) {
    return JSON.parse(await this.cli('tenant', 'create', '--name', name));
  }

  /** A call to renkei's API as the tenant (or with `apiKey`): `path` is under `/api/v1`. With a
   * body the method defaults to POST, else GET. Resolves with `{ status, body, headers }`,
   * whatever the status. */
  async apiRaw(path, body, { method, apiKey = this.apiKey } = {}) {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: kept as text for the message
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** Like `apiRaw`, but fails unless the answer is a success; resolves with the JSON body. */
  async api(path, body, options = {}) {
    const method = options.method ?? (body === undefined ? 'GET' : 'POST');
    const res = await this.apiRaw(path, body, options);
    assert.ok(
      res.status >= 200 && res.status < 300,
      `${method} /api/v1${path} answered ${res.status}: ${JSON.stringify(res.body)}`,
    );
    return res.body;
  }

  /** `POST /api/v1/console-links`: resolves with `{ url, expires_at }`, a single-use link that
   * opens the tenant's admin console. `returnTo` is a console path to land on. */
  consoleLink({ ttlSeconds, returnTo } = {}) {
    return this.api('/console-links', { ttl_seconds: ttlSeconds, return_to: returnTo });
  }

  /** Signs `page` in as the tenant's admin: mints a console link and opens it in the page.
   * Resolves with the final response (after the link's redirect), which must be a 200. */
  async signIn(page, { returnTo } = {}) {
    const { url } = await this.consoleLink({ returnTo });
    const response = await page.goto(url);
    assert.ok(response, `no response for the console link ${url}`);
    assert.equal(response.status(), 200, `the console link answered ${response.status()} at ${page.url()}`);
    return response;
  }

  /** `POST /api/v1/members/{externalId}/settings-links`: that member's own settings page. */
  memberSettingsLink(externalId, { ttlSeconds } = {}) {
    return this.api(`/members/${encodeURIComponent(externalId)}/settings-links`, { ttl_seconds: ttlSeconds });
  }

  /** `POST /api/v1/clients/{externalId}/settings-links`: that client's own page. */
  clientSettingsLink(externalId, { ttlSeconds } = {}) {
    return this.api(`/clients/${encodeURIComponent(externalId)}/settings-links`, { ttl_seconds: ttlSeconds });
  }

  /** Connects the fake Chatwork's demo account (token `demo-token-0001`) for the whole tenant,
   * posting into `room` (default 5001, "総務"); resolves with the connection. */
  connectChatwork({ room = '5001', owner = { tenant: true }, token = 'demo-token-0001' } = {}) {
    return this.api('/connections', {
      provider: 'chatwork',
      owner,
      credentials: { api_token: token },
      room: String(room),
    });
  }

  /** Sends an event; resolves with its ID. */
  async sendEvent(event) {
    return (await this.api('/events', event)).id;
  }

  /** Waits until no delivery of the event is pending; resolves with the event. */
  settled(eventId, { timeoutMs = 15_000 } = {}) {
    return eventually(
      `event ${eventId} settled`,
      async () => {
        const event = await this.api(`/events/${eventId}`);
        const done = event.deliveries.every((d) => d.status !== 'pending');
        return event.deliveries.length > 0 && done && event;
      },
      { timeoutMs },
    );
  }

  /** What renkei serve printed last (for a failure's message). */
  serverLog(lines = 40) {
    return this.server ? this.server.tail(lines) : '(not started)';
  }

  /** Stops every process and removes the data directory. Fails when a process had died on its
   * own during the test (a crash is a bug, even if the test's assertions held). */
  async close() {
    if (this.closed) return;
    this.closed = true;
    const children = [this.server, ...Object.values(this.fakes).map((f) => f.child)].filter(Boolean);
    const died = [];
    for (const child of children) {
      if (!(await child.stop())) died.push(`${child.name} ${child.describeExit()}:\n${child.tail()}`);
    }
    removeDirectory(this.dir);
    if (died.length) throw new Error(`a process of the test world died during the test:\n${died.join('\n')}`);
  }
}

/** Starts a world. Options: `fakes` (names from ALL_FAKES; default all), `tenantName`,
 * `scale` (rate-limit windows, fakes and renkei alike; default 0.01), `fakeLimits` (false:
 * the fakes never answer 429), `env` (more RENKEI_* settings for `renkei serve`). */
export async function startWorld({
  fakes = ALL_FAKES,
  tenantName = 'ブラウザテスト事務所',
  scale = DEFAULT_SCALE,
  fakeLimits = true,
  env = {},
} = {}) {
  const bin = renkeiBinary();
  const dir = temporaryDirectory('renkei-browser-');
  const world = new World(dir, {});
  try {
    const providerEnv = {};
    await Promise.all(
      fakes.map(async (name) => {
        assert.ok(FAKES[name], `unknown fake ${name}; known: ${ALL_FAKES.join(', ')}`);
        const args = ['fake', name, '--listen', '127.0.0.1:0', '--scale', String(scale)];
        if (!fakeLimits) args.push('--no-limits');
        const child = new Child(`fake ${name}`, bin, args, { cwd: dir, env: { RENKEI_LOG: 'warn' } });
        world.fakes[name] = new Fake(name, child, null);
        const [, url] = await child.waitForLine(/^fake on (http:\/\/[0-9.]+:\d+)/);
        world.fakes[name].url = url;
        Object.assign(providerEnv, FAKES[name](url));
      }),
    );
    world.env = {
      ...FAST_NODE,
      RENKEI_DATA_DIR: join(dir, 'data'),
      RENKEI_RATE_WINDOW_SCALE: String(scale),
      ...providerEnv,
      ...env,
      // The system picks the port; the node's public URL defaults to the address it bound.
      RENKEI_LISTEN: '127.0.0.1:0',
    };
    world.server = new Child('renkei serve', bin, ['serve'], { cwd: dir, env: world.env });
    const [, url] = await world.server.waitForLine(/listening on (http:\/\/\S+)/, 30_000);
    world.url = url.replace(/\/$/, '');
    await eventually(
      `${world.url}/healthz answers 200`,
      async () => (await fetch(`${world.url}/healthz`)).ok,
      { timeoutMs: 15_000 },
    );
    const tenant = await world.createTenant(tenantName);
    world.tenant = { id: tenant.id, name: tenant.name };
    world.apiKey = tenant.api_key;
    assert.ok(world.apiKey, `tenant create printed no api_key: ${JSON.stringify(tenant)}`);
    return world;
  } catch (error) {
    await world.close().catch(() => {});
    throw error;
  }
}
