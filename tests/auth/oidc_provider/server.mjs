// A real OpenID Connect provider (panva's oidc-provider) for Lumen's tests. TEST ONLY:
// keys are generated at start, any password is accepted, consent is granted automatically.
//
// Env: OIDC_PORT (required), OIDC_CLIENT_ID (default "lumen"),
//      OIDC_CLIENT_SECRET (default "lumen-test-secret"), OIDC_REDIRECT_URIS (comma separated).
// Prints "ready <issuer>" on stdout once listening; exits 0 on SIGTERM or SIGINT.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const port = Number.parseInt(process.env.OIDC_PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('OIDC_PORT must be set to a TCP port');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.OIDC_CLIENT_ID || 'lumen';
const clientSecret = process.env.OIDC_CLIENT_SECRET || 'lumen-test-secret';
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? '')
  .split(',').map((uri) => uri.trim()).filter(Boolean);
if (redirectUris.length === 0) {
  console.error('OIDC_REDIRECT_URIS must list at least one redirect URI');
  process.exit(2);
}

// The fixed account table, keyed by login; any other login becomes its own sub and email.
const ACCOUNTS = {
  'pharma.user@example.org': { sub: 'pharma-1', name: 'Pharma User', lumenRole: 'pharma', amr: ['pwd', 'mfa'] },
  'admin.user@example.org': { sub: 'admin-1', name: 'Admin User', lumenRole: 'admin', amr: ['pwd'] },
  'patient.user@example.org': { sub: 'patient-1', name: 'Patient User', amr: ['pwd'] },
};
const BY_SUB = new Map(Object.entries(ACCOUNTS).map(([email, a]) => [a.sub, { ...a, email }]));

function accountFor(login) {
  const known = ACCOUNTS[login];
  return known ? { ...known, email: login } : { sub: login, email: login, amr: ['pwd'] };
}

async function findAccount(_ctx, sub) {
  const account = BY_SUB.get(sub) ?? { sub, email: sub };
  return {
    accountId: sub,
    async claims() {
      const claims = { sub, email: account.email, email_verified: true };
      if (account.name) claims.name = account.name;
      if (account.lumenRole) claims.lumen_role = account.lumenRole;
      return claims;
    },
  };
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    application_type: 'web', // web + code flow: http and localhost redirect URIs are allowed
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  findAccount,
  scopes: ['openid', 'email', 'profile'],
  // amr and lumen_role ride on the openid scope so every ID token carries them.
  claims: {
    openid: ['sub', 'amr', 'lumen_role'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // false: scope claims go into the ID token too, not only into the userinfo response.
  conformIdTokenClaims: false,
  pkce: { required: () => true }, // oidc-provider v9 supports S256 only
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
});

const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, loginHint, error) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Lumen test IdP</title></head>
<body>
<h1>Sign in</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
  <input type="hidden" name="uid" value="${escapeHtml(uid)}">
  <label for="login">Login</label>
  <input id="login" name="login" type="text" autocomplete="username" required value="${escapeHtml(loginHint ?? '')}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
</body></html>`;
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(body);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Consent is granted automatically for whatever the client asked for (test only).
async function grantConsent(req, res, details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const result = { consent: { grantId: await grant.save() } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') {
      return send(res, 200, 'text/html', loginPage(uid, details.params.login_hint));
    }
    if (details.prompt.name === 'consent') return grantConsent(req, res, details);
    return send(res, 501, 'text/plain', `prompt ${details.prompt.name} is not implemented`);
  }
  if (req.method === 'POST' && action === 'login' && details.prompt.name === 'login') {
    const form = await readForm(req);
    const login = (form.get('login') ?? '').trim();
    if (!login || !form.get('password')) {
      return send(res, 400, 'text/html', loginPage(uid, login, 'Login and password are required.'));
    }
    const account = accountFor(login);
    const result = { login: { accountId: account.sub, amr: account.amr, remember: false } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  return send(res, 405, 'text/plain', 'method not allowed');
}

const providerCallback = provider.callback();
const INTERACTION = /^\/interaction\/([\w-]+)(?:\/(login))?\/?$/;

const server = createServer((req, res) => {
  const match = INTERACTION.exec(new URL(req.url, issuer).pathname);
  if (!match) return providerCallback(req, res);
  return interaction(req, res, match[1], match[2]).catch((error) => {
    console.error(error);
    if (!res.headersSent) send(res, 400, 'text/plain', `${error.name}: ${error.message}`);
    else res.end();
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
