// Map styles of the county's own layers: no basemap, a plain background and one style per layer.

export const BACKGROUND = '#eef1f4';

// GB/T 21010-2017 first-level classes (三调 colours, simplified).
export const LAND_CLASS_COLOURS = {
  '01': '#f7e36b', // 耕地
  '02': '#e8b35c', // 园地
  '03': '#3f9b4f', // 林地
  '04': '#a6d27a', // 草地
  '05': '#f08a7a', // 商服用地
  '06': '#c78b6a', // 工矿仓储用地
  '07': '#e8646a', // 住宅用地
  '08': '#f3a6c0', // 公共管理与公共服务用地
  '09': '#9c6fb8', // 特殊用地
  '10': '#b7b7b7', // 交通运输用地
  '11': '#79b8ea', // 水域及水利设施用地
  '12': '#d9d3c3', // 其他土地
};
export const LAND_CLASS_NAMES = {
  '01': '耕地', '02': '园地', '03': '林地', '04': '草地', '05': '商服用地', '06': '工矿仓储用地',
  '07': '住宅用地', '08': '公共管理与公共服务用地', '09': '特殊用地', '10': '交通运输用地',
  '11': '水域及水利设施用地', '12': '其他土地',
};

export const ZONE_COLOURS = {
  ecological_protection: '#2f8f4e',
  ecological_control: '#94cf8c',
  farmland_protection: '#f2dc63',
  urban_development: '#ee8a78',
  rural_development: '#f4c38c',
  marine_development: '#7db5e3',
};
export const ZONE_NAMES = {
  ecological_protection: '生态保护区',
  ecological_control: '生态控制区',
  farmland_protection: '农田保护区',
  urban_development: '城镇发展区',
  rural_development: '乡村发展区',
  marine_development: '海洋发展区',
};

// The three control lines in their customary colours.
export const LINE_COLOURS = {
  permanent_farmland: { fill: '#ffd21f', line: '#b58f00' },
  eco_redline: { fill: '#1f9e48', line: '#0d6b2c' },
  dev_boundary: { fill: '#e0457b', line: '#c2185b' },
};

export const LAYER_GROUPS = [
  { id: 'control', title: '规划管控', layers: ['permanent_farmland', 'eco_redline', 'dev_boundary', 'zones'] },
  { id: 'current', title: '现状', layers: ['survey'] },
  { id: 'base', title: '基础', layers: ['towns'] },
  { id: 'projects', title: '项目', layers: ['sites'] },
];

export const DEFAULT_HIDDEN = new Set(['zones']);
// Ledger records (用地台账) are layers named ledger_<kind>; on the map they start hidden, in their own
// group; kinds without geometry (quotas, progress events…) belong to the ledger page only.
export const LEDGER_PREFIX = 'ledger_';
export const hiddenByDefault = (name) => DEFAULT_HIDDEN.has(name) || name.startsWith(LEDGER_PREFIX);

// Bottom-to-top drawing order; layers not named here go between survey and the control lines.
export const ORDER = ['survey', '*', 'zones', 'permanent_farmland', 'eco_redline', 'dev_boundary', 'towns', 'sites'];

const matchExpr = (input, table, fallback) => {
  const expr = ['match', input];
  for (const [key, value] of Object.entries(table)) expr.push(key, value);
  expr.push(fallback);
  return expr;
};

export const landClassColour = matchExpr(['slice', ['to-string', ['get', 'land_class']], 0, 2], LAND_CLASS_COLOURS, '#cccccc');
export const zoneColour = matchExpr(['to-string', ['get', 'zone_type']], ZONE_COLOURS, '#cccccc');

/** The MapLibre style layers drawing one guotu layer (all with ids starting with `${name}-`). */
export function styleLayers(name, geometryType) {
  const src = { source: name, 'source-layer': name };
  const visibility = hiddenByDefault(name) ? 'none' : 'visible';
  const layout = { visibility };
  const lineJoin = { visibility, 'line-join': 'round' };
  switch (name) {
    case 'survey':
      return [
        { id: 'survey-fill', type: 'fill', ...src, layout, paint: { 'fill-color': landClassColour, 'fill-opacity': 0.65 } },
        { id: 'survey-line', type: 'line', ...src, layout: lineJoin, minzoom: 11,
          paint: { 'line-color': '#ffffff', 'line-width': 0.4, 'line-opacity': 0.8 } },
      ];
    case 'zones':
      return [
        { id: 'zones-fill', type: 'fill', ...src, layout, paint: { 'fill-color': zoneColour, 'fill-opacity': 0.55 } },
        { id: 'zones-line', type: 'line', ...src, layout: lineJoin, paint: { 'line-color': '#666666', 'line-width': 0.6 } },
      ];
    case 'permanent_farmland':
    case 'eco_redline':
      return [
        { id: `${name}-fill`, type: 'fill', ...src, layout, paint: { 'fill-color': LINE_COLOURS[name].fill, 'fill-opacity': 0.45 } },
        { id: `${name}-line`, type: 'line', ...src, layout: lineJoin, paint: { 'line-color': LINE_COLOURS[name].line, 'line-width': 1.2 } },
      ];
    case 'dev_boundary':
      return [
        { id: 'dev_boundary-fill', type: 'fill', ...src, layout, paint: { 'fill-color': LINE_COLOURS.dev_boundary.fill, 'fill-opacity': 0.15 } },
        { id: 'dev_boundary-line', type: 'line', ...src, layout: lineJoin,
          paint: { 'line-color': LINE_COLOURS.dev_boundary.line, 'line-width': 2, 'line-dasharray': [3, 1.5] } },
      ];
    case 'towns':
      return [
        { id: 'towns-line', type: 'line', ...src, layout: lineJoin,
          paint: { 'line-color': '#4a4a4a', 'line-width': 1.4, 'line-dasharray': [4, 2, 1, 2] } },
        { id: 'towns-label', type: 'symbol', source: 'towns-labels',
          layout: { visibility, 'text-field': ['get', 'label'], 'text-size': 14, 'text-font': ['Noto Sans CJK SC Regular'] },
          paint: { 'text-color': '#333333', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 } },
      ];
    case 'sites':
      return [
        { id: 'sites-fill', type: 'fill', ...src, layout, paint: { 'fill-color': '#ff3b30', 'fill-opacity': 0.15 } },
        { id: 'sites-line', type: 'line', ...src, layout: lineJoin, paint: { 'line-color': '#d50000', 'line-width': 2 } },
      ];
    default: {
      const colour = '#8a6fbf';
      if (/POINT/i.test(geometryType || '')) {
        return [{ id: `${name}-circle`, type: 'circle', ...src, layout,
          paint: { 'circle-color': colour, 'circle-radius': 4, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 } }];
      }
      if (/LINE/i.test(geometryType || '')) {
        return [{ id: `${name}-line`, type: 'line', ...src, layout: lineJoin, paint: { 'line-color': colour, 'line-width': 1.5 } }];
      }
      return [
        { id: `${name}-fill`, type: 'fill', ...src, layout, paint: { 'fill-color': colour, 'fill-opacity': 0.3 } },
        { id: `${name}-line`, type: 'line', ...src, layout: lineJoin, paint: { 'line-color': colour, 'line-width': 1 } },
      ];
    }
  }
}

/** A small legend swatch (CSS background) for a layer in the tree. */
export function swatch(name) {
  switch (name) {
    case 'survey': return `linear-gradient(90deg, ${LAND_CLASS_COLOURS['01']} 33%, ${LAND_CLASS_COLOURS['07']} 33% 66%, ${LAND_CLASS_COLOURS['11']} 66%)`;
    case 'zones': return `linear-gradient(90deg, ${ZONE_COLOURS.ecological_protection} 33%, ${ZONE_COLOURS.farmland_protection} 33% 66%, ${ZONE_COLOURS.urban_development} 66%)`;
    case 'permanent_farmland': case 'eco_redline': case 'dev_boundary': return LINE_COLOURS[name].fill;
    case 'towns': return '#ffffff';
    case 'sites': return '#ff8a80';
    default: return '#8a6fbf';
  }
}

/** The colour of an overlap piece of a compliance review (by the layer it overlaps, and its group). */
export const overlapColour = ['match', ['get', 'layer'],
  'permanent_farmland', LINE_COLOURS.permanent_farmland.fill,
  'eco_redline', LINE_COLOURS.eco_redline.fill,
  'dev_boundary', LINE_COLOURS.dev_boundary.fill,
  'zones', matchExpr(['to-string', ['get', 'group']], ZONE_COLOURS, '#cccccc'),
  'survey', matchExpr(['slice', ['to-string', ['get', 'group']], 0, 2], LAND_CLASS_COLOURS, '#cccccc'),
  '#888888'];
export const overlapLineColour = ['match', ['get', 'layer'],
  'permanent_farmland', LINE_COLOURS.permanent_farmland.line,
  'eco_redline', LINE_COLOURS.eco_redline.line,
  'dev_boundary', LINE_COLOURS.dev_boundary.line,
  '#555555'];
