// A SaaS's webhook receiver, written the way the Standard Webhooks
// specification tells integrators to: every delivery is verified with the
// reference library (npm `standardwebhooks`), and deliveries are
// de-duplicated by `webhook-id`. The tests program its answers.
//
//   node webhook-receiver.mjs PORT
//
// Prints "ready" once listening on 127.0.0.1:PORT. Routes:
//   POST /hook[/…]      a delivery: verified against every configured secret
//   POST /secrets       JSON ["whsec_…", …]: the secrets to verify with (each is tried alone)
//   POST /program       JSON {statuses: [500, 200, …], delay_ms: N, slow_paths: {"/hook/slow": N}}:
//                       the next answers (then 204), and how long to wait before each (per path)
//   GET  /state         JSON {deliveries: [{id, path, type, version, object_id, timestamp, answered, valid_with: [i…], signatures}],
//                             unique: N, duplicates: N, invalid: N, abandoned: N}
//                       (abandoned: the sender hung up before the answer, so it is not counted)
import * as http from 'node:http';
import { Webhook } from 'standardwebhooks';

const [port] = process.argv.slice(2);
let secrets = [];
let statuses = [];
let delayMs = 0;
let slowPaths = {};
const deliveries = [];
const seen = new Set();
let duplicates = 0;
let invalid = 0;
let abandoned = 0;

function read(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  const body = await read(req);
  if (req.method === 'POST' && url.pathname === '/secrets') {
    secrets = JSON.parse(body);
    return json(res, 200, { ok: true });
  }
  if (req.method === 'POST' && url.pathname === '/program') {
    const p = JSON.parse(body);
    statuses = p.statuses ?? [];
    delayMs = p.delay_ms ?? 0;
    slowPaths = p.slow_paths ?? {};
    return json(res, 200, { ok: true });
  }
  if (req.method === 'GET' && url.pathname === '/state') {
    return json(res, 200, { deliveries, unique: seen.size, duplicates, invalid, abandoned });
  }
  if (req.method === 'POST' && (url.pathname === '/hook' || url.pathname.startsWith('/hook/'))) {
    const wait = slowPaths[url.pathname] ?? delayMs;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // The sender gave up (a timeout) or died before the answer: it never
    // learns of this one and sends it again, so it does not count.
    if (req.socket.destroyed) {
      abandoned += 1;
      return;
    }
    const headers = {
      'webhook-id': req.headers['webhook-id'] ?? '',
      'webhook-timestamp': req.headers['webhook-timestamp'] ?? '',
      'webhook-signature': req.headers['webhook-signature'] ?? '',
    };
    const validWith = [];
    let payload = null;
    secrets.forEach((secret, i) => {
      try {
        payload = new Webhook(secret).verify(body, headers);
        validWith.push(i);
      } catch {
        // not signed with this one
      }
    });
    const status = statuses.length > 0 ? statuses.shift() : 204;
    if (validWith.length === 0) {
      invalid += 1;
      return json(res, 400, { error: 'signature not valid' });
    }
    if (status >= 200 && status < 300) {
      if (seen.has(headers['webhook-id'])) duplicates += 1;
      seen.add(headers['webhook-id']);
    }
    deliveries.push({
      id: headers['webhook-id'],
      path: url.pathname,
      type: payload.type,
      version: payload.version,
      object_id: payload.object_id,
      timestamp: payload.timestamp,
      answered: status,
      valid_with: validWith,
      signatures: headers['webhook-signature'].split(' ').length,
    });
    res.writeHead(status, { 'content-type': 'text/plain' });
    return res.end(status >= 400 ? `receiver says no (${status})\u0007` : '');
  }
  json(res, 404, { error: 'not found' });
});

server.listen(Number(port), '127.0.0.1', () => console.log('ready'));
