/**
 * GoReplay-style command line → PipelineConfig. Accepts `--flag value`, `--flag=value` and Go's
 * single dash (`-input-raw :80`); component flags repeat to make several instances; option flags
 * apply to every instance of their component; boolean flags take no value, and are switched off by
 * `--no-flag`, `--flag=false` or `--flag false`.
 */
import { optionFlagName } from '@reprise/core';
import type { ComponentCatalog, FlagTarget } from './catalog.js';
import type { ComponentConfig, PipelineConfig, SettingsConfig } from './config.js';
import { RepriseError } from '@reprise/core';
import { REFUSED_GOREPLAY_FLAGS, REFUSED_GOREPLAY_VALUES, refusalMessage } from './goreplay-flags.js';
import { suggest } from './suggest.js';

const KIND_SECTION = { input: 'inputs', middleware: 'middleware', output: 'outputs' } as const;

export function parseFlags(argv: readonly string[], catalog: ComponentCatalog): PipelineConfig {
  const values = new Map<string, string[]>(); // component → main values, in order
  const options = new Map<string, Record<string, unknown>>(); // component → options
  const settings: Record<string, unknown> = {};
  const order: string[] = []; // components in the order first seen
  const shared = new Map<string, { targets: Extract<FlagTarget, { type: 'shared' }>['targets']; raw: string }>(); // flag → value

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const match = /^--?([a-zA-Z0-9][\w-]*)(?:=([\s\S]*))?$/.exec(token);
    if (!match) {
      throw new RepriseError('RPR_CONFIG_INVALID', `unexpected argument "${token}": flags start with --, e.g. --input-file requests.gor`);
    }
    let name = match[1]!;
    let target = catalog.flags.get(name);
    // `--no-<flag>` switches a boolean off (a boolean defaulting to true needs it).
    const negated = !target && name.startsWith('no-') ? catalog.flags.get(name.slice(3)) : undefined;
    if (negated && isBooleanTarget(negated)) {
      if (match[2] !== undefined) throw new RepriseError('RPR_CONFIG_INVALID', `--${name} takes no value (it is --${name.slice(3)}=false)`);
      name = name.slice(3);
      target = negated;
    }
    const harmless = target ? undefined : REFUSED_GOREPLAY_FLAGS[name]?.harmlessValues;
    if (harmless?.includes(match[2] ?? argv[i + 1] ?? '')) {
      if (match[2] === undefined) i++; // e.g. --output-file-queue-limit 0: nothing to do
      continue;
    }
    if (!target) throw unknownFlag(name, catalog);
    const takeValue = (): string => {
      if (match[2] !== undefined) return match[2];
      const next = argv[i + 1];
      if (next === undefined) throw new RepriseError('RPR_CONFIG_INVALID', `--${name} needs a value (e.g. ${exampleOf(target)})`);
      i++;
      return next;
    };
    const isBoolean = isBooleanTarget(target);
    // A boolean takes no value, but `--flag false` (Go's flag package style) and `--flag=false` work too.
    const spelledValue = isBoolean && match[2] === undefined && /^(true|false)$/i.test(argv[i + 1] ?? '') ? argv[++i] : undefined;
    let raw = negated ? 'false' : isBoolean ? (match[2] ?? spelledValue ?? 'true') : takeValue();
    if (target.type === 'setting' && target.setting.takesLevel) {
      const level = match[2] ?? (/^\d+$/.test(argv[i + 1] ?? '') ? argv[++i] : undefined);
      if (level !== undefined && /^\d+$/.test(level)) raw = Number(level) > 0 ? 'true' : 'false';
    }
    const refusedValue = REFUSED_GOREPLAY_VALUES[name]?.[raw];
    if (refusedValue) throw new RepriseError('RPR_CONFIG_REFUSED_FLAG', refusalMessage(name, refusedValue, raw));

    if (target.type === 'setting') {
      const value = convert(raw, target.setting.type, name);
      settings[target.setting.key] = target.setting.isRepeatable ? [...((settings[target.setting.key] as unknown[]) ?? []), value] : value;
      continue;
    }
    if (target.type === 'shared') {
      shared.set(name, { targets: target.targets, raw }); // applied once every component is known
      continue;
    }
    const component = target.component.name;
    if (target.type === 'component' && isBoolean) {
      if (convert(raw, 'boolean', name) && !order.includes(component)) order.push(component);
      continue;
    }
    if (!order.includes(component)) order.push(component);
    if (target.type === 'component') {
      values.set(component, [...(values.get(component) ?? []), raw]);
      continue;
    }
    const bag = options.get(component) ?? {};
    options.set(component, bag);
    if (target.schema.type === 'array') {
      const itemType = target.schema.items?.type ?? 'string';
      bag[target.option] = [...((bag[target.option] as unknown[]) ?? []), convert(raw, itemType, name)];
    } else {
      bag[target.option] = convert(raw, target.schema.type, name);
    }
  }

  for (const [name, { targets, raw }] of shared) {
    const used = targets.filter((t) => order.includes(t.component.name));
    if (used.length === 0) {
      throw new RepriseError(
        'RPR_CONFIG_INVALID',
        `--${name} applies to ${targets.map((t) => t.component.name).join(' or ')}, and neither is used`,
      );
    }
    for (const t of used) {
      const bag = options.get(t.component.name) ?? {};
      options.set(t.component.name, bag);
      bag[t.option] = convert(raw, t.schema.type, name);
    }
  }

  const config: PipelineConfig = { inputs: [], middleware: [], outputs: [], settings: settings as SettingsConfig };
  for (const name of order) {
    const definition = catalog.get(name)!;
    const section = config[KIND_SECTION[definition.kind]]!;
    const given = options.get(name);
    const list = values.get(name);
    if (definition.value && !list) {
      throw new RepriseError(
        'RPR_CONFIG_INVALID',
        `${Object.keys(given ?? {})
          .map((o) => '--' + optionFlagName(definition, o))
          .join(', ')} given without --${name} (e.g. --${name} ${definition.value.example})`,
        { plugin: name },
      );
    }
    for (const value of list ?? [undefined]) {
      const item: ComponentConfig = { use: name };
      if (value !== undefined) item.value = value;
      if (given) item.options = { ...given };
      section.push(item);
    }
  }
  return config;
}

function isBooleanTarget(target: FlagTarget): boolean {
  if (target.type === 'setting') return target.setting.type === 'boolean';
  if (target.type === 'option') return target.schema.type === 'boolean';
  if (target.type === 'shared') return target.targets[0]!.schema.type === 'boolean';
  return !target.component.value;
}

function convert(raw: string, type: string, flag: string): unknown {
  switch (type) {
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new RepriseError('RPR_CONFIG_INVALID', `--${flag} is true or false, not "${raw}"`);
    case 'integer':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) {
        throw new RepriseError('RPR_CONFIG_INVALID', `--${flag} needs ${type === 'integer' ? 'a whole number' : 'a number'}, not "${raw}"`);
      }
      return n;
    }
    default:
      return raw;
  }
}

function exampleOf(target: FlagTarget): string {
  if (target.type === 'setting') return target.setting.example;
  if (target.type === 'shared') return exampleOf({ type: 'option', ...target.targets[0]! });
  if (target.type === 'component') return `--${target.component.name} ${target.component.value?.example ?? ''}`;
  const example = target.schema.examples?.[0];
  return `--${optionFlagName(target.component, target.option)} ${example ?? ''}`.trim();
}

function unknownFlag(name: string, catalog: ComponentCatalog): RepriseError {
  const refused = REFUSED_GOREPLAY_FLAGS[name];
  if (refused) return new RepriseError('RPR_CONFIG_REFUSED_FLAG', refusalMessage(name, refused));
  const hint = suggest(name, catalog.flags.keys());
  const rest = hint.length ? `; did you mean ${hint.map((h) => '--' + h).join(', ')}?` : '; see reprise --help';
  const plugin = /^(input|output)-([a-z0-9]+)/.exec(name);
  const missing =
    plugin && !catalog.flags.has(`${plugin[1]}-${plugin[2]}`)
      ? ` (no installed plugin provides ${plugin[1]}-${plugin[2]}: see reprise plugins available)`
      : '';
  return new RepriseError('RPR_CONFIG_UNKNOWN_FLAG', `unknown flag --${name}${rest}${missing}`);
}
