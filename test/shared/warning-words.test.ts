import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemWarnings, itemsNotBackedUp, jobNotes, splitItemWarning } from '../../shared/warning-words';

test('the count in words: one item, several, thousands', () => {
  assert.equal(itemsNotBackedUp(1), '1 item could not be backed up');
  assert.equal(itemsNotBackedUp(3), '3 items could not be backed up');
  assert.equal(itemsNotBackedUp(1204), '1,204 items could not be backed up');
});

test('warnings naming a path are items; notes about the job are not, and each keeps its order', () => {
  const warnings = [
    'the laptop went to sleep during this backup (11/21/2025, 2:00:30 PM)',
    '/home/me/a.sock: not backed up, it is a socket, which only lives while its program runs',
    'C:\\Users\\me\\ntuser.dat: permission denied',
    '\\\\nas\\home\\locked.db: permission denied',
    '/home/me/caf\\xe9: contents not backed up (permission denied)',
  ];
  assert.deepEqual(itemWarnings(warnings), [
    '/home/me/a.sock: not backed up, it is a socket, which only lives while its program runs',
    'C:\\Users\\me\\ntuser.dat: permission denied',
    '\\\\nas\\home\\locked.db: permission denied',
    '/home/me/caf\\xe9: contents not backed up (permission denied)',
  ]);
  assert.deepEqual(jobNotes(warnings), ['the laptop went to sleep during this backup (11/21/2025, 2:00:30 PM)']);
});

test('an item warning splits into its path and why at the first ": "', () => {
  assert.deepEqual(splitItemWarning('/home/me/x.iso: EIO: i/o error, read'), { path: '/home/me/x.iso', why: 'EIO: i/o error, read' });
  assert.deepEqual(splitItemWarning('/home/me/odd'), { path: '/home/me/odd', why: '' });
});
