// The sortable table, and the hot-lines view built on it.

const HOT_LINES_SHOWN = 100;  // rows of the hot-lines table before "show all"

// A table whose column headers sort it. columns: {label, key(row) -> sort value,
// cell(row) -> string | Node, num, cls, title}; rows: plain objects. Returns
// {node, sort(index, descending)}. Numeric cells carry their sort value in data-value.
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
    const th = el('th', { class: (column.num ? 'num ' : '') + 'sortable', scope: 'col', tabindex: 0, title: column.title,
      'data-col': column.label }, column.label);
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
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return c ? sign * c : a.i - b.i;
    });
    headRow.childNodes.forEach((th, i) => {
      if (i === sortColumn) th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    });
    const body = document.createDocumentFragment();
    const shown = Math.min(limit, indexed.length);
    for (let r = 0; r < shown; r++) {
      const row = indexed[r].row;
      const tr = document.createElement('tr');
      if (options.rowClass) tr.className = options.rowClass(row) || '';
      for (const column of columns) {
        const td = document.createElement('td');
        td.className = (column.num ? 'num ' : '') + (column.cls || '');
        if (column.num) td.setAttribute('data-value', String(column.key(row)));
        const content = column.cell(row);
        if (content !== null && content !== undefined) td.append(content);
        tr.append(td);
      }
      if (options.onRowClick) tr.addEventListener('click', (e) => options.onRowClick(row, e));
      body.append(tr);
    }
    tbody.replaceChildren(body);
    more.hidden = shown >= indexed.length;
    more.textContent = 'Show all ' + indexed.length + ' rows';
  }
  draw();
  const node = el('div', { class: 'table-wrap' }, el('table', { class: 'grid' + (options.cls ? ' ' + options.cls : '') },
    el('thead', null, headRow), tbody), more);
  return {
    node,
    sort(index, desc) { sortColumn = index; descending = desc; draw(); },
  };
}

// The bar of a line: Python / native / system CPU, plus off-CPU wall time in wall mode.
function lineBar(M, l, scale) {
  const cpu = lineCpu(l);
  const parts = [['py', l.cpu_python_s], ['nat', l.cpu_native_s], ['sys', l.cpu_system_s]];
  if (M.wallMode && l.wall_s > cpu) parts.push(['idle', l.wall_s - cpu]);
  return stackedBar(parts, scale, 'Python ' + (fmtS(l.cpu_python_s) || '0') + ', native ' + (fmtS(l.cpu_native_s) || '0') +
    ', system ' + (fmtS(l.cpu_system_s) || '0') + (M.wallMode ? ', wall ' + (fmtS(l.wall_s) || '0') : ''));
}

function cpuLegend(M) {
  return legend([['py', 'Python'], ['nat', 'native'], ['sys', 'system']].concat(M.wallMode ? [['idle', 'off-CPU (wall)']] : []));
}

// The hot lines of every file (or one), sortable by any column.
function hotLinesView(M, reveal) {
  const section = el('section', { id: 'hot-lines' }, el('h2', null, 'Hot lines ', cpuLegend(M)));
  const fileSelect = el('select', { id: 'hot-lines-file', 'aria-label': 'Show the lines of' },
    el('option', { value: '-1' }, 'all files'),
    ...M.files.map((f, fi) => el('option', { value: String(fi), title: f.path }, M.shortPath(f.path))));
  const controls = el('div', { class: 'controls' }, el('label', null, 'File ', fileSelect));
  const holder = el('div');
  section.append(controls, holder);
  const view = { node: section, table: null };
  const gilWait = M.files.some((f) => f.lines.some((l) => l.gil_wait_s > 0));

  function columns(totalCpu) {
    const cols = [
      { label: 'Location', key: (r) => r.path + ':' + String(r.l.line).padStart(8, '0'), cls: 'loc',
        cell: (r) => el('a', { href: '#L' + r.fi + '-' + r.l.line, title: r.path, onclick: (e) => { e.preventDefault(); reveal(r.fi, r.l.line); } },
          M.shortPath(r.path) + ':' + r.l.line) },
      { label: 'CPU', num: true, key: (r) => r.cpu, cell: (r) => fmtS(r.cpu) },
      { label: '%', num: true, key: (r) => r.cpu, cell: (r) => fmtPct(r.cpu, totalCpu), title: 'share of the CPU time in view' },
      { label: 'Python', num: true, key: (r) => r.l.cpu_python_s, cell: (r) => fmtS(r.l.cpu_python_s) },
      { label: 'native', num: true, key: (r) => r.l.cpu_native_s, cell: (r) => fmtS(r.l.cpu_native_s) },
      { label: 'system', num: true, key: (r) => r.l.cpu_system_s, cell: (r) => fmtS(r.l.cpu_system_s) },
      { label: '', key: (r) => r.cpu, cell: (r) => lineBar(M, r.l, view.scale) },
      { label: 'GIL held', num: true, key: (r) => r.l.gil_held_s, cell: (r) => fmtS(r.l.gil_held_s) },
    ];
    if (gilWait) cols.push({ label: 'GIL wait', num: true, key: (r) => r.l.gil_wait_s, cell: (r) => fmtS(r.l.gil_wait_s) });
    if (M.wallMode) cols.push({ label: 'Wall', num: true, key: (r) => r.l.wall_s, cell: (r) => fmtS(r.l.wall_s) });
    if (M.memory) {
      cols.push({ label: 'Alloc', num: true, key: (r) => r.l.alloc_bytes || 0, cell: (r) => fmtBytes(r.l.alloc_bytes) });
      cols.push({ label: 'Live', num: true, key: (r) => r.l.live_bytes || 0, cell: (r) => fmtBytes(r.l.live_bytes) });
      cols.push({ label: 'At peak', num: true, key: (r) => r.l.peak_bytes || 0, cell: (r) => fmtBytes(r.l.peak_bytes) });
    }
    cols.push({ label: 'Source', key: (r) => r.text, cell: (r) => r.text, cls: 'code' });
    return cols;
  }

  view.refresh = () => {
    const only = Number(fileSelect.value);
    const rows = [];
    const perFile = M.fileLines();
    perFile.forEach((lines, fi) => {
      if (only >= 0 && fi !== only) return;
      for (const l of lines) {
        rows.push({ fi, path: M.files[fi].path, l, cpu: lineCpu(l), text: (M.sourceLine(fi, l.line) || '').trim() });
      }
    });
    view.scale = rows.reduce((m, r) => Math.max(m, r.cpu, M.wallMode ? r.l.wall_s : 0), 1e-12);
    if (!rows.length) {
      view.table = null;
      holder.replaceChildren(el('p', { class: 'muted' }, M.thread >= 0 ? 'No line of this thread was sampled in profiled code.'
        : 'No samples landed in profiled code.' + (M.data.profile_all ? '' : ' Re-run with --profile-all to see library and standard-library lines.')));
      return;
    }
    const cols = columns(M.totals().cpu);
    const sortColumn = M.wallMode ? cols.findIndex((c) => c.label === 'Wall') : 1;
    view.table = sortableTable(cols, rows, { sortColumn, limit: HOT_LINES_SHOWN, cls: 'hot-lines' });
    holder.replaceChildren(view.table.node);
  };
  fileSelect.addEventListener('change', view.refresh);
  M.listeners.push(view.refresh);
  view.refresh();
  return view;
}
