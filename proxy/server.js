// WalkWell's shared Discord REST proxy: every bot process sends its REST requests here, and one
// @discordjs/rest client keeps Discord's limits (every bucket and the global 50 requests/second)
// for all of them. Point each process's DISCORD_API_BASE at http://HOST:PORT/api/v10.
//
// Environment:
//   PROXY_HOST           listen address (default 0.0.0.0)
//   PROXY_PORT           listen port (default 8080)
//   DISCORD_API          upstream API base without the version (default https://discord.com/api)
//   DISCORD_API_VERSION  upstream API version (default 10)
'use strict';

const { createServer } = require('node:http');
const { buffer } = require('node:stream/consumers');
const { setTimeout: sleep } = require('node:timers/promises');
const { populateErrorResponse, populateSuccessfulResponse } = require('@discordjs/proxy');
const { REST } = require('@discordjs/rest');

const host = process.env.PROXY_HOST || '0.0.0.0';
const port = Number.parseInt(process.env.PROXY_PORT || '8080', 10);
const api = (process.env.DISCORD_API || 'https://discord.com/api').replace(/\/+$/, '');
const version = process.env.DISCORD_API_VERSION || '10';

if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`rest-proxy: PROXY_PORT is malformed: ${process.env.PROXY_PORT}`);
  process.exit(2);
}

// Discord's global limit: requests per second per bot, across every process.
const GLOBAL_PER_SECOND = 50;

// The REST client keeps every per-route bucket; the global limit is kept by globalSlot() below.
// (The client's own global limit opens each one-second window when its first request leaves,
// which lets a window start before Discord's has ended when that request is slow to arrive.)
const rest = new REST({ api, version, globalRequestsPerSecond: Number.POSITIVE_INFINITY });

// Windows of GLOBAL_PER_SECOND requests. A window closes one second after the first answer to
// any of its requests: Discord received that request no later than it answered, so its own
// window started no later either, and the next one here never opens inside it.
const globalWindow = { id: 0, left: 0, closesAt: 0, answered: true, wake: [] };

function openWindow() {
  globalWindow.id += 1;
  globalWindow.left = GLOBAL_PER_SECOND;
  globalWindow.closesAt = Number.POSITIVE_INFINITY; // known at the first answer
  globalWindow.answered = false;
}

async function globalSlot() {
  for (;;) {
    const now = performance.now();
    if (globalWindow.answered && now >= globalWindow.closesAt) openWindow();
    if (globalWindow.left > 0) {
      globalWindow.left -= 1;
      return globalWindow.id;
    }
    if (globalWindow.answered) {
      await sleep(globalWindow.closesAt - now + 1);
    } else {
      await new Promise((resolve) => {
        globalWindow.wake.push(resolve);
      });
    }
  }
}

function answered(windowId) {
  if (windowId !== globalWindow.id || globalWindow.answered) return;
  globalWindow.answered = true;
  globalWindow.closesAt = performance.now() + 1000;
  for (const resolve of globalWindow.wake.splice(0)) resolve(); // to sleep until it closes
}

// @discordjs/proxy's proxyRequests, except that the body is read first: the REST client retries
// a request after a 429 or a 5xx, and a retry must send the same body again (a stream is spent
// after the first try). The bots' Authorization headers are forwarded; the proxy holds no token.
async function forward(req, res) {
  const url = new URL(req.url, 'http://proxy');
  const headers = { 'Content-Type': req.headers['content-type'] };
  for (const name of ['authorization', 'x-audit-log-reason']) {
    if (req.headers[name]) headers[name] = req.headers[name];
  }
  const body = await buffer(req);
  // interaction callbacks are outside Discord's global limit
  const windowId = /^\/api(\/v\d+)?\/interactions\//.test(url.pathname) ? null : await globalSlot();
  try {
    const answer = await rest.queueRequest({
      fullRoute: url.pathname.replace(/^\/api(\/v\d+)?/, ''),
      method: req.method,
      body: body.length > 0 ? body : undefined,
      passThroughBody: true,
      query: url.searchParams,
      headers,
      auth: false,
    });
    await populateSuccessfulResponse(res, answer);
  } catch (error) {
    if (!populateErrorResponse(res, error)) {
      // not an answer from Discord (a refused connection, DNS): a transient error for the bot
      console.error(`rest-proxy: ${req.method} ${url.pathname}: ${error.message}`);
      res.statusCode = 502;
    }
  } finally {
    if (windowId !== null) answered(windowId);
    res.end();
  }
}

const server = createServer((req, res) => {
  forward(req, res).catch((error) => {
    console.error(`rest-proxy: ${req.method} ${req.url}: ${error.message}`);
    if (!res.headersSent) res.statusCode = 502;
    res.end();
  });
});

// One unauthenticated request first, so the first burst of sends does not pay for loading the
// HTTP client and opening a connection; then a wait for the one-second window it counts in.
rest
  .get('/gateway', { auth: false })
  .catch(() => undefined)
  .then(() => new Promise((resolve) => setTimeout(resolve, 1100)))
  .then(() => {
    server.listen(port, host, () => {
      console.log(`rest-proxy listening on ${host}:${port}, upstream ${api}/v${version}`);
    });
  });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
