/**
 * `agent-canary gate` as the CLI runs it: the gate command (src/gate/command.ts) with the
 * dashboard mounted beside the canary API on the same server: the radar and scorecard APIs and
 * the page at /dashboard/. It lives here, not in the gate's command, so that the dashboard (which
 * reads the gate's engine) and the gate never import each other.
 */
import { run as gateRun, USAGE } from '../gate/command.js';
import { dashboardRoutes } from './routes.js';
import type { AdvanceGuard } from '../gitops/advance-guard.js';

export { USAGE };

/** The autopilot's wiring, loaded on first use (the webhook alone starts without it). */
const wiring = (): Promise<typeof import('../autopilot/wiring.js')> =>
  import('../autopilot/wiring.js');

export function run(argv: string[]): Promise<number> {
  return gateRun(argv, {
    routes: ({ engine, access }) => dashboardRoutes({ access, engine }),
    // The canary API's increases ask the autopilot's decision; --autopilot runs its loop too.
    guard: (engine, prometheus) => {
      let guard: Promise<AdvanceGuard> | undefined;
      return {
        approve: async (gitops, req) =>
          (await (guard ??= wiring().then((w) => w.serverGuard(engine, prometheus)))).approve(
            gitops,
            req,
          ),
      };
    },
    startAutopilot: async (cfg) => (await wiring()).startAutopilotLoop(cfg),
  });
}
