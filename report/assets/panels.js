// Native hotspots, memory (leaks and who holds memory at the peak) and threads.

const PANEL_ROWS = 25;

function locationLink(M, reveal, fi, line) {
  const f = M.files[fi];
  return el('a', { href: '#L' + fi + '-' + line, title: f.path, onclick: (e) => { e.preventDefault(); reveal(fi, line); } }, M.shortPath(f.path) + ':' + line);
}

// Native functions, with the Python lines that led to them. The JSON's native_hotspots for
// all threads when it has them; otherwise (and per thread) derived from the stacks.
function nativeView(M, reveal) {
  const section = el('section', { id: 'native' }, el('h2', null, 'Native hotspots'));
  const holder = el('div');
  section.append(holder);
  const metric = M.defaultMetric;
  const refresh = () => {
    const given = M.thread < 0 ? M.data.native_hotspots || [] : [];
    let rows;
    if (given.length) {
      rows = given.map((h) => ({
        name: h.function, module: h.module || '', source: h.source || '', self: h.self_s, total: h.total_s,
        callers: (h.callers || []).map((c) => ({ fi: M.fileIndex.has(c.path) ? M.fileIndex.get(c.path) : -1, path: c.path, line: c.line, v: c.s })),
      }));
    } else {
      rows = M.nativeHotspots(metric).map((h) => ({
        name: h.frame.name, module: h.frame.module || '', source: h.frame.source || '', self: h.self, total: h.total,
        callers: Array.from(h.callers.entries()).map(([k, v]) => {
          const [fi, line] = k.split(':').map(Number);
          return { fi, path: M.files[fi].path, line, v };
        }).sort((a, b) => b.v - a.v),
      }));
    }
    if (!rows.length) {
      holder.replaceChildren(el('p', { class: 'muted' }, M.hasNativeFrames ? 'No native frame carries any ' + METRIC_LABELS[metric] + ' here.'
        : 'No native frames sampled: this profile has Python frames only (native stacks off, or not available).'));
      return;
    }
    const total = M.totals()[given.length ? 'cpu' : metric];
    const table = sortableTable([
      { label: 'Function', key: (r) => r.name, cell: (r) => r.name, cls: 'code' },
      { label: 'Module', key: (r) => r.module, cell: (r) => r.module.slice(r.module.lastIndexOf('/') + 1), cls: 'code' },
      { label: 'Source', key: (r) => r.source, cell: (r) => r.source, cls: 'code' },
      { label: 'Self', num: true, key: (r) => r.self, cell: (r) => fmtMetric(given.length ? 'cpu' : metric, r.self) },
      { label: 'Total', num: true, key: (r) => r.total, cell: (r) => fmtMetric(given.length ? 'cpu' : metric, r.total) },
      { label: '%', num: true, key: (r) => r.total, cell: (r) => fmtPct(r.total, total) },
      { label: 'Called from', key: (r) => (r.callers[0] ? r.callers[0].v : 0), cell: (r) => {
        const box = el('span');
        r.callers.slice(0, 3).forEach((c, i) => {
          if (i) box.append(', ');
          box.append(c.fi >= 0 ? locationLink(M, reveal, c.fi, c.line) : M.shortPath(c.path) + ':' + c.line);
        });
        if (r.callers.length > 3) box.append(' \u2026');
        return box;
      } },
    ], rows, { sortColumn: 3, limit: PANEL_ROWS });  // by self time: where the CPU is spent
    holder.replaceChildren(table.node);
  };
  M.listeners.push(refresh);
  refresh();
  return { node: section };
}

// Leaks, and the lines that held memory at the heap peak. "Not tracked" without memory.
function memoryView(M, reveal) {
  const section = el('section', { id: 'memory' }, el('h2', null, 'Memory'));
  const mem = M.memory;
  if (!mem) {
    section.append(el('p', { class: 'muted' }, 'Memory was not tracked in this run (--no-memory, or no memory records in the profile): no allocations, leaks or peak.'));
    return { node: section };
  }
  section.append(el('p', null, 'Heap peak ' + (fmtBytes(mem.peak_bytes) || '0 B') + ' at ' + fmtDuration(mem.peak_t_s || 0) +
    '; allocations sampled every ' + (fmtBytes(mem.sample_interval_bytes) || '?') + ' on average. The timeline is in ',
  el('a', { href: '#timeline' }, 'Timeline'), '.'));

  const sourceText = (fi, line) => (fi >= 0 ? (M.sourceLine(fi, line) || '').trim() : '');
  const leaks = (M.data.leaks || []).map((k) => ({ ...k, fi: M.fileIndex.has(k.path) ? M.fileIndex.get(k.path) : -1 }));
  section.append(el('h3', null, 'Possible leaks'));
  if (!leaks.length) {
    section.append(el('p', { class: 'muted' }, 'No line\u2019s live memory kept growing through the run.'));
  } else {
    section.append(sortableTable([
      { label: 'Location', key: (r) => r.path + ':' + r.line, cls: 'loc', cell: (r) => (r.fi >= 0 ? locationLink(M, reveal, r.fi, r.line) : M.shortPath(r.path) + ':' + r.line) },
      { label: 'Live', num: true, key: (r) => r.live_bytes, cell: (r) => fmtBytes(r.live_bytes) },
      { label: 'Growth', num: true, key: (r) => r.growth_bytes_per_s, cell: (r) => (fmtBytes(r.growth_bytes_per_s) || '0 B') + '/s' },
      { label: 'Confidence', num: true, key: (r) => r.confidence, cell: (r) => (100 * (r.confidence || 0)).toFixed(0) + '%' },
      { label: 'Source', key: (r) => sourceText(r.fi, r.line), cell: (r) => sourceText(r.fi, r.line), cls: 'code' },
    ], leaks, { sortColumn: 3, limit: PANEL_ROWS }).node);
  }

  section.append(el('h3', null, 'Who holds memory at the peak'));
  const holders = [];
  M.files.forEach((f, fi) => { for (const l of f.lines) if (l.peak_bytes > 0) holders.push({ fi, path: f.path, l }); });
  if (!holders.length) {
    section.append(el('p', { class: 'muted' }, 'No sampled allocation was live at the peak.'));
  } else {
    const scale = holders.reduce((m, h) => Math.max(m, h.l.peak_bytes), 1);
    section.append(sortableTable([
      { label: 'Location', key: (r) => r.path + ':' + r.l.line, cls: 'loc', cell: (r) => locationLink(M, reveal, r.fi, r.l.line) },
      { label: 'At peak', num: true, key: (r) => r.l.peak_bytes, cell: (r) => fmtBytes(r.l.peak_bytes) },
      { label: '% of peak', num: true, key: (r) => r.l.peak_bytes, cell: (r) => fmtPct(r.l.peak_bytes, mem.peak_bytes) },
      { label: '', key: (r) => r.l.peak_bytes, cell: (r) => stackedBar([['mem', r.l.peak_bytes]], scale, null) },
      { label: 'Allocated', num: true, key: (r) => r.l.alloc_bytes, cell: (r) => fmtBytes(r.l.alloc_bytes) },
      { label: 'Live at end', num: true, key: (r) => r.l.live_bytes, cell: (r) => fmtBytes(r.l.live_bytes) },
      { label: 'Source', key: (r) => sourceText(r.fi, r.l.line), cell: (r) => sourceText(r.fi, r.l.line), cls: 'code' },
    ], holders, { sortColumn: 1, limit: PANEL_ROWS }).node);
  }
  return { node: section };
}

// Per-thread CPU and wall time; a row's button sets the thread filter.
function threadsView(M) {
  const section = el('section', { id: 'threads' }, el('h2', null, 'Threads'));
  const threads = (M.data.threads || []).map((t) => ({ ...t, index: M.threadIndex(t.pid, t.tid) }));
  if (!threads.length) {
    section.append(el('p', { class: 'muted' }, 'No thread was recorded.'));
    return { node: section };
  }
  const threadCpu = threads.reduce((s, t) => s + t.cpu_s, 0);
  const makeTable = () => sortableTable([
    { label: 'Name', key: (t) => t.name, cell: (t) => t.name },
    { label: 'PID', num: true, key: (t) => t.pid, cell: (t) => String(t.pid) },
    { label: 'TID', num: true, key: (t) => t.tid, cell: (t) => String(t.tid) },
    { label: 'CPU', num: true, key: (t) => t.cpu_s, cell: (t) => fmtS(t.cpu_s) || '0' },
    { label: '%', num: true, key: (t) => t.cpu_s, cell: (t) => fmtPct(t.cpu_s, threadCpu) },
    { label: 'Wall', num: true, key: (t) => t.wall_s, cell: (t) => fmtS(t.wall_s) || '0' },
    { label: 'Samples', num: true, key: (t) => t.samples || 0, cell: (t) => String(t.samples || 0) },
    { label: '', key: (t) => t.index, cell: (t) => (t.index < 0 ? el('span', { class: 'muted' }, 'no stacks')
      : el('button', { type: 'button', class: 'thread-pick', 'data-thread': t.index, onclick: () => M.setThread(M.thread === t.index ? -1 : t.index) },
        M.thread === t.index ? 'show all threads' : 'show only this')) },
  ], threads, { sortColumn: 3, rowClass: (t) => (t.index >= 0 && t.index === M.thread ? 'selected' : '') }).node;
  section.append(el('p', { class: 'muted note' }, 'Pick a thread here or in the bar at the top: the hot lines, files, flame graph and native hotspots then show that thread alone.'));
  const holder = el('div', null, makeTable());
  section.append(holder);
  M.listeners.push(() => holder.replaceChildren(makeTable()));
  return { node: section };
}
