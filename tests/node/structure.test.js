// The layout of static/ the reviewers asked for: the status pages share code with the pane
// only through static/shared/, and `$` and the element builder are defined there once.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const STATIC = fileURLToPath(new URL("../../static/", import.meta.url));

function scripts(dir = STATIC) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "vendor" ? [] : scripts(path);
    return entry.name.endsWith(".js") ? [path] : [];
  });
}

const sources = scripts().map((path) => [relative(STATIC, path), readFileSync(path, "utf8")]);

test("the status pages import nothing from the pane", () => {
  const crossing = sources.filter(([name, text]) => name.startsWith("status/")
    && /from\s+["']\.\.\/pane\//.test(text)).map(([name]) => name);
  assert.deepEqual(crossing, []);
});

test("static/shared/ imports nothing from a page's own folder", () => {
  const crossing = sources.filter(([name, text]) => name.startsWith("shared/")
    && /from\s+["']\.\.\/(pane|status|connect)\//.test(text)).map(([name]) => name);
  assert.deepEqual(crossing, []);
});

test("$ is defined once, in static/shared/dom.js", () => {
  const defining = sources.filter(([, text]) => /(const|let|var|function)\s+\$\s*[=(]/.test(text))
    .map(([name]) => name);
  assert.deepEqual(defining, ["shared/dom.js"]);
});

test("one element builder, in static/shared/dom.js", () => {
  const builder = /function\s+\w+\s*\(\s*tag\b|const\s+\w+\s*=\s*\(\s*tag\b/;
  const defining = sources.filter(([, text]) => builder.test(text)).map(([name]) => name);
  assert.deepEqual(defining, ["shared/dom.js"]);
});

test("no failure is swallowed by an empty catch", () => {
  const empty = /\.catch\(\s*\(\s*\w*\s*\)\s*=>\s*\{\s*\}\s*\)/;
  const swallowing = sources.filter(([, text]) => empty.test(text)).map(([name]) => name);
  assert.deepEqual(swallowing, []);
});
