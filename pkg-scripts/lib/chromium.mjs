// Debian's Chromium and the launch flags that work on these machines (no sandbox as root, no
// GPU, no background network traffic), shared by the browser tests and the benchmarks.
// Playwright adds --headless and a fresh --user-data-dir itself.
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
