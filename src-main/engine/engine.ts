import { catalogError } from '../store/catalog-errors';
import { SnapshotTasks } from './snapshot-tasks';
import { addDestination } from './add-destination';
import { addS3Destination } from './add-s3-destination';
import { storageOf } from '../destinations/storage-of';
import { s3Accesses } from '../destinations/s3-access';
import { credentialStoreFor } from '../s3/credential-store';
import { previewCron } from './schedule-definition';
import { addSchedule, editSchedule, removeSchedule, requireSchedule, scheduleView } from './schedule-changes';
import { destinationView, removeDestination, requireDestination, unencryptedS3Warning, usageOfDestinations } from './destination-views';
import { backupTimeoutMs } from '../destinations/destination-probe';
import { requestSchemas, type Channel, type RequestOf, type ResponseOf, type ValidRequestOf } from '../../shared/contract';
import { DormouseError } from '../../shared/errors';
import { parseInput } from '../../shared/schemas';
import { parseIsoInstant, toLocalIso } from '../../shared/time';
import type { TaskProgress, DestinationAdded, DestinationView, JobView, PruneReport, ScheduleView, StatusView } from '../../shared/types';
import type { Settings } from '../../shared/settings';
import { readSettings, writeSettings } from '../store/settings-store';
import { hostname } from 'node:os';
import { isLive, readLock } from '../scheduler/scheduler-lock';
import * as destinations from '../store/destination-store';
import type { DestinationRecord } from '../store/destination-store';
import { databaseFile } from '../store/data-dir';
import { openDatabase, type Db } from '../store/open-store';
import * as schedules from '../store/schedule-store';
import * as jobStore from '../jobs/job-store';
import { JobRunner, type JobEvents } from '../jobs/job-runner';
import type { WorkerLauncher } from '../jobs/worker-launcher';
import { SnapshotBrowser } from '../jobs/snapshot-browser';
import { finishInterruptedDeletions, pruneSchedule } from '../jobs/prune';
import { sweepLeftoverUploads } from '../jobs/leftover-sweep';
import { importFromDestination } from '../destinations/catalog-import';
import { listSnapshots } from '../jobs/snapshot-listing';
import { scheduleCoverage } from '../coverage/schedule-coverage';
import { commonHomeFolders } from '../common/home-folders';
import { thisMachine } from '../store/machine-store';
import { machineLabel } from '../destinations/destination-layout';
import { changePassphrase, identityForSnapshot, identityOf, rememberPassphrase } from './destination-keys';
import { PassphraseMemory } from './remembered-passphrases';
import { saveRecoveryKit } from './recovery-kit';
import type { SecretStore } from '../common/secret-store';
import type { ScheduleRecord } from '../store/schedule-store';

/** The engine's sense of time; tests inject their own. */
export type Clock = () => number;

type Handlers = { [C in Channel]: (request: ValidRequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>> };

/** Requests after which schedules, destinations or settings are different. */
const changingChannels: ReadonlySet<Channel> = new Set<Channel>([
  'destinations:add',
  'destinations:remove',
  'schedules:add',
  'schedules:edit',
  'schedules:remove',
  'schedules:set-enabled',
  'settings:set',
  'passphrases:remember',
  'passphrases:forget',
]);

/** What an engine is built with besides its catalog. */
export interface EngineOptions {
  now?: Clock;
  /** How archive workers start: a forked child under Node, a utilityProcess in the app. */
  launchWorker?: WorkerLauncher;
  /** How a snapshot's manifest is read for browsing: a worker thread under Node; by default an archive worker process. */
  launchReader?: WorkerLauncher;
  events?: JobEvents;
  /** Told how a restore or verification in a worker is coming along. */
  onTaskProgress?: (progress: TaskProgress) => void;
  /** Queues Back Up Now through the scheduler, in a process that runs one. */
  queueBackup?: (schedule: ScheduleRecord) => JobView;
  /** Where the OS keeps "open at login", in the app; elsewhere the stored setting is all there is. */
  loginItem?: { get(): boolean; set(enabled: boolean): void };
  /** The native folder picker, in the app. */
  pickFolder?: () => Promise<string | null>;
  /** Where remembered passphrases are kept: the OS keychain, in the app; elsewhere none, and nothing is remembered. */
  secrets?: SecretStore;
  /** How long a backup waits for its destination to answer before it is skipped (30 s by default: a USB disk may be spinning up). */
  destinationTimeoutMs?: number;
  /** Told after anything that changes schedules or destinations, so windows and the tray refresh. */
  changed?: () => void;
}

/**
 * The engine behind every front end: the CLI, the Electron IPC and the web host all call
 * `handle(channel, payload)`, which validates the payload against the shared contract first.
 */
export class Engine {
  private readonly openCatalog: () => Db;
  private readonly options: EngineOptions;
  private readonly launchWorker: WorkerLauncher;
  /** How long a backup, or an import, waits for its destination to answer. */
  private readonly destinationTimeoutMs: number;
  /** The last change to destinations, schedules or settings, which the next one waits for. */
  private changes: Promise<unknown> = Promise.resolve();
  /** Verifying, restoring and inspecting snapshots in workers. */
  private readonly snapshots: SnapshotTasks;
  /** The passphrases the person asked the app to remember. */
  private readonly memory: PassphraseMemory;
  private catalog: Db | undefined;
  /** Finishing deletions a crash interrupted, started when the catalog opens. */
  private deletions: Promise<unknown> | null = null;
  /** The start's sweep of S3 uploads left by stopped backups, stopped when the engine closes. */
  private sweep: { done: Promise<void>; stop: AbortController } | null = null;
  private readonly now: Clock;
  private readonly handlers: Handlers;
  /** Runs backups; recovery of jobs left by dead processes happens when the catalog is first opened. */
  readonly jobs: JobRunner;
  /** Lists snapshot folders; the manifest is parsed in a worker kept while someone browses. */
  private readonly browser: SnapshotBrowser;
  /** The jobs of dead processes that opening the catalog marked interrupted, for the daemon's log. */
  recoveredAtOpen: JobView[] = [];

  /** Takes how to open the catalog rather than an open one, so requests that need none (a cron preview) never create it. */
  constructor(openCatalog: () => Db, options: EngineOptions = {}) {
    this.openCatalog = openCatalog;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.launchWorker = options.launchWorker ?? (() => {
      throw new DormouseError('INTERNAL', 'this front end cannot start archive workers');
    });
    this.destinationTimeoutMs = options.destinationTimeoutMs ?? backupTimeoutMs;
    this.jobs = new JobRunner(() => this.db, this.launchWorker, this.now, this.destinationTimeoutMs);
    this.browser = new SnapshotBrowser(options.launchReader ?? this.launchWorker);
    this.memory = new PassphraseMemory(options.secrets);
    this.snapshots = new SnapshotTasks(() => this.db, this.launchWorker, this.now, options.onTaskProgress, this.memory);
    if (options.events) this.jobs.subscribe(options.events);
    this.handlers = {
      'destinations:list': () => this.destinationViews(),
      'destinations:add': (request) => this.addDestination(request),
      'destinations:passphrase': async (request) => {
        const record = this.requireDestination(request.name);
        await changePassphrase(this.db, record, request.passphrase, request.newPassphrase);
        await this.memory.forget(record);
        return this.destinationView(record);
      },
      'destinations:recovery-kit': (request) => {
        const record = this.requireDestination(request.name);
        return saveRecoveryKit(record, storageOf(this.db, record), request.to);
      },
      'destinations:s3-key-storage': () => credentialStoreFor(this.db.name).storage(),
      'passphrases:status': () => this.memory.view(destinations.listDestinations(this.db)),
      'passphrases:remember': async (request) => {
        await rememberPassphrase(this.db, this.memory, this.requireDestination(request.name), request.passphrase);
        return this.memory.view(destinations.listDestinations(this.db));
      },
      'passphrases:forget': async (request) => {
        await this.memory.forget(this.requireDestination(request.name));
        return this.memory.view(destinations.listDestinations(this.db));
      },
      'destinations:remove': (request) => removeDestination(this.db, request.name, this.memory),
      'schedules:list': () => this.scheduleViews(),
      'schedules:add': (request) => addSchedule(this.db, request, this.now()),
      'schedules:edit': (request) => editSchedule(this.db, request.schedule, request.changes, this.now()),
      'schedules:remove': (request) => removeSchedule(this.db, request.name, this.now()),
      'schedules:set-enabled': (request) => editSchedule(this.db, request.name, { enabled: request.enabled }, this.now()),
      'cron:preview': (request) => previewCron(request.expression, request.from === undefined ? this.now() : (parseIsoInstant(request.from) as number), request.count),
      'jobs:run': (request) => this.jobs.run(this.requireSchedule(request.name), 'manual'),
      'jobs:list': (request) =>
        jobStore.listJobs(this.db, {
          scheduleId: request.schedule === undefined ? undefined : this.requireSchedule(request.schedule).id,
          status: request.status,
          beforeId: request.beforeId,
          limit: request.limit,
        }),
      'jobs:get': (request) => {
        const job = jobStore.findJob(this.db, request.jobId);
        if (!job) throw new DormouseError('NOT_FOUND', `no job ${request.jobId}; see the history`);
        return job.view;
      },
      'snapshots:verify': (request) => this.snapshots.verify('all' in request ? null : request.snapshotId, request.passphrase, request.contents === true),
      'snapshots:suggest-target': (request) => this.snapshots.suggestTarget(request.snapshotId),
      'snapshots:import': async (request) => {
        const record = this.requireDestination(request.destination);
        const identity = await identityOf(this.db, record, request.passphrase, 'importing its snapshots', this.memory);
        return importFromDestination(this.db, record, storageOf(this.db, record), (paths) => this.snapshots.inspectArchives(paths, identity), this.destinationTimeoutMs);
      },
      'snapshots:prune': async (request) => {
        const reports: PruneReport[] = [];
        for (const schedule of request.schedule === undefined ? schedules.listSchedules(this.db) : [this.requireSchedule(request.schedule)]) {
          reports.push(await pruneSchedule(this.db, schedule, { dryRun: request.dryRun, now: this.now(), check: (destination) => this.jobs.checkDestination(destination) }));
        }
        return reports;
      },
      'snapshots:restore': (request) => this.snapshots.restore(request.snapshotId, request.to, request.paths, request.overwrite, request.passphrase),
      'snapshots:ls': async (request) => {
        const snapshot = this.snapshots.requireSnapshot(request.snapshotId);
        const archives = this.snapshots.chainArchives(request.snapshotId);
        const s3 = s3Accesses(this.db, [snapshot.archivePath, ...Object.values(archives)]);
        const identity = await identityForSnapshot(this.db, snapshot, request.passphrase, 'listing its snapshots', false, this.memory);
        return this.browser.list(snapshot.archivePath, archives, request.snapshotId, request.path, identity, s3);
      },
      'folders:pick': async () => (this.options.pickFolder ? { supported: true, path: await this.options.pickFolder() } : { supported: false, path: null }),
      'jobs:cancel': (request) => this.jobs.cancel(request.jobId),
      'status:get': () => this.status(),
      'jobs:start': (request) => this.startBackup(request.name),
      'settings:get': () => this.settings(),
      'settings:set': (request) => this.changeSettings(request),
      'snapshots:list': (request) => listSnapshots(this.db, request, thisMachine(this.db)),
      'coverage:get': (request) => scheduleCoverage(this.db, this.requireSchedule(request.schedule), request.days, this.now()),
      'destinations:usage': async () => usageOfDestinations(this.db, await this.destinationViews(), this.now(), (destination) => this.jobs.checkDestination(destination)),
      'folders:suggest': () => commonHomeFolders(),
    };
  }

  /** An engine on the catalog in a data folder, opened on first use. */
  static forDataDir(dataDir: string, options: EngineOptions = {}): Engine {
    return new Engine(() => openDatabase(databaseFile(dataDir)), options);
  }

  /** The catalog connection, opened (and migrated) on first use, when jobs left by dead processes are recovered. */
  get db(): Db {
    if (this.catalog === undefined) {
      this.catalog = this.openCatalog();
      this.recoveredAtOpen = this.jobs.recoverInterruptedJobs();
      // Off the event loop (the archives may be on a share that stopped answering); the catalog stays open until it is done.
      const deletions = finishInterruptedDeletions(this.catalog)
        ?.catch(() => 0)
        .finally(() => {
          if (this.deletions === deletions) this.deletions = null;
        });
      this.deletions = deletions ?? null;
    }
    return this.catalog;
  }

  /** Validates a request against the contract and runs it: the single entry point of every front end. */
  async handle<C extends Channel>(channel: C, payload: RequestOf<C> | unknown): Promise<ResponseOf<C>> {
    const request = parseInput(requestSchemas[channel], payload) as ValidRequestOf<C>;
    let response: ResponseOf<C>;
    try {
      const handler = () => this.handlers[channel](request);
      response = changingChannels.has(channel) ? await this.inTurn(handler) : await handler();
    } catch (error) {
      throw catalogError(error, this.catalog?.name ?? 'dormouse.sqlite') ?? error;
    }
    if (changingChannels.has(channel)) this.options.changed?.();
    return response;
  }

  /**
   * Runs changes to destinations, schedules and settings one at a time: each checks the catalog
   * and the disk (off the event loop, so others could run meanwhile) before it writes, and two
   * must not both pass their checks and then clash.
   */
  private inTurn<T>(change: () => T | Promise<T>): Promise<T> {
    const next = this.changes.then(change);
    this.changes = next.catch(() => undefined);
    return next;
  }

  /** Every schedule as front ends show it (a quick catalog query, for the tray). */
  scheduleViews(): ScheduleView[] {
    const now = this.now();
    return schedules.listSchedules(this.db).map((record) => scheduleView(record, now));
  }

  /** Every destination with its availability (a marker read each, off the event loop), for the lists. */
  destinationViews(): Promise<DestinationView[]> {
    return Promise.all(destinations.listDestinations(this.db).map((record) => this.destinationView(record)));
  }

  /** Every destination as its last check found it, without reading anything (the tray, rebuilt on every click); unchecked ones are left out. */
  knownDestinationViews(): DestinationView[] {
    return destinations.listDestinations(this.db).flatMap((record) => {
      const check = this.jobs.probe.known(record.path, record.id);
      return check ? [destinationView(record, check)] : [];
    });
  }

  /** Cancels every restore and verification this engine is running (Ctrl-C on the CLI). */
  cancelWorkerTasks(): void {
    this.snapshots.cancelWorkerTasks();
  }

  /**
   * Starts aborting, in the background, the multipart uploads this machine's stopped backups left on
   * S3 destinations (see sweepLeftoverUploads): the app and the daemon call it once at start. What it
   * did, and what failed, goes to `log`.
   */
  sweepLeftoverUploads(log: (line: string) => void): Promise<void> {
    if (this.sweep) return this.sweep.done;
    const stop = new AbortController();
    const done = sweepLeftoverUploads(this.db, (destination) => this.jobs.checkDestination(destination, backupTimeoutMs), { signal: stop.signal, log }).catch((error: unknown) => log(`looking for uploads stopped backups left failed: ${(error as Error).message}`));
    this.sweep = { done, stop };
    return done;
  }

  /** Closes the catalog (once deletions finished at opening, and the start's sweep, stopped now, are done) and ends the worker kept for browsing. */
  close(): void {
    this.browser.close();
    this.sweep?.stop.abort();
    const catalog = this.catalog;
    this.catalog = undefined;
    if (!catalog) return;
    const pending = [this.deletions, this.sweep?.done].filter((work) => work !== null && work !== undefined);
    if (pending.length > 0) void Promise.allSettled(pending).finally(() => catalog.close());
    else catalog.close();
  }

  private async destinationView(record: DestinationRecord): Promise<DestinationView> {
    return destinationView(record, await this.jobs.checkDestination(record));
  }

  private requireDestination(name: string): DestinationRecord {
    return requireDestination(this.db, name);
  }

  private requireSchedule(name: string): ScheduleRecord {
    return requireSchedule(this.db, name);
  }

  private async addDestination(request: ValidRequestOf<'destinations:add'>): Promise<DestinationAdded> {
    const context = { db: this.db, now: this.now, inspect: this.snapshots.inspectArchives, destinationTimeoutMs: this.destinationTimeoutMs };
    const added = request.s3
      ? await addS3Destination(context, request.name, request.s3, request.encrypt, request.passphrase)
      : await addDestination(context, request.name, request.path as string, request.encrypt ?? false, request.passphrase);
    const warnings = added.record.kind === 's3' && added.record.recipient === null ? [unencryptedS3Warning] : [];
    return { ...(await this.destinationView(added.record)), imported: added.imported, warnings };
  }

  private startBackup(name: string): JobView {
    const schedule = this.requireSchedule(name);
    if (this.options.queueBackup) return this.options.queueBackup(schedule);
    const job = this.jobs.enqueue(schedule, 'manual');
    void this.jobs.start(schedule, job.id);
    return job;
  }

  private settings(): Settings {
    const stored = readSettings(this.db);
    return this.options.loginItem ? { ...stored, openAtLogin: this.options.loginItem.get() } : stored;
  }

  private changeSettings(changes: Partial<Settings>): Settings {
    if (changes.openAtLogin !== undefined) this.options.loginItem?.set(changes.openAtLogin);
    writeSettings(this.db, changes, this.now());
    return this.settings();
  }

  private status(): StatusView {
    const holder = readLock(this.db);
    const held = holder !== null && isLive(holder, this.now(), hostname());
    const machine = thisMachine(this.db);
    return {
      machine: { id: machine.id, name: machineLabel(machine) },
      scheduler: {
        held,
        pid: held && holder ? holder.pid : null,
        hostname: held && holder ? holder.hostname : null,
        heartbeatAt: held && holder ? toLocalIso(holder.heartbeatAt) : null,
      },
      running: jobStore.activeJobs(this.db).map((job) => ({ ...job.view, waitingReason: job.waitingReason })),
      schedules: this.scheduleViews(),
    };
  }
}
