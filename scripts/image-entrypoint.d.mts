/** Types of scripts/image-entrypoint.mjs for the tests that import it. */
export type Instruction = [keyword: string, rest: string];
export function finalStage(text: string): Instruction[];
export interface ImageCommand {
  readonly command: string;
  readonly args: string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly entrypoint: string[];
  readonly cmd: string[];
  readonly user: string | undefined;
}
export function imageCommand(
  dockerfile: string,
  root: string,
  args?: readonly string[],
): ImageCommand;
