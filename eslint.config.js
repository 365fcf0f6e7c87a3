// ESLint flat config: typescript-eslint's recommended rules plus the house rules the code keeps.
// `npm run lint` runs it; `npm test` runs it between the type check and the tests. Formatting is
// Prettier's job (`npm run format`), not a lint rule.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Generated or build output (lib/ is `npm run build`), and what .gitignore keeps out of Git.
    ignores: [
      'node_modules/',
      'dist/',
      'lib/',
      'imports/',
      'schemas/',
      '**/*.d.ts',
      '.agent-canary/',
      'coverage/',
      '.tmp/',
      'bench/.out/',
      // The dashboard page as built by scripts/build-dashboard.mjs (minified bundle).
      'assets/',
      'test-artifacts/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Fleet files and manifests are indented YAML: a regex reads best with the spaces as written.
      'no-regex-spaces': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // `const { token: _drop, ...rest } = o` is how the code leaves a field out; handlers in a
      // table share one signature, so unused parameters are not flagged.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, args: 'none', varsIgnorePattern: '^_' },
      ],
      // One error model (src/errors/): errors are told apart by class or `kind`, never by name text.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "BinaryExpression[operator=/^[!=]==?$/][left.property.name='name'][right.value=/Error$/]",
          message:
            'match errors with instanceof or their `kind` (src/errors/kinds.ts), not by name',
        },
      ],
    },
  },
  {
    // Plain JavaScript entry points run on Node.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly' },
    },
  },
  {
    // Tests read deep into parsed manifests and API answers whose shape they then assert.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
