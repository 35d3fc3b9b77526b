// The API client of the pane and the status pages: JSON calls with the bearer token
// auth.js provides (MSAL's silently renewed token, or the sandbox shortcut's product token).
import { accessToken } from "./auth.js";

/** @returns {Promise<{ token: string, name: string, provider: string, experience: string }[]>} */
export async function sandboxUsers() {
  const response = await fetch("/sandbox", { headers: { Accept: "application/json" } });
  if (!response.ok) return [];
  return (await response.json()).users || [];
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ error?: { message?: string, code?: string,
   *           fields?: Record<string, string> } } | null} body
   */
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `The server answered ${status}.`);
    /** @type {number} */
    this.status = status;
    /** @type {string | undefined} */
    this.code = error.code;
    /** @type {Record<string, string>} */
    this.fields = error.fields || {};
  }
}

// No token, or its renewal failed: the request is not sent (the API would only refuse
// it); the caller gets a 401 ApiError and shows its sign-in prompt or error state.
export const SIGNIN_REQUIRED = "signin_required";

/** @param {unknown} [cause] */
function signInRequired(cause) {
  const reason = cause instanceof Error && cause.message ? ` (${cause.message})` : "";
  const error = new ApiError(401, { error: { code: SIGNIN_REQUIRED, message: cause === undefined
    ? "Sign in first." : `Sign in again: your sign-in could not be renewed${reason}.` } });
  if (cause !== undefined) error.cause = cause;
  return error;
}

/**
 * One JSON request to the product's API with the person's bearer token.
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, headers?: Record<string, string> }} [options]
 * @returns {Promise<any>} the answer's JSON (null for 204): each endpoint has its shape
 */
export async function api(method, path, { body, headers } = {}) {
  let token;
  try {
    token = await accessToken();
  } catch (failure) {
    console.error("The access token could not be acquired:", failure);
    throw signInRequired(failure);
  }
  if (!token) throw signInRequired();
  const response = await fetch(path, {
    method,
    headers: {
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
      Authorization: `Bearer ${token}`,
      ...(headers || {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
