// A SaaS's own application that signs its users in through Gatehouse, the
// way an integrator would write it: npm `openid-client` (OpenID Certified)
// for the code flow, and `jose` to verify back-channel logout tokens
// (OpenID Connect Back-Channel Logout 1.0 §2.6). The tests drive it over
// HTTP, and the browser tests open it in Chromium.
//
//   node oidc-host-app.mjs ISSUER CLIENT_ID CLIENT_SECRET PORT
//
// Prints "ready" once listening on 127.0.0.1:PORT. Routes:
//   GET  /                    the signed-in user's claims (ID token and userinfo), or a sign-in link
//   GET  /login               to Gatehouse's authorization endpoint (PKCE, state, nonce);
//                             `?organization=`, `?login_hint=` and `?prompt=` are passed on
//   GET  /callback            the code exchanged, the ID token validated, userinfo read
//   GET  /signout             ends the application's own session only
//   GET  /initiate            OpenID Connect "Initiating Login from a Third Party": ?iss= must be the issuer
//   POST /backchannel-logout  a logout token verified; the sessions with its sid (or sub) end
//   POST /fail-next?count=N   the next N back-channel logouts are answered 503 (retries are tested)
//   POST /slow?ms=N           back-channel logouts are answered after N ms (a slow application)
//   GET  /state               JSON {sessions, logouts, rejected} for the tests
import * as http from 'node:http';
import * as crypto from 'node:crypto';
import * as client from 'openid-client';
import * as jose from 'jose';

const [issuer, clientId, clientSecret, port] = process.argv.slice(2);
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

const pending = new Map(); // state → {verifier, nonce}
const sessions = new Map(); // our cookie → {sid, sub, claims, userinfo, refresh_token}
const logouts = []; // verified logout tokens' {sid, sub, jti}
const rejected = []; // why a logout token was refused
const seenJti = new Set();
let failNext = 0;
let slowMs = 0;

let configPromise;
function config() {
  configPromise ??= client.discovery(new URL(issuer), clientId, clientSecret, client.ClientSecretBasic(clientSecret), {
    // The tests run on loopback over http.
    execute: issuer.startsWith('http://') ? [client.allowInsecureRequests] : [],
  });
  return configPromise;
}
let jwks;
function keys() {
  jwks ??= config().then((c) => jose.createRemoteJWKSet(new URL(c.serverMetadata().jwks_uri)));
  return jwks;
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function page(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1a1f36}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e8ee;padding:.4rem;text-align:left;font-size:.9rem;word-break:break-all}
a.button{display:inline-block;background:#635bff;color:#fff;padding:.6rem 1rem;border-radius:6px;text-decoration:none}</style></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`);
}
function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}
function cookie(req) {
  const m = /(?:^|;\s*)host_session=([^;]+)/.exec(req.headers.cookie ?? '');
  return m?.[1];
}
async function body(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function login(req, res, url) {
  const c = await config();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  pending.set(state, { verifier, nonce });
  const params = {
    redirect_uri: `http://127.0.0.1:${port}/callback`,
    scope: 'openid email profile offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  for (const extra of ['organization', 'login_hint', 'prompt']) {
    if (url.searchParams.get(extra)) params[extra] = url.searchParams.get(extra);
  }
  res.writeHead(302, { location: client.buildAuthorizationUrl(c, params).href }).end();
}

async function callback(req, res, url) {
  const c = await config();
  const expected = pending.get(url.searchParams.get('state') ?? '');
  if (!expected) return page(res, 400, 'Sign-in failed', '<p>Unknown or reused state.</p>');
  pending.delete(url.searchParams.get('state'));
  if (url.searchParams.get('error')) {
    return page(res, 400, 'Sign-in failed', `<p id="error">${escape(url.searchParams.get('error'))}</p>`);
  }
  const tokens = await client.authorizationCodeGrant(c, url, {
    pkceCodeVerifier: expected.verifier,
    expectedState: url.searchParams.get('state'),
    expectedNonce: expected.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(c, tokens.access_token, claims.sub);
  const id = crypto.randomBytes(16).toString('hex');
  sessions.set(id, { sid: claims.sid, sub: claims.sub, claims, userinfo, refresh_token: tokens.refresh_token });
  res.writeHead(302, { location: '/', 'set-cookie': `host_session=${id}; HttpOnly; SameSite=Lax; Path=/` }).end();
}

function home(req, res) {
  const s = sessions.get(cookie(req) ?? '');
  if (!s) {
    return page(res, 200, 'Host App', '<p id="signed-out">You are not signed in.</p><p><a class="button" href="/login">Sign in with Gatehouse</a></p>');
  }
  const rows = Object.entries(s.claims)
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td data-claim="${escape(k)}">${escape(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`)
    .join('');
  return page(res, 200, 'Host App', `<p id="welcome">Signed in as ${escape(s.userinfo.email ?? s.sub)} of ${escape(s.claims.gatehouse_org_name)}</p>
<h2>ID token claims</h2><table>${rows}</table>`);
}

async function backchannel(req, res) {
  const form = new URLSearchParams(await body(req));
  const token = form.get('logout_token');
  const refuse = (why) => {
    rejected.push(why);
    return json(res, 400, { error: 'invalid_request', error_description: why });
  };
  if (!token) return refuse('no logout_token');
  if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
  if (failNext > 0) {
    failNext -= 1;
    return json(res, 503, { error: 'temporarily_unavailable' });
  }
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(token, await keys(), {
      issuer,
      audience: clientId,
      typ: 'logout+jwt',
      maxTokenAge: '2 minutes',
      clockTolerance: 30,
      requiredClaims: ['iat', 'jti', 'events'],
    }));
  } catch (e) {
    return refuse(`${e.code ?? e.name}: ${e.message}`);
  }
  // §2.6: the event is there, a nonce is not, and a sid or a sub names who.
  if (typeof payload.events !== 'object' || !(BACKCHANNEL_EVENT in payload.events)) return refuse('no back-channel logout event');
  if ('nonce' in payload) return refuse('a logout token carries no nonce');
  if (!payload.sid && !payload.sub) return refuse('neither sid nor sub');
  if (seenJti.has(payload.jti)) return refuse('replayed jti');
  seenJti.add(payload.jti);
  // A Gatehouse session may serve several organizations: only the sign-ins
  // into the organization named (gatehouse_org_id) end.
  const org = payload.gatehouse_org_id;
  for (const [id, s] of sessions) {
    const who = payload.sid ? s.sid === payload.sid : s.sub === payload.sub;
    if (who && (!org || s.claims.gatehouse_org_id === org)) sessions.delete(id);
  }
  logouts.push({ sid: payload.sid ?? null, sub: payload.sub ?? null, org: org ?? null, jti: payload.jti });
  res.writeHead(200, { 'cache-control': 'no-store' }).end();
}

function initiate(req, res, url) {
  // Only a login initiated by our own issuer is followed (an open redirector otherwise).
  if (url.searchParams.get('iss') !== issuer) return page(res, 400, 'Sign-in failed', '<p>Unknown issuer.</p>');
  return login(req, res, url);
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  try {
    if (req.method === 'GET' && url.pathname === '/') return home(req, res);
    if (req.method === 'GET' && url.pathname === '/login') return await login(req, res, url);
    if (req.method === 'GET' && url.pathname === '/signout') {
      sessions.delete(cookie(req) ?? '');
      res.writeHead(302, { location: '/', 'set-cookie': 'host_session=; Max-Age=0; Path=/' }).end();
      return;
    }
    if (req.method === 'GET' && url.pathname === '/initiate') return await initiate(req, res, url);
    if (req.method === 'GET' && url.pathname === '/callback') return await callback(req, res, url);
    if (req.method === 'POST' && url.pathname === '/backchannel-logout') return await backchannel(req, res);
    if (req.method === 'POST' && url.pathname === '/fail-next') {
      failNext = Number(url.searchParams.get('count') ?? '1');
      return json(res, 200, { fail_next: failNext });
    }
    if (req.method === 'POST' && url.pathname === '/slow') {
      slowMs = Number(url.searchParams.get('ms') ?? '0');
      return json(res, 200, { slow_ms: slowMs });
    }
    if (req.method === 'GET' && url.pathname === '/state') {
      const list = [...sessions.values()].map(({ sid, sub, claims, userinfo, refresh_token }) => ({ sid, sub, claims, userinfo, refresh_token }));
      return json(res, 200, { sessions: list, logouts, rejected });
    }
    return page(res, 404, 'Not found', '');
  } catch (e) {
    return page(res, 500, 'Sign-in failed', `<p id="error">${escape(`${e.name}: ${e.message}${e.code ? ` (${e.code})` : ''}`)}</p>`);
  }
});
server.listen(Number(port), '127.0.0.1', () => console.log('ready'));
