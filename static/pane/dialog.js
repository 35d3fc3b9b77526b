// Sign-in inside an Office dialog (Outlook hosts without Nested App Authentication):
// MSAL's redirect flow with this page as its redirect URI, then the access token goes to
// the pane through Office.context.ui.messageParent.
import { authSettings } from "../shared/auth.js";

function tell(message) {
  Office.context.ui.messageParent(JSON.stringify(message));
}

async function run() {
  await Office.onReady();
  const settings = authSettings();
  const app = new msal.PublicClientApplication({
    auth: {
      clientId: settings.clientId,
      authority: settings.authority,
      knownAuthorities: settings.knownAuthorities,
      redirectUri: new URL("/outlook/auth-dialog", location.origin).href,
    },
    cache: { cacheLocation: "sessionStorage" },
  });
  await app.initialize();
  const result = await app.handleRedirectPromise();
  if (result) return tell({ accessToken: result.accessToken });
  const consent = new URLSearchParams(location.search).get("consent") === "1";
  await app.loginRedirect({
    scopes: [settings.apiScope], extraScopesToConsent: settings.graphScopes,
    ...(consent ? { prompt: "consent" } : {}),
  });
}

run().catch((error) => tell({ error: error.message || String(error) }));
