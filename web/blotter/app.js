// fixgw blotter. Talks only to the gateway that served it: the admin API with
// the operator's bearer token (kept in this tab's memory, never in storage),
// live reports over server-sent events read with fetch() so the token travels
// in the Authorization header, never in a URL.
'use strict';
(() => {
  const $ = (sel) => document.querySelector(sel);
  let token = null;
  let streamAbort = null;
  let pollTimer = null;
  const orders = new Map();  // order_id -> last report

  async function api(method, path, body) {
    const opts = { method, headers: { Authorization: 'Bearer ' + token } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(path, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = { ok: false, error: 'HTTP ' + r.status }; }
    return { status: r.status, data };
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function fillTable(id, rows, render) {
    const tb = document.querySelector('#' + id + ' tbody');
    tb.replaceChildren(...rows.map((r) => { const tr = document.createElement('tr'); render(tr, r); return tr; }));
  }

  function shortTime(ns) {
    if (!ns || ns === '0') return '';
    const d = new Date(Number(BigInt(ns) / 1000000n));
    return d.toISOString().substring(11, 23);
  }

  // ---------------------------------------------------------------- orders
  function upsertOrder(o) {
    orders.set(o.order_id, o);
    let tr = document.querySelector('#orders tbody tr[data-order-id="' + CSS.escape(o.order_id) + '"]');
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.orderId = o.order_id;
      $('#orders tbody').prepend(tr);
    }
    tr.dataset.clOrdId = o.cl_ord_id;
    tr.dataset.status = o.status;
    tr.replaceChildren();
    cell(tr, o.time || '');
    cell(tr, o.cl_ord_id, 'clordid');
    cell(tr, o.order_id);
    cell(tr, o.account);
    cell(tr, o.symbol);
    cell(tr, o.side);
    cell(tr, o.qty, 'num');
    cell(tr, o.price, 'num');
    cell(tr, o.cum_qty, 'num');
    cell(tr, o.avg_px, 'num');
    cell(tr, o.status, 'status status-' + o.status);
    cell(tr, o.text || '', 'text');
  }

  function onReport(r) {
    r.time = shortTime(r.transact_time_ns);
    upsertOrder(r);
    if (r.exec_type === 'TRADE') {
      const tr = document.createElement('tr');
      tr.dataset.clOrdId = r.cl_ord_id;
      cell(tr, r.cl_ord_id); cell(tr, r.symbol); cell(tr, r.side);
      cell(tr, r.last_qty, 'num'); cell(tr, r.last_px, 'num'); cell(tr, r.venue);
      $('#fills tbody').prepend(tr);
    }
  }

  async function loadOrders() {
    const { status, data } = await api('GET', '/api/orders?source=live&limit=500');
    if (status !== 200) return;
    for (const o of data.orders.slice().reverse()) {
      o.time = (o.created_at || '').substring(11, 23);
      upsertOrder(o);
    }
  }

  // SSE over fetch: frames are "event: x\ndata: {...}\n\n".
  async function stream() {
    streamAbort = new AbortController();
    try {
      const r = await fetch('/api/events', { headers: { Authorization: 'Bearer ' + token },
                                             signal: streamAbort.signal });
      if (r.status !== 200) throw new Error('HTTP ' + r.status);
      setConn(true);
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.substring(0, end);
          buf = buf.substring(end + 2);
          let ev = 'message', data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) ev = line.substring(7);
            else if (line.startsWith('data: ')) data += line.substring(6);
          }
          if (!data) continue;
          const obj = JSON.parse(data);
          if (ev === 'report') onReport(obj);
          else if (ev === 'risk') refreshRisk();
        }
      }
    } catch (e) {
      if (streamAbort && streamAbort.signal.aborted) return;
    }
    setConn(false);
    if (token) setTimeout(() => { if (token) { loadOrders(); stream(); } }, 1000);
  }

  function setConn(on) {
    const el = $('#conn-status');
    el.textContent = on ? 'live' : 'not connected';
    el.className = 'pill ' + (on ? 'on' : 'off');
  }

  // ---------------------------------------------------------------- panels
  async function refreshRisk() {
    const { status, data } = await api('GET', '/api/risk');
    if (status !== 200) return;
    const rows = [{ scope: 'GLOBAL', scope_key: '', state: data.global_state, who: '', reason: '' }];
    for (const s of data.states) if (s.scope !== 'GLOBAL') rows.push(s);
    fillTable('risk-states', rows, (tr, s) => {
      tr.dataset.key = s.scope_key || '';
      cell(tr, s.scope); cell(tr, s.scope_key); cell(tr, s.state, 'state-' + s.state);
      cell(tr, s.who); cell(tr, s.reason);
    });
  }

  async function refreshPanels() {
    const [p, s, v] = await Promise.all([api('GET', '/api/positions'), api('GET', '/api/sessions'),
                                         api('GET', '/api/venues')]);
    if (p.status === 200) {
      fillTable('positions', p.data.positions, (tr, x) => {
        tr.dataset.account = x.account;
        cell(tr, x.account); cell(tr, x.symbol); cell(tr, x.qty, 'num'); cell(tr, x.avg_cost, 'num');
        cell(tr, x.realised_pnl, 'num'); cell(tr, x.unrealised_pnl, 'num');
      });
      fillTable('pnl', p.data.pnl, (tr, x) => {
        cell(tr, x.account); cell(tr, x.daily_pnl, 'num'); cell(tr, x.gross_exposure, 'num');
        cell(tr, x.net_exposure, 'num');
      });
    }
    if (s.status === 200) {
      fillTable('sessions', s.data.sessions, (tr, x) => {
        tr.dataset.session = x.session;
        cell(tr, x.session); cell(tr, x.state, 'sstate'); cell(tr, x.next_sender_seq, 'num');
        cell(tr, x.next_target_seq, 'num'); cell(tr, x.messages_in + ' / ' + x.messages_out, 'num');
        cell(tr, (x.last_message_in || '').substring(11, 23));
      });
    }
    if (v.status === 200) {
      fillTable('venues', v.data.venues, (tr, x) => {
        tr.dataset.venue = x.venue;
        cell(tr, x.venue); cell(tr, x.type);
        cell(tr, x.connected === null ? '?' : (x.connected ? 'yes' : 'NO'), 'connected');
        cell(tr, x.round_trip_mean_us, 'num');
        // The tightest rate limit as % left; the cell's title lists every limit.
        const h = x.rate_limit_headroom;
        const td = cell(tr, h == null ? '' : (h * 100).toFixed(1) + '%', 'num headroom');
        if (h != null && h < 0.2) td.classList.add('low');
        td.title =
            (x.rate_limits || [])
                .map(
                    (l) => l.name + ': ' + l.used + ' / ' + l.limit +
                        (l.window_ms ? ' per ' + l.window_ms + ' ms' : '') + ' (' + l.source + ')')
                .join('\n');
        cell(tr, x.last_error);
      });
    }
    await refreshRisk();
  }

  // ---------------------------------------------------------------- kill switch
  function confirmAction(text) {
    return new Promise((resolve) => {
      const dlg = $('#confirm-dialog');
      $('#confirm-text').textContent = text;
      dlg.addEventListener('close', () => resolve(dlg.returnValue === 'yes'), { once: true });
      dlg.showModal();
    });
  }

  $('#ks-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const scope = $('#ks-scope').value, key = $('#ks-key').value.trim(), state = $('#ks-state').value;
    const cancel = $('#ks-cancel').checked, reason = $('#ks-reason').value.trim() || 'blotter';
    const what = (scope === 'global' ? 'ALL trading' : scope + ' ' + key) + ' -> ' + state +
                 (cancel ? ' and cancel its open orders' : '');
    if (!(await confirmAction('Set ' + what + '?'))) {
      $('#ks-result').textContent = 'Not changed.';
      return;
    }
    const { status, data } = await api('POST', '/api/risk/state', { scope, key, state, cancel, reason });
    $('#ks-result').textContent = status === 200
      ? data.scope + ' ' + data.key + ': ' + data.from + ' -> ' + data.to + ' (by ' + data.who + ')'
      : 'Refused (' + status + '): ' + data.error;
    $('#ks-result').className = status === 200 ? '' : 'error';
    refreshRisk();
  });

  // ---------------------------------------------------------------- login
  $('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    token = $('#token').value.trim();
    const { status, data } = await api('GET', '/api/status');
    if (status !== 200) {
      token = null;
      const err = $('#login-error');
      err.textContent = status === 401 ? 'Token refused: ' + data.error : 'Login failed (' + status + ')';
      err.hidden = false;
      return;
    }
    $('#token').value = '';
    $('#login-error').hidden = true;
    $('#login-panel').hidden = true;
    $('#app').hidden = false;
    $('#logout').hidden = false;
    await loadOrders();
    await refreshPanels();
    stream();
    pollTimer = setInterval(refreshPanels, 2000);
  });

  $('#logout').addEventListener('click', () => {
    token = null;
    if (streamAbort) streamAbort.abort();
    clearInterval(pollTimer);
    orders.clear();
    $('#orders tbody').replaceChildren();
    $('#fills tbody').replaceChildren();
    $('#app').hidden = true;
    $('#logout').hidden = true;
    $('#login-panel').hidden = false;
    setConn(false);
  });
})();
