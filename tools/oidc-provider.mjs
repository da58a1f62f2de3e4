// A real OpenID provider for the tests: npm `oidc-provider` (OpenID
// Certified), with its development login and consent pages.
//
// Usage: node tools/oidc-provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// Any login name signs in; the subject is the name, the email is the name
// when it contains "@". Prints "ready" once listening.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  // By default the scopes' claims (email) go in the ID token, as Okta and
  // Entra ID do; IDP_CONFORM=1 keeps them for the UserInfo endpoint only.
  conformIdTokenClaims: process.env.IDP_CONFORM === '1',
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      ...(id.includes('@') ? { email: id, email_verified: true } : {}),
      name: `Test ${id}`,
    }),
  }),
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
