import '../common/thread-pool';
import { app, dialog, ipcMain, nativeImage, powerMonitor, powerSaveBlocker, safeStorage, Tray } from 'electron';
import { join, resolve } from 'node:path';
import type { DormouseEvent } from '../../shared/contract';
import { counted } from '../../shared/format';
import type { JobProgress, JobView } from '../../shared/types';
import { gatherDesktopState } from '../desktop/gather-desktop-state';
import { connectDriveNotification, jobNotification } from '../desktop/notification-texts';
import { pauseEnd, trayModel, type TrayAction } from '../desktop/tray-model';
import { Engine } from '../engine/engine';
import { SchedulerHost } from '../scheduler/scheduler-host';
import { CredentialFile, credentialFileName, useCredentialStore } from '../s3/credential-store';
import { KeychainCredentialStore } from '../s3/keychain-credential-store';
import { resolveDataDir } from '../store/data-dir';
import { prepareElectronProcess } from './electron-process';
import { registerIpcHandlers } from './ipc-handlers';
import { showStartupFailure } from './startup-failure';
import { loginItem, startedHidden } from './login-item';
import { notifier } from './notifier';
import { applyPlatformIdentity } from './platform-identity';
import { guardQuit } from './quit-guard';
import { keychainSecretStore, s3KeychainAvailability } from './keychain-secrets';
import { SettingsWindow, type WindowScreen } from './settings-window';
import { startSmokeProbe } from './smoke-probe';
import { showTrayModel } from './tray-menu';
import { utilityWorkerLauncher } from './utility-worker-launcher';
import { appPowerSource, watchClockChanges } from './app-clock-and-power';
import type { WakeDetector } from '../scheduler/wake-detector';

/** Where the archive workers' stderr is kept: in the data folder, beside the catalog. */
const workerLog = (dataDir: string): string => join(dataDir, 'logs', 'archive-worker.log');

const rendererIndex = join(__dirname, '..', 'renderer', 'index.html');
const iconsFolder = join(__dirname, 'icons');
const tickMs = 10_000;
const trayRefreshMs = 1_000;

const settingsWindow = new SettingsWindow(rendererIndex, join(__dirname, 'preload.cjs'));
let engine: Engine | undefined;
let host: SchedulerHost | undefined;
let clockWatch: WakeDetector | undefined;
let tray: Tray | undefined;
const progress = new Map<number, JobProgress>();
const lastDriveNotice = new Map<number, number>();
let blocker: number | null = null;
let trayRefresh: NodeJS.Timeout | null = null;
/** The tick that rebuilds the tray and checks destinations, stopped at quit so nothing reads the catalog once it is closed. */
let ticker: NodeJS.Timeout | null = null;
let destinationCheck: Promise<void> | null = null;

const send = (event: DormouseEvent): void => settingsWindow.send(event);
const showSettingsWindow = (screen?: WindowScreen, jobId?: number): void => settingsWindow.show(screen, jobId);

/** Only with DORMOUSE_SMOKE_PROBE=1 (npm run test:electron): the tray menu and notifications, readable from Playwright. */
const probe = startSmokeProbe();
const notify = notifier((text) => (text.jobId === null ? showSettingsWindow() : showSettingsWindow('job', text.jobId)), probe?.notificationShown);

function refreshTray(): void {
  if (!engine || !host || !tray) return;
  const state = gatherDesktopState(engine, host.scheduler, progress, Date.now());
  showTrayModel(tray, trayModel(state), iconsFolder, act);
  for (const entry of state.schedules) {
    const text = connectDriveNotification(entry, state.now);
    const last = lastDriveNotice.get(entry.schedule.id) ?? 0;
    if (text && state.now - last > 24 * 3_600_000) {
      lastDriveNotice.set(entry.schedule.id, state.now);
      notify(text);
    }
  }
}

/**
 * Checks the destinations off the event loop (a share that stopped answering costs a timeout, never
 * a frozen tray), then rebuilds the tray when what they said changed. The tray itself shows the
 * destinations as last checked, so it is rebuilt at once on every click.
 */
function checkDestinations(): void {
  if (!engine || destinationCheck) return;
  const before = JSON.stringify(engine.knownDestinationViews());
  destinationCheck = engine
    .destinationViews()
    .then(() => {
      if (engine && JSON.stringify(engine.knownDestinationViews()) !== before) refreshTray();
    })
    .catch((error: unknown) => console.error(`dormouse: checking the destinations failed: ${(error as Error).message}`))
    .finally(() => {
      destinationCheck = null;
    });
}

/** Rebuilds the tray soon, at most once a second however many progress events arrive. */
function refreshTraySoon(): void {
  if (trayRefresh !== null) return;
  trayRefresh = setTimeout(() => {
    trayRefresh = null;
    refreshTray();
  }, trayRefreshMs);
}

function changeSettings(changes: { pausedUntil: number | null }, then?: () => void): void {
  engine
    ?.handle('settings:set', changes)
    .then(then)
    .catch((error: unknown) => console.error(`dormouse: changing the settings failed: ${(error as Error).message}`));
}

function act(action: TrayAction): void {
  if (!engine || !host) return;
  switch (action.kind) {
    case 'back-up-now':
      host.scheduler.backUpNow(action.scheduleId);
      break;
    case 'pause':
      // Through the engine, whose "changed" recomputes the scheduler, rebuilds the tray and tells an open window.
      changeSettings({ pausedUntil: pauseEnd(action.span, Date.now()) });
      return;
    case 'resume':
      changeSettings({ pausedUntil: null }, () => host?.wake('resuming backups', 'pause-ended'));
      return;
    case 'open':
      showSettingsWindow();
      break;
    case 'restore':
      showSettingsWindow('restore');
      break;
    case 'show-job':
      showSettingsWindow('job', action.jobId);
      break;
    case 'set-up':
      showSettingsWindow('setup');
      break;
    case 'quit':
      app.quit();
      break;
  }
  refreshTray();
}

function onJobStarted(job: JobView): void {
  if (blocker === null) blocker = powerSaveBlocker.start('prevent-app-suspension');
  send({ type: 'job-started', payload: job });
  refreshTray();
}

function onJobFinished(job: JobView): void {
  progress.delete(job.id);
  if (engine && engine.jobs.runningJobIds().length === 0 && blocker !== null) {
    powerSaveBlocker.stop(blocker);
    blocker = null;
  }
  send({ type: 'job-finished', payload: job });
  checkDestinations();
  if (engine && host) {
    const schedule = engine.scheduleViews().find((candidate) => candidate.id === job.scheduleId);
    const text = schedule ? jobNotification(job, schedule.name, schedule.destination, host.settings().notifyOnSuccess) : null;
    if (text && job.error?.code === 'WORKER_CRASHED') text.body += ` What it said is in ${workerLog(resolveDataDir(undefined))}.`;
    if (text) notify(text);
  }
  refreshTray();
}

/**
 * S3 keys sealed by the OS keychain when it protects something, else in the 0600 file. Keys the
 * CLI or an older Dormouse left in the file stay there (the command line and the daemon need them);
 * the log says how many, and why.
 */
function keepS3KeysInKeychain(dataDir: string, keychain: ReturnType<typeof keychainSecretStore>): void {
  const plain = new CredentialFile(join(dataDir, credentialFileName));
  const keys = new KeychainCredentialStore(keychain, plain, () => s3KeychainAvailability(safeStorage));
  useCredentialStore((folder) => (folder === resolve(dataDir) ? keys : null));
  const left = plain.ids().length;
  if (left === 0) return;
  const availability = s3KeychainAvailability(safeStorage);
  const added = availability.available ? 'keys added in the window are sealed by the system keychain' : `keys added in the window go there too: ${availability.reason}`;
  console.log(`dormouse: the S3 keys of ${counted(left, 'destination')} are in ${plain.file} (readable only by this user), where the command line and the daemon can use them; ${added}`);
}

function startDesktop(): void {
  const dataDir = resolveDataDir(undefined);
  // Created once the app is ready: safeStorage answers nothing useful before.
  const keychain = keychainSecretStore(dataDir, safeStorage);
  keepS3KeysInKeychain(dataDir, keychain);
  engine = Engine.forDataDir(dataDir, {
    launchWorker: utilityWorkerLauncher(join(__dirname, 'archive-worker.cjs'), workerLog(dataDir)),
    queueBackup: (schedule) => {
      const job = host?.scheduler.backUpNow(schedule.id);
      if (!job) throw new Error(`could not queue a backup of ${schedule.name}`);
      return job;
    },
    loginItem,
    secrets: keychain,
    pickFolder: async () => {
      const options = { properties: ['openDirectory' as const, 'createDirectory' as const] };
      const parent = settingsWindow.current();
      const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    onTaskProgress: (update) => send({ type: 'task-progress', payload: update }),
    changed: () => {
      host?.scheduler.recompute();
      send({ type: 'schedules-changed', payload: {} });
      refreshTray();
      checkDestinations();
    },
  });
  engine.jobs.subscribe({
    started: onJobStarted,
    progress: (update) => {
      progress.set(update.jobId, update);
      send({ type: 'job-progress', payload: update });
      refreshTraySoon();
    },
    finished: onJobFinished,
  });
  host = new SchedulerHost({
    engine,
    power: appPowerSource(() => powerMonitor.isOnBatteryPower()),
    log: (line) => console.log(line),
  });
  registerIpcHandlers(ipcMain, engine, (event) => settingsWindow.isTrustedSender(event));
  settingsWindow.register(ipcMain);

  tray = new Tray(nativeImage.createFromPath(join(iconsFolder, 'tray-idle.png')));
  probe?.watchTray(tray);
  tray.on('click', () => showSettingsWindow());
  host.start();
  clockWatch = watchClockChanges(host);
  refreshTray();
  checkDestinations();
  ticker = setInterval(() => {
    host?.tick();
    refreshTray();
    checkDestinations();
  }, tickMs).unref();

  powerMonitor.on('resume', () => {
    host?.wake('resume from sleep', 'wake');
    checkDestinations();
  });
  powerMonitor.on('unlock-screen', () => host?.wake('screen unlock', 'unlock'));
  powerMonitor.on('on-ac', () => host?.powerMayHaveChanged());
  powerMonitor.on('on-battery', () => host?.powerMayHaveChanged());
  powerMonitor.on('suspend', () => engine?.jobs.noteOnRunningJobs(`the laptop went to sleep during this backup (${new Date().toLocaleString()})`));

  if (!startedHidden(process.argv)) showSettingsWindow();
}

if (prepareElectronProcess(process.argv, __dirname) === 'cli') {
  // Started by the `dormouse` launcher with --cli: the CLI runs in this process (cli-mode.ts), with no window or tray.
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showSettingsWindow());
  app.on('window-all-closed', () => undefined);
  const guard = guardQuit({
    shutdown: async () => {
      if (ticker !== null) clearInterval(ticker);
      if (trayRefresh !== null) clearTimeout(trayRefresh);
      ticker = trayRefresh = null;
      clockWatch?.stop();
      await host?.shutdown();
    },
    closeCatalog: () => engine?.close(),
    noteOnRunningJobs: (note) => engine?.jobs.noteOnRunningJobs(note),
    quitting: () => {
      settingsWindow.quitting = true;
    },
    log: (line) => console.error(line),
  });
  settingsWindow.onSessionEnd = guard.onSessionEnd;
  void app
    .whenReady()
    .then(() => {
      applyPlatformIdentity();
      startDesktop();
    })
    .catch(showStartupFailure);
}
