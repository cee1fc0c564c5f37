// The self-test: opened as report.html#pyro-selftest (with &search=REGEX, &zoom=REGEX,
// &thread=NAME, &unfold=1), the page drives its own controls the way a reader would — sorts the hot
// lines, zooms the flame graph, searches it, opens a line's detail, filters by thread — and
// writes what it saw as JSON into the pre element #pyro-selftest, for a headless browser to read
// back with --dump-dom. It runs only when asked; nothing of it shows otherwise.

function runSelftest(M, views, params) {
  const result = {};
  const step = (name, fn) => {
    try { result[name] = fn(); } catch (e) { result[name] = { error: String((e && e.stack) || e) }; }
  };
  const visible = (node) => !!node && node.isConnected && node.getClientRects().length > 0;

  step('resources', () => performance.getEntriesByType('resource').map((e) => e.name));
  step('pwned', () => (window.__pyro_pwned === undefined ? null : String(window.__pyro_pwned)));
  step('title', () => document.title);

  step('hot', () => Array.from(document.querySelectorAll('table.src tr.hot')).map((tr) => {
    const [fi, line] = tr.id.slice(1).split('-').map(Number);
    return { path: M.files[fi].path, line, visible: visible(tr), text: tr.querySelector('td.code').textContent };
  }));

  step('sort', () => {
    const table = () => document.querySelector('#hot-lines table');
    const header = (label) => Array.from(table().querySelectorAll('th')).find((th) => th.getAttribute('data-col') === label);
    const column = (label) => {
      const index = Array.from(table().querySelectorAll('th')).indexOf(header(label));
      return Array.from(table().querySelectorAll('tbody tr')).map((tr) => {
        const td = tr.children[index];
        return td.hasAttribute('data-value') ? Number(td.getAttribute('data-value')) : td.textContent;
      });
    };
    const out = { initial: column('CPU'), initial_order: header('CPU').getAttribute('aria-sort') };
    header('CPU').click();
    out.after_click = column('CPU');
    out.after_click_order = header('CPU').getAttribute('aria-sort');
    header('Python').click();
    out.python = column('Python');
    out.python_order = header('Python').getAttribute('aria-sort');
    header('Location').click();
    out.location = column('Location');
    out.location_order = header('Location').getAttribute('aria-sort');
    header('CPU').click();
    return out;
  });

  step('file_filter', () => {
    const select = document.getElementById('hot-lines-file');
    if (!select || M.files.length === 0) return { error: 'no file to filter by' };
    const rows = () => Array.from(document.querySelectorAll('#hot-lines tbody tr td.loc a')).map((a) => a.title);
    const out = { all: rows().length };
    select.value = String(M.files.length - 1);
    select.dispatchEvent(new Event('change', { bubbles: true }));
    out.picked = M.files[M.files.length - 1].path;
    out.paths = Array.from(new Set(rows()));
    out.rows = rows().length;
    select.value = '-1';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    out.restored = rows().length === out.all;
    return out;
  });

  const flame = views.flame;
  const flameNodes = () => Array.from(flame.elements.entries());
  const findNode = (pattern) => {
    const re = new RegExp(pattern);
    let best = null;
    for (const [g, node] of flameNodes()) {
      if (node.frame < 0 || !re.test(M.frames[node.frame].name)) continue;
      if (!best || node.value > best[1].value) best = [g, node];
    }
    return best;
  };
  const width = (g) => Number(g.querySelector('rect').getAttribute('width'));

  step('zoom', () => {
    const pattern = params.get('zoom') || '.';
    const found = findNode(pattern);
    if (!found) return { error: 'no flame graph frame matches ' + pattern };
    const [g, node] = found;
    const svgWidth = Number(document.getElementById('flame-svg').getAttribute('width'));
    const out = { name: M.frames[node.frame].name, before: width(g), svg_width: svgWidth, nodes_before: flame.elements.size };
    g.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    const after = flameNodes().find(([, n]) => n === node);
    out.after = after ? width(after[0]) : null;
    out.zoomed = flame.state.zoom === node;
    out.ancestors = document.querySelectorAll('#flame g.fg-node.ancestor').length;
    out.nodes_after = flame.elements.size;
    document.getElementById('flame-reset').click();
    out.reset = flame.state.zoom === flame.state.root;
    return out;
  });

  step('search', () => {
    const pattern = params.get('search') || '.';
    const input = document.getElementById('flame-search');
    input.value = '(';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const out = { invalid_flagged: input.classList.contains('invalid') };
    input.value = pattern;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const match = document.getElementById('flame-match');
    out.regex = pattern;
    out.share = Number(match.getAttribute('data-share'));
    out.highlighted = document.querySelectorAll('#flame g.fg-node.match').length;
    out.text = match.textContent;
    // The same share, counted from the stacks directly.
    const re = new RegExp(pattern, 'i');
    let all = 0, hit = 0;
    for (const s of M.stacksInView()) {
      const v = stackValue(s, flame.state.metric);
      all += v;
      for (let n = s.leaf; n >= 0; n = M.nodeParent[n]) {
        if (flame.state.hideStartup && flame.startupNodes[n]) continue;  // not in the graph
        const frame = M.frames[M.nodeFrame[n]];
        if (re.test(frame.name) || re.test(frame.text)) { hit += v; break; }
      }
    }
    out.expected_share = all > 0 ? hit / all : 0;
    input.value = '';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    return out;
  });

  step('detail', () => {
    const tr = document.querySelector('table.src tr.hot') || document.querySelector('table.src tr.sampled');
    if (!tr) return { error: 'no sampled line' };
    tr.click();
    const panel = tr.nextElementSibling && tr.nextElementSibling.querySelector('.detail-panel');
    if (!panel) return { error: 'no detail panel opened' };
    const out = {
      line: tr.id,
      head: panel.querySelector('.detail-head').textContent,
      callers: Array.from(panel.querySelectorAll('.callers li')).map((li) => li.textContent),
      natives: panel.querySelector('.natives').textContent,
      python_below: panel.querySelector('.python-below').textContent,
    };
    tr.click();
    out.closed = !(tr.nextElementSibling && tr.nextElementSibling.classList.contains('detail'));
    return out;
  });

  step('threads', () => {
    const out = { count: M.threads.length, names: M.threads.map((t) => t.name) };
    const wanted = params.get('thread');
    const index = wanted ? M.threads.findIndex((t) => t.name === wanted) : M.threads.length > 1 ? 1 : -1;
    if (index < 0) return out;
    const select = document.getElementById('thread-filter');
    const hotRows = () => Array.from(document.querySelectorAll('#hot-lines tbody tr td.loc')).map((td) => td.textContent);
    out.all = hotRows();
    if (select) {
      select.value = String(index);
      select.dispatchEvent(new Event('change', { bubbles: true }));
    } else {
      M.setThread(index);
    }
    out.picked = M.threads[index].name;
    out.filtered = hotRows();
    out.flame_total = flame.state.root ? flame.state.root.value : 0;
    out.hot_in_view = Array.from(document.querySelectorAll('table.src tr.hot')).map((tr) => tr.id);
    M.setThread(-1);
    out.restored = hotRows().length === out.all.length;
    return out;
  });

  // What the memory views drew (their text, as a reader sees it).
  step('memory', () => {
    const section = document.querySelector('#memory');
    const timeline = document.querySelector('#timeline');
    return {
      tracked: !!M.memory,
      rows: section ? Array.from(section.querySelectorAll('tbody tr')).map((tr) => tr.textContent) : [],
      timeline: timeline ? timeline.textContent : '',
    };
  });

  // &unfold=1, last (a thread filter change redraws the files): every file open and every
  // fold unfolded, so all the source text is in the page; then whether any of it ran.
  if (params.get('unfold')) {
    step('unfolded', () => {
      let lines = 0;
      for (const fv of views.files.files) {
        fv.details.open = true;
        fv.render();
        for (const fold of fv.folds.slice()) fold.open();
        lines += fv.rows.size;
      }
      return lines;
    });
    step('pwned', () => (window.__pyro_pwned === undefined ? null : String(window.__pyro_pwned)));
  }

  result.errors = pageErrors.slice();
  const pre = el('pre', { id: 'pyro-selftest' }, JSON.stringify(result));
  document.body.append(pre);
  document.title += ' [selftest done]';
}
