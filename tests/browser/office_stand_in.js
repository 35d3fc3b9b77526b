// A stand-in for Office.js, served in place of Microsoft's CDN script in browser tests:
// an Outlook host (a read-mode message) whose dialogs (displayDialogAsync) are real
// browser windows and whose messageParent reaches the pane that opened them. Tests that
// define window.Office themselves (init scripts) keep theirs.
(function () {
  if (window.Office) return;
  const EVENTS = { DialogMessageReceived: "dialogMessageReceived",
                   DialogEventReceived: "dialogEventReceived" };

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

  window.Office = {
    EventType: EVENTS,
    onReady: () => Promise.resolve({ host: window.opener ? null : "Outlook",
                                     platform: "OfficeOnline" }),
    context: {
      requirements: { isSetSupported: (name) => name === "Mailbox" },
      mailbox: {
        item: { subject: "Intro call with Initech" },
        userProfile: { timeZone: "UTC" },
      },
      ui: {
        displayDialogAsync,
        messageParent: (message) => {
          if (window.opener) window.opener.postMessage({ officeDialogMessage: message }, "*");
        },
      },
    },
  };
})();
