import { defineOutput, RepriseError, type ComponentDefinition, type PluginContext } from '@reprise/core';
import { ElasticsearchOutput } from './elasticsearch-output.js';
import {
  ELASTICSEARCH_OPTIONS,
  HTTP_ELASTICSEARCH_OPTIONS,
  toSettings,
  type ElasticsearchOptions,
  type HttpElasticsearchOptions,
} from './options.js';

function requireValue(value: string | undefined, ctx: PluginContext): string {
  if (value === undefined || value.trim() === '') {
    throw new RepriseError('RPR_CONFIG_INVALID', 'an Elasticsearch address is required, e.g. http://localhost:9200/gor', {
      plugin: ctx.component,
    });
  }
  return value;
}

/** Indexes each request with its original and/or replayed response, one document per request. */
export const outputElasticsearch: ComponentDefinition<'output', ElasticsearchOptions> = defineOutput({
  kind: 'output',
  name: 'output-elasticsearch',
  summary: 'Index each request with its original and replayed responses into Elasticsearch 8 (Kibana-ready)',
  value: {
    placeholder: 'url',
    description: 'Elasticsearch address and index, [http[s]://][user:pass@]host[:port]/index (port 9200 without a scheme)',
    example: 'http://localhost:9200/gor',
  },
  // sampling requests apart from their responses would only break the join
  rate: 'none',
  options: ELASTICSEARCH_OPTIONS,
  create(value, options, ctx) {
    return new ElasticsearchOutput(requireValue(value, ctx), toSettings(options, ctx.component), ctx);
  },
});

/** GoReplay's `--output-http-elasticsearch`: each replayed request with its replayed response. */
export const outputHttpElasticsearch: ComponentDefinition<'output', HttpElasticsearchOptions> = defineOutput({
  kind: 'output',
  name: 'output-http-elasticsearch',
  summary:
    "GoReplay's form: index each replayed request with its replayed response into Elasticsearch 8 (switches on --output-http-track-response)",
  implies: [{ component: 'output-http', options: { trackResponse: true }, reason: 'replayed responses are what GoReplay indexes' }],
  value: {
    placeholder: 'url',
    description: 'Elasticsearch address and index, as in GoReplay: localhost:9200/gor',
    example: 'localhost:9200/gor',
  },
  rate: 'none',
  options: HTTP_ELASTICSEARCH_OPTIONS,
  create(value, options, ctx) {
    const settings = toSettings({ ...options, responses: 'replayed' }, ctx.component);
    return new ElasticsearchOutput(requireValue(value, ctx), settings, ctx, {}, 'replayed-only');
  },
});

export default [outputElasticsearch, outputHttpElasticsearch];
