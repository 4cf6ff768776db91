// 用地"一本账": the ledger's tables per kind with filters, the figures of a period with their definitions
// and records, the reconciliation, the xlsx download and the history of a parcel or supply, with the land
// on a map. Every figure, area and status shown is the server's (/api/ledger/…, docs/ledger.md).
//
// The view and its parameters live in the address (#records?kind=supply&status=idle&date=…), so a view
// can be linked to and the browser's back button works.

import { createBaseMap } from './basemap.js';
import { auth, getJSON, request, tileJsonUrl, ApiError } from './api.js';
import { bindLogin, openLogin, restoreLogin } from './login.js';
import { styleLayers } from './style.js';
import { $, h, fmt, todayIso, collectionBounds, status } from './util.js';


const PAGE_SIZE = 20;
const EMPTY = { type: 'FeatureCollection', features: [] };
const DEFAULT_BOUNDS = [[120.94, 30.47], [121.34, 30.87]];
const VIEWS = ['records', 'figures', 'reconcile', 'history'];

// The columns of each land-flow kind's table (other kinds show all their fields).
const COLUMNS = {
  quota: ['source', 'year', 'amount_mu', 'received_on', 'town_code', 'document'],
  quota_allocation: ['quota', 'project', 'amount_mu', 'allocated_on', 'batch'],
  batch: ['batch_no', 'name', 'batch_type', 'authority', 'approved_on', 'document'],
  batch_parcel: ['batch', 'parcel_no', 'town_code'],
  supply: ['contract_no', 'method', 'use_type', 'land_user', 'signed_on', 'agreed_start_on', 'agreed_completion_on', 'town_code'],
  progress: ['supply', 'event', 'on', 'developed_area_m2', 'investment_wan'],
  idle_disposal: ['supply', 'action', 'decided_on', 'fee_wan', 'document'],
};
const MAX_COLUMNS = 8;
const FAMILIES = {
  quota: '用地指标', approval: '农转用征收审批', supply: '土地供应', unsupplied: '批而未供土地', completion: '竣工',
  idle: '闲置土地', supervision: '履约监管', sea_use: '项目用海', redevelopment: '低效用地再开发',
  consolidation: '土地综合整治', reclamation: '建设用地复垦', new_farmland: '垦造耕地和耕地恢复',
  expropriation: '土地征收', block_plan: '成片开发方案', resettlement: '征地补偿安置',
};
const ROLE_COLOURS = ['match', ['get', 'role'], 'parcel', '#ffa726', 'supply', '#2979ff', '#8e24aa'];
const ROLE_LINES = ['match', ['get', 'role'], 'parcel', '#e65100', 'supply', '#0d47a1', '#6a1b9a'];
const KIND_OF_HISTORY = { batch_parcel: 'batch_parcel', supply: 'supply', progress: 'supply', idle_disposal: 'supply' };

const state = {
  kinds: [],
  byKind: {},
  layers: {},
  towns: [], // [{code, name}]
  date: todayIso(),
  view: 'records',
  params: {},
  map: null,
  seq: 0,
};
window.guotuLedger = state;

// ---------------------------------------------------------------- helpers

const townName = (code) => state.towns.find((t) => t.code === code)?.name;
const townLabel = (code) => (code ? (townName(code) ? `${townName(code)}（${code}）` : code) : '');
const kindLabel = (kind) => state.byKind[kind]?.label || kind;

function field(kind, name) {
  return state.byKind[kind]?.fields.find((f) => f.name === name);
}

function fieldLabel(kind, name) {
  if (name === 'approved_on' && kind === 'batch_parcel') return '批准日期';
  return field(kind, name)?.label || name;
}

/** A stored value as the page shows it: choice labels, town names, numbers with their decimals. */
function display(kind, name, value) {
  if (value === null || value === undefined || value === '') return '';
  const f = field(kind, name);
  if (f?.choices?.length) return f.choices.find((c) => c.value === value)?.label || value;
  if (name === 'town_code') return townLabel(value);
  if (f?.type === 'REAL') return /_mu$/.test(name) ? fmt(value, 4) : fmt(value, 2);
  return String(value);
}

/** A figure's value with the decimals of its unit (the server already rounded it). */
function figureValue(value, unit) {
  if (unit === '亩') return fmt(value, 4);
  if (unit === '万元' || unit === '%') return fmt(value, 2);
  return String(value);
}

function stateBadges(row) {
  if (row.kind === 'supply' && row.status) {
    const s = row.status;
    const idle = h('span', { class: `state state-${s.idle}` }, s.idle_label);
    return s.idle_label === s.supervision_label ? [idle]
      : [idle, h('span', { class: `state state-${s.supervision}` }, s.supervision_label)];
  }
  if (row.land) {
    const extra = row.land.state === 'unsupplied' ? ` ${fmt(row.land.unsupplied_mu, 4)} 亩` : '';
    return [h('span', { class: `state state-${row.land.state}` }, `${row.land.label}${extra}`)];
  }
  if (row.status?.label) return [h('span', { class: `state state-${row.status.state}` }, row.status.label)];
  return [];
}

function go(view, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...params, date: state.date })) {
    if (v !== null && v !== undefined && v !== '') query.set(k, v);
  }
  const hash = `#${view}?${query}`;
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function parseHash() {
  const text = window.location.hash.replace(/^#/, '');
  const [view, query] = text.split('?');
  return { view: VIEWS.includes(view) ? view : 'records', params: Object.fromEntries(new URLSearchParams(query || '')) };
}

// ---------------------------------------------------------------- start
let reloadAfterLogin = false;

async function main() {
  bindLogin(() => (reloadAfterLogin ? window.location.reload() : route()));
  bindUi();
  try {
    state.kinds = await getJSON('/api/ledger/kinds');
    state.layers = Object.fromEntries((await getJSON('/api/layers')).map((l) => [l.name, l]));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      if (auth.token) auth.set(null, null);
      status('本系统需要登录后浏览', 'error');
      reloadAfterLogin = true;
      openLogin();
      return;
    }
    status(`无法读取台账：${err.message}`, 'error');
    return;
  }
  state.byKind = Object.fromEntries(state.kinds.map((k) => [k.kind, k]));
  $('#filter-kind').replaceChildren(...state.kinds.map((k) => h('option', { value: k.kind }, k.label)));
  await Promise.all([createMap(), loadTowns()]);
  await restoreLogin();
  window.addEventListener('hashchange', () => route());
  await route();
  document.body.dataset.ready = 'true';
}

async function loadTowns() {
  if (!state.layers.towns) return;
  try {
    const fc = await getJSON('/api/layers/towns/features', { limit: 1000 });
    state.towns = (fc.features || []).map((f) => ({ code: f.properties?.town_code, name: f.properties?.town_name || f.properties?.name }))
      .filter((t) => t.code).sort((a, b) => a.code.localeCompare(b.code));
  } catch (err) {
    status(`无法读取乡镇：${err.message}`, 'error');
  }
  for (const id of ['#filter-town', '#figures-town']) {
    const select = $(id);
    select.append(...state.towns.map((t) => h('option', { value: t.code }, `${t.name}（${t.code}）`)));
  }
}

function bindUi() {
  for (const btn of document.querySelectorAll('.views [role=tab]')) {
    btn.addEventListener('click', () => go(btn.dataset.view, btn.dataset.view === 'records' ? { kind: $('#filter-kind').value } : {}));
  }
  const date = $('#ledger-date');
  date.value = state.date;
  date.addEventListener('change', () => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date.value)) return;
    state.date = date.value;
    go(state.view, state.params);
  });
  $('#records-form').addEventListener('submit', (e) => { e.preventDefault(); go('records', recordFilters()); });
  $('#filter-kind').addEventListener('change', () => {
    fillStatuses($('#filter-kind').value, '');
    go('records', { ...recordFilters(), status: '' });
  });
  $('#filter-reset').addEventListener('click', () => go('records', { kind: $('#filter-kind').value }));
  $('#records-prev').addEventListener('click', () => page(-1));
  $('#records-next').addEventListener('click', () => page(1));
  $('#figures-form').addEventListener('submit', (e) => {
    e.preventDefault();
    go('figures', { from: $('#figures-from').value, to: $('#figures-to').value, town: $('#figures-town').value });
  });
  $('#export-xlsx').addEventListener('click', exportXlsx);
  $('#history-form').addEventListener('submit', (e) => { e.preventDefault(); go('history', { id: $('#history-id').value.trim() }); });
}

function recordFilters() {
  return {
    kind: $('#filter-kind').value, town: $('#filter-town').value, from: $('#filter-from').value,
    to: $('#filter-to').value, status: $('#filter-status').value,
  };
}

function fillStatuses(kind, value) {
  const statuses = state.byKind[kind]?.statuses || [];
  const select = $('#filter-status');
  select.replaceChildren(h('option', { value: '' }, '全部'), ...statuses.map((s) => h('option', { value: s.value }, s.label)));
  select.value = value || '';
  select.disabled = !statuses.length;
  const main = state.byKind[kind]?.main_date;
  $('#filter-date-label').textContent = main ? fieldLabel(kind, main) : '日期';
}

function page(step) {
  const offset = Math.max(0, Number(state.params.offset || 0) + step * PAGE_SIZE);
  go('records', { ...state.params, offset });
}

async function route() {
  const { view, params } = parseHash();
  state.view = view;
  state.params = params;
  if (params.date && /^\d{4}-\d{2}-\d{2}$/.test(params.date)) state.date = params.date;
  $('#ledger-date').value = state.date;
  for (const btn of document.querySelectorAll('.views [role=tab]')) {
    const on = btn.dataset.view === view;
    btn.setAttribute('aria-selected', String(on));
    $(`#view-${btn.dataset.view}`).hidden = !on;
  }
  const mine = ++state.seq;
  try {
    if (view === 'records') await showRecords(params, mine);
    else if (view === 'figures') await showFigures(params, mine);
    else if (view === 'reconcile') await showReconcile(mine);
    else await showHistory(params, mine);
  } catch (err) {
    if (mine !== state.seq) return;
    status(err.message, 'error');
    const out = { records: '#records-info', figures: '#figures-info', reconcile: '#reconcile-result', history: '#history-result' }[view];
    $(out).replaceChildren(h('p', { class: 'error', role: 'alert' }, `读取失败：${err.message}`));
  }
}

// ---------------------------------------------------------------- 台账 (records)
async function showRecords(params, mine) {
  const kind = state.byKind[params.kind] ? params.kind : (state.byKind.supply ? 'supply' : state.kinds[0]?.kind);
  $('#filter-kind').value = kind;
  fillStatuses(kind, params.status);
  $('#filter-town').value = params.town || '';
  $('#filter-from').value = params.from || '';
  $('#filter-to').value = params.to || '';
  const banner = $('#records-banner');
  $('#records-info').textContent = '读取中……';
  let doc;
  let rows;
  let rowsKind = kind;
  if (params.figure) {
    doc = await getJSON(`/api/ledger/figures/${encodeURIComponent(params.figure)}/records`,
      clean({ from: params.from, to: params.to, town: params.town }));
    if (mine !== state.seq) return;
    rows = doc.records;
    rowsKind = doc.kind || kind;
    if (doc.kind) {
      $('#filter-kind').value = doc.kind;
      fillStatuses(doc.kind, '');
    }
    banner.hidden = false;
    banner.replaceChildren(
      h('span', {}, `统计指标“${doc.figure.label}”（${params.from || ''} 至 ${params.to || ''}${params.town ? `，${townLabel(params.town)}` : ''}）的依据记录：`,
        h('b', {}, `${figureValue(doc.figure.value, doc.figure.unit)} ${doc.figure.unit}`), `，${rows.length} 条${doc.label ? doc.label : ''}记录`),
      h('button', { type: 'button', onclick: () => go('figures', { from: params.from, to: params.to, town: params.town }) }, '返回统计指标'),
      h('button', { type: 'button', onclick: () => go('records', { kind: rowsKind }) }, '全部台账'));
    $('#records-info').textContent = `${kindLabel(rowsKind)}：${rows.length} 条（状态按统计期末 ${doc.on} 判定）`;
    setPager(0, rows.length, rows.length);
  } else {
    banner.hidden = true;
    const offset = Number(params.offset || 0);
    doc = await getJSON('/api/ledger/records', clean({
      kind, town: params.town, from: params.from, to: params.to, status: params.status, date: state.date,
      limit: PAGE_SIZE, offset,
    }));
    if (mine !== state.seq) return;
    rows = doc.records;
    $('#records-info').textContent = `${kindLabel(kind)}：共 ${doc.matched} 条（状态日期 ${doc.on}）`;
    setPager(offset, doc.matched, PAGE_SIZE);
  }
  renderTable(rowsKind, rows);
  $('#record-detail').hidden = true;
}

function clean(params) {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ''));
}

function setPager(offset, matched, size) {
  const pages = Math.max(1, Math.ceil(matched / size || 1));
  $('#records-page').textContent = `第 ${Math.floor(offset / size) + 1} / ${pages} 页`;
  $('#records-prev').disabled = offset <= 0;
  $('#records-next').disabled = offset + size >= matched;
}

function columnsOf(kind) {
  const fields = state.byKind[kind]?.fields.map((f) => f.name) || [];
  return (COLUMNS[kind] || fields).filter((c) => fields.includes(c)).slice(0, MAX_COLUMNS);
}

function renderTable(kind, rows) {
  const columns = columnsOf(kind);
  const hasArea = rows.some((r) => r.area_mu !== undefined && r.area_mu !== null);
  const hasStates = (state.byKind[kind]?.statuses || []).length > 0;
  const head = ['记录编号', ...columns.map((c) => fieldLabel(kind, c))];
  if (kind === 'batch_parcel') head.push('批准日期');
  if (hasArea) head.push('面积（亩）');
  if (hasStates) head.push('状态');
  const table = $('#records-table');
  table.dataset.kind = kind;
  table.replaceChildren(
    h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((row) => {
      const cells = [h('td', {}, row.id), ...columns.map((c) => h('td', { dataset: { field: c } }, display(kind, c, row.attrs[c])))];
      if (kind === 'batch_parcel') cells.push(h('td', {}, row.dates.approved_on || ''));
      if (hasArea) cells.push(h('td', { class: 'num', dataset: { unit: 'mu' } }, row.area_mu === undefined ? '' : fmt(row.area_mu, 4)));
      if (hasStates) cells.push(h('td', { class: 'states', dataset: { states: (row.states || []).join(' ') } }, stateBadges(row)));
      const tr = h('tr', { dataset: { id: row.id, kind }, title: '单击查看记录并在地图上显示' }, cells);
      tr.addEventListener('click', () => selectRecord(kind, row.id, tr));
      return tr;
    })));
  if (!rows.length) table.append(h('tbody', {}, h('tr', {}, h('td', { colspan: head.length, class: 'empty' }, '没有符合条件的记录'))));
}

async function selectRecord(kind, id, tr) {
  for (const el of document.querySelectorAll('#records-table tr.selected')) el.classList.remove('selected');
  tr?.classList.add('selected');
  let doc;
  try {
    doc = await getJSON(`/api/ledger/records/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`, { date: state.date });
  } catch (err) {
    status(`无法读取记录 ${id}：${err.message}`, 'error');
    return;
  }
  showDetail(doc);
  showLand(doc.map, `${kind}:${id}`);
}

function showDetail(doc) {
  const panel = $('#record-detail');
  const kind = doc.kind;
  const rows = (state.byKind[kind]?.fields || []).map((f) => [f.label, display(kind, f.name, doc.attrs[f.name]), f.name]);
  if (kind === 'batch_parcel') rows.push(['批准日期', doc.dates.approved_on || '', 'approved_on']);
  if (doc.area_mu !== undefined) rows.push(['面积', `${fmt(doc.area_m2, 2)} 平方米（${fmt(doc.area_mu, 4)} 亩）`, 'area']);
  if (doc.land) rows.push(['截至状态日期', `已供 ${fmt(doc.land.supplied_mu, 4)} 亩，批而未供 ${fmt(doc.land.unsupplied_mu, 4)} 亩`, 'land']);
  if (doc.kind === 'supply' && doc.status) {
    const s = doc.status;
    rows.push(['闲置状态', `${s.idle_label}${s.idle_since ? `（${s.idle_since} 起）` : ''}${s.due_label ? `，应${s.due_label}` : ''}`, 'idle']);
    rows.push(['履约状态', `${s.supervision_label}，竣工期限 ${s.completion_due_on}`, 'supervision']);
  } else if (doc.status?.label) rows.push(['状态', doc.status.label, 'status']);
  const historyKind = KIND_OF_HISTORY[kind];
  const historyId = historyKind === kind ? doc.id : doc.attrs.supply;
  panel.hidden = false;
  panel.replaceChildren(...[
    h('h3', {}, `${doc.label} ${doc.id}`),
    h('table', { class: 'props' }, h('tbody', {}, rows.map(([label, value, name]) =>
      h('tr', { dataset: { field: name } }, h('th', { scope: 'row' }, label), h('td', {}, value))))),
    historyKind ? h('div', { class: 'row' }, h('button', { type: 'button', id: 'detail-history',
      onclick: () => go('history', { id: historyId, kind: historyKind }) }, '查看宗地档案')) : null,
    doc.map.features.length ? null : h('p', { class: 'hint' }, '该记录没有图形。')].filter(Boolean));
}

// ---------------------------------------------------------------- 统计指标 (figures)
async function showFigures(params, mine) {
  const today = state.date;
  const to = params.to || today;
  const from = params.from || `${to.slice(0, 4)}-01-01`;
  $('#figures-from').value = from;
  $('#figures-to').value = to;
  $('#figures-town').value = params.town || '';
  if (!$('#export-year').value) $('#export-year').value = to.slice(0, 4);
  $('#figures-info').textContent = '统计中……';
  const figures = await getJSON('/api/ledger/figures', clean({ from, to, town: params.town }));
  if (mine !== state.seq) return;
  $('#figures-info').textContent = `统计期间 ${from} 至 ${to}（含首尾两日）${params.town ? `，${townLabel(params.town)}` : '，全县'}：${figures.length} 项指标`;
  const groups = [];
  for (const f of figures) {
    const family = f.id.split('.')[0];
    let group = groups.find((g) => g.family === family);
    if (!group) groups.push(group = { family, figures: [] });
    group.figures.push(f);
  }
  $('#figures-result').replaceChildren(...groups.map((g) => h('section', { class: 'figure-group', dataset: { family: g.family } },
    h('h3', {}, FAMILIES[g.family] || g.family),
    h('table', { class: 'figures-table' },
      h('thead', {}, h('tr', {}, ['指标及口径', '数值', '单位', '依据记录'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, g.figures.map((f) => h('tr', { dataset: { figure: f.id } },
        h('td', {},
          h('div', { class: 'label' }, f.label),
          h('div', { class: 'definition' }, f.definition),
          f.breakdown?.length ? h('ul', { class: 'breakdown' }, f.breakdown.map((b) => h('li', {}, `${b.key}：${figureValue(b.value, f.unit)} ${f.unit}`))) : null),
        h('td', { class: 'num value', dataset: { value: f.value } }, figureValue(f.value, f.unit)),
        h('td', {}, f.unit),
        h('td', {}, f.records.length
          ? h('a', { href: `#records?${new URLSearchParams(clean({ figure: f.id, from, to, town: params.town, date: state.date }))}`,
            class: 'figure-records' }, `${f.records.length} 条`)
          : h('span', { class: 'hint' }, '无')))))))));
}

async function exportXlsx() {
  const year = Number($('#export-year').value) || Number(state.date.slice(0, 4));
  const out = $('#export-status');
  out.textContent = `正在生成 ${year} 年台账……`;
  try {
    const response = await request(`/api/ledger/export.xlsx?${new URLSearchParams({ year })}`);
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `ledger-${year}.xlsx` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    out.textContent = `已下载 ${year} 年台账（Excel）`;
  } catch (err) {
    out.textContent = `下载失败：${err.message}`;
  }
}

// ---------------------------------------------------------------- 对账 (reconcile)
async function showReconcile(mine) {
  const out = $('#reconcile-result');
  out.replaceChildren(h('p', { class: 'busy' }, '对账中……'));
  const doc = await getJSON('/api/ledger/reconcile', { date: state.date });
  if (mine !== state.seq) return;
  const t = doc.totals;
  const problem = (p) => h('li', { dataset: { key: p.key } }, p.message);
  out.replaceChildren(
    h('p', { id: 'reconcile-totals' }, `截至 ${doc.on || state.date}：${doc.batches.length} 个批次，批准 ${fmt(t.approved_mu, 4)} 亩 = 已供 ${fmt(t.supplied_mu, 4)} 亩 + 批而未供 ${fmt(t.unsupplied_mu, 4)} 亩；发现问题 ${doc.problem_count} 个。`),
    h('table', { class: 'figures-table', id: 'reconcile-table' },
      h('thead', {}, h('tr', {}, ['批次', '批准日期', '宗地数', '批准（亩）', '已供（亩）', '批而未供（亩）', '问题'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, doc.batches.map((b) => {
        const tr = h('tr', { dataset: { batch: b.batch }, title: '单击在地图上显示' },
          h('td', {}, `${b.batch_no}（${b.batch}）`), h('td', {}, b.approved_on || ''), h('td', { class: 'num' }, b.parcels.length),
          h('td', { class: 'num' }, fmt(b.approved_mu, 4)), h('td', { class: 'num' }, fmt(b.supplied_mu, 4)),
          h('td', { class: 'num' }, fmt(b.unsupplied_mu, 4)),
          h('td', {}, b.problems.length ? h('ul', { class: 'breakdown' }, b.problems.map(problem)) : '—'));
        tr.addEventListener('click', () => showRecordLand('batch', b.batch));
        return tr;
      }))),
    doc.problems.length ? h('section', {}, h('h3', {}, '不属于任何批次的问题'), h('ul', {}, doc.problems.map(problem))) : '');
}

async function showRecordLand(kind, id) {
  try {
    const doc = await getJSON(`/api/ledger/records/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`, { date: state.date });
    showLand(doc.map, `${kind}:${id}`);
  } catch (err) {
    status(`无法读取记录 ${id}：${err.message}`, 'error');
  }
}

// ---------------------------------------------------------------- 宗地档案 (history)
async function showHistory(params, mine) {
  const out = $('#history-result');
  $('#history-id').value = params.id || '';
  if (!params.id) {
    out.replaceChildren(h('p', { class: 'hint' }, '输入批次宗地或供地的记录编号，查看从批准、供应到开发利用、闲置处置和竣工的全过程。'));
    return;
  }
  out.replaceChildren(h('p', { class: 'busy' }, '读取中……'));
  const doc = await getJSON(`/api/ledger/parcels/${encodeURIComponent(params.id)}/history`,
    clean({ date: state.date, kind: params.kind }));
  if (mine !== state.seq) return;
  const table = (head, rows) => h('table', { class: 'figures-table' },
    h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows));
  out.replaceChildren(
    h('h2', { id: 'history-title' }, `${kindLabel(doc.kind)} ${doc.id} 的档案（截至 ${doc.on}）`),
    h('h3', {}, '批次宗地'),
    table(['宗地', '批次', '批准日期', '面积（亩）', '已供（亩）', '批而未供（亩）'], doc.parcels.map((p) =>
      h('tr', { dataset: { parcel: p.id } }, h('td', {}, `${p.parcel_no}（${p.id}）`), h('td', {}, p.batch_no || p.batch),
        h('td', {}, p.approved_on || ''), h('td', { class: 'num' }, fmt(p.area_mu, 4)), h('td', { class: 'num' }, fmt(p.supplied_mu, 4)),
        h('td', { class: 'num' }, fmt(p.unsupplied_mu, 4))))),
    h('h3', {}, '宗地上的供地'),
    doc.supplies.length ? table(['供地', '合同编号', '用途', '土地使用权人', '签订日期', '面积（亩）', '状态'], doc.supplies.map((s) =>
      h('tr', { dataset: { supply: s.id } }, h('td', {}, s.id), h('td', {}, s.contract_no), h('td', {}, s.use_type),
        h('td', {}, s.land_user || ''), h('td', {}, s.signed_on || ''), h('td', { class: 'num' }, fmt(s.area_mu, 4)),
        h('td', {}, stateBadges({ kind: 'supply', status: s.status })))))
      : h('p', { class: 'hint' }, '尚未供应。'),
    h('h3', {}, '时间线'),
    h('ol', { class: 'timeline', id: 'history-timeline', 'aria-label': '时间线' }, doc.entries.map((e) =>
      h('li', { class: [e.type, e.computed ? 'computed' : '', e.planned ? 'planned' : ''].filter(Boolean).join(' '),
        dataset: { date: e.date, type: e.type, record: e.record, kind: e.kind } },
      h('span', { class: 'when' }, e.date),
      h('span', { class: 'what' }, e.label),
      h('button', { type: 'button', class: 'linklike', title: `${kindLabel(e.kind)} ${e.record}：在地图上显示`,
        onclick: () => showRecordLand(e.kind, e.record) }, `${kindLabel(e.kind)} ${e.record}`),
      e.computed ? h('span', { class: 'badge' }, '按规则推算') : null,
      e.planned ? h('span', { class: 'badge' }, '约定期限') : null,
      e.detail ? h('span', { class: 'detail' }, e.detail) : null))));
  showLand(doc.map, `history:${doc.id}`);
}

// ---------------------------------------------------------------- map
function countyBounds() {
  const names = ['towns', 'ledger_batch_parcel', 'ledger_supply'];
  for (const name of names) {
    const b = state.layers[name]?.bounds;
    if (b) return [[b[0], b[1]], [b[2], b[3]]];
  }
  return DEFAULT_BOUNDS;
}

function createMap() {
  const map = createBaseMap('map', countyBounds(), (message) => status(message, 'error'));
  state.map = map;
  window.ledgerMap = map;
  return new Promise((resolve) => {
    map.on('load', () => {
      const date = todayIso();
      if (state.layers.towns) {
        map.addSource('towns', { type: 'vector', url: tileJsonUrl('towns', date) });
        map.addSource('towns-labels', { type: 'geojson', data: EMPTY });
        for (const def of styleLayers('towns', state.layers.towns.geometry_type)) map.addLayer(def);
      }
      // every parcel and supply of the ledger, faintly, for context
      if (state.layers.ledger_batch_parcel) {
        map.addSource('ledger_batch_parcel', { type: 'vector', url: tileJsonUrl('ledger_batch_parcel', date) });
        map.addLayer({ id: 'ledger-parcels-all', type: 'fill', source: 'ledger_batch_parcel', 'source-layer': 'ledger_batch_parcel',
          paint: { 'fill-color': '#ffcc80', 'fill-opacity': 0.35, 'fill-outline-color': '#fb8c00' } });
      }
      if (state.layers.ledger_supply) {
        map.addSource('ledger_supply', { type: 'vector', url: tileJsonUrl('ledger_supply', date) });
        map.addLayer({ id: 'ledger-supplies-all', type: 'line', source: 'ledger_supply', 'source-layer': 'ledger_supply',
          paint: { 'line-color': '#64b5f6', 'line-width': 1 } });
      }
      map.addSource('ledger-land', { type: 'geojson', data: EMPTY });
      map.addLayer({ id: 'ledger-land-fill', type: 'fill', source: 'ledger-land', paint: { 'fill-color': ROLE_COLOURS, 'fill-opacity': ['match', ['get', 'role'], 'parcel', 0.3, 0.5] } });
      map.addLayer({ id: 'ledger-land-line', type: 'line', source: 'ledger-land', paint: { 'line-color': ROLE_LINES, 'line-width': 2.5 } });
      map.on('click', 'ledger-land-fill', (e) => {
        const p = e.features?.[0]?.properties;
        if (p) status(`${p.label}（${kindLabel(p.kind)} ${p.record}）`);
      });
      loadTownLabels();
      resolve(map);
    });
  });
}

async function loadTownLabels() {
  if (!state.layers.towns) return;
  try {
    const fc = await getJSON('/api/layers/towns/features', { limit: 1000 });
    const features = (fc.features || []).filter((f) => Number.isFinite(f.properties?.seat_lon)).map((f) => ({
      type: 'Feature', properties: { label: f.properties.town_name || f.properties.name || '' },
      geometry: { type: 'Point', coordinates: [f.properties.seat_lon, f.properties.seat_lat] } }));
    state.map.getSource('towns-labels')?.setData({ type: 'FeatureCollection', features });
  } catch {
    // the names are a nicety: the outlines are drawn anyway
  }
}

/** Show a FeatureCollection of land (role parcel / supply / record) and zoom to it. */
function showLand(fc, key) {
  const map = state.map;
  if (!map) return;
  const container = map.getContainer();
  delete container.dataset.selection;
  map.getSource('ledger-land').setData(fc || EMPTY);
  const bounds = collectionBounds(fc);
  if (bounds) map.fitBounds(bounds, { padding: 80, maxZoom: 17, duration: 0 });
  else status('该记录没有图形');
  const mark = () => {
    if (map.loaded() && map.areTilesLoaded()) container.dataset.selection = key;
    else map.once('idle', mark);
  };
  map.once('idle', mark);
  map.triggerRepaint();
}

main().catch((err) => {
  console.error(err);
  status(`页面初始化失败：${err.message}`, 'error');
});
