// A relying party built on npm `openid-client` (OpenID Certified), for the
// tests of Gatehouse's OpenID Provider. Usage:
//   node oidc-rp.mjs discover ISSUER CLIENT_ID CLIENT_SECRET
// prints, as JSON, the server metadata openid-client accepted (discovery
// checks the issuer and the document's shape) and the JWKS it would verify
// ID tokens with; exits 1 with the library's error otherwise.
import * as client from 'openid-client';

const [command, issuer, clientId, clientSecret] = process.argv.slice(2);

async function main() {
  // Tests run on loopback over http: the library refuses that unless told.
  const options = issuer.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : undefined;
  const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, options);
  if (command === 'discover') {
    const metadata = config.serverMetadata();
    const jwks = await (await fetch(metadata.jwks_uri)).json();
    console.log(JSON.stringify({ metadata, jwks }));
    return;
  }
  throw new Error(`unknown command ${command}`);
}

main().catch((e) => {
  console.error(`${e.name}: ${e.message}${e.code ? ` (${e.code})` : ''}`);
  process.exit(1);
});
