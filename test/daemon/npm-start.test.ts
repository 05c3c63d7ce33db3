// `npm start` on a machine without the Electron runtime (or with --browser): build/scripts/start.mjs
// serves the window from `dormouse daemon --ui`, prints its URL, opens it with the OS's opener
// (here a stand-in `xdg-open` on PATH that records what it was given; xdg-open is the OS's, not
// Dormouse's) and stops the daemon cleanly on Ctrl-C.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasChromium, openWindow } from '../helpers/browser';
import { repoRoot } from '../helpers/cli';
import { alive } from '../helpers/trees';
import { eventually, temporaryRoot } from '../ui/ui-daemon';

/** Runs `node build/scripts/start.mjs ARGS` as `npm start` does (after its build), collecting what it prints. */
function npmStart(t: { after: (fn: () => Promise<void>) => void }, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [join(repoRoot, 'build', 'scripts', 'start.mjs'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    const pid = /daemon started \(pid (\d+)\)/.exec(out)?.[1];
    if (pid && alive(Number(pid))) process.kill(Number(pid), 'SIGKILL');
  });
  return { child, exited, output: () => out };
}

function baseEnv(path: string, display: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: path };
  delete env.NODE_OPTIONS;
  delete env.WAYLAND_DISPLAY;
  if (display === undefined) delete env.DISPLAY;
  else env.DISPLAY = display;
  return env;
}

const skipOs = process.platform === 'linux' ? false : 'the stand-in opener is xdg-open, the Linux one';

test('npm start --browser serves the window, opens its URL with xdg-open, and Ctrl-C stops the daemon', { skip: skipOs }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-npm-start-');
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const opened = join(root, 'opened.txt');
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const start = npmStart(t, ['--browser', '--data-dir', join(root, 'data'), '--settle-seconds', '3600'], baseEnv(`${bin}:/usr/bin:/bin`, ':99'));

  const url = await eventually(() => /the Dormouse window is at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+) \(Ctrl-C stops Dormouse\)/.exec(start.output())?.[1], 20_000, `the URL line in:\n${start.output()}`);
  await eventually(() => start.output().includes('opened it in your default browser'), 15_000, 'the line saying the browser was opened');
  assert.equal(readFileSync(opened, 'utf8'), url, 'xdg-open was given exactly the printed URL');

  await t.test('the URL serves the window, and without its token nothing is served', async () => {
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<div id="root"><\/div>/);
    assert.equal((await fetch(url.replace(/\?token=.*/, ''))).status, 401);
  });

  await t.test('in a browser the page is the Dormouse window', { skip: hasChromium() ? false : 'Debian chromium is not installed' }, async (sub) => {
    const { page, problems } = await openWindow(sub, url, 15_000);
    await page.getByRole('navigation', { name: 'Dormouse' }).waitFor();
    assert.deepEqual(problems, []);
  });

  await t.test('Ctrl-C (SIGINT) stops the daemon: it releases its lock and both processes exit', async () => {
    const daemonPid = Number(/daemon started \(pid (\d+)\)/.exec(start.output())?.[1]);
    assert.ok(alive(daemonPid));
    start.child.kill('SIGINT');
    const code = await start.exited;
    assert.equal(code, 0, start.output());
    assert.match(start.output(), /daemon stopped; scheduler lock released/);
    await eventually(() => !alive(daemonPid), 5_000, 'the daemon process to be gone');
  });
});

test('npm start without a way to open a browser still serves the window and says how to open it', { skip: skipOs }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-npm-start-');
  const empty = join(root, 'empty-bin');
  mkdirSync(empty);

  await t.test('no graphical session: it does not try, and says why', async () => {
    const start = npmStart(t, ['--browser', '--data-dir', join(root, 'data-1'), '--settle-seconds', '3600'], baseEnv(`${empty}:/usr/bin:/bin`, undefined));
    await eventually(() => /could not open a browser: there is no graphical session here .*; open the address above in a browser on this machine\./.test(start.output()), 20_000, `the line saying so in:\n${start.output()}`);
    const url = /the Dormouse window is at (\S+)/.exec(start.output())?.[1] as string;
    assert.equal((await fetch(url)).status, 200);
    start.child.kill('SIGINT');
    assert.equal(await start.exited, 0, start.output());
  });

  await t.test('a graphical session but no xdg-open installed: says so', async () => {
    const start = npmStart(t, ['--browser', '--data-dir', join(root, 'data-2'), '--settle-seconds', '3600'], baseEnv(empty, ':99'));
    await eventually(() => start.output().includes('could not open a browser: xdg-open is not installed; open the address above'), 20_000, `the line saying so in:\n${start.output()}`);
    start.child.kill('SIGTERM');
    assert.equal(await start.exited, 0, start.output());
  });

  await t.test('an xdg-open that fails: says it failed', async () => {
    const failing = join(root, 'failing-bin');
    mkdirSync(failing);
    writeFileSync(join(failing, 'xdg-open'), '#!/bin/sh\nexit 3\n');
    chmodSync(join(failing, 'xdg-open'), 0o755);
    const start = npmStart(t, ['--browser', '--data-dir', join(root, 'data-3'), '--settle-seconds', '3600'], baseEnv(`${failing}:/usr/bin:/bin`, ':99'));
    await eventually(() => start.output().includes('could not open a browser: xdg-open failed (exit 3)'), 20_000, `the line saying so in:\n${start.output()}`);
    start.child.kill('SIGINT');
    assert.equal(await start.exited, 0, start.output());
    assert.ok(existsSync(join(root, 'data-3', 'dormouse.sqlite')), 'the daemon made its catalog in the data folder given');
  });
});
