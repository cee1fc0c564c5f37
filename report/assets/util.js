// pyrometer HTML report — helpers shared by every view.
// Text from the profile (paths, names, source lines) reaches the page only through text
// nodes and attribute values: el() and svg() never parse markup, so source code that
// contains HTML is shown as text and runs nothing.

// Errors raised while the page draws itself; the self-test reports them.
const pageErrors = [];
window.addEventListener('error', (e) => { pageErrors.push(String(e.message || e.error)); });
window.addEventListener('unhandledrejection', (e) => { pageErrors.push('unhandled rejection: ' + String(e.reason)); });

// The SVG namespace is a name, not an address; it is assembled so that the file holds no
// URL-shaped text at all (the tests check that none is there).
const SVG_NS = ['http:', '', 'www.w3.org', '2000', 'svg'].join('/');

function setAttrs(node, attrs) {
  if (!attrs) return node;
  for (const name of Object.keys(attrs)) {
    const value = attrs[name];
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') node.setAttribute('class', value);
    else if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  return node;
}

// An HTML element; children are nodes or strings (strings become text nodes).
function el(tag, attrs, ...children) {
  const node = setAttrs(document.createElement(tag), attrs);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = setAttrs(document.createElementNS(SVG_NS, tag), attrs);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

// ---- numbers -------------------------------------------------------------------------

function fmtS(s) {
  if (!s) return '';
  if (s >= 100) return s.toFixed(0) + ' s';
  if (s >= 1) return s.toFixed(2) + ' s';
  if (s >= 0.001) return (s * 1e3).toFixed(s >= 0.1 ? 0 : 1) + ' ms';
  return (s * 1e6).toFixed(0) + ' \u00b5s';
}

function fmtDuration(s) {
  if (s >= 120) return Math.floor(s / 60) + ' min ' + (s % 60).toFixed(0) + ' s';
  return fmtS(s) || '0 s';
}

function fmtBytes(b) {
  if (b === null || b === undefined) return '';
  if (!b) return '';
  const sign = b < 0 ? '-' : '';
  let v = Math.abs(b);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return sign + (u === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)) + ' ' + units[u];
}

function fmtPct(part, whole) {
  if (!whole || !part) return '';
  const p = (100 * part) / whole;
  return (p >= 10 ? p.toFixed(0) : p >= 0.1 ? p.toFixed(1) : '<0.1') + '%';
}

// Formats a value of a metric ('cpu', 'wall' in seconds; 'alloc' in bytes).
function fmtMetric(metric, v) {
  if (metric === 'alloc') return fmtBytes(v) || '0 B';
  if (metric === 'samples') return String(Math.round(v));
  return fmtS(v) || '0 s';
}

const METRIC_LABELS = { cpu: 'CPU time', wall: 'wall time', alloc: 'allocated bytes', samples: 'samples' };

// ---- small things ----------------------------------------------------------------------

// A stable small integer from a string, for colours that do not change between reloads.
function hashString(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

// A stacked bar of [cssClass, value] parts scaled so that `scale` fills it.
function stackedBar(parts, scale, title) {
  const box = el('div', { class: 'bar', title });
  for (const [cls, v] of parts) {
    if (!(v > 0) || !(scale > 0)) continue;
    const seg = el('span', { class: cls });
    seg.style.width = Math.min(100, Math.max(0.5, (100 * v) / scale)) + '%';
    box.append(seg);
  }
  return box;
}

function legend(items) {
  return el('span', { class: 'legend' }, ...items.map(([cls, label]) => el('span', null, el('i', { class: cls }), label)));
}

// Parses "#pyro-selftest&search=x&zoom=y" style fragments.
function fragmentParams() {
  const hash = location.hash.replace(/^#/, '');
  const amp = hash.indexOf('&');
  const params = new URLSearchParams(amp >= 0 ? hash.slice(amp + 1) : '');
  return { name: amp >= 0 ? hash.slice(0, amp) : hash, params };
}
