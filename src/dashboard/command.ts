/**
 * `agent-canary gate` as the CLI runs it: the gate command (src/gate/command.ts) with the
 * dashboard mounted beside the canary API on the same server: the radar and scorecard APIs and
 * the page at /dashboard/. It lives here, not in the gate's command, so that the dashboard (which
 * reads the gate's engine) and the gate never import each other.
 */
import { run as gateRun, USAGE } from '../gate/command.js';
import { dashboardRoutes } from './routes.js';

export { USAGE };

export function run(argv: string[]): Promise<number> {
  return gateRun(argv, { routes: ({ engine, access }) => dashboardRoutes({ access, engine }) });
}
