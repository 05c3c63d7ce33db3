import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pauseEnd, attentionReason, statusLine, trayIcon, trayMenu, trayModel, trayTooltip, type TrayMenuItem } from '../../src-main/desktop/tray-model';
import { day, desktopSchedule, desktopState, destinationView, hour, jobView, minute, progress, running } from './state-builders';

// Times in the tooltip and the menu are local: pin a real zone for the whole file.
let previousTz: string | undefined;
before(() => {
  previousTz = process.env.TZ;
  process.env.TZ = 'Europe/Berlin';
});
after(() => {
  if (previousTz === undefined) delete process.env.TZ;
  else process.env.TZ = previousTz;
});

/** Friday 21 November 2025, 14:00 in Berlin (CET, UTC+1). */
const now = Date.UTC(2025, 10, 21, 13, 0, 0);

type Item = Extract<TrayMenuItem, { type: 'item' }>;

function item(menu: TrayMenuItem[], label: string): Item {
  const found = menu.find((entry): entry is Item => entry.type === 'item' && entry.label === label);
  assert.ok(found, `menu has "${label}": ${JSON.stringify(menu.map((entry) => (entry.type === 'item' ? entry.label : '---')))}`);
  return found;
}

function labels(menu: TrayMenuItem[]): string[] {
  return menu.map((entry) => (entry.type === 'item' ? entry.label : '---'));
}

describe('icon states', () => {
  test('idle when the last backup succeeded recently and nothing runs', () => {
    const state = desktopState(now);
    assert.equal(trayIcon(state), 'idle');
    assert.equal(attentionReason(state), null);
  });

  test('idle when there are no schedules at all', () => {
    assert.equal(trayIcon(desktopState(now, { schedules: [] })), 'idle');
  });

  test('idle for a schedule that has never run and whose destination is connected', () => {
    const state = desktopState(now, { schedules: [desktopSchedule(now, { successAgo: null, schedule: { overdue: true } })] });
    assert.equal(trayIcon(state), 'idle');
  });

  test('running while a job runs, with its progress in the status line and the tooltip', () => {
    const state = desktopState(now, { running: running(1, 'Documents', progress({ bytes: 42, totalBytes: 100 })) });
    assert.equal(trayIcon(state), 'running');
    assert.equal(statusLine(state), 'Backing up Documents — 42%');
    assert.ok(trayTooltip(state).split('\n').includes('Backing up Documents — 42%'), trayTooltip(state));
  });

  test('the percentage is rounded down, never shows 100% before the end, and is 0% without progress', () => {
    const at = (bytes: number, totalBytes: number) => statusLine(desktopState(now, { running: running(1, 'Documents', progress({ bytes, totalBytes })) }));
    assert.equal(at(4199, 10_000), 'Backing up Documents — 41%');
    assert.equal(at(100, 100), 'Backing up Documents — 99%');
    assert.equal(at(0, 0), 'Backing up Documents — 0%');
    assert.equal(statusLine(desktopState(now, { running: running(1, 'Documents', null) })), 'Backing up Documents — 0%');
  });

  test('paused while pausedUntil lies ahead, and no longer once it has passed', () => {
    assert.equal(trayIcon(desktopState(now, { pausedUntil: now + hour })), 'paused');
    assert.equal(trayIcon(desktopState(now, { pausedUntil: now })), 'idle');
    assert.equal(trayIcon(desktopState(now, { pausedUntil: now - minute })), 'idle');
  });

  test('attention when the last backup of a schedule failed', () => {
    const failed = jobView({ status: 'failed', error: { code: 'SOURCE_MISSING', message: 'source folder missing: /x' } });
    const state = desktopState(now, { schedules: [desktopSchedule(now, { lastJob: failed })] });
    assert.equal(trayIcon(state), 'attention');
    assert.equal(attentionReason(state), 'The last backup of Documents failed');
  });

  test('attention when an overdue schedule waits for its unavailable destination', () => {
    const state = desktopState(now, {
      schedules: [desktopSchedule(now, { successAgo: 2 * day, schedule: { overdue: true }, destination: destinationView({ available: false, freeBytes: null }) })],
    });
    assert.equal(trayIcon(state), 'attention');
    assert.equal(attentionReason(state), 'Documents is waiting for “usb” to be connected');
  });

  test('a destination that does not answer is named as such, not as one to connect', () => {
    const state = desktopState(now, {
      schedules: [desktopSchedule(now, { successAgo: 2 * day, schedule: { overdue: true }, destination: destinationView({ state: 'not-answering' }) })],
    });
    assert.equal(trayIcon(state), 'attention');
    assert.equal(attentionReason(state), 'Documents is waiting for “usb”, which is not answering');
  });

  test('no attention for an unavailable destination while the schedule is not overdue', () => {
    const state = desktopState(now, { schedules: [desktopSchedule(now, { destination: destinationView({ available: false, freeBytes: null }) })] });
    assert.equal(trayIcon(state), 'idle');
  });

  test('no attention for an overdue schedule whose destination is connected (its catch-up will run)', () => {
    const state = desktopState(now, { schedules: [desktopSchedule(now, { successAgo: 2 * day, schedule: { overdue: true } })] });
    assert.equal(trayIcon(state), 'idle');
  });

  test('attention after more than overdueWarningDays (7 by default) without a successful backup, not at exactly 7', () => {
    const after8 = desktopState(now, { schedules: [desktopSchedule(now, { successAgo: 8 * day })] });
    assert.equal(trayIcon(after8), 'attention');
    assert.equal(attentionReason(after8), 'Documents has not been backed up for 7 days');
    assert.equal(trayIcon(desktopState(now, { schedules: [desktopSchedule(now, { successAgo: 7 * day })] })), 'idle');
    assert.equal(trayIcon(desktopState(now, { schedules: [desktopSchedule(now, { successAgo: 7 * day + minute })] })), 'attention');
  });

  test('the warning follows the overdueWarningDays setting', () => {
    const schedules = [desktopSchedule(now, { successAgo: 4 * day })];
    assert.equal(trayIcon(desktopState(now, { schedules })), 'idle');
    const strict = desktopState(now, { schedules, settings: { overdueWarningDays: 3 } });
    assert.equal(trayIcon(strict), 'attention');
    assert.equal(attentionReason(strict), 'Documents has not been backed up for 3 days');
  });

  test('disabled schedules never ask for attention', () => {
    const failed = jobView({ status: 'failed', error: { code: 'WORKER_CRASHED', message: 'boom' } });
    const state = desktopState(now, {
      schedules: [
        desktopSchedule(now, { schedule: { enabled: false }, lastJob: failed }),
        desktopSchedule(now, { schedule: { id: 2, name: 'Photos', enabled: false }, successAgo: 30 * day }),
      ],
    });
    assert.equal(trayIcon(state), 'idle');
  });

  test('a later success clears the failure: only the most recent finished job counts', () => {
    const state = desktopState(now, { schedules: [desktopSchedule(now, { lastJob: jobView({ status: 'succeeded' }) })] });
    assert.equal(trayIcon(state), 'idle');
  });

  test('a skipped or cancelled last job alone does not ask for attention', () => {
    for (const status of ['skipped', 'cancelled'] as const) {
      const state = desktopState(now, { schedules: [desktopSchedule(now, { lastJob: jobView({ status }) })] });
      assert.equal(trayIcon(state), 'idle', status);
    }
  });

  test('priority: running beats paused, paused beats attention', () => {
    const failed = [desktopSchedule(now, { lastJob: jobView({ status: 'failed', error: { code: 'WRITE_FAILED', message: 'EIO' } }) })];
    assert.equal(trayIcon(desktopState(now, { schedules: failed })), 'attention');
    assert.equal(trayIcon(desktopState(now, { schedules: failed, pausedUntil: now + hour })), 'paused');
    assert.equal(trayIcon(desktopState(now, { schedules: failed, pausedUntil: now + hour, running: running(1, 'Documents', null) })), 'running');
    assert.equal(trayIcon(desktopState(now, { pausedUntil: now + hour, running: running(1, 'Documents', null) })), 'running');
  });
});

describe('status line', () => {
  test('"Last backup 12 minutes ago" after a success', () => {
    assert.equal(statusLine(desktopState(now)), 'Last backup 12 minutes ago');
  });

  test('the most recent success of all schedules counts', () => {
    const state = desktopState(now, {
      schedules: [desktopSchedule(now, { successAgo: 3 * hour }), desktopSchedule(now, { schedule: { id: 2, name: 'Photos' }, successAgo: 5 * minute }), desktopSchedule(now, { schedule: { id: 3, name: 'Music' }, successAgo: null })],
    });
    assert.equal(statusLine(state), 'Last backup 5 minutes ago');
  });

  test('"No backups yet" when no schedule has succeeded, and with no schedules', () => {
    assert.equal(statusLine(desktopState(now, { schedules: [desktopSchedule(now, { successAgo: null })] })), 'No backups yet');
    assert.equal(statusLine(desktopState(now, { schedules: [] })), 'No backups yet');
  });

  test('singular and larger units', () => {
    assert.equal(statusLine(desktopState(now, { schedules: [desktopSchedule(now, { successAgo: minute })] })), 'Last backup 1 minute ago');
    assert.equal(statusLine(desktopState(now, { schedules: [desktopSchedule(now, { successAgo: 20 * 1000 })] })), 'Last backup just now');
    assert.equal(statusLine(desktopState(now, { schedules: [desktopSchedule(now, { successAgo: 2 * hour })] })), 'Last backup 2 hours ago');
    assert.equal(statusLine(desktopState(now, { schedules: [desktopSchedule(now, { successAgo: 3 * day })] })), 'Last backup 3 days ago');
  });
});

describe('tooltip', () => {
  test('has the last successful backup and the next scheduled run', () => {
    const tooltip = trayTooltip(desktopState(now, { nextRunAt: Date.UTC(2025, 10, 22, 2, 0) }));
    assert.equal(tooltip, 'Dormouse\nLast backup: 12 minutes ago\nNext backup: tomorrow at 03:00');
  });

  test('says when nothing has run and nothing is scheduled', () => {
    assert.equal(trayTooltip(desktopState(now, { schedules: [] })), 'Dormouse\nLast backup: never\nNext backup: none scheduled');
  });

  test('a next run later today and on a later day', () => {
    assert.match(trayTooltip(desktopState(now, { nextRunAt: now + hour })), /\nNext backup: today at 15:00$/);
    assert.match(trayTooltip(desktopState(now, { nextRunAt: Date.UTC(2025, 10, 24, 8, 0) })), /\nNext backup: Mon 24 Nov at 09:00$/);
  });

  test('while paused it says until when instead of the next run', () => {
    const tooltip = trayTooltip(desktopState(now, { pausedUntil: now + hour, nextRunAt: now + 2 * hour }));
    assert.equal(tooltip, 'Dormouse\nLast backup: 12 minutes ago\nPaused until today at 15:00');
  });

  test('while running it keeps the last backup and the next run, and adds the progress', () => {
    const tooltip = trayTooltip(desktopState(now, { running: running(1, 'Documents', progress({ bytes: 42, totalBytes: 100 })), nextRunAt: Date.UTC(2025, 10, 22, 2, 0) }));
    assert.equal(tooltip, 'Dormouse\nLast backup: 12 minutes ago\nBacking up Documents — 42%\nNext backup: tomorrow at 03:00');
  });
});

describe('menu', () => {
  test('the status line comes first and is disabled; then Back Up Now, Pause Backups, Open, Restore, Quit', () => {
    const menu = trayMenu(desktopState(now));
    const first = menu[0];
    assert.deepEqual(first, { type: 'item', label: 'Last backup 12 minutes ago', enabled: false });
    assert.deepEqual(labels(menu), ['Last backup 12 minutes ago', '---', 'Back Up Now', 'Pause Backups', '---', 'Open Dormouse…', 'Restore Files…', '---', 'Quit Dormouse']);
    assert.deepEqual(item(menu, 'Open Dormouse…').action, { kind: 'open' });
    assert.deepEqual(item(menu, 'Restore Files…').action, { kind: 'restore' });
    assert.deepEqual(item(menu, 'Quit Dormouse').action, { kind: 'quit' });
    for (const label of ['Open Dormouse…', 'Restore Files…', 'Quit Dormouse', 'Pause Backups']) assert.equal(item(menu, label).enabled, true, label);
  });

  test('while running the first line is the progress', () => {
    const menu = trayMenu(desktopState(now, { running: running(1, 'Documents', progress({ bytes: 42, totalBytes: 100 })) }));
    assert.deepEqual(menu[0], { type: 'item', label: 'Backing up Documents — 42%', enabled: false });
  });

  test('Back Up Now is one item for a single schedule, disabled while that schedule runs', () => {
    const single = item(trayMenu(desktopState(now)), 'Back Up Now');
    assert.equal(single.enabled, true);
    assert.deepEqual(single.action, { kind: 'back-up-now', scheduleId: 1 });
    assert.equal(single.submenu, undefined);
    const busy = item(trayMenu(desktopState(now, { running: running(1, 'Documents', null) })), 'Back Up Now');
    assert.equal(busy.enabled, false);
  });

  test('Back Up Now is a submenu with one entry per schedule for several', () => {
    const state = desktopState(now, {
      schedules: [desktopSchedule(now), desktopSchedule(now, { schedule: { id: 2, name: 'Photos' } }), desktopSchedule(now, { schedule: { id: 5, name: 'Music' } })],
      running: running(2, 'Photos', null),
    });
    const backUp = item(trayMenu(state), 'Back Up Now');
    assert.equal(backUp.enabled, true);
    assert.equal(backUp.action, undefined);
    assert.ok(backUp.submenu);
    assert.deepEqual(
      backUp.submenu.map((entry) => (entry.type === 'item' ? { label: entry.label, enabled: entry.enabled, action: entry.action } : entry)),
      [
        { label: 'Documents', enabled: true, action: { kind: 'back-up-now', scheduleId: 1 } },
        { label: 'Photos', enabled: false, action: { kind: 'back-up-now', scheduleId: 2 } },
        { label: 'Music', enabled: true, action: { kind: 'back-up-now', scheduleId: 5 } },
      ],
    );
  });

  test('Back Up Now is disabled with no schedules', () => {
    const backUp = item(trayMenu(desktopState(now, { schedules: [] })), 'Back Up Now');
    assert.equal(backUp.enabled, false);
    assert.equal(backUp.action, undefined);
    assert.equal(backUp.submenu, undefined);
  });

  test('Pause Backups: For 1 Hour = now + 1 h, Until Tomorrow = the next local midnight, Resume only when paused', () => {
    const pause = item(trayMenu(desktopState(now)), 'Pause Backups');
    assert.ok(pause.submenu);
    assert.deepEqual(labels(pause.submenu), ['For 1 Hour', 'Until Tomorrow', 'Resume']);
    assert.deepEqual(item(pause.submenu, 'For 1 Hour').action, { kind: 'pause', span: 'hour' });
    assert.deepEqual(item(pause.submenu, 'Until Tomorrow').action, { kind: 'pause', span: 'until-tomorrow' });
    // The end is worked out when the item is clicked, not when the menu was built.
    assert.equal(pauseEnd('hour', now), now + hour);
    // Midnight between Friday 21 and Saturday 22 November 2025 in Berlin is 23:00 UTC.
    assert.equal(pauseEnd('until-tomorrow', now), Date.UTC(2025, 10, 21, 23, 0));
    assert.equal(item(pause.submenu, 'For 1 Hour').enabled, true);
    assert.equal(item(pause.submenu, 'Until Tomorrow').enabled, true);
    assert.equal(item(pause.submenu, 'Resume').enabled, false);
    assert.deepEqual(item(pause.submenu, 'Resume').action, { kind: 'resume' });

    const pausedMenu = trayMenu(desktopState(now, { pausedUntil: now + hour }));
    const resume = item(item(pausedMenu, 'Pause Backups').submenu as TrayMenuItem[], 'Resume');
    assert.equal(resume.enabled, true);
    const expired = trayMenu(desktopState(now, { pausedUntil: now - 1 }));
    assert.equal(item(item(expired, 'Pause Backups').submenu as TrayMenuItem[], 'Resume').enabled, false);
  });

  test('Until Tomorrow at 23:30 is half an hour away, not a day and a half', () => {
    const lateEvening = Date.UTC(2025, 10, 21, 22, 30); // 23:30 in Berlin
    assert.equal(pauseEnd('until-tomorrow', lateEvening), Date.UTC(2025, 10, 21, 23, 0));
  });

  test('while paused a disabled line says until when, right after the status line', () => {
    const menu = trayMenu(desktopState(now, { pausedUntil: Date.UTC(2025, 10, 21, 23, 0) }));
    assert.deepEqual(menu[1], { type: 'item', label: 'Paused until tomorrow at 00:00', enabled: false });
  });

  test('a failed backup: the attention line opens that job, but is not shown while a job runs', () => {
    const schedules = [desktopSchedule(now, { lastJob: jobView({ id: 41, status: 'failed', error: { code: 'WRITE_FAILED', message: 'EIO' } }) })];
    const menu = trayMenu(desktopState(now, { schedules }));
    assert.deepEqual(menu[1], { type: 'item', label: 'The last backup of Documents failed — Show Why…', enabled: true, action: { kind: 'show-job', jobId: 41 } });
    const runningMenu = trayMenu(desktopState(now, { schedules, running: running(1, 'Documents', null) }));
    assert.ok(!labels(runningMenu).some((label) => label.startsWith('The last backup of Documents failed')));
  });

  test('attention for anything but a failed job is a disabled line with no action', () => {
    const missing = [desktopSchedule(now, { schedule: { overdue: true }, destination: destinationView({ available: false, state: 'missing', freeBytes: null }) })];
    const menu = trayMenu(desktopState(now, { schedules: missing }));
    assert.deepEqual(menu[1], { type: 'item', label: 'Documents is waiting for “usb” to be connected', enabled: false });
  });

  test('first run: with no schedule the menu offers Set Up Backups… right after the status line', () => {
    const menu = trayMenu(desktopState(now, { schedules: [] }));
    assert.deepEqual(menu.slice(0, 2), [
      { type: 'item', label: 'No backups yet', enabled: false },
      { type: 'item', label: 'Set Up Backups…', enabled: true, action: { kind: 'set-up' } },
    ]);
    assert.ok(!labels(trayMenu(desktopState(now))).includes('Set Up Backups…'), 'not once a schedule exists');
  });

  test('only the actionable entries carry an action; disabled information lines have none', () => {
    const menu = trayMenu(desktopState(now, { pausedUntil: now + hour }));
    for (const entry of menu) {
      if (entry.type === 'item' && !entry.enabled) assert.equal(entry.action, undefined, entry.label);
    }
  });
});

test('trayModel puts icon, tooltip, status line and menu together', () => {
  const state = desktopState(now, { running: running(1, 'Documents', progress({ bytes: 1, totalBytes: 2 })), nextRunAt: now + hour });
  const model = trayModel(state);
  assert.equal(model.icon, 'running');
  assert.equal(model.statusLine, 'Backing up Documents — 50%');
  assert.equal(model.tooltip, trayTooltip(state));
  assert.deepEqual(model.menu, trayMenu(state));
});
