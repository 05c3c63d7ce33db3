// What the tests that load the real main-process entry share: a data folder made with the real CLI,
// loading dist/main/electron-main.cjs (once per process) with the stand-in electron module, the
// host's log lines, polling, and putting everything back afterwards.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope } from '../../shared/contract';
import type { Settings } from '../../shared/settings';
import { databaseFile } from '../../src-main/store/data-dir';
import Database from 'better-sqlite3';
import { configureConnection, type Db } from '../../src-main/store/open-store';
import { writeSettings } from '../../src-main/store/settings-store';
import { dormouse, repoRoot } from '../helpers/cli';
import { installFakeElectron, type FakeElectron } from './fake-electron';

export const mainEntry = join(repoRoot, 'dist', 'main', 'electron-main.cjs');
export const workerScript = join(repoRoot, 'dist', 'main', 'archive-worker.cjs');
export const preloadScript = join(repoRoot, 'dist', 'main', 'preload.cjs');
export const iconsFolder = join(repoRoot, 'dist', 'main', 'icons');
export const rendererIndex = join(repoRoot, 'dist', 'renderer', 'index.html');
export const markerName = '.dormouse-destination.json';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until probe returns something truthy; the failure message includes `context()`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await sleep(25);
  }
}

export interface DataFolder {
  root: string;
  dataDir: string;
  drive: string;
  source: string;
  configHome: string;
  scheduleId: number;
  /** A connection of the test's own to the same catalog. */
  db: Db;
}

/**
 * A temporary folder with a data folder (destination "usb", schedule "Documents" at 03:00 every
 * day, never run) made with the real CLI, the given source files, an XDG config folder, and settings.
 */
export function prepareDataFolder(files: Record<string, string | Buffer>, settings: Partial<Settings>): DataFolder {
  for (const built of [mainEntry, workerScript, preloadScript, rendererIndex]) assert.ok(existsSync(built), `${built} is built (run node build/scripts/build.mjs)`);
  const root = mkdtempSync(join(tmpdir(), 'dormouse-tray-'));
  const dataDir = join(root, 'data');
  const drive = join(root, 'drive');
  const configHome = join(root, 'config');
  const source = join(root, 'Documents');
  mkdirSync(drive);
  mkdirSync(configHome);
  mkdirSync(source);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(source, name, '..'), { recursive: true });
    writeFileSync(join(source, name), content);
  }
  const cli = (args: string[]) => {
    const result = dormouse(['--data-dir', dataDir, ...args, '--json']);
    assert.equal(result.code, 0, `dormouse ${args.join(' ')}: ${result.stdout}${result.stderr}`);
    return result.json<{ id: number }>();
  };
  cli(['destination', 'add', '--name', 'usb', '--path', drive]);
  const scheduleId = cli(['schedule', 'add', '--name', 'Documents', '--source', source, '--destination', 'usb', '--cron', '0 3 * * *']).id;
  // The built CLI made and migrated the catalog; it is opened here without migrating it again, so a
  // schema newer in src-main than in dist (while someone edits) never locks the built app out.
  const db: Db = new Database(databaseFile(dataDir), { fileMustExist: true });
  configureConnection(db);
  writeSettings(db, settings, Date.now());
  return { root, dataDir, drive, source, configHome, scheduleId, db };
}

/** An encrypted destination added to a data folder with the real CLI, with one backup of its own schedule. */
export interface EncryptedVault {
  /** The schedule "Secrets" backs up this folder, holding diary.txt. */
  source: string;
  drive: string;
  passphraseFile: string;
  snapshotId: number;
}

/**
 * Adds the encrypted destination "vault" (passphrase from a file), a schedule "Secrets" of a folder
 * holding diary.txt, and runs it once, all with the real CLI.
 */
export function addEncryptedVault(folder: DataFolder, passphrase: string): EncryptedVault {
  const source = join(folder.root, 'Secrets');
  const drive = join(folder.root, 'vault');
  const passphraseFile = join(folder.root, 'passphrase.txt');
  mkdirSync(source);
  mkdirSync(drive);
  writeFileSync(join(source, 'diary.txt'), 'Dear diary.\n');
  writeFileSync(passphraseFile, `${passphrase}\n`);
  const cli = (args: string[]) => {
    const result = dormouse(['--data-dir', folder.dataDir, ...args, '--json']);
    assert.equal(result.code, 0, `dormouse ${args.join(' ')}: ${result.stdout}${result.stderr}`);
    return result;
  };
  cli(['destination', 'add', '--name', 'vault', '--path', drive, '--encrypt', '--passphrase-file', passphraseFile]);
  cli(['schedule', 'add', '--name', 'Secrets', '--source', source, '--destination', 'vault', '--cron', '0 3 * * *']);
  cli(['run', 'Secrets']);
  const snapshots = cli(['snapshots']).json<{ id: number }[]>();
  return { source, drive, passphraseFile, snapshotId: snapshots[0]?.id as number };
}

export interface LoadedApp {
  electron: FakeElectron;
  /** The host's log lines ("2026-11-21T09:00:00+01:00 job 3 queued: …"). */
  hostLog: string[];
  /** Quits the app if a test has not, and puts back process state; removes the temporary folder. */
  cleanUp(): Promise<void>;
}

/**
 * Loads the real main entry in this process, as the OS would start the app (with --hidden when
 * asked), against the given data and config folders. Only once per process: the entry has no exports.
 */
export function loadMainEntry(folder: DataFolder, options: { hidden: boolean; singleInstanceLock?: boolean; beforeStart?: (electron: FakeElectron) => void }): LoadedApp {
  const saved = { DORMOUSE_DATA_DIR: process.env.DORMOUSE_DATA_DIR, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
  const hostLog: string[] = [];
  const originalLog = console.log;
  console.log = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (/^\d{4}-\d{2}-\d{2}T\S+ /.test(line)) hostLog.push(line);
    else originalLog(...args);
  };
  const electron = installFakeElectron({ appPath: repoRoot });
  if (options.singleInstanceLock === false) electron.app.singleInstanceLock = false;
  options.beforeStart?.(electron);
  process.env.DORMOUSE_DATA_DIR = folder.dataDir;
  process.env.XDG_CONFIG_HOME = folder.configHome;
  if (options.hidden) process.argv.push('--hidden');
  createRequire(__filename)(mainEntry);
  return {
    electron,
    hostLog,
    async cleanUp() {
      if (!electron.app.quitted) {
        electron.app.quit();
        await waitFor('the app to quit', () => electron.app.quitted, 10_000).catch(() => undefined);
      }
      if (options.hidden) process.argv.splice(process.argv.indexOf('--hidden'), 1);
      electron.uninstall();
      console.log = originalLog;
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      folder.db.close();
      rmSync(folder.root, { recursive: true, force: true });
    },
  };
}

/** Calls a channel as the window's page does: through the real preload's window.dormouse in the app's first window. */
export async function invokeInWindow<T>(electron: FakeElectron, channel: string, request: unknown): Promise<Envelope<T>> {
  const window = electron.BrowserWindow.instances[0];
  const bridge = window?.exposed?.dormouse as { invoke: (channel: string, request: unknown) => Promise<Envelope<T>> } | undefined;
  assert.ok(bridge, 'the preload exposed window.dormouse');
  return bridge.invoke(channel, request);
}

/** A channel's answer through the window, or an error naming the channel and what it refused. */
export async function valueInWindow<T>(electron: FakeElectron, channel: string, request: unknown): Promise<T> {
  const answer = await invokeInWindow<T>(electron, channel, request);
  if (!answer.ok) throw new Error(`${channel}: ${answer.error.code} ${answer.error.message}`);
  return answer.value;
}

/** Keeps the app's own log lines ("dormouse: …") in `lines` instead of printing them; the host's other lines print as before. */
export function keepAppLines(lines: string[]): void {
  const inner = console.log;
  console.log = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (line.startsWith('dormouse: ')) lines.push(line);
    else inner(...args);
  };
}
