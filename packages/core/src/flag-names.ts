/**
 * How a component's options become flags, in GoReplay's naming: option `trackResponse` of component
 * `output-http` is `--output-http-track-response`, unless the option's schema names its flag (`x-flag`).
 */
import type { ComponentDescription } from './plugin.js';

export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

export function optionFlagName(component: ComponentDescription, option: string): string {
  return component.options.properties[option]?.['x-flag'] ?? `${component.name}-${kebabCase(option)}`;
}
