// Inside an Office dialog, tell the pane how the connection ended.
const status = document.getElementById("status");
if (window.Office && Office.context && Office.context.ui && Office.context.ui.messageParent) {
  Office.context.ui.messageParent(JSON.stringify({
    service: status.dataset.service, ok: status.dataset.ok === "true" }));
}
