// `npm start` without the tray app: runs `dormouse daemon --ui`, prints the window's URL and opens it
// in the default browser where one can be opened. Ctrl-C (or SIGTERM, or closing the terminal) stops
// the daemon cleanly: it cancels a running backup and releases the scheduler lock.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const urlPattern = /settings window served at (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/;

/**
 * How this OS opens a URL in the default browser, or why it cannot: xdg-open on Linux and the BSDs
 * (only in a graphical session, else it may start a text browser in this terminal), open on macOS,
 * start on Windows.
 */
export function browserOpener(url, platform = process.platform, env = process.env) {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  if (platform === 'win32') return { command: 'cmd.exe', args: ['/d', '/s', '/c', `start "" "${url}"`], windowsVerbatimArguments: true };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return { reason: 'there is no graphical session here (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  return { command: 'xdg-open', args: [url] };
}

/** Opens the URL in the default browser; resolves to null when it did, else to why not. */
export function openInBrowser(url, platform = process.platform, env = process.env) {
  const opener = browserOpener(url, platform, env);
  if (opener.reason) return Promise.resolve(opener.reason);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(opener.command, opener.args, { stdio: 'ignore', env, windowsVerbatimArguments: opener.windowsVerbatimArguments ?? false });
    } catch (error) {
      resolve(`${opener.command} could not start (${error.message})`);
      return;
    }
    // xdg-open and open return once the browser has the URL; one still running after 10 s is taken as done.
    const timer = setTimeout(() => {
      child.unref();
      resolve(null);
    }, 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve(error.code === 'ENOENT' ? `${opener.command} is not installed` : `${opener.command} could not start (${error.message})`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? null : `${opener.command} failed (${signal ?? `exit ${code}`})`);
    });
  });
}

/** Runs the daemon with the window on loopback until a signal stops it; exits with the daemon's code. */
export function serveWindow(root, args) {
  const cli = join(root, 'bin', 'dormouse.cjs');
  // Its own process group (except on Windows, where that would mean a new console): Ctrl-C reaches the
  // daemon once, from here, so its clean shutdown is not cut short by a second signal.
  const daemon = spawn(process.execPath, [cli, 'daemon', '--ui', ...args], { stdio: ['ignore', 'pipe', 'inherit'], detached: process.platform !== 'win32' });
  let printed = '';
  let opened = false;
  daemon.stdout.setEncoding('utf8').on('data', (chunk) => {
    process.stdout.write(chunk);
    if (opened) return;
    printed += chunk;
    const found = urlPattern.exec(printed);
    if (!found) return;
    opened = true;
    const url = found[1];
    console.log(`dormouse: the Dormouse window is at ${url} (Ctrl-C stops Dormouse)`);
    void openInBrowser(url).then((reason) => {
      console.log(reason === null ? 'dormouse: opened it in your default browser.' : `dormouse: could not open a browser: ${reason}; open the address above in a browser on this machine.`);
    });
  });
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    daemon.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
  process.on('exit', () => {
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGTERM');
  });
  daemon.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}
