// A relying party built on npm `openid-client` (OpenID Certified), for the
// tests of Gatehouse's OpenID Provider. Each command prints JSON, or exits 1
// with the library's error on stderr. CLIENT_SECRET `-` is a public client
// (PKCE only); AUTH is `post` (client_secret_post) or `basic`. ID_TOKEN_ALG in
// the environment sets the ID token algorithm the client expects (RS256 default).
//
//   discover ISSUER CLIENT_ID CLIENT_SECRET
//     the metadata openid-client accepted, and the JWKS
//   start ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI SCOPE [EXTRA_PARAMS_JSON]
//     {url, verifier, state, nonce}: where to send the browser
//   finish ISSUER CLIENT_ID CLIENT_SECRET AUTH CALLBACK_URL VERIFIER STATE NONCE
//     {claims, userinfo, access_token, refresh_token}: the code exchanged, the
//     ID token validated (signature, iss, aud, nonce, exp), userinfo fetched
//   refresh ISSUER CLIENT_ID CLIENT_SECRET AUTH REFRESH_TOKEN
//     {claims, refresh_token}
import * as client from 'openid-client';

const [command, issuer, clientId, secretArg, ...rest] = process.argv.slice(2);
const secret = secretArg === '-' ? undefined : secretArg;

async function configure(auth) {
  // Tests run on loopback over http: the library refuses that unless told.
  const options = issuer.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : undefined;
  const method = secret === undefined ? client.None() : auth === 'basic' ? client.ClientSecretBasic(secret) : client.ClientSecretPost(secret);
  // ID_TOKEN_ALG (e.g. ES256): the algorithm the client registered for ID tokens (RS256 otherwise).
  const metadata = { client_secret: secret, id_token_signed_response_alg: process.env.ID_TOKEN_ALG ?? 'RS256' };
  return client.discovery(new URL(issuer), clientId, metadata, method, options);
}

async function main() {
  if (command === 'discover') {
    const config = await configure('post');
    const metadata = config.serverMetadata();
    const jwks = await (await fetch(metadata.jwks_uri)).json();
    return { metadata, jwks };
  }
  if (command === 'start') {
    const [redirectUri, scope, extra] = rest;
    const config = await configure('post');
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const params = {
      redirect_uri: redirectUri,
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(extra ? JSON.parse(extra) : {}),
    };
    return { url: client.buildAuthorizationUrl(config, params).href, verifier, state, nonce };
  }
  if (command === 'finish') {
    const [auth, callback, verifier, state, nonce] = rest;
    const config = await configure(auth);
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    return { claims, userinfo, access_token: tokens.access_token, refresh_token: tokens.refresh_token ?? null };
  }
  if (command === 'refresh') {
    const [auth, refreshToken] = rest;
    const config = await configure(auth);
    const tokens = await client.refreshTokenGrant(config, refreshToken);
    return { claims: tokens.claims() ?? null, refresh_token: tokens.refresh_token ?? null };
  }
  throw new Error(`unknown command ${command}`);
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (e) => {
    console.error(`${e.name}: ${e.message}${e.code ? ` (${e.code})` : ''}${e.error ? ` [${e.error}]` : ''}`);
    process.exit(1);
  },
);
