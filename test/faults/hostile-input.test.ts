// Hostile input on every HTTP channel of `dormouse daemon --ui`: for each channel of
// shared/contract.ts requestSchemas, every field gets wrong types, null, 100 KB strings and path
// traversal strings, and every payload gets extra fields, arrays, null and bare values. Each must
// be answered { ok: false } with INVALID_INPUT (or NOT_FOUND for a name nothing has), and nothing
// may change. The token, Host and Origin checks and a hand-picked set of bad requests are in
// test/web-host/web-host-security.test.ts; here only one quick 401 and 403.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestSchemas } from '../../shared/contract';
import { describeTree } from '../helpers/trees';
import { api, apiValue, startUiDaemon, temporaryRoot, type Envelope, type UiDaemon } from '../ui/ui-daemon';

/** How a field is checked, which decides the bad values it gets. */
type Kind =
  | 'lookup' // the name of something that must exist: traversal strings are just unknown names
  | 'label' // free text naming something new (a schedule's name): any text is a legal label
  | 'labels' // exclude globs: any pattern is legal
  | 'path'
  | 'paths'
  | 'cron'
  | 'iso'
  | 'enum'
  | 'bool'
  | 'literalTrue'
  | { ints: unknown[] }
  | { object: Record<string, Kind> };

interface Spec {
  base: Record<string, unknown>;
  fields: Record<string, Kind>;
}

const huge = 'x'.repeat(100 * 1024);
const hugePath = `/${'p'.repeat(100 * 1024)}`;
const traversal = [
  '../../../../etc/passwd',
  '..',
  '../',
  './../..',
  '..\\..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  'a/../../../b',
  '....//....//etc',
  '/../../../etc/passwd',
  '~/../../root',
  '\u002e\u002e/\u002e\u002e/etc',
];
const positiveId = { ints: ['1', true, 0, -1, 1.5, null, [], {}] };
const keep = { ints: [0, -1, 1.5, '3', true, 100_001, [], {}] };
const wrongForString: unknown[] = [5, true, null, [], {}, ['x']];

function badValues(kind: Kind): unknown[] {
  if (typeof kind === 'object' && 'ints' in kind) return kind.ints;
  if (typeof kind === 'object') return [null, [], 'x', 5, true];
  switch (kind) {
    case 'bool':
      return ['true', 1, 0, null, [], {}];
    case 'literalTrue':
      return [false, 'true', 1, null, [], {}];
    case 'paths':
    case 'labels':
      return ['x', {}, null, 5, [5], [null], [{}], [[]], [huge], [hugePath], ...(kind === 'paths' ? traversal.map((value) => [value]) : [])];
    case 'path':
      return [...wrongForString, hugePath, huge, ...traversal.filter((value) => !value.startsWith('/'))];
    case 'label':
      return [...wrongForString, huge];
    default:
      return [...wrongForString, huge, ...traversal];
  }
}

/** Every channel, a payload of the right shape, and what each of its fields is. */
function specs(ids: { job: number; snapshot: number; source: string; spare: string; target: string }): Record<string, Spec[]> {
  const scheduleFields: Record<string, Kind> = {
    name: 'label',
    sources: 'paths',
    excludes: 'labels',
    destination: 'lookup',
    cron: 'cron',
    compression: 'enum',
    keepLast: keep,
    keepDaily: keep,
    keepWeekly: keep,
    keepMonthly: keep,
    enabled: 'bool',
  };
  const schedule = { name: 'Photos', sources: [ids.spare], excludes: ['*.tmp'], destination: 'usb', cron: '0 4 * * *', compression: 'gzip', keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, enabled: true };
  const empty: Spec[] = [{ base: {}, fields: {} }];
  return {
    'destinations:list': empty,
    'destinations:add': [{ base: { name: 'spare', path: ids.spare }, fields: { name: 'label', path: 'path' } }],
    'destinations:remove': [{ base: { name: 'usb' }, fields: { name: 'lookup' } }],
    'destinations:passphrase': [{ base: { name: 'usb', passphrase: 'the old passphrase', newPassphrase: 'the new passphrase' }, fields: { name: 'lookup', passphrase: 'label', newPassphrase: 'label' } }],
    // usb is not encrypted: a kit or a remembered passphrase of it is refused even when every field is right.
    'destinations:recovery-kit': [{ base: { name: 'usb', to: ids.spare }, fields: { name: 'lookup', to: 'path' } }],
    'destinations:s3-key-storage': empty,
    'passphrases:status': empty,
    'passphrases:remember': [{ base: { name: 'usb', passphrase: 'a passphrase to remember' }, fields: { name: 'lookup', passphrase: 'label' } }],
    'passphrases:forget': [{ base: { name: 'usb' }, fields: { name: 'lookup' } }],
    'schedules:list': empty,
    'schedules:add': [{ base: schedule, fields: scheduleFields }],
    'schedules:edit': [{ base: { schedule: 'Documents', changes: { cron: '0 5 * * *', sources: [ids.source] } }, fields: { schedule: 'lookup', changes: { object: { ...scheduleFields, sources: 'paths', cron: 'cron' } } } }],
    'schedules:remove': [{ base: { name: 'Documents' }, fields: { name: 'lookup' } }],
    'schedules:set-enabled': [{ base: { name: 'Documents', enabled: false }, fields: { name: 'lookup', enabled: 'bool' } }],
    'cron:preview': [{ base: { expression: '0 3 * * *', from: '2026-11-21T09:00:00+01:00', count: 3 }, fields: { expression: 'cron', from: 'iso', count: { ints: ['3', 0, 101, 1.5, null, true] } } }],
    'jobs:run': [{ base: { name: 'Documents' }, fields: { name: 'lookup' } }],
    'jobs:list': [{ base: { schedule: 'Documents', status: 'succeeded', beforeId: 10, limit: 5 }, fields: { schedule: 'lookup', status: 'enum', beforeId: positiveId, limit: { ints: ['5', 0, 10_001, 1.5, null, true] } } }],
    'jobs:cancel': [{ base: { jobId: ids.job }, fields: { jobId: positiveId } }],
    'snapshots:list': [{ base: { schedule: 'Documents', machine: 'all' }, fields: { schedule: 'lookup', machine: 'lookup' } }],
    'status:get': empty,
    'jobs:start': [{ base: { name: 'Documents' }, fields: { name: 'lookup' } }],
    'jobs:get': [{ base: { jobId: ids.job }, fields: { jobId: positiveId } }],
    'folders:pick': empty,
    'snapshots:verify': [
      { base: { snapshotId: ids.snapshot, contents: true }, fields: { snapshotId: positiveId, contents: 'bool' } },
      { base: { all: true }, fields: { all: 'literalTrue' } },
    ],
    'snapshots:ls': [{ base: { snapshotId: ids.snapshot, path: ids.source }, fields: { snapshotId: positiveId, path: 'path' } }],
    // An id no snapshot has: with any one field wrong, nothing may be restored anywhere.
    'snapshots:restore': [{ base: { snapshotId: 999_999, to: ids.target, paths: [ids.source], overwrite: false }, fields: { snapshotId: positiveId, to: 'path', paths: 'paths', overwrite: 'bool' } }],
    'snapshots:prune': [{ base: { schedule: 'Documents', dryRun: true }, fields: { schedule: 'lookup', dryRun: 'bool' } }],
    'snapshots:suggest-target': [{ base: { snapshotId: ids.snapshot }, fields: { snapshotId: positiveId } }],
    'snapshots:import': [{ base: { destination: 'usb' }, fields: { destination: 'lookup' } }],
    'settings:get': empty,
    'coverage:get': [{ base: { schedule: 'Documents', days: 7 }, fields: { schedule: 'lookup', days: { ints: ['7', 0, 91, 1.5, null, true] } } }],
    'destinations:usage': empty,
    'folders:suggest': empty,
    'settings:set': [
      {
        base: { settleSeconds: 5, skipOnBattery: true, minBatteryPercent: 20, notifyOnSuccess: false, overdueWarningDays: 3, openAtLogin: true, incrementalsPerFull: 2, fullEveryDays: 9, pausedUntil: null },
        fields: {
          settleSeconds: { ints: ['5', -1, 3601, 1.5, null, true] },
          skipOnBattery: 'bool',
          minBatteryPercent: { ints: ['50', 0, 101, 1.5, true] },
          notifyOnSuccess: 'bool',
          overdueWarningDays: { ints: [0, 366, '7', 1.5, null] },
          openAtLogin: 'bool',
          incrementalsPerFull: { ints: [-1, 1001, '3', 1.5, null] },
          fullEveryDays: { ints: [0, 3651, '30', null] },
          pausedUntil: { ints: [-1, 1.5, '0', true] },
        },
      },
    ],
  };
}

interface Probe {
  channel: string;
  what: string;
  body: unknown;
}

/** Every bad request for one channel: each field (and each field of a nested object) spoiled in turn, then the payload as a whole. */
function probesFor(channel: string, spec: Spec): Probe[] {
  const probes: Probe[] = [];
  const spoil = (base: Record<string, unknown>, fields: Record<string, Kind>, wrap: (inner: Record<string, unknown>) => Record<string, unknown>, prefix: string) => {
    for (const [field, kind] of Object.entries(fields)) {
      for (const value of badValues(kind)) probes.push({ channel, what: `${prefix}${field} = ${JSON.stringify(value)?.slice(0, 40)}`, body: wrap({ ...base, [field]: value }) });
      if (typeof kind === 'object' && 'object' in kind) {
        const inner = (base[field] ?? {}) as Record<string, unknown>;
        spoil(inner, kind.object, (changed) => wrap({ ...base, [field]: changed }), `${prefix}${field}.`);
        probes.push({ channel, what: `${prefix}${field} with an extra field`, body: wrap({ ...base, [field]: { ...inner, owner: 'root' } }) });
      }
    }
  };
  spoil(spec.base, spec.fields, (inner) => inner, '');
  probes.push(
    { channel, what: 'an extra field', body: { ...spec.base, admin: true } },
    { channel, what: 'a __proto__ field', body: `{${Object.keys(spec.base).map((key) => `${JSON.stringify(key)}:${JSON.stringify(spec.base[key])},`).join('')}"__proto__":{"polluted":true}}` },
    { channel, what: 'a constructor field', body: { ...spec.base, constructor: { prototype: { polluted: true } } } },
    { channel, what: 'null', body: 'null' },
    { channel, what: 'an empty array', body: '[]' },
    { channel, what: 'the payload in an array', body: JSON.stringify([spec.base]) },
    { channel, what: 'a string', body: JSON.stringify('{"name":"usb"}') },
    { channel, what: 'a number', body: '42' },
    { channel, what: 'true', body: 'true' },
    { channel, what: 'a huge string', body: JSON.stringify(huge) },
  );
  return probes;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

async function snapshotOfState(daemon: UiDaemon, folders: string[]) {
  return {
    destinations: (await apiValue<Record<string, unknown>[]>(daemon, 'destinations:list')).map(({ freeBytes: _free, ...rest }) => rest),
    schedules: await apiValue(daemon, 'schedules:list'),
    settings: await apiValue(daemon, 'settings:get'),
    jobs: await apiValue(daemon, 'jobs:list', { limit: 10_000 }),
    snapshots: await apiValue(daemon, 'snapshots:list'),
    folders: folders.map((folder) => [folder, [...describeTree(folder).entries()]]),
  };
}

test('every channel of the web host refuses wrong types, null, 100 KB strings, path traversal, extra fields and non-objects, and nothing changes', async (t) => {
  const root = temporaryRoot(t, 'dormouse-faults-hostile-');
  const dataDir = join(root, 'data');
  const usb = join(root, 'usb');
  const source = join(root, 'documents');
  const spare = join(root, 'spare');
  const target = join(root, 'restore-here');
  for (const folder of [usb, source, spare]) mkdirSync(folder);
  writeFileSync(join(source, 'notes.txt'), 'remember the milk\n');
  const daemon = await startUiDaemon(t, dataDir);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await apiValue(daemon, 'destinations:add', { name: 'usb', path: usb });
  await apiValue(daemon, 'schedules:add', { name: 'Documents', sources: [source], destination: 'usb', cron: '0 3 * * *' });
  const job = await apiValue<{ id: number; status: string }>(daemon, 'jobs:run', { name: 'Documents' });
  assert.equal(job.status, 'succeeded');
  const [snapshot] = await apiValue<{ id: number }[]>(daemon, 'snapshots:list');
  assert.ok(snapshot);
  const passwd = existsSync('/etc/passwd') ? sha256('/etc/passwd') : null;
  const etcMarker = existsSync('/etc/.dormouse-destination.json');

  const all = specs({ job: job.id, snapshot: snapshot.id, source, spare, target });
  assert.deepEqual(Object.keys(all).sort(), Object.keys(requestSchemas).sort(), 'every channel of the contract is covered here (add a spec for a new one)');
  const probes = Object.entries(all).flatMap(([channel, list]) => list.flatMap((spec) => probesFor(channel, spec)));
  const watched = [usb, source, spare, root];
  const before = await snapshotOfState(daemon, watched);

  await t.test(`${probes.length} hostile requests: each refused with INVALID_INPUT or NOT_FOUND, with a short message`, async (t2) => {
    const wrong: string[] = [];
    const started = Date.now();
    for (const probe of probes) {
      let envelope: Envelope;
      let status: number;
      try {
        const response = await fetch(`${daemon.origin}/api/${probe.channel}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${daemon.token}`, 'content-type': 'application/json' },
          body: typeof probe.body === 'string' ? probe.body : JSON.stringify(probe.body),
        });
        status = response.status;
        envelope = (await response.json()) as Envelope;
      } catch (error) {
        wrong.push(`${probe.channel} ${probe.what}: no answer (${(error as Error).message})`);
        continue;
      }
      if (envelope.ok) wrong.push(`${probe.channel} ${probe.what}: accepted`);
      else if (!['INVALID_INPUT', 'NOT_FOUND'].includes(envelope.error.code)) wrong.push(`${probe.channel} ${probe.what}: ${envelope.error.code} ${envelope.error.message.slice(0, 160)}`);
      else if (status !== 200) wrong.push(`${probe.channel} ${probe.what}: HTTP ${status}`);
      else if (envelope.error.message.length > 2000) wrong.push(`${probe.channel} ${probe.what}: the error echoes the input back (${envelope.error.message.length} characters)`);
    }
    t2.diagnostic(`${probes.length} hostile requests on ${Object.keys(all).length} channels in ${Date.now() - started} ms`);
    assert.deepEqual(wrong, [], 'requests not refused with INVALID_INPUT or NOT_FOUND, or answered with the input echoed back');
  });

  await t.test('after them, nothing has changed and the daemon still runs', async () => {
    assert.deepEqual(await snapshotOfState(daemon, watched), before, 'destinations, schedules, settings, jobs, snapshots and the folders are unchanged');
    assert.ok(!existsSync(target), 'no restore target was created');
    assert.equal(existsSync('/etc/.dormouse-destination.json'), etcMarker, 'no destination marker was written into /etc');
    if (passwd) assert.equal(sha256('/etc/passwd'), passwd);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(daemon.child.exitCode, null, 'the daemon is still running');
  });

  await t.test('no token is 401, a foreign Origin is 403 (the rest is in test/web-host)', async () => {
    const anonymous = await fetch(`${daemon.origin}/api/destinations:list`, { method: 'POST', body: '{}' });
    assert.equal(anonymous.status, 401);
    const foreign = await fetch(`${daemon.origin}/api/destinations:add`, {
      method: 'POST',
      headers: { authorization: `Bearer ${daemon.token}`, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'evil', path: spare }),
    });
    assert.equal(foreign.status, 403);
    assert.deepEqual(await snapshotOfState(daemon, watched), before);
  });

  await t.test('restore paths that climb out ("../../etc/passwd") restore nothing outside the target', async () => {
    const into = join(root, 'restored');
    const envelope = await api<{ files: number }>(daemon, 'snapshots:restore', { snapshotId: snapshot.id, to: into, paths: ['../../../../etc/passwd', '/../../etc', `${source}/../../..`] });
    if (envelope.ok) assert.equal(envelope.value.files, 0, 'nothing of the snapshot matched');
    else assert.ok(['INVALID_INPUT', 'NOT_FOUND'].includes(envelope.error.code), `${envelope.error.code}: ${envelope.error.message}`);
    const written = existsSync(into) ? (readdirSync(into, { recursive: true }) as string[]) : [];
    assert.deepEqual(written.filter((name) => !statIsDirectory(join(into, name))), [], 'no file was restored');
    if (passwd) assert.equal(sha256('/etc/passwd'), passwd, '/etc/passwd is untouched');
  });

  await t.test('names and exclude globs that look like traversal are labels: accepted, and the archive still lands inside the destination', async () => {
    const sneaky = '../../../../tmp/escaped-by-name';
    await apiValue(daemon, 'destinations:add', { name: '../../etc', path: spare });
    await apiValue(daemon, 'schedules:add', { name: sneaky, sources: [source], destination: '../../etc', cron: '0 4 * * *', excludes: ['../../*', '..'] });
    const ran = await apiValue<{ status: string; archivePath: string }>(daemon, 'jobs:run', { name: sneaky });
    assert.equal(ran.status, 'succeeded');
    assert.ok(ran.archivePath.startsWith(`${spare}/Dormouse/`), ran.archivePath);
    assert.ok(!ran.archivePath.slice(spare.length).split('/').includes('..'), ran.archivePath);
    assert.ok(!existsSync('/tmp/escaped-by-name'), 'nothing named after the schedule appeared in /tmp');
    assert.equal(existsSync('/etc/.dormouse-destination.json'), etcMarker, 'the destination named "../../etc" is the spare folder, not /etc');
  });
});

function statIsDirectory(path: string): boolean {
  return statSync(path).isDirectory();
}
