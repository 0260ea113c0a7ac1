// The pseudonet web view: the topology laid out by dagre (served from this package), the
// sessions table, the live ladder of one session and the actions, all from the JSON API
// (docs/api.md). No framework, nothing from the network but this server.
'use strict';

const $ = (s) => document.querySelector(s);
const api = async (path, opts) => {
  const r = await fetch(path, opts);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
};
const post = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const status = (text, bad) => {
  const el = $('#status');
  el.textContent = text;
  el.style.color = bad ? '#ff8a80' : '';
};
const act = (path, body) => post(path, body).then(() => { status(`done: POST ${path}`); refresh(); }, (e) => status(`${path}: ${e.message}`, true));

// ---- topology
const lastSent = new Map();
let lastAt = 0;
let layoutKey = '';
let positions = null;

function drawTopology(topo) {
  const now = performance.now();
  const dt = lastAt ? (now - lastAt) / 1000 : 0;
  lastAt = now;
  const fps = new Map();
  for (const l of topo.links) {
    const sent = l.counters ? l.counters.sent : 0;
    fps.set(l.name, dt > 0 && lastSent.has(l.name) ? Math.max(0, (sent - lastSent.get(l.name)) / dt) : 0);
    lastSent.set(l.name, sent);
  }
  // Many homes are one node: a graph of thousands of boxes says nothing and lays out slowly.
  const homes = topo.boxes.filter((b) => b.kind === 'home');
  if (homes.length > 12) {
    const online = homes.filter((b) => b.state === 'online').length;
    topo = { ...topo, boxes: [...topo.boxes.filter((b) => b.kind !== 'home'), { name: `${homes.length} homes`, kind: 'home', state: `${online} online`, ports: { access: 'access' }, sessions: online }] };
  }
  const key = topo.boxes.map((b) => b.name + Object.values(b.ports).join()).join('|');
  if (key !== layoutKey) {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 36, marginx: 10, marginy: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const b of topo.boxes) g.setNode(`box:${b.name}`, { width: 150, height: 44 });
    for (const l of topo.links) g.setNode(`link:${l.name}`, { width: 120, height: 40 });
    for (const b of topo.boxes) {
      for (const link of new Set(Object.values(b.ports))) {
        // Homes to the left of the access link, everything else flows away from the subscribers.
        if (b.kind === 'home') g.setEdge(`box:${b.name}`, `link:${link}`);
        else if (link === 'access' || (link === 'carrier' && b.kind !== 'sse') || (link === 'core' && b.kind !== 'nte') || (link === 'server' && b.kind === 'server') || (link.startsWith('radius-') && b.kind !== 'nte')) g.setEdge(`link:${link}`, `box:${b.name}`);
        else g.setEdge(`box:${b.name}`, `link:${link}`);
      }
    }
    dagre.layout(g);
    positions = g;
    layoutKey = key;
  }
  const g = positions;
  const parts = [];
  for (const e of g.edges()) {
    const pts = g.edge(e).points;
    parts.push(`<path d="M${pts.map((p) => `${p.x},${p.y}`).join(' L')}"/>`);
  }
  for (const b of topo.boxes) {
    const n = g.node(`box:${b.name}`);
    if (!n) continue;
    parts.push(`<g class="node ${esc(b.state)}" data-box="${esc(b.name)}" transform="translate(${n.x - n.width / 2},${n.y - n.height / 2})"><rect width="${n.width}" height="${n.height}"/><text x="${n.width / 2}" y="16"><tspan font-weight="bold">${esc(b.name)}</tspan></text><text x="${n.width / 2}" y="32">${esc(b.kind)} · ${esc(b.state)}${b.kind === 'home' ? '' : ` · ${b.sessions} sess`}</text></g>`);
  }
  for (const l of topo.links) {
    const n = g.node(`link:${l.name}`);
    if (!n) continue;
    parts.push(`<g class="link" data-link="${esc(l.name)}" transform="translate(${n.x},${n.y})"><ellipse rx="${n.width / 2}" ry="${n.height / 2}"/><text y="-2">${esc(l.name)}</text><text y="12" class="fps">${fps.get(l.name).toFixed(1)} frames/s</text></g>`);
  }
  const svg = $('#topology');
  svg.setAttribute('viewBox', `0 0 ${g.graph().width} ${g.graph().height}`);
  svg.setAttribute('width', g.graph().width);
  svg.setAttribute('height', g.graph().height);
  svg.innerHTML = parts.join('');

  $('#boxes tbody').innerHTML = topo.boxes.filter((b) => b.kind !== 'home').map((b) => `<tr data-box="${esc(b.name)}"><td>${esc(b.name)}</td><td>${esc(b.kind)}</td><td class="state state-${esc(b.state)}">${esc(b.state)}</td><td>${b.sessions}</td><td>${topo.scope === 'network' ? (b.state === 'stopped' ? `<button class="start">start</button>` : `<button class="stop">stop</button>`) : ''}</td></tr>`).join('');
  $('#links tbody').innerHTML = topo.links.map((l) => `<tr data-link="${esc(l.name)}"><td>${esc(l.name)}</td><td>${fps.get(l.name).toFixed(1)}</td><td>${l.counters ? l.counters.sent : ''}</td><td>${l.counters ? l.counters.lost : ''}</td><td><input class="imp" size="28" value="${esc(JSON.stringify(l.impairments))}"></td><td><button class="impair">impair</button></td></tr>`).join('');
}

$('#boxes').addEventListener('click', (ev) => {
  const btn = ev.target.closest('button');
  if (!btn) return;
  const box = btn.closest('tr').dataset.box;
  act(`/api/boxes/${encodeURIComponent(box)}/${btn.className}`);
});
$('#links').addEventListener('click', (ev) => {
  const btn = ev.target.closest('button.impair');
  if (!btn) return;
  const tr = btn.closest('tr');
  let body;
  try {
    body = JSON.parse(tr.querySelector('input.imp').value || '{}');
  } catch {
    return status('impairments: not JSON, e.g. {"loss":0.1,"delay":5}', true);
  }
  act(`/api/links/${encodeURIComponent(tr.dataset.link)}/impair`, body);
});

// ---- sessions
let sessions = [];
let selected = null;

function stateClass(s) {
  return s === 'online' ? 'online' : s === 'down' || s === 'stopped' ? 'down' : s === 'idle' || s === 'terminated' || s === 'failed' ? 'offline' : 'pending';
}

function drawSessions() {
  const f = $('#filter').value.trim().toLowerCase();
  const all = sessions.filter((s) => !f || [s.home, s.user, s.state, s.ip, s.lns].some((x) => String(x ?? '').toLowerCase().includes(f)));
  // A table of thousands of rows redrawn every second would be the page's whole work: the first 500, and a count.
  const rows = all.slice(0, 500);
  $('#sessions-count').textContent = `${all.length} of ${sessions.length} sessions${all.length > rows.length ? `, the first ${rows.length} shown` : ''}; ${sessions.filter((s) => s.state === 'online').length} online`;
  $('#sessions tbody').innerHTML = rows.map((s) => `<tr data-home="${esc(s.home)}" class="${stateClass(s.state)}${s.home === selected ? ' selected' : ''}">
    <td>${esc(s.home)}</td><td>${esc(s.user)}</td><td class="state">${esc(s.state)}</td><td>${esc(s.ip ?? '')}${s.ipv6?.delegatedPrefix ? `<br><span class="v6">${esc(s.ipv6.delegatedPrefix)}</span>` : ''}</td><td>${esc(s.lns ?? '')}</td>
    <td>${s.pppoeSessionId ?? ''}</td><td>${s.tunnelId ?? ''}${s.sessionId !== null ? `/${s.sessionId}` : ''}</td><td>${esc(s.since ? s.since.slice(11, 19) : '')}</td>
    <td>${s.octetsIn ?? ''}${s.octetsOut !== null ? `/${s.octetsOut}` : ''}</td>
    <td><button class="down">down</button><button class="up">up</button><button class="disconnect" title="RFC 5176 Disconnect-Request from the ISP's RADIUS">disconnect</button><button class="ladder">ladder</button></td></tr>`).join('');
}

$('#filter').addEventListener('input', drawSessions);
$('#sessions').addEventListener('click', (ev) => {
  const btn = ev.target.closest('button');
  const tr = ev.target.closest('tr[data-home]');
  if (!tr) return;
  const home = tr.dataset.home;
  if (!btn || btn.classList.contains('ladder')) return selectLadder(home);
  if (btn.classList.contains('disconnect')) return act(`/api/sessions/${encodeURIComponent(home)}/disconnect`);
  act(`/api/homes/${encodeURIComponent(home)}/${btn.className}`);
});

// ---- ladder (own SVG: one column per box, one arrow per message)
let ladder = { home: null, participants: [], messages: [], last: 0, cut: 0 };
const COLORS = { PPPoED: '#6a3d9a', 'PPP LCP': '#1f78b4', 'PPP CHAP': '#e31a1c', 'PPP PAP': '#e31a1c', 'PPP IPCP': '#33a02c', L2TP: '#ff7f00', RADIUS: '#b15928', ICMP: '#555555' };

function selectLadder(home) {
  selected = home;
  ladder = { home, participants: [], messages: [], last: 0, cut: 0 };
  drawSessions();
  pollLadder();
}

async function pollLadder() {
  if (!selected) return;
  const home = selected;
  const v = await api(`/api/sessions/${encodeURIComponent(home)}/sequence?after=${ladder.last}`).catch((e) => (status(e.message, true), null));
  if (!v || selected !== home) return;
  ladder.participants = v.participants;
  ladder.cut = v.cut;
  for (const m of v.messages) ladder.messages.push(m);
  if (ladder.messages.length > 2000) ladder.messages.splice(0, ladder.messages.length - 2000);
  ladder.last = v.last;
  drawLadder(v.user);
}

function drawLadder(user) {
  const cols = [...ladder.participants];
  for (const m of ladder.messages) for (const p of [m.from, m.to]) if (!cols.includes(p)) cols.push(p);
  const colW = 170;
  const rowH = 22;
  const top = 50;
  const width = Math.max(600, cols.length * colW + 300); // room for the labels of arrows to the last column
  const height = top + ladder.messages.length * rowH + 20;
  const x = (p) => 20 + colW / 2 + cols.indexOf(p) * colW;
  const parts = [];
  cols.forEach((p) => {
    const cx = x(p);
    parts.push(`<rect x="${cx - 70}" y="8" width="140" height="26" rx="4" fill="#f4f4f4" stroke="#333"/><text x="${cx}" y="26" text-anchor="middle" font-weight="bold">${esc(p)}</text><line x1="${cx}" y1="34" x2="${cx}" y2="${height}" stroke="#bbb" stroke-dasharray="4 3"/>`);
  });
  ladder.messages.forEach((m, i) => {
    const y = top + i * rowH + 10;
    const x1 = x(m.from);
    const x2 = x(m.to);
    const c = COLORS[m.protocol] || '#000';
    const dir = x2 >= x1 ? -1 : 1;
    parts.push(`<g class="msg" data-n="${m.n}"><line x1="${x1}" y1="${y}" x2="${x2 + dir * 2}" y2="${y}" stroke="${c}" stroke-width="1.3"/><path d="M${x2} ${y} l${dir * 7} -4 l0 8 z" fill="${c}"/><text x="${Math.min(x1, x2) + 6}" y="${y - 4}" fill="${c}"><title>${esc(new Date(m.at).toISOString())} on ${esc(m.link)}</title>${esc(`${m.protocol} ${m.label}`)}</text></g>`);
  });
  const svg = $('#ladder');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.innerHTML = parts.join('');
  $('#ladder-title').textContent = `${ladder.home} (${user})`;
  $('#ladder-info').textContent = `${ladder.messages.length} messages${ladder.cut ? `, ${ladder.cut} older ones cut` : ''}; live`;
}

// ---- events
function watchEvents() {
  const es = new EventSource('/api/events');
  const list = $('#events');
  es.onopen = () => status('live');
  es.onerror = () => status('event stream lost; retrying', true);
  for (const kind of ['home', 'sse', 'nte', 'radius', 'server', 'homes']) es.addEventListener(kind, show);
  function show(ev) {
    const e = JSON.parse(ev.data);
    const type = e.event && (e.event.type || e.event.kind);
    const li = document.createElement('li');
    li.textContent = `${new Date(e.at).toISOString().slice(11, 23)} ${e.box} ${type}`;
    list.prepend(li);
    while (list.children.length > 100) list.lastChild.remove();
    if (type === 'online' || type === 'offline') refresh();
  }
}

// ---- loop
let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const [topo, s] = await Promise.all([api('/api/boxes'), api('/api/sessions')]);
    $('#name').textContent = `${topo.name} (${topo.scope})`;
    sessions = s;
    drawTopology(topo);
    drawSessions();
  } catch (e) {
    status(e.message, true);
  } finally {
    busy = false;
  }
}

refresh();
watchEvents();
setInterval(refresh, 1000);
setInterval(pollLadder, 1000);
