// Connecting an account from the pane: the OAuth flow opens in an Office dialog (or a
// browser window outside Outlook); the dialog's last page tells the pane how it ended.
import { api } from "../shared/api.js";

export async function connect(service) {
  const { url } = await api("POST", `/api/v1/connections/${service}/ticket`);
  const ui = window.Office && Office.context && Office.context.ui;
  if (ui && typeof ui.displayDialogAsync === "function") {
    return new Promise((resolve) => {
      ui.displayDialogAsync(url, { height: 60, width: 30 }, (result) => {
        if (result.status !== "succeeded") return resolve(false);
        const dialog = result.value;
        dialog.addEventHandler(Office.EventType.DialogMessageReceived, (arg) => {
          dialog.close();
          try { resolve(JSON.parse(arg.message).ok === true); } catch { resolve(false); }
        });
        dialog.addEventHandler(Office.EventType.DialogEventReceived, () => resolve(false));
      });
    });
  }
  window.open(url, "_blank", "noopener");
  return false;
}
