/** The demo's narration: numbered steps and checked expectations (a failed one fails the demo). */
export class Story {
  failures = 0;
  step(title: string): void {
    console.log(`\n== ${title}`);
  }
  expect(ok: boolean, line: string): void {
    console.log(`${ok ? '  ok  ' : '  FAIL'} ${line}`);
    if (!ok) this.failures++;
  }
}
