import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectDriveNotification, jobNotification } from '../../src-main/desktop/notification-texts';
import type { JobStatus } from '../../shared/types';
import { day, desktopSchedule, destinationView, hour, jobView, minute, withTimeZone } from './state-builders';

const now = Date.UTC(2025, 10, 21, 13, 0, 0);

describe('a finished job', () => {
  test('success: "Backed up Documents — 1,234 files, 2.3 GB in 1 min 12 s"', () => {
    const job = jobView({ id: 41, files: 1234, bytes: 2_300_000_000, startedAt: '2025-11-21T14:00:00+01:00', finishedAt: '2025-11-21T14:01:12+01:00' });
    assert.deepEqual(jobNotification(job, 'Documents', 'usb', true), { title: 'Backup complete', body: 'Backed up Documents — 1,234 files, 2.3 GB in 1 min 12 s', jobId: 41 });
  });

  test('success with one file, and with none', () => {
    const one = jobNotification(jobView({ files: 1, bytes: 15, startedAt: '2025-11-21T14:00:00+01:00', finishedAt: '2025-11-21T14:00:03+01:00' }), 'Notes', 'usb', true);
    assert.equal(one?.body, 'Backed up Notes — 1 file, 15 B in 3 s');
    const none = jobNotification(jobView({ files: 0, bytes: 0, startedAt: '2025-11-21T14:00:00+01:00', finishedAt: '2025-11-21T14:00:00.400+01:00' }), 'Empty', 'usb', true);
    assert.equal(none?.body, 'Backed up Empty — 0 files, 0 B in 0 s');
  });

  test('success without a start time leaves out how long it took', () => {
    const text = jobNotification(jobView({ startedAt: null }), 'Documents', 'usb', true);
    assert.equal(text?.body, 'Backed up Documents — 1,234 files, 2.3 GB');
  });

  test('no notification for a success when notifyOnSuccess is false', () => {
    assert.equal(jobNotification(jobView(), 'Documents', 'usb', false), null);
  });

  test('a failure always notifies, whatever notifyOnSuccess says, and opens the job when clicked', () => {
    const job = jobView({ id: 42, status: 'failed', error: { code: 'WORKER_CRASHED', message: 'the archive worker exited with code 1' } });
    for (const notifyOnSuccess of [true, false]) {
      const text = jobNotification(job, 'Documents', 'usb', notifyOnSuccess);
      assert.ok(text, `notifyOnSuccess ${notifyOnSuccess}`);
      assert.equal(text.title, 'Backup of Documents failed');
      assert.equal(text.jobId, 42);
    }
  });

  describe('a success that could not back up some items', () => {
    const socket = '/home/me/Documents/.mpd/socket: not backed up, it is a socket, which only lives while its program runs';
    const latin1 = '/home/me/Documents/caf\\xe9.txt: permission denied';
    const slept = 'the laptop went to sleep during this backup (11/21/2025, 2:00:30 PM)';

    test('always notifies, even with success notifications off: the title counts the items, the body names the first, a click opens the job', () => {
      const job = jobView({ id: 43, warnings: [socket, latin1, '/home/me/Documents/big.iso: changed while it was being backed up; the archived copy may be incomplete'] });
      for (const notifyOnSuccess of [true, false]) {
        assert.deepEqual(jobNotification(job, 'Documents', 'usb', notifyOnSuccess), {
          title: 'Backup of Documents finished — 3 items could not be backed up',
          body: '/home/me/Documents/.mpd/socket: not backed up, it is a socket, which only lives while its program runs (and 2 more). Click to see the list.',
          jobId: 43,
        }, `notifyOnSuccess ${notifyOnSuccess}`);
      }
    });

    test('one item is "1 item", its path shown byte-exact with the escapes the engine wrote', () => {
      assert.deepEqual(jobNotification(jobView({ id: 44, warnings: [latin1] }), 'Photos', 'usb', false), {
        title: 'Backup of Photos finished — 1 item could not be backed up',
        body: '/home/me/Documents/caf\\xe9.txt: permission denied. Click for details.',
        jobId: 44,
      });
    });

    test('notes about the job are not items: the first item is named and counted without them', () => {
      const text = jobNotification(jobView({ warnings: [slept, latin1, socket] }), 'Documents', 'usb', false);
      assert.equal(text?.title, 'Backup of Documents finished — 2 items could not be backed up');
      assert.equal(text?.body, '/home/me/Documents/caf\\xe9.txt: permission denied (and 1 more). Click to see the list.');
    });

    test('a success with only a note is an ordinary success: silent unless success notifications are on', () => {
      assert.equal(jobNotification(jobView({ warnings: [slept] }), 'Documents', 'usb', false), null);
      assert.equal(jobNotification(jobView({ warnings: [slept] }), 'Documents', 'usb', true)?.title, 'Backup complete');
    });

    test('thousands of items are counted with a separator', () => {
      const warnings = Array.from({ length: 1204 }, (_, index) => `/srv/cache/${index}.sock: not backed up, it is a socket, which only lives while its program runs`);
      const text = jobNotification(jobView({ warnings }), 'Server', 'usb', false);
      assert.equal(text?.title, 'Backup of Server finished — 1,204 items could not be backed up');
      assert.equal(text?.body, '/srv/cache/0.sock: not backed up, it is a socket, which only lives while its program runs (and 1,203 more). Click to see the list.');
    });

    test('a Windows path is an item too', () => {
      assert.equal(jobNotification(jobView({ warnings: ['C:\\Users\\me\\ntuser.dat: permission denied'] }), 'Home', 'usb', false)?.title, 'Backup of Home finished — 1 item could not be backed up');
    });
  });

  const failure = (code: string | null, message = '') =>
    jobNotification(jobView({ status: 'failed', files: 0, bytes: 0, error: code === null ? null : { code, message } }), 'Documents', 'usb', true)?.body;

  test('SOURCE_MISSING names the missing folders in words, one or several', () => {
    assert.equal(
      failure('SOURCE_MISSING', 'source folders missing: /home/me/Documents, /home/me/Photos; reconnect or restore them, or edit the schedule'),
      'Folders it backs up are missing (/home/me/Documents, /home/me/Photos). Reconnect them or edit the schedule.',
    );
    assert.equal(failure('SOURCE_MISSING', 'source folder missing: /home/me/Documents'), 'A folder it backs up is missing (/home/me/Documents). Reconnect it or edit the schedule.');
  });

  test('INSUFFICIENT_SPACE names the destination', () => {
    assert.equal(
      failure('INSUFFICIENT_SPACE', 'needs 5.0 GB on /media/me/usb, 1.2 GB free'),
      'There is not enough free space on “usb”. Free some space or choose another destination.',
    );
  });

  test('WORKER_CRASHED says older backups are safe', () => {
    assert.equal(failure('WORKER_CRASHED', 'the archive worker was killed (SIGKILL)'), 'The backup process stopped unexpectedly. Older backups are safe; Dormouse will try again.');
  });

  test('WRITE_FAILED names the destination and the reason', () => {
    assert.equal(failure('WRITE_FAILED', 'EIO: i/o error, write'), 'Dormouse could not write to “usb”: EIO: i/o error, write');
  });

  test('any other code shows the engine\'s one-line message, and a failure without one still says something', () => {
    assert.equal(failure('INTERNAL', 'the archive worker got a malformed message'), 'the archive worker got a malformed message');
    assert.equal(failure(null), 'Dormouse will try again.');
    assert.equal(failure('INTERNAL', ''), 'Dormouse will try again.');
  });

  test('cancelled, skipped (and other non-final or interrupted) jobs show nothing', () => {
    const statuses: JobStatus[] = ['cancelled', 'skipped', 'interrupted', 'queued', 'running'];
    for (const status of statuses) {
      const job = jobView({ status, error: status === 'skipped' ? { code: 'DESTINATION_UNAVAILABLE', message: 'destination "usb" is not available' } : null });
      assert.equal(jobNotification(job, 'Documents', 'usb', true), null, status);
    }
  });
});

describe('"Connect your backup drive"', () => {
  const missing = (overrides: Parameters<typeof desktopSchedule>[1] = {}) =>
    desktopSchedule(now, {
      successAgo: 3 * day,
      schedule: { overdue: true },
      destination: destinationView({ available: false, freeBytes: null }),
      destinationMissingSince: now - 25 * hour,
      ...overrides,
    });

  test('for an enabled overdue schedule whose destination has been unavailable for more than a day', () => {
    assert.deepEqual(connectDriveNotification(missing(), now), {
      title: 'Connect your backup drive',
      body: 'Documents was last backed up 3 days ago: “usb” is not connected.',
      jobId: null,
    });
  });

  test('for a share that does not answer, it says so instead of asking to connect a drive', () => {
    assert.deepEqual(connectDriveNotification(missing({ destination: destinationView({ name: 'nas', state: 'not-answering' }) }), now), {
      title: 'Your backup share is not answering',
      body: 'Documents was last backed up 3 days ago: “nas” is there but does not answer. Is it in reach of this network?',
      jobId: null,
    });
  });

  test('for a schedule never backed up', () => {
    const text = connectDriveNotification(missing({ successAgo: null }), now);
    assert.equal(text?.body, 'Documents has not been backed up yet: “usb” is not connected.');
  });

  test('not before the destination has been missing for more than a day', () => {
    assert.equal(connectDriveNotification(missing({ destinationMissingSince: now - 23 * hour }), now), null);
    assert.equal(connectDriveNotification(missing({ destinationMissingSince: now - day }), now), null);
    assert.notEqual(connectDriveNotification(missing({ destinationMissingSince: now - day - minute }), now), null);
    assert.equal(connectDriveNotification(missing({ destinationMissingSince: null }), now), null);
  });

  test('not for a connected destination, a schedule that is not overdue, a disabled one, or one without a destination', () => {
    assert.equal(connectDriveNotification(missing({ destination: destinationView() }), now), null);
    assert.equal(connectDriveNotification(missing({ schedule: { overdue: false } }), now), null);
    assert.equal(connectDriveNotification(missing({ schedule: { overdue: true, enabled: false } }), now), null);
    assert.equal(connectDriveNotification(missing({ destination: null }), now), null);
  });

  test('the time since the last backup is in words, independent of the time zone', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
      withTimeZone(zone, () => {
        assert.equal(connectDriveNotification(missing({ successAgo: 10 * day }), now)?.body, 'Documents was last backed up 10 days ago: “usb” is not connected.', zone);
      });
    }
  });
});
