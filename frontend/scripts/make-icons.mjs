// Writes Lumen's app icons (public/icons) without network or image libraries: a teal rounded
// square with a white cross, drawn per pixel with 4x4 supersampling and encoded as PNG with
// node:zlib (PNG spec, W3C REC 2003: signature, IHDR, IDAT, IEND chunks with CRC-32).
// Run `npm run icons` after changing the drawing; the outputs are committed.
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const TEAL = [0x0f, 0x76, 0x6e];
const WHITE = [0xff, 0xff, 0xff];
const OUT = new URL("../public/icons/", import.meta.url);

/** Cross arms as fractions of the side, in the 32-unit grid of icon.svg. */
const CROSS = [
  [13 / 32, 7 / 32, 19 / 32, 25 / 32],
  [7 / 32, 13 / 32, 25 / 32, 19 / 32],
];

function inRoundedSquare(x, y, radius) {
  const cx = Math.min(Math.max(x, radius), 1 - radius);
  const cy = Math.min(Math.max(y, radius), 1 - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

function inCross(x, y, scale) {
  // scale < 1 shrinks the cross toward the centre (maskable icons keep a 40% radius safe zone).
  const u = 0.5 + (x - 0.5) / scale;
  const v = 0.5 + (y - 0.5) / scale;
  return CROSS.some(([x0, y0, x1, y1]) => u >= x0 && u <= x1 && v >= y0 && v <= y1);
}

function draw(size, { radius, crossScale }) {
  const rgba = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          if (!inRoundedSquare(x, y, radius)) continue;
          if (inCross(x, y, crossScale)) fg++;
          else bg++;
        }
      }
      const cover = (bg + fg) / (n * n);
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) {
        rgba[i + c] = cover ? Math.round((TEAL[c] * bg + WHITE[c] * fg) / (bg + fg)) : 0;
      }
      rgba[i + 3] = Math.round(cover * 255);
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, k) => {
  let c = k;
  for (let j = 0; j < 8; j++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const ICONS = [
  ["icon-192.png", 192, { radius: 7 / 32, crossScale: 1 }],
  ["icon-512.png", 512, { radius: 7 / 32, crossScale: 1 }],
  ["apple-touch-icon.png", 180, { radius: 0, crossScale: 0.85 }],
  ["icon-maskable-512.png", 512, { radius: 0, crossScale: 0.7 }],
];

for (const [name, size, shape] of ICONS) {
  writeFileSync(new URL(name, OUT), png(size, draw(size, shape)));
}
writeFileSync(
  new URL("icon.svg", OUT),
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0f766e"/><path d="M13 7h6v6h6v6h-6v6h-6v-6H7v-6h6z" fill="#fff"/></svg>\n`,
);
console.log(`wrote ${ICONS.length + 1} icons to ${OUT.pathname}`);
