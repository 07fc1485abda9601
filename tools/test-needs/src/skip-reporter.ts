import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';

/**
 * Lists every skipped suite or test with its title (titles say what they need, e.g. "(needs ../shared/models)") at
 * the end of the run, so that a green run without ../shared does not hide what it did not check.
 */
export default class SkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    const walk = (file: string, entries: Iterable<TestSuite | TestCase>): void => {
      for (const e of entries) {
        if (e.type === 'suite') {
          if (e.options.mode === 'skip') lines.push(`${file} › ${e.fullName}`);
          else walk(file, e.children);
        } else {
          const r = e.result();
          // skipped by flag, or at run time with ctx.skip(note) (the note says why)
          if (r.state === 'skipped' && e.options.mode !== 'todo') lines.push(`${file} › ${e.fullName}${r.note ? ` — ${r.note}` : ''}`);
        }
      }
    };
    for (const m of modules) walk(m.relativeModuleId, m.children);
    if (lines.length === 0) return;
    const hint = 'OIDSTREAM_REQUIRE_ALL=1 (set by .ci/run) makes a missing prerequisite a failure';
    process.stdout.write(`\nSkipped (${lines.length}); ${hint}:\n${lines.map((l) => `  ↓ ${l}`).join('\n')}\n`);
  }
}
