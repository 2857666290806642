import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import { buildManifest, crc32, createColorIcon, createOutlineIcon, createZip, pngSize } from './teams-app-package.js';

const template = readFileSync(new URL('../../teams/manifest.json', import.meta.url), 'utf8');
const APP_ID = '6a1f3c2e-0000-4000-8000-00000000a991';

interface Manifest {
  manifestVersion: string;
  id: string;
  name: { short: string; full: string };
  description: { short: string; full: string };
  icons: { color: string; outline: string };
  bots: {
    botId: string;
    scopes: string[];
    commandLists: { scopes: string[]; commands: { title: string; description: string }[] }[];
  }[];
}

/** Entries of a zip, read back from its central directory (an independent check of the writer). */
function readZip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let p = zip.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(p)).toBe(0x02014b50);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const crc = zip.readUInt32LE(p + 16);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    const localNameLen = zip.readUInt16LE(local + 26);
    const data = inflateRawSync(zip.subarray(local + 30 + localNameLen, local + 30 + localNameLen + size));
    expect(crc32(data)).toBe(crc);
    out.set(name, data);
    p += 46 + nameLen;
  }
  return out;
}

describe('teams/manifest.json', () => {
  const manifest = JSON.parse(buildManifest(template, APP_ID)) as Manifest;

  it('declares the bot in team, group chat and personal scopes with the app id filled in', () => {
    expect(manifest.id).toBe(APP_ID);
    expect(manifest.bots).toHaveLength(1);
    expect(manifest.bots[0]!.botId).toBe(APP_ID);
    expect([...manifest.bots[0]!.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
    expect(manifest.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
    expect(manifest.name.short.length).toBeLessThanOrEqual(30);
    expect(manifest.description.short.length).toBeLessThanOrEqual(80);
    expect(manifest.description.full.length).toBeLessThanOrEqual(4000);
  });

  it('lists every command of the contract (and of commands/index.ts) in its command menu, within the limits', () => {
    const [list] = manifest.bots[0]!.commandLists;
    expect([...list!.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
    const titles = list!.commands.map((c) => c.title);
    expect(titles).toEqual(expect.arrayContaining(['corvo', 'kyrodb', 'm4', 'runbook', 'streamhouse', 'tryitnow']));
    // Exactly commands/index.ts, in its order: a command added there fails here until the manifest lists it.
    expect(titles).toEqual(commands.map((c) => c.name));
    expect(list!.commands.length).toBeLessThanOrEqual(10);
    for (const c of list!.commands) {
      expect(c.title.length).toBeLessThanOrEqual(32);
      expect(c.description.length).toBeLessThanOrEqual(128);
      expect(c.description).toMatch(/help/);
    }
  });

  it("names every subcommand of /runbook in its entry (the system commands' lists do not fit in 128 characters)", () => {
    const runbook = manifest.bots[0]!.commandLists[0]!.commands.find((c) => c.title === 'runbook')!;
    const spec = commands.find((c) => c.name === 'runbook')!;
    for (const s of spec.subcommands) expect(runbook.description).toMatch(new RegExp(`\\b${s.name}\\b`));
  });

  it('refuses to package without a GUID app id, naming the setting', () => {
    expect(() => buildManifest(template, undefined)).toThrow(/MICROSOFT_APP_ID/);
    expect(() => buildManifest(template, 'not-a-guid')).toThrow(/MICROSOFT_APP_ID/);
  });
});

describe('Teams app package', () => {
  it('draws a 192×192 colour icon and a 32×32 outline icon, white on transparent', () => {
    const color = createColorIcon();
    const outline = createOutlineIcon();
    expect(pngSize(color)).toEqual({ width: 192, height: 192 });
    expect(pngSize(outline)).toEqual({ width: 32, height: 32 });
    // The committed icons are the drawn ones.
    expect(readFileSync(new URL('../../teams/color.png', import.meta.url)).equals(color)).toBe(true);
    expect(readFileSync(new URL('../../teams/outline.png', import.meta.url)).equals(outline)).toBe(true);
  });

  it('writes a zip with manifest.json and the icons at its root, byte for byte the same each time', () => {
    const files = [
      { name: 'manifest.json', data: Buffer.from(buildManifest(template, APP_ID)) },
      { name: 'color.png', data: createColorIcon() },
      { name: 'outline.png', data: createOutlineIcon() },
    ];
    const zip = createZip(files);
    expect(createZip(files).equals(zip)).toBe(true);
    const entries = readZip(zip);
    expect([...entries.keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
    expect(JSON.parse(entries.get('manifest.json')!.toString('utf8')).id).toBe(APP_ID);
    expect(entries.get('outline.png')!.equals(files[2]!.data)).toBe(true);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});
