import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { noteAdminAction } from '../admin-auth/admin.guard.js';
import { jsonSchema } from '../common/validation/openapi.js';
import { parseOrProblem } from '../common/validation/zod.js';
import { resealSchema, SecretsReseal } from './secrets-reseal.js';
import { AdminApi } from '../admin-auth/admin-api.decorator.js';

/** Operators: the secrets keyring (SECRETS_KEYS) across every tenant. */
@ApiTags('secrets')
@ApiSecurity('admin-key')
@ApiSecurity('admin-token')
@Controller('admin/secrets')
@AdminApi()
export class AdminSecretsController {
  constructor(private readonly reseal: SecretsReseal) {}

  @Post('reseal')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Operators only. Re-encrypt every sealed value in the database (tenant client secrets, staged ones included, training database URLs, '
      + 'this service\'s signing keys) under the first key of SECRETS_KEYS, in bounded batches; idempotent. Answers how many values each key id '
      + 'holds before and after (never a value). Key rotation: add the new key first, reseal until remaining is 0, then remove the old key.',
  })
  @ApiBody({ required: false, schema: { ...jsonSchema(resealSchema), example: { batchSize: 100, maxBatches: 100 } } })
  @ApiResponse({
    status: 200,
    description: 'What was resealed; call again while `remaining` is not 0.',
    schema: {
      example: {
        activeKeyId: 'k2', keyring: ['k2', 'k1'],
        before: { clientSecrets: { k1: 12 }, trainingDatabaseUrls: { k1: 1 }, signingKeys: { k1: 2 } },
        after: { clientSecrets: { k2: 12 }, trainingDatabaseUrls: { k2: 1 }, signingKeys: { k2: 2 } },
        resealed: { clientSecrets: 12, trainingDatabaseUrls: 1, signingKeys: 2 }, remaining: 0,
      },
    },
  })
  @ApiResponse({ status: 409, description: 'Some values are sealed with a key that is not in SECRETS_KEYS (each key id named, with how many values); nothing was resealed.' })
  async run(@Body() body: unknown, @Req() req: unknown) {
    const report = await this.reseal.run(parseOrProblem(resealSchema, body ?? {}));
    noteAdminAction(req, { activeKeyId: report.activeKeyId, before: report.before, after: report.after, resealed: report.resealed, remaining: report.remaining });
    return report;
  }
}
