/** @reprise/plugin-middleware: GoReplay's modifiers, sandboxed scripts, and external middleware. */
import { http } from './http-component.js';
import { middlewareScript } from './script-component.js';
import { middleware } from './middleware-component.js';
import { prettifyHttpMiddleware } from './prettify-component.js';

export { runMiddlewareTest, runMiddlewareTestAsync, formatMiddlewareTestReport } from './middleware-test.js';
export type { MiddlewareTestReport, MiddlewareTestResult, MiddlewareTestOutcome, MiddlewareTestOptions } from './middleware-test.js';

export default [http, middlewareScript, middleware, prettifyHttpMiddleware];
