// Type-aware lint as the field does it: typescript-eslint's strictTypeChecked and stylistic rules,
// and eslint-plugin-rxjs-x's recommended rules. Formatting is prettier's (npm run format:check).
import js from '@eslint/js';
import rxjsX from 'eslint-plugin-rxjs-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '.tmp/',
      'dist/',
      'docs/',
      'node_modules/',
      '**/.out/',
      '**/.angular/',
      'examples/angular/dist/',
      'examples/browser/bundle*.js',
      'bench/charts/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  { files: ['**/*.ts'], ...rxjsX.configs.recommended },
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { console: 'readonly', process: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use a const object and a same-name type instead of an enum.' },
      ],
      // Numbers and booleans in template literals are what error messages are made of.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(x) => list.push(x)` and `() => subscriber.complete()` are how RxJS callbacks are written;
      // a void returned from an arrow shorthand confuses nobody.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // It asks for `x!` where we write `x as T`, which no-non-null-assertion (kept on) forbids.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
    },
  },
  {
    // In tests a wrong guess fails the test at once; `list[0]!` there says "this exists by now".
    files: ['spec/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'examples/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
