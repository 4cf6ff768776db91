// Calls to the guotu API (docs/api.md): same origin, JSON, Chinese error messages.

const TOKEN_KEY = 'guotu.token';

export const auth = {
  token: sessionStorage.getItem(TOKEN_KEY) || null,
  user: null,
  set(token, user) {
    this.token = token;
    this.user = user;
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, key, message) {
    super(message);
    this.status = status;
    this.key = key;
  }
}

export function authHeaders() {
  return auth.token ? { Authorization: `Bearer ${auth.token}` } : {};
}

async function errorOf(response) {
  let key = `http.${response.status}`;
  let message = `请求失败（HTTP ${response.status}）`;
  try {
    const body = await response.json();
    if (body && body.error) {
      key = body.error.key || key;
      message = body.error.message || body.error.message_en || message;
    } else if (body && typeof body.detail === 'string') {
      message = body.detail;
    }
  } catch {
    // not JSON: keep the generic message
  }
  if (response.status === 401 && key === `http.401`) message = '需要登录';
  if (response.status === 403 && key === `http.403`) message = '当前用户无此权限';
  if (response.status === 413 && key === `http.413`) message = '上传文件过大';
  return new ApiError(response.status, key, message);
}

/** fetch() with the login token; returns the Response, throws ApiError on 4xx/5xx. */
export async function request(path, options = {}) {
  const headers = { ...authHeaders(), ...(options.headers || {}) };
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (err) {
    throw new ApiError(0, 'network', `无法连接服务器：${err.message}`);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJSON(path, params) {
  const url = params ? `${path}?${new URLSearchParams(params)}` : path;
  return (await request(url)).json();
}

export async function postJSON(path, body, params) {
  const url = params ? `${path}?${new URLSearchParams(params)}` : path;
  const response = await request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.status === 204 ? null : response.json();
}

/** The TileJSON URL of a layer's vector tiles as of a date. */
export function tileJsonUrl(layer, date) {
  const base = `/ogc/collections/${encodeURIComponent(layer)}/tiles/WebMercatorQuad/tilejson.json`;
  return new URL(`${base}?${new URLSearchParams({ datetime: date })}`, window.location.href).href;
}
