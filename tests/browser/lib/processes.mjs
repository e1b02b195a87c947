// Child processes of a test world (the renkei binary as a server, as fakes, as a CLI): started
// with their output kept, waited for by what they print, and always ended, even when the test
// process itself fails or is interrupted.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The renkei binary: `RENKEI_BIN`, else the debug build in `${CARGO_TARGET_DIR:-target}`. */
export function renkeiBinary() {
  const bin =
    process.env.RENKEI_BIN ??
    resolve(repoRoot, process.env.CARGO_TARGET_DIR ?? 'target', 'debug/renkei');
  if (!existsSync(bin)) {
    throw new Error(`the renkei binary is missing at ${bin}: run \`cargo build -p renkei\` (scripts/browser-test does)`);
  }
  return bin;
}

const running = new Set();
const directories = new Set();

/** This process's environment without any RENKEI_* setting of the developer's (a database URL
 * or public URL of theirs must not leak into a test), plus `env`; `undefined` removes a key. */
function childEnv(env) {
  const merged = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RENKEI_')));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

/** A temporary directory removed when the test process ends, whatever way it ends. */
export function temporaryDirectory(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  directories.add(dir);
  return dir;
}

export function removeDirectory(dir) {
  rmSync(dir, { recursive: true, force: true });
  directories.delete(dir);
}

// Whatever happens to the test process, no server or fake outlives it, nor its data.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
}

/** The last lines a child printed, for error messages. */
const TAIL_LINES = 200;

export class Child {
  /** Starts `command args` with `env` added to this process's environment. */
  constructor(name, command, args, { env = {}, cwd } = {}) {
    this.name = name;
    this.lines = [];
    this.exit = null;
    this.process = spawn(command, args, {
      env: childEnv(env),
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.process);
    this.waiters = new Set();
    for (const stream of [this.process.stdout, this.process.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop();
        for (const line of parts) this.#line(line);
      });
      stream.on('end', () => partial && this.#line(partial));
    }
    this.exited = new Promise((resolveExit) => {
      this.process.on('exit', (code, signal) => {
        running.delete(this.process);
        this.exit = { code, signal };
        for (const waiter of this.waiters) waiter.onExit();
        resolveExit(this.exit);
      });
      this.process.on('error', (error) => {
        running.delete(this.process);
        this.exit = { code: null, signal: null, error };
        for (const waiter of this.waiters) waiter.onExit();
        resolveExit(this.exit);
      });
    });
  }

  #line(line) {
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
    for (const waiter of this.waiters) waiter.onLine(line);
  }

  /** What it printed last, indented, for an error message. */
  tail(n = 40) {
    const lines = this.lines.slice(-n);
    return lines.length ? lines.map((l) => `    ${l}`).join('\n') : '    (nothing)';
  }

  describeExit() {
    const e = this.exit;
    if (!e) return 'still running';
    if (e.error) return `could not start: ${e.error.message}`;
    return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
  }

  /** Resolves with the regex match of the first line (already printed or to come) that
   * matches; fails when the process ends first or after `timeoutMs`. */
  waitForLine(regex, timeoutMs = 15_000) {
    for (const line of this.lines) {
      const m = line.match(regex);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolveLine, reject) => {
      const fail = (why) => {
        this.waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`${this.name}: ${why} before printing a line matching ${regex}; its output:\n${this.tail()}`));
      };
      const waiter = {
        onLine: (line) => {
          const m = line.match(regex);
          if (m) {
            this.waiters.delete(waiter);
            clearTimeout(timer);
            resolveLine(m);
          }
        },
        onExit: () => fail(this.describeExit()),
      };
      const timer = setTimeout(() => fail(`no such line within ${timeoutMs} ms`), timeoutMs);
      this.waiters.add(waiter);
      if (this.exit) fail(this.describeExit());
    });
  }

  /** SIGTERM (a graceful stop), then SIGKILL after `graceMs`. Returns whether the process
   * was still running when asked to stop: `false` means it had died on its own. */
  async stop(graceMs = 5_000) {
    if (this.exit) return false;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    return true;
  }
}

/** Runs a command to its end; resolves with its stdout, fails (with its stderr) on a non-zero exit. */
export function run(command, args, { env = {}, cwd, timeoutMs = 30_000 } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      env: childEnv(env),
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      running.delete(child);
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      if (code === 0) resolveRun(stdout);
      else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new Error(`\`${[command, ...args].join(' ')}\` ${how}:\n${stderr || stdout}`));
      }
    });
  });
}
