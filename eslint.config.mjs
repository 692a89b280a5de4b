// Lint exists here mainly to enforce the dependency arrows between projects
// (see DESIGN.md §10 and STYLE.md item 2): libs depend downward only, and each
// layer is banned from the external packages that belong to other layers.
import nx from "@nx/eslint-plugin";
import tseslint from "typescript-eslint";

const tfjs = ["@tensorflow/*"];
const sockets = ["ws", "msgpackr", "bufferutil"];

export default [
  { ignores: ["**/node_modules/**", "**/dist/**", "runs/**", ".nx/**", "**/*.mjs", "apps/coordinator/public/**"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { "@nx": nx },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "@nx/enforce-module-boundaries": [
        "error",
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: "type:app", onlyDependOnLibsWithTags: ["type:lib"] },
            { sourceTag: "type:lib", onlyDependOnLibsWithTags: ["type:lib"] },
            // Pure algorithms: no tfjs, no sockets, no metrics library, no other project.
            { sourceTag: "layer:algorithm", onlyDependOnLibsWithTags: ["layer:algorithm"], bannedExternalImports: [...tfjs, ...sockets, "prom-client"] },
            // The wire layer knows algorithms (the WebSocket PeerLink) but never tfjs.
            { sourceTag: "layer:wire", onlyDependOnLibsWithTags: ["layer:algorithm", "layer:wire"], bannedExternalImports: [...tfjs, "prom-client"] },
            // Data and checkpoints are files and numbers: no tfjs, no sockets.
            { sourceTag: "layer:data", onlyDependOnLibsWithTags: ["layer:algorithm", "layer:data"], bannedExternalImports: [...tfjs, ...sockets, "prom-client"] },
            // The model is tfjs math: no sockets, no metrics.
            { sourceTag: "layer:model", onlyDependOnLibsWithTags: ["layer:algorithm", "layer:model"], bannedExternalImports: [...sockets, "prom-client"] },
            { sourceTag: "layer:training", onlyDependOnLibsWithTags: ["layer:algorithm", "layer:data", "layer:model", "layer:training"], bannedExternalImports: [...sockets, "prom-client"] },
            // Command-line plumbing shared by the apps: flags, exit codes, the run-config flags.
            { sourceTag: "layer:cli", onlyDependOnLibsWithTags: ["layer:algorithm", "layer:data", "layer:model", "layer:training", "layer:cli"], bannedExternalImports: [...sockets, "prom-client"] },
            { sourceTag: "layer:obs", onlyDependOnLibsWithTags: ["layer:algorithm", "layer:obs"], bannedExternalImports: [...tfjs, ...sockets] },
          ],
        },
      ],
    },
  },
];
