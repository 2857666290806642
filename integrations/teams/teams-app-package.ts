/**
 * The Teams app package (the zip an admin uploads): `manifest.json` with the bot's app id filled in, and the two
 * icons. Written with Node's zlib only — a PNG encoder for the icons and a minimal zip writer — so packaging needs no
 * extra dependency and gives the same bytes on every machine.
 */
import { deflateRawSync, deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE), as PNG chunks and zip entries use it. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An 8-bit RGBA PNG of `width` × `height` pixels (`rgba` row by row, 4 bytes a pixel). */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error('pixel data does not match the size');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Width and height from a PNG's IHDR (throws when it is not a PNG). */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.readUInt32BE(0) !== 0x89504e47 || png.toString('ascii', 12, 16) !== 'IHDR') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * The glyph of both icons, in a unit square: a terminal prompt `>` and a check mark underline — "runbook runs, and
 * it checks". True where the glyph is.
 */
function glyph(x: number, y: number): boolean {
  const stroke = 0.075;
  const nearSegment = (ax: number, ay: number, bx: number, by: number) => {
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(x - (ax + t * dx), y - (ay + t * dy)) <= stroke;
  };
  return (
    nearSegment(0.22, 0.25, 0.45, 0.45) ||
    nearSegment(0.45, 0.45, 0.22, 0.65) ||
    nearSegment(0.52, 0.7, 0.6, 0.78) ||
    nearSegment(0.6, 0.78, 0.8, 0.52)
  );
}

function draw(size: number, pixel: (inside: boolean, x: number, y: number) => [number, number, number, number]) {
  const rgba = new Uint8Array(size * size * 4);
  const samples = 4; // 4×4 supersampling for smooth edges
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          if (glyph((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size)) hits++;
        }
      }
      const coverage = hits / (samples * samples);
      const [r, g, b, a] = pixel(coverage > 0, px, py);
      const i = (py * size + px) * 4;
      rgba.set([r, g, b, Math.round(a * (coverage > 0 ? coverage : 1))], i);
      if (coverage > 0 && coverage < 1 && a === 255) {
        // Blend the glyph edge over the background of the colour icon.
        const bg = pixel(false, px, py);
        for (let k = 0; k < 3; k++) rgba[i + k] = Math.round(bg[k]! + (rgba[i + k]! - bg[k]!) * coverage);
        rgba[i + 3] = 255;
      }
    }
  }
  return rgba;
}

/** The 192×192 full-colour icon: a white glyph on the bot's dark blue. */
export function createColorIcon(): Buffer {
  const size = 192;
  return encodePng(
    size,
    size,
    draw(size, (inside) => (inside ? [255, 255, 255, 255] : [0x2c, 0x3e, 0x50, 255])),
  );
}

/** The 32×32 outline icon Teams requires: white on a transparent background. */
export function createOutlineIcon(): Buffer {
  const size = 32;
  return encodePng(
    size,
    size,
    draw(size, (inside) => (inside ? [255, 255, 255, 255] : [0, 0, 0, 0])),
  );
}

/** A zip archive (deflated entries, fixed timestamps so the same input gives the same bytes). */
export function createZip(files: readonly { readonly name: string; readonly data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const dosTime = 0; // 00:00:00
  const dosDate = ((2025 - 1980) << 9) | (1 << 5) | 1; // 2025-01-01
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const compressed = deflateRawSync(f.data, { level: 9 });
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDir, end]);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `teams/manifest.json` with `{{MICROSOFT_APP_ID}}` replaced by the bot's Microsoft app id (the Azure Bot's app
 * registration; also used as the Teams app id). Throws naming the setting when it is missing or not a GUID.
 */
export function buildManifest(template: string, appId: string | undefined): string {
  if (!appId || !GUID.test(appId.trim())) {
    throw new Error('MICROSOFT_APP_ID must be set to the Azure Bot app id (a GUID) to package the Teams app');
  }
  const filled = template.split('{{MICROSOFT_APP_ID}}').join(appId.trim().toLowerCase());
  JSON.parse(filled); // still JSON
  return filled;
}
