// A person in a real browser: Debian's Chromium, driven by playwright-core (which downloads
// no browser of its own), signs in as alice, reads the consent page and allows. The client's
// redirect URI is answered by the Rust test, which receives the form_post response.
//
// Usage: node browser.mjs AUTHORIZE_URL SCREENSHOT_DIR
// Prints one JSON line: the consent page's text, the URL the browser ended on and the body it
// shows there. CHROMIUM overrides the browser's path (default /usr/bin/chromium).
import { chromium } from 'playwright-core';

const [url, shots] = process.argv.slice(2);
if (url === undefined || shots === undefined) {
  console.error('usage: node browser.mjs AUTHORIZE_URL SCREENSHOT_DIR');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // The test runs as root in a container: Chromium's sandbox needs user namespaces.
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 600, height: 900 } });
  page.setDefaultTimeout(20_000);
  const consoleErrors = [];
  // Errors the pages caused (a CSP violation is one); a browser's own favicon request is not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) {
      consoleErrors.push(m.text());
    }
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(url);
  await page.fill('#username', 'alice');
  await page.fill('#password', 'wonderland');
  await page.screenshot({ path: `${shots}/1-login.png`, fullPage: true });
  await Promise.all([page.waitForURL(/\/interaction\//), page.click('button[type=submit]')]);
  await page.waitForSelector('button[value=allow]');
  const consent = await page.innerText('body');
  await page.screenshot({ path: `${shots}/2-consent.png`, fullPage: true });
  // Allow: the answer is a form_post page that submits itself to the redirect URI.
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/cb'),
    page.click('button[value=allow]'),
  ]);
  await page.waitForSelector('#received');
  const body = await page.innerText('body');
  await page.screenshot({ path: `${shots}/3-callback.png`, fullPage: true });
  console.log(JSON.stringify({ consent, final: page.url(), body, console_errors: consoleErrors }));
} finally {
  await browser.close();
}
