/** Builds the dashboard page into `out` (default assets/dashboard) and returns that folder. */
export function buildDashboard(out?: string): Promise<string>;
