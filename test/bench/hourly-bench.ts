// The scale bench's day of hourly backups: a full backup, then 24 snapshots each after its own 1%
// change, by Dormouse, GNU tar, restic and borg side by side, and what each wrote to its destination.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSettings } from '../../shared/settings';
import { OtherTool } from './other-tools';
import { dormouse, folderBytes, measureOk, median, mergePeaks, peaksText, settle, size, time, type Measured, type Table } from './scale-measure';
import { changeOnePercent, type TreeChange } from './tree-changes';

/** Hourly snapshots after the full one: a day of them. */
export const hourlySnapshots = 24;
/** The change before hour `hour` starts at this offset plus the hour, clear of the rounds' offsets (0–2). */
const hourlyOffsetBase = 10;

/** One tool's day: how it takes a snapshot and how big its destination is. */
interface Participant {
  /** How the table names it. */
  name: string;
  /** How the progress line names it. */
  short: string;
  snapshot: () => Promise<Measured>;
  bytes: () => number;
  /** Said after the totals (what kind of snapshots it made). */
  describe?: () => Promise<string>;
}

/** What the day is measured on. */
export interface HourlyTree {
  source: string;
  /** The tree's files, sorted, for the changes. */
  files: string[];
}

interface SnapshotKind {
  kind: string;
}

/** Dormouse with its own data folder and destination, a schedule made by the CLI with every default (hourly). */
async function dormouseParticipant(folder: string, source: string): Promise<Participant> {
  const dataDir = join(folder, 'data');
  const destination = join(folder, 'dormouse-destination');
  mkdirSync(destination);
  await dormouse(dataDir, ['destination', 'add', '--name', 'hourly', '--path', destination]);
  await dormouse(dataDir, ['schedule', 'add', '--name', 'hourly', '--source', source, '--destination', 'hourly', '--cron', '0 * * * *']);
  return {
    name: 'dormouse run (default settings)',
    short: 'dormouse',
    snapshot: async () => (await dormouse(dataDir, ['run', 'hourly'])).run,
    bytes: () => folderBytes(destination),
    describe: async () => {
      const kinds = (await dormouse<SnapshotKind[]>(dataDir, ['snapshots', '--schedule', 'hourly'])).answer.map((snapshot) => snapshot.kind);
      const fulls = kinds.filter((kind) => kind === 'full').length;
      const { incrementalsPerFull, fullEveryDays } = defaultSettings;
      return `${fulls} full + ${kinds.length - fulls} incremental snapshots (incrementalsPerFull ${incrementalsPerFull}, fullEveryDays ${fullEveryDays}; compression none, no retention: a new schedule's defaults)`;
    },
  };
}

/** GNU tar with one snapshot file carried from hour to hour: each level-1 archive holds that hour's changes. */
function tarParticipant(folder: string, source: string): Participant {
  const destination = join(folder, 'tar-destination');
  mkdirSync(destination);
  const snar = join(destination, 'tree.snar');
  let archives = 0;
  return {
    name: 'GNU tar --listed-incremental, chained',
    short: 'tar',
    snapshot: () => {
      const archive = join(destination, `hour-${String(archives).padStart(2, '0')}.tar`);
      archives += 1;
      return measureOk('tar', ['--xattrs', '--acls', '--sparse', '--listed-incremental', snar, '-cf', archive, '-C', '/', source.slice(1)]);
    },
    bytes: () => folderBytes(destination),
  };
}

function otherParticipant(tool: OtherTool, source: string): Participant {
  return { name: `${tool.name} ${tool.backupText}`, short: tool.name.split(' ')[0] as string, snapshot: () => tool.backup(source), bytes: () => tool.bytes() };
}

/**
 * A day of hourly backups on one tree: each tool makes its first (full) backup, then, 24 times, 1%
 * of the files are edited (every 100th from a new offset each hour) and every tool takes its next
 * snapshot of the same tree. Prints, per tool, the bytes the 24 hourly snapshots added to its
 * destination, what it holds in all, its median hourly time and peak RSS.
 */
export async function hourlyRows(table: Table, work: string, tree: HourlyTree, log: (line: string) => void): Promise<void> {
  const folder = join(work, 'hourly');
  mkdirSync(folder);
  const participants: Participant[] = [await dormouseParticipant(folder, tree.source), tarParticipant(folder, tree.source)];
  const missing: [string, string][] = [];
  for (const name of ['restic', 'borg'] as const) {
    const tool = OtherTool.find(name, folder);
    if (typeof tool === 'string') missing.push([name, tool]);
    else {
      await tool.init();
      participants.push(otherParticipant(tool, tree.source));
    }
  }
  const firstBytes: number[] = [];
  const fulls: Measured[] = [];
  for (const participant of participants) {
    settle();
    fulls.push(await participant.snapshot());
    firstBytes.push(participant.bytes());
  }
  const hours: Measured[][] = participants.map(() => []);
  const changes: TreeChange[] = [];
  for (let hour = 1; hour <= hourlySnapshots; hour += 1) {
    changes.push(changeOnePercent(tree.files, hourlyOffsetBase + hour));
    for (const [index, participant] of participants.entries()) {
      settle();
      (hours[index] as Measured[]).push(await participant.snapshot());
    }
    log(`hour ${hour}: ${participants.map((participant, index) => `${participant.short} ${time((hours[index] as Measured[]).at(-1)?.elapsed ?? 0)}`).join(', ')}`);
  }
  const changedFiles = changes.reduce((sum, change) => sum + change.files, 0);
  const changedBytes = changes.reduce((sum, change) => sum + change.bytes, 0);
  table.row(`the changes: ${hourlySnapshots} × 1%, ${changedFiles.toLocaleString('en')} file edits in all`, size(changedBytes), `new bytes written into the tree (offsets ${hourlyOffsetBase + 1}–${hourlyOffsetBase + hourlySnapshots})`);
  for (const [index, participant] of participants.entries()) {
    const total = participant.bytes();
    const first = firstBytes[index] as number;
    const runs = hours[index] as Measured[];
    const kinds = participant.describe ? `; ${await participant.describe()}` : '';
    table.row(
      participant.name,
      size(total - first),
      `added by the ${hourlySnapshots} hourly snapshots; in all ${size(total)} (the first, full backup ${size(first)}, ${time((fulls[index] as Measured).elapsed)}); median hour ${time(median(runs.map((run) => run.elapsed)))}; ${peaksText(mergePeaks(runs.map((run) => run.peaks)))}${kinds}`,
    );
  }
  for (const [name, why] of missing) table.row(name, 'not installed', why);
}
