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
const { proxyRequests } = require('@discordjs/proxy');
const { REST } = require('@discordjs/rest');

const host = process.env.PROXY_HOST || '0.0.0.0';
const port = Number.parseInt(process.env.PROXY_PORT || '8080', 10);
const api = (process.env.DISCORD_API || 'https://discord.com/api').replace(/\/+$/, '');
const version = process.env.DISCORD_API_VERSION || '10';

if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`rest-proxy: PROXY_PORT is malformed: ${process.env.PROXY_PORT}`);
  process.exit(2);
}

// The bots' Authorization headers are forwarded as they are; the proxy holds no token.
const rest = new REST({ api, version, rejectOnRateLimit: null });
const forward = proxyRequests(rest);
// An upstream failure the proxy does not map (a refused connection, DNS) answers 502 instead of
// ending the process (every answer it does map sets its own status); the bot treats a 502 like
// any other transient error.
const server = createServer((req, res) => {
  res.statusCode = 502;
  forward(req, res).catch((error) => {
    console.error(`rest-proxy: ${req.method} ${req.url}: ${error.message}`);
    res.end();
  });
});

server.listen(port, host, () => {
  console.log(`rest-proxy listening on ${host}:${port}, upstream ${api}/v${version}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
