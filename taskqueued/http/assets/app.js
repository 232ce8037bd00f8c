// taskqueue dashboard. Plain JavaScript, no dependencies: the page talks to
// /api/v1 and follows /api/v1/events (Server-Sent Events read with fetch, so
// that the bearer token can be sent as a header).
'use strict';

(function () {
  const STATES = ['all', 'waiting', 'deferred', 'processing', 'scheduled', 'complete', 'failed'];
  const KUE_PAGES = { '/active': 'processing', '/inactive': 'waiting', '/failed': 'failed',
                      '/complete': 'complete', '/delayed': 'scheduled' };
  const PAGE_SIZE = 50;
  const TOKEN_KEY = 'taskqueue-token';

  const view = {
    state: 'all', command: '', order: 'desc', cursors: [0], page: 0,
    search: '', tasks: [], selected: -1, openId: null, nextAfter: null, count: null,
  };
  let role = 'full';
  let paused = false;
  let lastEventId = null;
  let streamAbort = null;
  let listTimer = null, detailTimer = null, commandsTimer = null;
  let knownCommands = new Set();

  // --- DOM helpers (text only: task data never becomes HTML) ---------------
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function toast(message, isError) {
    const t = el('div', { class: 'toast' + (isError ? ' error' : ''), role: 'status', text: message });
    $('toasts').append(t);
    setTimeout(() => t.remove(), isError ? 6000 : 3000);
  }
  function fmtTime(ms) {
    if (ms === null || ms === undefined) return '–';
    return new Date(ms).toLocaleString();
  }
  function ago(ms) {
    if (!ms) return '–';
    const s = Math.round((Date.now() - ms) / 1000);
    const abs = Math.abs(s);
    const unit = abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.round(abs / 60), 'min'] :
                 abs < 86400 ? [Math.round(abs / 3600), 'h'] : [Math.round(abs / 86400), 'd'];
    return s >= 0 ? unit[0] + ' ' + unit[1] + ' ago' : 'in ' + unit[0] + ' ' + unit[1];
  }
  function fmtDuration(ms) {
    if (ms === null || ms === undefined) return '';
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    const m = Math.floor(ms / 60000), s = Math.round((ms % 60000) / 1000);
    return m + ' min ' + s + ' s';
  }
  function quoteArg(a) {
    return /^[^\s'"\\]+$/.test(a) ? a : "'" + a.replace(/'/g, "\\'") + "'";
  }

  // --- API ------------------------------------------------------------------
  function headers(extra) {
    const h = Object.assign({ 'Accept': 'application/json' }, extra || {});
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) h['Authorization'] = 'Bearer ' + token;
    return h;
  }
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  async function api(method, path, body) {
    const init = { method, headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
                   credentials: 'same-origin' };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(path, init);
    if (res.status === 401) { showLogin(); throw new ApiError(401, 'A token is required'); }
    const type = res.headers.get('Content-Type') || '';
    const data = type.includes('json') ? await res.json() : await res.text();
    if (!res.ok) {
      const msg = data && data.error ? (data.error.message || data.error) : ('HTTP ' + res.status);
      throw new ApiError(res.status, msg);
    }
    return data;
  }

  // --- Login ----------------------------------------------------------------
  function showLogin(message) {
    $('login').classList.remove('hidden');
    $('login-error').classList.toggle('hidden', !message);
    $('login-error').textContent = message || '';
    $('login-token').focus();
  }
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('login-token').value.trim());
    try {
      await api('GET', '/api/v1/whoami');
      $('login').classList.add('hidden');
      $('login-token').value = '';
      start();
    } catch (err) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin('That token was not accepted.');
    }
  });

  // --- Counts, pause --------------------------------------------------------
  function setCounts(counts) {
    let total = 0;
    for (const s of STATES.slice(1)) {
      const n = counts[s] || 0;
      total += n;
      const node = $('count-' + s);
      if (node.textContent !== String(n)) {
        node.textContent = String(n);
        node.classList.remove('bump'); void node.offsetWidth; node.classList.add('bump');
      }
    }
    $('count-all').textContent = String(total);
  }
  function setPaused(value) {
    if (value === null || value === undefined) return;
    paused = value;
    $('paused-badge').classList.toggle('hidden', !paused);
    $('btn-pause').textContent = paused ? 'Resume' : 'Pause';
  }
  async function togglePause() {
    try {
      const r = await api('POST', paused ? '/api/v1/resume' : '/api/v1/pause');
      setPaused(r.paused);
      toast(r.paused ? 'Queue paused: no new task will start' : 'Queue resumed');
    } catch (err) { toast(err.message, true); }
  }

  // --- Commands -------------------------------------------------------------
  async function loadCommands() {
    try {
      const r = await api('GET', '/api/v1/commands');
      const ul = $('commands');
      ul.textContent = '';
      knownCommands = new Set(r.commands.map((c) => c.name));
      const all = el('li', {}, el('a', { href: '#', 'data-command': '', class: view.command === '' ? 'active' : '',
                                          onclick: (e) => { e.preventDefault(); setCommand(''); } }, 'all commands'));
      ul.append(all);
      for (const c of r.commands) {
        ul.append(el('li', {}, el('a', {
          href: '#', 'data-command': c.name, class: view.command === c.name ? 'active' : '',
          title: c.registered ? 'registered processor' : 'no processor registered now',
          onclick: (e) => { e.preventDefault(); setCommand(c.name); } },
          el('span', { text: c.name }), c.registered ? null : el('span', { class: 'count', text: '?' }))));
      }
    } catch (err) { if (err.status !== 401) toast('Commands: ' + err.message, true); }
  }

  // --- Task list ------------------------------------------------------------
  function setState(state) {
    if (!STATES.includes(state)) return;
    view.state = state; view.search = ''; $('search').value = '';
    resetPaging(); writeHash(); loadList();
  }
  function setCommand(command) {
    view.command = command; resetPaging(); writeHash(); loadList(); loadCommands();
  }
  function resetPaging() { view.cursors = [0]; view.page = 0; view.selected = -1; }
  function writeHash() {
    const parts = [view.state];
    if (view.command) parts.push('command=' + encodeURIComponent(view.command));
    if (view.openId) parts.push('task=' + view.openId);
    const h = '#' + parts.join('&');
    if (location.hash !== h) history.replaceState(null, '', location.pathname + h);
  }
  function readHash() {
    const h = location.hash.replace(/^#/, '');
    if (!h) {
      const s = KUE_PAGES[location.pathname];
      if (s) view.state = s;
      return;
    }
    const parts = h.split('&');
    if (STATES.includes(parts[0])) view.state = parts[0];
    for (const p of parts.slice(1)) {
      const [k, v] = p.split('=');
      if (k === 'command') view.command = decodeURIComponent(v || '');
      if (k === 'task' && /^\d+$/.test(v)) view.openId = Number(v);
    }
  }

  async function loadList() {
    for (const a of document.querySelectorAll('#states a')) {
      a.classList.toggle('active', a.dataset.state === view.state && !view.search);
    }
    const stateLabel = view.state === 'all' ? 'All tasks' : view.state[0].toUpperCase() + view.state.slice(1);
    $('list-title').textContent = view.search ? 'Search: ' + view.search
                                              : stateLabel + (view.command ? ' · ' + view.command : '');
    try {
      let r;
      if (view.search) {
        const q = new URLSearchParams({ q: view.search, limit: '200' });
        if (view.state !== 'all') q.set('state', view.state);
        if (view.command) q.set('command', view.command);
        r = await api('GET', '/api/v1/search?' + q);
        r.next_after = null; r.count = r.tasks.length;
      } else {
        const q = new URLSearchParams({ limit: String(PAGE_SIZE), order: view.order,
                                        after: String(view.cursors[view.page]) });
        if (view.state !== 'all') q.set('state', view.state);
        if (view.command) q.set('command', view.command);
        r = await api('GET', '/api/v1/tasks?' + q);
      }
      view.tasks = r.tasks; view.nextAfter = r.next_after; view.count = r.count;
      renderList();
    } catch (err) { if (err.status !== 401) toast('Tasks: ' + err.message, true); }
  }

  function progressCell(t) {
    if (t.state === 'processing' || (t.progress > 0 && t.state !== 'complete')) {
      const bar = el('div', { class: 'bar', title: t.progress + '%' }, el('span'));
      bar.firstChild.style.width = Math.max(0, Math.min(100, t.progress)) + '%';
      return bar;
    }
    if (t.duration_ms !== null && t.duration_ms !== undefined) return el('span', { class: 'muted', text: fmtDuration(t.duration_ms) });
    if (t.state === 'scheduled' && t.run_at_ms) return el('span', { class: 'muted', text: 'runs ' + ago(t.run_at_ms) });
    return '';
  }

  function renderList() {
    const body = $('task-rows');
    body.textContent = '';
    view.tasks.forEach((t, i) => {
      const row = el('tr', { 'data-id': t.id, 'data-state': t.state, class: (i === view.selected || t.id === view.openId) ? 'selected' : '',
                             onclick: () => { view.selected = i; openTask(t.id); } },
        el('td', { class: 'muted', text: '#' + t.id }),
        el('td', { class: 'cmd', title: t.command + ' ' + t.args.map(quoteArg).join(' ') },
           el('span', { text: t.command }), ' ', el('span', { class: 'args', text: t.args.map(quoteArg).join(' ') })),
        el('td', {}, el('span', { class: 'pill ' + t.state, text: t.state })),
        el('td', { class: 'c-num', text: String(t.priority) }),
        el('td', { class: 'c-num', text: t.attempts_made + ' / ' + t.attempts_max }),
        el('td', { class: 'muted', title: fmtTime(t.created_at_ms), text: ago(t.created_at_ms) }),
        el('td', {}, progressCell(t)));
      body.append(row);
    });
    $('empty').classList.toggle('hidden', view.tasks.length > 0);
    const first = view.page * PAGE_SIZE + 1;
    $('page-info').textContent = view.tasks.length === 0 ? '' :
      view.search ? view.tasks.length + ' found'
                  : first + '–' + (first + view.tasks.length - 1) + (view.count !== null ? ' of ' + view.count : '');
    $('btn-prev').disabled = view.search !== '' || view.page === 0;
    $('btn-next').disabled = view.search !== '' || view.nextAfter === null;
  }

  function scheduleListRefresh() {
    if (listTimer) return;
    listTimer = setTimeout(() => { listTimer = null; loadList(); }, 250);
  }

  // --- Detail pane ----------------------------------------------------------
  async function openTask(id) {
    view.openId = id; writeHash();
    for (const row of document.querySelectorAll('#task-rows tr')) {
      row.classList.toggle('selected', Number(row.dataset.id) === id);
    }
    await loadDetail();
  }
  function closeDetail() {
    view.openId = null; writeHash();
    $('detail').classList.add('hidden');
    for (const row of document.querySelectorAll('#task-rows tr.selected')) row.classList.remove('selected');
  }

  async function loadDetail() {
    const id = view.openId;
    if (!id) return;
    let task, logs, output = '';
    try {
      task = await api('GET', '/api/v1/tasks/' + id);
      logs = await api('GET', '/api/v1/tasks/' + id + '/logs');
      if (task.state !== 'scheduled' && task.state !== 'waiting') output = await api('GET', '/api/v1/tasks/' + id + '/output');
    } catch (err) {
      if (err.status === 404) { toast('Task #' + id + ' is gone'); closeDetail(); }
      else if (err.status !== 401) toast(err.message, true);
      return;
    }
    if (view.openId !== id) return;
    renderDetail(task, logs.lines, typeof output === 'string' ? output : '');
  }

  function kv(pairs) {
    const dl = el('dl', { class: 'kv' });
    for (const [k, v] of pairs) {
      if (v === null || v === undefined || v === '') continue;
      dl.append(el('dt', { text: k }), el('dd', {}, v));
    }
    return dl;
  }

  function renderDetail(t, lines, output) {
    $('detail').classList.remove('hidden');
    $('detail').dataset.id = t.id;
    $('detail').dataset.state = t.state;
    $('detail-title').textContent = '#' + t.id + ' ' + t.command;
    $('detail-sub').textContent = t.uuid;
    const canRetry = t.state === 'failed' || t.state === 'complete';
    const canPrio = t.state === 'waiting' || t.state === 'deferred' || t.state === 'scheduled';
    $('btn-retry').disabled = !canRetry || role !== 'full';
    $('btn-remove').disabled = t.state === 'processing' || role !== 'full';
    $('prio-edit').classList.toggle('hidden', !canPrio || role !== 'full');
    const names = { '-15': 'critical', '-10': 'high', '-5': 'medium', '0': 'normal', '10': 'low' };
    $('prio-select').value = names[String(t.priority)] || 'normal';

    const body = $('detail-body');
    body.textContent = '';
    const pill = el('span', { class: 'pill ' + t.state, text: t.state });
    body.append(el('h3', { text: 'Overview' }), kv([
      ['State', pill],
      ['Priority', String(t.priority)],
      ['Attempts', t.attempts_made + ' of ' + t.attempts_max + (t.attempts_remaining ? ' (' + t.attempts_remaining + ' left)' : '')],
      ['Backoff', t.backoff],
      ['Timeout', t.timeout ? t.timeout + ' s' : ''],
      ['Exit status', t.exit_status !== null ? String(t.exit_status) : ''],
      ['Signal', t.term_signal !== null ? String(t.term_signal) : ''],
      ['PID', t.pid ? String(t.pid) : ''],
      ['Deferral tags', t.deferral_tags.length ? t.deferral_tags.join(', ') : ''],
    ]));
    if (t.state === 'processing' || t.progress > 0) {
      const bar = el('div', { class: 'bar' + (t.progress >= 100 ? ' done' : '') }, el('span'));
      bar.firstChild.style.width = t.progress + '%';
      body.append(el('h3', { text: 'Progress ' + t.progress + '%' }), bar,
                  t.progress_data ? el('p', { class: 'muted', text: t.progress_data }) : null);
    }
    body.append(el('h3', { text: 'Timing' }), kv([
      ['Created', fmtTime(t.created_at_ms)],
      ['Run at', t.run_at_ms ? fmtTime(t.run_at_ms) + ' (' + ago(t.run_at_ms) + ')' : ''],
      ['Started', t.started_at_ms ? fmtTime(t.started_at_ms) : ''],
      ['Finished', t.finished_at_ms ? fmtTime(t.finished_at_ms) : ''],
      ['Duration', fmtDuration(t.duration_ms)],
    ]));
    body.append(el('h3', { text: 'Arguments (' + t.args.length + ')' }),
                t.args.length ? el('ol', { class: 'args' }, t.args.map((a) => el('li', { text: a })))
                              : el('p', { class: 'muted', text: 'none' }));
    const ud = Object.entries(t.userdata || {});
    body.append(el('h3', { text: 'Userdata' }),
                ud.length ? kv(ud.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
                          : el('p', { class: 'muted', text: 'none' }));
    if (t.error) body.append(el('h3', { text: 'Error' }), el('pre', { class: 'box error', id: 'detail-error', text: t.error }));
    if (t.result) body.append(el('h3', { text: 'Result' }), el('pre', { class: 'box', text: t.result }));
    body.append(el('h3', { text: 'Log (' + lines.length + ')' }),
                lines.length ? el('div', { class: 'log', id: 'detail-log' },
                                  lines.map((l) => el('div', {}, el('time', { text: new Date(l.time).toLocaleTimeString() }), l.line)))
                             : el('p', { class: 'muted', text: 'no log lines' }));
    body.append(el('h3', { text: 'Output' }),
                output ? el('pre', { class: 'box', id: 'detail-output', text: output })
                       : el('p', { class: 'muted', text: 'no output' }));
  }

  function scheduleDetailRefresh() {
    if (detailTimer) return;
    detailTimer = setTimeout(() => { detailTimer = null; loadDetail(); }, 200);
  }

  async function retryOpen() {
    if (!view.openId || $('btn-retry').disabled) return;
    try { await api('POST', '/api/v1/tasks/' + view.openId + '/retry'); toast('Task #' + view.openId + ' will run again'); }
    catch (err) { toast(err.message, true); }
    scheduleDetailRefresh(); scheduleListRefresh();
  }
  async function removeOpen() {
    if (!view.openId || $('btn-remove').disabled) return;
    if (!confirm('Remove task #' + view.openId + ' and its history?')) return;
    const id = view.openId;
    try { await api('DELETE', '/api/v1/tasks/' + id); toast('Task #' + id + ' removed'); closeDetail(); }
    catch (err) { toast(err.message, true); }
    scheduleListRefresh();
  }
  async function setPriority() {
    if (!view.openId) return;
    try {
      await api('PUT', '/api/v1/tasks/' + view.openId + '/priority', { priority: $('prio-select').value });
      toast('Priority set to ' + $('prio-select').value);
    } catch (err) { toast(err.message, true); }
    scheduleDetailRefresh(); scheduleListRefresh();
  }

  // --- Live updates (SSE over fetch) ---------------------------------------
  function setConn(state, text) {
    const c = $('conn');
    c.className = 'conn ' + state;
    c.textContent = text;
  }
  function handleFrame(frame) {
    let event = 'message', data = '', id = null;
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data += (data ? '\n' : '') + value;
      else if (field === 'id') id = value;
    }
    if (id !== null) lastEventId = id;
    if (!data) return;
    const body = JSON.parse(data);
    if (event === 'stats') {
      setCounts(body.counts); setPaused(body.paused);
      return;
    }
    onTaskEvent(body);
  }
  function onTaskEvent(e) {
    if (e.type === 'paused' || e.type === 'unpaused') { setPaused(e.type === 'paused'); return; }
    if (view.openId && e.task_id === view.openId) scheduleDetailRefresh();
    // The shown page changes when a shown task changes, or when a task may
    // enter the shown state.
    const shown = view.tasks.some((t) => t.id === e.task_id);
    if (shown || !view.search) scheduleListRefresh();
    if (e.type === 'enqueue' || e.type === 'schedule') {
      if (!knownCommands.has((e.data && e.data.command) || '')) {
        if (!commandsTimer) commandsTimer = setTimeout(() => { commandsTimer = null; loadCommands(); }, 1000);
      }
    }
  }
  async function follow() {
    if (streamAbort) streamAbort.abort();
    const controller = new AbortController();
    streamAbort = controller;
    const h = headers({ 'Accept': 'text/event-stream' });
    if (lastEventId !== null) h['Last-Event-ID'] = lastEventId;
    try {
      const res = await fetch('/api/v1/events', { headers: h, signal: controller.signal, credentials: 'same-origin' });
      if (res.status === 401) { showLogin(); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      setConn('live', 'live');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          try { handleFrame(frame); } catch (err) { console.error(err); }
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return;
    }
    if (controller.signal.aborted) return;
    setConn('down', 'reconnecting…');
    setTimeout(follow, 2000);
  }

  // --- Keyboard -------------------------------------------------------------
  function moveSelection(delta) {
    if (!view.tasks.length) return;
    view.selected = Math.max(0, Math.min(view.tasks.length - 1, view.selected + delta));
    const rows = document.querySelectorAll('#task-rows tr');
    rows.forEach((r, i) => r.classList.toggle('selected', i === view.selected));
    rows[view.selected].scrollIntoView({ block: 'nearest' });
  }
  document.addEventListener('keydown', (e) => {
    const typing = ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement.tagName);
    if (e.key === 'Escape') {
      if (!$('help').classList.contains('hidden')) { $('help').classList.add('hidden'); return; }
      if (typing) { document.activeElement.blur(); }
      if (view.openId) { closeDetail(); return; }
      if (view.search) { view.search = ''; $('search').value = ''; resetPaging(); loadList(); }
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const digit = '1234567'.indexOf(e.key);
    if (digit >= 0) { setState(STATES[digit]); e.preventDefault(); return; }
    switch (e.key) {
      case '/': e.preventDefault(); $('search').focus(); $('search').select(); break;
      case 'j': case 'ArrowDown': e.preventDefault(); moveSelection(1); break;
      case 'k': case 'ArrowUp': e.preventDefault(); moveSelection(-1); break;
      case 'Enter': if (view.selected >= 0 && view.tasks[view.selected]) openTask(view.tasks[view.selected].id); break;
      case '[': if (!$('btn-prev').disabled) $('btn-prev').click(); break;
      case ']': if (!$('btn-next').disabled) $('btn-next').click(); break;
      case 's': $('sort').value = view.order === 'desc' ? 'asc' : 'desc'; $('sort').dispatchEvent(new Event('change')); break;
      case 'r': retryOpen(); break;
      case 'x': case 'Delete': removeOpen(); break;
      case 'p': togglePause(); break;
      case '?': $('help').classList.remove('hidden'); break;
      default: break;
    }
  });

  // --- Wiring ---------------------------------------------------------------
  for (const a of document.querySelectorAll('#states a')) {
    a.addEventListener('click', (e) => { e.preventDefault(); setState(a.dataset.state); });
  }
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    view.search = $('search').value.trim(); resetPaging(); loadList();
  });
  $('sort').addEventListener('change', () => { view.order = $('sort').value; resetPaging(); loadList(); });
  $('btn-prev').addEventListener('click', () => { if (view.page > 0) { view.page--; view.selected = -1; loadList(); } });
  $('btn-next').addEventListener('click', () => {
    if (view.nextAfter === null) return;
    view.cursors[view.page + 1] = view.nextAfter; view.page++; view.selected = -1; loadList();
  });
  $('btn-pause').addEventListener('click', togglePause);
  $('btn-close').addEventListener('click', closeDetail);
  $('btn-retry').addEventListener('click', retryOpen);
  $('btn-remove').addEventListener('click', removeOpen);
  $('btn-prio').addEventListener('click', setPriority);
  $('help-close').addEventListener('click', () => $('help').classList.add('hidden'));
  setInterval(() => { if (view.tasks.length) renderList(); }, 30000);  // keep "x min ago" fresh

  async function start() {
    try {
      const who = await api('GET', '/api/v1/whoami');
      role = who.role;
      document.body.dataset.role = role;
      $('btn-pause').disabled = role !== 'full';
      const info = await api('GET', '/api/v1/info');
      $('queue-name').textContent = info.name + ' · ' + info.state_dir;
      document.title = 'taskqueue · ' + info.name;
      const stats = await api('GET', '/api/v1/stats');
      setCounts(stats.counts); setPaused(stats.paused);
      lastEventId = String(stats.last_event_id);
    } catch (err) {
      if (err.status !== 401) { toast(err.message, true); setConn('down', 'offline'); }
      return;
    }
    readHash();
    $('sort').value = view.order;
    loadCommands();
    await loadList();
    if (view.openId) openTask(view.openId);
    follow();
  }
  start();
})();
