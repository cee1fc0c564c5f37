// Time-ordered views: CPU utilisation from cpu_timeline and, when memory was tracked, the heap
// footprint and RSS from memory.timeline with the peak marked. Both share the run's time axis.

const CHART_W = 960;  // viewBox units; the SVG scales to the page width

// series: [{label, cls, points: [[t, v]], step: bool, area: bool}]; markers: [{t, v, label}].
function timeChart(opts) {
  const H = opts.height || 120;
  const padL = 62, padR = 12, padT = 10, padB = 22;
  const w = CHART_W - padL - padR, h = H - padT - padB;
  const xmax = opts.xmax > 0 ? opts.xmax : 1;
  let ymax = opts.ymax || 0;
  for (const s of opts.series) for (const p of s.points) ymax = Math.max(ymax, p[1]);
  if (!(ymax > 0)) ymax = 1;
  const x = (t) => padL + (w * Math.max(0, Math.min(t, xmax))) / xmax;
  const y = (v) => padT + h - (h * v) / ymax;
  const root = svg('svg', { viewBox: '0 0 ' + CHART_W + ' ' + H, class: 'chart', role: 'img', 'aria-label': opts.title });

  // Axes: a few round ticks on each.
  const ticks = (max, n) => {
    const raw = max / n;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = 0; v <= max + step * 1e-9; v += step) out.push(v);
    return out;
  };
  for (const v of opts.yticks || ticks(ymax, 3)) {
    root.append(svg('line', { x1: padL, x2: padL + w, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: padL - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, opts.yfmt(v)));
  }
  for (const t of ticks(xmax, 8)) {
    root.append(svg('text', { x: x(t), y: H - 6, class: 'axis', 'text-anchor': 'middle' }, fmtDuration(t)));
  }
  root.append(svg('line', { x1: padL, x2: padL + w, y1: padT + h, y2: padT + h, class: 'axis-line' }));

  for (const s of opts.series) {
    if (!s.points.length) continue;
    let d = '';
    s.points.forEach((p, i) => {
      const px = x(p[0]).toFixed(1), py = y(p[1]).toFixed(1);
      if (i === 0) d += 'M' + px + ',' + (s.step ? y(0).toFixed(1) + 'L' + px + ',' : '') + py;
      else if (s.step) d += 'H' + px + 'V' + py;
      else d += 'L' + px + ',' + py;
      if (s.step && i === s.points.length - 1) d += 'H' + x(p[2] !== undefined ? p[2] : xmax).toFixed(1);
    });
    if (s.area) {
      const last = s.points[s.points.length - 1];
      const endX = s.step ? x(last[2] !== undefined ? last[2] : xmax) : x(last[0]);
      root.append(svg('path', { d: d + 'L' + endX.toFixed(1) + ',' + y(0).toFixed(1) + 'L' + x(s.points[0][0]).toFixed(1) + ',' + y(0).toFixed(1) + 'Z', class: 'area ' + s.cls }));
    }
    root.append(svg('path', { d, class: 'line ' + s.cls }));
  }
  for (const m of opts.markers || []) {
    root.append(svg('circle', { cx: x(m.t), cy: y(m.v), r: 4, class: 'marker' }));
    const right = x(m.t) > padL + w * 0.7;
    root.append(svg('text', { x: x(m.t) + (right ? -8 : 8), y: Math.max(padT + 10, y(m.v) + 4), class: 'marker-label', 'text-anchor': right ? 'end' : 'start' }, m.label));
  }

  // A cursor and a readout of every series at the pointer's time.
  const cursor = svg('line', { x1: 0, x2: 0, y1: padT, y2: padT + h, class: 'cursor', visibility: 'hidden' });
  root.append(cursor);
  const readout = el('div', { class: 'readout muted' }, opts.hint || '\u00a0');
  root.addEventListener('mousemove', (e) => {
    const box = root.getBoundingClientRect();
    const vx = ((e.clientX - box.left) / box.width) * CHART_W;
    const t = ((vx - padL) / w) * xmax;
    if (t < 0 || t > xmax) return;
    cursor.setAttribute('x1', vx);
    cursor.setAttribute('x2', vx);
    cursor.setAttribute('visibility', 'visible');
    const parts = [fmtDuration(t)];
    for (const s of opts.series) {
      let best = null;
      for (const p of s.points) if (p[0] <= t + 1e-9) best = p;
      if (best) parts.push(s.label + ' ' + opts.yfmt(best[1]));
    }
    readout.textContent = parts.join(' \u00b7 ');
  });
  root.addEventListener('mouseleave', () => cursor.setAttribute('visibility', 'hidden'));
  return el('figure', { class: 'chart-box' }, el('figcaption', null, opts.title, opts.legend || null), root, readout);
}

// CPU utilisation per bucket of cpu_timeline, in cores.
function cpuChart(M) {
  const points = M.data.cpu_timeline || [];
  const duration = M.data.duration_s || (points.length ? points[points.length - 1][0] : 0);
  if (!points.length) return el('p', { class: 'muted' }, 'No CPU timeline was recorded.');
  const width = points.length > 1 ? points[1][0] - points[0][0] : Math.max(duration, 1e-3);
  const series = points.map(([t, cpu]) => {
    const end = Math.min(t + width, Math.max(duration, t + width / 4));
    return [t, cpu / Math.max(end - t, width / 4), end];
  });
  let peak = series.reduce((m, p) => Math.max(m, p[1]), 0);
  const ymax = Math.max(1, Math.ceil(peak));
  const yticks = [];
  const step = ymax > 8 ? Math.ceil(ymax / 4) : 1;
  for (let v = 0; v <= ymax; v += step) yticks.push(v);
  return timeChart({
    title: 'CPU utilisation', height: 110, xmax: duration, ymax, yticks,
    yfmt: (v) => (Math.round(v * 100) / 100) + (Math.abs(v - 1) < 1e-9 ? ' core' : ' cores'),
    series: [{ label: 'CPU', cls: 'cpu', points: series, step: true, area: true }],
    hint: 'All threads; one core = 100%. Buckets of ' + fmtS(width) + '.',
  });
}

// Heap footprint and RSS over the run, the heap peak marked.
function memoryChart(M) {
  const mem = M.memory;
  const points = (mem && mem.timeline) || [];
  if (!points.length) return el('p', { class: 'muted' }, 'No memory timeline was recorded.');
  const duration = Math.max(M.data.duration_s || 0, points[points.length - 1][0]);
  const markers = [];
  if (mem.peak_bytes > 0) markers.push({ t: mem.peak_t_s || 0, v: mem.peak_bytes, label: 'peak ' + fmtBytes(mem.peak_bytes) + ' at ' + fmtDuration(mem.peak_t_s || 0) });
  return timeChart({
    title: 'Memory', height: 150, xmax: duration, ymax: mem.peak_bytes || 0, yfmt: (v) => fmtBytes(v) || '0',
    series: [
      { label: 'RSS', cls: 'rss', points: points.map((p) => [p[0], p[2] || 0]) },
      { label: 'heap', cls: 'heap', points: points.map((p) => [p[0], p[1] || 0]), area: true },
    ],
    markers,
    legend: legend([['heap-key', 'heap footprint'], ['rss-key', 'RSS']]),
  });
}

function timelineView(M) {
  const section = el('section', { id: 'timeline' }, el('h2', null, 'Timeline'), cpuChart(M));
  if (M.memory) section.append(memoryChart(M));
  else section.append(el('p', { class: 'muted note' }, 'Memory was not tracked in this run (--no-memory, or no memory records in the profile): no heap or RSS timeline.'));
  return { node: section };
}
