// The pane's reads from Outlook and its API client, with Office.js, the page's storage and
// fetch replaced by stand-ins: each item property is read once; a failed or missing token
// never becomes a request.
import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { ApiError, api, SIGNIN_REQUIRED } from "../../static/shared/api.js";
import { address, itemPeople, itemProperty } from "../../static/pane/office.js";

class MemoryStorage {
  constructor() { this.items = new Map(); }
  getItem(key) { return this.items.has(key) ? this.items.get(key) : null; }
  setItem(key, value) { this.items.set(key, String(value)); }
  removeItem(key) { this.items.delete(key); }
}

describe("reading the open item", () => {
  function composeItem(values) {
    const reads = {};
    const item = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, {
      getAsync(callback) {
        reads[key] = (reads[key] || 0) + 1;
        setTimeout(() => callback({ status: "succeeded", value }), 1);
      } }]));
    return { item, reads };
  }

  test("each property is asked of Outlook once, however often it is read", async () => {
    const { item, reads } = composeItem({
      subject: "Kick-off", from: { emailAddress: "ava@acme.example" }, organizer: null,
      to: [{ emailAddress: "emma@initech.example" }], cc: [], requiredAttendees: [],
      optionalAttendees: [{ address: "bob@initech.example" }] });
    const [first, second] = await Promise.all([itemPeople(item), itemPeople(item)]);
    assert.equal(await itemProperty(item, "subject"), "Kick-off");
    assert.equal(await itemProperty(item, "subject"), "Kick-off");
    assert.deepEqual(first, { senders: ["ava@acme.example"],
                              recipients: ["emma@initech.example", "bob@initech.example"] });
    assert.deepEqual(second, first);
    assert.deepEqual(reads, { subject: 1, from: 1, organizer: 1, to: 1, cc: 1,
                              requiredAttendees: 1, optionalAttendees: 1 });
  });

  test("read mode gives the values themselves; a failed read is null", async () => {
    const failing = { subject: { getAsync: (callback) => callback({ status: "failed" }) },
                      organizer: { emailAddress: "olivia@acme.example" } };
    assert.equal(await itemProperty(failing, "subject"), null);
    assert.deepEqual(await itemPeople(failing),
                     { senders: ["olivia@acme.example"], recipients: [] });
    assert.equal(await itemProperty(null, "subject"), null);
    assert.equal(address(null), null);
  });
});

describe("the API client and the token", () => {
  let requests;
  beforeEach(() => {
    requests = [];
    globalThis.localStorage = new MemoryStorage();
    globalThis.sessionStorage = new MemoryStorage();
    globalThis.window = {};
    globalThis.location = new URL("https://addin.example/outlook/pane");
    globalThis.document = { getElementById: () => ({ textContent: JSON.stringify({
      clientId: "client", authority: "https://login.example/tenant", knownAuthorities: [],
      apiScope: "api://client/access_as_user", graphScopes: [] }) }) };
    globalThis.fetch = async (path, options) => {
      requests.push({ path, headers: options.headers });
      return new Response(JSON.stringify({ ok: true }), { status: 200 });
    };
  });

  test("with a token, the request carries it", async () => {
    sessionStorage.setItem("addin.token", "product-token");
    assert.deepEqual(await api("GET", "/api/v1/me"), { ok: true });
    assert.equal(requests.length, 1);
    assert.equal(requests[0].headers.Authorization, "Bearer product-token");
  });

  test("without a token, no request: a 401 for the sign-in prompt", async () => {
    await assert.rejects(api("GET", "/api/v1/me"), (error) => error instanceof ApiError
      && error.status === 401 && error.code === SIGNIN_REQUIRED);
    assert.deepEqual(requests, []);
  });

  test("a failed renewal is an error, never an anonymous request", async (t) => {
    t.mock.method(console, "error", () => {});
    localStorage.setItem("addin.signin", "msal");
    globalThis.window.msal = { createNestablePublicClientApplication: async () => {
      throw new Error("interaction_required"); } };
    await assert.rejects(api("POST", "/api/v1/events", { body: { subject: "x" } }),
      (error) => error instanceof ApiError && error.status === 401
        && error.code === SIGNIN_REQUIRED && /interaction_required/.test(error.message)
        && error.cause instanceof Error);
    assert.deepEqual(requests, []);
  });

  test("Office single sign-on that gives nothing sends nothing", async () => {
    localStorage.setItem("addin.signin", "office");
    await assert.rejects(api("GET", "/api/v1/me"), (error) => error.status === 401);
    assert.deepEqual(requests, []);
  });
});
