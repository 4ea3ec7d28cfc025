// The troubleshooter page end to end, in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core): each fixture pasted as a person would, the verdicts and fix commands the
// page renders, a screenshot, and the promise the page makes, measured: no request after load,
// and the fixtures' credential nowhere in the DOM or the console.
//
// Run by `make web-tests` (after `make web`): `cd web && node --test tests/`.

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(WEB, 'dist');
const FIXTURES = path.join(WEB, 'tests', 'fixtures');
const SHOTS = path.join(WEB, '..', 'target', 'web');

const USER = 'e2e-robot';
const PASSWORD = 's3cr3t-Pa55w0rd-e2e';
const AUTH = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const CREDENTIALS = [PASSWORD, AUTH, `${USER}:${PASSWORD}`, USER];

// The expired ECR token of expired-ecr-token.yaml, cut in pieces: none may show. Read from the
// fixture as the page's user pastes it.
async function ecrTokenPieces() {
  const text = await readFile(path.join(FIXTURES, 'expired-ecr-token.yaml'), 'utf8');
  const config = JSON.parse(Buffer.from(text.match(/\.dockerconfigjson: "?([A-Za-z0-9+/=]+)/)[1], 'base64').toString());
  const entry = Object.values(config.auths)[0];
  const envelope = JSON.parse(Buffer.from(entry.password, 'base64').toString());
  const pieces = [];
  for (const secret of [entry.password, entry.auth, envelope.payload, envelope.datakey]) {
    for (let i = 0; i + 16 <= secret.length; i += 16) pieces.push(secret.slice(i, i + 16));
  }
  return pieces;
}

// ---- a static server for web/dist that logs every request it gets ---------------------------

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const served = [];

const server = createServer(async (request, response) => {
  served.push(request.url);
  const url = new URL(request.url, 'http://localhost');
  const file = path.join(DIST, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname));
  try {
    if (!file.startsWith(DIST + path.sep)) throw new Error('outside dist');
    const body = await readFile(file);
    response.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    response.end(body);
  } catch {
    response.writeHead(404);
    response.end();
  }
});

let browser;
let origin;
let profile;

before(async () => {
  await stat(path.join(DIST, 'pkg', 'module.js')).catch(() => {
    throw new Error('web/dist is not built: run `make web` first');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  profile = await mkdtemp(path.join(tmpdir(), 'troubleshooter-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    // Without the background-networking flags Chromium reaches out to Google on its own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await mkdir(SHOTS, { recursive: true });
  CREDENTIALS.push(...await ecrTokenPieces());
});

after(async () => {
  await browser?.close();
  server.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/**
 * Opens the page, pastes `objects` (and `settings`), clicks Explain. Returns the page and what
 * it did after load: the requests Chromium saw, those the server got, the CSP violations, and
 * the console.
 */
async function explain(objects, settings = '') {
  const page = await browser.newPage();
  const seen = { requests: [], afterLoad: null, console: [], errors: [] };
  page.on('request', (request) => seen.requests.push(request.url()));
  page.on('console', (message) => seen.console.push(message.text()));
  page.on('pageerror', (error) => seen.errors.push(error.message));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  await page.goto(`${origin}/`, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]');
  seen.afterLoad = { browser: seen.requests.length, server: served.length };
  await page.fill('#objects', objects);
  await page.fill('#settings', settings);
  await page.click('button#explain');
  await page.waitForSelector('#report[data-state="done"]');
  return { page, seen };
}

/** What the page showed: one entry per container, and the fix commands. */
async function rendered(page) {
  return page.evaluate(() => ({
    containers: [...document.querySelectorAll('#report [data-container]')].map((node) => ({
      object: node.dataset.object,
      container: node.dataset.container,
      verdict: node.dataset.verdict,
      text: node.textContent,
    })),
    fixes: [...document.querySelectorAll('#report code.fix')].map((node) => node.textContent),
    text: document.querySelector('#report').innerText,
  }));
}

/** The page's promise: nothing sent after load, no credential shown or logged, no error. */
async function assertNothingLeaked(page, seen) {
  assert.deepEqual(seen.requests.slice(seen.afterLoad.browser), [], 'requests after load');
  assert.deepEqual(served.slice(seen.afterLoad.server), [], 'requests the server got after load');
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'CSP violations');
  assert.deepEqual(seen.errors, [], 'page errors');
  assert.deepEqual(seen.console, [], 'console messages');
  const dom = await page.evaluate(() => document.documentElement.outerHTML + document.body.innerText);
  for (const secret of CREDENTIALS) {
    assert.ok(!dom.includes(secret), `${secret} in the DOM`);
    assert.ok(!seen.console.some((m) => m.includes(secret)), `${secret} in the console`);
  }
}

const fixture = (name) => readFile(path.join(FIXTURES, name), 'utf8');
const create = (name, server, ns = 'team-a') =>
  `kubectl create secret docker-registry ${name} --docker-server=${server} --docker-username=<user> --docker-password=<password> -n ${ns}`;
const replace = (name, server) => `${create(name, server)} --dry-run=client -o yaml | kubectl apply -f -`;

// Each case of the issue: the fixture, what the page must show for each container, the fix
// commands in order, and words the chain must hold.
const CASES = [
  {
    name: 'a Pod with no secret',
    objects: 'pod-no-secret.yaml',
    verdicts: [['Pod/web', 'app', 'no-credentials']],
    fixes: [
      create('regcred', 'private.registry.com'),
      'kubectl get pod web -n team-a -o yaml > pod.yaml',
      'kubectl delete pod web -n team-a && kubectl apply -f pod.yaml',
    ],
    says: ['private.registry.com', 'team/app', 'no pull secret the Pods use holds a key the kubelet would send'],
  },
  {
    name: 'a secret for the wrong host',
    objects: 'wrong-host.yaml',
    verdicts: [['Pod/api', 'api', 'no-credentials']],
    fixes: [
      create('regcred', 'private.registry.com'),
      'kubectl get pod api -n team-a -o yaml > pod.yaml',
      'kubectl delete pod api -n team-a && kubectl apply -f pod.yaml',
    ],
    says: ['gitlab-creds', '"registry.gitlab.com" → registry.gitlab.com', 'it is for another registry'],
  },
  {
    name: 'a missing :5000',
    objects: 'missing-port.yaml',
    verdicts: [['Deployment/inventory', 'inventory', 'no-credentials']],
    fixes: [
      replace('local-creds', 'registry.local:5000'),
      'kubectl rollout restart deployment/inventory -n team-a',
    ],
    says: ['registry.local:5000', 'the port differs: the key has no port'],
  },
  {
    name: 'the Docker Hub default key',
    objects: 'dockerhub-default-key.yaml',
    verdicts: [
      ['StatefulSet/ledger', 'ledger', 'no-credentials'],
      ['StatefulSet/ledger', 'exporter', 'sends-credentials'],
    ],
    fixes: [
      create('regcred-2', 'private.registry.com'),
      'kubectl patch statefulset ledger -n team-a --type=json -p=\'[{"op":"add","path":"/spec/template/spec/imagePullSecrets/-","value":{"name":"regcred-2"}}]\'',
      'kubectl rollout restart statefulset/ledger -n team-a',
    ],
    says: ['"https://index.docker.io/v1/"', 'writes when --docker-server is left out', 'docker.io · myorg/exporter'],
    screenshot: true,
  },
  {
    name: 'a poison Secret',
    objects: 'poison-secret.yaml',
    verdicts: [['Pod/shop', 'web', 'fails'], ['Pod/shop', 'shop', 'fails']],
    fixes: [
      replace('regcred', 'private.registry.com'),
      'kubectl delete pod shop -n team-a && kubectl apply -f pod.yaml',
    ],
    says: ['poison: the kubelet cannot decode it', 'public images included'],
  },
  {
    name: 'a Deployment relying on its ServiceAccount',
    objects: 'deployment-service-account.json',
    verdicts: [['Deployment/builder-app', 'app', 'sends-credentials']],
    fixes: [],
    says: ['ServiceAccount "builder"', 'docker login private.registry.com', 'If the pull still fails'],
  },
  {
    name: 'an expired ECR token',
    objects: 'expired-ecr-token.yaml',
    verdicts: [['Deployment/payments', 'payments', 'fails']],
    fixes: [
      'kubectl create secret docker-registry ecr-creds --docker-server=123456789012.dkr.ecr.eu-west-1.amazonaws.com --docker-username=AWS --docker-password="$(aws ecr get-login-password --region eu-west-1)" -n team-a --dry-run=client -o yaml | kubectl apply -f -',
      'kubectl rollout restart deployment/payments -n team-a',
    ],
    says: ['(expired ', ' days ago, at 2025-11-20T21:14:03Z)',
      'an Amazon ECR authorization token that expired', 'write a fresh ECR token into Secret "ecr-creds"'],
  },
  {
    name: 'the policy rejection, with the ClusterAdmissionPolicy as settings',
    objects: 'pod-no-secret.yaml',
    settings: 'policy.yaml',
    verdicts: [['Pod/web', 'app', 'fails']],
    fixes: [
      create('regcred', 'private.registry.com'),
      'kubectl get pod web -n team-a -o yaml > pod.yaml',
      'kubectl delete pod web -n team-a && kubectl apply -f pod.yaml',
    ],
    says: ['The policy rejects it', 'spec.settings of ClusterAdmissionPolicy/image-pull-secrets',
      'which needs one of the pull secrets regcred, regcred-ro'],
  },
];

describe('the troubleshooter page', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const settings = c.settings ? await fixture(c.settings) : '';
      const { page, seen } = await explain(await fixture(c.objects), settings);
      try {
        const shown = await rendered(page);
        assert.deepEqual(
          shown.containers.map((x) => [x.object, x.container, x.verdict]), c.verdicts);
        assert.deepEqual(shown.fixes, c.fixes);
        for (const words of c.says) assert.ok(shown.text.includes(words), `"${words}" in:\n${shown.text}`);
        // Every case is pasted from kubectl, so each gets its prevention.
        assert.ok(shown.text.includes('Prevent it next time'));
        await assertNothingLeaked(page, seen);
        const shot = path.join(SHOTS, 'screenshots', `${path.basename(c.objects).split('.')[0]}${c.settings ? '-settings' : ''}.png`);
        await mkdir(path.dirname(shot), { recursive: true });
        await page.screenshot({ path: shot, fullPage: true });
        if (c.screenshot) await page.screenshot({ path: path.join(SHOTS, 'screenshot.png'), fullPage: true });
      } finally {
        await page.close();
      }
    });
  }

  test('all fixtures at once, with notes for what is not a workload', async () => {
    const names = ['pod-no-secret.yaml', 'wrong-host.yaml', 'missing-port.yaml',
      'dockerhub-default-key.yaml', 'poison-secret.yaml', 'deployment-service-account.json',
      'expired-ecr-token.yaml'];
    const texts = await Promise.all(names.map(fixture));
    const objects = `${texts.join('\n---\n')}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n`;
    const { page, seen } = await explain(objects);
    try {
      const shown = await rendered(page);
      // Two Secrets are named regcred in team-a: the later one pasted wins, as in the cluster.
      assert.equal(shown.containers.length, 9);
      assert.ok(shown.text.includes('ConfigMap/cfg'), shown.text);
      await assertNothingLeaked(page, seen);
    } finally {
      await page.close();
    }
  });

  test('the Content-Security-Policy forbids requests, and the page makes none', async () => {
    const { page, seen } = await explain(await fixture('poison-secret.yaml'));
    try {
      await assertNothingLeaked(page, seen);
      // What the page could try, were it to: refused by the browser before any byte is sent.
      const outcome = await page.evaluate(() => fetch('/index.html').then(
        () => 'sent', (error) => `refused: ${error.name}`));
      assert.equal(outcome, 'refused: TypeError');
      const violations = await page.evaluate(() => window.__violations);
      assert.ok(violations.some((v) => v.startsWith('connect-src')), violations.join('\n'));
      assert.deepEqual(served.slice(seen.afterLoad.server), [], 'the server got nothing');
    } finally {
      await page.close();
    }
  });

  test('a file dropped on a box fills it', async () => {
    const { page } = await explain('');
    try {
      const text = await fixture('missing-port.yaml');
      const transfer = await page.evaluateHandle((content) => {
        const data = new DataTransfer();
        data.items.add(new File([content], 'missing-port.yaml', { type: 'application/yaml' }));
        return data;
      }, text);
      await page.dispatchEvent('#objects', 'drop', { dataTransfer: transfer });
      await page.waitForFunction(() => document.querySelector('#objects').value.length > 0);
      assert.equal(await page.inputValue('#objects'), text);
      await page.click('button#explain');
      await page.waitForSelector('#report [data-verdict="no-credentials"]');
    } finally {
      await page.close();
    }
  });
});

describe('what is served', () => {
  test('the module imports nothing but wasm-bindgen\'s own glue: it cannot reach the network', async () => {
    const source = await readFile(path.join(DIST, 'pkg', 'module.js'), 'utf8');
    const base64 = source.match(/export default "([A-Za-z0-9+/=]+)"/)[1];
    const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
    assert.deepEqual(WebAssembly.Module.imports(module).map((i) => `${i.module} ${i.name}`),
      ['./image_pull_secrets_web_bg.js __wbindgen_init_externref_table']);
    assert.deepEqual(WebAssembly.Module.exports(module).map((e) => e.name).filter((n) => n.startsWith('__guest')), []);
  });

  test('web/dist holds the page and its scripts, and no .wasm file to fetch', async () => {
    const files = (await readdir(DIST, { recursive: true })).sort();
    assert.deepEqual(files, ['app.js', 'index.html', 'pkg', 'pkg/image_pull_secrets_web.js',
      'pkg/module.js', 'style.css']);
  });

  test('the page\'s script neither parses text as HTML, nor logs, nor sends', async () => {
    const app = await readFile(path.join(DIST, 'app.js'), 'utf8');
    for (const word of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'console.',
      'fetch(', 'XMLHttpRequest', 'sendBeacon', 'WebSocket', 'localStorage', 'sessionStorage', 'eval(']) {
      assert.ok(!app.includes(word), `${word} in app.js`);
    }
    // The one decoding of base64: the module's own bytes.
    assert.equal(app.match(/atob\(|fromBase64\(/g).length, 2);
  });

  test('the CSP is the one the page promises', async () => {
    const html = await readFile(path.join(DIST, 'index.html'), 'utf8');
    const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)[1];
    assert.equal(csp, "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
      + "connect-src 'none'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'");
  });
});
