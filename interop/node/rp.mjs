// A relying party built on panva's `openid-client` from npm, for Writ's interop test
// (crates/server/tests/interop_openid_client.rs). It uses the library the way an integrator
// would: discovery, pushed authorization requests (RFC 9126), request objects (RFC 9101) made
// by the library, and the code grant with the library's own checks (state, nonce, PKCE, `iss`,
// the ID token). The only thing done by hand is hosting a request object for `request_uri`
// (RFC 9101 §5.2), which openid-client does not do: a small server on Node's own `http`.
//
// Needs Node.js 20 or newer (openid-client v6's baseline).
//
// Usage: node rp.mjs — a session over stdin/stdout: one JSON command per line in, one JSON
// answer per line out, `{"ok": …}` or `{"err": {name, code, message, cause, status, error,
// error_description, challenges, body}}`. The process ends when stdin closes.
//
//   keys      {} → {"public": JWKS}. Key pairs made once: ES256 (kid "auth-es256") for
//             private_key_jwt, PS256 (kid "jar-ps256") for request objects, and Ed25519
//             (kid "ed25519"), which the library signs with under the alg name "Ed25519"
//             (RFC 9864), for either when asked.
//   serve     {} → {"base": "http://127.0.0.1:PORT"}. Starts the request-object host: it serves
//             the objects that `authorize` with mode "jar-by-reference" puts under /ro/.
//   discover  {"name", "issuer", "client_id", "auth": "client_secret_basic" |
//             "client_secret_post" | "private_key_jwt" | "none", "secret"?, "auth_key"?} → a
//             summary of the discovered metadata. The configuration is kept under `name`.
//             "auth_key": "ed25519" signs private_key_jwt assertions with the Ed25519 key.
//   authorize {"client": name, "mode": "par" | "jar+par" | "jar-by-reference", "redirect_uri",
//             "scope", "jar_key"?, "dpop"?} → {"flow", "url", "state", "nonce", "request"?,
//             "request_uri"?, "dpop_jkt"?}. "dpop": true makes a fresh ES256 DPoP key pair
//             for the flow (randomDPoPKeyPair, getDPoPHandle): the pushed request carries a
//             proof, which binds the code (RFC 9449 §10), and `redeem`/`refresh` use it. Fresh state, nonce and PKCE verifier, kept under `flow` for
//             `redeem`. "jar_key": "ed25519" signs the request object with the Ed25519 key.
//             par: buildAuthorizationUrlWithPAR with the parameters as they are.
//             jar+par: buildAuthorizationUrlWithJAR (signed with the PS256 key), then its
//               `client_id` and `request` pushed with buildAuthorizationUrlWithPAR.
//             jar-by-reference: buildAuthorizationUrlWithJAR; the object is hosted at
//               {base}/ro/{flow} and the URL is the authorization endpoint with `client_id`
//               and `request_uri` only.
//   redeem    {"flow", "callback": the URL the browser was sent back to, "state_check"?} →
//             {"claims": the ID token's claims, "id_token_header", "token_type", "scope",
//             "expires_in", "has_refresh_token", "userinfo"}: the code grant
//             (authorizationCodeGrant), the ID token's signature checked by jose against the
//             discovered jwks_uri, then fetchUserInfo with the access token. "state_check":
//             "skip" passes client.skipStateCheck instead of the flow's state. A DPoP flow
//             redeems and calls UserInfo with its DPoP handle; "dpop_key": "other" uses a
//             new key pair instead (a thief's).
//   refresh   {"flow", "dpop_key"?} → {"token_type", "has_refresh_token"}: refreshTokenGrant
//             with the flow's refresh token (and DPoP handle), which it then replaces.
//   hits      {"path"} → {"hits", "accept": the last Accept header received}.

import { webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

// jose and openid-client use the Web Crypto API as a global.
if (globalThis.crypto === undefined) {
  globalThis.crypto = webcrypto;
}

const client = await import('openid-client');
const jose = await import('jose');

const RO_MEDIA_TYPE = 'application/oauth-authz-req+jwt';

const state = {
  keys: null, // { auth: {key, kid}, jar: {key, kid}, public: JWKS }
  configs: new Map(), // name → openid-client Configuration
  flows: new Map(), // flow id → { config, checks }
  objects: new Map(), // path → request object
  hits: new Map(), // path → { hits, accept }
  host: null, // { server, base }
  nextFlow: 1,
};

async function keyPair(alg, kid) {
  const options = { extractable: true };
  if (alg.startsWith('PS') || alg.startsWith('RS')) options.modulusLength = 2048;
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, options);
  // No `alg` on the Ed25519 JWK: "EdDSA" and "Ed25519" both name what it signs.
  const meta = alg === 'Ed25519' ? { kid, use: 'sig' } : { kid, alg, use: 'sig' };
  const jwk = { ...(await jose.exportJWK(publicKey)), ...meta };
  return { private: { key: privateKey, kid }, jwk };
}

async function keys() {
  if (state.keys === null) {
    const auth = await keyPair('ES256', 'auth-es256');
    const jar = await keyPair('PS256', 'jar-ps256');
    const ed = await keyPair('Ed25519', 'ed25519');
    state.keys = {
      auth: auth.private,
      jar: jar.private,
      ed25519: ed.private,
      public: { keys: [auth.jwk, jar.jwk, ed.jwk] },
    };
  }
  return { public: state.keys.public };
}

function needKeys() {
  if (state.keys === null) throw new Error('run "keys" first');
  return state.keys;
}

async function serve() {
  if (state.host !== null) return { base: state.host.base };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    const seen = state.hits.get(path) ?? { hits: 0, accept: null };
    seen.hits += 1;
    seen.accept = req.headers.accept ?? null;
    state.hits.set(path, seen);
    const body = req.method === 'GET' ? state.objects.get(path) : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': RO_MEDIA_TYPE, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  state.host = { server, base: `http://127.0.0.1:${server.address().port}` };
  return { base: state.host.base };
}

function authentication(input) {
  switch (input.auth) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(input.secret);
    case 'client_secret_post':
      return client.ClientSecretPost(input.secret);
    case 'private_key_jwt':
      return client.PrivateKeyJwt(input.auth_key === 'ed25519' ? needKeys().ed25519 : needKeys().auth);
    case 'none':
      return client.None();
    default:
      throw new Error(`unknown client authentication ${input.auth}`);
  }
}

async function discover(input) {
  // Plain http on 127.0.0.1 only: allowInsecureRequests is for this test, never production.
  // "metadata": client metadata the library acts on (introspection_signed_response_alg...).
  const config = await client.discovery(
    new URL(input.issuer),
    input.client_id,
    input.metadata ?? undefined,
    authentication(input),
    { execute: [client.allowInsecureRequests], timeout: 10 },
  );
  // "jarm": the library asks for response_mode=jwt and verifies the JARM response (JWT
  // Secured Authorization Response Mode): signature against the jwks_uri, iss, aud, exp.
  if (input.jarm === true) client.useJwtResponseMode(config);
  state.configs.set(input.name, config);
  const m = config.serverMetadata();
  return {
    issuer: m.issuer,
    authorization_endpoint: m.authorization_endpoint,
    pushed_authorization_request_endpoint: m.pushed_authorization_request_endpoint ?? null,
    supports_pkce: m.supportsPKCE(),
  };
}

function configOf(name) {
  const config = state.configs.get(name);
  if (config === undefined) throw new Error(`no client discovered as "${name}"`);
  return config;
}

async function authorize(input) {
  const config = configOf(input.client);
  const flow = String(state.nextFlow++);
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const parameters = {
    redirect_uri: input.redirect_uri,
    scope: input.scope ?? 'openid',
    state: client.randomState(),
    nonce: client.randomNonce(),
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
  };
  if (input.response_mode !== undefined) parameters.response_mode = input.response_mode;
  const out = { flow, state: parameters.state, nonce: parameters.nonce };
  const jarKey = input.jar_key === 'ed25519' ? needKeys().ed25519 : needKeys().jar;
  let DPoP;
  if (input.dpop === true) {
    const pair = await client.randomDPoPKeyPair('ES256');
    DPoP = client.getDPoPHandle(config, pair);
    out.dpop_jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(pair.publicKey));
  }
  const dpopOptions = DPoP === undefined ? undefined : { DPoP };
  let url;
  switch (input.mode) {
    case 'par':
      url = await client.buildAuthorizationUrlWithPAR(config, parameters, dpopOptions);
      break;
    case 'jar+par': {
      const jar = await client.buildAuthorizationUrlWithJAR(config, parameters, jarKey);
      out.request = jar.searchParams.get('request');
      url = await client.buildAuthorizationUrlWithPAR(config, jar.searchParams, dpopOptions);
      break;
    }
    case 'jar-by-reference': {
      const jar = await client.buildAuthorizationUrlWithJAR(config, parameters, jarKey);
      if (state.host === null) throw new Error('run "serve" first');
      const path = `/ro/${flow}`;
      out.request = jar.searchParams.get('request');
      state.objects.set(path, out.request);
      out.request_uri = `${state.host.base}${path}`;
      url = new URL(config.serverMetadata().authorization_endpoint);
      url.searchParams.set('client_id', config.clientMetadata().client_id);
      url.searchParams.set('request_uri', out.request_uri);
      break;
    }
    default:
      throw new Error(`unknown mode ${input.mode}`);
  }
  state.flows.set(flow, {
    config,
    DPoP,
    refreshToken: null,
    checks: {
      pkceCodeVerifier,
      expectedState: parameters.state,
      expectedNonce: parameters.nonce,
      idTokenExpected: true,
    },
  });
  out.url = url.href;
  return out;
}

async function redeem(input) {
  const flow = state.flows.get(input.flow);
  if (flow === undefined) throw new Error(`no flow ${input.flow}`);
  // "state_check": "skip" is client.skipStateCheck, for a callback known to carry no state.
  const checks = input.state_check === 'skip'
    ? { ...flow.checks, expectedState: client.skipStateCheck }
    : flow.checks;
  const options = await dpopOptionsOf(flow, input);
  const tokens = await client.authorizationCodeGrant(
    flow.config,
    new URL(input.callback),
    checks,
    undefined,
    options,
  );
  flow.refreshToken = tokens.refresh_token ?? null;
  flow.accessToken = tokens.access_token;
  const claims = tokens.claims();
  // openid-client checks the ID token's claims and alg but, as OIDC Core §3.1.3.7 allows for a
  // token received over TLS from the token endpoint, not its signature: jose checks that
  // against the jwks_uri the discovery named.
  const server = flow.config.serverMetadata();
  const { protectedHeader } = await jose.jwtVerify(
    tokens.id_token,
    jose.createRemoteJWKSet(new URL(server.jwks_uri)),
    { issuer: server.issuer, audience: flow.config.clientMetadata().client_id },
  );
  const userinfo = await client.fetchUserInfo(flow.config, tokens.access_token, claims.sub, options);
  return {
    claims,
    id_token_header: protectedHeader,
    token_type: tokens.token_type,
    scope: tokens.scope ?? null,
    expires_in: tokens.expiresIn() ?? null,
    has_refresh_token: typeof tokens.refresh_token === 'string',
    userinfo,
  };
}

// The flow's DPoP handle, or (for "dpop_key": "other") a handle on a new key pair.
async function dpopOptionsOf(flow, input) {
  if (input.dpop_key === 'other') {
    return { DPoP: client.getDPoPHandle(flow.config, await client.randomDPoPKeyPair('ES256')) };
  }
  return flow.DPoP === undefined ? undefined : { DPoP: flow.DPoP };
}

async function refresh(input) {
  const flow = state.flows.get(input.flow);
  if (flow === undefined) throw new Error(`no flow ${input.flow}`);
  if (flow.refreshToken === null) throw new Error(`flow ${input.flow} has no refresh token`);
  const options = await dpopOptionsOf(flow, input);
  const tokens = await client.refreshTokenGrant(flow.config, flow.refreshToken, undefined, options);
  flow.refreshToken = tokens.refresh_token ?? flow.refreshToken;
  return {
    token_type: tokens.token_type,
    has_refresh_token: typeof tokens.refresh_token === 'string',
  };
}

// RFC 7662 (and RFC 9701 when the client's metadata names introspection_signed_response_alg,
// which the library then verifies) as `client`: the flow's access or refresh token.
async function introspect(input) {
  const flow = state.flows.get(input.flow);
  if (flow === undefined) throw new Error(`no flow ${input.flow}`);
  const token = input.which === 'refresh' ? flow.refreshToken : flow.accessToken;
  return await client.tokenIntrospection(configOf(input.client), token);
}

// RFC 7009 as `client`: the flow's access or refresh token.
async function revoke(input) {
  const flow = state.flows.get(input.flow);
  if (flow === undefined) throw new Error(`no flow ${input.flow}`);
  const token = input.which === 'refresh' ? flow.refreshToken : flow.accessToken;
  await client.tokenRevocation(configOf(input.client), token);
  return {};
}

function hits(input) {
  return state.hits.get(input.path) ?? { hits: 0, accept: null };
}

// What the library threw, as the test needs to see it. A WWW-Authenticate challenge (a 401
// after client_secret_basic, RFC 6749 §5.2) is surfaced by the library before it reads the
// body, so the body is read here.
async function describe(e) {
  const out = {
    name: e?.name ?? 'Error',
    code: e?.code ?? null,
    message: e?.message ?? String(e),
    status: e?.status ?? null,
    error: e?.error ?? null,
    error_description: e?.error_description ?? null,
    // openid-client wraps oauth4webapi's errors: the wrapped one says what was wrong.
    cause: e?.cause instanceof Error ? e.cause.message : null,
    challenges: null,
    body: null,
  };
  if (e instanceof client.WWWAuthenticateChallengeError) {
    out.challenges = e.cause;
    try {
      out.body = await e.response.json();
    } catch {
      out.body = null;
    }
  }
  if (out.code === null || out.name === 'Error') out.stack = e?.stack ?? null;
  return out;
}

const commands = { keys, serve, discover, authorize, redeem, refresh, introspect, revoke, hits };

function answer(value) {
  process.stdout.write(JSON.stringify(value) + '\n');
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  let input;
  try {
    input = JSON.parse(line);
  } catch (e) {
    answer({ err: { name: 'SyntaxError', code: null, message: `not JSON: ${e.message}` } });
    continue;
  }
  const command = commands[input.cmd];
  if (command === undefined) {
    answer({ err: { name: 'Error', code: null, message: `unknown command ${input.cmd}` } });
    continue;
  }
  try {
    answer({ ok: await command(input) });
  } catch (e) {
    answer({ err: await describe(e) });
  }
}
state.host?.server.close();
process.exit(0);
