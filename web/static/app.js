// The troubleshooter page: hands what was pasted to the policy's library (compiled to
// WebAssembly) and renders its report.
//
// What this script never does, by design: read Secret data (only the library does, and it keeps
// no credential), log anything, make a request (the CSP forbids it anyway), or parse report
// text as HTML (every string goes in as a text node).

import init, { explain } from './pkg/image_pull_secrets_web.js';
import moduleBase64 from './pkg/module.js';

const $ = (id) => document.getElementById(id);
const objects = $('objects');
const settings = $('settings');
const button = $('explain');
const status = $('status');
const report = $('report');

// ---- loading the module --------------------------------------------------------------------

// The module's own bytes, carried in a script because connect-src 'none' forbids fetching
// them. (This is the only base64 this script decodes.)
function moduleBytes(base64) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(base64);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

try {
  await init({ module_or_path: moduleBytes(moduleBase64) });
  button.disabled = false;
  status.textContent = '';
  document.body.dataset.ready = 'true';
} catch (error) {
  status.textContent = `The checks could not be loaded: ${error.message}`;
  status.classList.add('error');
}

// ---- input: paste, drop, open ---------------------------------------------------------------

async function readFiles(files) {
  const texts = [];
  for (const file of files) texts.push(await file.text());
  return texts.join('\n---\n');
}

for (const [area, picker] of [[objects, $('objects-file')], [settings, $('settings-file')]]) {
  area.addEventListener('dragover', (event) => {
    event.preventDefault();
    area.classList.add('dropping');
  });
  area.addEventListener('dragleave', () => area.classList.remove('dropping'));
  area.addEventListener('drop', async (event) => {
    event.preventDefault();
    area.classList.remove('dropping');
    if (event.dataTransfer.files.length > 0) area.value = await readFiles(event.dataTransfer.files);
  });
  picker.addEventListener('change', async () => {
    if (picker.files.length > 0) area.value = await readFiles(picker.files);
    picker.value = '';
  });
  // Ctrl+Enter (or Cmd+Enter) explains, from either box.
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !button.disabled) {
      event.preventDefault();
      run();
    }
  });
}

// A file dropped beside the boxes would make the browser open it in place of the page, and lose
// what was pasted.
window.addEventListener('dragover', (event) => event.preventDefault());
window.addEventListener('drop', (event) => event.preventDefault());

$('input').addEventListener('submit', (event) => {
  event.preventDefault();
  run();
});

$('clear').addEventListener('click', () => {
  objects.value = '';
  settings.value = '';
  report.replaceChildren();
  delete report.dataset.state;
  status.textContent = '';
  objects.focus();
});

function run() {
  let result;
  try {
    // The library reads no clock: dated credentials (ECR tokens, JWTs) are judged as of now.
    result = JSON.parse(explain(objects.value, settings.value, Date.now()));
  } catch (error) {
    // A trap in the module: its message is the runtime's ("unreachable"), never pasted text.
    report.replaceChildren(el('p', { class: 'error' }, `Internal error: ${error.message}`));
    report.dataset.state = 'error';
    return;
  }
  render(result);
  report.dataset.state = 'done';
  // Announced by the status line (role=status); the report itself takes the focus.
  const containers = result.workloads.reduce((n, w) => n + w.containers.length, 0);
  status.textContent = `Explained ${containers} ${containers === 1 ? 'container' : 'containers'}.`;
  report.focus();
}

// ---- rendering --------------------------------------------------------------------------------

/** An element with attributes and children (strings become text nodes, never markup). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** The library's words, with its `backquoted` parts as code. */
function prose(text) {
  return text.split('`').map((part, i) => (i % 2 === 1 ? el('code', {}, part) : part));
}

const VERDICTS = {
  'sends-credentials': ['✓ credentials sent', 'The kubelet sends credentials for this image.'],
  'no-credentials': ['✗ no credentials sent', 'Pulled without credentials: fine only for a public image.'],
  fails: ['✗ pull fails', 'The pull fails whatever the registry says.'],
};

const SECRET_STATES = {
  usable: 'read by the kubelet',
  missing: 'not found: not pasted, or not in the namespace',
  ignored: 'ignored by the kubelet',
  poison: 'poison: the kubelet cannot decode it',
  unreadable: 'could not be read',
};

function render(result) {
  const parts = [];
  parts.push(summary(result));
  if (result.settings.error) {
    parts.push(el('p', { class: 'settings error' }, 'Policy settings not used: ', ...prose(result.settings.error)));
  } else if (result.settings.source) {
    parts.push(el('p', { class: 'settings' }, `Policy settings: ${result.settings.source}.`));
  }
  if (result.notes.length > 0) {
    parts.push(el('section', { class: 'notes', 'aria-label': 'Notes' },
      el('h2', {}, 'Notes'),
      el('ul', {}, result.notes.map((note) => el('li', { class: `note ${note.level}` },
        el('strong', {}, note.about), ': ', ...prose(note.text))))));
  }
  for (const workload of result.workloads) parts.push(renderWorkload(workload));
  if (result.prevention) parts.push(renderPrevention(result.prevention));
  report.replaceChildren(...parts);
}

function summary(result) {
  const containers = result.workloads.flatMap((w) => w.containers);
  const count = (verdict) => containers.filter((c) => c.verdict === verdict).length;
  if (result.workloads.length === 0) return el('p', { class: 'summary' }, 'Nothing to explain.');
  const workloads = result.workloads.length === 1 ? '1 workload' : `${result.workloads.length} workloads`;
  const noun = containers.length === 1 ? 'container' : 'containers';
  return el('p', { class: 'summary' },
    `${containers.length} ${noun} in ${workloads}: `,
    el('span', { class: 'count sends-credentials' }, `${count('sends-credentials')} sent credentials`), ', ',
    el('span', { class: 'count no-credentials' }, `${count('no-credentials')} sent none`), ', ',
    el('span', { class: 'count fails' }, `${count('fails')} failing`), '.');
}

function renderWorkload(w) {
  const source = [`${w.pullSecrets.names.join(', ') || 'none'}, from `, ...prose(w.pullSecrets.source)];
  return el('article', { class: 'workload', 'data-object': w.object },
    el('h2', {}, w.object, el('span', { class: 'namespace' }, ` in namespace ${w.namespace}`)),
    el('p', { class: 'pull-secrets' }, el('strong', {}, 'Pull secrets its Pods use: '), ...source),
    el('ol', { class: 'containers' }, w.containers.map((c) => renderContainer(w, c))),
    w.policy && renderPolicy(w.policy),
    renderFixes(w.fixes),
    w.remaining && el('section', { class: 'remaining' },
      el('h3', {}, 'If the pull still fails'), el('p', {}, ...prose(w.remaining))));
}

function step(label, ...content) {
  return el('li', { class: 'step' }, el('span', { class: 'label' }, label), el('div', { class: 'value' }, ...content));
}

function renderContainer(w, c) {
  const [badge, meaning] = VERDICTS[c.verdict] ?? [c.verdict, ''];
  const chain = [
    step('Image as written', el('code', {}, c.image)),
    c.invalid
      ? step('Normalised', el('span', { class: 'bad' }, 'invalid: ', ...prose(c.invalid)))
      : step('Registry · repository', el('code', {}, c.registry), ' · ', el('code', {}, c.repository)),
    step('Pull secrets used', w.pullSecrets.names.length > 0
      ? el('ul', {}, w.pullSecrets.names.map((n) => el('li', {}, el('code', {}, n))))
      : el('span', { class: 'bad' }, 'none')),
    step('Registry keys they hold', renderKeys(w.secrets, c.finding)),
    step('Key the kubelet sends', renderSent(c)),
    el('li', { class: 'step verdict' }, el('span', { class: 'label' }, 'Verdict'),
      el('div', { class: 'value' }, el('strong', {}, badge), el('p', {}, ...prose(c.finding)))),
  ];
  return el('li', {
    class: `container ${c.verdict}`,
    'data-container': c.name,
    'data-object': w.object,
    'data-verdict': c.verdict,
  },
  el('h3', {}, `${c.role} `, el('code', {}, c.name), ' ', el('span', { class: `badge ${c.verdict}`, title: meaning }, badge)),
  el('ol', { class: 'chain', 'aria-label': `The kubelet's chain for ${c.role} ${c.name}` }, chain));
}

// A secret's finding is left out where it is the container's verdict already (a poison Secret).
function renderKeys(secrets, verdictFinding) {
  if (secrets.length === 0) return el('span', { class: 'bad' }, 'no pull secret');
  return el('ul', { class: 'secrets' }, secrets.map((s) => el('li', { class: `secret ${s.state}` },
    el('code', {}, s.name), ` — ${SECRET_STATES[s.state] ?? s.state}`,
    s.keys.length > 0 && el('ul', { class: 'keys' }, s.keys.map((k) => el('li', {},
      el('code', {}, k.key),
      k.readsAs ? [' → ', el('code', {}, k.readsAs)] : null,
      k.dropped ? el('span', { class: 'bad' }, ` dropped: ${k.dropped}`) : null,
      k.credentials ? null : el('span', { class: 'bad' }, ' (no credentials)'),
      k.expires ? el('span', { class: k.expired ? 'bad expires' : 'expires' }, ` (${k.expires})`) : null))),
    s.finding && s.finding !== verdictFinding && el('p', { class: 'finding' }, ...prose(s.finding)))));
}

function renderSent(c) {
  const parts = [];
  if (c.sends) {
    parts.push(el('p', { class: 'good' }, el('code', {}, c.sends.key), ' of ', el('code', {}, c.sends.secret),
      c.sends.expires ? el('span', { class: 'expires' }, ` (${c.sends.expires})`) : null));
  } else {
    parts.push(el('p', { class: 'bad' }, 'none'));
  }
  if (c.misses.length > 0) {
    parts.push(el('ul', { class: 'misses' }, c.misses.map((m) => el('li', {},
      el('code', {}, m.key), ' of ', el('code', {}, m.secret), ': ', ...prose(m.why)))));
  }
  return parts;
}

function renderPolicy(policy) {
  return el('section', { class: `policy ${policy.allowed ? 'allowed' : 'rejected'}` },
    el('h3', {}, policy.allowed ? 'The policy accepts it' : 'The policy rejects it'),
    policy.message && el('p', {}, ...prose(policy.message)),
    policy.warnings.length > 0 && el('ul', {}, policy.warnings.map((w) => el('li', {}, 'Warning: ', ...prose(w)))));
}

function copyButton(text, label) {
  const copy = el('button', { type: 'button', class: 'copy', 'aria-label': label }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Select and copy';
    }
    setTimeout(() => { copy.textContent = 'Copy'; }, 2000);
  });
  return copy;
}

function renderFixes(fixes) {
  if (fixes.length === 0) return null;
  return el('section', { class: 'fixes' },
    el('h3', {}, 'Fix it'),
    el('p', { class: 'hint' }, 'In this order. Put the real user name and password (or token) for <user> and <password>: this page never sees them.'),
    el('ol', {}, fixes.map((f, i) => el('li', {},
      el('p', {}, ...prose(f.what)),
      commandBlock(f.command, 'fix', `Copy command ${i + 1}`)))));
}

// A command or manifest to copy: the text in a `code.<codeClass>` element, and its copy button.
function commandBlock(text, codeClass, label) {
  return el('div', { class: 'command' },
    el('pre', {}, el('code', { class: codeClass }, text)),
    copyButton(text, label));
}

function renderPrevention(prevention) {
  return el('section', { class: 'prevention' },
    el('h2', {}, 'Prevent it next time'),
    el('p', {}, 'Generated from what was pasted: the registries its images come from, and the pull secrets that serve them (or should). With these settings the image-pull-secrets policy checks every new Pod and workload, and the pull secrets it reads from the cluster, as this page did, and rejects those whose images the kubelet could not pull, instead of letting their Pods back off. Paste the policy into the settings box above to see its verdict on what you pasted.'),
    el('h3', {}, 'Policy settings'),
    commandBlock(prevention.settings, 'prevention-settings', 'Copy the settings'),
    el('h3', {}, 'ClusterAdmissionPolicy'),
    commandBlock(prevention.policy, 'prevention-policy', 'Copy the ClusterAdmissionPolicy'),
    el('p', { class: 'hint' }, el('code', {}, 'kubectl apply -f policy.yaml'), ' installs it; start with ', el('code', {}, 'spec.mode: monitor'), ' to see what it would reject.'));
}
