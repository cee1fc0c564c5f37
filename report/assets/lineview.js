// The line view: each profiled file's source with its counters per line. Only the hot
// regions (sampled lines and a little context) are shown at first; longer stretches of
// unsampled lines fold into a button. The bar of a line is scaled to the file's hottest
// line. Clicking a line opens its detail: callers, native code and library code below it.

const CONTEXT_LINES = 2;  // unsampled lines kept visible around a sampled one
const MIN_FOLD = 6;       // shorter cold runs are shown rather than folded
const HOT_SHARE = 0.05;   // a line with this share of the total is highlighted
const FILES_OPEN = 3;     // files expanded when the page opens
const CHAIN_FRAMES = 8;   // caller frames shown per call path
const DETAIL_ROWS = 12;   // entries per list in the line detail

function filesView(M) {
  const section = el('section', { id: 'files' }, el('h2', null, 'Files ', cpuLegend(M)));
  const holder = el('div');
  section.append(holder);
  const view = { node: section, files: [], reveal: null };
  const gilWait = M.files.some((f) => f.lines.some((l) => l.gil_wait_s > 0));
  const metric = M.defaultMetric;

  // Heat of a line: its share of the CPU (wall in wall mode) in view.
  let totals = M.totals();
  const heat = (l) => (M.wallMode ? (totals.wall > 0 ? l.wall_s / totals.wall : 0) : (totals.cpu > 0 ? lineCpu(l) / totals.cpu : 0));

  function headings() {
    const heads = [['#', 'line number'], ['', 'Python / native / system' + (M.wallMode ? ' / off-CPU' : '') + ', relative to this file\u2019s hottest line'],
      ['CPU', 'on-CPU time charged to the line'], ['Python', ''], ['native', ''], ['system', ''], ['GIL held', '']];
    if (gilWait) heads.push(['GIL wait', '']);
    if (M.wallMode) heads.push(['Wall', 'wall-clock time, on or off CPU']);
    if (M.memory) heads.push(['Alloc', 'bytes allocated by the line'], ['Live', 'still allocated at the end'], ['At peak', 'live at the heap peak']);
    heads.push(['Source', '']);
    return heads;
  }

  function fileSection(fi, lines, open) {
    const f = M.files[fi];
    const cpu = lines.reduce((s, l) => s + lineCpu(l), 0);
    const wall = lines.reduce((s, l) => s + l.wall_s, 0);
    const details = el('details', { class: 'file', id: 'F' + fi });
    details.append(el('summary', null,
      el('span', { class: 'path', title: f.path }, f.path),
      el('span', { class: 'stat' }, 'CPU ' + (fmtS(cpu) || '0') + (totals.cpu ? ' \u00b7 ' + (fmtPct(cpu, totals.cpu) || '0%') : '')),
      M.wallMode ? el('span', { class: 'stat' }, 'wall ' + (fmtS(wall) || '0')) : null,
      el('span', { class: 'stat muted' }, lines.length + (lines.length === 1 ? ' line' : ' lines'))));
    const fv = { fi, details, rendered: false, folds: [], rows: new Map(), lines };
    fv.render = () => {
      if (fv.rendered) return;
      fv.rendered = true;
      details.append(fileBody(fv));
    };
    details.addEventListener('toggle', () => { if (details.open) fv.render(); });
    if (open) { details.open = true; fv.render(); }
    return fv;
  }

  function fileBody(fv) {
    const f = M.files[fv.fi];
    const src = M.sources[fv.fi];
    const body = el('div', { class: 'file-body' });
    if (f.functions && f.functions.length && M.thread < 0) {
      const table = sortableTable([
        { label: 'Function', key: (r) => r.name, cell: (r) => r.name, cls: 'code' },
        { label: 'Line', num: true, key: (r) => r.line, cell: (r) => el('a', { href: '#L' + fv.fi + '-' + r.line, onclick: (e) => { e.preventDefault(); view.reveal(fv.fi, r.line); } }, String(r.line)) },
        { label: 'CPU', num: true, key: (r) => r.cpu_s, cell: (r) => fmtS(r.cpu_s) },
        { label: '%', num: true, key: (r) => r.cpu_s, cell: (r) => fmtPct(r.cpu_s, totals.cpu) },
      ].concat(M.memory ? [{ label: 'Alloc', num: true, key: (r) => r.alloc_bytes || 0, cell: (r) => fmtBytes(r.alloc_bytes) }] : []),
      f.functions, { sortColumn: 2 });
      body.append(el('details', { class: 'functions' }, el('summary', null, 'Functions (' + f.functions.length + ')'), table.node));
    }
    if (!src || !src.available) body.append(el('p', { class: 'note' }, 'Source not available (the file could not be read when the report was made); sampled lines only.'));
    else if (src.partial) body.append(el('p', { class: 'note' }, 'Only the lines around sampled ones are embedded (the report keeps its size bounded).'));
    else if (src.truncated) body.append(el('p', { class: 'note' }, 'Source cut after ' + src.count + ' lines.'));
    body.append(el('div', { class: 'src-scroll' }, sourceTable(fv)));
    return body;
  }

  function sourceTable(fv) {
    const { fi, lines } = fv;
    const src = M.sources[fi];
    const byLine = new Map(lines.map((l) => [l.line, l]));
    const heads = headings();
    const headRow = el('tr');
    heads.forEach(([h, title], i) => headRow.append(el('th', { class: i === heads.length - 1 ? 'code' : null, scope: 'col', title: title || null }, h)));
    const tbody = document.createElement('tbody');
    const width = heads.length;
    const scale = lines.reduce((m, l) => Math.max(m, lineCpu(l), M.wallMode ? l.wall_s : 0), 1e-12);
    const allocScale = lines.reduce((m, l) => Math.max(m, l.alloc_bytes || 0), 1);

    const row = (n) => {
      const l = byLine.get(n);
      const tr = document.createElement('tr');
      tr.id = 'L' + fi + '-' + n;
      tr.className = !l ? 'cold' : heat(l) >= HOT_SHARE ? 'hot sampled' : 'sampled';
      const cell = (cls, content) => {
        const td = document.createElement('td');
        td.className = cls;
        if (content !== null && content !== undefined && content !== '') td.append(content);
        tr.append(td);
      };
      cell('ln', String(n));
      cell('bar-cell', l ? lineBar(M, l, scale) : null);
      cell('num', l ? fmtS(lineCpu(l)) : '');
      cell('num', l ? fmtS(l.cpu_python_s) : '');
      cell('num', l ? fmtS(l.cpu_native_s) : '');
      cell('num', l ? fmtS(l.cpu_system_s) : '');
      cell('num', l ? fmtS(l.gil_held_s) : '');
      if (gilWait) cell('num', l ? fmtS(l.gil_wait_s) : '');
      if (M.wallMode) cell('num', l ? fmtS(l.wall_s) : '');
      if (M.memory) {
        const alloc = l && l.alloc_bytes ? el('span', { class: 'alloc' }, stackedBar([['mem', l.alloc_bytes]], allocScale, null), fmtBytes(l.alloc_bytes)) : null;
        cell('num mem-cell', alloc);
        cell('num', l && l.live_bytes !== null ? fmtBytes(l.live_bytes) : l ? '\u2013' : '');
        cell('num', l && l.peak_bytes !== null ? fmtBytes(l.peak_bytes) : l ? '\u2013' : '');
      }
      const text = src ? src.lines[n] : undefined;
      cell('code', text !== undefined ? text : '');
      if (l) {
        tr.tabIndex = 0;
        tr.title = 'click for callers and native code';
        const toggle = () => toggleDetail(fv, n, tr, width);
        tr.addEventListener('click', (e) => { if (!e.target.closest('a')) toggle(); });
        tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') toggle(); });
      }
      fv.rows.set(n, tr);
      return tr;
    };

    const foldRow = (first, last, embedded) => {
      const tr = el('tr', { class: 'fold' });
      const label = '\u22ef ' + (last - first + 1) + ' lines without samples (' + first + '\u2013' + last + ')';
      if (!embedded) {
        tr.append(el('td', { colspan: width, class: 'muted' }, label + ', not embedded'));
        return tr;
      }
      const button = el('button', { type: 'button' }, label);
      const fold = { first, last, open: null };
      fold.open = () => {
        const rows = document.createDocumentFragment();
        for (let n = first; n <= last; n++) rows.append(row(n));
        tr.replaceWith(rows);
        fv.folds = fv.folds.filter((x) => x !== fold);
      };
      button.addEventListener('click', fold.open);
      fv.folds.push(fold);
      tr.append(el('td', { colspan: width }, button));
      return tr;
    };

    const rows = document.createDocumentFragment();
    if (!src || !src.available) {
      for (const l of lines) rows.append(row(l.line));
    } else {
      const maxSampled = lines.length ? lines[lines.length - 1].line : 0;
      const count = Math.max(src.count, maxSampled);
      const keep = new Uint8Array(count + 2);
      const mark = (n, radius) => {
        for (let k = Math.max(1, n - radius); k <= Math.min(count, n + radius); k++) keep[k] = 1;
      };
      for (const l of lines) mark(l.line, CONTEXT_LINES);
      if (M.thread < 0) for (const fn of M.files[fi].functions || []) mark(fn.line, 0);
      let n = 1;
      while (n <= count) {
        if (keep[n]) { rows.append(row(n)); n++; continue; }
        let end = n;
        while (end + 1 <= count && !keep[end + 1]) end++;
        let embedded = true;
        for (let k = n; k <= end && embedded; k++) if (src.lines[k] === undefined) embedded = false;
        if (end - n + 1 >= MIN_FOLD || !embedded) rows.append(foldRow(n, end, embedded));
        else for (let k = n; k <= end; k++) rows.append(row(k));
        n = end + 1;
      }
    }
    tbody.append(rows);
    return el('table', { class: 'src' }, el('thead', null, headRow), tbody);
  }

  // The detail row under a line: callers above it, native and library code below it.
  function toggleDetail(fv, n, tr, width) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('detail')) {
      next.remove();
      tr.classList.remove('open');
      return;
    }
    tr.classList.add('open');
    const d = M.lineDetail(fv.fi, n, metric);
    const panel = el('div', { class: 'detail-panel', id: 'detail-' + fv.fi + '-' + n });
    panel.append(el('div', { class: 'detail-head' }, M.shortPath(M.files[fv.fi].path) + ':' + n + ' \u2014 ' +
      fmtMetric(metric, d.total) + ' of ' + METRIC_LABELS[metric] + ' in ' + d.stacks + (d.stacks === 1 ? ' stack' : ' stacks') +
      (M.thread >= 0 ? ' (thread ' + M.threads[M.thread].name + ')' : '')));
    const pct = (v) => fmtPct(v, d.total) || '0%';
    const frameLink = (f) => {
      const fr = M.frames[f];
      const label = fr.name + (fr.where ? ' (' + fr.where + ')' : '');
      if (fr.fileIndex >= 0 && fr.line !== null) {
        return el('a', { href: '#L' + fr.fileIndex + '-' + fr.line, onclick: (e) => { e.preventDefault(); view.reveal(fr.fileIndex, fr.line); } }, label);
      }
      return el('span', { class: fr.kind === 'other' ? 'muted' : null }, label);
    };
    const callers = el('div', { class: 'detail-col callers' }, el('h4', null, 'Callers'));
    if (!d.chains.length || (d.chains.length === 1 && !d.chains[0].frames.length)) {
      callers.append(el('p', { class: 'muted' }, 'No caller: the line runs at the top of its stack (module level).'));
    } else {
      const list = el('ol', { class: 'chains' });
      for (const c of d.chains.slice(0, DETAIL_ROWS)) {
        const li = el('li', null, el('span', { class: 'share' }, pct(c.total)));
        c.frames.slice(0, CHAIN_FRAMES).forEach((f, i) => { if (i) li.append(' \u2190 '); li.append(frameLink(f)); });
        if (c.frames.length > CHAIN_FRAMES) li.append(' \u2190 \u2026 ' + (c.frames.length - CHAIN_FRAMES) + ' more');
        if (!c.frames.length) li.append(el('span', { class: 'muted' }, '(module level)'));
        list.append(li);
      }
      callers.append(list);
      if (d.chains.length > DETAIL_ROWS) callers.append(el('p', { class: 'muted' }, (d.chains.length - DETAIL_ROWS) + ' more call paths'));
    }
    const entries = (title, items, none, cls) => {
      const box = el('div', { class: 'detail-col ' + cls }, el('h4', null, title));
      if (!items.length) { box.append(el('p', { class: 'muted' }, none)); return box; }
      const table = el('table', { class: 'grid compact' }, el('thead', null, el('tr', null, el('th', null, 'function'),
        el('th', { class: 'num', title: 'at the top of the stack' }, 'self'), el('th', { class: 'num' }, 'total'))));
      const tbody = el('tbody');
      for (const e of items.slice(0, DETAIL_ROWS)) {
        const title = [e.frame.module || e.frame.path, e.frame.kind === 'native' ? e.frame.source : null].filter(Boolean).join(' \u00b7 ');
        tbody.append(el('tr', null, el('td', { class: 'code', title }, e.frame.text),
          el('td', { class: 'num' }, pct(e.self)), el('td', { class: 'num' }, pct(e.total))));
      }
      table.append(tbody);
      box.append(table);
      return box;
    };
    const noNative = M.hasNativeFrames ? 'No native frames sampled under this line.'
      : 'No native frames sampled (this profile has Python frames only).';
    panel.append(el('div', { class: 'detail-cols' }, callers,
      entries('Native code below', d.natives, noNative, 'natives'),
      entries('Library Python below', d.pythonBelow, 'None: the time is in the line itself.', 'python-below')));
    const detail = el('tr', { class: 'detail' }, el('td', { colspan: width }, panel));
    tr.after(detail);
  }

  // Opens the file, unfolds the line if needed, scrolls to it and flashes it.
  view.reveal = (fi, line) => {
    const fv = view.files[fi];
    if (!fv) return;
    fv.details.open = true;
    fv.render();
    for (const fold of fv.folds) if (line >= fold.first && line <= fold.last) { fold.open(); break; }
    const tr = fv.rows.get(line);
    if (!tr) { fv.details.scrollIntoView(); return; }
    tr.scrollIntoView({ block: 'center' });
    tr.classList.add('flash');
    setTimeout(() => tr.classList.remove('flash'), 1600);
    try { history.replaceState(null, '', '#L' + fi + '-' + line); } catch (e) { /* file: URLs may refuse */ }
  };

  view.openFiles = new Set();  // what the reader opened, kept across thread filter changes
  view.refresh = () => {
    totals = M.totals();
    const perFile = M.fileLines();
    const open = perFile.map((lines, fi) => lines.length > 0 && view.openFiles.has(fi));
    if (!open.some(Boolean)) {
      let opened = 0;
      perFile.forEach((lines, fi) => { if (opened < FILES_OPEN && lines.length) { open[fi] = true; opened++; } });
    }
    view.files = [];
    const frag = document.createDocumentFragment();
    perFile.forEach((lines, fi) => {
      const fv = fileSection(fi, lines, open[fi]);
      fv.details.addEventListener('toggle', () => { if (fv.details.open) view.openFiles.add(fi); else view.openFiles.delete(fi); });
      view.files.push(fv);
      frag.append(fv.details);
    });
    if (!M.files.length) frag.append(el('p', { class: 'muted' }, 'No profiled file has samples.'));
    holder.replaceChildren(frag);
  };
  M.listeners.push(view.refresh);
  view.refresh();
  return view;
}
