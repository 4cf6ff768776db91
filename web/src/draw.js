// Click-to-add-vertex drawing on the map: polygons and lines; double-click (or Enter) finishes,
// Escape cancels, Backspace removes the last vertex. Geometry only: no areas are computed here.

const EMPTY = { type: 'FeatureCollection', features: [] };
const SAME_POINT_PX = 4; // the two clicks of a double-click add one vertex, not three

export class Sketch {
  /**
   * @param {import('maplibre-gl').Map} map
   * @param {string} id  prefix of the sketch's source and layers
   * @param {{fill: string, line: string}} colours
   */
  constructor(map, id, colours) {
    this.map = map;
    this.id = id;
    this.mode = null; // 'polygon' | 'line' | null
    this.vertices = [];
    this.cursor = null;
    this.onFinish = null;
    this.onChange = null;
    map.addSource(id, { type: 'geojson', data: EMPTY });
    map.addLayer({ id: `${id}-fill`, type: 'fill', source: id, filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': colours.fill, 'fill-opacity': 0.25 } });
    map.addLayer({ id: `${id}-line`, type: 'line', source: id, filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': colours.line, 'line-width': 2, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: `${id}-vertex`, type: 'circle', source: id, filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 4, 'circle-color': '#ffffff', 'circle-stroke-color': colours.line, 'circle-stroke-width': 2 } });
    this._click = (e) => this._addVertex(e);
    this._move = (e) => { this.cursor = [e.lngLat.lng, e.lngLat.lat]; this._render(); };
    this._dblclick = (e) => { e.preventDefault(); this.finish(); };
    this._key = (e) => {
      if (!this.mode) return;
      if (e.key === 'Escape') this.cancel();
      else if (e.key === 'Enter') this.finish();
      else if (e.key === 'Backspace' && this.vertices.length && !(e.target instanceof HTMLInputElement)) {
        this.vertices.pop();
        this._render();
        this._changed();
      }
    };
  }

  get active() { return this.mode !== null; }

  /** Start drawing; `onFinish(geometry)` receives a GeoJSON Polygon or LineString. */
  start(mode, onFinish, onChange = null) {
    this.stop();
    this.mode = mode;
    this.vertices = [];
    this.cursor = null;
    this.onFinish = onFinish;
    this.onChange = onChange;
    this.map.doubleClickZoom.disable();
    this.map.getCanvas().style.cursor = 'crosshair';
    this.map.on('click', this._click);
    this.map.on('mousemove', this._move);
    this.map.on('dblclick', this._dblclick);
    document.addEventListener('keydown', this._key);
    this._render();
  }

  /** Stop listening (the drawn shape stays on the map). */
  stop() {
    if (!this.mode) return;
    this.mode = null;
    this.cursor = null;
    this.map.off('click', this._click);
    this.map.off('mousemove', this._move);
    this.map.off('dblclick', this._dblclick);
    document.removeEventListener('keydown', this._key);
    this.map.getCanvas().style.cursor = '';
    // re-enable after the dblclick that finished drawing has been handled
    setTimeout(() => this.map.doubleClickZoom.enable(), 0);
  }

  cancel() {
    this.stop();
    this.clear();
  }

  clear() {
    this.vertices = [];
    this.cursor = null;
    this.map.getSource(this.id)?.setData(EMPTY);
  }

  geometry() {
    const v = this.vertices;
    if (this.mode === 'line' || this._finishedMode === 'line') {
      return v.length >= 2 ? { type: 'LineString', coordinates: v.map((p) => [...p]) } : null;
    }
    return v.length >= 3 ? { type: 'Polygon', coordinates: [[...v.map((p) => [...p]), [...v[0]]]] } : null;
  }

  finish() {
    if (!this.mode) return;
    const mode = this.mode;
    this._finishedMode = mode;
    const geometry = this.geometry();
    if (!geometry) return; // not enough vertices yet: keep drawing
    const onFinish = this.onFinish;
    this.stop();
    this._render();
    if (onFinish) onFinish(geometry, mode);
  }

  _addVertex(e) {
    const last = this.vertices[this.vertices.length - 1];
    if (last) {
      const p = this.map.project(last);
      if (Math.hypot(p.x - e.point.x, p.y - e.point.y) < SAME_POINT_PX) return;
    }
    this.vertices.push([e.lngLat.lng, e.lngLat.lat]);
    this._finishedMode = this.mode;
    this._render();
    this._changed();
  }

  _changed() {
    if (this.onChange) this.onChange(this.geometry(), this.mode);
  }

  _render() {
    const mode = this.mode || this._finishedMode;
    const pts = this.cursor && this.mode ? [...this.vertices, this.cursor] : this.vertices;
    const features = this.vertices.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }));
    if (mode === 'polygon' && pts.length >= 3) {
      features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] } });
    } else if (pts.length >= 2) {
      features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts } });
    }
    this.map.getSource(this.id)?.setData({ type: 'FeatureCollection', features });
  }
}
