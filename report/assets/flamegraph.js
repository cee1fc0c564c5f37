// The flame graph of the mixed stacks (root at the top): click a frame to zoom into it,
// click a frame above the zoomed one (or "Reset zoom") to go back out; a regular expression
// highlights matching frames and reports their share. Python, native and merged frames are
// coloured apart. It weighs stacks by CPU time, wall time (wall mode) or allocated bytes
// (when memory was tracked), for all threads or the one the thread filter picks.

const FLAME_ROW = 18;     // px per frame row
const FLAME_MIN_PX = 0.7; // frames narrower than this are not drawn (nor their children)

function flameView(M, reveal) {
  const state = { metric: M.defaultMetric, byFunction: false, hideStartup: true, zoom: null, regex: null, root: null };
  const section = el('section', { id: 'flame' }, el('h2', null, 'Flame graph ',
    legend([['fg-py-key', 'Python'], ['fg-nat-key', 'native'], ['fg-other-key', 'merged / other'], ['fg-match-key', 'search match']])));

  const metricSelect = el('select', { id: 'flame-metric', 'aria-label': 'Weigh stacks by' },
    ...M.metrics.map((m) => el('option', { value: m, selected: m === state.metric }, METRIC_LABELS[m])));
  const byFunction = el('input', { type: 'checkbox', id: 'flame-by-function' });
  const hideStartup = el('input', { type: 'checkbox', id: 'flame-hide-startup', checked: true });
  const search = el('input', { type: 'search', id: 'flame-search', placeholder: 'search: regular expression', spellcheck: 'false', size: 28 });
  const reset = el('button', { type: 'button', id: 'flame-reset' }, 'Reset zoom');
  const match = el('span', { id: 'flame-match', class: 'muted' });
  section.append(el('div', { class: 'controls' },
    el('label', null, 'Weigh by ', metricSelect),
    el('label', { title: 'merge the lines of a function into one frame' }, byFunction, ' one frame per function'),
    el('label', { title: 'the native frames above the outermost Python frame: how the interpreter and its threads started' },
      hideStartup, ' hide interpreter start-up frames'),
    search, match, reset));
  const holder = el('div', { class: 'flame-holder' });
  const info = el('div', { class: 'flame-info muted' }, 'Click a frame to zoom in; hover for details.');
  section.append(holder, info);

  const frameKey = (f) => {
    const fr = M.frames[f];
    return state.byFunction ? fr.kind + '\u0000' + fr.name + '\u0000' + (fr.path || fr.module || '') : String(f);
  };

  // Native frames on the root side of the outermost Python frame (_start, Py_BytesMain,
  // thread start routines), when a Python frame follows them: tree nodes to skip.
  const startupNodes = (() => {
    const count = M.nodeParent.length;
    const python = (n) => M.frames[M.nodeFrame[n]].kind === 'python';
    const pythonBelow = new Uint8Array(count);  // a Python frame at or below the node
    for (let n = count - 1; n >= 0; n--) {      // children come after their parents
      if (python(n)) pythonBelow[n] = 1;
      if (pythonBelow[n] && M.nodeParent[n] >= 0) pythonBelow[M.nodeParent[n]] = 1;
    }
    const skip = new Uint8Array(count);
    const pythonAbove = new Uint8Array(count);  // a Python frame at or above the node
    for (let n = 0; n < count; n++) {
      const parent = M.nodeParent[n];
      pythonAbove[n] = python(n) || (parent >= 0 && pythonAbove[parent]) ? 1 : 0;
      skip[n] = !pythonAbove[n] && pythonBelow[n] && M.frames[M.nodeFrame[n]].kind === 'native' ? 1 : 0;
    }
    return skip;
  })();

  // Builds the weighted tree of the stacks in view.
  function build() {
    const root = { frame: -1, value: 0, self: 0, children: new Map(), parent: null, depth: 0, label: 'all' };
    const memo = new Array(M.nodeParent.length);
    const flameOf = (n) => {
      if (memo[n]) return memo[n];
      const parent = M.nodeParent[n] >= 0 ? flameOf(M.nodeParent[n]) : root;
      if (state.hideStartup && startupNodes[n]) return (memo[n] = parent);
      const key = frameKey(M.nodeFrame[n]);
      let node = parent.children.get(key);
      if (!node) {
        node = { frame: M.nodeFrame[n], value: 0, self: 0, children: new Map(), parent, depth: parent.depth + 1 };
        parent.children.set(key, node);
      }
      memo[n] = node;
      return node;
    };
    for (const s of M.stacksInView()) {
      const v = stackValue(s, state.metric);
      if (!(v > 0)) continue;
      const leaf = s.leaf >= 0 ? flameOf(s.leaf) : root;  // a stack may have no frame left to show
      leaf.self += v;
      for (let node = leaf; node; node = node.parent) node.value += v;
    }
    state.root = root;
    state.zoom = root;
  }

  function nodeText(node) {
    if (node.frame < 0) return 'all';
    const fr = M.frames[node.frame];
    if (state.byFunction && fr.kind === 'python') return fr.name + (fr.path ? ' ' + M.shortPath(fr.path) : '');
    return fr.text;
  }
  // A frame matches when its name, or its name with its place ("file.py:12", the module of
  // a native frame), does.
  function matches(node) {
    return state.regex !== null && node.frame >= 0 && (state.regex.test(M.frames[node.frame].name) || state.regex.test(nodeText(node)));
  }
  function matchedValue(node) {
    if (matches(node)) return node.value;
    let sum = 0;
    for (const child of node.children.values()) sum += matchedValue(child);
    return sum;
  }
  function fill(node) {
    if (node.frame < 0) return 'var(--fg-root)';
    const fr = M.frames[node.frame];
    const h = hashString(fr.name);
    if (fr.kind === 'native') return 'hsl(' + (22 + (h % 22)) + ',' + (72 + (h >> 8) % 18) + '%,' + (58 + (h >> 16) % 12) + '%)';
    if (fr.kind === 'python' && !fr.name.startsWith('<truncated')) return 'hsl(' + (195 + (h % 40)) + ',' + (48 + (h >> 8) % 20) + '%,' + (62 + (h >> 16) % 12) + '%)';
    return 'hsl(0,0%,' + (70 + h % 10) + '%)';
  }
  function kindClass(node) {
    if (node.frame < 0) return 'root';
    const kind = M.frames[node.frame].kind;
    return kind === 'python' || kind === 'native' ? kind : 'other';
  }

  const elements = new Map();  // <g> -> tree node
  function render() {
    elements.clear();
    const width = Math.max(320, holder.clientWidth || section.clientWidth || 1200);
    const root = state.root;
    if (!root || !(root.value > 0)) {
      holder.replaceChildren(el('p', { class: 'muted' }, 'No stack has any ' + METRIC_LABELS[state.metric] + (M.thread >= 0 ? ' in this thread.' : '.')));
      match.textContent = '';
      return;
    }
    const zoom = state.zoom;
    const chain = [];
    for (let n = zoom.parent; n; n = n.parent) chain.unshift(n);
    let maxDepth = zoom.depth;
    const g = svg('g');
    const draw = (node, x, w, ancestor) => {
      if (w < FLAME_MIN_PX) return;
      maxDepth = Math.max(maxDepth, node.depth);
      const item = svg('g', { class: 'fg-node fg-' + kindClass(node) + (matches(node) ? ' match' : '') + (ancestor ? ' ancestor' : ''),
        transform: 'translate(' + x.toFixed(2) + ',' + node.depth * FLAME_ROW + ')' });
      item.append(svg('rect', { width: Math.max(w - 0.5, 0.2).toFixed(2), height: FLAME_ROW - 1, fill: matches(node) ? null : fill(node) }));
      const label = nodeText(node);
      if (w > 26) {
        const chars = Math.floor((w - 6) / 6.6);
        item.append(svg('text', { x: 3, y: FLAME_ROW - 5 }, label.length > chars ? label.slice(0, Math.max(chars - 1, 1)) + '\u2026' : label));
      }
      item.append(svg('title', null, label + ' \u2014 ' + fmtMetric(state.metric, node.value) + ' (' + (fmtPct(node.value, root.value) || '0%') + ')'));
      g.append(item);
      elements.set(item, node);
      if (ancestor) return;
      let cx = x;
      const children = Array.from(node.children.values()).filter((c) => c.value > 0).sort((a, b) => b.value - a.value);
      for (const child of children) {
        const cw = (w * child.value) / node.value;
        draw(child, cx, cw, false);
        cx += cw;
      }
    };
    for (const a of chain) draw(a, 0, width, true);
    draw(zoom, 0, width, false);
    const height = (maxDepth + 1) * FLAME_ROW;
    const root_svg = svg('svg', { class: 'flame', width, height, viewBox: '0 0 ' + width + ' ' + height, id: 'flame-svg' }, g);
    holder.replaceChildren(root_svg);
    updateMatch();
  }

  function updateMatch() {
    if (state.regex === null) {
      match.textContent = '';
      match.removeAttribute('data-share');
      return;
    }
    const total = state.root.value;
    const matched = matchedValue(state.root);
    const inZoom = state.zoom !== state.root ? matchedValue(state.zoom) : matched;
    const share = total > 0 ? matched / total : 0;
    match.setAttribute('data-share', String(share));
    match.setAttribute('data-count', String(holder.querySelectorAll('g.fg-node.match').length));
    match.textContent = 'matched ' + fmtMetric(state.metric, matched) + ' = ' + (100 * share).toFixed(1) + '% of all' +
      (state.zoom !== state.root && state.zoom.value > 0 ? ', ' + (100 * inZoom / state.zoom.value).toFixed(1) + '% of the zoomed frame' : '');
  }

  function describe(node) {
    const root = state.root;
    const parts = [nodeText(node), fmtMetric(state.metric, node.value) + ' (' + (fmtPct(node.value, root.value) || '0%') + ' of all)'];
    if (node.self > 0) parts.push('self ' + fmtMetric(state.metric, node.self));
    if (node.frame >= 0 && M.frames[node.frame].kind === 'native' && M.frames[node.frame].source) parts.push(M.frames[node.frame].source);
    info.replaceChildren(parts.join(' \u00b7 '));
    if (node.frame >= 0) {
      const fr = M.frames[node.frame];
      if (fr.fileIndex >= 0 && fr.line !== null) {
        info.append(' \u00b7 ', el('a', { href: '#L' + fr.fileIndex + '-' + fr.line, onclick: (e) => { e.preventDefault(); reveal(fr.fileIndex, fr.line); } }, 'show the line'));
      }
    }
  }

  holder.addEventListener('click', (e) => {
    const item = e.target.closest('g.fg-node');
    if (!item || !elements.has(item)) return;
    const node = elements.get(item);
    state.zoom = node;
    render();
    describe(node);
  });
  holder.addEventListener('mouseover', (e) => {
    const item = e.target.closest('g.fg-node');
    if (item && elements.has(item)) describe(elements.get(item));
  });
  reset.addEventListener('click', () => { state.zoom = state.root; render(); });
  metricSelect.addEventListener('change', () => { state.metric = metricSelect.value; build(); render(); });
  byFunction.addEventListener('change', () => { state.byFunction = byFunction.checked; build(); render(); });
  hideStartup.addEventListener('change', () => { state.hideStartup = hideStartup.checked; build(); render(); });
  search.addEventListener('input', () => {
    const text = search.value;
    search.classList.remove('invalid');
    if (!text) state.regex = null;
    else {
      try { state.regex = new RegExp(text, 'i'); } catch (err) { state.regex = null; search.classList.add('invalid'); match.textContent = 'not a valid regular expression'; }
    }
    render();
  });
  let resizeTimer = 0;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(render, 150); });
  M.listeners.push(() => { build(); render(); });

  build();
  return {
    node: section,
    render,  // call once the section is in the document, so it knows its width
    state,
    elements,
    startupNodes,
  };
}
