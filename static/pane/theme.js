// The pane's look: Fluent UI web components (served from static/vendor, built by
// .ci/setup from frontend/package-lock.json) with Fluent's light or dark theme, following
// Office's theme (Office.context.officeTheme). The pane renders before any of this arrives.
import { officeTheme } from "./office.js";

const VENDOR = "/static/vendor";

function luminance(hex) {
  const match = /^#?([0-9a-f]{6})$/i.exec(String(hex || "").trim());
  if (!match) return null;
  const [r, g, b] = [0, 2, 4].map((at) => parseInt(match[1].slice(at, at + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// "dark" or "light" from Office's theme; outside Office, the system's preference.
export function themeName(theme) {
  if (theme && typeof theme.isDarkTheme === "boolean") return theme.isDarkTheme ? "dark" : "light";
  const light = luminance(theme && theme.bodyBackgroundColor);
  if (light !== null) return light < 0.5 ? "dark" : "light";
  const dark = typeof window.matchMedia === "function"
    && matchMedia("(prefers-color-scheme: dark)").matches;
  return dark ? "dark" : "light";
}

async function fluent() {
  try {
    const [components, themes] = await Promise.all([
      import(`${VENDOR}/fluent-web-components.min.js`), import(`${VENDOR}/fluent-themes.js`)]);
    // the bundle defines every element and publishes setTheme on globalThis.Fluent
    const setTheme = components.setTheme || (globalThis.Fluent && globalThis.Fluent.setTheme);
    return setTheme ? { setTheme, themes } : null;
  } catch {
    return null;  // the pane keeps its own styles (shared/styles.css) without Fluent's
  }
}

let library = null;

async function show(theme) {
  const name = themeName(theme);
  document.documentElement.dataset.theme = name;
  const loaded = await library;
  if (loaded) loaded.setTheme(name === "dark" ? loaded.themes.webDarkTheme : loaded.themes.webLightTheme);
  return name;
}

// Office's theme now, and again whenever the person changes it (OfficeThemeChanged,
// Mailbox 1.14).
export async function applyTheme() {
  library = fluent();
  const name = await show(await officeTheme());
  const mailbox = window.Office && Office.context && Office.context.mailbox;
  const changed = window.Office && Office.EventType && Office.EventType.OfficeThemeChanged;
  if (mailbox && changed && typeof mailbox.addHandlerAsync === "function") {
    mailbox.addHandlerAsync(changed, (event) => show((event && event.officeTheme) || Office.context.officeTheme));
  }
  return name;
}
