// Shared console code: fetch helper, session check, header/nav, formatting and enum text maps.

/** Roles that may search and read enterprise profiles. */
export const PROFILE_ROLES = ['reader', 'approval', 'regulator', 'coordination', 'superadmin'];

/** Roles that take part in data pulls (数据调取); the catalogue narrows who may request each item. */
export const PULL_ROLES = ['approval', 'regulator', 'coordination', 'superadmin'];

/** Roles that see regulatory tasks (审管联动监管任务): the regulators theirs, the coordination office and super-admin all overdue ones. */
export const TASK_ROLES = ['regulator', 'coordination', 'superadmin'];

export const $ = (sel, root = document) => root.querySelector(sel);

/** Creates an element; attrs: class, text, dataset-like "data-*", event handlers "on*", anything else as attribute. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

export class ApiError extends Error {
  constructor(status, detail, title) { super(detail || title || `请求失败（HTTP ${status}）`); this.status = status; this.title = title; }
}

/** Calls the hub's JSON API. Always sends the CSRF header; 401 sends the user to the sign-in page. */
export async function api(path, { method = 'GET', body, noRedirect = false } = {}) {
  const headers = { 'X-DataHub-Console': '1', 'Accept': 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, '无法连接到服务器，请检查网络后重试。');
  }
  if (res.status === 401 && !noRedirect) {
    const next = location.pathname.split('/').pop() + location.search;
    location.href = 'index.html?next=' + encodeURIComponent(next);
    throw new ApiError(401, '登录已失效，请重新登录。');
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    const msg = res.status === 403 ? '当前机构无权执行此操作。' : res.status === 401 ? '认证失败：API 密钥无效或会话已失效。' : `请求失败（HTTP ${res.status}）`;
    throw new ApiError(res.status, data?.detail || data?.title || msg, data?.title);
  }
  return data;
}

export const hasRole = (agency, ...roles) => !!agency?.roles?.some(r => roles.includes(String(r).toLowerCase()));
export const canReadProfiles = agency => hasRole(agency, ...PROFILE_ROLES);
export const isAdmin = agency => hasRole(agency, 'admin');
export const canPull = agency => hasRole(agency, ...PULL_ROLES);
export const canTask = agency => hasRole(agency, ...TASK_ROLES);

/** The page to start on after sign-in. */
export const homePage = agency => canReadProfiles(agency) ? 'search.html' : isAdmin(agency) ? 'adapters.html' : 'search.html';

/**
 * Checks the session, draws the header and returns the agency; `need` is 'profiles', 'pulls', 'tasks' or 'admin'.
 * When the agency lacks the role, shows a message in #main and returns null.
 */
export async function initPage(need) {
  let session;
  try { session = await api('/api/console/session'); }
  catch (e) { if (e.status !== 401) showError($('#main'), e); return null; }
  const agency = session.agency;
  renderHeader(agency);
  const ok = need === 'admin' ? isAdmin(agency) : need === 'profiles' ? canReadProfiles(agency) : need === 'pulls' ? canPull(agency) : need === 'tasks' ? canTask(agency) : true;
  if (!ok) {
    $('#main').replaceChildren(el('h1', { text: '无权访问' }),
      el('p', { class: 'notice', text: '当前机构没有访问此页面所需的角色。如需开通，请联系系统管理员。' }));
    return null;
  }
  return agency;
}

function renderHeader(agency) {
  const page = location.pathname.split('/').pop() || 'index.html';
  const links = [];
  if (canReadProfiles(agency)) links.push(['search.html', '企业查询']);
  if (canPull(agency)) links.push(['pulls.html', '数据调取']);
  if (canTask(agency)) links.push(['tasks.html', '监管任务']);
  if (hasRole(agency, 'approval', 'coordination', 'superadmin')) links.push(['commitments.html', '承诺跟踪']);
  if (isAdmin(agency)) links.push(['adapters.html', '数据源适配器'], ['quarantine.html', '隔离区'], ['unresolved.html', '待匹配记录']);
  const nav = el('nav', { 'aria-label': '主导航' }, el('ul', {}, links.map(([href, text]) =>
    el('li', {}, el('a', { href, text, 'aria-current': (page === href || (page === 'profile.html' && href === 'search.html') || (page === 'pull.html' && href === 'pulls.html') || (page === 'task.html' && href === 'tasks.html')) ? 'page' : null })))));
  const signOut = el('button', { type: 'button', id: 'signOut', class: 'link-button', text: '退出', onclick: async () => {
    try { await api('/api/console/session', { method: 'DELETE', noRedirect: true }); } catch { /* signed out anyway */ }
    location.href = 'index.html';
  } });
  const header = el('header', { class: 'site-header' },
    el('div', { class: 'brand' }, el('span', { class: 'logo', 'aria-hidden': 'true', text: '数' }), el('span', { text: '政务数据交换枢纽 · 管理控制台' })),
    nav,
    el('div', { class: 'who' }, el('span', { id: 'agencyName', title: agency.id || '', text: agency.name || agency.id || '' }), signOut));
  document.body.prepend(header);
  document.body.prepend(el('a', { class: 'skip-link', href: '#main', text: '跳到主要内容' }));
}

/** Shows an error (ApiError or message) in a container, as an alert. */
export function showError(container, e) {
  const msg = e instanceof Error ? e.message : String(e);
  container.replaceChildren(el('p', { class: 'error', role: 'alert', text: msg }));
}

// ---- formatting ----

export const dash = v => (v === undefined || v === null || v === '') ? '—' : String(v);
const dateFmt = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });

/** "YYYY-MM-DD" from a date string or RFC 3339 timestamp (China time). */
export function fmtDate(v) {
  if (!v) return '—';
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const d = new Date(v);
  return isNaN(d) ? String(v) : dateFmt.format(d);
}
export function fmtDateTime(v) {
  if (!v) return '—';
  const d = new Date(v);
  return isNaN(d) ? String(v) : dateTimeFmt.format(d);
}
export const fmtNum = n => (n === undefined || n === null) ? '—' : Number(n).toLocaleString('zh-CN');
/** Amount in 万元. */
export const fmtWan = n => (n === undefined || n === null || n === '' || Number(n) === 0) ? '—' : `${Number(n).toLocaleString('zh-CN', { maximumFractionDigits: 4 })} 万元`;
export function fmtSeconds(s) {
  if (s === undefined || s === null) return '—';
  s = Math.round(Number(s));
  if (s < 60) return `${s} 秒`;
  if (s < 3600) return `${Math.floor(s / 60)} 分 ${s % 60} 秒`;
  if (s < 86400) return `${Math.floor(s / 3600)} 小时 ${Math.floor((s % 3600) / 60)} 分`;
  return `${Math.floor(s / 86400)} 天 ${Math.floor((s % 86400) / 3600)} 小时`;
}

// ---- enum text maps ----
// Values arrive as proto names ("RISK_TIER_HIGH"), C# names ("High"), or numbers; all map to the same text.

function enumMap(prefix, texts) {
  const keys = Object.keys(texts);
  return value => {
    if (value === undefined || value === null || value === '') return texts.UNSPECIFIED ?? '—';
    if (typeof value === 'number') return texts[keys[value]] ?? String(value);
    return texts[enumKey(prefix, value)] ?? String(value);
  };
}
/** The short key of an enum value ("RISK_TIER_HIGH" or "High" → "HIGH"). */
export function enumKey(prefix, value) {
  if (value === undefined || value === null) return 'UNSPECIFIED';
  const k = String(value);
  if (prefix && k.startsWith(prefix)) return k.slice(prefix.length);
  return /[a-z]/.test(k) ? k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase() : k;
}

export const T = {
  registrationStatus: enumMap('REGISTRATION_STATUS_', { UNSPECIFIED: '未知', ACTIVE: '存续', REVOKED: '吊销，未注销', REVOKED_DEREGISTERED: '吊销，已注销', DEREGISTERED: '注销', CANCELLED: '撤销', MOVED_OUT: '迁出', SUSPENDED: '停业', LIQUIDATING: '清算中' }),
  riskTier: enumMap('RISK_TIER_', { UNSPECIFIED: '未评定', LOW: '低风险', MEDIUM: '中风险', HIGH: '高风险' }),
  licenceState: enumMap('LICENCE_STATE_', { UNSPECIFIED: '未知', VALID: '有效', EXPIRING: '即将到期', EXPIRED: '已过期', REVOKED: '已吊销/撤销', CANCELLED: '已注销', SUSPENDED: '暂扣' }),
  licenceStatus: enumMap('LICENCE_STATUS_', { UNSPECIFIED: '未知', VALID: '有效', CANCELLED: '注销', REVOKED: '吊销/撤销', SUSPENDED: '暂扣/中止' }),
  caseStage: enumMap('CASE_STAGE_', { UNSPECIFIED: '未知', ACCEPTED: '已受理', IN_PROGRESS: '办理中', COMPLETED: '已办结', DENIED: '不予许可', WITHDRAWN: '撤回/退件' }),
  commitmentType: enumMap('COMMITMENT_TYPE_', { NONE: '一般审批', MATERIAL_DEFERRED: '告知承诺（材料延期）', MATERIAL_VERIFIED: '告知承诺（材料核验）', POST_CHECK: '告知承诺（事后核查）', ACCEPTED_WITH_GAPS: '容缺受理' }),
  commitmentStatus: enumMap('COMMITMENT_STATUS_', { UNSPECIFIED: '未知', PENDING: '待履诺', KEPT: '已履诺', BROKEN: '违诺' }),
  commitmentState: enumMap('COMMITMENT_STATE_', { UNSPECIFIED: '未知', PENDING: '履诺期内', KEPT: '已履诺', OVERDUE: '逾期未履诺', BROKEN: '违诺' }),
  complaintKind: enumMap('COMPLAINT_KIND_', { UNSPECIFIED: '未知', COMPLAINT: '投诉', REPORT: '举报', CONSULTATION: '咨询', SUGGESTION: '建议', HELP: '求助', PRAISE: '表扬' }),
  inspectionOutcome: enumMap('INSPECTION_OUTCOME_', { UNSPECIFIED: '未知', NO_PROBLEM: '未发现问题', PROBLEM_FOUND: '发现问题', CORRECTED: '发现问题经责令已改正', NOT_CONTACTABLE: '通过登记的住所无法联系' }),
  listType: enumMap('LIST_TYPE_', { UNSPECIFIED: '未知名单', ABNORMAL_OPERATION: '经营异常名录', SERIOUS_VIOLATION: '严重违法失信名单', RED: '守信红名单', BLACK: '失信黑名单' }),
  adapterState: enumMap('', { RUNNING: '运行中', PAUSED: '已暂停', BACKING_OFF: '退避重试', STOPPED: '已停止' }),
  circuit: enumMap('', { CLOSED: '闭合（正常）', OPEN: '断开', HALF_OPEN: '半开（试探）', ISOLATED: '隔离' }),
};

const SOURCES = {
  'market-supervision': '市场监管信息平台', 'hotline-12345': '12345热线', 'provincial-platform': '省政务服务平台',
  'credit-platform': '公共信用信息平台', 'e-licence': '电子证照库', 'import': '文件导入',
};
export const sourceName = s => SOURCES[s] || s || '—';

const KINDS = {
  registration: '企业登记', statuschange: '变更/状态', licence: '证照', approvalcase: '审批办件', commitment: '告知承诺',
  complaint: '12345工单', penalty: '行政处罚', inspection: '抽查检查', creditrating: '信用评价', listentry: '名单',
};
export const kindName = k => KINDS[String(k || '').toLowerCase().replace(/[_\s-]/g, '')] || k || '—';

/** CSS class for a risk tier badge. */
export const riskClass = v => 'badge risk-' + enumKey('RISK_TIER_', v).toLowerCase();

/** Link to the lineage target of a profile entry. */
export function lineageLink(lineage) {
  if (!lineage?.source) return el('span', { text: '—' });
  const uscc = new URLSearchParams(location.search).get('uscc') || '';
  const href = `record.html?uscc=${encodeURIComponent(uscc)}&source=${encodeURIComponent(lineage.source)}&sourceId=${encodeURIComponent(lineage.sourceId || '')}`;
  const a = el('a', { href, class: 'lineage', title: `${lineage.source} / ${lineage.sourceId}`, text: sourceName(lineage.source) });
  const byName = lineage.nameResolution;
  return byName
    ? el('span', {}, a, el('span', { class: 'tag', title: `按名称“${byName.sourceName}”匹配${byName.matchedFormerName ? '（曾用名）' : ''}`, text: '名称匹配' }))
    : a;
}

/** A compact table: columns [header, cell(row) → Node|string], rowClass(row) → class. */
export function table(columns, rows, { caption, rowClass, empty = '暂无记录', id } = {}) {
  if (!rows?.length) return el('p', { class: 'empty', text: empty });
  return el('table', { class: 'data', id },
    caption ? el('caption', { class: 'sr-only', text: caption }) : null,
    el('thead', {}, el('tr', {}, columns.map(([h]) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, rows.map(r => el('tr', { class: rowClass?.(r) || null }, columns.map(([, f]) => {
      const v = f(r);
      return el('td', {}, v instanceof Node ? v : dash(v));
    })))));
}

// ---- workflow pages (data pulls, regulatory tasks) ----

/** Problem titles by HTTP status, put before a workflow page's error messages. */
export const PROBLEM = { 400: '请求有误', 403: '无权操作', 404: '未找到', 409: '当前状态不允许此操作', 429: '请求过于频繁' };

/** An error's message after its status's title (from `titles`). */
export const problem = (e, titles = PROBLEM) => (titles[e?.status] ? `${titles[e.status]}：` : '') + (e instanceof Error ? e.message : String(e));

/** An item's state as a badge (class state-<state>). */
export const stateBadge = item => el('span', { class: `badge state-${String(item.state || '').toLowerCase()}`, text: item.stateText || item.state });

/** Sets an existing badge to an item's state. */
export function setStateBadge(node, item) {
  node.textContent = item.stateText || item.state;
  node.className = `badge state-${String(item.state || '').toLowerCase()}`;
}

/** A due date and, when it has passed, an overdue badge (children for a cell or span). */
export const dueOn = (date, overdue, { none = '—', badge = '超期' } = {}) =>
  [date ? fmtDate(date) : none, overdue ? el('span', { class: 'badge overdue', text: badge }) : null];

/** "name（id）", or the id when the name is the id or missing. */
export const who = (id, name) => name && name !== id ? `${name}（${id}）` : dash(id);

/**
 * A workflow list page: view tabs in #views, the state filter #stateFilter, #reload, the list in #listArea
 * (table#<key>) with #listCount, and #pager; the view and state kept in the URL of `page`.
 * `views` are [view, label, title]; `shown(view)` tells the tabs this agency sees; a view from the URL that
 * is unknown or not shown becomes `fallback`. `columns` are the table's headers, `cells(item)` its cells.
 * Returns { view, setView, load } (load() draws the first page).
 */
export function pagedList({ page, path, key, views, empty, shown = () => true, fallback, columns, cells, rowClass = () => null, titles, pageSize = 20 }) {
  const params = new URLSearchParams(location.search);
  let view = params.get('view') || fallback;
  if (!views.some(([v]) => v === view) || !shown(view)) view = fallback;
  let cursors = [null];

  function renderTabs() {
    $('#views').replaceChildren(...views.filter(([v]) => shown(v)).map(([v, text, title]) => el('a', {
      href: `${page}?view=${v}`, id: `view-${v}`, title, text, 'aria-current': v === view ? 'page' : null,
      onclick: ev => { if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return; ev.preventDefault(); setView(v); },
    })));
  }

  function setView(v) {
    view = v; cursors = [null];
    renderTabs(); syncUrl(); load();
  }

  function syncUrl() {
    const q = new URLSearchParams({ view });
    if ($('#stateFilter').value) q.set('state', $('#stateFilter').value);
    history.replaceState(null, '', `${page}?${q}`);
  }

  async function load() {
    const area = $('#listArea');
    const q = new URLSearchParams({ view, pageSize });
    if ($('#stateFilter').value) q.set('state', $('#stateFilter').value);
    const before = cursors[cursors.length - 1];
    if (before) q.set('before', before);
    let data;
    try { data = await api(`${path}?${q}`); }
    catch (e) { showError(area, problem(e, titles)); $('#listCount').textContent = ''; $('#pager').replaceChildren(); return; }
    const items = data[key] || [];
    const label = views.find(([v]) => v === view)[1];
    $('#listCount').textContent = items.length ? `${label}：第 ${cursors.length} 页，本页 ${items.length} 条` : '';
    if (!items.length) area.replaceChildren(el('p', { class: 'empty', text: empty[view] }));
    else area.replaceChildren(el('table', { id: key, class: 'data' },
      el('caption', { class: 'sr-only', text: `${label}（最新在前）` }),
      el('thead', {}, el('tr', {}, columns.map(t => el('th', { scope: 'col', text: t })))),
      el('tbody', {}, items.map(item => el('tr', { 'data-id': item.id, class: rowClass(item) }, cells(item))))));
    pager(data.next);
  }

  function pager(next) { renderPager(cursors, next, load); }

  $('#stateFilter').value = params.get('state') || '';
  renderTabs();
  $('#stateFilter').addEventListener('change', () => { cursors = [null]; syncUrl(); load(); });
  $('#reload').addEventListener('click', () => load());
  return { get view() { return view; }, setView, load };
}

/** The ?id= of a detail page. */
export const pageId = () => (new URLSearchParams(location.search).get('id') || '').trim();

/**
 * A workflow detail page for `need` ('pulls', 'tasks'): the item at `path` drawn by `render` into `body`,
 * or why not in `error` (`noId` without an id, `notFound` for a 404); `wire(load)` sets up the page's forms.
 */
export async function detailPage(need, { id, path, error, body, noId, notFound, titles, render, wire }) {
  async function load() {
    let data;
    try { data = await api(path); }
    catch (e) { $(body).hidden = true; showError($(error), e.status === 404 ? notFound : problem(e, titles)); return; }
    $(error).replaceChildren();
    $(body).hidden = false;
    render(data);
  }
  const agency = await initPage(need);
  if (agency) {
    if (!id) showError($(error), noId);
    else {
      wire(load);
      await load();
    }
  }
}

/** Definition-list children from [term, value (Node or text), wide]; wide values take a whole row. */
export function kv(rows) {
  const out = [];
  let col = 0;
  for (const [k, v, wide] of rows) {
    if (wide && col % 2 === 1) { out[out.length - 1].classList.add('wide'); col++; }
    out.push(el('dt', { text: k }), el('dd', { class: wide ? 'wide' : null }, v instanceof Node ? v : dash(v)));
    col += wide ? 2 : 1;
  }
  if (col % 2 === 1) out[out.length - 1].classList.add('wide');
  return out;
}

/** Draws a workflow item's history (oldest first) into a timeline list. */
export function renderHistory(list, history) {
  list.replaceChildren(...history.map(h => el('li', { 'data-type': h.type },
    el('span', { class: 'when', text: fmtDateTime(h.at) }),
    el('span', { class: 'what', text: h.typeText || h.type }),
    el('span', { class: 'sub', title: h.actor, text: h.actorName || h.actor }),
    el('span', { class: 'sub', text: ` · 第 ${h.seq} 步${h.stateText ? ` · ${h.stateText}` : ''}` }),
    h.detail ? el('div', { class: 'detail', text: h.detail }) : null)));
}

/** Shows the action forms (#<name>Form) that `show` allows and resets the others; #noActions when none. */
export function showActionForms(show) {
  for (const [name, visible] of Object.entries(show)) {
    const form = $(`#${name}Form`);
    form.hidden = !visible;
    if (!visible) form.reset();
  }
  $('#noActions').hidden = Object.values(show).some(Boolean);
}

/** Marks a form's empty required fields; names them in `err` and focuses the first. True when all are filled. */
export function requireFilled(form, err) {
  const names = [];
  for (const f of form.querySelectorAll('[required]')) {
    const empty = f.type === 'file' ? !f.files?.length : !String(f.value || '').trim();
    f.setAttribute('aria-invalid', empty ? 'true' : 'false');
    if (empty) names.push(f.labels?.[0]?.textContent.replace(/（.*?）/g, '') || f.name);
  }
  if (!names.length) return true;
  showError(err, `请填写：${names.join('、')}。`);
  form.querySelector('[aria-invalid="true"]')?.focus();
  return false;
}

/**
 * Submits a detail page's action forms (form.action-form with a .form-error): `prepare(form, ev, err)` checks
 * the form and returns [action, call], or nothing when it showed why not. After the call the form is reset,
 * the item reloaded, done[action] shown in #actionResult and `after(action)` run; a 409 or 404 (someone
 * else took a step meanwhile) reloads the item and shows why this step was refused in #actionResult.
 */
export function wireActionForms({ prepare, load, done, titles, after }) {
  for (const form of document.querySelectorAll('form.action-form')) {
    form.addEventListener('submit', async ev => {
      ev.preventDefault();
      const err = form.querySelector('.form-error');
      err.replaceChildren();
      $('#actionResult').replaceChildren();
      const prepared = prepare(form, ev, err);
      if (!prepared) return;
      const [action, call] = prepared;
      const buttons = form.querySelectorAll('button');
      buttons.forEach(b => { b.disabled = true; });
      try {
        await call();
        form.reset();
        await load();
        $('#actionResult').replaceChildren(el('p', { class: 'ok', text: done[action] }));
        after?.(action);
      } catch (e) {
        if (e.status === 409 || e.status === 404) {
          await load();
          showError($('#actionResult'), problem(e, titles));
        } else showError(err, problem(e, titles));
      } finally { buttons.forEach(b => { b.disabled = false; }); }
    });
  }
}

/** Previous / next page buttons in #pager for a list paged by positions (cursors: the positions of the pages shown so far). */
export function renderPager(cursors, next, reload) {
  const nav = $('#pager');
  nav.replaceChildren();
  if (cursors.length === 1 && !next) return;
  nav.append(
    el('button', { type: 'button', id: 'prevPage', text: '上一页', disabled: cursors.length === 1, onclick: () => { cursors.pop(); reload(); } }),
    el('span', { class: 'sub', text: `第 ${cursors.length} 页` }),
    el('button', { type: 'button', id: 'nextPage', text: '下一页', disabled: !next, onclick: () => { cursors.push(next); reload(); } }));
}
