/**
 * `npm run demo -- --teams`: the whole bot and the Microsoft 365 Agents Playground from one command. A browser on
 * the printed URL sees the report card, asks for the fix, and sees the card replaced once a second person approves
 * from the demo's terminal (`approve latest as megan`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openPlaygroundPage, type PlaygroundPage } from './playground-browser.js';

vi.setConfig({ testTimeout: 150_000, hookTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let demo: ChildProcessWithoutNullStreams | undefined;
let browser: PlaygroundPage | undefined;
let out = '';

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
});

async function until(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(out);
    if (m) return m;
    if (Date.now() > deadline || demo?.exitCode !== null) throw new Error(`demo never printed ${pattern}:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm run demo -- --teams', () => {
  it('starts the bot with the Playground pointed at it; a browser walks health → fix → second approver', async () => {
    demo = spawn(process.execPath, ['--import', 'tsx', 'src/main/demo.ts', '--teams', '--scenario=sqlite-diverged'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    demo.stdout.on('data', (d: Buffer) => (out += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => demo!.on('exit', (code) => r(code)));

    const url = (await until(/open (http:\/\/localhost:\d+\/) in a browser/))[1]!;
    expect(out).toContain('approve latest as megan');
    browser = await openPlaygroundPage(url);
    const page = browser.page;
    const body = () => page.innerText('body');
    await page.getByText('Connected.').first().waitFor();
    // In the channel, where a second person can see the card (a personal chat has nobody else in it).
    await page.getByText('oncall', { exact: true }).first().click();
    await page.locator('[contenteditable="true"][role="textbox"]').click();
    await page.keyboard.type('@runbook');
    await page.getByRole('menuitem', { name: /runbook-bot/ }).click();
    await page.keyboard.type(' corvo health');
    await page.keyboard.press('Enter');
    await expect.poll(body, { timeout: 45_000 }).toMatch(/Corvo health — demo\nCRITICAL/);
    await page.getByRole('button', { name: 'Rebuild SQLite' }).click();
    await expect.poll(body, { timeout: 30_000 }).toMatch(/Approval needed: Rebuild SQLite on demo/);
    await browser.screenshot('demo-approval-card');

    demo.stdin.write('approve latest as megan\n');
    await until(/Megan Bowen pressed Approve/);
    await expect
      .poll(body, { timeout: 45_000 })
      .toMatch(/Approved by Megan Bowen at \d\d:\d\d UTC — done: rebuilt in [\d,]+ ms/);
    await browser.screenshot('demo-approved');

    demo.stdin.end();
    expect(await exited, out).toBe(0);
    expect(out.trimEnd().endsWith('Stopping…')).toBe(true);
  });
});
