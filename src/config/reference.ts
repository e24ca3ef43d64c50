// Documents generated from the schema table: the markdown reference
// (docs/configuration.md) and the commented YAML file written by
// `hikyaku init`. Nothing here knows a setting by name.
import { stringify } from 'yaml';
import { entries, sections, type SchemaEntry, type SchemaSection, type Text } from './schema-table.js';
import type { Config } from './types.js';

type Lang = 'en' | 'ja';

const INTRO: Text = {
  en: `# Configuration reference

Hikyaku reads one YAML file (\`hikyaku start --config FILE\`); \`hikyaku init\` writes a commented example.
Every key is optional unless marked required; an unknown key is an error, as is any invalid value:
all problems are reported at once, and nothing falls back silently.

- **Keys** are the field names of \`Config\` in \`src/config/types.ts\`, nested the same way, except that
  duration fields drop their \`Ms\` suffix (\`delivery.connectTimeoutMs\` is written \`delivery.connectTimeout: 30s\`)
  and \`limits.maxMessageBytes\` is written \`limits.maxMessageSize: 35MiB\`.
- **Durations**: \`500ms\`, \`30s\`, \`5m\`, \`1h\`, \`5d\`, combinations such as \`1h30m\`, or a number of milliseconds.
- **Sizes**: a number of bytes, or a number with a unit: \`kB\`/\`k\`, \`MB\`/\`M\`, \`GB\`/\`G\` are powers of 1000;
  \`KiB\`, \`MiB\`, \`GiB\` are powers of 1024 (\`35MB\` = 35 000 000 bytes, \`35MiB\` = 36 700 160 bytes).
- **Paths**: relative paths are relative to the directory of the configuration file.
- **Secrets**: prefer \`delivery.smarthost.passwordFile\` to writing a password in this file.

This file is generated from \`src/config/schema-table.ts\` by \`node --import tsx src/config/write-reference.ts\`; do not edit it by hand.
`,
  ja: `# 設定リファレンス

Hikyaku は YAML ファイルを 1 つ読み込みます (\`hikyaku start --config FILE\`)。\`hikyaku init\` はコメント付きの設定例を書き出します。
必須と書かれたもの以外、キーはすべて省略できます。未知のキーや不正な値はエラーです。問題はまとめて報告され、
黙って既定値に置き換えることはありません。

- **キー** は \`src/config/types.ts\` の \`Config\` のフィールド名と同じ入れ子構造です。ただし時間のフィールドは末尾の \`Ms\` を
  省き (\`delivery.connectTimeoutMs\` は \`delivery.connectTimeout: 30s\`)、\`limits.maxMessageBytes\` は \`limits.maxMessageSize: 35MiB\` と書きます。
- **時間**: \`500ms\`、\`30s\`、\`5m\`、\`1h\`、\`5d\`、\`1h30m\` のような組み合わせ、またはミリ秒の数値。
- **サイズ**: バイト数、または単位付きの数値。\`kB\`/\`k\`、\`MB\`/\`M\`、\`GB\`/\`G\` は 1000 の累乗、\`KiB\`、\`MiB\`、\`GiB\` は 1024 の累乗
  (\`35MB\` = 35,000,000 バイト、\`35MiB\` = 36,700,160 バイト)。
- **パス**: 相対パスは設定ファイルのあるディレクトリからの相対です。
- **秘密情報**: パスワードはこのファイルに書かず、\`delivery.smarthost.passwordFile\` を使うことを推奨します。

このファイルは \`src/config/schema-table.ts\` から \`node --import tsx src/config/write-reference.ts\` で生成しています。手で編集しないでください。
`,
};

const HEAD: Record<Lang, { general: string; columns: string; required: string; unset: string; field: string }> = {
  en: { general: 'General', columns: '| Key | Type | Default | Description |', required: '(required)', unset: '(unset)', field: 'Field' },
  ja: { general: '全般', columns: '| キー | 型 | 既定値 | 説明 |', required: '(必須)', unset: '(未設定)', field: 'フィールド' },
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function inlineYaml(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => inlineYaml(v)).join(', ')}]`;
  return String(value);
}

function defaultCell(entry: SchemaEntry, lang: Lang): string {
  if (entry.dynamicDefault) return entry.dynamicDefault.text[lang];
  if (entry.required) return HEAD[lang].required;
  if (entry.default === undefined) return HEAD[lang].unset;
  return `\`${inlineYaml(entry.default)}\``;
}

function row(entry: SchemaEntry, lang: Lang): string {
  let description = entry.description[lang];
  if (entry.target !== entry.key) description += ` (${HEAD[lang].field}: \`${entry.target}\`)`;
  return `| \`${entry.key}\` | ${cell(entry.kind.type[lang])} | ${cell(defaultCell(entry, lang))} | ${cell(description)} |`;
}

/** The reference as markdown: one table per top-level section. */
export function configReference(lang: Lang = 'en'): string {
  const out: string[] = [INTRO[lang]];
  const topLevel = entries.filter((e) => !e.key.includes('.'));
  out.push(`## ${HEAD[lang].general}`, '', HEAD[lang].columns, '|---|---|---|---|', ...topLevel.map((e) => row(e, lang)), '');
  for (const section of sections.filter((s) => !s.key.includes('.'))) {
    out.push(`## \`${section.key}\``, '', section.description[lang], '');
    const subsections = sections.filter((s) => s.key.startsWith(`${section.key}.`));
    const notes = subsections.map((s) => `- \`${s.key}\`${s.optional ? (lang === 'en' ? ' (optional section)' : ' (省略可能なセクション)') : ''}: ${s.description[lang]}`);
    if (notes.length > 0) out.push(...notes, '');
    out.push(HEAD[lang].columns, '|---|---|---|---|');
    out.push(...entries.filter((e) => e.key.startsWith(`${section.key}.`)).map((e) => row(e, lang)), '');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// The YAML file.

interface Node {
  readonly name: string;
  readonly section: SchemaSection | undefined;
  readonly children: Array<Node | SchemaEntry>;
}

/** The schema as a tree, in table order, so that the file reads like the reference. */
function tree(): Node {
  const root: Node = { name: '', section: undefined, children: [] };
  const nodes = new Map<string, Node>([['', root]]);
  const nodeFor = (key: string): Node => {
    const existing = nodes.get(key);
    if (existing) return existing;
    const dot = key.lastIndexOf('.');
    const parent = nodeFor(dot < 0 ? '' : key.slice(0, dot));
    const node: Node = { name: key.slice(dot + 1), section: sections.find((s) => s.key === key), children: [] };
    parent.children.push(node);
    nodes.set(key, node);
    return node;
  };
  for (const entry of entries) {
    const dot = entry.key.lastIndexOf('.');
    nodeFor(dot < 0 ? '' : entry.key.slice(0, dot)).children.push(entry);
  }
  return root;
}

function getPath(config: unknown, path: string): unknown {
  let node = config;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function comment(text: Text, indent: string): string[] {
  return [`${indent}# ${text.en}`, `${indent}# ${text.ja}`];
}

function yamlLines(name: string, value: unknown): string[] {
  return stringify({ [name]: value }, { lineWidth: 0 }).trimEnd().split('\n');
}

type Shown = { readonly value: unknown; readonly commented: boolean } | undefined;

/** What to write for one entry: its value, a commented-out example, or nothing. */
function shownValue(entry: SchemaEntry, config: Config | undefined, firstForTarget: boolean): Shown {
  if (config === undefined) {
    if (entry.dynamicDefault) return entry.example === undefined ? undefined : { value: entry.example, commented: true };
    if (entry.default !== undefined) return { value: entry.default, commented: false };
    return entry.example === undefined ? undefined : { value: entry.example, commented: true };
  }
  // Several keys can fill one field (password / passwordFile): write the field once.
  if (!firstForTarget) return undefined;
  const value = getPath(config, entry.target);
  const alwaysSet = entry.default !== undefined || entry.dynamicDefault !== undefined || entry.required === true;
  if (value === undefined && !alwaysSet) return entry.example === undefined ? undefined : { value: entry.example, commented: true };
  return { value: entry.kind.format(value), commented: false };
}

function render(config: Config | undefined): string {
  const seenTargets = new Set<string>();
  const lines: string[] = [];
  const visit = (node: Node, path: string, indent: string, commentedOut: boolean): void => {
    for (const child of node.children) {
      lines.push('');
      if ('kind' in child) {
        const first = !seenTargets.has(child.target);
        seenTargets.add(child.target);
        const shown = shownValue(child, config, first);
        if (shown === undefined) {
          lines.pop();
          continue;
        }
        lines.push(...comment(child.description, indent));
        const prefix = commentedOut || shown.commented ? '# ' : '';
        lines.push(...yamlLines(child.key.slice(child.key.lastIndexOf('.') + 1), shown.value).map((l) => `${indent}${prefix}${l}`));
      } else {
        const key = path === '' ? child.name : `${path}.${child.name}`;
        // An optional section that is not configured is shown commented out, as an example.
        const absent = child.section?.optional === true && (config === undefined || getPath(config, key) === undefined);
        if (child.section) lines.push(...comment(child.section.description, indent));
        lines.push(`${indent}${commentedOut || absent ? '# ' : ''}${child.name}:`);
        visit(child, key, `${indent}  `, commentedOut || absent);
      }
    }
  };
  visit(tree(), '', '', false);
  return lines.join('\n');
}

const FILE_HEADER = `# Hikyaku configuration / Hikyaku 設定ファイル
# Reference / リファレンス: docs/configuration.md
# Durations / 時間: 500ms 30s 5m 1h 5d.  Sizes / サイズ: 35MiB (1024-based / 1024 の累乗), 35MB (1000-based / 1000 の累乗).
# Relative paths are relative to this file's directory. / 相対パスはこのファイルのディレクトリが基準。
`;

/** A commented configuration file holding `config`'s values (secrets included: handle the output accordingly). */
export function configToYaml(config: Config): string {
  return `${FILE_HEADER}${render(config)}\n`;
}

/** The commented example file for `hikyaku init`: every default, and examples for what has none. */
export const defaultConfigYaml: string = `${FILE_HEADER}${render(undefined)}\n`;
