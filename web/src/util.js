// Small helpers shared by the page's modules (no area or distance arithmetic here: the server does it).

export const $ = (sel, root = document) => root.querySelector(sel);

/** Create an element: h('td', {class: 'x', title: 't'}, 'text', child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A figure the server sent, shown with a fixed number of decimals (it is already rounded half-up). */
export function fmt(value, decimals) {
  if (value === null || value === undefined || value === '') return '—';
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(decimals) : String(value);
}

// ISO dates as whole days (UTC), for the date slider.
const DAY_MS = 86400000;
export const dayNumber = (iso) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
export const isoOfDay = (n) => new Date(n * DAY_MS).toISOString().slice(0, 10);
export function todayIso() {
  const d = new Date();
  const pad = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** The lon/lat bounds of a GeoJSON geometry (to zoom to a feature). */
export function geometryBounds(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else c.forEach(walk);
  };
  if (geometry?.type === 'GeometryCollection') geometry.geometries.forEach((g) => walk(g.coordinates));
  else if (geometry?.coordinates) walk(geometry.coordinates);
  return Number.isFinite(b[0]) ? [[b[0], b[1]], [b[2], b[3]]] : null;
}

export function collectionBounds(fc) {
  let out = null;
  for (const f of fc?.features || []) {
    const b = geometryBounds(f.geometry);
    if (!b) continue;
    out = out ? [[Math.min(out[0][0], b[0][0]), Math.min(out[0][1], b[0][1])],
      [Math.max(out[1][0], b[1][0]), Math.max(out[1][1], b[1][1])]] : b;
  }
  return out;
}

export const FIELD_LABELS = {
  fid: '要素号', patch_no: '图斑编号', land_class: '地类编码', land_class_name: '地类名称',
  land_class_edition: '分类标准', town_code: '乡镇代码', town_name: '乡镇名称', block_no: '地块编号',
  quality_grade: '质量等别', name: '名称', category: '类型', kind: '类别', note: '备注',
  zone_type: '分区类型', zone_name: '分区名称', planned_class: '规划用途', planned_class_edition: '用途分类标准',
  derived: '派生边界', seat_lon: '驻地经度', seat_lat: '驻地纬度', site_no: '项目编号', applicant: '申请单位',
  use: '用途', land_use: '用地性质', land_class_code: '用地分类代码', demo_case: '演示案例',
  guotu_edition: '规划版本', edition: '规划版本',
};
export const fieldLabel = (name) => FIELD_LABELS[name] || name;

export const STATUS_LABELS = { approved: '现行', draft: '草案', superseded: '已废止' };
export const VERDICT_LABELS = { pass: '通过', conflict: '冲突', attention: '需关注' };
export const ROLE_LABELS = { viewer: '浏览', planner: '规划编辑', administrator: '管理员' };

// The status line (#status) of a page: a message that fades after 4 s, errors stay.
let statusTimer = null;
export function status(message, kind = 'info') {
  const el = $('#status');
  el.textContent = message;
  el.className = `status status-${kind}`;
  clearTimeout(statusTimer);
  if (message && kind !== 'error') statusTimer = setTimeout(() => { el.textContent = ''; }, 4000);
}
