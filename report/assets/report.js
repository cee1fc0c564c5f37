// pyrometer HTML report: draws the page from the JSON embedded in #pyro-data.
// Every piece of text from the profile (paths, names, source lines) reaches the page through
// textContent or attribute values, never through HTML parsing, so source code that contains
// markup is shown as text.
(function () {
  'use strict';

  const CONTEXT_LINES = 2;      // unsampled lines kept visible around a sampled one
  const MIN_FOLD = 6;           // shorter cold runs are shown rather than folded
  const HOT_SHARE = 0.05;       // a line with this share of the total is highlighted
  const HOT_LINES_SHOWN = 100;  // rows of the hot-lines table before "show all"
  const FILES_OPEN = 3;         // files expanded when the page opens

  const app = document.getElementById('app');
  let data;
  try {
    data = JSON.parse(document.getElementById('pyro-data').textContent);
  } catch (e) {
    app.append(el('p', { class: 'error' }, 'The profile data embedded in this page cannot be read: ' + e.message));
    return;
  }

  const wallMode = data.mode === 'wall';
  const files = data.files || [];
  const totalCpu = data.cpu_s || 0;
  const hasGilWait = files.some((f) => f.lines.some((l) => l.gil_wait_s > 0));
  const fileViews = [];  // per file: {details, rendered, folds, render()}

  // ---- small helpers -------------------------------------------------------------------

  function el(tag, attrs) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const name of Object.keys(attrs)) {
        const value = attrs[name];
        if (value === null || value === undefined || value === false) continue;
        if (name === 'class') node.className = value;
        else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? '' : String(value));
      }
    }
    for (let i = 2; i < arguments.length; i++) {
      const child = arguments[i];
      if (child === null || child === undefined) continue;
      node.append(child);  // strings become text nodes
    }
    return node;
  }

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

  function fmtPct(part, whole) {
    if (!whole || !part) return '';
    const p = (100 * part) / whole;
    return (p >= 10 ? p.toFixed(0) : p.toFixed(1)) + '%';
  }

  function lineCpu(l) {
    return l.cpu_python_s + l.cpu_native_s + l.cpu_system_s;
  }

  // The share of the run a line stands for: of CPU time, or in wall mode of wall time
  // (where sleeping and waiting lines are the point).
  let totalWall = 0;
  for (const f of files) for (const l of f.lines) totalWall += l.wall_s;
  function heat(l) {
    if (wallMode && totalWall > 0) return l.wall_s / totalWall;
    return totalCpu > 0 ? lineCpu(l) / totalCpu : 0;
  }

  function sourceLine(f, line) {
    return f.source && line >= 1 && line <= f.source.length ? f.source[line - 1] : '';
  }

  // A stacked bar: python / native / system CPU, plus idle wall time in wall mode.
  let barScale = 1e-12;
  for (const f of files) for (const l of f.lines) barScale = Math.max(barScale, lineCpu(l), wallMode ? l.wall_s : 0);
  function bar(l) {
    const box = document.createElement('div');
    box.className = 'bar';
    const cpu = lineCpu(l);
    const parts = [['py', l.cpu_python_s], ['nat', l.cpu_native_s], ['sys', l.cpu_system_s]];
    if (wallMode && l.wall_s > cpu) parts.push(['idle', l.wall_s - cpu]);
    for (const [cls, v] of parts) {
      if (!(v > 0)) continue;
      const seg = document.createElement('span');
      seg.className = cls;
      seg.style.width = Math.max(0.5, (100 * v) / barScale) + '%';
      box.append(seg);
    }
    box.title = 'python ' + (fmtS(l.cpu_python_s) || '0') + ', native ' + (fmtS(l.cpu_native_s) || '0') +
      ', system ' + (fmtS(l.cpu_system_s) || '0') + (wallMode ? ', wall ' + (fmtS(l.wall_s) || '0') : '');
    return box;
  }

  function legend() {
    const item = (cls, label) => el('span', null, el('i', { class: cls }), label);
    return el('span', { class: 'legend' }, item('py', 'Python'), item('nat', 'native'), item('sys', 'system'),
      wallMode ? item('idle', 'off-CPU (wall)') : null);
  }

  // A table whose column headers sort it. columns: {label, key(row) -> sort value,
  // cell(row) -> string | Node, num, title}; rows: plain objects.
  function sortableTable(columns, rows, options) {
    options = options || {};
    let sortColumn = options.sortColumn || 0;
    let descending = options.descending !== false;
    let limit = options.limit || Infinity;
    const headRow = el('tr');
    const tbody = el('tbody');
    const more = el('button', { type: 'button', class: 'more' });
    more.addEventListener('click', () => { limit = Infinity; draw(); });
    columns.forEach((column, index) => {
      const th = el('th', { class: (column.num ? 'num ' : '') + 'sortable', scope: 'col', tabindex: 0, title: column.title },
        column.label);
      const choose = () => {
        if (sortColumn === index) descending = !descending;
        else { sortColumn = index; descending = !!column.num; }
        draw();
      };
      th.addEventListener('click', choose);
      th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); choose(); } });
      headRow.append(th);
    });
    const indexed = rows.map((row, i) => ({ row, i }));
    function draw() {
      const key = columns[sortColumn].key;
      const sign = descending ? -1 : 1;
      indexed.sort((a, b) => {
        const x = key(a.row), y = key(b.row);
        let c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return c ? sign * c : a.i - b.i;
      });
      headRow.childNodes.forEach((th, i) => {
        if (i === sortColumn) th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
        else th.removeAttribute('aria-sort');
      });
      const body = document.createDocumentFragment();
      const shown = Math.min(limit, indexed.length);
      for (let r = 0; r < shown; r++) {
        const tr = document.createElement('tr');
        for (const column of columns) {
          const td = document.createElement('td');
          if (column.num) td.className = 'num';
          if (column.cls) td.className = column.cls;
          const content = column.cell(indexed[r].row);
          if (content !== null && content !== undefined) td.append(content);
          tr.append(td);
        }
        body.append(tr);
      }
      tbody.replaceChildren(body);
      more.hidden = shown >= indexed.length;
      more.textContent = 'Show all ' + indexed.length + ' rows';
    }
    draw();
    return el('div', { class: 'table-wrap' }, el('table', { class: 'grid' }, el('thead', null, headRow), tbody), more);
  }

  // ---- header ------------------------------------------------------------------------

  function header() {
    const program = (data.program || []).join(' ') || '(unknown program)';
    document.title = 'pyrometer \u2014 ' + program;
    const threads = data.threads || [];
    const util = data.duration_s > 0 ? totalCpu / data.duration_s : 0;
    const facts = [
      ['Wall time', fmtDuration(data.duration_s || 0)],
      ['CPU', (fmtS(totalCpu) || '0 s') + (util ? ' (' + (100 * util).toFixed(0) + '% of one core)' : '')],
      ['Samples', String(data.samples) + (data.dropped_samples ? ', ' + data.dropped_samples + ' dropped' : ', none dropped')],
      ['Threads', String(threads.length)],
      ['Mode', data.mode + ', every ' + fmtS(data.interval_s || 0)],
      ['Python', data.python_version || 'unknown'],
    ];
    if (data.unattributed_cpu_s > 0) {
      facts.push(['Outside profiled code', fmtS(data.unattributed_cpu_s) + ' (' + fmtPct(data.unattributed_cpu_s, totalCpu) + ')']);
    }
    const dl = el('dl', { class: 'facts' });
    for (const [k, v] of facts) dl.append(el('div', null, el('dt', null, k), el('dd', null, v)));
    const parts = [
      el('h1', null, el('span', { class: 'brand' }, 'pyrometer'), el('span', { class: 'program' }, program)),
      dl,
    ];
    if (data.samples > 0 && data.dropped_samples / (data.samples + data.dropped_samples) > 0.01) {
      parts.push(el('p', { class: 'warning' }, fmtPct(data.dropped_samples, data.samples + data.dropped_samples) +
        ' of the samples were dropped (the sampler had no free buffer): the numbers below undercount.'));
    }
    parts.push(el('nav', { class: 'toc' }, el('a', { href: '#hot-lines' }, 'Hot lines'),
      el('a', { href: '#files' }, 'Files (' + files.length + ')'), el('a', { href: '#threads' }, 'Threads')));
    return el('header', null, ...parts);
  }

  // ---- hot lines -----------------------------------------------------------------------

  function hotLines() {
    const rows = [];
    files.forEach((f, fi) => {
      for (const l of f.lines) {
        rows.push({ fi, path: f.path, line: l.line, cpu: lineCpu(l), l, text: sourceLine(f, l.line).trim() });
      }
    });
    const columns = [
      { label: 'Location', key: (r) => r.path + ':' + String(r.line).padStart(8, '0'), cls: 'loc',
        cell: (r) => el('a', { href: '#L' + r.fi + '-' + r.line, title: r.path, onclick: (e) => { e.preventDefault(); reveal(r.fi, r.line); } },
          shortPath(r.path) + ':' + r.line) },
      { label: 'CPU', num: true, key: (r) => r.cpu, cell: (r) => fmtS(r.cpu) },
      { label: '%', num: true, key: (r) => r.cpu, cell: (r) => fmtPct(r.cpu, totalCpu), title: 'share of all CPU time' },
      { label: 'Python', num: true, key: (r) => r.l.cpu_python_s, cell: (r) => fmtS(r.l.cpu_python_s) },
      { label: 'native', num: true, key: (r) => r.l.cpu_native_s, cell: (r) => fmtS(r.l.cpu_native_s) },
      { label: 'system', num: true, key: (r) => r.l.cpu_system_s, cell: (r) => fmtS(r.l.cpu_system_s) },
      { label: '', key: (r) => r.cpu, cell: (r) => bar(r.l) },
      { label: 'GIL held', num: true, key: (r) => r.l.gil_held_s, cell: (r) => fmtS(r.l.gil_held_s) },
    ];
    if (hasGilWait) columns.push({ label: 'GIL wait', num: true, key: (r) => r.l.gil_wait_s, cell: (r) => fmtS(r.l.gil_wait_s) });
    if (wallMode) columns.push({ label: 'Wall', num: true, key: (r) => r.l.wall_s, cell: (r) => fmtS(r.l.wall_s) });
    columns.push({ label: 'Source', key: (r) => r.text, cell: (r) => r.text, cls: 'code' });
    const section = el('section', { id: 'hot-lines' }, el('h2', null, 'Hot lines ', legend()));
    if (!rows.length) {
      section.append(el('p', { class: 'muted' }, 'No samples landed in profiled code.' +
        (data.profile_all ? '' : ' Re-run with --profile-all to see library and standard-library lines.')));
      return section;
    }
    section.append(sortableTable(columns, rows, { sortColumn: wallMode ? columns.length - 2 : 1, limit: HOT_LINES_SHOWN }));
    return section;
  }

  // Paths under the program's directory read better relative; the title keeps the full one.
  const commonDir = (() => {
    const paths = files.map((f) => f.path);
    if (!paths.length) return '';
    let prefix = paths[0].slice(0, paths[0].lastIndexOf('/') + 1);
    for (const p of paths) while (prefix && !p.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
    return prefix.length > 1 ? prefix : '';
  })();
  function shortPath(path) {
    return commonDir && path.startsWith(commonDir) ? path.slice(commonDir.length) : path;
  }

  // ---- per-file source views -----------------------------------------------------------

  function fileSection(f, fi) {
    const cpu = f.lines.reduce((s, l) => s + lineCpu(l), 0);
    const wall = f.lines.reduce((s, l) => s + l.wall_s, 0);
    const details = el('details', { class: 'file', id: 'F' + fi });
    const summary = el('summary', null,
      el('span', { class: 'path', title: f.path }, f.path),
      el('span', { class: 'stat' }, 'CPU ' + (fmtS(cpu) || '0') + (totalCpu ? ' \u00b7 ' + (fmtPct(cpu, totalCpu) || '0%') : '')),
      wallMode ? el('span', { class: 'stat' }, 'wall ' + (fmtS(wall) || '0')) : null,
      el('span', { class: 'stat muted' }, f.lines.length + (f.lines.length === 1 ? ' line' : ' lines')));
    details.append(summary);
    const view = { details, rendered: false, folds: [], rows: new Map() };
    view.render = () => {
      if (view.rendered) return;
      view.rendered = true;
      details.append(fileBody(f, fi, view));
    };
    details.addEventListener('toggle', () => { if (details.open) view.render(); });
    fileViews[fi] = view;
    return details;
  }

  function fileBody(f, fi, view) {
    const body = el('div', { class: 'file-body' });
    if (f.functions && f.functions.length) {
      const table = sortableTable([
        { label: 'Function', key: (r) => r.name, cell: (r) => r.name, cls: 'code' },
        { label: 'Line', num: true, key: (r) => r.line, cell: (r) => el('a', { href: '#L' + fi + '-' + r.line, onclick: (e) => { e.preventDefault(); reveal(fi, r.line); } }, String(r.line)) },
        { label: 'CPU', num: true, key: (r) => r.cpu_s, cell: (r) => fmtS(r.cpu_s) },
        { label: '%', num: true, key: (r) => r.cpu_s, cell: (r) => fmtPct(r.cpu_s, totalCpu) },
      ], f.functions, { sortColumn: 2 });
      body.append(el('details', { class: 'functions' }, el('summary', null, 'Functions (' + f.functions.length + ')'), table));
    }
    if (!f.source) body.append(el('p', { class: 'note' }, 'Source not available (the file could not be read when the report was made); sampled lines only.'));
    else if (f.source_truncated) body.append(el('p', { class: 'note' }, 'Source cut after ' + f.source.length + ' lines.'));
    body.append(el('div', { class: 'src-scroll' }, sourceTable(f, fi, view)));
    return body;
  }

  function sourceTable(f, fi, view) {
    const byLine = new Map(f.lines.map((l) => [l.line, l]));
    const heads = ['#', 'Python', 'native', 'system', 'CPU', 'GIL held'];
    if (hasGilWait) heads.push('GIL wait');
    if (wallMode) heads.push('Wall');
    heads.push('Source');
    const headRow = el('tr');
    heads.forEach((h, i) => headRow.append(el('th', { class: i === heads.length - 1 ? 'code' : null, scope: 'col' }, h)));
    const tbody = document.createElement('tbody');
    const width = heads.length;

    const row = (n) => {
      const l = byLine.get(n);
      const tr = document.createElement('tr');
      tr.id = 'L' + fi + '-' + n;
      if (!l) tr.className = 'cold';
      else if (heat(l) >= HOT_SHARE) tr.className = 'hot';
      const cell = (cls, content) => {
        const td = document.createElement('td');
        td.className = cls;
        if (content) td.append(content);
        tr.append(td);
      };
      cell('ln', String(n));
      cell('num', l ? fmtS(l.cpu_python_s) : '');
      cell('num', l ? fmtS(l.cpu_native_s) : '');
      cell('num', l ? fmtS(l.cpu_system_s) : '');
      cell('bar-cell', l ? bar(l) : null);
      cell('num', l ? fmtS(l.gil_held_s) : '');
      if (hasGilWait) cell('num', l ? fmtS(l.gil_wait_s) : '');
      if (wallMode) cell('num', l ? fmtS(l.wall_s) : '');
      cell('code', sourceLine(f, n));
      view.rows.set(n, tr);
      return tr;
    };

    const foldRow = (first, last) => {
      const tr = document.createElement('tr');
      tr.className = 'fold';
      const td = document.createElement('td');
      td.colSpan = width;
      const button = el('button', { type: 'button' },
        '\u22ef ' + (last - first + 1) + ' lines without samples (' + first + '\u2013' + last + ')');
      const fold = { first, last, open: null };
      fold.open = () => {
        const rows = document.createDocumentFragment();
        for (let n = first; n <= last; n++) rows.append(row(n));
        tr.replaceWith(rows);
        view.folds = view.folds.filter((x) => x !== fold);
      };
      button.addEventListener('click', fold.open);
      view.folds.push(fold);
      td.append(button);
      tr.append(td);
      return tr;
    };

    const rows = document.createDocumentFragment();
    if (!f.source) {
      for (const l of f.lines) rows.append(row(l.line));
    } else {
      const maxSampled = f.lines.length ? f.lines[f.lines.length - 1].line : 0;
      const count = Math.max(f.source.length, maxSampled);
      const keep = new Uint8Array(count + 2);
      const mark = (n, radius) => {
        for (let k = Math.max(1, n - radius); k <= Math.min(count, n + radius); k++) keep[k] = 1;
      };
      for (const l of f.lines) mark(l.line, CONTEXT_LINES);
      for (const fn of f.functions || []) mark(fn.line, 0);
      let n = 1;
      while (n <= count) {
        if (keep[n]) { rows.append(row(n)); n++; continue; }
        let end = n;
        while (end + 1 <= count && !keep[end + 1]) end++;
        if (end - n + 1 >= MIN_FOLD) rows.append(foldRow(n, end));
        else for (let k = n; k <= end; k++) rows.append(row(k));
        n = end + 1;
      }
    }
    tbody.append(rows);
    return el('table', { class: 'src' }, el('thead', null, headRow), tbody);
  }

  // Opens the file, unfolds the line if needed, scrolls to it and flashes it.
  function reveal(fi, line) {
    const view = fileViews[fi];
    if (!view) return;
    view.details.open = true;
    view.render();
    for (const fold of view.folds) if (line >= fold.first && line <= fold.last) { fold.open(); break; }
    const tr = view.rows.get(line);
    if (!tr) { view.details.scrollIntoView(); return; }
    tr.scrollIntoView({ block: 'center' });
    tr.classList.add('flash');
    setTimeout(() => tr.classList.remove('flash'), 1600);
    try { history.replaceState(null, '', '#L' + fi + '-' + line); } catch (e) { /* file: URLs may refuse */ }
  }

  function filesSection() {
    const section = el('section', { id: 'files' }, el('h2', null, 'Files ', legend()));
    if (!files.length) section.append(el('p', { class: 'muted' }, 'No profiled file has samples.'));
    files.forEach((f, fi) => section.append(fileSection(f, fi)));
    return section;
  }

  // ---- threads -------------------------------------------------------------------------

  function threadsSection() {
    const threads = data.threads || [];
    const section = el('section', { id: 'threads' }, el('h2', null, 'Threads'));
    if (!threads.length) {
      section.append(el('p', { class: 'muted' }, 'No thread was recorded.'));
      return section;
    }
    const threadCpu = threads.reduce((s, t) => s + t.cpu_s, 0);
    section.append(sortableTable([
      { label: 'Name', key: (t) => t.name, cell: (t) => t.name },
      { label: 'PID', num: true, key: (t) => t.pid, cell: (t) => String(t.pid) },
      { label: 'TID', num: true, key: (t) => t.tid, cell: (t) => String(t.tid) },
      { label: 'CPU', num: true, key: (t) => t.cpu_s, cell: (t) => fmtS(t.cpu_s) || '0' },
      { label: '%', num: true, key: (t) => t.cpu_s, cell: (t) => fmtPct(t.cpu_s, threadCpu) },
      { label: 'Wall', num: true, key: (t) => t.wall_s, cell: (t) => fmtS(t.wall_s) || '0' },
      { label: 'Samples', num: true, key: (t) => t.samples || 0, cell: (t) => String(t.samples || 0) },
    ], threads, { sortColumn: 3 }));
    return section;
  }

  function footer() {
    const notes = ['Generated by pyrometer (' + data.schema + ').'];
    if (data.truncated_stacks) notes.push(data.truncated_stacks + ' stacks were too deep and lost their outermost frames.');
    if (data.lost_functions) notes.push(data.lost_functions + ' functions could not be recorded.');
    notes.push('Source text is read when the report is made and may differ from the code that ran.');
    return el('footer', null, notes.join(' '));
  }

  app.append(header(), hotLines(), filesSection(), threadsSection(), footer());
  let opened = 0;
  files.forEach((f, fi) => {
    if (opened < FILES_OPEN && f.lines.length) { fileViews[fi].details.open = true; fileViews[fi].render(); opened++; }
  });
  const target = /^#L(\d+)-(\d+)$/.exec(location.hash);
  if (target) reveal(Number(target[1]), Number(target[2]));
})();
