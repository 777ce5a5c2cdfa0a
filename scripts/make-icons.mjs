// Draws the app's icons: the menu-bar icons into resources/tray/ — one template image per state
// (idle, working, attention, error, paused) at 18×18 pt, as <state>Template.png (1x) and
// <state>Template@2x.png; template images are black with alpha, which macOS tints for light and
// dark menu bars — and the app icon resources/icon.png (1024×1024, electron-builder makes the .icns).
//
// The shapes are signed-distance functions sampled 16 times per pixel (anti-aliased), written as
// PNG with node:zlib: no image tool or browser needed, and the same pixels on every machine.
//
//   node scripts/make-icons.mjs             writes the icons
//   node scripts/make-icons.mjs --preview   also writes out/tray-preview.png: every icon at
//                                                8× zoom, tinted on a light and a dark menu bar
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZE = 18; // points

// --- shapes (coordinates in points, y down) -------------------------------------------------

const length = (x, y) => Math.hypot(x, y);

/** Rounded rectangle from (x0,y0) to (x1,y1) with corner radius r: negative inside. */
function roundBox(px, py, x0, y0, x1, y1, r) {
  const qx = Math.abs(px - (x0 + x1) / 2) - ((x1 - x0) / 2 - r);
  const qy = Math.abs(py - (y0 + y1) / 2) - ((y1 - y0) / 2 - r);
  return length(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** Polygon (list of [x, y]): negative inside. */
function polygon(px, py, points) {
  let distance = Infinity;
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [ax, ay] = points[j];
    const [bx, by] = points[i];
    const ex = bx - ax;
    const ey = by - ay;
    const t = Math.max(0, Math.min(1, ((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey)));
    distance = Math.min(distance, length(px - ax - ex * t, py - ay - ey * t));
    if (ay > py !== by > py && px < ((bx - ax) * (py - ay)) / (by - ay) + ax) inside = !inside;
  }
  return inside ? -distance : distance;
}

const circle = (px, py, cx, cy, r) => length(px - cx, py - cy) - r;

/** A line from (ax,ay) to (bx,by) with round caps, `width` wide. */
function segment(px, py, ax, ay, bx, by, width) {
  const ex = bx - ax;
  const ey = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey)));
  return length(px - ax - ex * t, py - ay - ey * t) - width / 2;
}

// --- the icons: a speech bubble, and what is inside it ---------------------------------------

const STROKE = 1.5;
/** The bubble's outline: a rounded box with a tail at the bottom left. */
function bubble(px, py) {
  const body = roundBox(px, py, 1.75, 2.75, 16.25, 12.75, 3.5);
  // The tail reaches deep into the body, so the outline opens into it without a seam.
  const tail = polygon(px, py, [[4.4, 9], [4.4, 16.1], [13.6, 9]]);
  return Math.abs(Math.min(body, tail)) - STROKE / 2;
}

const ICONS = {
  // Two eyes: the assistant is there, quiet.
  idle: (x, y) => Math.min(bubble(x, y), circle(x, y, 6.6, 7.7, 1.15), circle(x, y, 11.4, 7.7, 1.15)),
  // Three dots: a reply is being written.
  working: (x, y) => Math.min(bubble(x, y), circle(x, y, 5.9, 7.75, 1.05), circle(x, y, 9, 7.75, 1.05), circle(x, y, 12.1, 7.75, 1.05)),
  // A badge in the top right corner, cut out of the bubble: someone is waiting for approval.
  attention: (x, y) => {
    const badge = circle(x, y, 14.6, 3.4, 2.9);
    const cut = Math.max(bubble(x, y), -(badge - 1.1));
    return Math.min(cut, badge, circle(x, y, 6.6, 7.7, 1.15), circle(x, y, 10.2, 7.7, 1.15));
  },
  // An exclamation mark: something is broken.
  error: (x, y) => Math.min(bubble(x, y), segment(x, y, 9, 5.4, 9, 8.3, 1.6), circle(x, y, 9, 10.4, 0.95)),
  // Two bars: paused.
  paused: (x, y) => Math.min(bubble(x, y), segment(x, y, 7.3, 5.6, 7.3, 9.9, 1.55), segment(x, y, 10.7, 5.6, 10.7, 9.9, 1.55)),
};

// --- rasterizing and PNG -----------------------------------------------------------------------

/** Coverage 0..1 per pixel at `scale` pixels per point (samples² samples per pixel). */
function rasterize(shape, scale, size = SIZE, samples = 4) {
  const pixels = Math.round(size * scale);
  const alpha = new Float64Array(pixels * pixels);
  for (let py = 0; py < pixels; py++) {
    for (let px = 0; px < pixels; px++) {
      let covered = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / scale;
          const y = (py + (sy + 0.5) / samples) / scale;
          if (shape(x, y) <= 0) covered++;
        }
      }
      alpha[py * pixels + px] = covered / (samples * samples);
    }
  }
  return { width: pixels, height: pixels, alpha };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** RGBA pixels (row-major, 4 bytes each) → PNG. `ppm`: pixels per metre, so 72 dpi vs 144 dpi. */
function png(width, height, rgba, dpi = 72) {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  const phys = Buffer.alloc(9);
  const ppm = Math.round(dpi / 0.0254);
  phys.writeUInt32BE(ppm, 0);
  phys.writeUInt32BE(ppm, 4);
  phys[8] = 1;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('pHYs', phys), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function templatePng({ width, height, alpha }, dpi) {
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < alpha.length; i++) rgba[i * 4 + 3] = Math.round(alpha[i] * 255);
  return png(width, height, rgba, dpi);
}

const outDir = join(root, 'resources', 'tray');
mkdirSync(outDir, { recursive: true });
const rendered = { '2x': {}, '1x': {} };
for (const [name, shape] of Object.entries(ICONS)) {
  const x1 = rasterize(shape, 1);
  const x2 = rasterize(shape, 2);
  rendered['2x'][name] = x2;
  rendered['1x'][name] = x1;
  writeFileSync(join(outDir, `${name}Template.png`), templatePng(x1, 72));
  writeFileSync(join(outDir, `${name}Template@2x.png`), templatePng(x2, 144));
}
console.log(`wrote ${Object.keys(ICONS).length * 2} icons to resources/tray`);

// The app icon: the idle bubble in white on a blue rounded square (macOS's 824 pt body on a 1024
// pt canvas). Drawn in 18-point units scaled up, so it is the same bubble as in the menu bar.
{
  const canvas = 1024;
  const unit = canvas / SIZE;
  const body = (x, y) => roundBox(x, y, 100 / unit, 100 / unit, 924 / unit, 924 / unit, 185 / unit);
  // The bubble, scaled to 60% around the canvas centre.
  const mark = (x, y) => ICONS.idle((x - SIZE / 2) / 0.6 + SIZE / 2, (y - SIZE / 2) / 0.6 + SIZE / 2 + 0.4);
  const bodyAlpha = rasterize(body, unit, SIZE, 2);
  const markAlpha = rasterize(mark, unit, SIZE, 2);
  const rgba = Buffer.alloc(canvas * canvas * 4);
  const top = [92, 148, 255];
  const bottom = [52, 88, 220];
  for (let y = 0; y < canvas; y++) {
    const t = y / canvas;
    for (let x = 0; x < canvas; x++) {
      const i = y * canvas + x;
      const a = bodyAlpha.alpha[i];
      const m = markAlpha.alpha[i] * a;
      for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round((top[c] * (1 - t) + bottom[c] * t) * (1 - m) + 255 * m);
      rgba[i * 4 + 3] = Math.round(a * 255);
    }
  }
  writeFileSync(join(root, 'resources', 'icon.png'), png(canvas, canvas, rgba, 144));
  console.log('wrote resources/icon.png');
}

if (process.argv.includes('--preview')) {
  // Every icon at 8× a point (@2x zoomed 4×, 1x zoomed 8×), tinted as macOS does: black on a
  // light menu bar, white on a dark one. Rows: @2x light, @2x dark, 1x light, 1x dark.
  const cell = SIZE * 8 + 16;
  const names = Object.keys(ICONS);
  const width = cell * names.length;
  const height = cell * 4;
  const rgba = Buffer.alloc(width * height * 4);
  const rows = [
    { scale: '2x', zoom: 4, bg: [236, 236, 236], ink: [0, 0, 0] },
    { scale: '2x', zoom: 4, bg: [40, 40, 43], ink: [255, 255, 255] },
    { scale: '1x', zoom: 8, bg: [236, 236, 236], ink: [0, 0, 0] },
    { scale: '1x', zoom: 8, bg: [40, 40, 43], ink: [255, 255, 255] },
  ];
  rows.forEach(({ scale, zoom, bg, ink }, row) => {
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < width; x++) {
        const index = ((row * cell + y) * width + x) * 4;
        const icon = rendered[scale][names[Math.floor(x / cell)]];
        const ix = Math.floor(((x % cell) - 8) / zoom);
        const iy = Math.floor((y - 8) / zoom);
        const a = ix >= 0 && iy >= 0 && ix < icon.width && iy < icon.height ? icon.alpha[iy * icon.width + ix] : 0;
        for (let c = 0; c < 3; c++) rgba[index + c] = Math.round(bg[c] * (1 - a) + ink[c] * a);
        rgba[index + 3] = 255;
      }
    }
  });
  mkdirSync(join(root, 'out'), { recursive: true });
  writeFileSync(join(root, 'out', 'tray-preview.png'), png(width, height, rgba));
  console.log(`preview: out/tray-preview.png (${names.join(', ')})`);
}
