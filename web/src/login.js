// The login box of a page (登录 / 退出): the same elements and behaviour as the one-map page's.

import { auth, getJSON, postJSON, request, ApiError } from './api.js';
import { $, ROLE_LABELS } from './util.js';

export function showUser() {
  const user = auth.user;
  const name = $('#user-name');
  if (user) {
    const roles = (user.roles || []).map((r) => ROLE_LABELS[r] || r).join('、');
    name.textContent = `${user.display_name || user.name}（${roles || '无角色'}）`;
    name.title = user.name;
  } else {
    name.textContent = '未登录';
    name.title = '';
  }
  $('#login-open').hidden = !!user;
  $('#logout').hidden = !user;
}

export function openLogin() {
  const dialog = $('#login-dialog');
  $('#login-error').textContent = '';
  if (!dialog.open) dialog.showModal();
  $('#login-user').focus();
}

/** Bind the login box; ``onChange(user)`` runs after logging in or out. */
export function bindLogin(onChange = () => {}) {
  const dialog = $('#login-dialog');
  $('#login-open').addEventListener('click', openLogin);
  $('#login-cancel').addEventListener('click', () => dialog.close());
  $('#login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await postJSON('/api/auth/login', { username: $('#login-user').value, password: $('#login-pass').value });
      auth.set(r.token, r.user);
      $('#login-pass').value = '';
      dialog.close();
      showUser();
      onChange(r.user);
    } catch (err) {
      $('#login-error').textContent = err instanceof ApiError && err.status === 401 ? `登录失败：${err.message}` : err.message;
    }
  });
  $('#logout').addEventListener('click', async () => {
    try { await request('/api/auth/logout', { method: 'POST' }); } catch { /* the token is dropped anyway */ }
    auth.set(null, null);
    showUser();
    onChange(null);
  });
}

/** The user of a token kept from earlier in this browser tab (dropped when no longer valid). */
export async function restoreLogin() {
  if (auth.token) {
    try {
      const me = await getJSON('/api/auth/me');
      auth.user = me.user || me;
    } catch {
      auth.set(null, null);
    }
  }
  showUser();
}
