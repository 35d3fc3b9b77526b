// Inside an Office dialog, tell the pane how the connection ended.
const result = document.getElementById("status");
if (result && window.Office && Office.context && Office.context.ui
    && Office.context.ui.messageParent) {
  Office.context.ui.messageParent(JSON.stringify({
    service: result.dataset.service, ok: result.dataset.ok === "true" }));
}
