// Draws the tray icons (idle, running, paused, attention) as PNGs, at 1x and 2x, in colour for Linux
// and Windows and as black-and-alpha template images for macOS. Run once; the PNGs are committed.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'icons');
mkdirSync(out, { recursive: true });

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x += 1) row.set(pixel(x + 0.5, y + 0.5), 1 + x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

const colours = { idle: [96, 104, 112], running: [37, 99, 235], paused: [202, 138, 4], attention: [220, 38, 38] };
const inCircle = (x, y, cx, cy, r) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;

// A dormouse's head seen from the front: a round face with two round ears; the state adds a badge.
function draw(state, size, template) {
  const s = size / 16;
  const [r, g, b] = template ? [0, 0, 0] : colours[state];
  return png(size, (x, y) => {
    const head = inCircle(x, y, 8 * s, 9.5 * s, 5.2 * s) || inCircle(x, y, 3.6 * s, 4.2 * s, 2.6 * s) || inCircle(x, y, 12.4 * s, 4.2 * s, 2.6 * s);
    const eye = inCircle(x, y, 6.2 * s, 9 * s, 0.9 * s) || inCircle(x, y, 9.8 * s, 9 * s, 0.9 * s);
    const badge = state !== 'idle' && inCircle(x, y, 13 * s, 13 * s, 2.8 * s);
    const badgeRing = state !== 'idle' && inCircle(x, y, 13 * s, 13 * s, 3.6 * s);
    if (badge) {
      const mark = state === 'paused' ? Math.abs(x - 12.2 * s) < 0.5 * s || Math.abs(x - 13.8 * s) < 0.5 * s : state === 'attention' ? Math.abs(x - 13 * s) < 0.55 * s : inCircle(x, y, 13 * s, 13 * s, 1.1 * s);
      if (mark) return template ? [0, 0, 0, 0] : [255, 255, 255, 255];
      return template ? [0, 0, 0, 255] : [...colours[state], 255];
    }
    if (badgeRing) return [0, 0, 0, 0];
    if (head && !eye) return [r, g, b, 255];
    return [0, 0, 0, 0];
  });
}

for (const state of Object.keys(colours)) {
  writeFileSync(join(out, `tray-${state}.png`), draw(state, 16, false));
  writeFileSync(join(out, `tray-${state}@2x.png`), draw(state, 32, false));
  writeFileSync(join(out, `tray-${state}Template.png`), draw(state, 16, true));
  writeFileSync(join(out, `tray-${state}Template@2x.png`), draw(state, 32, true));
}
writeFileSync(join(out, '256x256.png'), draw('idle', 256, false));
console.log(`icons written to ${out}`);
