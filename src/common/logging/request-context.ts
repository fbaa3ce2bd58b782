import { AsyncLocalStorage } from 'node:async_hooks';

/** The request being handled: every log line written while handling it carries its id (createRootLogger's mixin). */
export const requestContext = new AsyncLocalStorage<{ id: string }>();
