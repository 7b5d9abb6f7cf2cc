// Generates the JSON Schema editors use for scenario files (completion and red squiggles), from the zod schema.
import type { z as Z } from 'zod';
import { z } from '../deps.ts';
import { RESERVED_NAMES } from './limits.ts';
import { bareSteps, expectShape, scenarioSchema, stepShape, streamItemShape } from './schema.ts';

type Json = Record<string, unknown>;

const toJson = (schema: Z.ZodType): Json => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Json;
  return rest;
};

/** "Exactly one of these keys" objects, as a oneOf of single-key objects. */
function oneKeyOf(shape: Record<string, Z.ZodType>, overrides: Record<string, Json> = {}): Json[] {
  return Object.entries(shape).map(([key, s]) => ({
    type: 'object',
    properties: { [key]: overrides[key] ?? toJson(s) },
    required: [key],
    additionalProperties: false,
    description: s.description,
  }));
}

export function scenarioJsonSchema(): Json {
  const top = toJson(scenarioSchema) as { properties: Record<string, Json> } & Json;
  const repeat = {
    type: 'object',
    properties: {
      times: { type: 'integer', minimum: 1, maximum: 1000 },
      steps: { type: 'array', minItems: 1, items: { $ref: '#/$defs/step' } },
    },
    required: ['times', 'steps'],
    additionalProperties: false,
  };
  const { streams, steps } = scenarioSchema.shape;
  top.properties.streams = {
    type: 'object',
    description: streams.description,
    propertyNames: { pattern: '^[\\w-]+$', not: { enum: RESERVED_NAMES } },
    additionalProperties: { type: 'array', minItems: 1, items: { $ref: '#/$defs/streamItem' } },
  };
  top.properties.steps = {
    type: 'array',
    description: steps.description,
    minItems: 1,
    items: { $ref: '#/$defs/step' },
  };
  top.properties.expect = toJson(
    z.object(Object.fromEntries(Object.entries(expectShape).map(([k, s]) => [k, s.optional()]))).strict(),
  );
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'sse-harness scenario',
    ...top,
    $defs: {
      step: { anyOf: [{ enum: bareSteps }, ...oneKeyOf(stepShape, { repeat })] },
      streamItem: { anyOf: oneKeyOf(streamItemShape) },
    },
  };
}
