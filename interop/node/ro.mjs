// Request objects (RFC 9101) made by panva's `jose` from npm, for Writ's interop test
// (crates/server/tests/interop_npm_jose.rs). Every key, signature and encryption here is the
// library's; the only thing computed by hand is the symmetric key derived from the client
// secret (OpenID Connect Core §10.2), because no library exposes that derivation.
//
// Usage: node ro.mjs keys|sign|verify < input.json > output.json
//
//   keys    input: none (or {}). Output: {"private": JWKS, "public": JWKS}, one key pair per
//           signing algorithm, kid = the algorithm name.
//   sign    input: {"keys": private JWKS, "server_jwks": the server's /jwks, "issuer",
//           "client_id", "secret", "cases": [case]}. Output: {"objects": [compact RO]}, one per
//           case, in order. A case:
//             alg        JWS alg (RS256 … EdDSA, Ed25519, HS256 … HS512)
//             claims     the JWT claims set, as is
//             kid        header kid (default: alg for asymmetric keys, none for HS*; null: none)
//             typ        header typ (default "oauth-authz-req+jwt")
//             key        "registered" (default) or "unregistered": a fresh key pair of alg
//                        that the server never saw
//             unsigned   true: an unsecured JWT (alg "none") instead of a signature
//             enc_alg    JWE alg; when set the signed JWT is encrypted (nested JWT, cty "JWT")
//             enc        JWE enc
//             secret     use this instead of "secret" (HS* keys, A128KW / A256KW / dir keys)
//   verify  input: {"jwt", "jwks", "issuer", "audience"}. Output: {"payload", "header"} of a
//           JWT (the server's ID token) verified with the server's /jwks.
//
// Errors go to stderr with a non-zero exit code.

import { createHash, webcrypto } from 'node:crypto';

// jose 6 uses the Web Crypto API; Node 18 only exposes it as node:crypto.webcrypto.
if (globalThis.crypto === undefined) {
  globalThis.crypto = webcrypto;
}

const jose = await import('jose');

const SIGNING_ALGS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
];
const TYP = 'oauth-authz-req+jwt';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? {} : JSON.parse(text);
}

function generateOptions(alg) {
  const options = { extractable: true };
  if (alg === 'EdDSA') options.crv = 'Ed25519';
  if (alg.startsWith('RS') || alg.startsWith('PS')) options.modulusLength = 2048;
  return options;
}

async function keys() {
  const priv = [];
  const pub = [];
  for (const alg of SIGNING_ALGS) {
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, generateOptions(alg));
    const meta = { kid: alg, alg, use: 'sig' };
    priv.push({ ...(await jose.exportJWK(privateKey)), ...meta });
    pub.push({ ...(await jose.exportJWK(publicKey)), ...meta });
  }
  return { private: { keys: priv }, public: { keys: pub } };
}

// OpenID Connect Core §10.2: the SHA-2 hash (256, 384 or 512 by key size) of the UTF-8
// octets of the client secret, left-most bits kept.
const KEY_BYTES = {
  A128KW: 16,
  A256KW: 32,
  A128GCM: 16,
  A256GCM: 32,
  'A128CBC-HS256': 32,
  'A256CBC-HS512': 64,
};

function keyFromSecret(secret, encAlg, enc) {
  const len = encAlg === 'dir' ? KEY_BYTES[enc] : KEY_BYTES[encAlg];
  if (len === undefined) throw new Error(`no secret-derived key for ${encAlg} / ${enc}`);
  const hash = len <= 32 ? 'sha256' : len <= 48 ? 'sha384' : 'sha512';
  return new Uint8Array(createHash(hash).update(secret, 'utf8').digest().subarray(0, len));
}

// The server's encryption key for an asymmetric JWE alg: by kty among its `use: enc` keys.
function serverKey(serverJwks, encAlg) {
  const kty = encAlg.startsWith('RSA-OAEP') ? 'RSA' : encAlg.startsWith('ECDH-ES') ? 'EC' : null;
  if (kty === null) throw new Error(`not a public-key JWE alg: ${encAlg}`);
  const jwk = (serverJwks.keys ?? []).find((k) => k.use === 'enc' && k.kty === kty);
  if (jwk === undefined) throw new Error(`the server publishes no ${kty} encryption key`);
  return jwk;
}

async function signingKey(input, c, cache) {
  if (c.alg.startsWith('HS')) return new TextEncoder().encode(c.secret ?? input.secret);
  if (c.key === 'unregistered') {
    const { privateKey } = await jose.generateKeyPair(c.alg, generateOptions(c.alg));
    return privateKey;
  }
  if (!cache.has(c.alg)) {
    const jwk = (input.keys.keys ?? []).find((k) => k.kid === c.alg);
    if (jwk === undefined) throw new Error(`no private key with kid ${c.alg}`);
    cache.set(c.alg, await jose.importJWK(jwk, c.alg));
  }
  return cache.get(c.alg);
}

async function signOne(input, c, cache) {
  let jwt;
  if (c.unsigned) {
    jwt = new jose.UnsecuredJWT(c.claims).encode();
  } else {
    const header = { alg: c.alg, typ: c.typ ?? TYP };
    const kid = c.kid === undefined ? (c.alg.startsWith('HS') ? null : c.alg) : c.kid;
    if (kid !== null) header.kid = kid;
    jwt = await new jose.SignJWT(c.claims)
      .setProtectedHeader(header)
      .sign(await signingKey(input, c, cache));
  }
  if (!c.enc_alg) return jwt;

  const header = { alg: c.enc_alg, enc: c.enc, cty: 'JWT' };
  let key;
  if (['A128KW', 'A256KW', 'dir'].includes(c.enc_alg)) {
    key = keyFromSecret(c.secret ?? input.secret, c.enc_alg, c.enc);
  } else {
    const jwk = serverKey(input.server_jwks, c.enc_alg);
    if (jwk.kid !== undefined) header.kid = jwk.kid;
    // A key published for one algorithm is used for that algorithm only.
    if (jwk.alg !== undefined && jwk.alg !== c.enc_alg) {
      throw new Error(`the server's ${jwk.kty} key is for ${jwk.alg}, not ${c.enc_alg}`);
    }
    key = await jose.importJWK(jwk, c.enc_alg);
  }
  return new jose.CompactEncrypt(new TextEncoder().encode(jwt))
    .setProtectedHeader(header)
    .encrypt(key);
}

async function sign(input) {
  const cache = new Map();
  const objects = [];
  for (const c of input.cases) {
    try {
      objects.push(await signOne(input, c, cache));
    } catch (e) {
      throw new Error(`case ${JSON.stringify({ alg: c.alg, enc_alg: c.enc_alg, enc: c.enc })}: ${e.message}`);
    }
  }
  return { objects };
}

async function verify(input) {
  const { payload, protectedHeader } = await jose.jwtVerify(
    input.jwt,
    jose.createLocalJWKSet(input.jwks),
    { issuer: input.issuer, audience: input.audience },
  );
  return { payload, header: protectedHeader };
}

const commands = { keys, sign, verify };
const command = commands[process.argv[2]];
if (command === undefined) {
  process.stderr.write('usage: node ro.mjs keys|sign|verify < input.json\n');
  process.exit(2);
}
try {
  process.stdout.write(JSON.stringify(await command(await readStdin())) + '\n');
} catch (e) {
  process.stderr.write(`ro.mjs ${process.argv[2]}: ${e.stack ?? e}\n`);
  process.exit(1);
}
