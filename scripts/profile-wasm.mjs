// Chromium's sampling profiler (DevTools protocol) over a wasm-bindgen-test page, printing self time
// per function (the wasm name section gives Rust's names). `make profile-wasm` serves
// crates/core/tests/forward_speed_wasm.rs and runs this against it:
//   node scripts/profile-wasm.mjs URL [ROWS]
// It waits until the page reports the test's result, then prints the ROWS (default 30) functions
// with the most samples, as a share of all samples and in milliseconds.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const puppeteer = require(process.env.PUPPETEER_CORE || 'puppeteer-core');

const url = process.argv[2];
const rows = Number(process.argv[3] || 30);
if (!url) {
  console.error('usage: node scripts/profile-wasm.mjs URL [ROWS]');
  process.exit(2);
}
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  protocolTimeout: 900000,
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log('page:', m.text()));
  const cdp = await page.createCDPSession();
  await cdp.send('Profiler.enable');
  // 200 µs between samples: fine enough for kernels of a few milliseconds.
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  await page.goto(url);
  const started = Date.now();
  while (!/test result|passed|failed/.test(await page.evaluate(() => document.body.innerText))) {
    if (Date.now() - started > 600000) throw new Error('no test result after 10 minutes');
    await new Promise((r) => setTimeout(r, 1000));
  }
  const { profile } = await cdp.send('Profiler.stop');
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const name = nodes.get(id).callFrame.functionName || '(anonymous)';
    const us = profile.timeDeltas[i] || 0;
    total += us;
    self.set(name, (self.get(name) || 0) + us);
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, rows);
  for (const [name, us] of top) {
    const share = ((100 * us) / total).toFixed(1).padStart(5);
    console.log(`${share} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name.slice(0, 140)}`);
  }
} finally {
  await browser.close();
}
