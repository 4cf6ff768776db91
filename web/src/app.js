// 国土空间"一张图": the county's layers from its own vector tiles (no basemap, no CDN), editions by
// date, identify, attribute table, compliance review and measuring. Figures come from the server.

import { createBaseMap } from './basemap.js';
import { auth, getJSON, postJSON, tileJsonUrl, ApiError } from './api.js';
import { bindLogin, openLogin, restoreLogin } from './login.js';
import { Sketch } from './draw.js';
import { Review } from './review.js';
import { LAYER_GROUPS, LEDGER_PREFIX, ORDER, hiddenByDefault, styleLayers, swatch } from './style.js';
import {
  $, h, fmt, debounce, dayNumber, isoOfDay, todayIso, geometryBounds, fieldLabel,
  STATUS_LABELS, status,
} from './util.js';


const PAGE_SIZE = 20;
const DEFAULT_BOUNDS = [[120.94, 30.47], [121.34, 30.87]];

const state = {
  date: todayIso(),
  layers: [], // from /api/layers
  byName: {},
  styleIds: {}, // layer name -> MapLibre style layer ids
  table: { layer: null, offset: 0, matched: 0 },
};

const app = {
  state,
  map: null,
  sketches: {},
  review: null,
  status,
  setDate,
  startSketch,
};
window.guotu = app;

// ---------------------------------------------------------------- status line

// ---------------------------------------------------------------- start
async function main() {
  bindTabs();
  bindLogin(onLoginChange);
  let layers;
  try {
    layers = await getJSON('/api/layers');
  } catch (err) {
    layers = [];
    if (err instanceof ApiError && err.status === 401) {
      // the server does not allow anonymous reading (GUOTU_PUBLIC_READ=false): log in, then start again
      state.reloadAfterLogin = true;
      if (auth.token) auth.set(null, null);
      status('本系统需要登录后浏览', 'error');
      openLogin();
    } else {
      status(`无法读取图层列表：${err.message}`, 'error');
    }
  }
  state.layers = layers;
  state.byName = Object.fromEntries(layers.map((l) => [l.name, l]));
  setupDateControl();
  buildLayerTree();
  buildTableChooser();
  await createMap();
  restoreLogin();
}

// ---------------------------------------------------------------- map
function countyBounds() {
  const ref = state.byName.towns?.bounds || null;
  let b = ref;
  if (!b) {
    for (const l of state.layers) {
      if (!l.bounds) continue;
      b = b ? [Math.min(b[0], l.bounds[0]), Math.min(b[1], l.bounds[1]), Math.max(b[2], l.bounds[2]),
        Math.max(b[3], l.bounds[3])] : [...l.bounds];
    }
  }
  return b ? [[b[0], b[1]], [b[2], b[3]]] : DEFAULT_BOUNDS;
}

function orderedLayers() {
  const rank = (name) => {
    const i = ORDER.indexOf(name);
    return i >= 0 ? i : ORDER.indexOf('*');
  };
  return [...state.layers].filter((l) => l.geometry_type).sort((a, b) => rank(a.name) - rank(b.name));
}

function createMap() {
  const map = createBaseMap('map', countyBounds(), (message) => status(message, 'error'));
  app.map = map;
  window.guotuMap = map;
  return new Promise((resolve) => {
    map.on('load', () => {
      for (const layer of orderedLayers()) {
        map.addSource(layer.name, { type: 'vector', url: tileJsonUrl(layer.name, state.date) });
        if (layer.name === 'towns') map.addSource('towns-labels', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
        const defs = styleLayers(layer.name, layer.geometry_type);
        state.styleIds[layer.name] = defs.map((d) => d.id);
        for (const def of defs) map.addLayer(def);
      }
      loadedDate = state.date;
      map.addSource('identify', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      map.addLayer({ id: 'identify-line', type: 'line', source: 'identify',
        paint: { 'line-color': '#00e5ff', 'line-width': 3 } });
      app.review = new Review(app);
      app.sketches.review = new Sketch(map, 'sketch-review', { fill: '#ff5252', line: '#d50000' });
      app.sketches.measure = new Sketch(map, 'sketch-measure', { fill: '#2979ff', line: '#0d47a1' });
      bindMeasure();
      map.on('click', identify);
      map.on('mousemove', (e) => {
        const hint = $('#map-coords');
        if (hint) hint.textContent = `${e.lngLat.lng.toFixed(5)}, ${e.lngLat.lat.toFixed(5)}`;
      });
      loadTownLabels();
      map.once('idle', () => { map.getContainer().dataset.date = state.date; });
      document.body.dataset.ready = 'true';
      resolve(map);
    });
  });
}

/** Town names at the town seats (seat_lon/seat_lat when the layer has them, else the middle of the extent). */
async function loadTownLabels() {
  if (!state.byName.towns) return;
  let fc;
  try {
    fc = await getJSON('/api/layers/towns/features', { limit: 1000, as_of: state.date });
  } catch (err) {
    status(`无法读取乡镇名称：${err.message}`, 'error');
    return;
  }
  const features = [];
  for (const f of fc.features || []) {
    const p = f.properties || {};
    const label = p.town_name || p.name || '';
    let at = Number.isFinite(p.seat_lon) && Number.isFinite(p.seat_lat) ? [p.seat_lon, p.seat_lat] : null;
    if (!at) {
      const b = geometryBounds(f.geometry);
      if (b) at = [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2];
    }
    if (label && at) features.push({ type: 'Feature', properties: { label }, geometry: { type: 'Point', coordinates: at } });
  }
  app.map.getSource('towns-labels')?.setData({ type: 'FeatureCollection', features });
}

function setVisible(name, visible) {
  const map = app.map;
  for (const id of state.styleIds[name] || []) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
}

const visibleLayers = () => [...document.querySelectorAll('#layer-tree input[type=checkbox]:checked')]
  .map((el) => el.dataset.layer);

// ---------------------------------------------------------------- layer tree
function buildLayerTree() {
  const tree = $('#layer-tree');
  tree.replaceChildren();
  const known = new Set(LAYER_GROUPS.flatMap((g) => g.layers));
  const rest = state.layers.filter((l) => !known.has(l.name));
  const ledger = rest.filter((l) => l.name.startsWith(LEDGER_PREFIX));
  const groups = [
    ...LAYER_GROUPS,
    { id: 'ledger', title: '用地台账', closed: true, layers: ledger.filter((l) => l.bounds).map((l) => l.name) },
    { id: 'other', title: '其他', layers: rest.filter((l) => !l.name.startsWith(LEDGER_PREFIX)).map((l) => l.name) },
  ];
  for (const group of groups) {
    const members = group.layers.map((n) => state.byName[n]).filter(Boolean);
    if (!members.length) continue;
    tree.append(h('details', { class: 'layer-group', open: !group.closed, dataset: { group: group.id } },
      h('summary', {}, group.title),
      h('ul', {}, members.map(layerItem))));
  }
  if (!state.layers.length) tree.append(h('p', { class: 'hint' }, '没有图层'));
  markEditions();
}

function layerItem(layer) {
  const checkbox = h('input', { type: 'checkbox', checked: !hiddenByDefault(layer.name), dataset: { layer: layer.name },
    'aria-label': layer.title || layer.name });
  checkbox.addEventListener('change', () => setVisible(layer.name, checkbox.checked));
  const editions = layer.versioned ? h('ul', { class: 'editions', 'aria-label': `${layer.title} 规划版本` },
    (layer.editions || []).map((e) => h('li', { class: 'edition', dataset: { from: e.valid_from, to: e.valid_to || '', status: e.status },
      title: [e.document, e.approved_on ? `批准日期 ${e.approved_on}` : ''].filter(Boolean).join('；') },
    h('button', { type: 'button', class: 'linklike', onclick: () => setDate(e.valid_from) }, e.name),
    h('span', { class: `edition-status status-${e.status}` }, STATUS_LABELS[e.status] || e.status),
    h('span', { class: 'edition-dates' }, `${e.valid_from} 起${e.valid_to ? `，${e.valid_to} 止` : ''}`),
    h('span', { class: 'edition-current' }, '（当前）')))) : null;
  return h('li', { class: 'layer', dataset: { layer: layer.name } },
    h('div', { class: 'layer-row' },
      h('label', {}, checkbox, h('span', { class: 'swatch', style: `background:${swatch(layer.name)}` }),
        h('span', { class: 'layer-title' }, layer.title || layer.name)),
      h('span', { class: 'count', title: layer.versioned ? '要素数（各版本合计）' : '要素数' }, layer.count ?? ''),
      h('button', { type: 'button', class: 'small', title: '打开属性表', 'aria-label': `${layer.title || layer.name} 属性表`,
        onclick: () => openTable(layer.name) }, '表')),
    editions);
}

function inForce(e, date) {
  return e.status !== 'draft' && e.valid_from <= date && (!e.valid_to || date < e.valid_to);
}

function markEditions() {
  const current = [];
  for (const li of document.querySelectorAll('#layer-tree li.edition')) {
    const e = { status: li.dataset.status, valid_from: li.dataset.from, valid_to: li.dataset.to || null };
    const on = inForce(e, state.date);
    li.classList.toggle('in-force', on);
    li.querySelector('.edition-current').hidden = !on;
  }
  for (const layer of state.layers) {
    if (!layer.versioned) continue;
    const names = (layer.editions || []).filter((e) => inForce(e, state.date)).map((e) => e.name);
    current.push(...names);
  }
  const unique = [...new Set(current)];
  $('#date-editions').textContent = unique.length ? `现行：${unique.join('、')}` : '该日期无现行规划版本';
}

// ---------------------------------------------------------------- date
function setupDateControl() {
  const slider = $('#date-slider');
  const input = $('#date-input');
  const froms = state.layers.flatMap((l) => (l.editions || []).flatMap((e) => [e.valid_from, e.valid_to]).filter(Boolean));
  const today = todayIso();
  const earliest = froms.length ? froms.sort()[0] : today;
  const min = Math.min(dayNumber(earliest) - 365, dayNumber(today) - 365);
  const max = Math.max(dayNumber(today), ...froms.map(dayNumber));
  slider.min = String(min);
  slider.max = String(max);
  slider.value = String(dayNumber(state.date));
  input.min = isoOfDay(min);
  input.max = isoOfDay(max);
  input.value = state.date;
  // edition dates as ticks on the slider
  const list = h('datalist', { id: 'edition-dates' }, [...new Set(froms)].map((d) => h('option', { value: dayNumber(d), label: d })));
  document.body.append(list);
  slider.setAttribute('list', 'edition-dates');
  const reload = debounce(() => reloadTiles(), 250);
  slider.addEventListener('input', () => { setDate(isoOfDay(Number(slider.value)), { reload: false }); reload(); });
  slider.addEventListener('change', () => setDate(isoOfDay(Number(slider.value))));
  input.addEventListener('change', () => { if (input.value) setDate(input.value); });
}

function setDate(iso, { reload = true } = {}) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return;
  const changed = iso !== state.date;
  state.date = iso;
  $('#date-slider').value = String(dayNumber(iso));
  $('#date-input').value = iso;
  $('#date-slider').setAttribute('aria-valuetext', iso);
  markEditions();
  if (changed && reload) reloadTiles();
}

let loadedDate = null;
function reloadTiles() {
  const map = app.map;
  if (!map || loadedDate === state.date) return;
  loadedDate = state.date;
  const date = state.date;
  delete map.getContainer().dataset.date;
  for (const layer of state.layers) {
    if (!layer.versioned) continue;
    const source = map.getSource(layer.name);
    if (source && source.setUrl) source.setUrl(tileJsonUrl(layer.name, date));
  }
  // The map's element says which date it shows once every versioned source has that date's TileJSON
  // and its tiles are drawn. Checked on a short timer as well as on 'idle': when the tiles come from
  // the server's cache the map can go idle before the last TileJSON has arrived, and then not again.
  const current = () => state.layers.every((layer) => {
    const source = layer.versioned ? map.getSource(layer.name) : null;
    return !source || (source.tiles || []).some((t) => t.includes(`datetime=${date}`));
  });
  const settle = () => {
    if (state.date !== date) { stop(); return; }
    if (current() && map.loaded() && map.areTilesLoaded()) {
      map.getContainer().dataset.date = date;
      stop();
    }
  };
  const timer = setInterval(settle, 100);
  const stop = () => { clearInterval(timer); map.off('idle', settle); };
  map.on('idle', settle);
  if (state.table.layer && state.byName[state.table.layer]?.versioned) loadTable();
  status(`已切换到 ${state.date} 的现行规划`);
}

// ---------------------------------------------------------------- tabs
function showTab(name) {
  for (const btn of document.querySelectorAll('.tabs [role=tab]')) {
    const on = btn.dataset.tab === name;
    btn.setAttribute('aria-selected', String(on));
    $(`#tab-${btn.dataset.tab}`).hidden = !on;
  }
}

function bindTabs() {
  for (const btn of document.querySelectorAll('.tabs [role=tab]')) {
    btn.addEventListener('click', () => showTab(btn.dataset.tab));
  }
}

// ---------------------------------------------------------------- sketches (drawing on the map)
function startSketch(which, mode, hint, onFinish, onChange) {
  for (const [name, sketch] of Object.entries(app.sketches)) if (name !== which) sketch.stop();
  const el = $('#map-hint');
  el.textContent = `${hint}（Esc 取消）`;
  el.hidden = false;
  app.sketches[which].start(mode, (geometry, m) => {
    el.hidden = true;
    onFinish(geometry, m);
  }, onChange);
}

const drawing = () => Object.values(app.sketches).some((s) => s.active);

// ---------------------------------------------------------------- identify
async function identify(e) {
  if (drawing()) return;
  const layers = visibleLayers();
  if (!layers.length) return;
  showTab('identify');
  const out = $('#identify-result');
  out.replaceChildren(h('p', { class: 'busy' }, '查询中……'));
  let result;
  try {
    result = await getJSON('/api/identify', {
      lon: e.lngLat.lng.toFixed(7), lat: e.lngLat.lat.toFixed(7), as_of: state.date, layers: layers.join(','),
    });
  } catch (err) {
    out.replaceChildren(h('p', { class: 'error' }, `查询失败：${err.message}`));
    return;
  }
  const groups = identifyGroups(result);
  const features = groups.flatMap((g) => g.features);
  app.map.getSource('identify').setData({ type: 'FeatureCollection', features: features.filter((f) => f.geometry) });
  if (!features.length) {
    out.replaceChildren(h('p', { class: 'hint' }, `该位置（${e.lngLat.lng.toFixed(5)}, ${e.lngLat.lat.toFixed(5)}）没有可见图层的要素。`));
    return;
  }
  out.replaceChildren(
    h('p', { class: 'hint' }, `位置 ${e.lngLat.lng.toFixed(5)}, ${e.lngLat.lat.toFixed(5)}，日期 ${state.date}`),
    ...groups.filter((g) => g.features.length).map((g) => h('section', { class: 'identify-layer', dataset: { layer: g.layer } },
      h('h3', {}, state.byName[g.layer]?.title || g.layer),
      ...g.features.map((f) => propertyTable(f)))));
}

/** Accept the shapes the identify answer may take: {layers:[{layer, features}]}, {layer: FC}, or one FC. */
function identifyGroups(result) {
  const asFeatures = (v) => (Array.isArray(v) ? v : v?.features || []);
  if (Array.isArray(result?.layers)) {
    return result.layers.map((g) => ({ layer: g.layer || g.name, features: asFeatures(g.features ?? g) }));
  }
  if (result?.type === 'FeatureCollection') {
    const by = {};
    for (const f of result.features) (by[f.properties?.layer || f.layer || ''] ||= []).push(f);
    return Object.entries(by).map(([layer, features]) => ({ layer, features }));
  }
  const source = result?.layers && typeof result.layers === 'object' ? result.layers : result || {};
  return Object.entries(source).filter(([, v]) => v && typeof v === 'object')
    .map(([layer, v]) => ({ layer, features: asFeatures(v) }));
}

function propertyTable(feature) {
  const props = { ...(feature.id !== undefined ? { fid: feature.id } : {}), ...(feature.properties || {}) };
  return h('table', { class: 'props' }, h('tbody', {}, Object.entries(props).map(([k, v]) =>
    h('tr', { dataset: { field: k } }, h('th', { scope: 'row', title: k }, fieldLabel(k)), h('td', {}, v ?? '')))));
}

// ---------------------------------------------------------------- attribute table
function buildTableChooser() {
  const select = $('#table-layer');
  select.replaceChildren(h('option', { value: '' }, '（选择图层）'),
    ...state.layers.map((l) => h('option', { value: l.name }, l.title || l.name)));
  select.addEventListener('change', () => openTable(select.value, false));
  $('#table-prev').addEventListener('click', () => { state.table.offset = Math.max(0, state.table.offset - PAGE_SIZE); loadTable(); });
  $('#table-next').addEventListener('click', () => {
    if (state.table.offset + PAGE_SIZE < state.table.matched) { state.table.offset += PAGE_SIZE; loadTable(); }
  });
}

function fieldNames(layer) {
  const f = layer?.fields;
  if (Array.isArray(f)) return f.map((x) => (typeof x === 'string' ? x : x.name));
  return f ? Object.keys(f) : [];
}

function openTable(name, switchTab = true) {
  state.table = { layer: name || null, offset: 0, matched: 0 };
  $('#table-layer').value = name || '';
  if (switchTab) showTab('table');
  loadTable();
}

async function loadTable() {
  const { layer: name, offset } = state.table;
  const table = $('#attr-table');
  const info = $('#table-info');
  if (!name) {
    table.replaceChildren();
    info.textContent = '';
    $('#table-page').textContent = '';
    return;
  }
  info.textContent = '读取中……';
  let fc;
  try {
    fc = await getJSON(`/api/layers/${encodeURIComponent(name)}/features`, { as_of: state.date, limit: PAGE_SIZE, offset });
  } catch (err) {
    info.textContent = `读取失败：${err.message}`;
    return;
  }
  if (state.table.layer !== name || state.table.offset !== offset) return; // a newer request is under way
  const fields = fieldNames(state.byName[name]);
  const features = fc.features || [];
  const columns = ['fid', ...(fields.length ? fields : Object.keys(features[0]?.properties || {}))];
  state.table.matched = fc.numberMatched ?? features.length;
  const pages = Math.max(1, Math.ceil(state.table.matched / PAGE_SIZE));
  info.textContent = `${state.byName[name]?.title || name}：共 ${state.table.matched} 条（${state.date}）`;
  $('#table-page').textContent = `第 ${Math.floor(offset / PAGE_SIZE) + 1} / ${pages} 页`;
  $('#table-prev').disabled = offset <= 0;
  $('#table-next').disabled = offset + PAGE_SIZE >= state.table.matched;
  table.replaceChildren(
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', title: c }, fieldLabel(c))))),
    h('tbody', {}, features.map((f) => {
      const row = h('tr', { dataset: { fid: f.id ?? f.properties?.fid ?? '' }, title: '单击定位到该要素' },
        columns.map((c) => h('td', {}, c === 'fid' ? (f.id ?? f.properties?.fid ?? '') : (f.properties?.[c] ?? ''))));
      row.addEventListener('click', () => zoomTo(f));
      return row;
    })));
}

function zoomTo(feature) {
  const bounds = geometryBounds(feature.geometry);
  if (!bounds) return;
  app.map.fitBounds(bounds, { padding: 60, maxZoom: 16, duration: 300 });
  app.map.getSource('identify').setData({ type: 'FeatureCollection', features: [feature] });
}

// ---------------------------------------------------------------- measure
function bindMeasure() {
  const out = $('#measure-result');
  let seq = 0;
  const show = async (geometry, mode, final) => {
    if (!geometry || (!final && !app.sketches.measure.active)) return;
    const mine = ++seq;
    let r;
    try {
      r = await postJSON('/api/measure', { geometry });
    } catch (err) {
      out.replaceChildren(h('dd', { class: 'error' }, `测量失败：${err.message}`));
      return;
    }
    if (mine !== seq || (!final && !app.sketches.measure.active)) return;
    const rows = [];
    if (mode === 'line') {
      rows.push(h('dt', {}, '长度'), h('dd', { id: 'measure-length' }, h('span', { class: 'num' }, fmt(r.length_m, 2)), ' 米'));
    } else {
      rows.push(
        h('dt', {}, '面积'),
        h('dd', { id: 'measure-area-m2' }, h('span', { class: 'num' }, fmt(r.area_m2, 2)), ' 平方米'),
        h('dd', { id: 'measure-area-mu' }, h('span', { class: 'num' }, fmt(r.area_mu, 4)), ' 亩'),
        h('dt', {}, '周长'),
        h('dd', { id: 'measure-perimeter' }, h('span', { class: 'num' }, fmt(r.length_m, 2)), ' 米'));
    }
    rows.push(h('dd', { class: 'hint' }, final ? '（已完成）' : '（绘制中）'));
    out.replaceChildren(...rows);
    out.dataset.state = final ? 'final' : 'drawing';
  };
  const live = debounce((g, m) => show(g, m, false), 200);
  const start = (mode) => {
    out.replaceChildren();
    delete out.dataset.state;
    app.sketches.measure.clear();
    startSketch('measure', mode, mode === 'line' ? '单击添加折线点，双击结束测距' : '单击添加多边形拐点，双击结束测面积',
      (g, m) => show(g, m, true), (g, m) => live(g, m));
  };
  $('#measure-line').addEventListener('click', () => start('line'));
  $('#measure-area').addEventListener('click', () => start('polygon'));
  $('#measure-clear').addEventListener('click', () => { app.sketches.measure.cancel(); out.replaceChildren(); });
}

// ---------------------------------------------------------------- login
// The login box is shared with the ledger page (login.js); here a login may reload the page, when it
// was asked for because reading needs one.
function onLoginChange(user) {
  if (user && state.reloadAfterLogin) {
    window.location.reload();
    return;
  }
  status(user ? `已登录：${user.display_name || user.name}` : '已退出登录');
}

main().catch((err) => {
  console.error(err);
  status(`页面初始化失败：${err.message}`, 'error');
});
