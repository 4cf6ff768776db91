// Compliance review (合规性审查): upload a site file or draw it, POST /api/compliance, show the report
// and put the site and its overlap pieces on the map. Every figure shown is the server's.

import { request } from './api.js';
import { overlapColour, overlapLineColour, LINE_COLOURS, ZONE_NAMES } from './style.js';
import { $, h, fmt, collectionBounds, VERDICT_LABELS } from './util.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const LINE_TITLES = { permanent_farmland: '永久基本农田', eco_redline: '生态保护红线', dev_boundary: '城镇开发边界' };
const CATEGORY_LABELS = { farmland: '耕地', agricultural: '农用地', construction: '建设用地', unused: '未利用地' };
const OVERLAP_LAYERS = { lines: ['permanent_farmland', 'eco_redline', 'dev_boundary'], zones: ['zones'], survey: ['survey'] };

export class Review {
  constructor(app) {
    this.app = app;
    this.map = app.map;
    this.htmlUrl = null;
    this.last = null;
    const map = this.map;
    map.addSource('review-overlaps', { type: 'geojson', data: EMPTY });
    map.addSource('review-site', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'review-overlaps-fill', type: 'fill', source: 'review-overlaps',
      filter: ['in', ['get', 'layer'], ['literal', OVERLAP_LAYERS.lines]],
      paint: { 'fill-color': overlapColour, 'fill-opacity': 0.85 } });
    map.addLayer({ id: 'review-overlaps-line', type: 'line', source: 'review-overlaps',
      filter: ['in', ['get', 'layer'], ['literal', OVERLAP_LAYERS.lines]],
      paint: { 'line-color': overlapLineColour, 'line-width': 1.5 } });
    map.addLayer({ id: 'review-site-line', type: 'line', source: 'review-site',
      paint: { 'line-color': '#d50000', 'line-width': 3 } });

    $('#review-form').addEventListener('submit', (e) => { e.preventDefault(); this.upload(); });
    $('#review-draw').addEventListener('click', () => this.draw());
    $('#review-clear').addEventListener('click', () => this.clear());
  }

  async upload() {
    const file = $('#review-file').files[0];
    if (!file) {
      this.app.status('请先选择项目用地红线文件', 'error');
      return;
    }
    const form = () => {
      const data = new FormData();
      data.append('file', file, file.name);
      return data;
    };
    await this.run(form, file.name);
  }

  draw() {
    this.app.startSketch('review', 'polygon', '单击添加红线拐点，双击结束绘制', (geometry) => {
      const body = () => JSON.stringify(geometry);
      this.run(body, '地图绘制的红线', { 'Content-Type': 'application/json' });
    });
  }

  clear() {
    this.app.sketches.review.cancel();
    this.map.getSource('review-overlaps').setData(EMPTY);
    this.map.getSource('review-site').setData(EMPTY);
    $('#review-report').replaceChildren();
    if (this.htmlUrl) URL.revokeObjectURL(this.htmlUrl);
    this.htmlUrl = null;
    this.last = null;
  }

  /** POST the site (a body factory: FormData or JSON text) and show the result. */
  async run(makeBody, label, headers = {}) {
    const date = this.app.state.date;
    const report = $('#review-report');
    report.replaceChildren(h('p', { class: 'busy' }, `正在审查（${date}）……`));
    let result;
    try {
      const params = new URLSearchParams({ date, geometry: 'true', format: 'json' });
      const response = await request(`/api/compliance?${params}`, { method: 'POST', headers, body: makeBody() });
      result = await response.json();
    } catch (err) {
      report.replaceChildren(h('p', { class: 'error', role: 'alert' }, `审查失败：${err.message}`));
      return;
    }
    this.last = result;
    this.show(result, label);
    this.linkHtml(makeBody, headers, date);
  }

  async linkHtml(makeBody, headers, date) {
    const link = $('#review-html');
    if (!link) return;
    try {
      const params = new URLSearchParams({ date, format: 'html' });
      const response = await request(`/api/compliance?${params}`, { method: 'POST', headers, body: makeBody() });
      const blob = await response.blob();
      if (this.htmlUrl) URL.revokeObjectURL(this.htmlUrl);
      this.htmlUrl = URL.createObjectURL(new Blob([blob], { type: 'text/html;charset=utf-8' }));
      link.href = this.htmlUrl;
      link.removeAttribute('aria-disabled');
      link.textContent = '打开可打印的审查报告（HTML）';
    } catch (err) {
      link.textContent = `HTML 报告生成失败：${err.message}`;
    }
  }

  show(r, label) {
    const geometry = r.geometry || {};
    this.map.getSource('review-site').setData(geometry.site || EMPTY);
    this.map.getSource('review-overlaps').setData(geometry.overlaps || EMPTY);
    const bounds = collectionBounds(geometry.site);
    if (bounds) this.map.fitBounds(bounds, { padding: 80, maxZoom: 16, duration: 0 });

    const verdict = r.verdict;
    const lines = Object.entries(r.control_lines || {});
    const report = $('#review-report');
    report.replaceChildren(
      h('div', { class: `verdict verdict-${verdict}`, 'data-verdict': verdict },
        '审查结论：', h('strong', { id: 'review-verdict' }, VERDICT_LABELS[verdict] || verdict)),
      h('dl', { class: 'facts' },
        h('dt', {}, '用地红线'), h('dd', {}, label),
        h('dt', {}, '审查日期'), h('dd', {}, r.date),
        h('dt', {}, '用地面积'),
        h('dd', { id: 'review-site-area' },
          h('span', { class: 'num', 'data-unit': 'm2' }, fmt(r.site_area_m2, 2)), ' 平方米 ／ ',
          h('span', { class: 'num', 'data-unit': 'mu', id: 'review-site-mu' }, fmt(r.site_area_mu, 4)), ' 亩')),
      h('p', {}, h('a', { id: 'review-html', href: '#', target: '_blank', rel: 'noopener', 'aria-disabled': 'true' },
        'HTML 报告生成中……')),
      h('h3', {}, '三条控制线'),
      table(['控制线', '面积（平方米）', '面积（亩）', '占比（%）'], lines.map(([layer, v]) =>
        h('tr', { 'data-layer': layer },
          h('th', { scope: 'row' }, h('span', { class: 'swatch', style: `background:${LINE_COLOURS[layer]?.fill || '#888'}` }),
            LINE_TITLES[layer] || layer, v.loaded === false ? '（未加载）' : ''),
          h('td', { class: 'num', 'data-unit': 'm2' }, fmt(v.area_m2, 2)),
          h('td', { class: 'num', 'data-unit': 'mu' }, fmt(v.area_mu, 4)),
          h('td', { class: 'num', 'data-unit': 'percent' }, fmt(v.percent, 2)))), 'review-lines'),
      h('h3', {}, '规划分区'),
      groupTable(r.zones, 'review-zones', (z) => z.label || ZONE_NAMES[z.group] || z.group),
      h('h3', {}, '现状地类（国土调查）'),
      groupTable(r.survey, 'review-survey', (s) => `${s.label}（${s.group}${s.category ? `，${CATEGORY_LABELS[s.category] || s.category}` : ''}）`),
      r.farmland ? h('p', { id: 'review-farmland' }, '占用现状耕地：',
        h('span', { class: 'num', 'data-unit': 'm2' }, fmt(r.farmland.area_m2, 2)), ' 平方米 ／ ',
        h('span', { class: 'num', 'data-unit': 'mu' }, fmt(r.farmland.area_mu, 4)), ' 亩（',
        h('span', { class: 'num', 'data-unit': 'percent' }, fmt(r.farmland.percent, 2)), '%）') : null,
      h('h3', {}, '审查规则'),
      h('ol', { class: 'rules', id: 'review-rules' }, (r.rules || []).map((rule) =>
        h('li', { class: `rule verdict-${rule.verdict}`, 'data-rule': rule.id },
          h('div', { class: 'rule-head' }, h('span', { class: 'rule-verdict' }, VERDICT_LABELS[rule.verdict] || rule.verdict),
            ' ', h('strong', {}, rule.title), ' ', h('small', {}, `${rule.id} v${rule.version}`)),
          h('div', { class: 'rule-detail' }, rule.detail),
          h('div', { class: 'rule-basis' }, '依据：', rule.basis)))),
      (r.slivers || []).length ? h('p', { class: 'hint' },
        `另有 ${r.slivers.length} 处小于容差的细碎重叠（不计入面积、不构成冲突）。`) : null,
      h('h3', {}, '所用规划版本'),
      h('ul', { class: 'editions-used' }, (r.editions || []).map((e) =>
        h('li', {}, `${LINE_TITLES[e.layer] || e.layer}：${e.name}（${e.valid_from} 起${e.valid_to ? `，${e.valid_to} 止` : ''}）`))),
      overlapChooser(this.map),
    );
  }
}

function table(headers, rows, id) {
  return h('table', { class: 'report-table', id },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, '不涉及'))));
}

function groupTable(groups, id, labelOf) {
  return table(['名称', '面积（平方米）', '面积（亩）', '占比（%）'], (groups || []).map((g) =>
    h('tr', { 'data-group': g.group },
      h('th', { scope: 'row' }, labelOf(g)),
      h('td', { class: 'num', 'data-unit': 'm2' }, fmt(g.area_m2, 2)),
      h('td', { class: 'num', 'data-unit': 'mu' }, fmt(g.area_mu, 4)),
      h('td', { class: 'num', 'data-unit': 'percent' }, fmt(g.percent, 2)))), id);
}

/** Radio buttons choosing which overlap pieces the map shows. */
function overlapChooser(map) {
  const choices = [['lines', '控制线'], ['zones', '规划分区'], ['survey', '现状地类']];
  const set = (key) => {
    const filter = ['in', ['get', 'layer'], ['literal', OVERLAP_LAYERS[key]]];
    map.setFilter('review-overlaps-fill', filter);
    map.setFilter('review-overlaps-line', filter);
  };
  set('lines');
  return h('fieldset', { class: 'overlap-chooser' }, h('legend', {}, '地图上显示的叠加部分'),
    choices.map(([key, text], i) => h('label', {},
      h('input', { type: 'radio', name: 'overlap-show', value: key, checked: i === 0, onchange: () => set(key) }), text)));
}
