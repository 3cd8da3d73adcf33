// Lint runs as part of `npm test`; type-aware rules stay off so it is fast.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "build/**", "node_modules/**", "test/fixtures/**", "**/*.c"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
      "no-bitwise": "off",
    },
  },
  {
    // The skip policy (test/util/environment.ts): a test skips only through
    // skipFor (a listed environment fact) or missingOracle/requireOracle.
    files: ["test/**/*.ts"],
    ignores: ["test/util/environment.ts"],
    rules: {
      "no-restricted-syntax": ["error",
        { selector: "CallExpression[callee.property.name=/^(skip|todo)$/]", message: "Skip through skipFor/missingOracle/requireOracle of test/util/environment.ts." },
        { selector: "CallExpression[callee.name=/^(test|it|describe|suite)$/] > ObjectExpression > Property[key.name=/^(skip|todo)$/]", message: "Skip inside the test through skipFor/requireOracle of test/util/environment.ts, not with a { skip } option." },
      ],
    },
  },
);
