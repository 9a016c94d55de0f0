export { renderTerminal } from './terminal.js';
export { renderMarkdown } from './markdown.js';
export { renderJunit } from './junit.js';
export { renderHtml } from './html.js';
export { sideBySide, type DiffRow } from './side-by-side.js';
