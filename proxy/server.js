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

const rest = new REST({ api, version });

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

// One unauthenticated request first, and a wait for its one-second global window to pass, so the
// first burst of sends pays neither for loading the HTTP client nor for opening a connection
// inside a window (a slow first request would start the proxy's window well before Discord's).
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
