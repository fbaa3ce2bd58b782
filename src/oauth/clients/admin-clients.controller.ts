import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { jsonSchema } from '../../common/validation/openapi.js';
import { parseOrProblem } from '../../common/validation/zod.js';
import { ClientsService, createClientSchema, updateClientSchema } from './clients.service.js';
import { AdminApi } from '../../admin-auth/admin-api.decorator.js';
import { refuseConsoleSession } from '../../admin-auth/admin-actor.js';
import { Actor, type AdminActor } from '../../admin-auth/admin.guard.js';

@ApiTags('clients')
@ApiSecurity('admin-key')
@Controller('admin/clients')
@AdminApi()
export class AdminClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Post()
  @ApiOperation({ summary: 'Register an iQmetrix application. A confidential client\'s secret is returned once, here only; `warnings` names what is registered but not recommended (a localhost redirect URI, RFC 8252 §8.3).' })
  @ApiBody({ schema: { ...jsonSchema(createClientSchema), example: { clientId: 'hub', name: 'Hub', type: 'public', redirectUris: ['https://hub.example.com/callback'] } } })
  create(@Body() body: unknown, @Actor() actor: AdminActor) {
    refuseConsoleSession(actor, 'register applications', 'registering an application');
    return this.clients.create(parseOrProblem(createClientSchema, body));
  }

  @Get()
  list() {
    return this.clients.list();
  }

  @Get(':clientId')
  get(@Param('clientId') clientId: string) {
    return this.clients.view(clientId);
  }

  @Patch(':clientId')
  @ApiOperation({ summary: 'Change whether a client may introspect tokens (a resource server, RFC 7662): only a confidential client without the password grant may (422 otherwise). Every other key is a 422.' })
  @ApiBody({ schema: { ...jsonSchema(updateClientSchema), example: { introspection: false } } })
  update(@Param('clientId') clientId: string, @Body() body: unknown, @Actor() actor: AdminActor) {
    // A right that outlasts the session (reading any user's token through introspection), as a credential does.
    refuseConsoleSession(actor, 'change what an application may do', 'changing an application');
    return this.clients.update(clientId, parseOrProblem(updateClientSchema, body));
  }
}
