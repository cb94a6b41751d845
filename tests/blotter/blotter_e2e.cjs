// Drives the fixgw blotter in headless Debian Chromium (playwright-core, no
// browser download). Run by blotter_test.cpp, which owns the gateway and the
// FIX client: "ORDER ..." lines on stdout ask it to send an order over FIX,
// its "ER <150> <39>" answer comes back on stdin. Exit 0 = every step passed.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const url = process.env.BLOTTER_URL;
const token = process.env.BLOTTER_TOKEN;
const artifacts = process.env.BLOTTER_ARTIFACTS;

const waiting = [];
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  const w = waiting.shift();
  if (w) w(l);
});
function ask(cmd) {
  return new Promise((resolve) => { waiting.push(resolve); process.stdout.write(cmd + '\n'); });
}
function log(msg) { process.stdout.write('LOG ' + msg + '\n'); }
function check(cond, msg) { if (!cond) throw new Error(msg); log('ok: ' + msg); }

(async () => {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fixgw-blotter-'));
  // A fresh, empty profile; nothing reaches beyond loopback.
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const shot = (name) => page.screenshot({ path: path.join(artifacts, name + '.png'), fullPage: true });
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
  try {
    await page.goto(url + '/');
    await page.waitForSelector('#login-form');
    await shot('01-login');

    // A wrong token is refused and the blotter stays closed.
    await page.fill('#token', 'not-a-valid-token-000000');
    await page.click('#login');
    await page.waitForSelector('#login-error:not([hidden])');
    const err = await page.textContent('#login-error');
    check(err.includes('Token refused'), 'wrong token refused: ' + err);
    check(await page.isHidden('#app'), 'blotter hidden after a refused token');
    await shot('02-wrong-token-refused');

    // The operator logs in; the live stream connects.
    await page.fill('#token', token);
    await page.click('#login');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForFunction(() => document.querySelector('#conn-status').textContent === 'live');
    await page.waitForSelector('#sessions tr[data-session="FIX.4.4:FIXGW->CLIENT1"]');
    const sess = await page.textContent('#sessions tr[data-session="FIX.4.4:FIXGW->CLIENT1"] .sstate');
    check(sess === 'LOGGED_ON', 'session panel shows CLIENT1 logged on');
    await page.waitForSelector('#venues tr[data-venue="SIM"]');
    check((await page.textContent('#venues tr[data-venue="SIM"] .connected')) === 'yes',
          'venue panel shows SIM connected');
    // The simulator reports no rate limits: its headroom cell stays empty (not "0%").
    check((await page.textContent('#venues tr[data-venue="SIM"] .headroom')) === '',
          'venue panel shows no rate-limit headroom for SIM');
    await shot('03-logged-in');

    // An order sent over FIX appears and fills.
    const ack = await ask('ORDER B1 DESK1 100 100.25');
    check(ack === 'ER 0 0', 'FIX client got the ack of B1 (' + ack + ')');
    await page.waitForSelector('#orders tr[data-cl-ord-id="B1"]', { timeout: 15000 });
    await page.waitForSelector('#orders tr[data-cl-ord-id="B1"][data-status="FILLED"]',
                               { timeout: 20000 });
    await page.waitForSelector('#fills tr[data-cl-ord-id="B1"]');
    check(true, 'order B1 appeared and filled, with its fills');
    await page.waitForSelector('#positions tr[data-account="DESK1"]', { timeout: 10000 });
    check(true, 'position of DESK1 shown');
    await shot('04-order-filled');

    // The kill switch asks first; "Cancel" changes nothing.
    await page.selectOption('#ks-scope', 'account');
    await page.fill('#ks-key', 'DESK1');
    await page.selectOption('#ks-state', 'HALTED');
    await page.fill('#ks-reason', 'blotter e2e');
    await page.click('#ks-apply');
    await page.waitForSelector('#confirm-dialog[open]');
    check((await page.textContent('#confirm-text')).includes('account DESK1 -> HALTED'),
          'confirmation names the scope and state');
    await shot('05-kill-switch-confirm');
    await page.click('#confirm-no');
    await page.waitForFunction(() => document.querySelector('#ks-result').textContent === 'Not changed.');
    check(true, 'cancelled confirmation changed nothing');
    await page.click('#ks-apply');
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-yes');
    await page.waitForFunction(() => document.querySelector('#ks-result').textContent.includes('-> HALTED'));
    await page.waitForSelector('#risk-states tr[data-key="DESK1"] .state-HALTED');
    check(true, 'DESK1 halted, by ' + (await page.textContent('#ks-result')));

    // The next order of that account is rejected, on FIX and in the blotter.
    const rej = await ask('ORDER B2 DESK1 100 100.25');
    check(rej === 'ER 8 8', 'FIX client got a reject for B2 (' + rej + ')');
    await page.waitForSelector('#orders tr[data-cl-ord-id="B2"][data-status="REJECTED"]',
                               { timeout: 15000 });
    const text = await page.textContent('#orders tr[data-cl-ord-id="B2"] .text');
    check(text.includes('HALTED'), 'blotter shows the reject reason: ' + text);
    await shot('06-halted-order-rejected');
    check(external.length === 0, 'no request left the gateway: ' + external.join(', '));
    log('DONE');
    await ctx.close();
    process.exit(0);
  } catch (e) {
    log('FAIL ' + (e && e.stack ? e.stack : e));
    try { await shot('failure'); } catch (_) { /* the page may be gone */ }
    await ctx.close().catch(() => {});
    process.exit(1);
  }
})();
