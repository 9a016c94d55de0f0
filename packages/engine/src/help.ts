/** `reprise --help`: every flag with an example, grouped like `gor -h`, generated from the catalog. */
import { optionFlagName, type ComponentDescription, type OptionSchema } from '@reprise/core';
import type { ComponentCatalog } from './catalog.js';
import { REFUSED_GOREPLAY_FLAGS } from './goreplay-flags.js';
import { SETTINGS_FLAGS } from './settings.js';

const GROUPS: Array<[string, (c: ComponentDescription) => boolean]> = [
  ['INPUTS', (c) => c.kind === 'input'],
  ['MODIFIERS AND MIDDLEWARE', (c) => c.kind === 'middleware'],
  ['OUTPUTS', (c) => c.kind === 'output'],
];

export function renderFlagsHelp(catalog: ComponentCatalog<ComponentDescription>): string {
  const out: string[] = [];
  const flag = (name: string, arg: string, description: string, example?: string) => {
    out.push(`  --${name}${arg ? ' ' + arg : ''}`);
    out.push(`      ${description}`);
    if (example) out.push(`      e.g. ${example}`);
  };
  for (const [title, belongs] of GROUPS) {
    const components = catalog
      .components()
      .filter(belongs)
      .sort((a, b) => a.name.localeCompare(b.name));
    if (components.length === 0) continue;
    out.push('', title);
    for (const component of components) {
      const entry = catalog.entries.get(component.name)!;
      if (component.value) {
        const rate = (component.rate ?? 'core') === 'none' ? '' : component.rate === 'plugin' ? '[|N%]' : '[|N or |N%]';
        flag(
          component.name,
          `<${component.value.placeholder ?? 'value'}>${rate}`,
          `${component.summary}  (${entry.packageName})\n      ${component.value.placeholder ?? 'value'}: ${component.value.description}`,
          `--${component.name} ${quote(component.value.example)}`,
        );
      } else if (component.enabledBy === 'options') {
        out.push(`  ${component.summary}  (${entry.packageName})`);
      } else {
        flag(component.name, '', `${component.summary}  (${entry.packageName})`, `--${component.name}`);
      }
      for (const [option, schema] of Object.entries(component.options.properties)) {
        if (schema['x-hidden']) continue;
        const name = optionFlagName(component, option);
        flag(name, argumentOf(schema), describe(schema), exampleFor(name, schema));
      }
    }
  }
  out.push('', 'GENERAL');
  for (const setting of SETTINGS_FLAGS) {
    const arg = setting.type === 'boolean' ? '' : setting.enum ? `<${setting.enum.join('|')}>` : (setting.format ?? setting.type);
    const description = setting.default === undefined ? setting.description : `${setting.description} (default ${setting.default})`;
    flag(setting.flag, setting.isRepeatable ? `${arg} (repeatable)` : arg, description, setting.example);
  }
  out.push('', 'GOREPLAY FLAGS REPRISE REFUSES (each says why and what to use instead; see docs/GOREPLAY.md)');
  out.push(
    `  ${Object.entries(REFUSED_GOREPLAY_FLAGS)
      .map(([f, refusal]) => `--${f}${refusal.harmlessValues ? ` (${refusal.harmlessValues.join(', ')} is taken)` : ''}`)
      .join(', ')}`,
  );
  return out.join('\n');
}

function argumentOf(schema: OptionSchema): string {
  if (schema.type === 'boolean') return '';
  if (schema.enum) return `<${schema.enum.join('|')}>`;
  if (schema.type === 'array') return `<${schema.items?.type ?? 'string'}> (repeatable)`;
  return `<${schema.format ?? schema.type}>`;
}

function describe(schema: OptionSchema): string {
  const dflt = schema.default === undefined ? '' : ` (default ${JSON.stringify(schema.default)})`;
  return schema.description + dflt;
}

function exampleFor(flag: string, schema: OptionSchema): string {
  if (schema.type === 'boolean') return `--${flag}`;
  const example = schema.examples?.[0];
  if (example === undefined) return '';
  return `--${flag} ${quote(String(example))}`;
}

function quote(text: string): string {
  return /[\s|$*?;&]/.test(text) ? JSON.stringify(text) : text;
}
