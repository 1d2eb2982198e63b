// The real OpenID provider for the end-to-end tests: oidc-provider 8.x on 127.0.0.1.
//
// Started by the Rust test harness (tests/src/oidc.rs), which reads the first stdout line
// ("READY <issuer>") and kills the process when the test ends; it also exits by itself when
// its stdin closes, so no provider outlives its test.
//
// Signing keys are generated at start: one RS256 and one ES256 key. Access tokens are RFC
// 9068 JWTs for a resource indicator: `urn:api:rs256` gets an RS256 token, `urn:api:es256`
// an ES256 one, with the resource as the audience.
//
// Key rotation, driven by the tests (this server listens on 127.0.0.1 only):
// - `POST /__test/rotate` adds a new RS256 and ES256 key pair in front (new tokens are signed
//   with them) and keeps the old ones published;
// - `POST /__test/retire` withdraws every key but the newest pair.
// Each rebuilds the Provider around the new key list (oidc-provider reads `jwks` once);
// the HTTP server stays, so the issuer and port do not change.
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 0);
// Redirect URIs of the sign-in client `app`, comma-separated (the tests' app servers).
const redirectUris = (process.env.REDIRECT_URIS || 'http://127.0.0.1:1/auth/oidc/callback')
  .split(',')
  .filter(Boolean);
// Back-channel logout (OpenID Connect Back-Channel Logout 1.0) of the sign-in client, and
// where RP-initiated logout may send the browser back to.
const backchannelLogoutUri = process.env.BACKCHANNEL_LOGOUT_URI || undefined;
const postLogoutRedirectUris = (process.env.POST_LOGOUT_REDIRECT_URIS || '')
  .split(',')
  .filter(Boolean);

async function key(alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid };
}

let generation = 1;
let keys = [await key('RS256', 'rs-1'), await key('ES256', 'es-1')];

const configuration = {
  jwks: { keys },
  clients: [
    {
      client_id: 'svc',
      client_secret: 'svc-secret-for-tests-only',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      // A service client whose access tokens are opaque (checked by introspection).
      client_id: 'svc-opaque',
      client_secret: 'svc-opaque-secret-for-tests-only',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      // A second service client whose tokens carry a role (see extraTokenClaims).
      client_id: 'svc-admin',
      client_secret: 'svc-admin-secret-for-tests-only',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      // The sign-in client: authorization code with PKCE (S256), ID tokens RS256.
      client_id: 'app',
      client_secret: 'app-secret-for-tests-only',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: redirectUris,
      token_endpoint_auth_method: 'client_secret_basic',
      post_logout_redirect_uris: postLogoutRedirectUris,
      ...(backchannelLogoutUri
        ? { backchannel_logout_uri: backchannelLogoutUri, backchannel_logout_session_required: true }
        : {}),
    },
  ],
  // Any login is accepted by the development interactions; every account has these claims.
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.test`, email_verified: true, name: `User ${id}` };
      },
    };
  },
  // Roles in Keycloak's shape: the `svc-admin` client's access tokens carry the realm role
  // `admin` in `realm_access.roles`.
  async extraTokenClaims(ctx, token) {
    if (token.clientId === 'svc-admin') return { realm_access: { roles: ['admin'] } };
    return undefined;
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { methods: ['S256'], required: () => true },
  scopes: ['openid', 'read', 'write'],
  features: {
    devInteractions: { enabled: true },
    // RFC 7662 and RFC 7009: the resource server asks about opaque tokens; tests revoke.
    introspection: { enabled: true },
    revocation: { enabled: true },
    backchannelLogout: { enabled: true },
    // RFC 9449: a token request with a DPoP proof gets a token bound to its key.
    dPoP: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Only the service client gets JWT access tokens by default; the sign-in client's
      // access tokens stay opaque, for the userinfo endpoint.
      defaultResource: (ctx) => (ctx.oidc.client?.clientId?.startsWith('svc') ? 'urn:api:rs256' : undefined),
      useGrantedResource: (ctx) => ctx.oidc.client?.clientId?.startsWith('svc'),
      getResourceServerInfo: (ctx, resource, client) => ({
        scope: 'read write admin',
        audience: resource,
        accessTokenTTL: 600,
        accessTokenFormat: client?.clientId === 'svc-opaque' ? 'opaque' : 'jwt',
        jwt: { sign: { alg: resource.endsWith('es256') ? 'ES256' : 'RS256' } },
      }),
    },
  },
  cookies: {
    keys: ['test-cookie-key-not-secret-in-tests'],
    names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_resume', state: 'op_state' },
    long: { sameSite: 'lax' },
    short: { sameSite: 'lax' },
  },
};

// The issuer needs the port, so bind first, then build the provider around the server.
import http from 'node:http';
const server = http.createServer();
let handler;
server.on('request', async (req, res) => {
  if (req.method === 'POST' && (req.url === '/__test/rotate' || req.url === '/__test/retire')) {
    if (req.url === '/__test/rotate') {
      generation += 1;
      keys = [await key('RS256', `rs-${generation}`), await key('ES256', `es-${generation}`), ...keys];
    } else {
      keys = keys.slice(0, 2);
    }
    handler = build();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kids: keys.map((k) => k.kid) }));
    return;
  }
  handler(req, res);
});

let issuer;
function build() {
  return new Provider(issuer, { ...configuration, jwks: { keys } }).callback();
}

server.listen(port, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  handler = build();
  process.stdout.write(`READY ${issuer}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
