// ESLint (flat config) for the browser code in static/ (vendor excluded) and the Node tests
// beside this file. Run from the repository's root:
//   tests/node/node_modules/.bin/eslint -c tests/node/eslint.config.js static tests/node
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/vendor/**", "tests/node/node_modules/**"] },
  js.configs.recommended,
  {
    files: ["static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, Office: "readonly", msal: "readonly" },
    },
  },
  {
    files: ["static/connect/*.js", "static/pane/commands.js", "static/pane/redirect.js"],
    languageOptions: { sourceType: "script" },  // classic <script>s, not modules
  },
  {
    files: ["tests/node/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
