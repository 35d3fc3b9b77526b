// Signing in from the Outlook pane, in Microsoft's order of preference:
//   1. MSAL.js through createNestablePublicClientApplication: Nested App Authentication
//      where the Outlook host offers it; elsewhere (a browser, the sandbox) MSAL's own
//      popup flow, whose landing page is the redirect bridge (/outlook/auth-redirect);
//   2. Office SSO (Office.auth.getAccessToken) when MSAL cannot open its window;
//   3. MSAL's redirect flow inside an Office dialog (/outlook/auth-dialog).
// The access token is for this product's API (scope access_as_user); the backend reaches
// the person's calendar on their behalf. MSAL keeps its cache in localStorage and renews
// tokens silently (refresh token); a reload signs in without a prompt.

/** @type {AuthSettings | null} */
let loaded = null;

/**
 * The page's sign-in settings (its #auth-config), read when first needed.
 * @returns {AuthSettings}
 */
export function authSettings() {
  if (!loaded) loaded = JSON.parse(document.getElementById("auth-config")?.textContent || "{}");
  return /** @type {AuthSettings} */ (loaded);
}
const METHOD_KEY = "addin.signin";
const TOKEN_KEY = "addin.token";
const SIGNED_OUT = "signed-out";  // no single sign-on until the person signs in again
let application = null;

function msalApplication() {
  const settings = authSettings();
  if (!application) {
    application = window.msal.createNestablePublicClientApplication({
      auth: {
        clientId: settings.clientId,
        authority: settings.authority,
        knownAuthorities: settings.knownAuthorities,
        redirectUri: new URL("/outlook/auth-redirect", location.origin).href,
        postLogoutRedirectUri: null,
      },
      cache: { cacheLocation: "localStorage" },
    });
  }
  return application;
}

function request(extra = {}) {
  return { scopes: [authSettings().apiScope], ...extra };
}

function method() {
  return localStorage.getItem(METHOD_KEY) || (sessionStorage.getItem(TOKEN_KEY) ? "token" : null);
}

function remember(how, token) {
  localStorage.setItem(METHOD_KEY, how);
  if (how === "token" || how === "dialog") sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  return token;
}

async function msalSilent() {
  const app = await msalApplication();
  const account = app.getActiveAccount() || app.getAllAccounts()[0];
  // Under Nested App Authentication no account is needed: Outlook's user is signed in.
  const result = await app.acquireTokenSilent(request(account ? { account } : {}));
  app.setActiveAccount(result.account);
  return result.accessToken;
}

async function officeSso(prompts) {
  if (!(window.Office && Office.auth && typeof Office.auth.getAccessToken === "function")) {
    return null;
  }
  try {
    return await Office.auth.getAccessToken({
      allowSignInPrompt: prompts, allowConsentPrompt: prompts, forMSGraphAccess: true });
  } catch {
    return null;
  }
}

function dialogSignIn(consent) {
  const ui = window.Office && Office.context && Office.context.ui;
  if (!ui || typeof ui.displayDialogAsync !== "function") {
    return Promise.reject(new Error("This Outlook cannot open a sign-in window."));
  }
  const url = new URL("/outlook/auth-dialog", location.origin);
  if (consent) url.searchParams.set("consent", "1");
  return new Promise((resolve, reject) => {
    ui.displayDialogAsync(url.href, { height: 60, width: 30 }, (opened) => {
      if (opened.status !== "succeeded") {
        return reject(new Error("The sign-in window could not be opened."));
      }
      const dialog = opened.value;
      dialog.addEventHandler(Office.EventType.DialogMessageReceived, (arg) => {
        dialog.close();
        let message = {};
        try { message = JSON.parse(arg.message); } catch { /* reported below */ }
        if (message.accessToken) resolve(message.accessToken);
        else reject(new Error(message.error || "The sign-in did not finish."));
      });
      dialog.addEventHandler(Office.EventType.DialogEventReceived,
        () => reject(new Error("The sign-in window was closed.")));
    });
  });
}

// A token without any prompt: from how the person signed in last time, or, the first
// time, single sign-on with the account Outlook is signed in with (Nested App
// Authentication, else Office SSO). Null if a click is needed (or they signed out).
export async function restoreSession() {
  const how = method();
  try {
    if (how === "msal") return await msalSilent();
    if (how === "office") return await officeSso(false);
    if (how === "token" || how === "dialog") return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
  if (how === SIGNED_OUT) return null;
  try {
    return remember("msal", await msalSilent());
  } catch {
    const sso = await officeSso(false);
    return sso ? remember("office", sso) : null;
  }
}

// The pane's API calls ask here before each request: MSAL answers from its cache and
// renews an expiring token silently.
export async function accessToken() {
  const how = method();
  if (how === "msal") return msalSilent();
  if (how === "office") return officeSso(false);
  return sessionStorage.getItem(TOKEN_KEY);
}

// Sign in with a prompt (a click of the person): consent asks again for the permissions
// the backend needs on their behalf.
export async function signIn({ consent = false } = {}) {
  const extra = { extraScopesToConsent: authSettings().graphScopes };
  if (consent) extra.prompt = "consent";
  try {
    const app = await msalApplication();
    const result = await app.acquireTokenPopup(request(extra));
    app.setActiveAccount(result.account);
    return remember("msal", result.accessToken);
  } catch (error) {
    if (error && error.errorCode === "user_cancelled") {
      throw new Error("Sign-in cancelled.", { cause: error });
    }
    if (error && !["popup_window_error", "empty_window_error", "block_nested_popups",
      "timed_out"].includes(error.errorCode)) throw error;
  }
  const sso = consent ? null : await officeSso(true);
  if (sso) return remember("office", sso);
  return remember("dialog", await dialogSignIn(consent));
}

// The sandbox's shortcut: a product API token of a seeded user.
export function useProductToken(token) {
  remember("token", token);
}

export async function signOut() {
  const how = method();
  localStorage.setItem(METHOD_KEY, SIGNED_OUT);
  sessionStorage.removeItem(TOKEN_KEY);
  if (how !== "msal") return;
  const app = await msalApplication();
  const account = app.getActiveAccount();
  await app.clearCache(account ? { account } : undefined);
  app.setActiveAccount(null);
}
