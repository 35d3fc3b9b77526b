// MSAL's redirect bridge: the identity platform sends the popup (or hidden frame) here;
// this hands the authorization response back to the pane that started the sign-in.
window.msalRedirectBridge.broadcastResponseToMainFrame().catch((error) => {
  document.body.textContent = `The sign-in could not finish: ${error.message}`;
});
