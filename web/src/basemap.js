// The map both pages start from: a plain background (no basemap, no internet), the county's bounds,
// the login token on our own tile and data requests, navigation and a metric scale, errors reported.

import * as maplibregl from 'maplibre-gl';
import { auth } from './api.js';
import { BACKGROUND } from './style.js';

maplibregl.setWorkerUrl(new URL('./maplibre-gl-worker.js', import.meta.url).href);

export { maplibregl };

/** A new map in element ``container`` fitted to ``bounds``; ``onError(message)`` hears map errors. */
export function createBaseMap(container, bounds, onError) {
  const map = new maplibregl.Map({
    container,
    style: {
      version: 8,
      sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } }],
    },
    bounds,
    fitBoundsOptions: { padding: 20 },
    attributionControl: false,
    localIdeographFontFamily: '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif',
    transformRequest: (url) => {
      if (auth.token && new URL(url, window.location.href).origin === window.location.origin) {
        return { url, headers: { Authorization: `Bearer ${auth.token}` } };
      }
      return { url };
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.on('error', (e) => {
    const message = e.error?.message || String(e.error || e);
    console.error(`地图错误：${message}`);
    onError(`地图错误：${message}`);
  });
  return map;
}
