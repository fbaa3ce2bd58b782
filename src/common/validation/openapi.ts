import { z } from 'zod';

/** JSON Schema of a zod schema's input, for @ApiBody (one schema validates and documents). */
export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
