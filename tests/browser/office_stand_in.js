// A stand-in for Office.js, served in place of Microsoft's CDN script in browser tests:
// an Outlook host (a read-mode message) whose dialogs (displayDialogAsync) are real
// browser windows and whose messageParent reaches the pane that opened them. Tests that
// define window.Office themselves (init scripts) keep theirs.
//
// A test describes the mailbox with window.__officeStandIn (an init script), all optional:
//   { timeZone: "W. Europe Standard Time",   // userProfile.timeZone (Windows name)
//     email, displayName,                     // userProfile
//     item: { subject, from, to, cc },        // people as {displayName, emailAddress}
//     compose: true,                          // item properties answer through getAsync
//     theme: { bodyBackgroundColor, ... } }   // Office.context.officeTheme
(function () {
  if (window.Office) return;
  const config = window.__officeStandIn || {};
  const later = (value) => ({ getAsync: (callback) => setTimeout(
    () => callback({ status: "succeeded", value }), 5) });
  const item = { subject: "Intro call with Initech", ...(config.item || {}) };
  if (config.compose) for (const key of Object.keys(item)) item[key] = later(item[key]);
  const LIGHT = { bodyBackgroundColor: "#ffffff", bodyForegroundColor: "#242424",
                  controlBackgroundColor: "#ffffff", controlForegroundColor: "#242424" };
  const EVENTS = { DialogMessageReceived: "dialogMessageReceived",
                   DialogEventReceived: "dialogEventReceived",
                   OfficeThemeChanged: "officeThemeChanged" };

  function displayDialogAsync(url, options, callback) {
    const win = window.open(url, "_blank", "popup,width=420,height=640");
    if (!win) return callback({ status: "failed", error: { code: 12009 } });
    const handlers = {};
    const onMessage = (event) => {
      if (event.source === win && event.data && "officeDialogMessage" in event.data) {
        const handler = handlers[EVENTS.DialogMessageReceived];
        if (handler) handler({ message: event.data.officeDialogMessage, origin: event.origin });
      }
    };
    window.addEventListener("message", onMessage);
    const watch = setInterval(() => {
      if (!win.closed) return;
      stop();
      const handler = handlers[EVENTS.DialogEventReceived];
      if (handler) handler({ error: 12006 });  // the person closed the dialog
    }, 100);
    function stop() {
      clearInterval(watch);
      window.removeEventListener("message", onMessage);
    }
    callback({ status: "succeeded", value: {
      addEventHandler: (kind, handler) => { handlers[kind] = handler; },
      close: () => { stop(); win.close(); },
    } });
  }

  // Nested App Authentication: when a test gives the "host's" tokens (window.__standInNaa
  // = {accessToken, idToken, account}), the host answers MSAL's bridge requests with them,
  // as Outlook's broker does for the account Outlook is signed in with.
  const naa = window.__standInNaa;
  if (naa) {
    const listeners = [];
    window.__naaRequests = [];
    window.nestedAppAuthBridge = {
      addEventListener: (type, listener) => listeners.push(listener),
      removeEventListener: (type, listener) => {
        const at = listeners.indexOf(listener);
        if (at >= 0) listeners.splice(at, 1);
      },
      postMessage: (text) => {
        const request = JSON.parse(text);
        window.__naaRequests.push(request.method);
        const reply = { messageType: "NestedAppAuthResponse", requestId: request.requestId,
                        success: true };
        if (request.method === "GetInitContext") {
          reply.initContext = { sdkName: "office-stand-in", sdkVersion: "1.0.0",
                                capabilities: { queryAccount: false } };
        } else if (request.method === "GetToken" || request.method === "GetTokenPopup") {
          reply.token = { access_token: naa.accessToken, id_token: naa.idToken,
                          expires_in: 3600, properties: null,
                          scope: request.tokenParams.scope };
          reply.account = naa.account;
        } else {
          reply.success = false;
          reply.error = { status: "NESTED_APP_AUTH_UNAVAILABLE", code: request.method };
        }
        setTimeout(() => listeners.forEach((listener) => listener(JSON.stringify(reply))), 0);
      },
    };
  }

  // Office's theme changing under the pane: window.__standInSetTheme(theme)
  const themeHandlers = [];
  window.__standInSetTheme = (theme) => {
    window.Office.context.officeTheme = theme;
    themeHandlers.forEach((handler) => handler({ type: EVENTS.OfficeThemeChanged, officeTheme: theme }));
  };
  // [item view] a test may give the open item (window.__standInItem: itemType, itemId,
  // subject, from/to/cc or organizer/requiredAttendees) and the mailbox's profile
  // (window.__standInProfile); convertToRestId maps an EWS id to its REST form as Outlook
  // does ('/' -> '-', '+' -> '_').
  // (__officeStandIn above is the other way to describe the item and the profile.)
  const standInItem = window.__standInItem || item;
  const standInProfile = window.__standInProfile || {
    timeZone: config.timeZone || "UTC", emailAddress: config.email || null,
    displayName: config.displayName || null };
  const convertToRestId = (itemId) => String(itemId).replace(/\//g, "-").replace(/\+/g, "_");
  const MailboxEnums = { ItemType: { Message: "message", Appointment: "appointment" },
                         RestVersion: { v1_0: "v1.0", v2_0: "v2.0", Beta: "beta" } };

  window.Office = {
    EventType: EVENTS,
    MailboxEnums,
    onReady: () => Promise.resolve({ host: window.opener ? null : "Outlook",
                                     platform: "OfficeOnline" }),
    context: {
      requirements: { isSetSupported: (name) => name === "Mailbox" ||
                                                 (name === "NestedAppAuth" && !!naa) },
      mailbox: {
        item: standInItem,
        userProfile: standInProfile,
        convertToRestId,
        addHandlerAsync: (type, handler, callback) => {
          if (type === EVENTS.OfficeThemeChanged) themeHandlers.push(handler);
          if (callback) callback({ status: "succeeded" });
        },
      },
      officeTheme: config.theme || LIGHT,
      ui: {
        displayDialogAsync,
        messageParent: (message) => {
          if (window.opener) window.opener.postMessage({ officeDialogMessage: message }, "*");
        },
      },
    },
  };
})();
