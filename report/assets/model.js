// Decodes the page data (report/src/html_page_data.h) into what the views draw from: the
// frames, the stacks as a prefix tree, per-thread line tables, and the line detail.

// Counter positions in page.stacks rows (after thread, leaf node, charged node).
const C_SAMPLES = 0, C_PY = 1, C_NAT = 2, C_SYS = 3, C_WALL = 4, C_GIL = 5, C_GILW = 6, C_ALLOC = 7;

function buildModel(data) {
  const page = data.page || {};
  const M = {
    data,
    page,
    wallMode: data.mode === 'wall',
    memory: data.memory || null,
    files: data.files || [],
    thread: -1,          // the thread filter: an index into M.threads, or -1 for all
    listeners: [],       // called after the thread filter changes
  };
  M.metrics = ['cpu'].concat(M.wallMode ? ['wall'] : [], M.memory ? ['alloc'] : []);
  M.defaultMetric = M.wallMode ? 'wall' : 'cpu';
  M.fileIndex = new Map(M.files.map((f, i) => [f.path, i]));

  // Paths under the program's directory read better relative; titles keep the full one.
  M.commonDir = (() => {
    const paths = M.files.map((f) => f.path);
    if (!paths.length) return '';
    let prefix = paths[0].slice(0, paths[0].lastIndexOf('/') + 1);
    for (const p of paths) while (prefix && !p.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
    return prefix.length > 1 ? prefix : '';
  })();
  M.shortPath = (path) => (path && M.commonDir && path.startsWith(M.commonDir) ? path.slice(M.commonDir.length) : path || '');

  // Source text: sparse, by line number; lines not embedded are undefined.
  M.sources = M.files.map(() => null);
  for (const s of page.sources || []) {
    const fi = M.fileIndex.get(s.path);
    if (fi === undefined) continue;
    const src = { lines: [], count: s.line_count || 0, truncated: !!s.truncated, partial: !!s.partial, available: !!s.chunks };
    for (const [first, lines] of s.chunks || []) lines.forEach((text, k) => { src.lines[first + k] = text; });
    M.sources[fi] = src;
  }
  M.sourceLine = (fi, line) => {
    const src = M.sources[fi];
    return src && src.lines[line] !== undefined ? src.lines[line] : null;
  };

  // A function's def line by name, for frames whose line the interpreter did not know.
  const defLines = M.files.map((f) => new Map((f.functions || []).map((fn) => [fn.name, fn.line])));

  const funcs = page.funcs || [];
  M.frames = (page.frames || []).map(([func, line]) => {
    const f = funcs[func] || {};
    const frame = {
      kind: f.kind || 'python', name: String(f.name || '?'), path: f.path || null,
      line: typeof line === 'number' ? line : null, module: f.module || null,
      source: typeof f.source === 'string' ? f.source : null,
    };
    // Only Python frames point at the profiled files; a native frame's path and line are
    // its C source, shown as `source`.
    frame.fileIndex = frame.kind === 'python' && frame.path !== null && M.fileIndex.has(frame.path) ? M.fileIndex.get(frame.path) : -1;
    if (frame.kind === 'python') {
      frame.where = frame.path ? M.shortPath(frame.path) + (frame.line !== null ? ':' + frame.line : '') : '';
    } else if (frame.kind === 'native') {
      frame.where = frame.module ? frame.module.slice(frame.module.lastIndexOf('/') + 1) : '';
      if (!frame.source && frame.path) frame.source = frame.path.slice(frame.path.lastIndexOf('/') + 1) + (frame.line !== null ? ':' + frame.line : '');
    } else {
      frame.where = '';
    }
    frame.text = frame.name + (frame.where ? ' ' + frame.where : '');
    return frame;
  });
  M.hasNativeFrames = M.frames.some((f) => f.kind === 'native');

  const nodes = page.nodes || [];
  const count = nodes.length >> 1;
  M.nodeParent = new Int32Array(count);
  M.nodeFrame = new Int32Array(count);
  M.nodeDepth = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const back = nodes[2 * n];  // the distance back to the parent; 0 for a root
    const parent = back > 0 ? n - back : -1;
    M.nodeParent[n] = parent;
    M.nodeFrame[n] = nodes[2 * n + 1];
    M.nodeDepth[n] = parent >= 0 ? M.nodeDepth[parent] + 1 : 0;  // parents come first
  }
  M.stacks = (page.stacks || []).map((r) => {
    let charged = r[2] >= 0 ? r[1] : -1;  // r[2]: the charged frame's steps up from the leaf
    for (let up = r[2]; up > 0 && charged >= 0; up--) charged = M.nodeParent[charged];
    return { t: r[0], leaf: r[1], charged, c: r.slice(3) };
  });

  // The (file, line) a stack was charged to, by charged node.
  const chargedCache = new Map();
  M.chargedLine = (node) => {
    if (node < 0) return null;
    let hit = chargedCache.get(node);
    if (hit === undefined) {
      const frame = M.frames[M.nodeFrame[node]];
      let line = frame.line;
      if (line === null && frame.fileIndex >= 0) line = defLines[frame.fileIndex].get(frame.name) || null;
      hit = frame.fileIndex >= 0 && line !== null ? { fi: frame.fileIndex, line } : null;
      chargedCache.set(node, hit);
    }
    return hit;
  };

  // Threads: the page's thread indices, with the names and totals of data.threads.
  const byId = new Map((data.threads || []).map((t) => [t.pid + ':' + t.tid, t]));
  M.threads = (page.threads || []).map(([pid, tid]) => {
    const t = byId.get(pid + ':' + tid);
    return { pid, tid, name: t ? t.name : 'thread ' + tid, cpu_s: t ? t.cpu_s : 0, wall_s: t ? t.wall_s : 0, samples: t ? t.samples || 0 : 0 };
  });
  M.threadIndex = (pid, tid) => M.threads.findIndex((t) => t.pid === pid && t.tid === tid);
  M.setThread = (t) => {
    M.thread = t;
    for (const fn of M.listeners) fn();
  };
  M.stacksInView = () => (M.thread < 0 ? M.stacks : M.stacks.filter((s) => s.t === M.thread));

  M.value = stackValue;
  M.totals = () => {
    const sum = { cpu: 0, wall: 0, alloc: 0, samples: 0 };
    for (const s of M.stacksInView()) for (const m in sum) sum[m] += stackValue(s, m);
    if (M.thread < 0 && data.cpu_s > 0) sum.cpu = data.cpu_s;
    return sum;
  };

  // Per-file line rows for the thread filter: data.files as it is for all threads, else
  // summed from the stacks charged to each line (live and peak bytes are not per thread).
  const lineCache = new Map();
  M.fileLines = () => {
    if (M.thread < 0) return M.files.map((f) => f.lines);
    if (lineCache.has(M.thread)) return lineCache.get(M.thread);
    const perFile = M.files.map(() => new Map());
    for (const s of M.stacksInView()) {
      const at = M.chargedLine(s.charged);
      if (!at) continue;
      let row = perFile[at.fi].get(at.line);
      if (!row) {
        row = { line: at.line, cpu_python_s: 0, cpu_native_s: 0, cpu_system_s: 0, wall_s: 0, gil_held_s: 0, gil_wait_s: 0,
          alloc_bytes: 0, free_bytes: null, live_bytes: null, peak_bytes: null, samples: 0 };
        perFile[at.fi].set(at.line, row);
      }
      row.cpu_python_s += s.c[C_PY] / 1e6;
      row.cpu_native_s += s.c[C_NAT] / 1e6;
      row.cpu_system_s += s.c[C_SYS] / 1e6;
      row.wall_s += s.c[C_WALL] / 1e6;
      row.gil_held_s += s.c[C_GIL] / 1e6;
      row.gil_wait_s += s.c[C_GILW] / 1e6;
      row.alloc_bytes += s.c[C_ALLOC];
      row.samples += s.c[C_SAMPLES];
    }
    const result = perFile.map((m) => Array.from(m.values()).sort((a, b) => a.line - b.line));
    lineCache.set(M.thread, result);
    return result;
  };

  // What happened under and above one line: its callers (the Python frames above the
  // charged frame), the native functions and library Python code below it.
  M.lineDetail = (fi, line, metric) => {
    const chains = new Map();
    const natives = new Map();
    const pythonBelow = new Map();
    let total = 0;
    let stacks = 0;
    const add = (map, key, make, v, self) => {
      let e = map.get(key);
      if (!e) { e = make(); e.total = 0; e.self = 0; map.set(key, e); }
      e.total += v;
      if (self) e.self += v;
    };
    for (const s of M.stacksInView()) {
      const at = M.chargedLine(s.charged);
      if (!at || at.fi !== fi || at.line !== line) continue;
      const v = stackValue(s, metric);
      if (!(v > 0)) continue;
      total += v;
      stacks++;
      const frames = [];  // the Python frames above the charged one (and "(other stacks)")
      for (let n = M.nodeParent[s.charged]; n >= 0; n = M.nodeParent[n]) {
        if (M.frames[M.nodeFrame[n]].kind !== 'native') frames.push(M.nodeFrame[n]);
      }
      add(chains, frames.join(','), () => ({ frames }), v, false);
      const seen = new Set();
      for (let n = s.leaf; n >= 0 && n !== s.charged; n = M.nodeParent[n]) {
        const frame = M.frames[M.nodeFrame[n]];
        const key = frame.kind + '\u0000' + frame.name + '\u0000' + (frame.module || frame.path || '');
        if (seen.has(key)) continue;
        seen.add(key);
        if (frame.kind === 'native') add(natives, key, () => ({ frame }), v, n === s.leaf);
        else if (frame.kind === 'python') add(pythonBelow, key, () => ({ frame }), v, n === s.leaf);
      }
    }
    const sorted = (map) => Array.from(map.values()).sort((a, b) => b.total - a.total);
    return { total, stacks, chains: sorted(chains), natives: sorted(natives), pythonBelow: sorted(pythonBelow) };
  };

  // Native functions over the stacks in view: self and total, and the lines that led there.
  M.nativeHotspots = (metric) => {
    const byFunction = new Map();
    for (const s of M.stacksInView()) {
      const v = stackValue(s, metric === 'cpu' ? 'native-cpu' : metric);
      if (!(v > 0)) continue;
      const seen = new Set();
      const at = M.chargedLine(s.charged);
      for (let n = s.leaf; n >= 0; n = M.nodeParent[n]) {
        const frame = M.frames[M.nodeFrame[n]];
        if (frame.kind !== 'native') continue;
        const key = frame.name + '\u0000' + (frame.module || '');
        let e = byFunction.get(key);
        if (!e) { e = { frame, self: 0, total: 0, callers: new Map() }; byFunction.set(key, e); }
        if (n === s.leaf) e.self += v;
        if (seen.has(key)) continue;
        seen.add(key);
        e.total += v;
        if (at) {
          const ck = at.fi + ':' + at.line;
          e.callers.set(ck, (e.callers.get(ck) || 0) + v);
        }
      }
    }
    return Array.from(byFunction.values()).sort((a, b) => b.total - a.total);
  };

  return M;
}

function stackValue(s, metric) {
  switch (metric) {
    case 'cpu': return (s.c[C_PY] + s.c[C_NAT] + s.c[C_SYS]) / 1e6;
    // What native hotspots are made of (as in report/src/hotspots.h): native + system CPU.
    case 'native-cpu': return (s.c[C_NAT] + s.c[C_SYS]) / 1e6;
    case 'wall': return s.c[C_WALL] / 1e6;
    case 'alloc': return s.c[C_ALLOC];
    default: return s.c[C_SAMPLES];
  }
}

function lineCpu(l) {
  return l.cpu_python_s + l.cpu_native_s + l.cpu_system_s;
}
