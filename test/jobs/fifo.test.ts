import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fifo } from '../../src-main/common/fifo';

test('the queue of entries waiting for their hashes gives them back in order, across its compactions', () => {
  const queue = new Fifo<number>();
  assert.equal(queue.shift(), undefined, 'an empty queue gives nothing');
  let next = 0;
  let expected = 0;
  // Long stretches of pushes and shifts, so the queue grows past 16,000 items and compacts many times.
  for (let round = 0; round < 40; round += 1) {
    for (let i = 0; i < 1000 + (round % 7) * 3000; i += 1) queue.push(next++);
    const take = round === 39 ? queue.length : 900 + (round % 5) * 2500;
    for (let i = 0; i < take && queue.length > 0; i += 1) {
      assert.equal(queue.peek(), expected);
      assert.equal(queue.shift(), expected);
      expected += 1;
    }
  }
  assert.equal(expected, next, 'every item came back');
  assert.equal(queue.length, 0);
  assert.equal(queue.peek(), undefined);
});
