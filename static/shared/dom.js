// Small DOM helpers shared by the pane and the status pages: the only `$` and the only
// element builder.

/**
 * The element of that id (every id the scripts ask for is in their page).
 * @param {string} id
 * @returns {any} the page's element; its kind (input, select...) is the page's to know
 */
export const $ = (id) => document.getElementById(id);

/** @typedef {string | number | boolean | null | undefined} AttributeValue */

/**
 * A new element: ``attributes`` are set as HTML attributes ("text" is its text; true gives
 * an empty attribute, false, null and undefined none); null and undefined children are
 * left out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttributeValue>} [attributes]
 * @param {...(Node | string | null | undefined)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = String(value ?? "");
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) {
      node.setAttribute(name, String(value));
    }
  }
  node.append(.../** @type {(Node | string)[]} */ (children.filter(
    (child) => child !== null && child !== undefined)));
  return node;
}

/** @param {string | null | undefined} text */
export function setStatus(text) { $("status").textContent = text || ""; }

/**
 * A developer's remark in parentheses ("(ServiceUnavailable: Service unavailable)") is not
 * for the person reading the pane.
 * @param {unknown} text
 * @returns {string}
 */
export function plain(text) {
  return String(text || "").replace(/\s*\((?:[A-Z][A-Za-z]+(?:Error|Exception|Unavailable)?|[A-Za-z]+Error):[^)]*\)/g, "").trim();
}
