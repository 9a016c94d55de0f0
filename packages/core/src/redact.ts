/**
 * Addresses are logged and printed: `http://user:secret@host` shows as `http://user:***@host`, and so
 * does a scheme-less `user:secret@host:9200`. The one password masker, for the engine and plugins.
 */
export function hidePassword(value: string): string {
  return value.replace(/(\/\/|^)([^/:@\s]*):([^@/\s]*)@/, '$1$2:***@');
}
