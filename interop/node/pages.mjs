// Every page a person can see, in a real browser at a desktop and a phone width: Debian's
// Chromium driven by playwright-core. For each width, in a fresh browser: the sign-in page, a
// wrong password (the username must be kept), the consent page, an error page, the sign-out
// question and the "signed out" page. For each page it reports whether anything is wider than
// the screen (horizontal scrolling), the page's language and title, and takes a screenshot.
//
// Usage: node pages.mjs AUTHORIZE_URL ERROR_URL LOGOUT_URL SCREENSHOT_DIR
// Prints one JSON line: { pages: [{ page, width, overflow, lang, title, text }], console_errors }.
import { chromium } from 'playwright-core';

const [authorize, error, logout, shots] = process.argv.slice(2);
if (shots === undefined) {
  console.error('usage: node pages.mjs AUTHORIZE_URL ERROR_URL LOGOUT_URL SCREENSHOT_DIR');
  process.exit(2);
}

const widths = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 375, height: 740 },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const pages = [];
const consoleErrors = [];
try {
  for (const w of widths) {
    const context = await browser.newContext({ viewport: { width: w.width, height: w.height } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    // A wrong password (401) and an error page (400) are documents with an error status, which
    // Chromium logs; anything else (a CSP violation, a script error) is a finding.
    page.on('console', (m) => {
      const expected = /^Failed to load resource: the server responded with a status of (400|401)\b/;
      if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico') && !expected.test(m.text())) {
        consoleErrors.push(m.text());
      }
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const record = async (name) => {
      const facts = await page.evaluate(() => ({
        overflow: document.documentElement.scrollWidth > window.innerWidth,
        lang: document.documentElement.lang,
        title: document.title,
        text: document.body.innerText,
      }));
      await page.screenshot({ path: `${shots}/${w.name}-${name}.png`, fullPage: true });
      pages.push({ page: name, width: w.name, ...facts });
    };
    await page.goto(authorize);
    await record('login');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'not her password');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    await record('login-wrong-password');
    pages[pages.length - 1].kept_username = await page.inputValue('#username');
    await page.fill('#password', 'wonderland');
    await Promise.all([page.waitForSelector('button[value=allow]'), page.click('button[type=submit]')]);
    await record('consent');
    await page.goto(error);
    await record('error');
    await page.goto(logout);
    await record('logout');
    await Promise.all([page.waitForSelector('h1'), page.click('button[type=submit]')]);
    await page.waitForLoadState();
    await record('signed-out');
    await context.close();
  }
  console.log(JSON.stringify({ pages, console_errors: consoleErrors }));
} finally {
  await browser.close();
}
