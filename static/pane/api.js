// The API client of the pane: JSON calls with the bearer token auth.js provides (MSAL's
// silently renewed token, or the sandbox shortcut's product token).
import { accessToken } from "./auth.js";

export async function sandboxUsers() {
  const response = await fetch("/sandbox", { headers: { Accept: "application/json" } });
  if (!response.ok) return [];
  return (await response.json()).users || [];
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `The server answered ${status}.`);
    this.status = status;
    this.code = error.code;
    this.fields = error.fields || {};
  }
}

export async function api(method, path, { body, headers } = {}) {
  let token = null;
  try { token = await accessToken(); } catch { token = null; }
  const response = await fetch(path, {
    method,
    headers: {
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(headers || {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
