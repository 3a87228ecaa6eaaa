// What every test that drives a real browser shares: where Chromium is, how it is started on this
// machine (no sandbox as root; no background traffic, which a closed network refuses), and the
// traces `ws` would leave in a browser bundle.

/** Debian's Chromium, or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium's arguments: no sandbox (root), no GPU, no QUIC, no traffic of its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The traces `ws` would leave in a bundle: its require, its handshake header, its extension, its browser stub. */
export const WS_MARKERS: readonly string[] = [
  'require("ws")',
  "require('ws')",
  'from "ws"',
  'Sec-WebSocket-Key',
  'permessage-deflate',
  'ws does not work in the browser',
];
