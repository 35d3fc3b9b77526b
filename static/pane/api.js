// The API client of the pane: where the bearer token comes from, and JSON calls.
// Token acquisition lives here only, so the Entra ID (Nested App Authentication) path can
// be added next to the sandbox sign-in without touching the rest of the pane.

const TOKEN_KEY = "addin.token";

export function currentToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function useToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

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
  const response = await fetch(path, {
    method,
    headers: {
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
      ...(currentToken() ? { Authorization: `Bearer ${currentToken()}` } : {}),
      ...(headers || {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
