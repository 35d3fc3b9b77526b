// The Name and Related To lookups: the ARIA combobox pattern (list autocomplete).
// Typing searches Salesforce; ArrowDown/ArrowUp move through the options
// (aria-activedescendant: focus stays in the input), Enter picks, Escape closes (a second
// Escape clears), leaving the field closes the list. Text typed but not picked is never
// dropped silently: resolve() picks the one record named exactly so, else the field says
// what to do and Create waits.
import { api } from "../shared/api.js";
import { clearFieldError, showFieldError } from "./field-errors.js";

const SEARCH_DELAY_MS = 250;

async function search(q, types) {
  const params = new URLSearchParams({ q, types });
  return api("GET", `/api/v1/records?${params}`);
}

export class Lookup {
  /** @param {HTMLElement} field the lookup's .lookup wrapper in the Create form */
  constructor(field) {
    this.field = field;
    this.input = /** @type {HTMLInputElement} */ (field.querySelector("input[role=combobox]"));
    /** the field's name in the request (whoId, whatId) and its hidden input's id */
    this.target = field.dataset.target || "";
    /** the picked record's id, sent with the form */
    this.hidden = /** @type {HTMLInputElement} */ (document.getElementById(this.target));
    this.list = /** @type {HTMLElement} */ (field.querySelector("[role=listbox]"));
    this.types = field.dataset.types || "";
    this.label = field.querySelector("label")?.textContent || "";
    this.records = [];
    this.active = -1;
    this.picked = null;  // {id, name, type} as picked or resolved
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.input.addEventListener("input", () => this.typed());
    this.input.addEventListener("keydown", (event) => this.key(event));
    this.input.addEventListener("blur", () => this.close());
    // mousedown would blur the input (and close the list) before the click lands
    this.list.addEventListener("mousedown", (event) => event.preventDefault());
  }

  get text() { return this.input.value.trim(); }

  typed() {
    this.hidden.value = "";
    this.picked = null;
    clearTimeout(this.timer);
    const q = this.text;
    if (q.length < 2) return this.close();
    this.timer = setTimeout(() => this.suggest(q), SEARCH_DELAY_MS);
  }

  async suggest(q) {
    try {
      const records = await search(q, this.types);
      if (q !== this.text) return;  // typed on meanwhile
      this.show(records);
      if (document.activeElement !== this.input) this.close();
    } catch (error) {
      showFieldError(this.target, `Salesforce could not be searched: ${error.message}`);
    }
  }

  show(records) {
    this.records = records;
    this.active = -1;
    this.list.replaceChildren(...records.map((record, index) => {
      const option = document.createElement("li");
      option.setAttribute("role", "option");
      option.id = `${this.list.id}-${index}`;
      option.setAttribute("aria-selected", "false");
      option.dataset.id = record.id;
      option.append(record.name);
      const type = document.createElement("span");
      type.className = "type";
      type.textContent = ` ${record.type}${record.account ? " · " + record.account : ""}`;
      option.append(type);
      option.addEventListener("click", () => this.choose(record));
      return option;
    }));
    this.open(records.length > 0);
  }

  open(visible) {
    this.list.hidden = !visible;
    this.input.setAttribute("aria-expanded", String(visible));
    if (!visible) this.input.removeAttribute("aria-activedescendant");
  }

  close() { this.open(false); this.highlight(-1); }

  highlight(index) {
    this.active = index;
    for (const [at, option] of [...this.list.children].entries()) {
      option.setAttribute("aria-selected", String(at === index));
      if (at === index) option.scrollIntoView({ block: "nearest" });
    }
    if (index >= 0) this.input.setAttribute("aria-activedescendant", this.list.children[index].id);
    else this.input.removeAttribute("aria-activedescendant");
  }

  key(event) {
    const count = this.records.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!count) return;
      event.preventDefault();
      if (this.list.hidden) this.open(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.highlight(this.active < 0 ? (step > 0 ? 0 : count - 1) : (this.active + step + count) % count);
    } else if (event.key === "Enter" && !this.list.hidden && this.active >= 0) {
      event.preventDefault();
      this.choose(this.records[this.active]);
    } else if (event.key === "Escape") {
      if (!this.list.hidden) { event.preventDefault(); this.close(); }
      else if (this.input.value) { event.preventDefault(); this.set(null); }
    }
  }

  choose(record) {
    this.set(record);
    this.close();
  }

  set(record) {
    this.picked = record;
    this.input.value = record ? record.name : "";
    this.hidden.value = record ? record.id : "";
    clearFieldError(this.target);
  }

  // Before Create: typed text without a pick becomes the one record of exactly that name;
  // otherwise the field says what to do. True when the field is empty or resolved.
  async resolve() {
    if (!this.text) { this.set(null); return true; }
    if (this.hidden.value) return true;
    const records = await search(this.text, this.types);
    const exact = records.filter((r) => r.name.toLowerCase() === this.text.toLowerCase());
    if (exact.length === 1) { this.set(exact[0]); return true; }
    const what = this.label;
    showFieldError(this.target, exact.length > 1
      ? `More than one record is called "${this.text}": pick one from the list.`
      : records.length ? `Pick a record from the list for ${what}, or clear the field.`
        : `Nothing in Salesforce matches "${this.text}": change it or clear ${what}.`);
    this.show(records);
    if (document.activeElement !== this.input) this.close();
    return false;
  }

  reset() { clearTimeout(this.timer); this.records = []; this.set(null); this.close(); }
}
