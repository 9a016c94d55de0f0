/**
 * The components a pipeline can use, and the flag table generated from their option schemas
 * in GoReplay's naming: component `output-http` → `--output-http`, option `trackResponse` →
 * `--output-http-track-response` (or the option's `x-flag`).
 */
import { RepriseError } from '@reprise/core';
import { optionFlagName, type AnyComponentDefinition, type ComponentDescription, type OptionSchema } from '@reprise/core';
import { SETTINGS_FLAGS, type SettingFlag } from './settings.js';

export type FlagTarget<D extends ComponentDescription = AnyComponentDefinition> =
  | { type: 'component'; component: D }
  | { type: 'option'; component: D; option: string; schema: OptionSchema }
  | { type: 'setting'; setting: SettingFlag }
  /** An `x-shared` option flag: the same option of several components. */
  | { type: 'shared'; targets: Array<{ component: D; option: string; schema: OptionSchema }> };

export interface CatalogEntry<D extends ComponentDescription = AnyComponentDefinition> {
  definition: D;
  /** The npm package that provides it. */
  packageName: string;
}

/**
 * A catalog of loaded definitions (to run a pipeline) or of descriptions only (for --help, read
 * from plugin manifests without importing code).
 */
export class ComponentCatalog<D extends ComponentDescription = AnyComponentDefinition> {
  readonly entries = new Map<string, CatalogEntry<D>>();
  readonly flags = new Map<string, FlagTarget<D>>();

  constructor() {
    for (const setting of SETTINGS_FLAGS) this.flags.set(setting.flag, { type: 'setting', setting });
  }

  /** Adds a package's components; a name or flag already taken is an error naming both packages. */
  add(definition: D, packageName: string): void {
    const existing = this.entries.get(definition.name);
    if (existing) {
      throw new RepriseError(
        'RPR_PLUGIN_CONFLICT',
        `component "${definition.name}" is provided by both ${existing.packageName} and ${packageName}`,
        { plugin: definition.name },
      );
    }
    const newFlags = new Map<string, FlagTarget<D>>();
    // A component without a value (output-stdout) is switched on by its bare flag, or by any of its options.
    if (definition.value || definition.enabledBy !== 'options') newFlags.set(definition.name, { type: 'component', component: definition });
    for (const [option, schema] of Object.entries(definition.options.properties)) {
      const target = { component: definition, option, schema };
      newFlags.set(
        optionFlagName(definition, option),
        schema['x-shared'] ? { type: 'shared', targets: [target] } : { type: 'option', ...target },
      );
    }
    for (const [flag, target] of newFlags) {
      const taken = this.flags.get(flag);
      if (taken?.type === 'shared' && target.type === 'shared') continue;
      if (taken) {
        const component = taken.type === 'setting' ? undefined : taken.type === 'shared' ? taken.targets[0]!.component : taken.component;
        const owner = component ? this.entries.get(component.name)?.packageName : 'reprise itself';
        throw new RepriseError('RPR_PLUGIN_CONFLICT', `flag --${flag} is claimed by both ${owner} and ${packageName}`, {
          plugin: definition.name,
        });
      }
    }
    this.entries.set(definition.name, { definition, packageName });
    for (const [flag, target] of newFlags) {
      const taken = this.flags.get(flag);
      if (taken?.type === 'shared' && target.type === 'shared') taken.targets.push(...target.targets);
      else this.flags.set(flag, target);
    }
  }

  get(name: string): D | undefined {
    return this.entries.get(name)?.definition;
  }

  components(): D[] {
    return [...this.entries.values()].map((e) => e.definition);
  }
}
