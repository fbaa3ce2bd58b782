import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** The request's correlation id (set by the request logger, echoed as X-Request-Id, in every log line). */
export const RequestId = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined => {
  const id = ctx.switchToHttp().getRequest<{ id?: unknown }>().id;
  return typeof id === 'string' ? id : undefined;
});
