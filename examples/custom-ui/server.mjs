// A custom sign-in and consent UI for Writ, as an operator would write one: no framework, no
// dependency, Node.js >= 20. It is the contract of docs/interaction-ui.md in ~150 lines.
//
//   node examples/custom-ui/server.mjs --port 3000 --writ https://id.example.com
//
// with `[interaction] url = "https://id.example.com/ui"` in Writ's configuration and the proxy
// sending `/ui/` here: the browser must reach this UI on the same host as Writ, so that it
// sends Writ's session cookie along (cookies are per host, not per port or path).
//
// GET /ui/{id}: read the pending interaction from Writ (`Accept: application/json`, with the
// browser's cookie), then show the sign-in form or the consent form. Both forms post straight
// to Writ (the URLs it gave in `endpoints`, with its `csrf_token`); after sign-in Writ sends
// the browser back here, after consent to the application.

import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { port: { type: 'string' }, writ: { type: 'string' } } });
const port = Number(args.port ?? process.env.PORT ?? 3000);
const writ = (args.writ ?? process.env.WRIT_ISSUER ?? 'http://127.0.0.1:8080').replace(/\/$/, '');

/** Text for HTML: every value Writ returns came from a client or a person. */
const esc = (v) =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const page = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font-family:Georgia,serif;max-width:32rem;margin:3rem auto;padding:0 1rem;background:#faf7f0;color:#2b2118}
header{font-weight:bold;color:#7a1f1f;letter-spacing:.05em}.box{background:#fff;border:1px solid #d9cfbf;padding:1.25rem;border-radius:6px}
label{display:block;margin-top:.75rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin:1rem .5rem 0 0;padding:.55rem 1.2rem}.allow{background:#7a1f1f;color:#fff;border:0}</style>
</head><body><header>EXAMPLE BANK</header>${body}</body></html>`;

function loginForm(v) {
  return page(
    'Sign in',
    `<h1>Sign in to continue to ${esc(v.client.client_name)}</h1>
<div class="box"><form method="post" action="${esc(v.endpoints.login)}">
<input type="hidden" name="csrf_token" value="${esc(v.csrf_token)}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" value="${esc(v.parameters.login_hint)}" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" class="allow">Sign in</button></form></div>`,
  );
}

function consentForm(v) {
  const signed = v.request_object?.signer
    ? `Signed with ${esc(v.client.client_name)}'s registered key${v.request_object.encryption ? ', encrypted' : ''}.`
    : 'Not signed by the application.';
  const scopes = v.scope.map((s) => `<li>${esc(s)}${v.trusted.includes('scope') ? ' (signed)' : ''}</li>`).join('');
  return page(
    'Allow access',
    `<h1>${esc(v.client.client_name)} asks for access</h1>
<div class="box"><p>Signed in as <strong>${esc(v.login.username)}</strong>.</p><p id="origin">${signed}</p>
<ul id="scopes">${scopes}</ul>
<form method="post" action="${esc(v.endpoints.consent)}">
<input type="hidden" name="csrf_token" value="${esc(v.csrf_token)}">
<button type="submit" name="decision" value="allow" class="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></form></div>`,
  );
}

const server = http.createServer(async (req, res) => {
  const send = (status, html) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // Never inside another site's frame (clickjacking of Allow), no script, forms only to
      // Writ, no Referer carrying the interaction id.
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${new URL(writ).origin}; frame-ancestors 'none'; base-uri 'none'`,
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    });
    res.end(html);
  };
  const m = /^\/ui\/([A-Za-z0-9._-]{1,8192})$/.exec(new URL(req.url, 'http://x').pathname);
  // An id of dots only would make the URL below a path of Writ's other than the interaction.
  if (req.method !== 'GET' || !m || /^\.+$/.test(m[1])) return send(404, page('Not found', '<p>Not found.</p>'));
  let answer;
  try {
    answer = await fetch(`${writ}/interaction/${m[1]}`, {
      headers: {
        accept: 'application/json',
        cookie: req.headers.cookie ?? '',
        'accept-language': req.headers['accept-language'] ?? '',
      },
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
  } catch (e) {
    return send(502, page('Unavailable', '<p>The sign-in service does not answer. Try again in a moment.</p>'));
  }
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    // Writ's JSON error: the code and a safe description. Tell the person what to do.
    return send(
      answer.status,
      page('Cannot continue', `<p>This sign-in cannot continue: go back to the application and try again.</p>
<p><small>${esc(body.error)}: ${esc(body.error_description)}</small></p>`),
    );
  }
  return send(200, body.login ? consentForm(body) : loginForm(body));
});

server.listen(port, '127.0.0.1', () => console.log(`custom UI on http://127.0.0.1:${port}/ui/ for ${writ}`));
