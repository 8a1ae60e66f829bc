import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../lib/errors.js';
import { fromThisMachine } from '../../plugins/limits.js';
import { setupFormSchema, setupLinkUsable, useSetupLink } from '../../staff/setup.js';
import { fieldErrors, formString, type FieldError } from '../../lib/validation.js';
import type { StaffContext } from './context.js';

// The one-time set-up link printed at first start (src/staff/setup.ts). Anything wrong — another
// machine, a used, expired or unknown link, an account already there — is the same 404.
export default async function setupRoutes(app: FastifyInstance, ctx: StaffContext) {
  const tokenOf = (request: FastifyRequest) => String((request.params as { token?: string }).token ?? '');

  async function check(request: FastifyRequest) {
    // The socket's own address (src/plugins/limits.ts): no proxy header can make a client local.
    if (!fromThisMachine(request) || !(await setupLinkUsable(ctx.db, tokenOf(request)))) throw new HttpError(404);
  }

  const render = (reply: FastifyReply, values: Record<string, string> = {}, errors: FieldError[] = []) =>
    reply.page('staff/setup', {
      title: reply.request.t('staff.setup.title'),
      action: `/staff/setup/${tokenOf(reply.request)}`,
      values,
      errors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      errorList: errors,
    });

  app.get('/setup/:token', async (request, reply) => {
    await check(request);
    // The token is in this page's address: keep it out of any Referer.
    return render(reply);
  });

  app.post('/setup/:token', { preHandler: app.limits.login }, async (request, reply) => {
    await check(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values = { username: formString(body.username).slice(0, 100), email: formString(body.email).slice(0, 300) };
    const password = formString(body.password).slice(0, 1024);
    const parsed = setupFormSchema.safeParse(values);
    const errors = parsed.success ? [] : fieldErrors(parsed.error, request.t);
    if (password !== formString(body.password2).slice(0, 1024)) {
      errors.push({ field: 'password2', code: 'password.mismatch', message: request.t('errors.password.mismatch') });
    }
    if (!parsed.success || errors.length) return render(reply.code(400), values, errors);
    const result = await useSetupLink(ctx.db, ctx.settings.password, tokenOf(request), parsed.data, password);
    if (!result.ok && result.gone) throw new HttpError(404);
    if (!result.ok) {
      const error = { field: result.error.field, code: result.error.key.slice('errors.'.length), message: request.t(result.error.key) };
      return render(reply.code(400), values, [error]);
    }
    request.log.info('first admin account created through the set-up link');
    return reply.redirect('/staff/login?setup=1', 303);
  });
}
