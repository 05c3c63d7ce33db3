import { realpath, stat } from 'node:fs/promises';
import { answerWithin, isSameOrInside } from '../common/files';
import { backupTimeoutMs, viewTimeoutMs } from '../destinations/destination-probe';
import { isAbsolute, join, resolve } from 'node:path';
import { requestSchemas, type Channel, type RequestOf, type ResponseOf, type ValidRequestOf } from '../../shared/contract';
import { describeCron } from '../../shared/cron-words';
import { DormouseError, notFound } from '../../shared/errors';
import { parseInput, type ScheduleFields } from '../../shared/schemas';
import { parseIsoInstant, toLocalIso, toLocalIsoOrNull } from '../../shared/time';
import { snapshotVerdicts } from '../jobs/verify-verdicts';
import type { TaskProgress, DestinationAdded, DestinationUsage, DestinationView, ImportReport, JobView, PruneReport, RestoreReport, ScheduleView, StatusView, VerifyReport } from '../../shared/types';
import type { Settings } from '../../shared/settings';
import { readSettings, writeSettings } from '../store/settings-store';
import { homedir, hostname } from 'node:os';
import { isLive, readLock } from '../scheduler/scheduler-lock';
import { readMarkerAsync, removeMarkerAsync, writeMarkerAsync } from '../destinations/destination-marker';
import { cronProblem, isOverdue, nextFires } from '../scheduler/cron-schedule';
import * as destinations from '../store/destination-store';
import type { DestinationRecord } from '../store/destination-store';
import { databaseFile } from '../store/data-dir';
import { openDatabase, type Db } from '../store/open-store';
import * as schedules from '../store/schedule-store';
import * as jobStore from '../jobs/job-store';
import { JobRunner, type JobEvents } from '../jobs/job-runner';
import type { WorkerLauncher } from '../jobs/worker-launcher';
import { runWorkerTask } from '../jobs/worker-task';
import { SnapshotBrowser } from '../jobs/snapshot-browser';
import type { ToWorker } from '../archive-worker/archive-protocol';
import { finishInterruptedDeletions, pruneSchedule } from '../jobs/prune';
import { adoptOrphanSnapshots, importFromDestination } from '../destinations/catalog-import';
import { archivesFolderName } from '../destinations/destination-layout';
import { listSnapshots } from '../jobs/snapshot-listing';
import { scheduleCoverage } from '../coverage/schedule-coverage';
import { destinationUsage } from '../destinations/destination-usage';
import { commonHomeFolders } from '../common/home-folders';
import { thisMachine } from '../store/machine-store';
import type { InspectedArchive } from '../archive-worker/inspect-archive';
import type { VerifyResult } from '../archive-worker/verify-archive';
import { changePassphrase, identityForSnapshot, identityOf, keyForNewDestination } from './destination-keys';
import type { ScheduleDefinition, ScheduleRecord } from '../store/schedule-store';

/** The engine's sense of time; tests inject their own. */
export type Clock = () => number;

type Handlers = { [C in Channel]: (request: ValidRequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>> };

/** Says in words what a SQLite error from the catalog means and what to do, or null for other errors. */
function catalogError(error: unknown, file: string): DormouseError | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  const reason = (error as Error).message;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new DormouseError('DATABASE_UNREADABLE', `the catalog ${file} is damaged (${reason}); move it aside (your archives are safe on their destinations) and add the destination again to rebuild it`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DormouseError('DATABASE_UNREADABLE', `the catalog ${file} is busy: another program kept it locked for too long (${reason}); try again`);
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    return new DormouseError('DATABASE_UNREADABLE', `the catalog ${file} cannot be written (${reason}); check the data folder's permissions and free space, or pass --data-dir`);
  }
  return null;
}

/** Requests after which schedules, destinations or settings are different. */
const changingChannels: ReadonlySet<Channel> = new Set<Channel>([
  'destinations:add',
  'destinations:remove',
  'schedules:add',
  'schedules:edit',
  'schedules:remove',
  'schedules:set-enabled',
  'settings:set',
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
  /** How long a backup waits for its destination to answer before it is skipped (30 s by default: a USB disk may be spinning up). */
  destinationTimeoutMs?: number;
  /** Told after anything that changes schedules or destinations, so windows and the tray refresh. */
  changed?: () => void;
}

/** How long writing a new destination's marker (a write, an fsync and a rename) may take on a slow share. */
const markerWriteTimeoutMs = 10_000;

/** Why a folder could not be checked: it did not answer in time (a share out of reach, a drive that hangs). */
function notAnswering(role: string, path: string): DormouseError {
  // Not the caller's mistake (the path may be right): the operation failed, as a backup would.
  return new DormouseError(role === 'source' ? 'SOURCE_MISSING' : 'DESTINATION_UNAVAILABLE', `${role} "${path}" did not answer within ${viewTimeoutMs / 1000} s: a network share out of reach, or a drive that hangs; try again once it answers`);
}

/**
 * A folder's real path, read off the event loop so a share that stopped answering cannot freeze
 * the owner; after a few seconds (or when it cannot be resolved) the path as written.
 */
async function realOrResolved(path: string): Promise<string> {
  const real = await answerWithin(path, () => realpath(path).catch(() => resolve(path)), viewTimeoutMs);
  return real.timedOut ? resolve(path) : real.value;
}

/** Checks that a path names an existing folder, off the event loop and within a few seconds. */
async function requireFolder(path: string, role: string, hint: string): Promise<string> {
  if (!isAbsolute(path)) throw new DormouseError('INVALID_INPUT', `${role} "${path}" must be an absolute path`);
  const checked = await answerWithin(path, () => stat(path).catch(() => null), viewTimeoutMs);
  if (checked.timedOut) throw notAnswering(role, path);
  if (checked.value === null) throw new DormouseError('INVALID_INPUT', `${role} "${path}" does not exist; ${hint}`);
  if (!checked.value.isDirectory()) throw new DormouseError('INVALID_INPUT', `${role} "${path}" is not a folder; ${hint}`);
  return resolve(path);
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
  /** Restores and verifications running in workers, so they can be cancelled. */
  private readonly tasks = new Set<AbortController>();
  private catalog: Db | undefined;
  /** Finishing deletions a crash interrupted, started when the catalog opens. */
  private deletions: Promise<unknown> | null = null;
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
    if (options.events) this.jobs.subscribe(options.events);
    this.handlers = {
      'destinations:list': () => this.destinationViews(),
      'destinations:add': (request) => this.addDestination(request.name, request.path, request.encrypt, request.passphrase),
      'destinations:passphrase': async (request) => {
        const record = this.requireDestination(request.name);
        await changePassphrase(record, request.passphrase, request.newPassphrase);
        return this.destinationView(record);
      },
      'destinations:remove': (request) => this.removeDestination(request.name),
      'schedules:list': () => schedules.listSchedules(this.db).map((record) => this.scheduleView(record)),
      'schedules:add': (request) => this.addSchedule(request),
      'schedules:edit': (request) => this.editSchedule(request.schedule, request.changes),
      'schedules:remove': (request) => this.removeSchedule(request.name),
      'schedules:set-enabled': (request) => this.editSchedule(request.name, { enabled: request.enabled }),
      'cron:preview': (request) => this.previewCron(request.expression, request.from, request.count),
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
      'snapshots:verify': (request) => this.verify('all' in request ? null : request.snapshotId, request.passphrase),
      'snapshots:suggest-target': (request) => {
        const created = new Date(this.requireSnapshot(request.snapshotId).createdAt);
        const pad = (value: number) => String(value).padStart(2, '0');
        const stamp = `${created.getFullYear()}-${pad(created.getMonth() + 1)}-${pad(created.getDate())} ${pad(created.getHours())}.${pad(created.getMinutes())}`;
        return { target: join(homedir(), `Restored ${stamp}`) };
      },
      'snapshots:import': async (request) => {
        const record = this.requireDestination(request.destination);
        const identity = await identityOf(record, request.passphrase, 'importing its snapshots');
        return importFromDestination(this.db, record, (paths) => this.inspectArchives(paths, identity), this.destinationTimeoutMs);
      },
      'snapshots:prune': async (request) => {
        const reports: PruneReport[] = [];
        for (const schedule of request.schedule === undefined ? schedules.listSchedules(this.db) : [this.requireSchedule(request.schedule)]) {
          reports.push(await pruneSchedule(this.db, schedule, { dryRun: request.dryRun, now: this.now(), probe: this.jobs.probe }));
        }
        return reports;
      },
      'snapshots:restore': (request) => this.restore(request.snapshotId, request.to, request.paths, request.overwrite, request.passphrase),
      'snapshots:ls': async (request) => {
        const snapshot = this.requireSnapshot(request.snapshotId);
        const identity = await identityForSnapshot(this.db, snapshot, request.passphrase, 'listing its snapshots');
        return this.browser.list(snapshot.archivePath, this.chainArchives(request.snapshotId), request.snapshotId, request.path, identity);
      },
      'folders:pick': async () => (this.options.pickFolder ? { supported: true, path: await this.options.pickFolder() } : { supported: false, path: null }),
      'jobs:cancel': (request) => this.jobs.cancel(request.jobId),
      'status:get': () => this.status(),
      'jobs:start': (request) => this.startBackup(request.name),
      'settings:get': () => this.settings(),
      'settings:set': (request) => this.changeSettings(request),
      'snapshots:list': (request) => listSnapshots(this.db, request, thisMachine(this.db)),
      'coverage:get': (request) => scheduleCoverage(this.db, this.requireSchedule(request.schedule), request.days, this.now()),
      'destinations:usage': () => this.usage(),
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
    return schedules.listSchedules(this.db).map((record) => this.scheduleView(record));
  }

  /** Every destination with its availability (a marker read each, off the event loop), for the lists. */
  destinationViews(): Promise<DestinationView[]> {
    return Promise.all(destinations.listDestinations(this.db).map((record) => this.destinationView(record)));
  }

  /** Every destination as its last check found it, without reading anything (the tray, rebuilt on every click); unchecked ones are left out. */
  knownDestinationViews(): DestinationView[] {
    return destinations.listDestinations(this.db).flatMap((record) => {
      const check = this.jobs.probe.known(record.path, record.id);
      return check ? [{ id: record.id, name: record.name, path: record.path, available: check.state === 'available', state: check.state, freeBytes: check.freeBytes, encrypted: record.recipient !== null }] : [];
    });
  }

  /** Cancels every restore and verification this engine is running (Ctrl-C on the CLI). */
  cancelWorkerTasks(): void {
    for (const task of this.tasks) task.abort();
  }

  private async workerTask(task: ToWorker) {
    const controller = new AbortController();
    this.tasks.add(controller);
    try {
      const kind = task.type === 'restore' ? 'restore' : 'verify';
      return await runWorkerTask(this.launchWorker, task, (progress) => this.options.onTaskProgress?.({ task: kind, ...progress }), controller.signal);
    } finally {
      this.tasks.delete(controller);
    }
  }

  /** Reads archives found on a destination in a worker: their manifests, and their SHA-256 when a sidecar is missing. */
  private readonly inspectArchives = async (archivePaths: string[], identity?: string): Promise<InspectedArchive[]> => {
    const answer = await this.workerTask({ type: 'inspect', archivePaths, ...(identity === undefined ? {} : { identity }) });
    if (answer.type !== 'inspected') throw new DormouseError('INTERNAL', answer.type === 'error' ? `reading the archives failed: ${answer.message}` : 'the worker did not read the archives');
    return answer.archives;
  };

  /** Closes the catalog (once deletions finished at opening are done) and ends the worker kept for browsing. */
  close(): void {
    this.browser.close();
    const catalog = this.catalog;
    this.catalog = undefined;
    if (!catalog) return;
    if (this.deletions) void this.deletions.finally(() => catalog.close());
    else catalog.close();
  }

  private async destinationView(record: DestinationRecord): Promise<DestinationView> {
    const check = await this.jobs.probe.check(record.path, record.id);
    return { id: record.id, name: record.name, path: record.path, available: check.state === 'available', state: check.state, freeBytes: check.freeBytes, encrypted: record.recipient !== null };
  }

  private scheduleView(record: ScheduleRecord): ScheduleView {
    const now = this.now();
    const parses = cronProblem(record.cron) === null;
    const next = record.enabled && parses ? nextFires(record.cron, now, 1)[0] : undefined;
    return {
      id: record.id,
      name: record.name,
      cron: record.cron,
      description: describeCron(record.cron),
      enabled: record.enabled,
      sources: record.sources,
      excludes: record.excludes,
      destination: record.destinationName,
      compression: record.compression,
      keepLast: record.keepLast,
      keepDaily: record.keepDaily,
      keepWeekly: record.keepWeekly,
      keepMonthly: record.keepMonthly,
      lastSuccessAt: toLocalIsoOrNull(record.lastSuccessAt),
      nextRunAt: next === undefined ? null : toLocalIso(next),
      overdue: record.enabled && isOverdue(record.cron, record.lastSuccessAt, now),
    };
  }

  /** Where each destination's space goes: catalog queries, the retention's dry run, and the free space the probe reads off the event loop. */
  private async usage(): Promise<DestinationUsage[]> {
    const views = await this.destinationViews();
    const all = schedules.listSchedules(this.db);
    const now = this.now();
    const reports: { destinationId: string; report: PruneReport }[] = [];
    for (const schedule of all) reports.push({ destinationId: schedule.destinationId, report: await pruneSchedule(this.db, schedule, { dryRun: true, now, probe: this.jobs.probe }) });
    return destinations.listDestinations(this.db).map((record) =>
      destinationUsage(
        this.db,
        record,
        views.find((view) => view.id === record.id),
        reports.filter((entry) => entry.destinationId === record.id).map((entry) => entry.report),
        now,
      ),
    );
  }

  private requireDestination(name: string): DestinationRecord {
    const record = destinations.findDestinationByName(this.db, name);
    if (record) return record;
    const known = destinations.listDestinations(this.db).map((destination) => destination.name);
    throw notFound('destination', name, known, 'add one with `dormouse destination add --name NAME --path PATH`');
  }

  private requireSchedule(name: string): ScheduleRecord {
    const record = schedules.findScheduleByName(this.db, name);
    if (record) return record;
    const known = schedules.listSchedules(this.db).map((schedule) => schedule.name);
    throw notFound('schedule', name, known, 'see `dormouse schedule list`');
  }

  private async addDestination(name: string, path: string, encrypt: boolean, passphrase: string | undefined): Promise<DestinationAdded> {
    const folder = await requireFolder(path, 'destination folder', 'create it, or connect the drive, and try again');
    const nameClash = () => {
      if (destinations.findDestinationByName(this.db, name)) throw new DormouseError('CONFLICT', `a destination named "${name}" already exists; choose another name`);
    };
    nameClash();
    // Every path is resolved off the event loop, at once: one of the known shares may not be answering.
    const known = destinations.listDestinations(this.db);
    const [real, ...knownReal] = await Promise.all([folder, ...known.map((existing) => existing.path)].map(realOrResolved));
    const sameFolder = known.find((_, index) => knownReal[index] === real);
    if (sameFolder) {
      const inPlace = encrypt && sameFolder.recipient === null ? '; an unencrypted destination cannot be switched to encrypted in place: add a new encrypted destination in another folder' : '';
      throw new DormouseError('CONFLICT', `${folder} is already the destination "${sameFolder.name}"${inPlace}`);
    }
    const read = await answerWithin(folder, () => readMarkerAsync(folder), viewTimeoutMs);
    if (read.timedOut) throw notAnswering('destination folder', folder);
    const reading = read.value;
    if (reading.kind === 'foreign') {
      throw new DormouseError('INVALID_INPUT', `${folder} holds a destination marker Dormouse cannot read (${reading.reason}); move it aside and try again`);
    }
    const adoptedClash = () => {
      const adopted = reading.kind === 'valid' ? destinations.findDestinationById(this.db, reading.marker.id) : undefined;
      if (adopted) {
        throw new DormouseError('CONFLICT', `${folder} carries the marker of destination "${adopted.name}" (at ${adopted.path}); remove that destination first to add it here`);
      }
    };
    adoptedClash();
    const key = await keyForNewDestination(name, folder, { encrypt, passphrase, hasMarker: reading.kind === 'valid', now: new Date(this.now()) });
    let marker = reading.kind === 'valid' ? reading.marker : null;
    let record: DestinationRecord;
    try {
      if (marker === null) {
        const written = await answerWithin(folder, () => writeMarkerAsync(folder, name, new Date(this.now())), markerWriteTimeoutMs);
        if (written.timedOut) throw notAnswering('destination folder', folder);
        marker = written.value;
      }
      record = { id: marker.id, name, path: folder, createdAt: this.now(), recipient: key.recipient };
      try {
        // Checked again: another process may have added the same name, or this folder, while it was read.
        nameClash();
        adoptedClash();
        destinations.insertDestination(this.db, record);
      } catch (error) {
        if (reading.kind === 'missing') await answerWithin(folder, () => removeMarkerAsync(folder), viewTimeoutMs);
        throw error;
      }
    } catch (error) {
      await key.undo();
      throw error;
    }
    let imported: ImportReport;
    try {
      imported = await importFromDestination(this.db, record, (paths) => this.inspectArchives(paths, key.identity), this.destinationTimeoutMs);
    } catch (error) {
      // The destination is recorded: archives it could not list now are left for `dormouse import`.
      if (!(error instanceof DormouseError) || error.code !== 'DESTINATION_UNAVAILABLE') throw error;
      imported = { destination: name, imported: [], alreadyKnown: 0, skipped: [{ archivePath: join(folder, archivesFolderName), reason: error.message }] };
    }
    return { ...(await this.destinationView(record)), imported };
  }

  private removeDestination(name: string): { id: string; name: string; path: string } {
    const record = this.requireDestination(name);
    const users = schedules.schedulesUsingDestination(this.db, record.id);
    if (users.length > 0) {
      throw new DormouseError('CONFLICT', `destination "${record.name}" is used by schedule(s) ${users.join(', ')}; remove them or point them at another destination first`);
    }
    destinations.deleteDestination(this.db, record.id);
    return { id: record.id, name: record.name, path: record.path };
  }

  /**
   * Checks a complete schedule definition against the file system and the catalog. Sources are
   * checked for existence when they are being set, so a schedule whose folder vanished can still be
   * disabled or edited.
   */
  private async resolveDefinition(fields: ScheduleFields, excludingId: number | null, checkSources: boolean): Promise<ScheduleDefinition> {
    const clash = schedules.findScheduleByName(this.db, fields.name);
    if (clash && clash.id !== excludingId) {
      throw new DormouseError('CONFLICT', `a schedule named "${clash.name}" already exists; choose another name`);
    }
    const problem = cronProblem(fields.cron);
    if (problem !== null) throw new DormouseError('INVALID_INPUT', problem);
    const destination = this.requireDestination(fields.destination);
    // The destination's real path is read off the event loop: a share that stopped answering must not
    // freeze the owner; after 3 s its path is taken as written.
    const target = await realOrResolved(destination.path);
    const sources = checkSources
      ? await Promise.all(fields.sources.map((source) => requireFolder(source, 'source', 'check the path, or create the folder first')))
      : fields.sources;
    const realSources = await Promise.all(sources.map(realOrResolved));
    realSources.forEach((source, index) => {
      realSources.forEach((other, otherIndex) => {
        if (index !== otherIndex && isSameOrInside(source, other) && (source !== other || index > otherIndex)) {
          throw new DormouseError('INVALID_INPUT', `source ${sources[index]} is already covered by source ${sources[otherIndex]}; list it once`);
        }
      });
    });
    realSources.forEach((source, index) => {
      if (isSameOrInside(target, source)) {
        throw new DormouseError('INVALID_INPUT', `destination "${destination.name}" (${destination.path}) is inside source ${sources[index]}: the backup would swallow itself; choose a destination outside your sources`);
      }
      if (isSameOrInside(source, target)) {
        throw new DormouseError('INVALID_INPUT', `source ${sources[index]} is inside destination "${destination.name}" (${destination.path}): the backup would swallow itself; choose a source outside the destination`);
      }
    });
    return {
      name: fields.name,
      destinationId: destination.id,
      cron: fields.cron.trim().replace(/\s+/g, ' '),
      enabled: fields.enabled,
      compression: fields.compression,
      keepLast: fields.keepLast,
      keepDaily: fields.keepDaily,
      keepWeekly: fields.keepWeekly,
      keepMonthly: fields.keepMonthly,
      sources,
      excludes: [...new Set(fields.excludes)],
    };
  }

  private async addSchedule(fields: ScheduleFields): Promise<ScheduleView> {
    const definition = await this.resolveDefinition(fields, null, true);
    const id = schedules.insertSchedule(this.db, definition, this.now());
    adoptOrphanSnapshots(this.db, id, definition.name);
    return this.scheduleView(schedules.findScheduleById(this.db, id) as ScheduleRecord);
  }

  private async editSchedule(name: string, changes: Partial<ScheduleFields>): Promise<ScheduleView> {
    const current = this.requireSchedule(name);
    const merged: ScheduleFields = {
      name: current.name,
      sources: current.sources,
      excludes: current.excludes,
      destination: current.destinationName,
      cron: current.cron,
      compression: current.compression,
      keepLast: current.keepLast,
      keepDaily: current.keepDaily,
      keepWeekly: current.keepWeekly,
      keepMonthly: current.keepMonthly,
      enabled: current.enabled,
      ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
    };
    const definition = await this.resolveDefinition(merged, current.id, changes.sources !== undefined);
    schedules.updateSchedule(this.db, current.id, definition, this.now());
    return this.scheduleView(schedules.findScheduleById(this.db, current.id) as ScheduleRecord);
  }

  private removeSchedule(name: string): ScheduleView {
    const record = this.requireSchedule(name);
    if (schedules.hasActiveJob(this.db, record.id)) {
      throw new DormouseError('CONFLICT', `schedule "${record.name}" has a backup queued or running; cancel it or wait for it to finish first`);
    }
    const view = this.scheduleView(record);
    schedules.deleteSchedule(this.db, record.id);
    return view;
  }

  private requireSnapshot(id: number) {
    const snapshot = jobStore.findSnapshot(this.db, id);
    if (!snapshot) throw new DormouseError('NOT_FOUND', `no snapshot ${id}; see \`dormouse snapshots\``);
    return snapshot;
  }

  /** Verifies one snapshot or all, in a worker process. */
  private async verify(snapshotId: number | null, passphrase: string | undefined): Promise<VerifyReport> {
    const requested = snapshotId === null ? jobStore.allSnapshotArchives(this.db).map((snapshot) => snapshot.id) : [this.requireSnapshot(snapshotId).id];
    if (requested.length === 0) return { ok: true, snapshots: [] };
    // A snapshot is verified together with every archive it depends on.
    const ids = [...new Set(requested.flatMap((id) => jobStore.chainOf(this.db, id).map((link) => link.id)))].sort((a, b) => a - b);
    const snapshots = ids.map((id) => ({ ...this.requireSnapshot(id), uuid: jobStore.chainOf(this.db, id)[0]?.uuid ?? null }));
    // One worker task per key: an encrypted destination's archives are read with its identity (none without a passphrase: the SHA-256 alone).
    const identities = await Promise.all(snapshots.map((snapshot) => identityForSnapshot(this.db, snapshot, passphrase, 'checking its archives\' contents', true)));
    const results = new Map<number, VerifyResult>();
    for (const identity of new Set(identities)) {
      const group = snapshots.filter((_, index) => identities[index] === identity);
      const answer = await this.workerTask({
        type: 'verify',
        archives: group.map((snapshot) => ({ id: snapshot.uuid, archivePath: snapshot.archivePath, sha256: snapshot.sha256 })),
        ...(identity === undefined ? {} : { identity }),
      });
      if (answer.type !== 'verified') throw new DormouseError('INTERNAL', answer.type === 'error' ? answer.message : 'the worker did not verify');
      group.forEach((snapshot, index) => answer.results[index] && results.set(snapshot.id, answer.results[index]));
    }
    const own = snapshots.map((snapshot) => {
      const result = results.get(snapshot.id);
      return { snapshotId: snapshot.id, archivePath: snapshot.archivePath, ok: result?.ok ?? false, problems: result?.problems ?? ['not verified'], damaged: result?.damaged ?? [] };
    });
    const verdicts = snapshotVerdicts(own, (id) => jobStore.chainOf(this.db, id).map((link) => link.id));
    for (const result of verdicts) jobStore.recordVerification(this.db, result.snapshotId, result.ok, this.now());
    return { ok: verdicts.every((result) => result.ok), snapshots: verdicts };
  }

  /** Restores in a worker process; the target must be an absolute path (front ends resolve a relative one). */
  private async restore(snapshotId: number, to: string, paths: string[], overwrite: boolean, passphrase: string | undefined): Promise<RestoreReport> {
    if (!isAbsolute(to)) throw new DormouseError('INVALID_INPUT', `restore target "${to}" must be an absolute path`);
    const snapshot = this.requireSnapshot(snapshotId);
    const archives = this.chainArchives(snapshot.id);
    const identity = await identityForSnapshot(this.db, snapshot, passphrase, 'restoring');
    const answer = await this.workerTask({ type: 'restore', request: { archivePath: snapshot.archivePath, archives, target: to, paths, overwrite, ...(identity === undefined ? {} : { identity }) } });
    if (answer.type === 'error') {
      if (answer.code === 'NOT_FOUND') throw new DormouseError('NOT_FOUND', answer.message);
      if (answer.code === 'KEY_UNUSABLE' || answer.code === 'DAMAGED') throw new DormouseError(answer.code, `restore failed: ${answer.message}`);
      throw new DormouseError(answer.code === 'CANCELLED' ? 'CANCELLED' : 'WRITE_FAILED', `restore failed: ${answer.message}`);
    }
    if (answer.type !== 'restored') throw new DormouseError('INTERNAL', 'the worker did not restore');
    return { snapshotId, ...answer.result };
  }

  /** The archives of a snapshot's chain by snapshot id: an incremental's file list and data live in them too. */
  private chainArchives(snapshotId: number): Record<string, string> {
    return Object.fromEntries(jobStore.chainOf(this.db, snapshotId).map((link) => [link.uuid, link.archivePath]));
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
    return {
      scheduler: {
        held,
        pid: held && holder ? holder.pid : null,
        hostname: held && holder ? holder.hostname : null,
        heartbeatAt: held && holder ? toLocalIso(holder.heartbeatAt) : null,
      },
      running: jobStore.activeJobs(this.db).map((job) => ({ ...job.view, waitingReason: job.waitingReason })),
      schedules: schedules.listSchedules(this.db).map((record) => this.scheduleView(record)),
    };
  }

  private previewCron(expression: string, from: string | undefined, count: number) {
    const problem = cronProblem(expression);
    if (problem !== null) throw new DormouseError('INVALID_INPUT', problem);
    const start = from === undefined ? this.now() : (parseIsoInstant(from) as number);
    return {
      expression: expression.trim(),
      description: describeCron(expression),
      next: nextFires(expression, start, count).map(toLocalIso),
    };
  }
}
