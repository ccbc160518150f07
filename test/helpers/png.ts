// Just enough of a PNG decoder for Chromium's screenshots (8-bit RGB or RGBA, not
// interlaced), so a test can look at the pixels a page drew.
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGBA, row by row. */
  rgba: Uint8Array;
}

export function readPng(file: string): Image {
  const b = readFileSync(file);
  if (b.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error(`${file}: not a PNG`);
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < b.length) {
    const len = b.readUInt32BE(at);
    const type = b.subarray(at + 4, at + 8).toString('latin1');
    const data = b.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, color, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || interlace !== 0 || (color !== 2 && color !== 6)) throw new Error(`${file}: PNG of depth ${depth}, color type ${color}, interlace ${interlace} is not read here`);
      channels = color === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[y * stride + x - channels]! : 0;
      const up = y > 0 ? px[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels]! : 0;
      const p = a + up - c;
      const pa = Math.abs(p - a),
        pb = Math.abs(p - up),
        pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      const v = line[x]!;
      px[y * stride + x] = (filter === 0 ? v : filter === 1 ? v + a : filter === 2 ? v + up : filter === 3 ? v + ((a + up) >> 1) : v + paeth) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = px[i * channels + k]!;
    rgba[i * 4 + 3] = channels === 4 ? px[i * channels + 3]! : 255;
  }
  return { width, height, rgba };
}

/** Pixels in the rectangle within `tolerance` (per channel) of the colour `#rrggbb`. */
export function countColor(img: Image, rect: { left: number; top: number; width: number; height: number }, hex: string, tolerance = 24): number {
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let y = Math.max(0, Math.floor(rect.top)); y < Math.min(img.height, Math.ceil(rect.top + rect.height)); y++) {
    for (let x = Math.max(0, Math.floor(rect.left)); x < Math.min(img.width, Math.ceil(rect.left + rect.width)); x++) {
      const i = (y * img.width + x) * 4;
      if (want.every((w, k) => Math.abs(img.rgba[i + k]! - w) <= tolerance)) n++;
    }
  }
  return n;
}
