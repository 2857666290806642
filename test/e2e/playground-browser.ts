/**
 * Debian's Chromium driven by playwright-core for the Agents Playground suite: no browser is downloaded. Records
 * what the page asks of the internet and the warnings the Playground prints, and keeps a screenshot per step under
 * test/artifacts/playground (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = join(ROOT, 'test', 'artifacts', 'playground');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface PlaygroundPage {
  readonly page: Page;
  /** Origins and paths of every request that left the machine. */
  readonly external: ReadonlySet<string>;
  /** Invoke requests the page sent (card clicks), with their JSON bodies. */
  readonly invokes: readonly Record<string, unknown>[];
  screenshot(step: string): Promise<void>;
  close(): Promise<void>;
}

export async function openPlaygroundPage(url: string): Promise<PlaygroundPage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Root in CI has no user namespace sandbox to drop into.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(30_000);
  const external = new Set<string>();
  const invokes: Record<string, unknown>[] = [];
  page.on('request', (r: Request) => {
    const u = new URL(r.url());
    if (u.protocol.startsWith('http') && u.hostname !== 'localhost' && u.hostname !== '127.0.0.1') {
      external.add(`${u.origin}${u.pathname}`);
    }
    if (u.pathname === '/_conversation/v1/invoke' && r.method() === 'POST') {
      invokes.push(JSON.parse(r.postData() ?? '{}') as Record<string, unknown>);
    }
  });
  await page.goto(url);
  let n = 0;
  return {
    page,
    external,
    invokes,
    async screenshot(step) {
      await page.screenshot({ path: join(ARTIFACTS, `${String(++n).padStart(2, '0')}-${step}.png`), fullPage: true });
    },
    close: () => browser.close(),
  };
}
