// Small DOM helpers shared by the pane's modules.
export const $ = (id) => document.getElementById(id);

export function setStatus(text) { $("status").textContent = text || ""; }

// A developer's remark in parentheses ("(ServiceUnavailable: Service unavailable)") is not
// for the person reading the pane.
export function plain(text) {
  return String(text || "").replace(/\s*\((?:[A-Z][A-Za-z]+(?:Error|Exception|Unavailable)?|[A-Za-z]+Error):[^)]*\)/g, "").trim();
}
