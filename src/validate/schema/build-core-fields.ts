/**
 * Generates `schemas/k8s-core-fields.json`: for every Kubernetes type in `kubernetes-models`, the
 * fields it declares and their types. Run after upgrading kubernetes-models:
 *
 *   npx tsx src/validate/schema/build-core-fields.ts
 *
 * Why: kubernetes-models' validators come from the real OpenAPI definitions but accept unknown
 * fields; kubectl (and this validator) reject them. The package's type definitions list every
 * field of every type, so they give the "known fields" tree without hand-writing anything.
 * Output format: `{ roots: { "<apiVersion>/<Kind>": typeName }, types: { typeName: Desc } }` with
 * Desc = 0 (leaf: no field check) | "TypeName" | ["a", Desc] (array) | ["m", Desc] (map) |
 * { "p": { field: Desc } } (object with known fields).
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { createRequire } from 'node:module';
import ts from 'typescript';

type Desc = 0 | string | ['a' | 'm', Desc] | { p: Record<string, Desc> };

const require = createRequire(import.meta.url);
const roots = [
  dirname(require.resolve('kubernetes-models/package.json')),
  join(
    dirname(require.resolve('kubernetes-models/package.json')),
    '..',
    '@kubernetes-models',
    'apimachinery',
  ),
];

const types: Record<string, Desc> = {};
const rootKinds: Record<string, string> = {};

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('_')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.d.ts') && e.name !== 'index.d.ts') out.push(p);
  }
}

for (const root of roots) {
  const files: string[] = [];
  walk(root, files);
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
    // Local names -> the package-wide names other files import (IDeployment -> IIoK8sApiAppsV1Deployment).
    const global = new Map<string, string>();
    for (const st of sf.statements) {
      if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements)
          if (el.propertyName) global.set(el.propertyName.text, el.name.text);
      }
    }
    const name = (local: string) => global.get(local) ?? local;
    const desc = (t: ts.TypeNode | undefined): Desc => {
      if (!t) return 0;
      if (ts.isArrayTypeNode(t)) return ['a', desc(t.elementType)];
      if (ts.isTypeReferenceNode(t)) {
        const n = t.typeName.getText(sf);
        if (n === 'Array' && t.typeArguments?.length === 1) return ['a', desc(t.typeArguments[0])];
        return /^I/.test(n) ? name(n) : 0;
      }
      if (ts.isTypeLiteralNode(t)) {
        const index = t.members.find(ts.isIndexSignatureDeclaration);
        if (index && t.members.length === 1) return ['m', desc(index.type)];
        return 0;
      }
      if (ts.isParenthesizedTypeNode(t)) return desc(t.type);
      return 0;
    };
    for (const st of sf.statements) {
      if (ts.isInterfaceDeclaration(st)) {
        const p: Record<string, Desc> = {};
        if (
          st.heritageClauses?.some((h) =>
            h.types.some((x) => x.expression.getText(sf) === 'TypeMeta'),
          )
        ) {
          p.apiVersion = 0;
          p.kind = 0;
        }
        for (const m of st.members) {
          if (ts.isPropertySignature(m) && m.name) {
            const key =
              ts.isStringLiteral(m.name) || ts.isIdentifier(m.name)
                ? m.name.text
                : m.name.getText(sf);
            p[key] = desc(m.type);
          }
        }
        // An interface without fields (RawExtension, FieldsV1, JSON) holds free-form data.
        types[name(st.name.text)] = Object.keys(p).length ? { p } : 0;
        // Top-level kinds: `"apiVersion": "apps/v1"; "kind": "Deployment"` literal members.
        const lit = (k: string) => {
          const m = st.members.find(
            (x) => ts.isPropertySignature(x) && x.name && (x.name as ts.StringLiteral).text === k,
          ) as ts.PropertySignature | undefined;
          return m?.type && ts.isLiteralTypeNode(m.type) && ts.isStringLiteral(m.type.literal)
            ? m.type.literal.text
            : undefined;
        };
        const av = lit('apiVersion');
        const kd = lit('kind');
        if (av && kd) rootKinds[`${av}/${kd}`] = name(st.name.text);
      } else if (ts.isTypeAliasDeclaration(st)) {
        const n = name(st.name.text);
        if (!types[n]) types[n] = desc(st.type);
      }
    }
    void relative;
  }
}

const out = join(
  dirname(new URL(import.meta.url).pathname),
  '..',
  '..',
  '..',
  'schemas',
  'k8s-core-fields.json',
);
mkdirSync(dirname(out), { recursive: true });
const version = (require('kubernetes-models/package.json') as { version: string }).version;
writeFileSync(
  out,
  JSON.stringify({ source: `kubernetes-models@${version}`, roots: rootKinds, types }) + '\n',
);
console.log(
  `wrote ${out}: ${Object.keys(rootKinds).length} kinds, ${Object.keys(types).length} types`,
);
